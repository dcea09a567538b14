"""`python -m checker diagram`: Draw the connection state diagram from the table
as DOT, SVG, PNG (Graphviz's dot program) or Mermaid. --view figure5 (default)
reproduces RFC 9293 3.3.2 Figure 5: the eleven states and the edges the figure
draws, labelled like 'rcv SYN / snd SYN,ACK'. --view full adds every other
row: RST and timeout edges, the notes to Figure 5 (Note 2: FIN-WAIT-1 to TIME-
WAIT in one segment; Note 3: RST), ABORT, and the rows that keep the state.
--view composed draws the reachable global states of two endpoints (small
capacities) with the counterexample paths of failing checks in red."""

from __future__ import annotations

import argparse
import json
import sys

from checker.analysis.options import Options
from checker.cli.common import EXIT_OK, UsageError, add_command, add_endpoint_args, add_model_arg, int_arg
from checker.load import load_model

FORMATS = ("dot", "svg", "png", "mermaid")
VIEWS = ("figure5", "full", "composed")
EPILOG = """Examples: python -m checker diagram --format svg --out docs/figure5.svg; python -m
checker diagram --view composed --model two_way_handshake --format svg --out cex.svg. Exit 0; 2
on bad options, a malformed model, or SVG/PNG without dot."""


def register(subparsers) -> None:
    p = add_command(subparsers, "diagram", __doc__,
                    help="draw the state diagram (RFC 9293 Figure 5) from the table",
                    epilog=EPILOG)
    p.add_argument("--view", choices=VIEWS, default="figure5",
                   help="figure5 (default), full (every row) or composed (two endpoints)")
    p.add_argument("--format", choices=FORMATS, default="dot",
                   help="dot (default), svg, png (both need Graphviz's dot), mermaid")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="write here instead of standard output (required for png)")
    p.add_argument("--no-self-loops", action="store_true",
                   help="full view: leave out the rows that keep the state")
    p.add_argument("--json", action="store_true",
                   help="print the edges (and counterexample paths) as JSON instead of a drawing")
    add_model_arg(p)
    g = p.add_argument_group("composed view")
    g.add_argument("--channel-capacity", type=int_arg, default=1, metavar="K",
                   help="segments per direction (default 1)")
    for name, what in (("loss", "segments may be lost"), ("duplication", "segments may be duplicated"),
                       ("reordering", "segments may overtake each other"),
                       ("old-syn", "an old duplicate SYN may reach a listener once"),
                       ("abort", "ABORT and the user timeout exist")):
        g.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=False,
                       help=f"{what} (default off)")
    g.add_argument("--data", type=int_arg, default=0, metavar="N", help="octets each user may send (default 0)")
    add_endpoint_args(g)
    g.add_argument("--max-nodes", type=int_arg, default=1500, metavar="N",
                   help="refuse to draw more global states than this (default 1500)")
    p.set_defaults(func=run)


def _write(args, data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    if args.out is None:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
        return
    try:
        with open(args.out, "wb") as f:
            f.write(raw)
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {err.strerror}") from None


def run(args) -> int:
    # checker.generate.diagram imports z3: only when the command runs, not at start-up
    from checker.generate.diagram import (
        DiagramError,
        figure5_notes,
        render,
        select,
        table_edges,
        to_dot,
        to_mermaid,
    )

    if args.format == "png" and args.out is None and not args.json:
        raise UsageError("--format png writes binary data: give --out FILE.png")
    model = load_model(args.model)
    try:
        if args.view == "composed":
            return _run_composed(args, model)
        edges = select(table_edges(model, loops=args.view == "full" and not args.no_self_loops),
                       args.view, self_loops=not args.no_self_loops)
        if args.json:
            json.dump({"model": model.name, "source": model.source, "view": args.view,
                       "edges": [{"from": str(e.src), "to": str(e.dst), "event": e.event,
                                  "action": e.action, "label": e.label, "kind": e.kind,
                                  "rows": list(e.rows)} for e in edges]}, sys.stdout, indent=1)
            print()
            return EXIT_OK
        title = ("TCP Connection State Diagram (RFC 9293 Figure 5)" if args.view == "figure5"
                 else "TCP connection states: every row of the table")
        title += f", model {model.name}"
        if args.format == "mermaid":
            _write(args, to_mermaid(edges, title))
            return EXIT_OK
        notes = figure5_notes(model) if args.view == "figure5" else None
        dot = to_dot(edges, title, model.name, legend=args.view == "full", notes=notes)
        _write(args, dot if args.format == "dot" else render(dot, args.format))
    except DiagramError as err:
        raise UsageError(str(err)) from None
    return EXIT_OK


def _run_composed(args, model) -> int:
    from checker.generate.composed_view import composed, composed_dot, composed_mermaid
    from checker.generate.diagram import render

    opts = Options(capacity=args.channel_capacity, loss=args.loss, duplication=args.duplication,
                   reordering=args.reordering, old_syn=args.old_syn, abort=args.abort, data=args.data,
                   iss_a=args.iss_a, iss_b=args.iss_b, rcv_wnd=args.rcv_wnd)
    try:
        opts.validate()
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be positive, got {args.max_nodes}")
    c = composed(model, opts, args.max_nodes)
    exp = c.exploration
    if args.json:
        json.dump({"model": model.name, "run": opts.label(), "states": exp.n_states,
                   "edges": exp.n_edges,
                   "failed": [{"check": r.name, "why": r.counterexample.get("why", ""),
                               "path": c.paths[r.name]} for r in c.failed]}, sys.stdout, indent=1)
        print()
        return EXIT_OK
    fails = ", ".join(r.name for r in c.failed) or "none"
    title = (f"Two endpoints, model {model.name}, {opts.label()}: {exp.n_states} states; "
             f"counterexamples in red: {fails}")
    if args.format == "mermaid":
        text = composed_mermaid(c, title)
        if exp.n_edges > 500:
            print(f"warning: {exp.n_edges} edges; Mermaid renderers refuse more than 500 by default",
                  file=sys.stderr)
        _write(args, text)
        return EXIT_OK
    dot = composed_dot(c, title)
    _write(args, dot if args.format == "dot" else render(dot, args.format))
    return EXIT_OK
