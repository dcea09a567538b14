"""`python -m checker verify`: every check, one line each, over one model."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from checker.analysis.composed import COMPOSED_CHECKS, LIVENESS
from checker.analysis.explore import Exploration, explore
from checker.analysis.options import Options
from checker.analysis.wellformed import TABLE_CHECKS, control_graph
from checker.result import FAIL, NA, PASS, CheckResult
from model.machine import Model
from model.state import State


@dataclass
class Report:
    model: Model
    table: list[CheckResult] = field(default_factory=list)
    runs: list[tuple[Exploration, list[CheckResult]]] = field(default_factory=list)
    extra: list[CheckResult] = field(default_factory=list)
    proofs: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def all_checks(self) -> list[CheckResult]:
        out = list(self.table)
        for _, checks in self.runs:
            out += checks
        return out + self.extra + self.proofs

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.all_checks())

    def as_json(self) -> dict:
        return {
            "model": {"name": self.model.name, "source": self.model.source, "rows": len(self.model.rows)},
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "table_checks": [c.as_json() for c in self.table],
            "runs": [{"options": e.opts.as_dict(), "label": e.opts.label(), "states": e.n_states,
                      "edges": e.n_edges, "explore_seconds": round(e.seconds, 3),
                      "truncated": e.truncated, "checks": [c.as_json() for c in cs]}
                     for e, cs in self.runs],
            "coverage": [c.as_json() for c in self.extra],
            "proofs": [c.as_json() for c in self.proofs],
            "failed": [c.name for c in self.all_checks() if c.failed],
        }


def default_runs(base: Options, faults_given: bool) -> list[Options]:
    """Without fault flags: a reliable network and a lossy one with an old
    duplicate SYN; each with and without ABORT/user timeout (which make
    termination trivial, so every property must hold without them too)."""
    profiles = [base] if faults_given else [
        base.with_(loss=False, duplication=False, reordering=False, old_syn=False),
        base.with_(loss=True, old_syn=True)]
    runs = []
    for p in profiles:
        runs += [p.with_(abort=True), p.with_(abort=False)] if p.abort else [p]
    return runs


def check_coverage(model: Model, explorations: list[Exploration]) -> CheckResult:
    """Every state is entered, and every state-changing transition of the
    one-endpoint graph is taken, somewhere in the composed runs."""
    t0 = time.perf_counter()
    fired: set[str] = set()
    seen_states: set[State] = set()
    for e in explorations:
        for hit in e.space.trans.values():
            if hit is not None:
                fired.update(r.name for r in hit[2].fired)
        for c in e.space.cfgs:
            seen_states.add(c.state)
    edges = {(r.state, r.target) for r in model.rows if r.error is None and r.state is not r.target}
    taken = {(r.state, r.target) for r in model.rows if r.name in fired and r.state is not r.target}
    # a pipeline that continues through a state change also takes the later edges
    missed_edges = sorted(edges - taken, key=str)
    missed_states = [s for s in State if s not in seen_states]
    ok = not missed_states
    summary = (f"{len(seen_states)}/{len(State)} states, {len(taken & edges)}/{len(edges)} state changes, "
               f"{len(fired)}/{len(model.rows)} rows exercised")
    res = CheckResult("coverage", "3.3.2 Figure 5 (every state entered in the closed system)",
                      PASS if ok else FAIL, summary, time.perf_counter() - t0,
                      {"states": len(seen_states), "rows_fired": len(fired), "rows": len(model.rows),
                       "edges": len(edges), "edges_taken": len(taken & edges),
                       "edges_missed": [f"{a} -> {b}" for a, b in missed_edges],
                       "rows_not_fired": sorted(r.name for r in model.rows if r.name not in fired)})
    if missed_states:
        res.counterexample = {"kind": "coverage", "why": f"never entered: {', '.join(map(str, missed_states))}",
                              "text": "never entered: " + ", ".join(map(str, missed_states))}
    return res


def run_verify(model: Model, runs: list[Options], max_states: int, progress=None,
               proofs: bool = False) -> Report:
    t0 = time.perf_counter()
    rep = Report(model)
    # The z3 proofs run in a second process while the graphs are explored
    # (the default run is meant for a 2-core machine).
    pending = _start_proofs(model) if proofs else None
    for check in TABLE_CHECKS:
        r = check(model)
        r.run = "table"
        rep.table.append(r)
        if progress:
            progress(r)
    for opts in runs:
        exp = explore(model, opts, max_states=max_states)
        if progress:
            progress(exp)
        results = []
        for check in COMPOSED_CHECKS:
            r = check(exp)
            # A cut state space proves no "for all" claim, and its cut-off
            # frontier looks like dead ends: only a violation found along a
            # real path (a safety counterexample) still stands.
            liveness = check in LIVENESS
            if exp.truncated and (r.status == PASS or liveness):
                r.status = NA
                r.counterexample = None
                r.summary += f" (state space cut at {max_states} states: inconclusive)"
            results.append(r)
            if progress:
                progress(r)
        rep.runs.append((exp, results))
    rep.extra.append(check_coverage(model, [e for e, _ in rep.runs]))
    if progress:
        progress(rep.extra[-1])
    if proofs:
        if progress:
            progress("proofs")
        rep.proofs = _finish_proofs(model, pending)
        if progress:
            for r in rep.proofs:
                progress(r)
    rep.seconds = time.perf_counter() - t0
    return rep


def _proofs_child(rows, name, source):
    from checker.proofs import run_proofs

    return run_proofs(Model(rows, name, source))


def _start_proofs(model: Model):
    import concurrent.futures as cf
    import multiprocessing as mp

    try:
        pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"))
        return pool, pool.submit(_proofs_child, model.rows, model.name, model.source)
    except (OSError, ValueError):  # no fork here: run them inline at the end
        return None


def _finish_proofs(model: Model, pending) -> list[CheckResult]:
    if pending is not None:
        pool, fut = pending
        try:
            return fut.result()
        except Exception:  # the child could not run them (e.g. pickling): run inline
            pass
        finally:
            pool.shutdown()
    from checker.proofs import run_proofs

    return run_proofs(model)


def control_summary(model: Model) -> str:
    g = control_graph(model)
    return f"{len(model.rows)} rows, {g.number_of_edges()} one-endpoint edges over {len(State)} states"
