"""Mutation analysis of the checker (`python -m checker mutate`): one-change
copies of the table (operators.py), each run through the checks of verify
until one kills it (run.py) and through the oracles generated from the
standard table (oracles.py), survivors tested for equivalence with z3
(equivalence.py), and the kill-rate tables (report.py)."""
