"""The one sequence-number algebra (RFC 9293 3.4): the same function on ints,
on z3 bit-vectors and on expressions, and the compiled expressions agree."""

from __future__ import annotations

import z3
from hypothesis import given
from hypothesis import strategies as st

from model import seq
from model.expr import ExprError, V, compile_expr, evaluate, kind
from model.seq import MASK

u32 = st.one_of(st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**31 + 1, 2**32 - 2, 2**32 - 1]),
                st.integers(0, MASK))
OPS = ["add", "sub", "lt", "le", "gt", "ge", "eq", "ne", "ult"]


def z3_value(term):
    s = z3.simplify(term)
    return z3.is_true(s) if z3.is_bool(s) else s.as_long()


@given(u32, u32)
def test_int_z3_and_compiled_expression_agree(a, b):
    env = {"SND.UNA": a, "SEG.ACK": b}
    for op in OPS:
        f = getattr(seq, op)
        on_int = f(a, b)
        on_z3 = z3_value(f(z3.BitVecVal(a, 32), z3.BitVecVal(b, 32)))
        e = f(V("SND.UNA"), V("SEG.ACK"))
        assert on_int == on_z3 == evaluate(e, env) == compile_expr(e)(env), op


def test_add_wraps_at_2_to_the_32():
    assert seq.add(2**32 - 1, 1) == 0
    assert seq.sub(0, 1) == 2**32 - 1


def test_wrap_aware_order_crosses_zero():
    assert seq.lt(2**32 - 1, 0) and seq.lt(2**32 - 10, 5) and not seq.lt(5, 2**32 - 10)
    assert seq.le(7, 7) and not seq.lt(7, 7)


def test_order_is_not_transitive_across_half_the_space():
    # STYLE.md: a = 0, b = 2^30, c = 2^31: a < b, b < c, c < a.
    a, b, c = 0, 2**30, 2**31
    assert seq.lt(a, b) and seq.lt(b, c) and seq.lt(c, a)


def test_expressions_print_as_the_rfc_writes_them():
    e = seq.lt(V("SND.UNA"), V("SEG.ACK")) & seq.le(V("SEG.ACK"), V("SND.NXT"))
    assert str(e) == "(SND.UNA < SEG.ACK) and (SEG.ACK =< SND.NXT)"
    assert str(V("SEG.SEQ") + 1) == "SEG.SEQ + 1"


def test_kind_rejects_unknown_variables_and_mixed_kinds():
    for bad in (V("SND.MAX"), seq.add(V("CTL.SYN"), 1), V("SEG.SEQ") & V("CTL.ACK")):
        try:
            kind(bad)
        except ExprError:
            continue
        raise AssertionError(f"{bad} accepted")
