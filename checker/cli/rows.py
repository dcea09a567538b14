"""`python -m checker rows` and `variants`: the table as text or JSON, and the
shipped variants (model/variants/)."""

from __future__ import annotations

import json
import sys

from checker.cli.common import EXIT_OK, UsageError, add_model_arg
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
        doc = (mod.__doc__ or "").strip().splitlines()
        print(f"{name}: {doc[0] if doc else ''}")
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
