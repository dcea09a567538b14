"""Malformed variant: forgets to define ROWS."""
from model.table import ROWS as STANDARD  # noqa: F401

TABLE = STANDARD
