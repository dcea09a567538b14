"""Malformed variant: not even Python."""
ROWS = [
