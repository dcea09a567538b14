"""Running independent checks in worker processes: results in a fixed order,
a time budget, and Ctrl-C that stops every process of the run at once.

Why processes: z3 answers a check interrupted by SIGINT with "unknown" and
swallows the signal, and a Python thread cannot stop a C call. The parent
only waits; on Ctrl-C or at the time limit it kills the workers, so every
task that had not finished is reported "not checked" with the reason,
never as a verdict. Workers are forked, so they see the model the parent
loaded (a variant loaded from a file included) without pickling it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

INTERRUPTED = "interrupted (Ctrl-C)"

_progress_queue = None  # set in a worker: where `progress` sends its news
_task_key = None


@dataclass
class Task:
    key: str  # unique within one run
    label: str  # what the progress line says while it runs
    fn: Callable  # a module-level function (forked workers look it up by reference)
    args: tuple = ()
    cost: float = 0.0  # expected seconds: the workers take the costliest first (results stay in order)


@dataclass
class Outcome:
    done: dict = field(default_factory=dict)  # key -> value returned
    missing: dict = field(default_factory=dict)  # key -> reason it has no value
    interrupted: bool = False
    seconds: float = 0.0
    streamed: int = 0  # tasks[:streamed] went through on_done, in order


def progress(**info) -> None:
    """Called by a task (e.g. the explorer every few thousand states): the
    parent's progress line shows the latest news of each running task."""
    if _progress_queue is not None:
        try:
            _progress_queue.put_nowait((_task_key, info))
        except (queue.Full, ValueError, OSError):
            pass


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _worker(tasks: list[Task], todo, results, news) -> None:
    global _progress_queue, _task_key
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    _progress_queue = news
    while True:
        i = todo.get()
        if i is None:
            return
        _task_key = tasks[i].key
        t0 = time.perf_counter()
        try:
            value = tasks[i].fn(*tasks[i].args)
            results.put((i, True, value, time.perf_counter() - t0))
        except BaseException as err:  # reported by the parent as "not checked", with the reason
            where = traceback.extract_tb(err.__traceback__)[-1]
            reason = f"{type(err).__name__}: {err} ({os.path.basename(where.filename)}:{where.lineno})"
            results.put((i, False, reason, time.perf_counter() - t0))


def run_tasks(tasks: list[Task], jobs: int | None = None, time_limit: float | None = None,
              on_done: Callable[[Task, Any], None] | None = None,
              on_missing: Callable[[Task, str], None] | None = None,
              on_tick: Callable[[dict, dict], None] | None = None) -> Outcome:
    """Run `tasks` on `jobs` forked workers. `on_done(task, value)` is
    called in task order while the run goes on (`on_missing(task, reason)`
    in its place for a task that raised) (a later task's value waits
    for the earlier ones); after a stop (time limit, Ctrl-C) the rest is in
    `done`/`missing` and `streamed` says how far on_done got. `on_tick(running,
    news)` is called about four times a second with the running tasks'
    labels and their latest progress news."""
    jobs = max(1, min(jobs or default_jobs(), len(tasks) or 1))
    out = Outcome()
    t0 = time.perf_counter()
    if not tasks:
        return out
    ctx = mp.get_context("fork")
    todo, results, news = ctx.Queue(), ctx.Queue(), ctx.Queue(maxsize=10_000)
    # longest first, so that no long task starts last and runs alone (the
    # results are still reported in task order)
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].cost)
    for i in order:
        todo.put(i)
    for _ in range(jobs):
        todo.put(None)
    workers = [ctx.Process(target=_worker, args=(tasks, todo, results, news), daemon=True)
               for _ in range(jobs)]
    for w in workers:
        w.start()
    latest: dict[str, dict] = {}
    finished: dict[int, tuple] = {}
    reported = 0
    deadline = None if time_limit is None else t0 + time_limit
    try:
        while len(finished) < len(tasks):
            if deadline is not None and time.perf_counter() >= deadline:
                for i in range(len(tasks)):
                    if i not in finished:
                        out.missing[tasks[i].key] = f"time limit of {time_limit:g} s reached"
                break
            if not any(w.is_alive() for w in workers) and results.empty():
                for i in range(len(tasks)):
                    if i not in finished:
                        out.missing[tasks[i].key] = "a worker process died"
                break
            try:
                i, ok, value, secs = results.get(timeout=0.25)
                finished[i] = (ok, value)
            except queue.Empty:
                pass
            while True:
                try:
                    key, info = news.get_nowait()
                    latest[key] = info
                except queue.Empty:
                    break
            while reported < len(tasks) and reported in finished:
                ok, value = finished[reported]
                task = tasks[reported]
                if ok:
                    out.done[task.key] = value
                    if on_done:
                        on_done(task, value)
                else:
                    out.missing[task.key] = value
                    if on_missing:
                        on_missing(task, value)
                reported += 1
            if on_tick:
                # the first `jobs` unfinished tasks in dispatch order are the running ones
                running = [tasks[j] for j in order if j not in finished][:jobs]
                on_tick({t.key: t.label for t in running}, latest)
    except KeyboardInterrupt:
        out.interrupted = True
        for i in range(len(tasks)):
            if i not in finished:
                out.missing[tasks[i].key] = INTERRUPTED
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
        for w in workers:
            w.join(timeout=1)
        for q in (todo, results, news):
            q.cancel_join_thread()
            q.close()
    # what finished behind an unfinished earlier task (not streamed yet)
    for i in range(reported, len(tasks)):
        if i in finished:
            ok, value = finished[i]
            if ok:
                out.done[tasks[i].key] = value
            else:
                out.missing[tasks[i].key] = value
    out.streamed = reported
    out.seconds = time.perf_counter() - t0
    return out
