"""What survives ``os.fork()``: a generation number, and a place for the parent's things.

A child process inherits copies of its parent's event loop, selector, threads' objects and
sockets. Its copy of the selector is the *same* kernel epoll instance as the parent's, and
its sockets are the same connections: closing, unregistering or reusing any of them in the
child breaks the parent (a request of the parent's hangs, an answer lands in the wrong
process). So a child never touches them: whatever holds loop-bound state compares
:data:`generation` with the value it recorded, and on a difference hands the parent's
objects to :func:`abandon` (kept referenced, so that no finalizer ever runs on them in the
child) and builds its own.
"""

from __future__ import annotations

import os

#: Bumped in the child after every ``os.fork()``.
generation = 0

_abandoned: list[object] = []


def _after_fork_in_child() -> None:
    global generation
    generation += 1


def abandon(*objects: object) -> None:
    """Keep the parent's ``objects`` alive for good, in this child: never closed, never
    collected, so that no ``__del__`` reaches the parent's loop, selector or sockets."""
    _abandoned.extend(obj for obj in objects if obj is not None)


os.register_at_fork(after_in_child=_after_fork_in_child)
