"""Promela export of the composed two-endpoint system (`python -m checker
export --format promela`) and Spin as an engine of `verify`: `text` (the
model's text: `text.promela(model, opts, checks)`), `expr` (the table's
expressions), `rows` (one event on one endpoint), `system` (the environment
of the explorer), `checks` (which checks are exported and how), `spin`
(running it), `replay` (a pan trail back through the table), `engine`
(verify --engine spin). See README.md here.
"""
