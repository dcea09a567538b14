"""Malformed variant: a guard that reads a variable the model does not have."""
from model.expr import V
from model.rows import changed
from model.seq import lt
from model.table import ROWS as STANDARD

ROWS = changed(STANDARD, "listen-syn@LISTEN", when=V("CTL.SYN") & lt(V("SND.MAX"), V("SEG.ACK")))
