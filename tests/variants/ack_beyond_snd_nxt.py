"""Broken: ESTABLISHED takes any ACK beyond SND.UNA, even of data never
sent (no upper bound SEG.ACK =< SND.NXT, no "ACK acks something not yet
sent" row), against RFC 9293 3.4 (SND.UNA < SEG.ACK =< SND.NXT) and
3.10.7.4 fifth.

Expected: `prove row-soundness` fails: SND.UNA passes SND.NXT.
"""

from model.rows import changed, without
from model.seq import lt
from model.table import ROWS as STANDARD
from model.table import SEG_ACK, SND_UNA

ROWS = without(STANDARD, "ack-too-new@ESTABLISHED")
ROWS = changed(ROWS, "ack-new@ESTABLISHED", when=lt(SND_UNA, SEG_ACK),
               ref="variant: SND.UNA < SEG.ACK, no upper bound (not RFC 9293)")
