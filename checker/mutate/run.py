"""Running mutants through the checks of `verify`, in parallel, until the
first kill (RFC 9293 sections: those of the checks, see checker/analysis
and checker/proofs).

Each mutant runs in its own forked process (at most `jobs` at a time), so
that a per-mutant timeout can stop it and a check that z3 cannot finish
never stalls the run. The checks are those of `verify` on its default runs
(checker.analysis.report: table checks, the graph checks of the four
default explorations, coverage, the z3 proofs), cheapest first, and a
mutant stops at the first check that FAILS: that check killed it.

Verdicts (a mutant has exactly one):
- stillborn: `Model()` rejects the mutated table (exit-2 material, not a
  kill: no check ever ran);
- killed: a check failed (the check, its run and counterexample length);
- equivalent: past the table checks (which read the rows themselves),
  `equivalence` proves with z3 that the mutant has the table's step
  relation on every configuration of the endpoint invariant; no proof or
  graph can then tell it apart, so none runs;
- survived: every check ran and none failed, and z3 found where the mutant
  differs from the table (a missing check);
- not checked: the mutant timed out, a check could not decide where it
  decides on the table (a cut state space, z3 "unknown"), or a check
  raised; never counted as killed or survived.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.explore import explore
from checker.analysis.options import Options
from checker.analysis.report import check_coverage, default_runs, judge, summarize
from checker.analysis.wellformed import TABLE_CHECKS
from checker.result import FAIL, NA, PASS, UNCHECKED
from model.machine import Model, ModelError

KILLED, SURVIVED, EQUIVALENT, STILLBORN, NOT_CHECKED = "killed", "survived", "equivalent", "stillborn", "not checked"
VERDICTS = (KILLED, EQUIVALENT, SURVIVED, STILLBORN, NOT_CHECKED)
# Cheapest kill first (measured on samples of mutants): a check not named
# here (one added to verify later) runs after the named ones of its kind.
# The one-step proofs cost 0.04-0.7 s a mutant and kill about half of all
# mutants; the six explorations cost about 0.6 s each and kill a fifth; the
# two whole-exchange proofs (close, row-soundness) cost 1-1.5 s and rarely
# kill what the others spare. So: table, quick proofs, graphs, slow proofs.
TABLE_COST = ("check_one_endpoint", "check_complete", "check_handshake_ack", "check_rows_fire")
PROOF_COST = ("comparison", "calls", "retransmission", "reset-safety", "acceptability", "handshake", "drops",
              "close", "row-soundness")
SLOW_PROOFS = ("close", "row-soundness")
MAX_STATES = 200_000  # per exploration: about 4 times the standard table's largest default run


@dataclass
class Settings:
    jobs: int = 2
    timeout: float = 300.0  # seconds per mutant
    max_states: int = MAX_STATES
    all_checks: bool = False  # run every check, not only until the first kill
    oracles: bool = True
    equivalence: bool = True


def _ordered(items, cost, key):
    return sorted(items, key=lambda x: cost.index(key(x)) if key(x) in cost else len(cost))


def steps(model: Model, max_states: int):
    """(name, thunk) pairs in the order they run; a thunk returns the
    CheckResults of its step. Explorations are kept for coverage."""
    from checker.proofs import PROOF_NAMES, run_proofs

    out = []
    for check in _ordered(TABLE_CHECKS, TABLE_COST, lambda f: f.__name__):
        out.append((check.__name__.removeprefix("check_").replace("_", "-"), lambda c=check: [c(model)]))
    explored = []
    proofs = _ordered(PROOF_NAMES, PROOF_COST, lambda n: n)

    def proof(name):
        out.append((name, lambda n=name: run_proofs(model, [n])))

    for name in proofs:
        if name not in SLOW_PROOFS:
            proof(name)

    def graph(opts):
        exp = explore(model, opts, max_states=max_states)
        explored.append(exp)
        results = [judge(c, exp, max_states) for c in COMPOSED_CHECKS]
        for r in results:
            r.run = r.run or opts.label()
        return results

    for opts in default_runs(Options(), False):
        out.append((f"explore {opts.label()}", lambda o=opts: graph(o)))
    out.append(("coverage", lambda: [check_coverage(model, [summarize(e, max_states) for e in explored])]))
    for name in proofs:
        if name in SLOW_PROOFS:
            proof(name)
    return out


def cex_length(cex: dict | None) -> int | None:
    """Steps of a counterexample: the ladder's segments and calls, the
    replayed events of a proof, 1 for one step; 0 for a finding about the
    table itself (a dead row, a hole, an unreachable state)."""
    if not cex:
        return None
    if cex.get("steps"):
        return len(cex["steps"])
    if cex.get("length"):
        return cex["length"]
    if cex.get("events"):
        return len(cex["events"])
    return 1 if cex.get("kind") == "step" else 0


@dataclass
class Baseline:
    """What the checks say about the unmutated table: (check, run) -> status.
    A check that fails on the table cannot kill a mutant; one that is n/a
    there (established-iff with loss) is n/a for the mutants too."""

    status: dict = field(default_factory=dict)
    seconds: float = 0.0

    def failing(self) -> list[str]:
        return sorted({f"{n} ({r})" if r else n for (n, r), s in self.status.items() if s == FAIL})


def baseline(model: Model, max_states: int = MAX_STATES, progress=None) -> Baseline:
    t0 = time.perf_counter()
    b = Baseline()
    for name, thunk in steps(model, max_states):
        if progress:
            progress(name)
        for r in thunk():
            b.status[(r.name, r.run)] = r.status
    b.seconds = time.perf_counter() - t0
    return b


# --- one mutant ---------------------------------------------------------------

def judge_mutant(m, base: Baseline, settings: Settings, context, send=lambda msg: None) -> dict:
    """The verdict of one mutant (a JSON-able dict). `context` holds what the
    oracle replay and the equivalence proof need (see `prepare`)."""
    t0 = time.perf_counter()
    out = {**m.as_json(), "verdict": None, "killed_by": None, "kills": [], "inconclusive": [],
           "errors": [], "checks_run": 0}
    try:
        model = Model(list(m.rows), m.id, "mutant " + m.id)
    except ModelError as err:
        out.update(verdict=STILLBORN, why=str(err).split(": ", 1)[-1], seconds=round(time.perf_counter() - t0, 3))
        return out
    if settings.oracles and context is not None:
        from checker.mutate.oracles import oracle_verdict

        send(("check", "oracles"))
        out["oracle"] = oracle_verdict(model, context)
    table_checks = len(TABLE_CHECKS)
    eq = None
    for k, (name, thunk) in enumerate(steps(model, settings.max_states)):
        if k == table_checks and not out["kills"] and settings.equivalence and context is not None \
                and not settings.all_checks:
            # Past the table checks (which read the rows themselves), a mutant with the table's
            # step relation on every configuration of the invariant (a superset of the reachable
            # ones: proof row-soundness) cannot be told apart by a proof or a graph: ask z3 first.
            from checker.mutate.equivalence import equivalent

            send(("check", "equivalence"))
            eq = equivalent(context.standard, model)
            if eq["equivalent"]:
                out.update(verdict=EQUIVALENT, equivalence=eq, seconds=round(time.perf_counter() - t0, 3))
                return out
        send(("check", name))
        try:
            results = thunk()
        except Exception as err:  # a check that cannot cope with this table: not checked, reported
            out["errors"].append(f"{name}: {type(err).__name__}: {err} "
                                 f"[{traceback.extract_tb(err.__traceback__)[-1].name}]")
            continue
        out["checks_run"] += len(results)
        for r in results:
            was = base.status.get((r.name, r.run), PASS)
            if r.status == FAIL and was != FAIL:
                cex = r.counterexample or {}
                out["kills"].append({"check": r.name, "run": r.run, "why": cex.get("why") or r.summary,
                                     "length": cex_length(r.counterexample)})
            elif r.status == UNCHECKED or (r.status == NA and was == PASS):
                out["inconclusive"].append({"check": r.name, "run": r.run, "why": r.summary})
        if out["kills"] and not settings.all_checks:
            break
    if out["kills"]:
        out["verdict"], out["killed_by"] = KILLED, out["kills"][0]
        if context is not None and "oracle" in out:
            send(("check", "observable"))
            observable(out["oracle"], model, context)
    elif out["inconclusive"] or out["errors"]:
        out["verdict"] = NOT_CHECKED
    else:
        out["verdict"] = SURVIVED
        if settings.equivalence and context is not None:
            from checker.mutate.equivalence import equivalent

            if eq is None:
                send(("check", "equivalence"))
                eq = equivalent(context.standard, model)
            out["equivalence"] = eq
            if eq["equivalent"]:
                out["verdict"] = EQUIVALENT
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def observable(oracle: dict, model: Model, context) -> None:
    """For a mutant verify killed and the oracles missed: can any input show
    it? (The oracles see outcomes only; only a proof of "no input can",
    never z3 giving up, makes it unobservable.)"""
    if oracle["killed"]:
        return
    from checker.mutate.equivalence import first_difference

    oracle["observable"] = first_difference(context.standard, model)[0] != "same"


# --- many mutants, in parallel ---------------------------------------------------

_JOB: dict = {}  # what forked children read: set by run_mutants before forking


def _child(i: int, conn) -> None:
    job = _JOB
    try:
        res = judge_mutant(job["mutants"][i], job["base"], job["settings"], job["context"], conn.send)
        conn.send(("done", res))
    except BaseException as err:  # report, never hang the parent
        conn.send(("crash", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def run_mutants(mutants, base: Baseline, settings: Settings, context=None, on_result=None) -> list[dict]:
    """Every mutant's verdict, in the order of `mutants`. `on_result(res,
    done, total)` is called as each one finishes. At most `settings.jobs`
    processes run at once; a mutant running past `settings.timeout` seconds
    is stopped and reported not checked (naming the check it was in)."""
    _JOB.update(mutants=mutants, base=base, settings=settings, context=context)
    if settings.jobs <= 1 and settings.timeout <= 0:
        results = []
        for k, m in enumerate(mutants):
            results.append(judge_mutant(m, base, settings, context))
            if on_result:
                on_result(results[-1], k + 1, len(mutants))
        return results
    ctx = mp.get_context("fork")
    todo = deque(range(len(mutants)))
    running: dict = {}  # conn -> [process, index, started, current check]
    results: dict[int, dict] = {}

    def finish(conn, res):
        proc, i = running.pop(conn)[:2]
        conn.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        results[i] = res
        if on_result:
            on_result(res, len(results), len(mutants))

    try:
        while todo or running:
            while todo and len(running) < max(1, settings.jobs):
                i = todo.popleft()
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(i, child), daemon=True)
                proc.start()
                child.close()
                running[parent] = [proc, i, time.monotonic(), "start"]
            now = time.monotonic()
            deadline = min(st + settings.timeout for _, _, st, _ in running.values()) if settings.timeout > 0 else None
            for conn in wait(list(running), timeout=None if deadline is None else max(0.0, deadline - now)):
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    i, cur = running[conn][1], running[conn][3]
                    finish(conn, _not_checked(mutants[i], f"the process running it died in {cur}", 0.0))
                    continue
                if msg[0] == "check":
                    running[conn][3] = msg[1]
                elif msg[0] == "done":
                    finish(conn, msg[1])
                else:
                    i = running[conn][1]
                    finish(conn, _not_checked(mutants[i], f"crash: {msg[1]}", 0.0))
            now = time.monotonic()
            for conn, (proc, i, started, cur) in list(running.items()):
                if settings.timeout > 0 and now - started > settings.timeout:
                    proc.kill()
                    finish(conn, _not_checked(mutants[i], f"timeout after {settings.timeout:g}s in {cur}",
                                              now - started))
    except KeyboardInterrupt:
        for conn, (proc, i, started, cur) in list(running.items()):
            proc.kill()
            finish(conn, _not_checked(mutants[i], f"interrupted in {cur}", time.monotonic() - started))
        for i in todo:
            results[i] = _not_checked(mutants[i], "interrupted before it ran", 0.0)
        raise_later = True
    else:
        raise_later = False
    out = [results[i] for i in range(len(mutants)) if i in results]
    if raise_later:
        raise Interrupted(out)
    return out


class Interrupted(Exception):
    """Ctrl-C during a run: carries the verdicts so far (the rest not checked)."""

    def __init__(self, results):
        super().__init__("interrupted")
        self.results = results


def _not_checked(m, why: str, seconds: float) -> dict:
    return {**m.as_json(), "verdict": NOT_CHECKED, "killed_by": None, "kills": [], "inconclusive": [],
            "errors": [why], "checks_run": 0, "seconds": round(seconds, 3)}


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
