"""Malformed variant: a guard that is a number, not a condition."""
from model.rows import changed
from model.table import ROWS as STANDARD, SEG_SEQ

ROWS = changed(STANDARD, "listen-syn@LISTEN", when=SEG_SEQ + 1)
