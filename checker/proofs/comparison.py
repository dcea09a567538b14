"""Proof comparison (RFC 9293 3.4): the wrap-aware order of `model.seq` is a
strict total order on spans below 2^31, and z3 exhibits the
non-transitive triple at 2^31."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import HEX
from checker.proofs.replay import values_hex, witness
from checker.proofs.symbolic import boolean, evaluate_in
from checker.result import FAIL, PASS, CheckResult, check
from model import expr as X
from model.machine import Model
from model.seq import HALF, is_z3, le, lt, sub


def table_lt(a, b):
    """a < b as the table's expressions compute it: `model.expr` on a
    `model.seq.lt` node, the very path every row's guard takes."""
    return X.to_z3(lt(X.V("a"), X.V("b")), {"a": a, "b": b})


@check("comparison",
       "3.4 (modulo 2^32 order: strict total order on spans below 2^31)")
def prove_comparison(model: Model, less=None) -> CheckResult:
    """3.4: the wrap-aware order (a < b iff the signed 32-bit a - b is
    negative) is, on any set of values spanning less than 2^31 (all within
    [m, m + 2^31) for some m), the order of their distances from m: hence a
    strict total order (irreflexive, asymmetric, transitive, total), and
    "=<" is "< or =" everywhere. Negative control, which must come out sat:
    once the span reaches 2^31 z3 exhibits a < b, b < c and not a < c.
    `less` replaces the comparison (tests pass a broken one)."""
    t0 = time.perf_counter()
    name, ref = prove_comparison.check_name, prove_comparison.check_ref
    less = less or table_lt
    a, b, c, m = z3.BitVecs("a b c m", 32)

    def within(span_ok, *xs):
        return [span_ok(sub(x, m)) for x in xs]

    below = lambda d: z3.ULT(d, HALF)  # noqa: E731 - span < 2^31
    lt_ = lambda x, y: boolean(less(x, y))  # noqa: E731
    claims = [
        ("a < b iff (a - m) < (b - m) as distances from the set's least element m",
         within(below, a, b), lt_(a, b) == z3.ULT(sub(a, m), sub(b, m))),
        ("irreflexive: not a < a", [], z3.Not(lt_(a, a))),
        ("asymmetric: a < b => not b < a", within(below, a, b), z3.Implies(lt_(a, b), z3.Not(lt_(b, a)))),
        ("transitive: a < b < c => a < c", within(below, a, b, c),
         z3.Implies(z3.And(lt_(a, b), lt_(b, c)), lt_(a, c))),
        ("total: a != b => a < b or b < a", within(below, a, b), z3.Implies(a != b, z3.Or(lt_(a, b), lt_(b, a)))),
        ("a =< b iff a < b or a = b (table's =<)", [],
         boolean(X.to_z3(le(X.V("a"), X.V("b")), {"a": a, "b": b})) == z3.Or(lt_(a, b), a == b)),
    ]
    for label, facts, claim in claims:
        w = witness(facts, [z3.Not(claim)])
        if w is not None:
            vals = {k: evaluate_in(w, t) for k, t in (("a", a), ("b", b), ("c", c), ("m", m))}
            res = CheckResult(name, ref, FAIL, f"FAILED: {label}", time.perf_counter() - t0)
            res.counterexample = {"kind": "values", "why": label, "row": None, "claim": label,
                                  "values": values_hex(vals),
                                  "text": "    " + ", ".join(f"{k}={HEX(x)}" for k, x in vals.items())
                                          + f"\n    a < b: {_c(less, vals['a'], vals['b'])}, "
                                            f"b < a: {_c(less, vals['b'], vals['a'])}, "
                                            f"b < c: {_c(less, vals['b'], vals['c'])}, "
                                            f"a < c: {_c(less, vals['a'], vals['c'])}"}
            return res
    # negative control: at span 2^31 the order is no longer transitive
    reach = lambda d: z3.ULE(d, HALF)  # noqa: E731 - span =< 2^31
    w = witness(within(reach, a, b, c), [lt_(a, b), lt_(b, c), z3.Not(lt_(a, c)), z3.Distinct(a, b, c)])
    if w is None:
        res = CheckResult(name, ref, FAIL, "FAILED: no non-transitive triple at span 2^31 (the negative control "
                          "must be sat: the comparison is not the modulo-2^32 one)", time.perf_counter() - t0)
        res.counterexample = {"kind": "values", "why": "negative control unsat", "row": None,
                              "claim": "a non-transitive triple exists at span 2^31", "values": {}, "text": ""}
        return res
    trip = {k: evaluate_in(w, t) for k, t in (("a", a), ("b", b), ("c", c), ("m", m))}
    return CheckResult(name, ref, PASS,
                       "proved for all 2^32 values spanning < 2^31 (order of distances, strict total order); "
                       "span 2^31: z3 finds a < b, b < c, not a < c with "
                       + ", ".join(f"{k}={HEX(x)}" for k, x in trip.items() if k != "m"),
                       time.perf_counter() - t0, {"non_transitive": values_hex(trip)})


def _c(less, x, y) -> bool:
    """The comparison on concrete ints (the counterexample replayed)."""
    r = less(x, y)
    if is_z3(r):
        r = z3.is_true(z3.simplify(boolean(r)))
    return bool(r)
