"""The one compiled part: the explorer's search loop (checker/analysis/_csearch.c).
Everything else is in pyproject.toml. `optional`: without a C compiler the
install still succeeds and the explorer runs its pure-Python loop (same
graph, slower; `python -m checker verify` says which it used)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("checker.analysis._csearch", ["checker/analysis/_csearch.c"], optional=True,
                             extra_compile_args=["-O2", "-Wall"])])
