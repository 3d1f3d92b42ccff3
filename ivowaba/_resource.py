"""Resource groups, and the one wrapper that gives the blocking client every operation.

Each operation is written once, as a coroutine method of a resource class decorated with
``@operation`` (or ``@iterator`` for async generators). The same class serves both clients:

- on ``AsyncClient`` (``Resource[Async]``) an operation is the coroutine method itself;
- on ``Client`` (``Resource[Blocking]``) the descriptor hands the coroutine to the client's
  event-loop thread and blocks for its result; an async iterator becomes a plain iterator.

The descriptor's ``__get__`` overloads keep every signature exact for type checkers on both sides.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, TypeVar, overload

from typing_extensions import ParamSpec, Self

if TYPE_CHECKING:
    from ivowaba._client import AsyncClient
    from ivowaba._runner import LoopRunner

P = ParamSpec("P")
R = TypeVar("R")


class Async:
    """Marker: the resource belongs to an ``AsyncClient``; operations are awaited."""


class Blocking:
    """Marker: the resource belongs to a ``Client``; operations block."""


Mode = TypeVar("Mode", Async, Blocking)


class Resource(Generic[Mode]):
    """A group of operations (``client.messages``, ``client.templates``, ...)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._runner: LoopRunner | None = None
        self._async_twin: Resource[Any] = self

    @classmethod
    def _blocking(cls, twin: Resource[Any], runner: LoopRunner) -> Any:
        """The blocking face of ``twin``: same class, operations run on ``runner``'s loop."""
        face = cls.__new__(cls)
        face._client = twin._client
        face._runner = runner
        face._async_twin = twin
        return face


class operation(Generic[P, R]):
    """Declares a resource coroutine method as an operation of both clients."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, obj: Resource[Async], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __get__(self, obj: Resource[Blocking], owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        if obj._runner is None:
            return functools.partial(self._fn, obj)
        return functools.partial(obj._runner.call, self._fn, obj._async_twin)


class iterator(Generic[P, R]):
    """Declares a resource async-generator method: ``async for`` on one client, ``for`` on
    the other."""

    def __init__(self, fn: Callable[Concatenate[Any, P], AsyncIterator[R]]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> Callable[P, AsyncIterator[R]]: ...
    @overload
    def __get__(self, obj: Resource[Blocking], owner: type[Any]) -> Callable[P, Iterator[R]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        if obj._runner is None:
            return functools.partial(self._fn, obj)
        return functools.partial(obj._runner.iterate, self._fn, obj._async_twin)
