"""Malformed variant: the same row twice."""
from model.rows import find
from model.table import ROWS as STANDARD

ROWS = list(STANDARD)
ROWS.insert(find(ROWS, "closed-rst@CLOSED") + 1, ROWS[find(ROWS, "closed-rst@CLOSED")])
