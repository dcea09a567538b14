"""Variant: the acknowledgment tests of RFC 793 3.9 as its errata 3300 and
3301 report them: "If SND.UNA =< SEG.ACK =< SND.NXT then the ACK is
acceptable" in SYN-SENT and SYN-RECEIVED, where RFC 9293 (3.10.7.3,
3.10.7.4) says SND.UNA < SEG.ACK. Since SND.UNA = ISS there, an ACK of ISS
(which acknowledges nothing) is taken as acknowledging our SYN.

Expected: `verify` fails handshake-ack: a segment with SEG.ACK = ISS resets
a SYN-SENT connection or completes a handshake in SYN-RECEIVED.
"""

from model.rows import changed
from model.seq import gt, le
from model.table import ACK, ISS, RST, SEG_ACK, SND_NXT, SND_UNA, SYN
from model.table import ROWS as STANDARD

ACK_793 = le(SND_UNA, SEG_ACK) & le(SEG_ACK, SND_NXT)  # errata 3300/3301: "=<" where "<" is meant

ROWS = changed(STANDARD, "syn-sent-bad-ack-rst@SYN-SENT", when=ACK & ~ACK_793 & RST,
               ref="variant: RFC 793 3.9 SYN-SENT ACK test (erratum 3300)")
ROWS = changed(ROWS, "syn-sent-bad-ack@SYN-SENT", when=ACK & ~ACK_793,
               ref="variant: RFC 793 3.9 SYN-SENT ACK test (erratum 3300)")
ROWS = changed(ROWS, "syn-sent-synack@SYN-SENT", when=SYN & ACK & gt(SEG_ACK, ISS) | SYN & ACK,
               ref="variant: RFC 793 3.9 SYN-SENT (erratum 3300)")
ROWS = changed(ROWS, "ack-synrcvd@SYN-RECEIVED", when=ACK_793,
               ref="variant: RFC 793 3.9 SYN-RECEIVED ACK test (erratum 3301)")
