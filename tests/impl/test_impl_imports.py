"""impl/ must be independent of model/ and checker/ (walks impl/*.py with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

IMPL = Path(__file__).resolve().parents[2] / "impl"
FORBIDDEN = {"model", "checker"}
FILES = sorted(IMPL.glob("*.py"))


def imported_roots(tree: ast.AST) -> list[str]:
    """Top-level package names imported by a module inside impl/."""
    roots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                roots.append((node.module or "").split(".")[0])
            elif node.level >= 2:
                # from ..model import x  /  from .. import model
                target = (node.module or "").split(".")[0]
                roots += [target] if target else [alias.name for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in {
            "__import__", "import_module",
        }:
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.append(arg.value.lstrip(".").split(".")[0])
    return roots


def test_impl_has_modules():
    assert {"endpoint.py", "segment.py", "wire.py", "iss.py", "__init__.py"} <= {f.name for f in FILES}


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_module_imports_nothing_from_model_or_checker(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = FORBIDDEN & set(imported_roots(tree))
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_detector_catches_forbidden_imports():
    for src in ("import model", "from model.table import T", "from ..checker import x",
                "from .. import model", "importlib.import_module('checker.run')"):
        assert FORBIDDEN & set(imported_roots(ast.parse(src))), src
