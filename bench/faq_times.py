"""How long does each `faq` answer take? Each question is answered REPEAT
times in a fresh process (`python -m checker faq QUESTION --json`, so no
cache carries over), and the answer's own seconds and the process's wall
time are reported, best and worst. No target: the answers run the model,
and the figures say what a learner waits (README: Questions learners ask).
Measure on a quiet machine; with other jobs running the figures are noisy.

    python bench/faq_times.py [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def one(key: str) -> tuple[float, float, bool]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "checker", "faq", key, "--json"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    wall = time.perf_counter() - t0
    a = json.loads(p.stdout)["answers"][0]
    return a["seconds"], wall, a["stands"]


def main(argv=None) -> int:
    from checker.generate.faq.questions import QUESTIONS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out = {}
    for key in QUESTIONS:
        runs = [one(key) for _ in range(args.repeat)]
        out[key] = {"answer_s": [round(r[0], 2) for r in runs], "wall_s": [round(r[1], 2) for r in runs],
                    "stands": all(r[2] for r in runs)}
    if args.json:
        print(json.dumps({"load": os.getloadavg(), "questions": out}, indent=1))
    else:
        print(f"load average {os.getloadavg()[0]:.1f}")
        for key, r in out.items():
            print(f"{key:<14} answer {min(r['answer_s']):.2f}-{max(r['answer_s']):.2f} s, process "
                  f"{min(r['wall_s']):.2f}-{max(r['wall_s']):.2f} s{'' if r['stands'] else '  DOES NOT STAND'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
