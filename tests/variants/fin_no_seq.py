"""Broken: a FIN does not consume a sequence number (CLOSE sends the FIN at
SND.NXT but leaves SND.NXT unchanged), against RFC 9293 3.4 ("the FIN is
considered to occur after the last actual data octet") and 3.10.4.

Expected: `prove row-soundness` and `prove close` fail.
"""

from model.rows import changed
from model.table import ROWS as STANDARD

ROWS = STANDARD
for _name in ("close-fin@SYN-RECEIVED", "close-fin@ESTABLISHED", "close-fin@CLOSE-WAIT"):
    ROWS = changed(ROWS, _name, set={}, ref="variant: the FIN takes no sequence number (not RFC 9293)")
