"""The layout promises of the README: no import cycle among the project's
modules, every module opens with what it holds, no checker module longer than
about 500 lines without a stated reason, impl/ never reads model/ or checker/
(tests/impl/test_impl_imports.py checks that last one in depth)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "checker", "impl")
MAX_LINES = 500
REASON = "Longer than 500 lines because"


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def import_graph() -> nx.DiGraph:
    mods = modules()
    g = nx.DiGraph()
    for name, path in mods.items():
        g.add_node(name)
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports count too
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            g.add_edges_from((name, t) for t in targets if t in mods and t != name)
    return g


def test_no_import_cycle_among_modules():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_import_graph_sees_an_import():
    # the negative control of the cycle test: a known edge is in the graph
    g = import_graph()
    assert g.has_edge("model.table", "model.seq") and g.has_edge("checker.cli.verify", "checker.load")


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_opens_with_what_it_holds(name):
    doc = ast.get_docstring(ast.parse(modules()[name].read_text()))
    assert doc and len(doc.strip()) > 20, f"{name} has no docstring saying what it holds"


def test_no_checker_module_over_500_lines_without_a_reason():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in sorted((ROOT / "checker").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES and REASON not in p.read_text()]
    assert not long, f"modules over {MAX_LINES} lines without '{REASON} ...' at the top: {long}"


def test_the_readme_layout_names_every_folder():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    folders = [f"{p.relative_to(ROOT)}/" for p in sorted((ROOT / "checker").iterdir())
               if p.is_dir() and (p / "__init__.py").exists()]
    for f in ["model/", "model/variants/", "impl/", "tests/", "bench/", *folders]:
        assert f"`{f}`" in layout, f"README layout section does not name {f}"
