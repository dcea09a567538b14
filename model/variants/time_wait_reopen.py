"""Variant: a SYN reopens the connection from TIME-WAIT (RFC 9293 3.6.1,
MAY-2): "it MAY accept a new SYN from the remote TCP endpoint to reopen the
connection directly from TIME-WAIT state, if it: (1) assigns its initial
sequence number for the new connection to be larger than the largest
sequence number it used on the previous connection incarnation, and (2)
returns to TIME-WAIT state if the SYN turns out to be an old duplicate."

Rows: in TIME-WAIT a SYN (no ACK, no RST) beyond RCV.NXT starts a new
incarnation in SYN-RECEIVED, as a SYN in LISTEN does, with the ISS chosen
past the old incarnation's SND.NXT (condition 1; 2^16 beyond it, the ISN
clock's step). Condition (2) needs the old TCB kept beside the new one,
which one configuration per endpoint cannot hold: an old duplicate SYN
then ends TIME-WAIT for good (the new TCB is reset by the peer's RST and
goes to CLOSED, not back to TIME-WAIT). A MAY, so not in the standard
table; `verify --model time_wait_reopen` checks what it costs.

Expected: `verify` fails row-soundness (the z3 proof: ISS changes outside
the rows that create a TCB), and acceptability, drops and reset-safety: a
SYN beyond the window is taken where 3.10.7.4 acknowledges it; the graph
checks hold at the default bounds.
"""

from model.expr import FALSE
from model.rows import Emit, rows
from model.seq import add, gt
from model.state import State as S
from model.table import ACK, RCV_NXT, RST, SEQ_SPACE_SENT, SND_NXT, SYN, SEG_SEQ, SEG_WND
from model.table import ROWS as STANDARD

# Not a broken table: what the RFC allows (the discrimination test of
# tests/interop/test_packetdrill_linux.py does not expect Linux to fail it).
RFC_ALLOWS = "3.6.1 MAY-2"
REOPEN_ISS = add(SND_NXT, 0x10000)  # 3.6.1 (1): beyond everything the old incarnation used

ROWS = list(STANDARD)
_i = min(i for i, r in enumerate(ROWS) if r.state is S.TIME_WAIT and r.on == "SEGMENT/seq")
ROWS[_i:_i] = rows(  # first of the sequence check: the new SYN lies beyond the window
    "reopen", S.TIME_WAIT, "SEGMENT/seq", when=SYN & ~ACK & ~RST & gt(SEG_SEQ, RCV_NXT),
    emit=Emit("SYN,ACK", seq=REOPEN_ISS, ack=add(SEG_SEQ, 1)),
    set={"IRS": SEG_SEQ, "RCV.NXT": add(SEG_SEQ, 1), "ISS": REOPEN_ISS, "SND.UNA": REOPEN_ISS,
         "SND.NXT": add(REOPEN_ISS, 1), "SND.WND": SEG_WND, "PASSIVE": FALSE},
    goto=S.SYN_RECEIVED, timers=SEQ_SPACE_SENT,
    ref="3.6.1 MAY-2: a new SYN reopens the connection from TIME-WAIT with an ISS beyond the old "
        "incarnation's (condition 1; condition 2, back to TIME-WAIT for an old duplicate, not modelled)")
