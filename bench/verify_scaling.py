"""How the two-endpoint exploration grows with the channel capacity and the
faults: global states, edges, seconds and peak memory per run.

    python bench/verify_scaling.py [--max-capacity 3] [--model NAME]
"""

from __future__ import annotations

import argparse
import resource
import time

from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.explore import explore
from checker.load import load_model
from checker.analysis.options import Options


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-capacity", type=int, default=2)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", type=int, default=1)
    ap.add_argument("--max-states", type=int, default=1_000_000)
    args = ap.parse_args()
    model = load_model(args.model)
    profiles = {
        "reliable": dict(loss=False, old_syn=False),
        "loss+old_syn": dict(loss=True, old_syn=True),
        "all faults": dict(loss=True, old_syn=True, duplication=True, reordering=True),
    }
    print(f"{'k':>2} {'faults':<14} {'abort':<6} {'states':>9} {'edges':>10} {'explore s':>9} "
          f"{'checks s':>8} {'states/s':>9} {'maxrss MB':>9}")
    for k in range(1, args.max_capacity + 1):
        for name, faults in profiles.items():
            for abort in (True, False):
                opts = Options(capacity=k, abort=abort, data=args.data, **faults)
                e = explore(model, opts, max_states=args.max_states)
                t0 = time.perf_counter()
                bad = [] if e.truncated else [r.name for r in (c(e) for c in COMPOSED_CHECKS) if r.failed]
                tc = time.perf_counter() - t0
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{k:>2} {name:<14} {str(abort):<6} {e.n_states:>9} {e.n_edges:>10} {e.seconds:>9.2f} "
                      f"{tc:>8.2f} {e.n_states / max(e.seconds, 1e-9):>9.0f} {rss:>9.0f}"
                      + (f"  FAILED {bad}" if bad else "") + ("  (cut: inconclusive)" if e.truncated else ""),
                      flush=True)


if __name__ == "__main__":
    main()
