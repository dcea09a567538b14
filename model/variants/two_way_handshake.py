"""Variant: a two-way handshake. The listener treats its SYN,ACK as needing no
acknowledgment and enters ESTABLISHED at once; the active opener sends no
third message. "Why three messages to open?" (RFC 9293 3.5: "The principal
reason for the three-way handshake is to prevent old duplicate connection
initiations from causing confusion.")

Expected: `verify` fails isn-agreement: an old duplicate SYN (Figure 8)
makes the listener ESTABLISHED with an IRS its peer never chose.
"""

from model.expr import V
from model.rows import changed
from model.seq import add
from model.state import State
from model.table import ROWS as STANDARD

ROWS = changed(STANDARD, "listen-syn@LISTEN", goto=State.ESTABLISHED,
               set={"IRS": V("SEG.SEQ"), "RCV.NXT": add(V("SEG.SEQ"), 1), "ISS": V("NEW.ISS"),
                    "SND.UNA": add(V("NEW.ISS"), 1), "SND.NXT": add(V("NEW.ISS"), 1),
                    "SND.WND": V("SEG.WND")},
               ref="variant: two-way handshake, LISTEN -> ESTABLISHED on SYN (not RFC 9293)")
ROWS = changed(ROWS, "syn-sent-synack@SYN-SENT", emit=(),
               ref="variant: two-way handshake, no ACK of the SYN,ACK (not RFC 9293)")
