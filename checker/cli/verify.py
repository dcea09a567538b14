"""`python -m checker verify`: Check the table (every row can fire, every segment
handled, handshake ACKs, one-endpoint reachability; z3 over all 32-bit
values), then build the reachable state graph of two endpoints over a faulty
network and check deadlock and livelock freedom, reachability of ESTABLISHED
and the sequence-number invariants (networkx). Without fault flags it runs a
reliable and a lossy network (with an old duplicate SYN), each with and
without ABORT/user timeout."""

from __future__ import annotations

import argparse
import json
import os
import sys

from checker.analysis.options import Options
from checker.cli.common import (
    EXIT_OK,
    UsageError,
    add_color_arg,
    add_command,
    add_endpoint_args,
    add_jobs_args,
    add_model_arg,
    check_jobs,
    int_arg,
    names_arg,
    writable_dir,
)
from checker.cli.output import Printer, Progress
from checker.load import load_model
from checker.result import CheckResult, verdict_line


def register(sub) -> None:
    v = add_command(sub, "verify", __doc__, help="check the table and the two-endpoint system",
                    epilog=EPILOG)
    add_model_arg(v)
    v.add_argument("--check", action="append", default=[], type=names_arg, metavar="NAME[,NAME]",
                   help="run only these checks (repeatable); --list-checks names them")
    v.add_argument("--skip", action="append", default=[], type=names_arg, metavar="NAME[,NAME]",
                   help="leave these checks out (repeatable)")
    v.add_argument("--list-checks", action="store_true", help="list every check with its RFC sections, and exit")
    v.add_argument("--channel-capacity", type=int_arg, default=1, metavar="K",
                   help="segments per direction before user calls, retransmissions and duplication wait "
                        "(replies are never refused); 1..8, default 1 keeps the default run fast")
    add_fault_args(v, default=None, what_old_syn="an old duplicate SYN (3.5 Figure 8) may reach a listener once")
    v.add_argument("--no-abort", action="store_true",
                   help="only the runs without ABORT and user timeout")
    v.add_argument("--r2-infinite", action="store_true",
                   help="in the runs without ABORT/user timeout, R2 = infinity (MUST-21): a side "
                        "retransmits forever, and no-livelock counts a cycle that only R2 would end "
                        "(3.8.3, MUST-20) as a livelock")
    v.add_argument("--data", type=int_arg, default=1, metavar="N", help="octets each user may send (0..4, default 1)")
    v.add_argument("--opens", type=int_arg, default=None, metavar="N",
                   help="OPEN calls per endpoint, so incarnations of the connection (1..4; default 2 in the "
                        "reliable runs and 1 in the lossy ones)")
    add_endpoint_args(v)
    v.add_argument("--max-states", type=int_arg, default=2_000_000, metavar="N",
                   help="stop exploring a run beyond N global states (>= 1; default 2,000,000): its "
                        "graph checks are then 'not checked' (exit 3), never 'hold'")
    g = v.add_argument_group("engine (python -m checker export --format promela writes the Spin model)")
    g.add_argument("--engine", choices=("explorer", "spin"), default="explorer",
                   help="what explores the two-endpoint system: the explorer (default; every check) or Spin "
                        "on the Promela export (needs spin and gcc; no-livelock and coverage are not exported, "
                        "so they are 'not checked': --skip them)")
    g.add_argument("--bitstate", action="store_true",
                   help="Spin: bitstate hashing (-DBITSTATE) for spaces that do not fit in memory; partial, so "
                        "nothing it finds no violation of 'holds'")
    g.add_argument("--spin-cores", type=int_arg, default=1, metavar="N",
                   help="Spin: a multi-core depth-first search on N cores (-DNCORE=N; default 1: breadth-first, "
                        "shortest counterexamples)")
    g.add_argument("--spin-slots", type=int_arg, default=None, metavar="N",
                   help="Spin: slots per channel (default 2K+1 plus K+1 per later incarnation)")
    g.add_argument("--spin-dir", metavar="DIR", default=None,
                   help="Spin: build and run in DIR (model.pml, pan, trails are kept there)")
    v.add_argument("--no-proofs", action="store_true",
                   help="skip the z3 proofs of the seq/ack invariants (python -m checker prove runs them alone)")
    add_jobs_args(v)
    v.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    v.add_argument("--quiet", "-q", action="store_true",
                   help="print failures, what was not checked and the verdict only; no progress line")
    add_color_arg(v)
    v.add_argument("--pcap-out", metavar="DIR", default=None,
                   help="also write each counterexample ladder as a pcap in DIR (A=198.18.0.1, B=198.18.0.2), "
                        "to open in Wireshark")
    v.add_argument("--ladder-out", metavar="DIR", default=None,
                   help="also draw each counterexample as a sequence diagram in DIR: NAME.svg (needs "
                        "Graphviz's dot) and NAME.mmd (Mermaid sequenceDiagram)")
    v.set_defaults(func=run)


EPILOG = """Every check ends as 'ok' (holds), 'FAIL' (with the shortest counterexample as a ladder),
'skip' (not checked, with the reason: z3 answered unknown, a state cap, the time limit, Ctrl-C) or
'n/a' (does not apply to that run's options). Exit status: 0 everything asked was checked and
holds, 1 a check failed, 2 usage error or malformed model, 3 nothing failed but something was not
checked, 130 interrupted (Ctrl-C)."""


def add_fault_args(p, default, what_old_syn: str) -> None:
    """--loss/--duplication/--reordering/--old-syn (and --no-...): the channel's faults."""
    for name, what in (("loss", "segments may be lost"), ("duplication", "segments may be duplicated"),
                       ("reordering", "segments may overtake each other"), ("old-syn", what_old_syn)):
        p.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=default,
                       help=what + ("" if default is None else f" (default {'on' if default else 'off'})"))


def options_from(args) -> tuple[Options, bool]:
    given = {k: getattr(args, k.replace("-", "_")) for k in ("loss", "duplication", "reordering", "old-syn")}
    faults_given = any(v is not None for v in given.values())
    base = Options(capacity=args.channel_capacity, data=args.data, iss_a=args.iss_a, iss_b=args.iss_b,
                   opens=getattr(args, "opens", None) or 2,
                   iss_steps=tuple(getattr(args, "iss_steps", Options.iss_steps)),
                   rcv_wnd=args.rcv_wnd, tcbs=getattr(args, "max_tcbs", 0), abort=not args.no_abort, r2=not getattr(args, "r2_infinite", False),
                   loss=bool(given["loss"]), duplication=bool(given["duplication"]),
                   reordering=bool(given["reordering"]), old_syn=bool(given["old-syn"]))
    try:
        base.validate()
    except ValueError as err:
        raise UsageError(str(err)) from None
    return base, faults_given


def selected_checks(args) -> set[str] | None:
    """The --check/--skip selection, validated against the known names."""
    from checker.analysis.report import all_check_names

    known = all_check_names()
    chosen = [n for group in args.check for n in group]
    skipped = [n for group in args.skip for n in group]
    for n in chosen + skipped:
        if n not in known:
            raise UsageError(f"unknown check {n!r}; --list-checks names them: {', '.join(known)}")
    if not chosen and not skipped:
        return None
    out = set(chosen or known) - set(skipped)
    if not out:
        raise UsageError("--check/--skip leave no check to run")
    return out


def run(args) -> int:
    from checker.analysis.report import control_summary, default_runs, describe_checks

    if args.list_checks:
        for name, group, ref in describe_checks():
            print(f"{name:<22} {group:<9} {ref}")
        return EXIT_OK
    if args.max_states < 1:
        raise UsageError(f"--max-states must be at least 1, got {args.max_states}")
    check_jobs(args.jobs)
    checks = selected_checks(args)
    if args.pcap_out:
        writable_dir(args.pcap_out, "--pcap-out")
    if args.ladder_out:
        writable_dir(args.ladder_out, "--ladder-out")
    if args.engine == "spin":
        from checker.generate.promela.spin import tools_missing

        if tools_missing():
            raise UsageError(f"--engine spin needs spin and gcc; not installed: {tools_missing()} "
                             "(Debian: apt-get install spin gcc)")
        if not 1 <= args.spin_cores <= 64:
            raise UsageError(f"--spin-cores must be 1..64, got {args.spin_cores}")
        if args.spin_slots is not None and not 1 <= args.spin_slots <= 64:
            raise UsageError(f"--spin-slots must be 1..64, got {args.spin_slots}")
        if args.spin_dir:
            writable_dir(args.spin_dir, "--spin-dir")
    elif args.bitstate or args.spin_cores != 1 or args.spin_slots or args.spin_dir:
        raise UsageError("--bitstate, --spin-cores, --spin-slots and --spin-dir need --engine spin")
    model = load_model(args.model)
    base, faults_given = options_from(args)
    runs = default_runs(base, faults_given, opens_given=getattr(args, "opens", None) is not None)
    return execute(args, model, runs, checks, proofs=not args.no_proofs,
                   header=f"verify: model {model.name} ({model.source}): {control_summary(model)}")


def execute(args, model, runs, checks, proofs: bool, header: str) -> int:
    """Run the selected checks as tasks and print them as they finish (text
    or, with --json, one document at the end); used by verify and prove."""
    from checker.analysis.report import run_verify

    out = Printer(sys.stdout, args.color)
    bar = Progress(enabled=not args.quiet)
    if not args.json:
        out.emit(out.wrapped(header))
    shown = {"table": False, "proofs": False}

    def show(c: CheckResult) -> None:
        if not args.quiet or c.failed or c.unchecked:
            # a composed check's assumptions are its run's, printed under the run line
            out.emit(out.check(c, assumptions=c.run in ("table", "z3", "")))

    def progress(item):
        bar.done += 1
        if args.json:
            return
        bar.clear()
        if isinstance(item, CheckResult) and item.name == "coverage":
            out.emit("composed runs together")
            show(item)
        elif isinstance(item, CheckResult) and item.run == "table":
            if not shown["table"]:
                out.emit("table (z3 over all 32-bit values; networkx on the one-endpoint graph)")
                shown["table"] = True
            show(item)
        elif isinstance(item, CheckResult):
            if not shown["proofs"]:
                out.emit("z3 proofs over all 2^32 values (python -m checker prove runs them alone)")
                shown["proofs"] = True
            show(item)
        else:
            summary, results = item
            out.emit(out.wrapped(run_line(summary)))
            for c in results:
                show(c)

    spin = getattr(args, "engine", "explorer") == "spin"
    bar.total = _count_tasks(checks, [] if spin else runs, proofs)
    pooled = checks
    if spin:
        from checker.analysis.report import COMPOSED, COVERAGE, Report, all_check_names

        pooled = (set(checks) if checks is not None else set(all_check_names())) - set(COMPOSED) - {COVERAGE}
        if not proofs:
            pooled -= set(proof_names_())
    if pooled is None or pooled:
        rep = run_verify(model, runs, getattr(args, "max_states", 1), progress, proofs=proofs, checks=pooled,
                         jobs=args.jobs, time_limit=args.time_limit, on_tick=bar.tick)
    else:
        rep = Report(model)
    bar.clear()
    if spin:
        from checker.generate.promela.engine import verify_spin_runs

        verify_spin_runs(args, model, runs, checks, rep, progress)
    for key in rep.late:  # after a stop: what had not been printed, in order
        progress(rep.items[key])
    if getattr(args, "pcap_out", None):
        write_pcaps(rep, args.pcap_out, quiet=args.json)
    if getattr(args, "ladder_out", None):  # (a namespace made by another caller may lack it)
        write_ladders(rep, model, args.ladder_out, quiet=args.json)
    if args.json:
        json.dump(rep.as_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        if not args.quiet:
            out.emit(out.wrapped(phases_line(rep.phases())))
        # one line, never wrapped: what scripts and people grep for
        out.emit(verdict_line(rep.all_checks(), rep.seconds, interrupted=rep.interrupted))
    if rep.interrupted:
        print("interrupted: what had not finished is listed as not checked", file=sys.stderr)
    return rep.exit_status()


def phases_line(ph: dict) -> str:
    """Where the time went, phase by phase (the phases overlap: tasks run in parallel)."""
    parts = []
    if ph["table_checks"]:
        parts.append(f"table checks {ph['table_checks']:.2f}s")
    if ph["explorations"]:
        parts.append("explorations " + "+".join(f"{x:.2f}s" for x in ph["explorations"]))
        parts.append(f"graph checks {sum(ph['graph_checks']) + ph['coverage']:.2f}s")
    if ph["proofs"]:
        parts.append(f"proofs {ph['proofs']:.2f}s")
    return "phases: " + "; ".join(parts) + " (each summed over its tasks, which run in parallel)"


def proof_names_() -> tuple[str, ...]:
    from checker.analysis.report import proof_names

    return proof_names()


def _count_tasks(checks, runs, proofs) -> int:
    from checker.analysis.report import COMPOSED, COVERAGE, TABLE, proof_names

    want = set(checks) if checks is not None else None
    n = sum(1 for x in TABLE if want is None or x in want)
    if want is None or want & (set(COMPOSED) | {COVERAGE}):
        n += len(runs)
    if proofs:
        n += sum(1 for x in proof_names() if want is None or x in want)
    return n


def run_line(summary) -> str:
    from checker.analysis.report import run_assumptions

    if not summary.explored:
        return f"run {summary.opts.label()}: not explored ({summary.cut_reason})"
    if summary.engine == "spin":
        cut = f"  PARTIAL: {summary.cut_reason}" if summary.truncated else ""
        head = (f"run {summary.opts.label()}: {summary.n_states} global states (Spin: states stored), "
                f"{summary.n_edges} pan transitions, {summary.seconds:.2f}s ({summary.detail}){cut}")
        return head + "\n" + "\n".join("  assumes: " + a for a in run_assumptions(summary.opts))
    cut = f"  CUT: {summary.cut_reason}" if summary.truncated else ""
    head = (f"run {summary.opts.label()}: {summary.n_states} global states, {summary.n_edges} edges, "
            f"{summary.seconds:.2f}s{cut}")
    return head + "\n" + "\n".join("  assumes: " + a for a in run_assumptions(summary.opts))


def write_pcaps(rep, directory: str, quiet: bool) -> None:
    """verify --pcap-out: one pcap per counterexample ladder."""
    from checker.generate.pcapout import counterexample_filename, write_counterexample_pcap

    for c in rep.all_checks():
        if c.failed and (c.counterexample or {}).get("steps"):
            path = os.path.join(directory, counterexample_filename(c))
            n = write_counterexample_pcap(c, path)
            c.counterexample["pcap"] = path
            if not quiet:
                print(f"wrote {path} ({n} packets)")


def write_ladders(rep, model, directory: str, quiet: bool) -> None:
    """verify --ladder-out: a sequence diagram per counterexample (checker.generate.sequence)."""
    from checker.generate.sequence import write_ladder_files

    try:
        done = write_ladder_files(rep.all_checks(), model, directory)
    except OSError as err:
        raise UsageError(f"--ladder-out {directory}: {err.strerror}") from None
    for c, paths, note in done:
        if paths:
            c.counterexample["pictures"] = paths
        if not quiet:
            print(f"wrote {', '.join(paths)}{' (' + note + ')' if note else ''}" if paths
                  else f"{c.name}{' (' + c.run + ')' if c.run else ''}: no sequence diagram: {note}")
