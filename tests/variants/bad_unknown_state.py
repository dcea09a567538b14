"""Malformed variant: names a state RFC 9293 does not have."""
from model.rows import changed
from model.state import State
from model.table import ROWS as STANDARD

ROWS = changed(STANDARD, "listen-syn@LISTEN", goto=State.parse("SYN-RCVD"))
