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
import sys

from checker.analysis.explore import Exploration
from checker.analysis.options import Options
from checker.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    add_command,
    add_endpoint_args,
    add_model_arg,
    int_arg,
)
from checker.cli.output import format_check
from checker.load import load_model
from checker.result import CheckResult


def register(sub) -> None:
    v = add_command(sub, "verify", __doc__,
                    help="check the table and the two-endpoint system",
                    epilog="A failed check prints the shortest counterexample as a ladder. Exit 0/1/2.")
    add_model_arg(v)
    v.add_argument("--channel-capacity", type=int_arg, default=1, metavar="K",
                   help="segments per direction before user calls, retransmissions and duplication wait "
                        "(replies are never refused); default 1 keeps the default run fast")
    for name, what in (("loss", "segments may be lost"), ("duplication", "segments may be duplicated"),
                       ("reordering", "segments may overtake each other"),
                       ("old-syn", "an old duplicate SYN (3.5 Figure 8) may reach a listener once")):
        v.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None, help=what)
    v.add_argument("--no-abort", action="store_true",
                   help="only the runs without ABORT and user timeout")
    v.add_argument("--data", type=int_arg, default=1, metavar="N", help="octets each user may send (default 1)")
    add_endpoint_args(v)
    v.add_argument("--max-states", type=int_arg, default=2_000_000, metavar="N",
                   help="give up (inconclusive) beyond this many global states")
    v.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    v.add_argument("--quiet", "-q", action="store_true", help="print failures and the verdict only")
    v.add_argument("--no-proofs", action="store_true",
                   help="skip the z3 proofs of the seq/ack invariants (python -m checker prove runs them alone)")
    v.add_argument("--pcap-out", metavar="DIR", default=None,
                   help="also write each counterexample ladder as a pcap in DIR (A=10.0.0.1, B=10.0.0.2), "
                        "to open in Wireshark")
    v.add_argument("--ladder-out", metavar="DIR", default=None,
                   help="also draw each counterexample as a sequence diagram in DIR: NAME.svg (needs "
                        "Graphviz's dot) and NAME.mmd (Mermaid sequenceDiagram)")
    v.set_defaults(func=run)


def options_from(args) -> tuple[Options, bool]:
    given = {k: getattr(args, k.replace("-", "_")) for k in ("loss", "duplication", "reordering", "old-syn")}
    faults_given = any(v is not None for v in given.values())
    base = Options(capacity=args.channel_capacity, data=args.data, iss_a=args.iss_a, iss_b=args.iss_b,
                   rcv_wnd=args.rcv_wnd, abort=not args.no_abort,
                   loss=bool(given["loss"]), duplication=bool(given["duplication"]),
                   reordering=bool(given["reordering"]), old_syn=bool(given["old-syn"]))
    try:
        base.validate()
    except ValueError as err:
        raise UsageError(str(err)) from None
    return base, faults_given


def run(args) -> int:
    from checker.analysis.report import control_summary, default_runs, run_verify

    model = load_model(args.model)
    base, faults_given = options_from(args)
    runs = default_runs(base, faults_given)
    out = sys.stdout
    if not args.json:
        print(f"verify: model {model.name} ({model.source}): {control_summary(model)}", file=out)
        print("table (z3 over all 32-bit values; networkx on the one-endpoint graph)", file=out)

    def progress(item):
        if args.json:
            return
        if item == "proofs":
            print("z3 proofs over all 2^32 values (python -m checker prove runs them alone)", file=out)
            out.flush()
            return
        if isinstance(item, Exploration):
            cut = "  CUT (inconclusive)" if item.truncated else ""
            print(f"run {item.opts.label()}: {item.n_states} global states, {item.n_edges} edges, "
                  f"{item.seconds:.2f}s{cut}", file=out)
        elif isinstance(item, CheckResult):
            if item.name == "coverage":
                print("composed runs together", file=out)
            if not args.quiet or item.failed:
                print(format_check(item), file=out)
        out.flush()

    rep = run_verify(model, runs, args.max_states, progress, proofs=not args.no_proofs)
    if args.pcap_out:
        write_pcaps(rep, args.pcap_out, quiet=args.json)
    if getattr(args, "ladder_out", None):  # (a namespace made by another caller may lack it)
        write_ladders(rep, model, args.ladder_out, quiet=args.json)
    if args.json:
        json.dump(rep.as_json(), out, indent=1)
        out.write("\n")
    else:
        failed = [c.name for c in rep.all_checks() if c.failed]
        n = len(rep.all_checks())
        if failed:
            print(f"verdict: FAILED {len(failed)} of {n} checks ({', '.join(sorted(set(failed)))}) "
                  f"in {rep.seconds:.1f}s", file=out)
        else:
            print(f"verdict: all {n} checks hold or do not apply, in {rep.seconds:.1f}s", file=out)
    return EXIT_OK if rep.ok else EXIT_FAIL


def write_pcaps(rep, directory: str, quiet: bool) -> None:
    """verify --pcap-out: one pcap per counterexample ladder."""
    import os

    from checker.generate.pcapout import counterexample_filename, write_counterexample_pcap

    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--pcap-out {directory}: {err.strerror}") from None
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
