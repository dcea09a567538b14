"""`python -m checker explain SCENARIO`: run a scripted scenario (user calls,
deliveries) on two endpoints of the table and draw it the way RFC 9293 3.5
draws Figures 6-13: two columns, arrows, flags, SEQ and ACK, the states after
each step. Every value is computed by the model; `--list` names the
scenarios. `--live handshake|close|half-close|refused` (root) makes the same
connection with the real kernel's sockets in a private network namespace,
captures it and draws the kernel's own segments, ISNs marked (x, y, x+1,
y+1), each line judged by `conform`. `--lang zh` explains in Chinese (the
ladder stays in RFC notation); `--format svg|mermaid` draws a sequence
diagram."""

from __future__ import annotations

import json
import sys

from checker.cli.common import EXIT_FAIL, EXIT_OK, UsageError, add_command, add_model_arg, int_arg
from checker.generate.explain import MAX_ISS, SCENARIOS, ladder_json, ladder_lines, run_scenario
from checker.load import load_model

DEFAULT_ISS_A, DEFAULT_ISS_B = 100, 300  # RFC 9293 Figures 6-13
LIVE = ("handshake", "close", "half-close", "refused")  # checker.interop.live


def register(subparsers) -> None:
    names = ", ".join(SCENARIOS)
    p = add_command(subparsers, "explain", __doc__,
                    help="draw a scenario as an RFC-style ladder, computed by the table (or --live, the kernel's)",
                    epilog=f"Scenarios: {names}. Example: python -m checker explain handshake "
                           "--iss-a 4294967295 (the ACK wraps to 0). Exit 0; 1 the model refuses a step (or "
                           "--live: conform finds a violation); 2 on a bad scenario name, ISS or model, or "
                           "--live without root.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help=f"one of: {names}")
    p.add_argument("--iss-a", type=int_arg, default=DEFAULT_ISS_A, metavar="N",
                   help=f"ISS of peer A, 0..2^32-1 (default {DEFAULT_ISS_A}, as in the RFC's figures)")
    p.add_argument("--iss-b", type=int_arg, default=DEFAULT_ISS_B, metavar="N",
                   help=f"ISS of peer B, 0..2^32-1 (default {DEFAULT_ISS_B})")
    p.add_argument("--rows", action="store_true", help="also print the table rows that fired at each step")
    p.add_argument("--vars", action="store_true", help="also print SND.UNA, SND.NXT, RCV.NXT after each step")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--json", action="store_true", help="print the steps as JSON instead of the ladder")
    p.add_argument("--live", choices=LIVE, metavar="SCENARIO", default=None,
                   help=f"a real connection of the kernel instead ({', '.join(LIVE)}; needs root)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="the language of the prose (default en)")
    p.add_argument("--format", choices=("text", "svg", "mermaid"), default="text",
                   help="text (default), or a sequence diagram: svg (needs Graphviz's dot) or mermaid")
    add_model_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from checker.generate.faq.messages import tr

    if args.live:
        from checker.cli.explain_live import run_live

        return run_live(args)
    if args.list:
        for s in SCENARIOS.values():
            print(f"{s.name:<20} {tr(args.lang, f'scenario.{s.name}')} [{s.ref}]")
        return EXIT_OK
    if args.scenario is None:
        raise UsageError(f"explain needs a scenario: one of {', '.join(SCENARIOS)}")
    name = args.scenario.lower().replace("_", "-")
    if name not in SCENARIOS:
        raise UsageError(f"unknown scenario {args.scenario!r}; valid scenarios: {', '.join(SCENARIOS)}")
    for flag, v in (("--iss-a", args.iss_a), ("--iss-b", args.iss_b)):
        if not 0 <= v <= MAX_ISS:
            raise UsageError(f"{flag} must be in 0..4294967295 (2^32-1), got {v}")
    model = load_model(args.model)
    sc = SCENARIOS[name]
    title = tr(args.lang, f"scenario.{name}")
    # A variant of the table may refuse a step of the script: draw what ran
    # and say which step, exit 1.
    r = run_scenario(model, name, args.iss_a, args.iss_b, strict=False)
    if args.format != "text":
        _picture(r, f"{title} (RFC 9293 {sc.ref})", model.name, args.format)
    elif args.json:
        doc = {"scenario": name, "title": title, "ref": sc.ref, "model": model.name,
               "source": model.source, "iss_a": args.iss_a, "iss_b": args.iss_b,
               "completed": r.stopped is None, "stopped": r.stopped, **ladder_json(r)}
        json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(tr(args.lang, "explain.head", title=title, ref=sc.ref, model=model.name, a=args.iss_a, b=args.iss_b))
        print()
        for line in ladder_lines(r, show_rows=args.rows, show_vars=args.vars):
            print(line)
    if r.stopped is not None:
        print(tr(args.lang, "explain.stopped", name=name, model=model.name, why=r.stopped), file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _picture(r, title: str, model_name: str, fmt: str) -> None:
    from checker.generate.diagram import DiagramError
    from checker.generate.faq.pictures import draw, run_sequence

    try:
        data = draw(run_sequence(r, [title, f"model {model_name}"]), fmt)
    except DiagramError as err:
        raise UsageError(str(err)) from None
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)

