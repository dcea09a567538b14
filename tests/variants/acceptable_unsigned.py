"""Broken: the segment acceptability test of 3.10.7.4 (Table 6) written with
plain unsigned comparisons instead of the modulo-2^32 ones of 3.4: a window
that wraps past 2^32 - 1 accepts nothing beyond 0.

Expected: `prove acceptability` fails near the wrap.
"""

from model.expr import any_of
from model.rows import changed
from model.seq import add, eq, sub, ult
from model.table import OTHER, RCV_NXT, RCV_WND, RST, SEG_LEN, SEG_SEQ
from model.table import ROWS as STANDARD


def _in_window_unsigned(x):
    return (ult(RCV_NXT, x) | eq(RCV_NXT, x)) & ult(x, add(RCV_NXT, RCV_WND))


_ZL, _ZW = eq(SEG_LEN, 0), eq(RCV_WND, 0)
ACCEPTABLE_U = any_of(
    _ZL & _ZW & eq(SEG_SEQ, RCV_NXT),
    _ZL & ~_ZW & _in_window_unsigned(SEG_SEQ),
    ~_ZL & ~_ZW & (_in_window_unsigned(SEG_SEQ) | _in_window_unsigned(sub(add(SEG_SEQ, SEG_LEN), 1))),
)

ROWS = STANDARD
for _st in OTHER:
    ROWS = changed(ROWS, f"seq-bad-rst@{_st}", when=~ACCEPTABLE_U & RST,
                   ref="variant: Table 6 with unsigned comparisons (not RFC 9293)")
    ROWS = changed(ROWS, f"seq-bad@{_st}", when=~ACCEPTABLE_U,
                   ref="variant: Table 6 with unsigned comparisons (not RFC 9293)")
