"""The compiled parts: the explorer's search loop (checker/analysis/_csearch.c)
and the graph checks' loops over the compact graph (checker/analysis/_cgraph.c).
Everything else is in pyproject.toml. `optional`: without a C compiler the
install still succeeds and the explorer and the graph run their pure-Python
loops (same results, slower; `python -m checker verify` says which search it used)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("checker.analysis._csearch", ["checker/analysis/_csearch.c"], optional=True,
                             depends=["checker/analysis/_growable.h"],
                             extra_compile_args=["-O2", "-Wall"]),
                   Extension("checker.analysis._cgraph", ["checker/analysis/_cgraph.c"], optional=True,
                             depends=["checker/analysis/_growable.h"],
                             extra_compile_args=["-O2", "-Wall"])])
