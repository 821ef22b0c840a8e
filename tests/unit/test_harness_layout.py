"""The test harness keeps one shape: shared fixtures registered once in tests/conftest.py,
plain helpers imported from tests/support/, a folder's conftest.py holding only that
folder's fixtures, every test folder a package, and nobody editing ``sys.path``.

Static checks on the source (``ast``): nothing is imported or run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
SKIPPED = {"__pycache__", "__snapshots__", "screenshots"}


def python_files(top: Path) -> Iterator[Path]:
    """Every .py file under ``top``, caches and snapshot folders left out."""
    for path in sorted(top.rglob("*.py")):
        if not SKIPPED.intersection(path.relative_to(top).parts):
            yield path


def tree(path: Path) -> ast.Module:
    """The parsed source of ``path``."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(module: ast.Module) -> Iterator[str]:
    """Dotted names of what ``module`` imports, ``from a import b`` giving ``a`` and ``a.b``
    (relative imports keep their leading dots)."""
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            yield base
            yield from (f"{base.rstrip('.')}.{alias.name}" for alias in node.names)


def is_conftest(name: str) -> bool:
    """Whether the dotted module name ``name`` is a conftest module."""
    return name.rsplit(".", 1)[-1] == "conftest"


def touches_sys_path(module: ast.Module) -> bool:
    """``sys.path`` read or changed in any way (``sys.path.insert``, ``from sys import
    path``, ``site.addsitedir``)."""
    for node in ast.walk(module):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "path"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module in {"sys", "site"}
            and any(alias.name in {"path", "addsitedir"} for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "addsitedir":
            return True
    return False


def is_fixture(node: ast.FunctionDef) -> bool:
    """Decorated with ``pytest.fixture`` (called or not)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in {"pytest.fixture", "fixture"}:
            return True
    return False


def is_plugin_list(node: ast.stmt) -> bool:
    """Whether ``node`` assigns ``pytest_plugins``."""
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
    )


def registered_plugins() -> list[str]:
    """The module names listed in ``pytest_plugins`` of tests/conftest.py."""
    for node in tree(TESTS / "conftest.py").body:
        if isinstance(node, ast.Assign) and is_plugin_list(node):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def test_no_module_under_tests_imports_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files(TESTS)
        for name in imported_modules(tree(path))
        if is_conftest(name)
    ]
    assert offenders == [], "import helpers from tests/support/, never a conftest"


def test_nothing_under_tests_or_bench_touches_sys_path() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for top in (TESTS, ROOT / "bench")
        for path in python_files(top)
        if touches_sys_path(tree(path))
    ]
    assert offenders == []


def test_every_test_folder_with_python_files_is_a_package() -> None:
    folders = {path.parent for path in python_files(TESTS)}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists())
    assert missing == []


def test_folder_conftests_hold_fixtures_only() -> None:
    """Constants, classes and helper functions belong in tests/support/; only the root
    conftest registers plugins."""
    offenders = []
    for path in python_files(TESTS):
        if path.name != "conftest.py":
            continue
        for node in tree(path).body:
            if isinstance(node, ast.FunctionDef) and (
                is_fixture(node) or node.name.startswith("pytest_")
            ):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            if path.parent == TESTS and is_plugin_list(node):
                continue
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:60]}")
    assert offenders == []


def test_every_shared_fixture_module_is_registered_in_the_root_conftest() -> None:
    plugins = registered_plugins()
    fixture_modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in python_files(TESTS / "support" / "fixtures")
        if path.name != "__init__.py"
    ]
    assert fixture_modules, "tests/support/fixtures/ holds the shared fixture modules"
    assert [m for m in fixture_modules if m not in plugins] == []
    assert all((ROOT / Path(*m.split("."))).with_suffix(".py").exists() for m in plugins)


def test_the_checks_see_what_they_forbid() -> None:
    """The detectors flag each forbidden shape (so an empty offender list means something)."""
    forbidden_imports = [
        "from tests.functional.station.conftest import NOON",
        "import tests.functional.ops.conftest as ops",
        "from tests.functional.station import conftest",
        "from .conftest import flat",
    ]
    for source in forbidden_imports:
        assert any(is_conftest(n) for n in imported_modules(ast.parse(source))), source
    assert not any(is_conftest(n) for n in imported_modules(ast.parse("import tests.support")))
    for source in (
        "import sys\nsys.path.insert(0, '.')",
        "from sys import path",
        "import site\nsite.addsitedir('.')",
    ):
        assert touches_sys_path(ast.parse(source)), source
    assert not touches_sys_path(ast.parse("import os\nos.path.join('a', 'b')"))
