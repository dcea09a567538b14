"""Timings and sizes of the generated outputs of issue 5 (diagram, explain,
oracle, packetdrill). Run: python bench/issue5_outputs.py"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from checker.generate import diagram as D  # noqa: E402
from checker.generate.composed_view import composed  # noqa: E402
from checker.generate import oracle  # noqa: E402
from checker.generate.explain import SCENARIOS, run_scenario  # noqa: E402
from checker.analysis.options import Options  # noqa: E402
from checker.generate.packetdrill import scripts  # noqa: E402
from model.machine import standard  # noqa: E402


def timed(label, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<48} {time.perf_counter() - t0:7.2f} s")
    return out


def main() -> None:
    m = standard()
    fig = timed("figure5 edges (z3 labels, state changes only)", lambda: D.table_edges(m, loops=False))
    full = timed("full-view edges (every row, z3 labels)", lambda: D.table_edges(m, loops=True))
    print(f"  figure5: {len(D.select(fig, 'figure5'))} edges; full: {len(full)} edges "
          f"({sum(len(e.rows) for e in full)} row attachments)")
    dot = D.to_dot(D.select(fig, "figure5"), "Figure 5", m.name)
    if D.dot_binary():
        svg = timed("dot -Tsvg figure5", lambda: D.render(dot, "svg"))
        png = timed("dot -Tpng figure5", lambda: D.render(dot, "png"))
        print(f"  svg {len(svg)} bytes, png {len(png)} bytes")
    c = timed("composed k=1 reliable no-abort data=0 + checks",
              lambda: composed(m, Options(capacity=1, loss=False, old_syn=False, abort=False, data=0)))
    print(f"  {c.exploration.n_states} states, {c.exploration.n_edges} edges")
    timed(f"explain: all {len(SCENARIOS)} scenarios",
          lambda: [run_scenario(m, n, 100, 300) for n in SCENARIOS])
    doc = timed("oracle --format json (build)", lambda: oracle.build(m))
    print(f"  {len(doc['vectors'])} vectors, {doc['rows_covered']}/{doc['rows']} rows")
    s = timed("oracle --format packetdrill (all scripts)", lambda: scripts(m))
    print(f"  {len(s)} scripts, {sum(x.text.count(chr(10)) for x in s)} lines")


if __name__ == "__main__":
    main()
