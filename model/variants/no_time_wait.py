"""Variant: no TIME-WAIT. FIN-WAIT-2 and CLOSING go straight to CLOSED (the
final ACK is still sent). "Why TIME-WAIT?" (RFC 9293 3.6.1, MUST-13: the
side that closes first lingers 2MSL, so that it can acknowledge again the
peer's FIN should the last ACK be lost.)

Expected: `verify` fails graceful-close: the last ACK is lost, the peer in
LAST-ACK retransmits its FIN, finds no connection and is reset (3.10.7.1).
"""

from model.rows import Emit, changed
from model.seq import add
from model.state import State
from model.table import RCV_NXT, SND_NXT
from model.table import ROWS as STANDARD

LAST_ACK = Emit("ACK", seq=SND_NXT, ack=add(RCV_NXT, 1))  # ACK of the FIN just taken

ROWS = changed(STANDARD, "fin@FIN-WAIT-2", goto=State.CLOSED, ack=False, emit=LAST_ACK,
               ref="variant: FIN-WAIT-2 -> CLOSED on FIN, no TIME-WAIT (violates MUST-13)")
ROWS = changed(ROWS, "ack-fin-acked@CLOSING", goto=State.CLOSED, then="stop",
               ref="variant: CLOSING -> CLOSED when our FIN is acknowledged (violates MUST-13)")
