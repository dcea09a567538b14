"""Broken: the retransmission timeout resends only the FIN, at SND.UNA, and
not the data queued before it, against RFC 9293 3.6 ("all segments
preceding and including FIN will be retransmitted") and 3.4 (the FIN
occupies the number after the last data octet).

Expected: `prove retransmission` fails when data is outstanding with the FIN.
"""

from model.rows import Emit, changed
from model.table import RCV_NXT, SND_UNA
from model.table import ROWS as STANDARD

ROWS = STANDARD
for _st in ("FIN-WAIT-1", "CLOSING", "LAST-ACK"):
    ROWS = changed(ROWS, f"rexmit-fin@{_st}", emit=Emit("FIN,ACK", seq=SND_UNA, ack=RCV_NXT),
                   ref="variant: retransmit the FIN alone (not RFC 9293)")
