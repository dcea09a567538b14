"""Verification at speed: one table of what `verify` costs.

    python bench/verify_speed.py [--json FILE] [--max-capacity N] [--min-capacity N] [--max-states N]
                                 [--spin [--spin-max-capacity N]] [--skip-rates]

- the explorer (checker.analysis.explore) for channel capacities 1..N
  (default 3) and each fault combination (reliable, loss, loss + old SYN,
  loss + reordering, every fault: loss, duplication, reordering, old SYN,
  with at most 4 TCBs per endpoint from SYNs in LISTEN, `--max-tcbs 4`,
  since without a bound that run never ends), with and without ABORT, one
  OPEN per endpoint: reachable states, transitions, wall and CPU seconds of
  the search, states per second, seconds of the graph checks, peak memory
  (each run in its own forked process, so the peak is that run's), and what
  failed or was cut;
- with --spin, the same row through Spin on the export
  (bench/spin_vs_explorer.py's measurement: export + spin -a + gcc + pan,
  and pan alone; pan's memory; whether the state counts are the same);
- the default `python -m checker verify` (wall seconds and its phases);
- each z3 proof (checker.proofs), one after the other in this process, and
  `python -m checker prove` (all of them on the available cores), wall time;
- lockstep events per second (bench/lockstep_rate.py, 10 s) and conform
  segments per second (bench/conform_rate.py, its "all samples" line).

The machine is shared by other sessions: wall times there are noisy, so
CPU seconds are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from checker.analysis.composed import COMPOSED_CHECKS  # noqa: E402
from checker.analysis.explore import explore  # noqa: E402
from checker.analysis.options import Options  # noqa: E402
from checker.load import load_model  # noqa: E402

FAULTS = {
    "reliable": dict(loss=False, old_syn=False),
    "loss": dict(loss=True, old_syn=False),
    "loss+old_syn": dict(loss=True, old_syn=True),
    "loss+reordering": dict(loss=True, old_syn=False, reordering=True),
    "every+tcbs4": dict(loss=True, old_syn=True, duplication=True, reordering=True, tcbs=4),
}


def _one_run(opts: Options, max_states: int, conn) -> None:
    model = load_model(None)
    c0 = time.process_time()
    exp = explore(model, opts, max_states=max_states)
    cpu = time.process_time() - c0
    t0 = time.perf_counter()
    results = [] if exp.truncated else [c(exp) for c in COMPOSED_CHECKS]
    checks = time.perf_counter() - t0
    conn.send({"states": exp.n_states, "edges": exp.n_edges, "explore_s": round(exp.seconds, 3),
               "explore_cpu_s": round(cpu, 3), "states_per_s": round(exp.n_states / max(exp.seconds, 1e-9)),
               "states_per_cpu_s": round(exp.n_states / max(cpu, 1e-9)), "checks_s": round(checks, 3),
               "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "truncated": exp.truncated, "failed": [r.name for r in results if r.failed],
               "verdicts": {r.name: r.status for r in results}})
    conn.close()


def explorer_row(opts: Options, max_states: int) -> dict:
    parent, child = mp.get_context("fork").Pipe(duplex=False)
    p = mp.get_context("fork").Process(target=_one_run, args=(opts, max_states, child))
    p.start()
    child.close()
    try:
        row = parent.recv()
    except EOFError:
        row = {"error": f"the run's process ended with exit code {p.join() or p.exitcode}"}
    p.join()
    return row


def default_verify() -> dict:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "checker", "verify", "--json"], cwd=ROOT, capture_output=True,
                       text=True)
    wall = time.perf_counter() - t0
    doc = json.loads(p.stdout)
    return {"exit": p.returncode, "wall_s": round(wall, 2), "phases": doc.get("phases")}


def proof_rows() -> list[dict]:
    from checker.proofs import PROOF_NAMES, run_proof

    model = load_model(None)
    out = []
    for name in PROOF_NAMES:
        c0 = time.process_time()
        r = run_proof(model, name)
        out.append({"proof": name, "status": r.status, "seconds": round(r.seconds, 3),
                    "cpu_s": round(time.process_time() - c0, 3)})
    return out


def prove_wall() -> dict:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "checker", "prove", "--quiet"], cwd=ROOT, capture_output=True,
                       text=True)
    return {"exit": p.returncode, "wall_s": round(time.perf_counter() - t0, 2)}


def spin_row(opts: Options, timeout: float) -> dict:
    """Spin on the export of the same run (bench/spin_vs_explorer.py)."""
    sys.path.insert(0, HERE)
    from spin_vs_explorer import SPIN, child

    kw = {k: v for k, v in opts.as_dict().items() if v != getattr(Options, k)}
    return child(SPIN.format(root=ROOT, kw=kw), timeout)


def rates() -> dict:
    out = {}
    p = subprocess.run([sys.executable, os.path.join(HERE, "lockstep_rate.py"), "10"], cwd=ROOT,
                       capture_output=True, text=True)
    m = re.search(r"events \(both sides, compared\): (\d+)\s+\((\d+)/s\)", p.stdout)
    out["lockstep_events_per_s"] = int(m.group(2)) if m else None
    p = subprocess.run([sys.executable, os.path.join(HERE, "conform_rate.py"), "--json", "--copies", "20"],
                       cwd=ROOT, capture_output=True, text=True)
    try:
        rows = json.loads(p.stdout)
        out["conform_segments_per_cpu_s"] = next(r["segments_per_s"] for r in rows if r["workload"] == "all samples")
    except (ValueError, StopIteration):
        out["conform_segments_per_cpu_s"] = None
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", metavar="FILE", help="also write every figure as JSON to FILE")
    ap.add_argument("--max-capacity", type=int, default=3)
    ap.add_argument("--min-capacity", type=int, default=1)
    ap.add_argument("--max-states", type=int, default=10_000_000, help="the explorer's cap per row (default 10,000,000)")
    ap.add_argument("--spin", action="store_true", help="also run each row through Spin on the export")
    ap.add_argument("--spin-timeout", type=float, default=600.0, help="seconds per Spin row (default 600)")
    ap.add_argument("--spin-max-capacity", type=int, default=2,
                    help="Spin rows up to this capacity (default 2; beyond, the fault runs fill the memory)")
    ap.add_argument("--skip-rates", action="store_true", help="leave out verify, the proofs, lockstep, conform")
    args = ap.parse_args()
    doc = {"cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "explorer": []}
    print(f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} (other sessions share the machine)")
    print(f"{'k':>2} {'faults':<16} {'abort':<5} {'states':>9} {'edges':>10} {'explore s':>9} {'cpu s':>7} "
          f"{'states/s':>9} {'st/cpu s':>9} {'checks s':>8} {'peak MB':>7}  result"
          + (f"  | {'spin states':>11} {'spin s':>7} {'pan s':>7} {'pan MB':>7} same" if args.spin else ""))
    for k in range(args.min_capacity, args.max_capacity + 1):
        for fname, faults in FAULTS.items():
            for abort in (True, False):
                opts = Options(capacity=k, abort=abort, data=1, opens=1, **faults)
                r = explorer_row(opts, args.max_states)
                r.update({"capacity": k, "faults": fname, "abort": abort, "label": opts.label()})
                doc["explorer"].append(r)
                if "error" in r:
                    print(f"{k:>2} {fname:<16} {str(abort):<5} {r['error']}", flush=True)
                    continue
                result = ("CUT at the state cap" if r["truncated"] else
                          ("FAILED " + ",".join(r["failed"]) if r["failed"] else "all hold"))
                spin = ""
                if args.spin and k > args.spin_max_capacity:
                    spin = f"  | not run (--spin-max-capacity {args.spin_max_capacity})"
                elif args.spin:
                    sp = r["spin"] = spin_row(opts, args.spin_timeout)
                    if "states" in sp and sp.get("complete"):
                        # the same states, and every verdict Spin reached (it leaves some not checked) ours
                        agree = all(v == r["verdicts"].get(n) for n, v in sp["verdicts"].items()
                                    if v != "not checked")
                        same = "yes" if not r["truncated"] and sp["states"] == r["states"] and agree else "NO"
                        spin = (f"  | {sp['states']:>11} {sp['seconds']:>7.2f} {sp['run_seconds']:>7.2f} "
                                f"{sp['pan_mb']:>7.0f} {same}")
                    else:
                        spin = "  | " + (f"over {sp['timeout']:.0f} s" if "timeout" in sp else
                                         sp.get("error") or sp.get("why") or "incomplete")
                print(f"{k:>2} {fname:<16} {str(abort):<5} {r['states']:>9} {r['edges']:>10} {r['explore_s']:>9.2f} "
                      f"{r['explore_cpu_s']:>7.2f} {r['states_per_s']:>9} {r['states_per_cpu_s']:>9} "
                      f"{r['checks_s']:>8.2f} {r['peak_mb']:>7}  {result:<20}{spin}", flush=True)
    if not args.skip_rates:
        v = doc["verify"] = default_verify()
        print(f"\npython -m checker verify: exit {v['exit']}, {v['wall_s']:.2f} s wall; phases {v['phases']}")
        doc["proofs"] = proof_rows()
        print(f"\n{'proof':<16} {'status':<7} {'seconds':>8} {'cpu s':>7}")
        for r in doc["proofs"]:
            print(f"{r['proof']:<16} {r['status']:<7} {r['seconds']:>8.2f} {r['cpu_s']:>7.2f}")
        print(f"{'all, one by one':<16} {'':<7} {sum(r['seconds'] for r in doc['proofs']):>8.2f} "
              f"{sum(r['cpu_s'] for r in doc['proofs']):>7.2f}")
        pw = doc["prove"] = prove_wall()
        print(f"python -m checker prove (all, on {os.cpu_count()} cores): exit {pw['exit']}, {pw['wall_s']:.2f} s wall")
        doc["rates"] = rates()
        print(f"\nlockstep: {doc['rates']['lockstep_events_per_s']} events/s; "
              f"conform: {doc['rates']['conform_segments_per_cpu_s']} segments per CPU second (all samples)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
