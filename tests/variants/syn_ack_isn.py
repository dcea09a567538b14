"""Broken: the listener acknowledges a SYN with its ISN instead of ISN + 1
(<SEQ=ISS><ACK=SEG.SEQ><CTL=SYN,ACK>), against RFC 9293 3.10.7.2 third
("RCV.NXT is set to SEG.SEQ+1 ... <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>").

Expected: `prove handshake` fails: the ACK of the SYN is not its ISN + 1.
"""

from model.rows import Emit, changed
from model.table import NEW_ISS, SEG_SEQ
from model.table import ROWS as STANDARD

ROWS = changed(STANDARD, "listen-syn@LISTEN", emit=Emit("SYN,ACK", seq=NEW_ISS, ack=SEG_SEQ),
               ref="variant: SYN,ACK acknowledges the ISN itself (not RFC 9293)")
