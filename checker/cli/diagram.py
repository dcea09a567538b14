"""`python -m checker diagram`: Draw the connection state diagram from the table
as DOT, SVG, PNG (Graphviz's dot program) or Mermaid. --view figure5 (default)
reproduces RFC 9293 3.3.2 Figure 5: the eleven states and the edges the figure
draws, labelled like 'rcv SYN / snd SYN,ACK'. --view full adds every other
row: RST and timeout edges, the notes to Figure 5 (Note 2: FIN-WAIT-1 to TIME-
WAIT in one segment; Note 3: RST), ABORT, and the rows that keep the state.
--view composed draws the reachable global states of two endpoints with the
counterexample paths of failing checks in red, under verify's runs and
defaults (the first run in which a check fails); a graph bigger than
--max-nodes is drawn as the neighbourhood of the counterexample path.
--view counterexample --check NAME draws the counterexample of one failing
check as a sequence diagram: A and B as lifelines, segments as arrows in RFC
notation, lost segments ending at an X, calls, timeouts and states at each
step (SVG/PNG via dot, or Mermaid sequenceDiagram)."""

from __future__ import annotations

import argparse
import json
import sys

from checker.cli.common import EXIT_OK, UsageError, add_command, add_endpoint_args, add_model_arg, int_arg
from checker.generate.composed_view import MAX_NODES
from checker.load import load_model

FORMATS = ("dot", "svg", "png", "mermaid")
VIEWS = ("figure5", "full", "composed", "counterexample")
EPILOG = """Examples: python -m checker diagram --format svg --out docs/figure5.svg; python -m
checker diagram --view composed --model two_way_handshake --format svg --out cex.svg; python -m
checker diagram --view counterexample --check graceful-close --model no_time_wait --format mermaid.
Exit 0; 2 on bad options, a malformed model, SVG/PNG without dot, dot over its time budget, or a
check with no counterexample to draw."""


def register(subparsers) -> None:
    p = add_command(subparsers, "diagram", __doc__,
                    help="draw the state diagram (RFC 9293 Figure 5) from the table",
                    epilog=EPILOG)
    p.add_argument("--view", choices=VIEWS, default="figure5",
                   help="figure5 (default), full (every row), composed (two endpoints) or counterexample "
                        "(a sequence diagram of --check NAME)")
    p.add_argument("--format", choices=FORMATS, default="dot",
                   help="dot (default), svg, png (both need Graphviz's dot), mermaid")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="write here instead of standard output (required for png)")
    p.add_argument("--no-self-loops", action="store_true",
                   help="full view: leave out the rows that keep the state")
    p.add_argument("--json", action="store_true",
                   help="print the edges (and counterexample paths) as JSON instead of a drawing")
    add_model_arg(p)
    g = p.add_argument_group("composed and counterexample views: verify's runs, options and defaults")
    g.add_argument("--check", metavar="NAME", default=None,
                   help="counterexample view: the check whose counterexample to draw (the first run in "
                        "which it fails)")
    g.add_argument("--channel-capacity", type=int_arg, default=1, metavar="K",
                   help="segments per direction (default 1)")
    for name, what in (("loss", "segments may be lost"), ("duplication", "segments may be duplicated"),
                       ("reordering", "segments may overtake each other"),
                       ("old-syn", "an old duplicate SYN may reach a listener once")):
        g.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None,
                       help=f"{what} (without any fault flag: verify's reliable and lossy runs)")
    g.add_argument("--abort", action=argparse.BooleanOptionalAction, default=None,
                   help="only the runs with (--abort) or without (--no-abort) ABORT and user timeout "
                        "(default both, as verify)")
    g.add_argument("--data", type=int_arg, default=1, metavar="N", help="octets each user may send (default 1)")
    add_endpoint_args(g)
    g.add_argument("--max-nodes", type=int_arg, default=MAX_NODES, metavar="N",
                   help=f"draw at most this many global states: a bigger graph is drawn as the states "
                        f"within k steps of the counterexample path (default {MAX_NODES})")
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
        need_dot,
        render,
        select,
        table_edges,
        to_dot,
        to_mermaid,
    )

    if args.format == "png" and args.out is None and not args.json:
        raise UsageError("--format png writes binary data: give --out FILE.png")
    if args.view == "counterexample" and not args.check:
        raise UsageError("--view counterexample needs --check NAME (the check whose counterexample to draw)")
    model = load_model(args.model)
    try:
        if args.format in ("svg", "png") and not args.json:
            need_dot(args.format)  # before any work
        if args.view == "composed":
            return _run_composed(args, model)
        if args.view == "counterexample":
            return _run_counterexample(args, model)
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


def _runs(args) -> list:
    """verify's runs for these options (checker.cli.verify.options_from,
    checker.analysis.report.default_runs): the same defaults as verify."""
    from checker.analysis.report import default_runs
    from checker.cli.verify import options_from

    args.no_abort = args.abort is False
    runs = default_runs(*options_from(args))
    return [r for r in runs if r.abort] if args.abort else runs


def _run_composed(args, model) -> int:
    from checker.generate.composed_view import composed, composed_dot, composed_mermaid
    from checker.generate.diagram import render

    runs = _runs(args)
    if args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be positive, got {args.max_nodes}")
    c = composed(model, runs, args.max_nodes)
    exp = c.exploration
    opts = exp.opts
    if args.json:
        json.dump({"model": model.name, "run": opts.label(), "states": exp.n_states,
                   "edges": exp.n_edges, "drawn": len(c.shown), "radius": c.radius,
                   "failed": [{"check": r.name, "why": r.counterexample.get("why", ""),
                               "path": c.paths[r.name]} for r in c.failed]}, sys.stdout, indent=1)
        print()
        return EXIT_OK
    fails = ", ".join(r.name for r in c.failed) or "none"
    title = (f"Two endpoints, model {model.name}, {opts.label()}: {c.scope()}; "
             f"counterexamples in red: {fails}")
    if args.format == "mermaid":
        text = composed_mermaid(c, title)
        n_edges = text.count(" --> ") + text.count(" -->|")
        if n_edges > 500:
            print(f"warning: {n_edges} edges; Mermaid renderers refuse more than 500 by default",
                  file=sys.stderr)
        _write(args, text)
        return EXIT_OK
    dot = composed_dot(c, title)
    _write(args, dot if args.format == "dot" else render(dot, args.format))
    return EXIT_OK


def _run_counterexample(args, model) -> int:
    from checker.generate.cexfind import NotFound, find_failure
    from checker.generate.sequence import NoSequence, draw, steps_of

    try:
        res = find_failure(model, args.check, _runs(args), 2_000_000)
        if args.json:
            lad = steps_of(res.counterexample, model)
            json.dump({"model": model.name, "check": res.name, "run": res.run,
                       "why": res.counterexample.get("why", ""), "start": list(lad.start),
                       "segments": lad.segments(), "losses": lad.losses(), "steps": lad.steps},
                      sys.stdout, indent=1)
            print()
            return EXIT_OK
        _write(args, draw(res, model, args.format))
    except (NotFound, NoSequence) as err:
        raise UsageError(f"{args.check}: {err}" if isinstance(err, NoSequence) else str(err)) from None
    return EXIT_OK
