"""The RFC 9293 connection state machine as one table (table.py), its
sequence-number algebra (seq.py, expr.py) and the engine that runs it (machine.py)."""
