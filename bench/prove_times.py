"""Time per z3 proof (checker.proofs) and the wall time of
`python -m checker prove`, with the figures each proof reports.

    python bench/prove_times.py [--model NAME] [--no-cli]

Target (issue 3): `python -m checker prove` under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from checker.load import load_model  # noqa: E402
from checker.proofs import PROOF_NAMES, run_proofs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--no-cli", action="store_true", help="skip timing the command line as a subprocess")
    args = ap.parse_args()
    model = load_model(args.model)
    print(f"model {model.name} ({model.source}), {os.cpu_count()} cpus, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'proof':<16} {'status':<7} {'seconds':>8}  figures")
    t0 = time.perf_counter()
    for r in run_proofs(model, PROOF_NAMES):
        figs = {k: v for k, v in r.figures.items() if not isinstance(v, (list, dict)) or k in ("finished",)}
        if "paths" in r.summary:
            figs["summary"] = r.summary[r.summary.find("("):]
        print(f"{r.name:<16} {r.status:<7} {r.seconds:>8.2f}  {figs}")
    print(f"{'total':<16} {'':<7} {time.perf_counter() - t0:>8.2f}")
    if not args.no_cli:
        cmd = [sys.executable, "-m", "checker", "prove"] + (["--model", args.model] if args.model else [])
        t1 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True,
                           cwd=os.path.join(os.path.dirname(__file__), ".."))
        print(f"`{' '.join(cmd[1:])}`: exit {p.returncode}, {time.perf_counter() - t1:.2f} s wall")


if __name__ == "__main__":
    main()
