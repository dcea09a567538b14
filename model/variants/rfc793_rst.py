"""Variant: RFC 793's reset check. Any RST whose sequence number is in the
receive window resets the connection, as RFC 793 said before RFC 5961; RFC
9293 3.10.7.4 second adopts RFC 5961 3.2: only SEG.SEQ = RCV.NXT resets, a
RST elsewhere in the window draws a challenge ACK. Answers "why does a
blind RST almost never work?": with this table a blind attacker needs to
hit any of RCV.WND values of the 2^32 (one try in 2^32 / RCV.WND), with the
standard one exactly one of 2^32 (and the true peer, which knows RCV.NXT,
is answered by the challenge ACK only when it missed it). RFC 9293 still
allows this processing to a stack without RFC 5961's protection ("For stacks
implementing the protection described in RFC 5961, the three checks below
apply; otherwise ..."); the table implements the protection.

Expected: `verify` fails reset-safety (the z3 proof): a RST in the window
but not at RCV.NXT changes the state. (TIME-WAIT keeps RFC 5961's check, below.)"""

from model.expr import V
from model.rows import changed, without
from model.state import State as S
from model.table import ROWS as STANDARD

RST, PASSIVE = V("CTL.RST"), V("PASSIVE")
REF = "rfc793_rst: any in-window RST resets (RFC 793 3.9; 3.10.7.4 second without RFC 5961 3.2)"
# TIME-WAIT keeps the exact check: its challenge row is the one the linux profile
# changes, and checker/interop/kills.py attributes a kill to a variant by its rows
SYNC = [S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK]

ROWS = changed(STANDARD, "rst-passive@SYN-RECEIVED", when=RST & PASSIVE, ref=REF)
ROWS = changed(ROWS, "rst-active@SYN-RECEIVED", when=RST, ref=REF)
for _s in SYNC:
    ROWS = changed(ROWS, f"{'rst-reset' if _s in SYNC[:4] else 'rst-close'}@{_s}", when=RST, ref=REF)
ROWS = without(ROWS, *[f"rst-challenge@{s}" for s in [S.SYN_RECEIVED] + SYNC])
del _s
