"""The installed package: one module path, package data shipped, dependencies pointing one way."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kringloop.graph.bundle import bundled_sources

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_holds_every_subpackage_and_its_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = tmp_path.glob("kringloop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("graph", "queries", "service", "ontology", "data"):
        assert f"kringloop/{package}/__init__.py" in names
    shipped = {Path(n).suffix for n in names}
    for folder, suffix in (("ontology", ".ttl"), ("data", ".ttl"), ("queries", ".rq")):
        sources = list((ROOT / folder).rglob(f"*{suffix}"))
        for source in sources:
            assert f"kringloop/{source.relative_to(ROOT).as_posix()}" in names, source
    assert ".py" in shipped

    # The wheel works on its own (non-editable install), from outside the source tree.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import kringloop, kringloop.graph.bundle as b;"
        "print(kringloop.__file__); print(len(b.bundled_sources()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    location, count = done.stdout.split()
    assert location.startswith(str(target))
    assert int(count) == len(bundled_sources())


def test_core_does_not_import_the_web_framework() -> None:
    code = (
        "import sys, kringloop.graph, kringloop.graph.load, kringloop.graph.validate,"
        " kringloop.graph.stats, kringloop.graph.bundle, kringloop.queries;"
        " print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


def test_one_module_path() -> None:
    import kringloop.graph.store

    assert Path(kringloop.graph.store.__file__).parent.name == "graph"
    assert "kringloop" in Path(kringloop.graph.store.__file__).parts


def test_every_imported_distribution_is_declared() -> None:
    """Each third-party module the package imports comes from a declared dependency (the
    runtime ones, not the dev extra), so `pip install kringloop` brings it."""
    import ast
    import importlib.metadata as metadata
    import re

    declared = set()
    for requirement in metadata.requires("kringloop") or []:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        declared.add(re.sub(r"[-_.]+", "-", name).lower())
    providers = metadata.packages_distributions()
    missing: dict[str, set[str]] = {}
    for folder in ("graph", "queries", "service", "ontology", "data"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top == "kringloop":
                        continue
                    dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(top, [])}
                    if not dists & declared:
                        missing.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    assert not missing, f"imported but not declared in [project] dependencies: {missing}"
