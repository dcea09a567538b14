"""The table's expressions (`model.expr`) printed as Promela.

Sequence numbers are Promela `int`s (32 bits, two's complement) holding
the value modulo 2^32: a value v >= 2^31 is stored as v - 2^32, and `pan`
is compiled with `-fwrapv`, so `+` and `-` wrap exactly as `model.seq` does
on ints. The wrap-aware comparisons of RFC 9293 3.4 are the signed
difference's sign (`a < b` iff `(a - b) < 0`), which is the definition in
`model.seq`; `u<` (lengths, windows) compares unsigned by the sign bits.
"""

from __future__ import annotations

from model import expr as X
from model.seq import HALF, MASK


def const(v: int) -> str:
    """A 32-bit value as a Promela int literal (its two's-complement reading)."""
    v &= MASK
    if v == HALF:
        return "(-2147483647 - 1)"
    return str(v - (1 << 32)) if v > HALF else str(v)


def signed(v: int) -> int:
    """What Promela prints for a stored 32-bit value, back to 0..2^32-1 is `v & MASK`."""
    v &= MASK
    return v - (1 << 32) if v >= HALF else v


def to_promela(e: X.Expr, names: dict[str, str]) -> str:
    """Promela source of `e`; `names` maps each variable to a Promela expression."""
    if isinstance(e, X.V):
        return names[e.name]
    if isinstance(e, X.C):
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        return const(e.value)
    if isinstance(e, X.Bin):
        a, b = (to_promela(x, names) for x in e.args)
        return {
            "+": f"({a} + {b})", "-": f"({a} - {b})",
            "<": f"(({a} - {b}) < 0)", "=<": f"(({a} - {b}) <= 0)",
            "=": f"({a} == {b})", "!=": f"({a} != {b})",
            # unsigned a < b: same sign bit, then the signed order; else b has the high bit
            "u<": f"((({a}) < 0) == (({b}) < 0) -> ({a}) < ({b}) : (({b}) < 0))",
        }[e.op]
    if isinstance(e, X.And):
        return "(" + " && ".join(to_promela(a, names) for a in e.args) + ")"
    if isinstance(e, X.Or):
        return "(" + " || ".join(to_promela(a, names) for a in e.args) + ")"
    if isinstance(e, X.Not):
        return f"(!{to_promela(e.arg, names)})"
    if isinstance(e, X.Ite):
        return (f"({to_promela(e.cond, names)} -> {to_promela(e.then, names)} : "
                f"{to_promela(e.other, names)})")
    raise X.ExprError(f"not an expression: {e!r}")


def is_true(e: X.Expr) -> bool:
    return isinstance(e, X.C) and e.value is True


def conj(parts: list[str]) -> str:
    parts = [p for p in parts if p != "true"]
    if any(p == "false" for p in parts):
        return "false"
    return "(" + " && ".join(parts) + ")" if parts else "true"


def disj(parts: list[str]) -> str:
    parts = [p for p in parts if p != "false"]
    if any(p == "true" for p in parts):
        return "true"
    return "(" + " || ".join(parts) + ")" if parts else "false"
