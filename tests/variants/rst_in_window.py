"""Broken: the RFC 793 reset check: any acceptable (in-window) RST resets a
synchronized connection, without RFC 5961's exact match SEG.SEQ = RCV.NXT
that RFC 9293 3.10.7.4 second adopts.

Expected: `prove reset-safety` fails: a RST with SEG.SEQ != RCV.NXT resets.
"""

from model.rows import changed, without
from model.state import State
from model.table import ROWS as STANDARD
from model.table import RST

ROWS = STANDARD
for _st in (State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT):
    ROWS = changed(ROWS, f"rst-reset@{_st}", when=RST,
                   ref="variant: RFC 793 in-window RST resets (no RFC 5961 exact match)")
    ROWS = without(ROWS, f"rst-challenge@{_st}")  # (it could never fire)
