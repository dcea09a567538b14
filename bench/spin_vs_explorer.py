"""The explorer and Spin side by side on the same model (issue 12): for
channel capacities 1..3 and fault combinations, the reachable states,
transitions, wall time and peak memory of the explorer
(`checker.analysis.explore`, the search alone) and of Spin on the Promela
export (`python -m checker export`; generation + spin -a + gcc + pan, and
pan alone, which includes the exported checks since they are assertions in
the search). Every measurement runs in a fresh process; the explorer's
memory is its peak resident set, Spin's is what pan reports ("total actual
memory usage") and the peak resident set of the whole child (gcc included).
A run over --timeout seconds, or the explorer over --max-states, is shown as
such, never as a figure. The machine has 2 cores and other sessions run on
it: the times are noisy (run it more than once).

    python bench/spin_vs_explorer.py [--capacities 1,2,3] [--faults reliable,loss,...]
                                     [--timeout 300] [--max-states 10000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FAULTS = {
    "reliable": {},
    "loss": {"loss": True},
    "loss+old_syn": {"loss": True, "old_syn": True},
    "loss+reordering": {"loss": True, "reordering": True},
    "every fault": {"loss": True, "duplication": True, "reordering": True, "old_syn": True},
    # the same with the TCB bound (--max-tcbs 4): without it duplicated SYNs walk
    # the ISS round all 2^32 values and neither engine ends (Options.tcbs)
    "every fault tcbs4": {"loss": True, "duplication": True, "reordering": True, "old_syn": True, "tcbs": 4},
}

EXPLORER = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.explore import explore
from checker.analysis.options import Options
from model.machine import standard
o = Options(**{kw!r})
t0 = time.perf_counter()
e = explore(standard(), o, max_states={cap!r})
dt = time.perf_counter() - t0
verdicts = {{}} if e.truncated else {{f.check_name: f(e).status for f in COMPOSED_CHECKS}}
print(json.dumps({{"states": e.n_states, "transitions": e.n_edges, "seconds": dt, "capped": e.truncated,
                   "total_seconds": time.perf_counter() - t0, "verdicts": verdicts,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

SPIN = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.options import Options
from checker.generate.promela.engine import spin_run
from model.machine import standard
o = Options(**{kw!r})
t0 = time.perf_counter()
pan, results = spin_run(standard(), o, [f.check_name for f in COMPOSED_CHECKS])
dt = time.perf_counter() - t0
s = pan.seconds
print(json.dumps({{"states": pan.states, "transitions": pan.transitions, "seconds": dt,
                   "build_seconds": s["generate"] + s["spin"] + s["compile"], "run_seconds": s["run"],
                   "complete": pan.complete, "why": pan.incomplete_why, "pan_mb": pan.memory_mb,
                   "peak_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
                   "verdicts": {{r.name: r.status for r in results}}}}))
"""


def child(code: str, timeout: float) -> dict:
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(capacity: int, faults: str, timeout: float, max_states: int) -> dict:
    kw = {"capacity": capacity, "loss": False, "old_syn": False, **FAULTS[faults]}
    ex = child(EXPLORER.format(root=ROOT, kw=kw, cap=max_states), timeout)
    sp = child(SPIN.format(root=ROOT, kw=kw), timeout)
    same = ("states" in ex and "states" in sp and not ex.get("capped") and sp.get("complete")
            and ex["states"] == sp["states"])
    return {"capacity": capacity, "faults": faults, "options": kw, "explorer": ex, "spin": sp, "same_states": same}


def _cell(d: dict, key: str, fmt: str) -> str:
    if "timeout" in d:
        return f">{d['timeout']:.0f}s"
    if "error" in d:
        return "error"
    if key == "states" and d.get("capped"):
        return f"cap {d['states']}"
    return format(d[key], fmt)


def table(rows: list[dict]) -> str:
    head = (f"{'k':>2} {'faults':<16} {'explorer states':>16} {'edges':>9} {'search':>8} {'total':>8} {'peak MB':>8} | "
            f"{'spin states':>11} {'transitions':>11} {'total':>7} {'pan':>7} {'pan MB':>7} {'peak MB':>8} same")
    out = [head, "-" * len(head)]
    for r in rows:
        ex, sp = r["explorer"], r["spin"]
        out.append(f"{r['capacity']:>2} {r['faults']:<16} {_cell(ex, 'states', 'd'):>16} "
                   f"{_cell(ex, 'transitions', 'd'):>9} {_cell(ex, 'seconds', '.2f'):>8} "
                   f"{_cell(ex, 'total_seconds', '.2f'):>8} "
                   f"{_cell(ex, 'peak_mb', '.0f'):>8} | {_cell(sp, 'states', 'd'):>11} "
                   f"{_cell(sp, 'transitions', 'd'):>11} {_cell(sp, 'seconds', '.2f'):>7} "
                   f"{_cell(sp, 'run_seconds', '.2f'):>7} {_cell(sp, 'pan_mb', '.0f'):>7} "
                   f"{_cell(sp, 'peak_mb', '.0f'):>8} {'yes' if r['same_states'] else '-'}")
    out.append("explorer search: the search alone (edges: distinct state pairs); explorer total: the search and "
               "every graph check (as verify runs them); spin total: export + spin -a + gcc -O2 + pan (the checks "
               "included); pan: the search alone (transitions: every one pan executed)")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--capacities", default="1,2,3")
    p.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, of: {', '.join(FAULTS)}")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per measurement (default 300)")
    p.add_argument("--max-states", type=int, default=10_000_000, help="the explorer's cap (default 10,000,000)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = []
    for k in (int(x) for x in args.capacities.split(",")):
        for f in args.faults.split(","):
            if f not in FAULTS:
                p.error(f"unknown fault combination {f!r}")
            rows.append(measure(k, f, args.timeout, args.max_states))
            if not args.json:
                print(table(rows[-1:]).splitlines()[2], flush=True)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        print()
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
