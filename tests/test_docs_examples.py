"""Every ```python block of README.md and docs/**/*.md runs here, against one emulator.

The convention, for whoever writes an example:

- A block is a module of its own: it starts from a fresh namespace with ``ivowaba`` and
  ``asyncio`` imported and, unless the block binds the name itself, ``client``: an
  ``ivowaba.AsyncClient`` (made for the block, closed after it). ``IVOWABA_API_KEY`` and
  ``IVOWABA_BASE_URL`` point at the emulator, so ``ivowaba.AsyncClient()`` and
  ``ivowaba.Client()`` reach it too. The emulator is reset before each block, with the
  reference's example ids seeded (template ``60243665e4058d3b4a377bd2``, webhook
  ``60243665e4058d3b4a377bd2``, ...), its template reviews decided at once, and every
  client's retry waits skipped.
- ``await``, ``async with`` and ``async for`` may stand at the top level of a block: such a
  block runs on the test's event loop, as it would in an async function (or
  ``python -m asyncio``). A block without them runs as a script (``asyncio.run`` in it
  works).
- The working directory is a fresh temporary one holding ``customers.csv`` (columns
  ``phone``, ``name``, ``company``; two customers), for the examples that read a campaign.
- A block that defines functions named ``test_...`` taking no arguments (an example of a
  test) has them called after it ran, awaited when they are coroutine functions.
- A block that cannot run here (it serves forever, needs a web framework's server, a Redis,
  Celery workers, or is a pytest module) carries the comment ``# docs: not run — <why>``.
  Every block, run or not, is also type-checked with ``mypy --strict``, in one run over all
  of them (a block with top-level awaits is checked as the body of an ``async def``), so
  its names must exist and its types agree: write examples as a user's checked code.

A failure names the file and the line of the block (tracebacks point into the Markdown file).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ivowaba
from ivowaba.cli._app import build_parser
from ivowaba.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python[^\n]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
_NOT_RUN = re.compile(r"#\s*docs:\s*not run\s*[—-]+\s*\S")
_SUPPLIED = "client"
API_KEY = "docs-example-key"
CUSTOMERS = "phone,name,company\n628123456789,Budi,PT. IVOSIGHTS\n628127631234,Ani,Sociomile\n"

pytestmark = pytest.mark.xdist_group("docs_examples")  # one emulator, one mypy run


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the block's first line of code, in its file
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def runs(self) -> bool:
        return _NOT_RUN.search(self.code) is None

    def compiled(self) -> Any:
        # Padded so that tracebacks name the Markdown file's own lines.
        source = "\n" * (self.line - 1) + self.code
        return compile(source, str(self.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    @property
    def is_async(self) -> bool:
        return bool(self.compiled().co_flags & inspect.CO_COROUTINE)

    def binds(self, name: str) -> bool:
        """Whether the block's top level binds ``name`` (then it is not supplied)."""
        tree = ast.parse(self.code)
        for node in _top_level(tree.body):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
                return True
            defines = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            if isinstance(node, defines) and node.name == name:
                return True
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (alias.asname or alias.name.split(".")[0]) == name for alias in node.names
            ):
                return True
        return False

    def tests(self) -> list[str]:
        """The ``test_...`` functions the block defines that take no arguments."""
        return [
            node.name
            for node in ast.parse(self.code).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_")
            and not (node.args.args or node.args.posonlyargs or node.args.kwonlyargs)
        ]


def _top_level(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of ``body`` outside the bodies of functions, classes and lambdas."""
    for statement in body:
        yield from _walk_scope(statement)


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
        return
    for child in ast.iter_child_nodes(node):
        yield from _walk_scope(child)


def collect() -> list[Block]:
    blocks = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start("code")) + 1
            code = textwrap.dedent(match.group("code"))
            blocks.append(Block(path, line, code))
    return blocks


BLOCKS = collect()


def test_the_collector_finds_the_examples() -> None:
    names = [block.name for block in BLOCKS]
    assert any(name.startswith("README.md:") for name in names)
    assert any(name.startswith("docs/guides/") for name in names)
    assert sum(block.runs for block in BLOCKS) > len(BLOCKS) // 2


# -- running -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, template_review_delay=0) as emu:
        yield emu


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.mark.parametrize(
    "block", [block for block in BLOCKS if block.runs], ids=lambda block: block.name
)
def test_the_example_runs(
    block: Block,
    emulator: Emulator,
    loop: asyncio.AbstractEventLoop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    emulator.reset()
    emulator.seed_reference_examples()
    monkeypatch.setenv("IVOWABA_API_KEY", API_KEY)
    monkeypatch.setenv("IVOWABA_BASE_URL", emulator.base_url)
    monkeypatch.chdir(tmp_path)  # files an example writes land there
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "__main__", "ivowaba": ivowaba, "asyncio": asyncio}
    code = block.compiled()
    if code.co_flags & inspect.CO_COROUTINE:

        async def run() -> None:
            async with ivowaba.AsyncClient() as client:
                if not block.binds(_SUPPLIED):
                    namespace[_SUPPLIED] = client
                await eval(code, namespace)

        loop.run_until_complete(run())
    else:
        with contextlib.ExitStack() as stack:
            if not block.binds(_SUPPLIED):
                namespace[_SUPPLIED] = ivowaba.AsyncClient()
                stack.callback(lambda: loop.run_until_complete(namespace[_SUPPLIED].aclose()))
            exec(code, namespace)
    for test in block.tests():
        outcome = namespace[test]()
        if inspect.iscoroutine(outcome):
            loop.run_until_complete(outcome)


# -- type checking -------------------------------------------------------------------------

_PRELUDE = "import asyncio\nimport ivowaba\n"
_DECLARE = f"{_SUPPLIED}: ivowaba.AsyncClient\n"
_WRAP = "async def _docs_example() -> None:\n"
_MYPY_CONFIG = """\
[mypy]
python_version = 3.10
strict = True
# untyped frameworks an example may use, as a user's project would declare them
[mypy-django.*,waitress.*,celery.*,gunicorn.*]
ignore_missing_imports = True
"""


def checkable(block: Block) -> tuple[str, int]:
    """The module mypy checks for ``block``, and how many lines precede the block's code."""
    head = _PRELUDE + ("" if block.binds(_SUPPLIED) else _DECLARE)
    body = block.code
    if block.is_async:
        head += _WRAP
        body = textwrap.indent(body, "    ")
    return head + body, head.count("\n")


def test_every_example_passes_mypy_strict(tmp_path: Path) -> None:
    where: dict[str, tuple[Block, int]] = {}
    for number, block in enumerate(BLOCKS):
        module = f"docs_example_{number}.py"
        text, offset = checkable(block)
        (tmp_path / module).write_text(text, encoding="utf-8")
        where[module] = (block, offset)
    (tmp_path / "mypy.ini").write_text(_MYPY_CONFIG, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            "--show-error-codes",
            *sorted(where),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": ""},
        check=False,
    )
    problems = []
    for line in result.stdout.splitlines():
        module, _, rest = line.partition(":")
        if module in where:
            block, offset = where[module]
            line_number, _, message = rest.partition(":")
            place = (
                block.line + int(line_number) - offset - 1 if line_number.isdigit() else block.line
            )
            problems.append(f"{block.path.relative_to(ROOT)}:{place}:{message}")
        else:
            problems.append(line)
    assert result.returncode == 0, "\n".join(problems) or result.stderr


# -- the README's links into the site ------------------------------------------------------

_DOCS_LINK = re.compile(r"\]\((docs/[^)#\s]+\.md)(?:#([\w-]+))?\)")
_HEADING = re.compile(r"^#{1,6} (.+?)(?: \{#([\w-]+)\})?$", re.M)


def _anchors(page: Path) -> set[str]:
    """The ids mkdocs gives the headings of ``page`` (its toc extension's default slugs)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    anchors = set()
    for title, explicit in _HEADING.findall(text):
        slug = re.sub(r"[^\w\s-]", "", title.replace("`", "")).strip().lower()
        anchors.add(explicit or re.sub(r"[-\s]+", "-", slug))
    return anchors


def test_the_readme_links_to_pages_and_headings_that_exist() -> None:
    links = _DOCS_LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(links) >= 10
    broken = []
    for target, anchor in links:
        page = ROOT / target
        if not page.is_file():
            broken.append(target)
        elif anchor and anchor not in _anchors(page):
            broken.append(f"{target}#{anchor}")
    assert not broken, broken


# -- the tests the pages name --------------------------------------------------------------

_TEST_REFERENCE = re.compile(r"`(test_\w+\.py)(?:::(test_\w+))?`")


def test_every_test_a_page_names_exists() -> None:
    """A promise names the test that holds it: that test must be there."""
    defined: dict[str, set[str]] = {}
    missing = []
    named = 0
    for path in SOURCES:
        for match in _TEST_REFERENCE.finditer(path.read_text(encoding="utf-8")):
            module, function = match.groups()
            if module not in defined:
                test_file = ROOT / "tests" / module
                if not test_file.exists():
                    missing.append(f"{path.relative_to(ROOT)}: {module}")
                    defined[module] = set()
                    continue
                tree = ast.parse(test_file.read_text(encoding="utf-8"))
                defined[module] = {
                    node.name
                    for node in ast.walk(tree)
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                }
            if function is not None and function not in defined[module]:
                missing.append(f"{path.relative_to(ROOT)}: {module}::{function}")
            named += 1
    assert named >= 10
    assert not missing, missing


# -- the command line reference ------------------------------------------------------------


def _cli_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "docs" / "_hooks" / "cli_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_has_every_command_and_option() -> None:
    reference = _cli_reference()
    parser = build_parser()
    page = reference.render(parser)
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").count(reference.MARKER) == 1
    seen = 0
    for path, summary, sub in reference.commands(parser):
        text = reference.section(path, summary, sub)
        assert text in page
        assert text.startswith(f"{'#' * min(len(path) + 1, 4)} {' '.join(path)} {{#")
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            names = action.option_strings or [action.metavar or action.dest]
            for name in names:
                assert f"`{name}`" in text, (path, name)
            seen += 1
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name in action.choices:
                    assert f"[`{name}`](#{'-'.join((*path, name))})" in text, (path, name)
    assert seen > 50
