"""Command line: `python -m checker COMMAND --help`.

Exit status: 0 every check holds, 1 a property fails (with a
counterexample), 2 usage error or malformed model/input (one line, no
traceback)."""

from __future__ import annotations

import argparse
import json
import sys

from checker.explore import Exploration
from checker.load import load_model, variant_names
from checker.options import Options
from checker.result import CheckResult
from model.machine import ModelError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _add_model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH_OR_MODULE", default=None,
                   help="a variant: a .py file or module defining ROWS, or the short name of a "
                        f"shipped variant ({', '.join(variant_names())}); default: the RFC 9293 table")


def add_endpoint_args(p: argparse.ArgumentParser) -> None:
    """--iss-a, --iss-b, --rcv-wnd: the endpoints of the two-endpoint system."""
    p.add_argument("--iss-a", type=_int, default=Options.iss_a, metavar="N",
                   help=f"ISS of endpoint A (default {Options.iss_a:#x}: wraps at once)")
    p.add_argument("--iss-b", type=_int, default=Options.iss_b, metavar="N",
                   help=f"ISS of endpoint B (default {Options.iss_b:#x})")
    p.add_argument("--rcv-wnd", type=_int, default=Options.rcv_wnd, metavar="N",
                   help=f"receive window of both endpoints (default {Options.rcv_wnd})")


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m checker",
        description="Machine-checked TCP connection management (RFC 9293). Every command reads the "
                    "one transition table in model/table.py (or a variant of it).",
        epilog="Exit status: 0 all checks hold, 1 a property fails, 2 usage error or malformed model.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser(
        "verify", help="check the table and the two-endpoint system",
        description="Check the table (every row can fire, every segment handled, handshake ACKs, "
                    "one-endpoint reachability; z3 over all 32-bit values), then build the reachable "
                    "state graph of two endpoints over a faulty network and check deadlock and "
                    "livelock freedom, reachability of ESTABLISHED and the sequence-number invariants "
                    "(networkx). Without fault flags it runs a reliable and a lossy network (with an "
                    "old duplicate SYN), each with and without ABORT/user timeout.",
        epilog="A failed check prints the shortest counterexample as a ladder. Exit 0/1/2.")
    _add_model_arg(v)
    v.add_argument("--channel-capacity", type=_int, default=1, metavar="K",
                   help="segments per direction before user calls, retransmissions and duplication wait "
                        "(replies are never refused); default 1 keeps the default run fast")
    for name, what in (("loss", "segments may be lost"), ("duplication", "segments may be duplicated"),
                       ("reordering", "segments may overtake each other"),
                       ("old-syn", "an old duplicate SYN (3.5 Figure 8) may reach a listener once")):
        v.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None, help=what)
    v.add_argument("--no-abort", action="store_true",
                   help="only the runs without ABORT and user timeout")
    v.add_argument("--data", type=_int, default=1, metavar="N", help="octets each user may send (default 1)")
    add_endpoint_args(v)
    v.add_argument("--max-states", type=_int, default=2_000_000, metavar="N",
                   help="give up (inconclusive) beyond this many global states")
    v.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    v.add_argument("--quiet", "-q", action="store_true", help="print failures and the verdict only")
    v.add_argument("--no-proofs", action="store_true",
                   help="skip the z3 proofs of the seq/ack invariants (python -m checker prove runs them alone)")
    v.add_argument("--pcap-out", metavar="DIR", default=None,
                   help="also write each counterexample ladder as a pcap in DIR (A=10.0.0.1, B=10.0.0.2), "
                        "to open in Wireshark")
    v.set_defaults(func=cmd_verify)

    ls = sub.add_parser("variants", help="list the shipped model variants",
                        description="List the variants in model/variants/ and what each one changes.")
    ls.set_defaults(func=cmd_variants)

    rows = sub.add_parser("rows", help="print the table",
                          description="Print every row of the table (or a variant): state, event, guard, "
                                      "segments sent, updates, next state and RFC reference.")
    _add_model_arg(rows)
    rows.add_argument("--state", default=None, help="only rows of this state (e.g. SYN-SENT)")
    rows.add_argument("--json", action="store_true", help="JSON instead of text")
    rows.set_defaults(func=cmd_rows)

    # Further commands live in checker/cmd_<name>.py, each with
    # register(subparsers) adding its parser and setting func=...
    import importlib
    import pkgutil

    import checker

    for info in sorted(pkgutil.iter_modules(checker.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"checker.{info.name}").register(sub)
    return top


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


def cmd_verify(args) -> int:
    from checker.verify import control_summary, default_runs, format_check, run_verify

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

    from checker.pcapout import counterexample_filename, write_counterexample_pcap

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


def cmd_variants(args) -> int:
    import importlib

    for name in variant_names():
        mod = importlib.import_module(f"model.variants.{name}")
        doc = (mod.__doc__ or "").strip().splitlines()
        print(f"{name}: {doc[0] if doc else ''}")
    return EXIT_OK


def cmd_rows(args) -> int:
    from model.state import State

    model = load_model(args.model)
    state = None
    if args.state:
        try:
            state = State.parse(args.state)
        except ValueError as err:
            raise UsageError(str(err)) from None
    sel = [(i, r) for i, r in enumerate(model.rows) if state is None or r.state is state]
    if args.json:
        json.dump([{"index": i, "name": r.name, "state": str(r.state), "on": r.on, "when": str(r.when),
                    "emit": [str(e) for e in r.emit], "set": {k: str(e) for k, e in r.set},
                    "goto": str(r.target), "then": r.then, "ack": r.ack, "error": r.error, "ref": r.ref}
                   for i, r in sel], sys.stdout, indent=1)
        print()
        return EXIT_OK
    for i, r in sel:
        parts = [f"{i:>3} {r.name:<34} {str(r.state):<12} {r.on:<22} when {r.when}"]
        if r.emit:
            parts.append("send " + " ".join(map(str, r.emit)))
        if r.set:
            parts.append("set " + ", ".join(f"{k} <- {e}" for k, e in r.set))
        if r.ack:
            parts.append("ACK")
        if r.error:
            parts.append(f'error "{r.error}"')
        parts.append(f"-> {r.target}" + (" (continue)" if r.then == "continue" else ""))
        print(" ; ".join(parts) + f"   [{r.ref}]")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except (ModelError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
