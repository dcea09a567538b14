"""`python -m checker conform`: Split a capture (pcap or pcapng; IPv4 and IPv6)
into connections by 4-tuple and check each against the table: for each
endpoint, the set of configurations consistent with the segments so far is
kept, with user calls, timeouts and the arrival of the peer's segments (which
may cross, arrive late or be lost after the capture point) as invisible steps.
A segment no configuration can send is a violation: the report names its
frame, the configurations the model allowed and what they could have sent
instead."""

from __future__ import annotations

import json
import sys

from checker.cli.common import add_command
from checker.traces.capture import CaptureError, read
from checker.traces.conform import Report, conform_capture
from checker.traces.options import DEFAULT_RCV_WND, TOLERANCES, ConformOptions


def register(subparsers) -> None:
    p = add_command(subparsers, "conform", __doc__,
                    help="check the TCP connections of a pcap/pcapng capture against the table",
                    epilog="Tolerances (RFC-conformant behaviours the table abstracts away; all on unless --strict): "
               + "; ".join(f"{k}: {v}" for k, v in TOLERANCES.items())
               + ". Exit status: 0 every connection conforms, 1 a violation, 2 unreadable input.")
    p.add_argument("files", nargs="+", metavar="FILE", help="capture files (pcap or pcapng, may be gzipped)")
    p.add_argument("--model", metavar="PATH_OR_MODULE", default=None,
                   help="a variant of the table (a .py file, a module, or a shipped variant's name); "
                        "default: the RFC 9293 table")
    p.add_argument("--profile", metavar="NAME", default=None,
                   help="judge with a profile of a real stack instead (e.g. linux: model/variants/linux.py); "
                        "the tolerances its rows express are then not needed")
    p.add_argument("--strict", action="store_true", help="no tolerances: only what the table itself sends")
    p.add_argument("--without", action="append", default=[], choices=sorted(TOLERANCES), metavar="NAME",
                   help="turn one tolerance off (repeatable): " + ", ".join(sorted(TOLERANCES)))
    p.add_argument("--rcv-wnd", type=int, default=DEFAULT_RCV_WND, metavar="N",
                   help=f"the constant receive window of the model's endpoints (default {DEFAULT_RCV_WND}; "
                        "use the window of `verify` for its counterexample captures)")
    p.add_argument("--merge-duplicates", action="store_true",
                   help="take a packet byte for byte identical to the previous one of its direction as "
                        "the same transmission recorded twice (captures on 'any')")
    p.add_argument("--max-configs", type=int, default=50_000, metavar="N",
                   help="give up on a connection (inconclusive) beyond N configurations of one endpoint")
    p.add_argument("--json", action="store_true", help="one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="print violations and the verdict only")
    p.set_defaults(func=run)


def run(args) -> int:
    from checker.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError
    from checker.load import load_model

    if not 1 <= args.rcv_wnd <= 1 << 30:
        raise UsageError(f"--rcv-wnd must be 1..2^30, got {args.rcv_wnd}")
    if args.max_configs < 1:
        raise UsageError(f"--max-configs must be positive, got {args.max_configs}")
    if args.profile and args.model:
        raise UsageError("give --profile or --model, not both")
    model = load_model(args.profile or args.model)
    tol = frozenset() if args.strict else frozenset(TOLERANCES) - set(args.without)
    opts = ConformOptions(rcv_wnd=args.rcv_wnd, tolerances=tol, max_configs=args.max_configs,
                          merge_duplicates=args.merge_duplicates)
    reports: list[Report] = []
    for path in args.files:
        try:
            cap = read(path)
        except CaptureError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE
        rep = conform_capture(cap, model, opts)
        reports.append(rep)
        if not args.json:
            print_report(rep, model, args.quiet)
    ok = all(r.ok for r in reports)
    if args.json:
        json.dump({"model": {"name": model.name, "source": model.source},
                   "tolerances": sorted(tol), "ok": ok, "files": [r.as_json() for r in reports]},
                  sys.stdout, indent=1)
        print()
    else:
        conns = [c for r in reports for c in r.connections]
        bad = [c for c in conns if c.status == "violation"]
        unsure = [c for c in conns if c.status == "inconclusive"]
        segs = sum(r.segments for r in reports)
        secs = sum(r.seconds for r in reports)
        rate = f", {segs / secs:,.0f} segments/s" if secs > 0 and segs else ""
        tail = f", {len(unsure)} inconclusive" if unsure else ""
        if bad:
            print(f"verdict: {len(bad)} of {len(conns)} connections violate the model{tail} "
                  f"({segs} segments in {secs:.2f}s{rate})")
        else:
            print(f"verdict: all {len(conns)} connections conform{tail} "
                  f"({segs} segments in {secs:.2f}s{rate})")
    return EXIT_OK if ok else EXIT_FAIL


def print_report(rep: Report, model, quiet: bool = False, out=None) -> None:
    out = out or sys.stdout
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(rep.skipped.items()))
    n = len(rep.connections)
    print(f"conform: {rep.path}: {rep.packets} packets, {rep.segments} TCP segments, "
          f"{n} connection{'' if n == 1 else 's'}; model {model.name} ({model.source})"
          + (f"; skipped: {skipped}" if skipped else ""), file=out)
    for c in rep.connections:
        if quiet and c.status != "violation":
            continue
        notes = []
        if c.incarnations > 1:
            notes.append(f"{c.incarnations} incarnations")
        if c.mid_connection:
            notes.append("capture starts mid-connection")
        if c.duplicates:
            notes.append(f"{c.duplicates} duplicate packets merged")
        if c.tolerances:
            notes.append("tolerated: " + ", ".join(f"{k} x{v}" for k, v in sorted(c.tolerances.items())))
        head = f"  {c.name}  frames {c.frames[0]}-{c.frames[1]}, {c.segments} segments: "
        if c.status == "conformant":
            print(head + "conformant" + (f" ({'; '.join(notes)})" if notes else ""), file=out)
        elif c.status == "inconclusive":
            print(head + f"inconclusive: {c.reason}", file=out)
        else:
            v = c.violation
            print(head + f"VIOLATION at frame {v.packet.frame}" + (f" ({'; '.join(notes)})" if notes else ""),
                  file=out)
            print(format_violation(v, c), file=out)


def format_violation(v, c) -> str:
    x, y = v.sender, "B" if v.sender == "A" else "A"
    p = v.packet
    lines = [f"    frame {p.frame} (segment {v.index} of the connection), {x} -> {y}: "
             f"{v.segment.brief()}  [{p.flag_names()}]",
             f"    no run of the table sends it. Just before, {x} could be in:"]
    lines += _capped([f"      {_text(cfg)}" for cfg in v.allowed], 8)
    if v.expected:
        lines.append("    and could have sent instead:")
        lines += _capped([f"      {s.brief():<50} {how}" for s, how in v.expected], 12)
    else:
        lines.append("    and could have sent nothing at all.")
    if v.pending:
        lines.append(f"    {y}'s segments {x} might not have received yet:")
        lines += _capped([f"      frame {f}: {s.brief()}" for f, s in v.pending], 8)
    if v.note:
        lines.append(f"    note: {v.note}")
    return "\n".join(lines)


def _text(cfg) -> str:
    from checker.traces.conform import cfg_text

    return cfg_text(cfg)


def _capped(lines: list[str], n: int) -> list[str]:
    if len(lines) <= n:
        return lines
    return lines[:n] + [f"      ... and {len(lines) - n} more"]
