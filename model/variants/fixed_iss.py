"""Variant: a fixed ISS. Every incarnation of the connection starts from the
same initial sequence number (the endpoint's first ISS), ignoring the ISN
generator of RFC 9293 3.4.1 (MUST-8). Answers "why must ISNs be fresh?": a
delayed segment of an earlier incarnation fits the new one's sequence space,
so a reconnect can be completed or fed by the old incarnation's segments.
Expected: `verify` fails data-integrity: the peer's new incarnation (same
ISS) sends octets that a TCB still synchronized with the old one accepts."""

# packetdrill numbers each connection's sequence space from that connection's
# own ISN, so an ISS reused across incarnations cannot show in its scripts;
# verify's data-integrity (and the JSON vectors' absolute numbers) catch it.
PACKETDRILL_BLIND = "packetdrill's sequence numbers are relative to each connection's ISN"

from model.expr import V
from model.rows import Emit, changed
from model.table import ISS, ROWS as STANDARD, SEG_SEQ
from model.seq import add

ROWS = changed(STANDARD, "open-active@CLOSED", emit=Emit("SYN", seq=ISS),
               set={"SND.UNA": ISS, "SND.NXT": add(ISS, 1), "PASSIVE": False},
               ref="fixed_iss: the same ISS for every incarnation (against 3.4.1, MUST-8)")
ROWS = changed(ROWS, "open-active@LISTEN", emit=Emit("SYN", seq=ISS),
               set={"SND.UNA": ISS, "SND.NXT": add(ISS, 1), "PASSIVE": False},
               ref="fixed_iss: the same ISS for every incarnation (against 3.4.1, MUST-8)")
ROWS = changed(ROWS, "listen-syn@LISTEN", emit=Emit("SYN,ACK", seq=ISS, ack=add(SEG_SEQ, 1)),
               set={"IRS": SEG_SEQ, "RCV.NXT": add(SEG_SEQ, 1), "SND.UNA": ISS, "SND.NXT": add(ISS, 1),
                    "SND.WND": V("SEG.WND")},
               ref="fixed_iss: the same ISS for every incarnation (against 3.4.1, MUST-8)")
