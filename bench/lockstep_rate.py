"""How fast the lockstep test (tests/impl/test_lockstep.py) runs, and how much of
the table it reaches.

    python bench/lockstep_rate.py SECONDS

Runs the lockstep machine (model beside impl.Endpoint, RFC 9293 3.10) with
the `deep` profile's settings (tests/conftest.py: stateful_step_count=100)
in batches of fresh random examples until SECONDS have passed, then prints
the steps run and steps per second. "Events" are the events applied to both
the model and the endpoint (user calls, timeouts, segment arrivals, each one
compared); "rule steps" are hypothesis steps (a rule may apply several events,
or none: peer-only rules). Also prints the table rows fired at least once.
Exit 1 (after printing the program) if a disagreement is found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT]

from hypothesis import Phase, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

import tests.conftest  # noqa: E402,F401  (registers the ci and deep profiles)
from tests.impl import test_lockstep  # noqa: E402
from tests.impl.test_lockstep import MODEL, Disagreement, Lockstep  # noqa: E402


class Counted(Lockstep):
    rule_steps = 0

    def check_invariants(self, *args, **kwargs):  # hypothesis calls this after every step
        type(self).rule_steps += 1
        return super().check_invariants(*args, **kwargs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seconds", type=float, help="how long to run")
    ap.add_argument("--batch", type=int, default=50, help="examples per hypothesis run (default 50)")
    args = ap.parse_args(argv)
    deep = settings.get_profile("deep")
    batch = settings(deep, max_examples=args.batch, database=None, derandomize=False,
                     phases=(Phase.generate, Phase.shrink), print_blob=False)
    t0 = time.perf_counter()
    runs = 0
    status = 0
    try:
        while time.perf_counter() - t0 < args.seconds:
            run_state_machine_as_test(Counted, settings=batch)
            runs += 1
    except Disagreement as exc:
        print(f"DISAGREEMENT: {exc}", file=sys.stderr)
        status = 1
    secs = time.perf_counter() - t0
    events = Lockstep.steps
    fired = Lockstep.rows_fired
    names = [r.name for r in MODEL.rows]
    reached = sum(1 for n in names if fired[n])
    print(f"profile deep (stateful_step_count={deep.stateful_step_count}), "
          f"{runs} batches of {args.batch} examples, {secs:.1f} s")
    print(f"events (both sides, compared): {events}  ({events / secs:.0f}/s)")
    print(f"rule steps (hypothesis):       {Counted.rule_steps}  ({Counted.rule_steps / secs:.0f}/s)")
    print(f"table rows fired: {reached}/{len(names)}")
    missing = [n for n in names if not fired[n]]
    if missing:
        print("never fired: " + ", ".join(missing))
    return status


if __name__ == "__main__":
    sys.exit(main())
