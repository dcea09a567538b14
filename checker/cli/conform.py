"""`python -m checker conform`: Split a capture (pcap or pcapng; IPv4 and IPv6;
a file, several, or standard input "-"; plain or compressed) into connections
by 4-tuple and check each against the table: for each endpoint, the set of
configurations consistent with the segments so far is kept, with user calls,
timeouts and the arrival of the peer's segments (which may cross, arrive late
or be lost after the capture point) as invisible steps. A segment no
configuration can send is a violation: the report names its frame, the
endpoint, the configurations the model allowed and what they could have sent
instead. Each connection ends as conformant, violation, or not checked (with
the reason: a cap reached, a frame that could not be read)."""

from __future__ import annotations

import json
import sys

from checker.cli.common import add_command
from checker.cli.output import Progress
from checker.traces.capture import CaptureError
from checker.traces.conform import conform_file
from checker.traces.options import DEFAULT_RCV_WND, EXTENSIONS, TOLERANCES, ConformOptions, parse_judge
from checker.traces.results import CONFORMS, NOT_CHECKED, VIOLATION, Report

EXIT_TEXT = ("Exit status: 0 every connection was checked and conforms; 1 a violation; 2 a usage "
             "error or an unreadable file (the other files are still checked); 3 no violation, but "
             "something was not checked (a connection, or frames that belong to none).")


def register(subparsers) -> None:
    p = add_command(subparsers, "conform", __doc__,
                    help="check the TCP connections of a pcap/pcapng capture against the table",
                    epilog="Tolerances (RFC-conformant behaviours the table abstracts away; all on unless "
                           "--strict): " + "; ".join(f"{k}: {v}" for k, v in TOLERANCES.items())
                           + ". " + EXIT_TEXT)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="capture files (pcap or pcapng, may be gzip/bzip2/xz-compressed); - for standard input")
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
    p.add_argument("--judge", action="append", default=[], metavar="ADDR[:PORT]|client|server",
                   help="judge only this endpoint (repeatable): an address, an address and port "
                        "([v6]:port), or the client (sender of the connection's first SYN) or server "
                        "side of every connection; the other side's segments are taken as arbitrary "
                        "network input. Default: both endpoints of every connection")
    p.add_argument("--max-violations", type=int, default=5, metavar="N",
                   help="violations reported per endpoint of a connection (default 5); after each the "
                        "endpoint is placed anew from the segments that follow")
    p.add_argument("--with", dest="extensions", action="append", default=[], choices=sorted(EXTENSIONS),
                   metavar="NAME", help="accept behaviour beyond RFC 9293 (repeatable): "
                   + "; ".join(f"{k}: {v}" for k, v in EXTENSIONS.items()))
    p.add_argument("--reorder-window", default="3,1000", metavar="SEGMENTS,MICROSECONDS",
                   help="capture-reorder: how far out of place (segments, and microseconds apart) a "
                        "segment may be recorded (default 3,1000)")
    p.add_argument("--keep", type=int, default=32, metavar="N",
                   help="after each segment keep at most N configurations of an endpoint, those "
                        "assuming the fewest losses; a violation found after a cut is not checked "
                        "(default 32; 0: keep all)")
    p.add_argument("--max-configs", type=int, default=50_000, metavar="N",
                   help="stop judging an endpoint (not checked) beyond N configurations in one search")
    p.add_argument("--json", action="store_true", help="one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="print violations and the verdict only")
    p.set_defaults(func=run)


def options(args) -> ConformOptions:
    from checker.cli.common import UsageError

    if not 1 <= args.rcv_wnd <= 1 << 30:
        raise UsageError(f"--rcv-wnd must be 1..2^30, got {args.rcv_wnd}")
    if args.max_configs < 1:
        raise UsageError(f"--max-configs must be positive, got {args.max_configs}")
    if args.profile and args.model:
        raise UsageError("give --profile or --model, not both")
    if args.max_violations < 1:
        raise UsageError(f"--max-violations must be positive, got {args.max_violations}")
    if args.keep < 0:
        raise UsageError(f"--keep must be 0 (keep all) or positive, got {args.keep}")
    try:
        judge = tuple(parse_judge(t) for t in args.judge)
    except ValueError as err:
        raise UsageError(f"--judge {err}") from None
    try:
        segs, us = (int(x) for x in args.reorder_window.split(","))
        if segs < 0 or us < 0:
            raise ValueError
    except ValueError:
        raise UsageError(f"--reorder-window wants SEGMENTS,MICROSECONDS (two numbers >= 0), "
                         f"got {args.reorder_window!r}") from None
    tol = frozenset() if args.strict else frozenset(TOLERANCES) - set(args.without)
    return ConformOptions(rcv_wnd=args.rcv_wnd, tolerances=tol, max_configs=args.max_configs,
                          merge_duplicates=args.merge_duplicates, judge=judge,
                          max_violations=args.max_violations, reorder_segments=segs,
                          reorder_seconds=us / 1e6, extensions=frozenset(args.extensions), keep=args.keep)


def run(args) -> int:
    from checker.cli.common import EXIT_FAIL, EXIT_NOT_CHECKED, EXIT_OK, EXIT_USAGE, UsageError
    from checker.load import load_model

    opts = options(args)
    if args.files.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    model = load_model(args.profile or args.model)
    reports: list[Report] = []
    errors: list[str] = []
    for path in args.files:
        show = progress_line(path, enabled=not (args.quiet or args.json))
        try:
            rep = conform_file(path, model, opts, progress=show)
        except CaptureError as err:
            show.clear()
            errors.append(str(err))
            print(f"error: {err}", file=sys.stderr)
            continue
        show.clear()
        reports.append(rep)
        if rep.error:
            errors.append(rep.error)
            print(f"error: {rep.error}", file=sys.stderr)
        if not args.json:
            print_report(rep, model, args.quiet)
    conns = [c for r in reports for c in r.connections]
    bad = sum(c.status == VIOLATION for c in conns)
    unsure = sum(c.status == NOT_CHECKED for c in conns)
    stray = sum(len(r.unattributed) for r in reports)
    if bad:
        code = EXIT_FAIL
    elif errors:
        code = EXIT_USAGE
    elif unsure or stray:
        code = EXIT_NOT_CHECKED
    else:
        code = EXIT_OK
    per = endpoint_summary(conns)
    if args.json:
        json.dump({"model": {"name": model.name, "source": model.source},
                   "tolerances": sorted(opts.tolerances), "extensions": sorted(opts.extensions),
                   "judge": [str(j) for j in opts.judge] or ["both endpoints"],
                   "max_violations": opts.max_violations,
                   "reorder_window": {"segments": opts.reorder_segments,
                                      "microseconds": round(opts.reorder_seconds * 1e6)},
                   "keep": opts.keep, "endpoints": per, "exit_status": code, "ok": not bad,
                   "complete": not (errors or unsure or stray),
                   "counts": {"connections": len(conns), "conformant": len(conns) - bad - unsure,
                              "violation": bad, "not_checked": unsure},
                   "errors": errors, "files": [r.as_json() for r in reports]}, sys.stdout, indent=1)
        print()
    elif reports:
        if not args.quiet and len(per) > 1 or opts.judge:
            for addr, d in per.items():
                tol = ", ".join(f"{k} x{v}" for k, v in sorted(d["tolerances"].items()))
                print(f"endpoint {addr}: {d['connections']} connections, {d['segments_judged']} segments "
                      f"judged, {d['violations']} violations" + (f"; tolerated: {tol}" if tol else ""))
        print(verdict_line(reports, conns, bad, unsure, stray, len(errors)))
    return code


class progress_line(Progress):
    """A self-overwriting line on stderr for a long file: only on a terminal,
    not with --quiet or --json, once the file has taken two seconds."""

    def __init__(self, path: str, enabled: bool, stream=None):
        import time

        super().__init__(enabled, stream)
        self.path, self.clock = path, time.perf_counter

    def __call__(self, segments: int, connections: int) -> None:
        dt = self.clock() - self.t0
        if self.enabled and dt >= self.DELAY:
            self.stream.write(f"\r\033[Kconform: {self.path}: {segments:,} segments, {connections:,} "
                              f"connections, {segments / dt:,.0f} segments/s")
            self.stream.flush()
            self.shown = True


def endpoint_summary(conns) -> dict:
    """Per judged endpoint address: connections, segments judged, violations,
    tolerances its segments needed."""
    out: dict = {}
    for c in conns:
        for side, n in c.judged.items():
            addr = (c.a if side == "A" else c.b)[0]
            d = out.setdefault(addr, {"connections": 0, "segments_judged": 0, "violations": 0,
                                      "tolerances": {}})
            d["connections"] += 1
            d["segments_judged"] += n
            d["violations"] += sum(v.sender == side for v in c.violations)
            for k, v in c.side_tolerances.get(side, {}).items():
                d["tolerances"][k] = d["tolerances"].get(k, 0) + v
    return out


def verdict_line(reports, conns, bad, unsure, stray, errors) -> str:
    segs = sum(r.segments for r in reports)
    secs = sum(r.seconds for r in reports)
    rate = f", {segs / secs:,.0f} segments/s" if secs > 0 and segs else ""
    tail = f" ({segs} segments in {secs:.2f}s{rate})"
    extra = []
    if stray:
        extra.append(f"{stray} unreadable frames of no known connection")
    if errors:
        extra.append(f"{errors} file{'s' if errors > 1 else ''} not read to the end")
    more = ("; " + "; ".join(extra)) if extra else ""
    n = len(conns)
    if not bad and not unsure:
        return f"verdict: all {n} connections conform{more}{tail}"
    parts = [f"{n - bad - unsure} conform"]
    if bad:
        parts.append(f"{bad} violate the model")
    if unsure:
        parts.append(f"{unsure} not checked")
    return f"verdict: {n} connection{'' if n == 1 else 's'}: {', '.join(parts)}{more}{tail}"


def print_report(rep: Report, model, quiet: bool = False, out=None) -> None:
    out = out or sys.stdout
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(rep.skipped.items()))
    n = len(rep.connections)
    extra = []
    if rep.reassembled:
        extra.append(f"{rep.reassembled} datagrams reassembled from fragments")
    if rep.checksums.get("bad"):
        extra.append(f"{rep.checksums['bad']} bad TCP checksums (dropped by the receiver)")
    print(f"conform: {rep.path}: {rep.packets} packets, {rep.segments} TCP segments, "
          f"{n} connection{'' if n == 1 else 's'}; model {model.name} ({model.source})"
          + (f"; skipped: {skipped}" if skipped else "") + "".join(f"; {e}" for e in extra), file=out)
    for b in rep.problems[:20]:
        print(f"  frame {b.frame}: {b.reason}", file=out)
    if rep.bad_frames > 20:
        print(f"  ... and {rep.bad_frames - 20} more unreadable frames", file=out)
    for c in rep.connections:
        if quiet and c.status == CONFORMS:
            continue
        notes = []
        if c.incarnations > 1:
            notes.append(f"{c.incarnations} incarnations")
        if c.mid_connection:
            notes.append("capture starts mid-connection")
        if c.duplicates:
            notes.append(f"{c.duplicates} duplicate packets merged")
        if c.bad_checksums:
            notes.append(f"{c.bad_checksums} bad checksums, judged as never received")
        if c.tolerances:
            notes.append("tolerated: " + ", ".join(f"{k} x{v}" for k, v in sorted(c.tolerances.items())))
        tail = f" ({'; '.join(notes)})" if notes else ""
        head = f"  {c.name}  frames {c.frames[0]}-{c.frames[1]}, {c.segments} segments: "
        if c.status == CONFORMS:
            print(head + "conformant" + tail, file=out)
        elif c.status == NOT_CHECKED:
            print(head + f"not checked: {c.reason}" + tail, file=out)
        else:
            print(head + f"VIOLATION at frame {c.violation.packet.frame}" + tail, file=out)
        for v in c.violations:
            print(format_violation(v, c), file=out)


def format_violation(v, c) -> str:
    x, y = v.sender, "B" if v.sender == "A" else "A"
    p = v.packet
    lines = [f"    frame {p.frame} (segment {v.index} of the connection), {x} {v.endpoint} -> {y}: "
             f"{v.segment.brief()}  [{p.flag_names()}]",
             f"    no run of the table sends it. Just before, {x} could be in:"]
    lines += _capped([f"      {_text(cfg)}" for cfg in v.allowed], 8)
    if v.expected:
        lines.append("    and could have sent instead (rows that fire):")
        lines += _capped([f"      {s.brief():<50} {how}  [{', '.join(rows)}]" for s, how, rows in v.expected],
                         12)
    else:
        lines.append("    and could have sent nothing at all.")
    if v.pending:
        lines.append(f"    {y}'s segments {x} might not have received yet:")
        lines += _capped([f"      frame {f}: {s.brief()}" for f, s in v.pending], 8)
    if v.note:
        lines.append(f"    note: {v.note}")
    return "\n".join(lines)


def _text(cfg) -> str:
    from checker.traces.results import cfg_text

    return cfg_text(cfg)


def _capped(lines: list[str], n: int) -> list[str]:
    if len(lines) <= n:
        return lines
    return lines[:n] + [f"      ... and {len(lines) - n} more"]
