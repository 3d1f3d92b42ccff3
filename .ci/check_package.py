"""Checks of the built package, for .ci/run: nothing the checkout has may be missing from it.

    python .ci/check_package.py wheel dist/    # the wheel holds every file of the package
    VENV/bin/python .ci/check_package.py installed    # the installed wheel works on its own

``wheel``: every file under ``ivowaba/`` in the checkout that is not Python bytecode (the
modules, ``py.typed``, the web phone's ``testing/phone/*``) is in the wheel, and the wheel
declares the ``ivowaba`` command and the pytest plugin.

``installed``: run by the interpreter of a fresh virtual environment where only the wheel was
installed, from outside the checkout: ``ivowaba`` and ``ivowaba.testing`` import from there,
``py.typed`` is there, the pytest plugin is registered, and the emulator serves its web phone
and every file the page loads.
"""

from __future__ import annotations

import re
import sys
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check_wheel(dist: Path) -> None:
    wheels = sorted(dist.glob("ivowaba-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one ivowaba wheel in {dist}, found {[w.name for w in wheels]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        entry_points = next(
            (wheel.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")),
            "",
        )
    wanted = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "ivowaba").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    missing = sorted(wanted - names)
    if missing:
        sys.exit(f"{wheels[0].name} lacks {len(missing)} file(s) of the package: {missing}")
    for needed in ("ivowaba/py.typed", "ivowaba/testing/phone/index.html"):
        if needed not in names:
            sys.exit(f"{wheels[0].name} lacks {needed}")
    if "ivowaba = ivowaba.cli:main" not in entry_points:
        sys.exit(f"{wheels[0].name} does not declare the ivowaba command")
    if "ivowaba = ivowaba.testing.pytest_plugin" not in entry_points:
        sys.exit(f"{wheels[0].name} does not declare the pytest plugin")
    phone = sorted(n for n in names if n.startswith("ivowaba/testing/phone/"))
    print(f"{wheels[0].name}: {len(names)} files, the {len(wanted)} of the package among them")
    print(f"  the web phone: {', '.join(Path(n).name for n in phone)}")


def check_installed() -> None:
    from importlib.metadata import entry_points, version

    import ivowaba
    import ivowaba.testing

    package = Path(ivowaba.__file__).resolve().parent
    if ROOT in package.parents:
        sys.exit(f"ivowaba was imported from the checkout ({package}), not from the wheel")
    if not (package / "py.typed").is_file():
        sys.exit(f"{package} has no py.typed")
    if "ivowaba" not in {e.name for e in entry_points(group="pytest11")}:
        sys.exit("the pytest plugin is not registered")
    with ivowaba.testing.Emulator() as emu:
        page = _get(emu.page_url)
        linked = re.findall(r'(?:href|src)="(/_emulator/phone/[^"]+)"', page)
        if not linked:
            sys.exit("the web phone's page loads no file of its own")
        files = sorted((package / "testing" / "phone").glob("*.[jc]s*"))
        assets = sorted({*linked, *(f"/_emulator/phone/{f.name}" for f in files)})
        for asset in assets:
            _get(emu.base_url + asset)
    print(f"ivowaba {version('ivowaba')} from {package}: the web phone and {len(assets)} files")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        if answer.status != 200:
            sys.exit(f"GET {url}: {answer.status}")
        text: str = answer.read().decode()
        return text


if __name__ == "__main__":
    if sys.argv[1:2] == ["wheel"] and len(sys.argv) == 3:
        check_wheel(Path(sys.argv[2]))
    elif sys.argv[1:] == ["installed"]:
        check_installed()
    else:
        sys.exit(__doc__)
