"""`python -m checker rows` and `variants`: the table as text or JSON, and the
shipped variants (model/variants/)."""

from __future__ import annotations

import json
import sys
import textwrap

from checker.cli.common import EXIT_OK, UsageError, add_model_arg
from checker.cli.output import fit, width_of
from checker.load import load_model, variant_names


def register(sub) -> None:
    ls = sub.add_parser("variants", help="list the shipped model variants",
                        description="List the variants in model/variants/ and what each one changes.")
    ls.set_defaults(func=run_variants)

    rows = sub.add_parser("rows", help="print the table",
                          description="Print every row of the table (or a variant): state, event, guard, "
                                      "segments sent, updates, next state and RFC reference.")
    add_model_arg(rows)
    rows.add_argument("--state", default=None, help="only rows of this state (e.g. SYN-SENT)")
    rows.add_argument("--json", action="store_true", help="JSON instead of text")
    rows.set_defaults(func=run)


def run_variants(args) -> int:
    import importlib

    for name in variant_names():
        mod = importlib.import_module(f"model.variants.{name}")
        doc = " ".join((mod.__doc__ or "").split())
        print(textwrap.fill(f"{name}: {doc.split('. ')[0]}", width_of(sys.stdout), subsequent_indent="    "))
    return EXIT_OK


def run(args) -> int:
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
                    "goto": str(r.target), "then": r.then, "ack": r.ack, "error": r.error, "ref": r.ref,
                    "signal": r.signal, "timers": [f"{a} {t}" for t, a in r.timers]}
                   for i, r in sel], sys.stdout, indent=1)
        print()
        return EXIT_OK
    width = width_of(sys.stdout)
    for i, r in sel:
        print(fit(f"{i:>3} {r.name}  {r.state} on {r.on} -> {r.target}"
                  + (" (continue)" if r.then == "continue" else ""), width))
        parts = [f"when {r.when}"]
        if r.emit:
            parts.append("send " + " ".join(map(str, r.emit)))
        if r.set:
            parts.append("set " + ", ".join(f"{k} <- {e}" for k, e in r.set))
        if r.ack:
            parts.append("ACK")
        if r.error:
            parts.append(f'error "{r.error}"')
        if r.signal:
            parts.append(f'signal the user "{r.signal}"')
        if r.timers:
            parts.append("timers: " + ", ".join(f"{a} {t}" for t, a in r.timers))
        parts.append(f"[{r.ref}]")
        for part in parts:
            print("\n".join(textwrap.wrap(part, width, initial_indent="      ", subsequent_indent="          ",
                                           break_on_hyphens=False)))
    return EXIT_OK
