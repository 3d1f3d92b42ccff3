"""Every operation documents itself on both clients: what it sends, each parameter, what it
raises, an example; and ``help()`` and ``inspect.signature()`` show it as written."""

from __future__ import annotations

import fnmatch
import inspect
import pydoc
import re
from collections.abc import Callable, Iterator
from typing import Any

import ivowaba
from ivowaba import _limits
from ivowaba._operations import OPERATIONS
from ivowaba._resource import iterator, operation

GROUPS = ("contacts", "countries", "media", "messages", "settings", "templates", "webhooks")
BASE_URL = "http://127.0.0.1:9"  # nothing listens there, and no request is made
#: A route as the docstrings write it: ``POST /api/v1/messages/send-text-message``.
ROUTE = re.compile(r"``(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`?\s]+)")
EXAMPLE = re.compile(r"```python\n(.*?)\n\s*```", re.DOTALL)
ROUTES = {(op.method, op.path_template): op for op in OPERATIONS.values()}


def operations(client: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """``("messages.send_text", <the operation>)`` for every public callable of every group."""
    for group in GROUPS:
        resource = getattr(client, group)
        for name in dir(resource):
            if not name.startswith("_") and callable(getattr(resource, name)):
                yield f"{group}.{name}", getattr(resource, name)


def declared(client: Any) -> dict[str, Any]:
    """The operations the resource classes declare (``@operation``, ``@iterator``), by name."""
    found = {}
    for group in GROUPS:
        for name, value in vars(type(getattr(client, group))).items():
            if isinstance(value, (operation, iterator)):
                found[f"{group}.{name}"] = value
    return found


def problems(name: str, op: Callable[..., Any]) -> list[str]:
    """What ``op``'s docstring and signature lack, as readable lines (empty: nothing)."""
    found: list[str] = []
    doc = inspect.getdoc(op) or ""
    if not doc.strip():
        return [f"{name}: no docstring"]
    signature = inspect.signature(op)
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if f"``{parameter.name}``" not in doc:
            found.append(f"{name}: parameter {parameter.name!r} is not described")
    shown = str(signature)
    if "self" in signature.parameters or "self" in shown:
        found.append(f"{name}: the signature shows self: {shown}")
    if "functools.partial" in shown or "partial" in repr(op):
        found.append(f"{name}: shows up as functools.partial")
    if "Raises" not in doc:
        found.append(f"{name}: says nothing of what it raises")
    if "Returns" not in doc and "Yields" not in doc:
        found.append(f"{name}: says nothing of what it returns")
    example = EXAMPLE.search(doc)
    if example is None or len(example.group(1).strip().splitlines()) < 2:
        found.append(f"{name}: no example of at least two lines in a ```python block")
    routes = ROUTE.findall(doc)
    if not routes:
        found.append(f"{name}: names no route (``METHOD /api/v1/...``)")
    for method, path in routes:
        pattern = path.replace("...", "*")
        matched = [
            op_ for (m, p), op_ in ROUTES.items() if m == method and fnmatch.fnmatch(p, pattern)
        ]
        if not matched:
            found.append(f"{name}: {method} {path} is no route of the reference")
        elif "*" not in pattern and not matched[0].sandbox and "SandboxUnsupportedError" not in doc:
            found.append(f"{name}: the sandbox lacks {method} {path}, the docstring does not say")
    if "NotFoundError" in doc and not any(p.endswith("_id") for p in signature.parameters):
        found.append(f"{name}: NotFoundError, but it looks up no id")
    rendered = pydoc.render_doc(op, renderer=pydoc.plaintext)
    first_line = doc.strip().splitlines()[0]
    if first_line not in rendered:
        found.append(f"{name}: help() does not show {first_line!r}")
    return found


async def test_every_async_operation_is_documented() -> None:
    client = ivowaba.AsyncClient(api_key="k", base_url=BASE_URL)
    try:
        ops = dict(operations(client))
        assert set(ops) == set(declared(client))
        assert [line for name, op in ops.items() for line in problems(name, op)] == []
    finally:
        await client.aclose()


def test_every_blocking_operation_is_documented_as_the_async_one() -> None:
    client = ivowaba.Client(api_key="k", base_url=BASE_URL)
    try:
        ops = dict(operations(client))
        written = declared(client)
        assert set(ops) == set(written)
        assert [line for name, op in ops.items() for line in problems(name, op)] == []
        for name, op in ops.items():
            assert op.__doc__ == written[name].__doc__, name
            assert op.__name__ == written[name].__name__, name
            own = list(inspect.signature(inspect.unwrap(written[name])).parameters)[1:]
            assert list(inspect.signature(op).parameters) == own, name
    finally:
        client.close()


def test_every_group_has_operations() -> None:
    with ivowaba.Client(api_key="k", base_url=BASE_URL) as client:
        names = declared(client)
    for group in GROUPS:
        assert any(name.startswith(f"{group}.") for name in names), group


#: A limit each docstring states for a parameter, and the constant the check reads.
STATED_LIMITS = [
    ("media.download", "media_id", _limits.MEDIA_ID_MAX),
    ("media.download_to", "media_id", _limits.MEDIA_ID_MAX),
    ("templates.get", "template_id", _limits.ID_MAX),
    ("templates.update", "template_id", _limits.ID_MAX),
    ("templates.propose", "template_id", _limits.ID_MAX),
    ("webhooks.pull_pending", "webhook_id", _limits.WEBHOOK_ID_MAX),
    ("messages.mark_read", "message_id", _limits.MESSAGE_ID_MAX),
    ("messages.send_template", "template_id", _limits.ID_MAX),
    ("messages.send_otp", "code", _limits.OTP_CODE_MAX),
    ("settings.update_about", "text", _limits.ABOUT_MAX),
    ("settings.update_business_profile", "websites", _limits.BUSINESS_WEBSITES_MAX),
]


def test_docstrings_state_the_limits_the_checks_read() -> None:
    with ivowaba.Client(api_key="k", base_url=BASE_URL) as client:
        ops = declared(client)
    wrong = []
    for name, parameter, limit in STATED_LIMITS:
        paragraphs = (inspect.getdoc(ops[name]) or "").split("\n\n")
        said = [
            " ".join(part.split())
            for paragraph in paragraphs
            for part in paragraph.split("\n- ")
            if f"``{parameter}``:" in part
        ]
        if len(said) != 1 or f"at most {limit} " not in said[0]:
            wrong.append(f"{name}: {parameter} is not said to be at most {limit}: {said}")
    assert wrong == []
