"""The dependency rule of ARCHITECTURE.md, checked by tools rather than goodwill."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(folder: Path) -> set[tuple[str, str]]:
    """(file, module) for every import statement in the folder's Python files."""
    found: set[tuple[str, str]] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update((path.name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path.name, node.module))
    return found


def test_import_linter_layers_contract_holds() -> None:
    """`lint-imports` against the installed package (it needs a real package tree on disk)."""
    from importlinter.cli import lint_imports

    import code_mesh

    if not (Path(code_mesh.__file__).parent / "domain").is_dir():
        pytest.skip("code_mesh is installed in editable mode; import-linter needs `pip install .`")
    assert lint_imports(config_filename=str(REPO / "pyproject.toml")) == 0


def test_domain_imports_only_the_standard_library() -> None:
    outside = {
        (name, module)
        for name, module in imported_modules(REPO / "domain")
        if module.split(".")[0] not in sys.stdlib_module_names and not module.startswith("code_mesh.domain")
    }
    assert outside == set()


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("domain", ("code_mesh.application", "code_mesh.adapters", "code_mesh.entrypoints")),
        ("application", ("code_mesh.adapters", "code_mesh.entrypoints", "sqlalchemy", "alembic", "cyclopts")),
        ("adapters", ("code_mesh.entrypoints", "cyclopts")),
    ],
)
def test_no_layer_imports_an_outer_one(layer: str, forbidden: tuple[str, ...]) -> None:
    """The same rule read from the source folders, so it holds for editable installs too."""
    offending = {
        (name, module)
        for name, module in imported_modules(REPO / layer)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    }
    assert offending == set()
