"""`python -m checker faq [QUESTION]`: the classic questions of TCP
connection management, each answered by running the model: the property
that breaks, the shipped variant that breaks it and its counterexample
ladder (verify's own check, run as `verify --model VARIANT --check NAME`
runs it, with its bounds), the same check holding on the RFC 9293 table,
ladders of the legal behaviour, and a paragraph citing RFC 9293. Nothing is
stored: every verdict, ladder and figure comes from this run. Without
QUESTION, all seven; `--list` names them; `--lang zh` answers in Chinese
(ladders stay in RFC notation); `--format svg|mermaid` draws the answer's
ladders as sequence diagrams."""

from __future__ import annotations

import json
import os
import sys

from checker.cli.common import (EXIT_FAIL, EXIT_NOT_CHECKED, EXIT_OK, UsageError, add_color_arg, add_command,
                                int_arg, writable_dir)
from checker.cli.output import Printer


def register(subparsers) -> None:
    from checker.generate.faq.questions import QUESTIONS

    names = ", ".join(QUESTIONS)
    p = add_command(subparsers, "faq", __doc__, help="the classic questions, answered by running the model",
                    epilog=f"Questions: {names}. Exit 0 every answer stands (its check fails on the variant "
                           "and holds on the table), 1 one does not, 2 usage error, 3 something was not "
                           "checked.")
    p.add_argument("question", nargs="?", metavar="QUESTION", help=f"one of: {names} (default: all)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="the language of the prose (default en)")
    p.add_argument("--list", action="store_true", help="list the questions and exit")
    p.add_argument("--json", action="store_true", help="print the answers as one JSON document")
    p.add_argument("--format", choices=("text", "svg", "mermaid"), default="text",
                   help="text (default), or the answer's ladders as sequence diagrams: svg (needs Graphviz's "
                        "dot) or mermaid; without --out the first one goes to stdout")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="with --format svg|mermaid: write every ladder of the answer as DIR/NAME.svg|.mmd")
    p.add_argument("--jobs", "-j", type=int_arg, default=None, metavar="N",
                   help="worker processes for the checks (default: the number of cores, at most 8)")
    add_color_arg(p)
    p.set_defaults(func=run)


def _keys(args) -> list[str]:
    from checker.generate.faq.messages import tr
    from checker.generate.faq.questions import QUESTIONS

    if args.question is None:
        if args.format != "text":
            raise UsageError(tr(args.lang, "err.format", fmt=args.format))
        return list(QUESTIONS)
    key = args.question.lower().replace("_", "-")
    if key not in QUESTIONS:
        raise UsageError(tr(args.lang, "err.unknown", q=args.question, keys=", ".join(QUESTIONS)))
    return [key]


def run(args) -> int:
    from checker.generate.faq.answer import answer, as_json, text
    from checker.generate.faq.messages import tr
    from checker.generate.faq.questions import QUESTIONS
    from checker.result import PASS, UNCHECKED

    if args.list:
        print(tr(args.lang, "list"))
        for k in QUESTIONS:
            print(f"  {k:<14} {tr(args.lang, f'{k}.title')}")
        return EXIT_OK
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise UsageError(f"--jobs must be 1..64, got {args.jobs}")
    if args.out and args.format == "text":
        raise UsageError("--out needs --format svg or --format mermaid")
    keys = _keys(args)
    if args.out:
        writable_dir(args.out, "--out")
    out = Printer(sys.stdout, args.color)
    answers = []
    for i, key in enumerate(keys, 1):
        a = answer(key, jobs=args.jobs)
        answers.append(a)
        if args.format != "text":
            return _pictures(a, args)
        if not args.json:
            out.emit("\n".join(text(a, args.lang, n=list(QUESTIONS).index(key) + 1, printer=out)))
            if i < len(keys):
                out.emit("")
    if args.json:
        json.dump({"lang": args.lang, "answers": [as_json(a, args.lang) for a in answers]}, sys.stdout,
                  indent=1, ensure_ascii=False)
        print()
    states = [a.status() for a in answers]
    if any(s == UNCHECKED for s in states):
        return EXIT_NOT_CHECKED
    return EXIT_OK if all(s == PASS for s in states) else EXIT_FAIL


def _pictures(a, args) -> int:
    from checker.generate.diagram import DiagramError
    from checker.generate.faq.pictures import answer_sequences, draw
    from checker.result import PASS

    seqs = answer_sequences(a)
    try:
        if args.out:
            for name, seq in seqs:
                data = draw(seq, args.format)
                path = os.path.join(args.out, f"{name}.{'svg' if args.format == 'svg' else 'mmd'}")
                with open(path, "wb") as f:
                    f.write(data if isinstance(data, bytes) else data.encode())
                print(f"wrote {path}")
        else:
            data = draw(seqs[0][1], args.format)
            if isinstance(data, bytes):
                sys.stdout.buffer.write(data)
            else:
                sys.stdout.write(data)
            if len(seqs) > 1:
                print(f"faq {a.q.key}: {len(seqs) - 1} more ladders: --out DIR writes them all", file=sys.stderr)
    except DiagramError as err:
        raise UsageError(str(err)) from None
    return EXIT_OK if a.status() == PASS else EXIT_FAIL
