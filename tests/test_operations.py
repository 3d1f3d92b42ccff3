"""The operations table (``ivowaba._operations``) is the one list of routes: it has exactly the
reference's 30 operations, the resources send through its entries, the emulator routes every
entry (and the sandbox exactly where the table says), the reference's examples and the
emulator's answers have the shapes it gives. And ``ivowaba`` has no import cycle."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp import web

import ivowaba
import ivowaba.resources
from ivowaba._operations import FILE, OPERATIONS, SANDBOX_PREFIX, SENDS, Form, Json, Operation
from ivowaba.testing import Emulator
from ivowaba.testing._server import build_app
from tests.conftest import wire_examples
from tests.test_emulator_conformance import emulator, example_id, post_raw

__all__ = ["emulator"]  # the fixture, shared with the conformance tests

EXAMPLES = wire_examples()
PACKAGE = Path(ivowaba.__file__).resolve().parent
REFERENCE = PACKAGE.parent.parent / "shared" / "api" / "ivowaba-api-reference.txt"


# -- the table against the reference -------------------------------------------------------


def test_the_table_has_exactly_the_operations_of_the_reference() -> None:
    routes = {(e["operation"], e["method"], e["path_template"]) for e in EXAMPLES}

    assert len(OPERATIONS) == 30
    assert {name for name, _, _ in routes} == set(OPERATIONS)
    for name, method, path in routes:
        op = OPERATIONS[name]
        assert op.name == name
        assert op.method == method, name
        assert path in op.paths, name


def test_sandbox_examples_are_sandbox_operations() -> None:
    for example in EXAMPLES:
        if example["sandbox"]:
            op = OPERATIONS[example["operation"]]
            assert op.sandbox
            assert example["path_template"] == SANDBOX_PREFIX + op.path_template


def test_sandbox_flags_are_the_references_list() -> None:
    if not REFERENCE.is_file():
        pytest.skip("the vendor reference is not beside the repository")
    listed = {
        "/" + line.strip()
        for line in REFERENCE.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("sandbox/api/v1/")
    }
    ours = {
        SANDBOX_PREFIX + op.path_template.split("/{")[0] for op in OPERATIONS.values() if op.sandbox
    }

    assert ours == listed


def test_derived_paths() -> None:
    op = OPERATIONS["templates.propose"]

    assert op.path_template == "/api/v1/message-templates/{template_id}/propose"
    assert op.path == "/api/v1/message-templates/{}/propose"
    assert op.params == ("template_id",)
    assert op.endpoint == "propose"
    assert OPERATIONS["messages.send_text"].endpoint == "send-text-message"
    assert OPERATIONS["media.download"].paths == (
        "/api/v1/media/{media_id}",
        "/sandbox/api/v1/media/{media_id}",
    )


# -- the resources read it -----------------------------------------------------------------


def _resource_operations() -> list[Operation]:
    found: list[Operation] = []
    for info in pkgutil.iter_modules(ivowaba.resources.__path__):
        module = importlib.import_module(f"ivowaba.resources.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Operation):
                found.append(value)
    return found


def test_every_resource_endpoint_is_the_tables_entry() -> None:
    used = _resource_operations() + list(SENDS.values())

    for op in used:
        assert OPERATIONS.get(op.name) is op, op.name
    assert {op.name for op in used} == set(OPERATIONS)  # and every entry has its resource


def test_sends_are_keyed_by_their_message_struct() -> None:
    from ivowaba.resources.messages import ENDPOINTS

    assert ENDPOINTS is SENDS
    for struct, op in SENDS.items():
        assert op.request == Json(struct)
        assert op.name.startswith("messages.send_")


# -- the emulator routes it ----------------------------------------------------------------


def _routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }


def test_the_emulator_routes_every_entry_and_the_sandbox_only_where_the_table_says() -> None:
    routes = _routes(build_app(Emulator()))
    expected = {(op.method, path) for op in OPERATIONS.values() for path in op.paths}
    sandboxed = {(m, p) for m, p in routes if p.startswith(SANDBOX_PREFIX + "/")}

    assert expected <= routes
    assert sandboxed == {
        (op.method, SANDBOX_PREFIX + op.path_template) for op in OPERATIONS.values() if op.sandbox
    }
    extra = {route for route in routes - expected if not route[1].startswith("/api/")}
    assert routes - expected == extra  # the emulator's own pages only: no other API route


# -- the shapes ----------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_each_example_request_has_the_tables_request_shape(example: dict[str, Any]) -> None:
    shape = OPERATIONS[example["operation"]].request
    if example["multipart"]:
        assert isinstance(shape, Form)
    elif example["json_body"] is None:
        assert shape is None
    else:
        assert isinstance(shape, Json)
        shape.decode(json.dumps(example["json_body"]).encode())


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
async def test_each_emulator_answer_has_the_tables_answer_shape(
    emulator: Emulator, example: dict[str, Any]
) -> None:
    if example["operation"] == "settings.get_photo":
        example = {**example, "query": {"format": "link"}}  # as the SDK asks for it
    status, headers, body = await post_raw(emulator, example, example["json_body"])
    shape = OPERATIONS[example["operation"]].answer

    assert 200 <= status < 300, body
    if shape is FILE:
        assert not headers["Content-Type"].startswith("application/json")
    elif isinstance(shape, Json):
        try:
            shape.decode(body)
        except msgspec.ValidationError as exc:
            pytest.fail(f"{example['operation']}: {exc}: {body[:300]!r}")


def test_the_resources_read_answers_only_by_the_table() -> None:
    """A struct a resource defines is a request body (``Outbound``), never an answer shape
    written again beside the table's."""
    from ivowaba.types._base import Outbound

    for info in pkgutil.iter_modules(ivowaba.resources.__path__):
        module = importlib.import_module(f"ivowaba.resources.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__module__ == module.__name__
            ):
                assert issubclass(value, Outbound), f"{module.__name__}.{value.__qualname__}"


def test_decoder_is_the_json_answers_and_only_theirs() -> None:
    countries = OPERATIONS["countries.list"]

    assert isinstance(countries.answer, Json)
    assert countries.decoder is countries.answer.decoder
    for name in ("media.download", "templates.propose", "settings.update_photo"):
        with pytest.raises(TypeError, match=name):
            OPERATIONS[name].decoder  # noqa: B018


def test_a_send_answer_has_at_least_one_message() -> None:
    decode = OPERATIONS["messages.send_text"].decoder

    assert [m.id for m in decode(b'{"messages": [{"id": "wamid.1"}]}')] == ["wamid.1"]
    with pytest.raises(msgspec.ValidationError) as info:
        decode(b'{"messages": []}')
    assert isinstance(info.value, ValueError)  # what the client turns into ResponseDecodeError


def test_a_page_of_templates_keeps_its_pagination() -> None:
    decode = OPERATIONS["templates.list"].decoder
    body = b'{"data": [{"id": "t1"}], "meta": {"pagination": {"current_page": 2}}}'

    page = decode(body)
    assert [t.id for t in page.data] == ["t1"]
    assert page.meta.pagination.current_page == 2
    assert decode(b'{"data": []}').meta.pagination.current_page is None


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"data": [{"a": 1}]}', [{"a": 1}]),
        (b'[{"a": 1}]', [{"a": 1}]),
        (b'{"data": null}', None),
        (b"null", None),
        (b"", None),
        (b" \n", None),
    ],
)
def test_bare_and_empty_answers(body: bytes, value: Any) -> None:
    assert OPERATIONS["webhooks.pull_pending"].decoder(body) == value


@pytest.mark.parametrize("body", [b'{"data": "x"}', b"{}", b"42"])
def test_bare_answers_are_still_checked(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        OPERATIONS["webhooks.pull_pending"].decoder(body)


def test_without_empty_an_empty_body_is_no_answer() -> None:
    with pytest.raises(msgspec.DecodeError):
        Json(list[int], at="data", bare=True).decode(b"")


# -- no import cycle -----------------------------------------------------------------------


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """The ``ivowaba`` modules ``module`` imports when it is imported, and those it imports
    later, inside functions (``TYPE_CHECKING`` blocks left out)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        return {found for name in names if (found := known(name)) and found != module}

    now: set[str] = set()
    later: set[str] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                now.update(targets(node))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                walk(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        later.update(targets(inner))
            else:
                for field in ("body", "orelse", "handlers", "finalbody"):
                    inner_body = getattr(node, field, None)
                    if isinstance(inner_body, list):
                        walk([n for n in inner_body if isinstance(n, ast.stmt)])

    walk(ast.parse(path.read_text(encoding="utf-8")).body)
    return now, later


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The module-level imports between ``ivowaba`` modules, and the function-level ones.

    Importing ``a.b.c`` imports the packages ``a`` and ``a.b`` first: an edge to them too,
    except from their own submodules (a package's modules run while it is being imported).
    """
    modules = _modules()
    now: dict[str, set[str]] = {}
    later: dict[str, set[str]] = {}
    for module, path in modules.items():
        direct, lazy = _imports(module, path, modules)
        parents = {
            ".".join(target.split(".")[:i])
            for target in direct
            for i in range(1, target.count(".") + 1)
        }
        now[module] = direct | {p for p in parents if not module.startswith(p + ".")}
        later[module] = lazy
    return now, later


def test_no_import_cycle_among_module_level_imports() -> None:
    now, _ = import_graphs()

    assert _cycles(now) == []


def test_the_emulators_parts_import_one_way() -> None:
    now, later = import_graphs()
    state, server, emulator_ = (
        "ivowaba.testing._state",
        "ivowaba.testing._server",
        "ivowaba.testing._emulator",
    )

    assert server not in now[state] | later[state]
    assert emulator_ not in now[state] | later[state] | now[server] | later[server]
    assert not {m for m in now["ivowaba._operations"] if not m.startswith("ivowaba.types")}


def lazy_cycles() -> list[list[str]]:
    """The cycles that appear when function-level imports count too (reported, not failed)."""
    now, later = import_graphs()
    return _cycles({module: now[module] | later[module] for module in now})
