"""Malformed variant: two rows with the same state, event and guard."""
from dataclasses import replace

from model.rows import find
from model.table import ROWS as STANDARD

ROWS = list(STANDARD)
i = find(ROWS, "closed-rst@CLOSED")
ROWS.insert(i + 1, replace(ROWS[i], name="closed-rst-again@CLOSED"))
