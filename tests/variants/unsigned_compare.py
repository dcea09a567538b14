"""Broken: every sequence-number comparison of the table made with plain
unsigned `<` and `=<` instead of the modulo-2^32 comparison of RFC 9293 3.4
("all arithmetic dealing with sequence numbers must be performed modulo
2^32"). Works as long as no number wraps past 2^32 - 1.

Expected: `prove handshake` fails for an ISS whose ISS + 1 wraps to 0;
`prove comparison` with the unsigned order fails (tests/proofs/test_proofs.py).
"""

from dataclasses import replace

from model.expr import And, Bin, C, Ite, Not, Or, V
from model.rows import Emit
from model.table import ROWS as STANDARD


def unsigned(e):
    """The expression with "<" and "=<" on sequence numbers made unsigned."""
    if isinstance(e, (V, C)):
        return e
    if isinstance(e, Bin):
        args = tuple(unsigned(a) for a in e.args)
        if e.op == "<":
            return Bin("u<", args)
        if e.op == "=<":
            return Or((Bin("u<", args), Bin("=", args)))
        return Bin(e.op, args)
    if isinstance(e, And):
        return And(tuple(unsigned(a) for a in e.args))
    if isinstance(e, Or):
        return Or(tuple(unsigned(a) for a in e.args))
    if isinstance(e, Not):
        return Not(unsigned(e.arg))
    if isinstance(e, Ite):
        return Ite(unsigned(e.cond), unsigned(e.then), unsigned(e.other))
    raise TypeError(e)


def _row(r):
    return replace(r, when=unsigned(r.when),
                   emit=tuple(Emit(em.ctl, unsigned(em.seq), None if em.ack is None else unsigned(em.ack),
                                   unsigned(em.data)) for em in r.emit),
                   set=tuple((k, unsigned(e)) for k, e in r.set),
                   ref=r.ref + " [variant: unsigned comparisons]")


ROWS = [_row(r) for r in STANDARD]
