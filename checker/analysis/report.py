"""`python -m checker verify` as work: the table checks (RFC 9293 3.10), one
exploration of the two-endpoint system per run of options with its graph
checks (3.5, 3.6, 3.10), coverage (3.3.2 Figure 5), and the z3 proofs, as
independent tasks on worker processes (`checker.pool`), gathered into one
report whose every check holds, fails or was not checked (with the reason)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from checker import pool
from checker.analysis.composed import COMPOSED_CHECKS, LIVENESS
from checker.analysis.explore import explore
from checker.analysis.options import Options
from checker.analysis.wellformed import TABLE_CHECKS, control_graph
from checker.result import FAIL, NA, PASS, UNCHECKED, CheckResult, NotChecked, exit_status, not_checked
from model.machine import Model
from model.state import State

_MODEL: Model | None = None  # the model of the run, seen by the forked workers


@dataclass
class RunSummary:
    """What the report keeps of one exploration (the graph stays in the worker)."""

    opts: Options
    n_states: int = 0
    n_edges: int = 0
    seconds: float = 0.0
    truncated: bool = False
    cut_reason: str = ""
    fired: frozenset = frozenset()  # row names fired somewhere in the run
    states: frozenset = frozenset()  # endpoint states entered
    explored: bool = True  # False: the exploration itself did not finish
    engine: str = "explorer"  # or "spin" (verify --engine spin: n_edges are pan's transitions)
    detail: str = ""  # the engine's own figures, printed with the run line


@dataclass
class Report:
    model: Model
    table: list[CheckResult] = field(default_factory=list)
    runs: list[tuple[RunSummary, list[CheckResult]]] = field(default_factory=list)
    extra: list[CheckResult] = field(default_factory=list)
    proofs: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    items: dict = field(default_factory=dict)  # task key -> its CheckResult or (RunSummary, results)
    late: list = field(default_factory=list)  # task keys not streamed to `progress` (after a stop)

    def all_checks(self) -> list[CheckResult]:
        out = list(self.table)
        for _, checks in self.runs:
            out += checks
        return out + self.extra + self.proofs

    @property
    def ok(self) -> bool:
        return self.exit_status() == 0

    def exit_status(self) -> int:
        return exit_status(self.all_checks(), self.interrupted)

    def phases(self) -> dict:
        """Seconds per phase, each summed over its tasks (the tasks run in
        parallel, so the phases add up to more than the wall time)."""
        return {"table_checks": round(sum(c.seconds for c in self.table), 3),
                "explorations": [round(e.seconds, 3) for e, _ in self.runs],
                "graph_checks": [round(sum(c.seconds for c in cs), 3) for _, cs in self.runs],
                "coverage": round(sum(c.seconds for c in self.extra), 3),
                "proofs": round(sum(c.seconds for c in self.proofs), 3),
                "wall": round(self.seconds, 3)}

    def as_json(self) -> dict:
        checks = self.all_checks()
        return {
            "model": {"name": self.model.name, "source": self.model.source, "rows": len(self.model.rows)},
            "ok": self.ok,
            "exit_status": self.exit_status(),
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "phases": self.phases(),
            "counts": {s: sum(c.status == s for c in checks) for s in (PASS, FAIL, UNCHECKED, NA)},
            "table_checks": [c.as_json() for c in self.table],
            "runs": [{"options": e.opts.as_dict(), "label": e.opts.label(), "states": e.n_states,
                      "edges": e.n_edges, "explore_seconds": round(e.seconds, 3),
                      "truncated": e.truncated, "cut_reason": e.cut_reason,
                      "checks": [c.as_json() for c in cs]}
                     for e, cs in self.runs],
            "coverage": [c.as_json() for c in self.extra],
            "proofs": [c.as_json() for c in self.proofs],
            "failed": [c.name for c in checks if c.failed],
            "not_checked": [c.name for c in checks if c.unchecked],
        }


def default_runs(base: Options, faults_given: bool, opens_given: bool = False) -> list[Options]:
    """Without fault flags: a reliable network, a lossy one with two
    incarnations and a lossy one with an old duplicate SYN; each with and
    without ABORT/user timeout (which make termination trivial, so every
    property must hold without them too). Without --opens, the reliable and
    the first lossy runs let each endpoint OPEN twice (a reconnect, a server
    that listens again, an active OPEN from LISTEN); to stay fast, the first
    lossy run sends no data and the one with the old SYN opens once
    (`--opens 2` runs every run with two: the old-SYN run then covers the
    other lossy one)."""
    opens = (lambda n: base.opens) if opens_given else (lambda n: n)
    profiles = [base] if faults_given else [
        base.with_(loss=False, duplication=False, reordering=False, old_syn=False, opens=opens(2)),
        *([] if opens_given else [base.with_(loss=True, old_syn=False, opens=2, data=0)]),
        base.with_(loss=True, old_syn=True, opens=opens(1))]
    runs = []
    for p in profiles:
        runs += [p.with_(abort=True), p.with_(abort=False)] if p.abort else [p]
    return runs


def run_assumptions(o: Options) -> list[str]:
    """The bounds and abstractions every graph verdict of a run rests on."""
    out = [f"{o.opens} OPEN{'s' if o.opens > 1 else ''} per endpoint"
           + (f"; a later TCB's ISS = the previous ISS + {', +'.join(map(str, o.steps()))} (3.4.1 clock"
              + ("" if o.iss_steps else ": just beyond the 1 + data + 1 numbers an incarnation uses") + ")"
              if o.opens > 1 else ""),
           f"at most {o.capacity} segment{'s' if o.capacity > 1 else ''} per direction before a user call or "
           "retransmission waits (replies are never refused)",
           f"{o.data} octet{'s' if o.data != 1 else ''} of data per endpoint, one per SEND; RCV.WND {o.rcv_wnd}",
           "TIME-WAIT's 2MSL outlasts every segment in the network: it expires only with the network empty "
           "(MSL, 3.4.2; MUST-13)",
           "retransmission and loss are untimed: a timeout may fire whenever its timer runs"]
    if not o.abort:
        out.append("R2 = infinity (MUST-21): no side ever gives up retransmitting" if not o.r2 else
                   "R2 is finite (3.8.3, MUST-20): a cycle in which a side of a half-open connection "
                   "retransmits in every state ends by R2 (no-livelock counts such cycles apart; the runs "
                   "with the user timeout draw that ending)")
    if o.tcbs:
        out.append(f"at most {o.tcbs} TCB{'s' if o.tcbs > 1 else ''} per endpoint from SYNs taken in LISTEN "
                   "(--max-tcbs): beyond it a listener leaves a SYN in the network, which may lose it; every "
                   "bounded run is a run of the table (without the bound, each duplicated or reordered SYN "
                   "that reaches LISTEN moves the ISS on by the clock's step, around all 2^32 values)")
    if o.opens > 1:
        out.append("segments of one incarnation arrive in order" + (" or not (--reordering)" if o.reordering else "")
                   + "; an earlier incarnation's may arrive late, behind a later one's")
    return out


# --- the names a user can select -----------------------------------------------------------

TABLE = {fn.check_name: fn for fn in TABLE_CHECKS}
COMPOSED = {fn.check_name: fn for fn in COMPOSED_CHECKS}
COVERAGE = "coverage"


def proof_names() -> tuple[str, ...]:
    from checker.proofs import PROOF_NAMES

    return PROOF_NAMES


def all_check_names() -> list[str]:
    return [*TABLE, *COMPOSED, COVERAGE, *proof_names()]


def describe_checks() -> list[tuple[str, str, str]]:
    """(name, group, RFC reference) of every check, for --list-checks."""
    from checker.proofs import proof_ref

    out = [(n, "table", f.check_ref) for n, f in TABLE.items()]
    out += [(n, "composed", f.check_ref) for n, f in COMPOSED.items()]
    out.append((COVERAGE, "composed", COVERAGE_REF))
    out += [(n, "proof", proof_ref(n)) for n in proof_names()]
    return out


# --- tasks (run in forked workers; they read _MODEL) ---------------------------------------

# Seconds each task took on the standard table (2-core machine, quiet), only
# to start the long ones first (`checker.pool`); a new check costs 0.5.
COST = {"rows-fire": 1.2, "complete": 0.2, "row-soundness": 6.0, "drops": 4.0, "close": 1.8,
        "handshake": 1.5, "acceptability": 1.1, "reset-safety": 0.8, "comparison": 0.2,
        "retransmission": 0.1, "calls": 0.15}


def run_cost(o: Options) -> float:
    """A rough guess of a run's seconds: states grow about tenfold per unit of capacity."""
    return (1.0 * 10 ** (o.capacity - 1) * (1.5 if o.loss else 1) * (3 if o.duplication or o.reordering else 1)
            * o.opens * (1.5 if o.abort else 1))


def _table_task(name: str) -> CheckResult:
    r = _decided(name, TABLE[name].check_ref, lambda: TABLE[name](_MODEL))
    r.run = "table"
    return r


def _decided(name, ref, fn) -> CheckResult:
    t0 = time.perf_counter()
    try:
        return fn()
    except NotChecked as err:
        return not_checked(name, ref, str(err), time.perf_counter() - t0)


def _run_task(opts: Options, max_states: int, names: tuple[str, ...]):
    def news(n_states, frontier, seconds):
        pool.progress(states=n_states, queue=frontier, rate=n_states / max(seconds, 1e-9), rss_mb=rss_mb())

    exp = explore(_MODEL, opts, max_states=max_states, progress=news)
    summary = summarize(exp, max_states)
    assumptions = run_assumptions(opts)
    results = []
    for name in names:
        r = judge(COMPOSED[name], exp, max_states)
        r.run = opts.label()
        r.assumptions = assumptions
        results.append(r)
    return summary, results


def rss_mb() -> float:
    """This process's resident memory now, in MB (0 where /proc is absent)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _proof_task(name: str) -> CheckResult:
    from checker.proofs import run_proof

    return run_proof(_MODEL, name)


def cap_advice(opts) -> str:
    """What to try when a run hits the state cap."""
    if (opts.duplication or opts.reordering) and not opts.tcbs:
        # each SYN that reaches LISTEN again makes a TCB at the next ISS: no search ends
        return ("--max-tcbs N" + ("" if opts.loss else " with --loss") + ": duplicated or reordered SYNs make TCB "
                "after TCB, each at a new ISS, so without a bound no search ends; or --engine spin")
    return "--max-states, fewer faults, or --engine spin"


def summarize(exp, max_states: int) -> RunSummary:
    """The RunSummary of an Exploration (what coverage and the report need)."""
    return RunSummary(exp.opts, exp.n_states, exp.n_edges, exp.seconds, exp.truncated,
                      f"state cap of {max_states} states reached (try {cap_advice(exp.opts)})"
                      if exp.truncated else "",
                      frozenset(fired_rows(exp)), frozenset(c.state for c in exp.space.cfgs))


def fired_rows(exp) -> set[str]:
    fired = set()
    for hit in exp.space.trans.values():
        if hit is not None:
            fired.update(r.name for r in hit[2].fired)
    return fired


COVERAGE_REF = "3.3.2 Figure 5 (every state entered in the closed system)"


def check_coverage(model: Model, runs: list[RunSummary]) -> CheckResult:
    """Every state is entered, and every state-changing transition of the
    one-endpoint graph is taken, somewhere in the composed runs."""
    t0 = time.perf_counter()
    if not runs or not all(r.explored for r in runs):
        return not_checked(COVERAGE, COVERAGE_REF, "needs every composed run to finish")
    fired: set[str] = set().union(*(r.fired for r in runs))
    seen_states: set[State] = set().union(*(r.states for r in runs))
    edges = {(r.state, r.target) for r in model.rows if r.error is None and r.state is not r.target}
    taken = {(r.state, r.target) for r in model.rows if r.name in fired and r.state is not r.target}
    missed_edges = sorted(edges - taken, key=str)
    missed_states = [s for s in State if s not in seen_states]
    ok = not missed_states
    summary = (f"{len(seen_states)}/{len(State)} states, {len(taken & edges)}/{len(edges)} state changes, "
               f"{len(fired)}/{len(model.rows)} rows exercised")
    res = CheckResult(COVERAGE, COVERAGE_REF, PASS if ok else FAIL, summary, time.perf_counter() - t0,
                      {"states": len(seen_states), "rows_fired": len(fired), "rows": len(model.rows),
                       "edges": len(edges), "edges_taken": len(taken & edges),
                       "edges_missed": [f"{a} -> {b}" for a, b in missed_edges],
                       "rows_not_fired": sorted(r.name for r in model.rows if r.name not in fired)},
                      run="composed runs together")
    if missed_states:
        res.counterexample = {"kind": "coverage", "why": f"never entered: {', '.join(map(str, missed_states))}",
                              "text": "never entered: " + ", ".join(map(str, missed_states))}
    if any(r.truncated for r in runs) and res.status == FAIL:
        res = not_checked(COVERAGE, COVERAGE_REF, "a composed run was cut at the state cap", res.seconds)
    return res


def judge(check, exp, max_states: int) -> CheckResult:
    """One graph check on one exploration. A cut state space proves no "for
    all" claim, and its cut-off frontier looks like dead ends: only a
    violation found along a real path (a safety counterexample) still
    stands; anything else is not checked, with the reason."""
    r = _decided(check.check_name, check.check_ref, lambda: check(exp))
    if exp.truncated and (r.status == PASS or (check in LIVENESS and r.status == FAIL)):
        r = not_checked(r.name, r.ref, f"state cap of {max_states} states reached (use {cap_advice(exp.opts)})",
                        r.seconds, run=exp.opts.label())
    return r


# --- the run --------------------------------------------------------------------------------

def run_verify(model: Model, runs: list[Options], max_states: int, progress=None, proofs: bool = False,
               checks=None, jobs: int | None = None, time_limit: float | None = None,
               on_tick=None) -> Report:
    """Every selected check (default: all; `checks` is a set of names) as
    tasks on worker processes. `progress(item)` is called in order with each
    table CheckResult, each (RunSummary, [CheckResult]) and each proof."""
    global _MODEL
    t0 = time.perf_counter()
    want = set(all_check_names()) if checks is None else set(checks)
    if not proofs:
        want -= set(proof_names())
    composed = tuple(n for n in COMPOSED if n in want)
    explore_runs = bool(composed) or COVERAGE in want
    tasks = [pool.Task(f"table:{n}", n, _table_task, (n,), COST.get(n, 0.1)) for n in TABLE if n in want]
    if explore_runs:
        tasks += [pool.Task(f"run:{i}", f"explore {o.label()}", _run_task, (o, max_states, composed), run_cost(o))
                  for i, o in enumerate(runs)]
    tasks += [pool.Task(f"proof:{n}", n, _proof_task, (n,), COST.get(n, 0.5)) for n in proof_names() if n in want]
    run_keys = [t.key for t in tasks if t.key.startswith("run:")]
    summaries: dict[str, RunSummary] = {}
    coverage: list[CheckResult] = []
    want_cov = COVERAGE in want and explore_runs

    def done(task, value):
        if progress:
            progress(value)
        if task.key in run_keys:
            summaries[task.key] = value[0]
            if want_cov and len(summaries) == len(run_keys):  # coverage as soon as every run is in
                coverage.append(check_coverage(model, [summaries[k] for k in run_keys]))
                if progress:
                    progress(coverage[0])

    def unchecked(t, reason):
        kind, name = t.key.split(":", 1)
        if kind == "table":
            return not_checked(name, TABLE[name].check_ref, reason, run="table")
        if kind == "proof":
            from checker.proofs import proof_ref

            return not_checked(name, proof_ref(name), reason, run="z3")
        opts = runs[int(name)]
        return (RunSummary(opts, explored=False, cut_reason=reason),
                [not_checked(n, COMPOSED[n].check_ref, reason, run=opts.label()) for n in composed])

    def missed(task, reason):  # a task that raised: printed in its place, with the reason
        done(task, unchecked(task, reason))

    _MODEL = model
    try:
        out = pool.run_tasks(tasks, jobs=jobs, time_limit=time_limit, on_done=done, on_missing=missed,
                             on_tick=on_tick)
    finally:
        _MODEL = None
    rep = Report(model, interrupted=out.interrupted)
    for t in tasks:
        kind = t.key.split(":", 1)[0]
        value = out.done.get(t.key) or unchecked(t, out.missing.get(t.key, ""))
        {"table": rep.table, "proof": rep.proofs}.get(kind, rep.runs).append(value)
        rep.items[t.key] = value
    rep.late = [t.key for t in tasks[out.streamed:]]
    if want_cov:
        if not coverage:  # a stop came first: judged on what there is (not checked if a run is missing)
            cov = check_coverage(model, [s for s, _ in rep.runs])
            coverage.append(cov if not (out.interrupted and cov.unchecked)
                            else not_checked(COVERAGE, COVERAGE_REF, pool.INTERRUPTED))
            rep.late.insert(len([k for k in rep.late if k.startswith(("table:", "run:"))]), COVERAGE)
        rep.extra = coverage
        rep.items[COVERAGE] = coverage[0]
    rep.seconds = time.perf_counter() - t0
    return rep


def control_summary(model: Model) -> str:
    g = control_graph(model)
    return f"{len(model.rows)} rows, {g.number_of_edges()} one-endpoint edges over {len(State)} states"


__all__ = ["FAIL", "Report", "RunSummary", "check_coverage", "default_runs", "run_verify"]
