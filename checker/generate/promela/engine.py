"""`verify --engine spin`: one run of options through Spin, judged in the
project's terms. Every composed check ends as holds / FAILED / not checked
(or n/a, by the explorer's rule), with the same bounds the explorer's
verdict rests on, plus Spin's own: a bitstate search, a depth cut, a time
limit or running out of memory proves no "for all" claim (only a violation
found along a replayed trail still stands); a channel outgrowing its slots
leaves every unfailed check not checked."""

from __future__ import annotations

import shutil
import tempfile
import time

from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.options import Options
from checker.generate.ladder import ladder, ladder_json
from checker.generate.promela import checks as K
from checker.generate.promela.text import promela
from checker.generate.promela.replay import ReplayError, parse_dumps, steps_of
from checker.generate.promela.spin import PanResult, compile_and_run, replay_output
from checker.generate.promela.system import default_slots
from checker.result import FAIL, NA, PASS, CheckResult, not_checked
from model.machine import Model

REFS = {fn.check_name: fn.check_ref for fn in COMPOSED_CHECKS}
WHY = {
    "no-deadlock": "no move is possible and the state is no proper final one",
    "established-iff": "the network is empty but only one side is ESTABLISHED",
    "seq-agreement": "sequence numbers of the two sides disagree",
    "isn-agreement": "an ESTABLISHED endpoint is not synchronized with its peer's ISS",
    "data-integrity": "octets of another incarnation accepted",
    "graceful-close": "a synchronized connection was reset",
}


def _trails(model: Model, opts: Options, pan: PanResult) -> dict:
    """check name -> (kind, steps, start) or (kind, ReplayError) of each trail."""
    found: dict = {}
    for n in pan.trails:
        states, reports = parse_dumps(replay_output(pan.workdir, n))
        if not reports:
            continue
        kind, name = reports[-1]
        try:
            steps, start = steps_of(model, opts, states)
            found[name] = (kind, steps, start)
        except ReplayError as err:
            found[name] = (kind, err)
    return found


def _evidence(name: str, steps, start) -> dict:
    why = WHY.get(name, name)
    if name == "no-deadlock" and steps:
        g = steps[-1][1]
        why = (f"no move is possible in A={g.a.brief()}, B={g.b.brief()}, in flight A->B "
               f"{[x.brief() for x in g.ab]} B->A {[x.brief() for x in g.ba]}")
    return {"kind": "ladder", "why": why, "length": len(steps), "text": ladder(steps, start),
            "steps": ladder_json(steps), "engine": "spin"}


MULTICORE_WITNESS = ("multi-core pan (--spin-cores) stops at its first error, so the reachability witness "
                     "is not exported with it (run without --spin-cores)")


def judge(model: Model, opts: Options, pan: PanResult, wanted: list[str], cores: int = 1) -> list[CheckResult]:
    run = opts.label()
    trails = _trails(model, opts, pan)
    overflow = "channel-bound" in trails
    partial = (pan.incomplete_why or "") + ("; " if pan.incomplete_why and overflow else "")
    if overflow:
        partial += f"a channel outgrew its {default_slots(opts)} slots (the export's bound; --spin-slots)"
    out = []
    for name in wanted:
        ref = REFS.get(name, "")
        if name in K.NOT_EXPORTED or name not in K.EXPORTED:  # a check the export knows nothing of
            why = K.NOT_EXPORTED.get(name, "the export has no assertion for this check yet")
            out.append(not_checked(name, ref, f"not exported to Promela: {why} "
                                   "(the explorer engine checks it)", run=run))
            continue
        na = K.not_applicable(name, opts)
        if na:
            out.append(CheckResult(name, ref, NA, na, run=run))
            continue
        hit = trails.get(name)
        if hit is not None and len(hit) == 2:
            out.append(not_checked(name, ref, f"the Spin trail does not replay through the table: {hit[1]}",
                                   run=run))
            continue
        if name == "established-reachable":
            if cores > 1:
                r = not_checked(name, ref, MULTICORE_WITNESS, run=run)
            elif hit is not None:
                r = CheckResult(name, ref, PASS, f"reached in {len(hit[1])} steps (Spin witness)", run=run,
                                figures={"shortest": len(hit[1])})
            elif partial:
                r = not_checked(name, ref, f"not reached, but {partial}", run=run)
            else:
                r = CheckResult(name, ref, FAIL, "never reached (Spin, full search)", run=run)
            out.append(r)
            continue
        if hit is not None:
            r = CheckResult(name, ref, FAIL, f"violated (Spin, {len(hit[1])} steps)", run=run)
            r.counterexample = _evidence(name, hit[1], hit[2])
        elif partial:
            r = not_checked(name, ref, partial, run=run)
        else:
            r = CheckResult(name, ref, PASS, f"holds on {pan.states} states (Spin, full "
                            f"{'breadth-first' if cores == 1 else 'multi-core depth-first'} search)",
                            run=run)
        out.append(r)
    return out


def spin_run(model: Model, opts: Options, wanted: list[str], bitstate: bool = False, cores: int = 1,
             workdir: str | None = None, time_limit: float | None = None, slots: int | None = None,
             optimize: str = "-O2"):
    """Export, build, run and judge one run: (PanResult, [CheckResult])."""
    t0 = time.perf_counter()
    exported = [n for n in wanted if n in K.EXPORTED and not (cores > 1 and n == "established-reachable")]
    text = promela(model, opts, checks=exported, slots=slots)
    gen = time.perf_counter() - t0
    own = workdir is None  # a scratch directory, removed once the trails are read
    workdir = workdir or tempfile.mkdtemp(prefix="tcpcheck-spin-")
    try:
        pan = compile_and_run(text, workdir, bitstate=bitstate, cores=cores, time_limit=time_limit,
                              gen_seconds=gen, optimize=optimize)
        t1 = time.perf_counter()
        results = judge(model, opts, pan, wanted, cores)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
    for r in results:
        r.seconds = round(pan.seconds.get("run", 0.0), 3)
    pan.seconds["judge"] = time.perf_counter() - t1
    return pan, results


def verify_spin_runs(args, model: Model, runs: list[Options], checks, rep, progress) -> None:
    """verify --engine spin: each run through Spin, one after the other,
    streamed to `progress` and added to the report `rep` (coverage, a figure
    of the explorer, is not checked)."""
    import os

    from checker.analysis.report import COMPOSED, COVERAGE, COVERAGE_REF, RunSummary, run_assumptions
    from checker.generate.promela.spin import SpinMissing

    wanted = [n for n in COMPOSED if checks is None or n in checks]
    t_all = time.perf_counter()
    for i, opts in enumerate(runs):
        if not wanted:
            break
        workdir = os.path.join(args.spin_dir, f"run{i}") if getattr(args, "spin_dir", None) else None
        left = None
        if getattr(args, "time_limit", None):
            left = max(1.0, args.time_limit - (time.perf_counter() - t_all))
        try:
            pan, results = spin_run(model, opts, wanted, bitstate=args.bitstate, cores=args.spin_cores,
                                    workdir=workdir, time_limit=left, slots=args.spin_slots)
        except (SpinMissing, RuntimeError) as err:
            summary = RunSummary(opts, explored=False, cut_reason=str(err), engine="spin")
            results = [not_checked(n, REFS.get(n, ""), str(err), run=opts.label()) for n in wanted]
        else:
            sec = pan.seconds
            summary = RunSummary(opts, pan.states, pan.transitions, sum(sec.values()), not pan.complete,
                                 pan.incomplete_why, engine="spin",
                                 detail=f"export {sec['generate']:.2f}s, spin -a {sec['spin']:.2f}s, gcc "
                                        f"{sec['compile']:.2f}s, pan {sec['run']:.2f}s, {pan.memory_mb:.0f} MB")
        for r in results:
            r.assumptions = run_assumptions(opts)
        item = (summary, results)
        rep.runs.append(item)
        progress(item)
    if checks is None or COVERAGE in checks:
        cov = not_checked(COVERAGE, COVERAGE_REF, f"not exported to Promela: {K.NOT_EXPORTED['coverage']} "
                          "(--engine explorer checks it)", run="composed runs together")
        rep.extra = [cov]
        progress(cov)
    rep.seconds += time.perf_counter() - t_all
