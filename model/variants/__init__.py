"""Shipped variants of the table, each a deliberately changed copy that answers
a classic question by failing a named check (README: Writing and checking a variant)."""
