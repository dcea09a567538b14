"""checker.pool takes the costliest tasks first (so that no long proof
starts last and runs alone) and still reports results in task order."""

from __future__ import annotations

import time

from checker import pool


def _stamp(name: str) -> tuple[str, float]:
    return name, time.monotonic()


def test_costliest_tasks_start_first_and_results_stay_in_order():
    tasks = [pool.Task(f"t:{n}", n, _stamp, (n,), cost) for n, cost in
             (("cheap", 0.1), ("dear", 9.0), ("middling", 2.0))]
    seen = []
    out = pool.run_tasks(tasks, jobs=1, on_done=lambda t, v: seen.append(t.key))
    assert seen == ["t:cheap", "t:dear", "t:middling"]  # reported in task order
    started = sorted(out.done.values(), key=lambda v: v[1])
    assert [n for n, _ in started] == ["dear", "middling", "cheap"]  # run longest first
