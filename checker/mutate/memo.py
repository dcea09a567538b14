"""Answers of z3 remembered across mutants (what makes `mutate` affordable).

A mutant changes one row; almost every z3 query that the table checks and
the proofs (RFC 9293 3.4, 3.10) ask about it is one they asked about the
unmutated table. `install()` makes `z3.Solver.check` look the query up
first. z3 shares structurally equal terms (one term, one id, for as long as
the term lives), and every term of a remembered query is kept alive here,
so the ids of the assertions (and of the assumptions passed to `check`)
name the question exactly: a hit is the same question, and its answer the
same answer. Only `sat` and `unsat` are remembered (never "unknown", which
depends on time). A remembered `sat` has no model: a caller that asks for
`model()` gets the solver to solve for real, first.

`z3.simplify` orders the arguments of its result by term ids, which differ
between two lives of the same term; it is remembered too (the input kept
alive, the first result answered again), so that the queries built from
simplified terms are the same terms from one mutant to the next.

The parent process answers the unmutated table's queries once; the forked
workers inherit what it learnt. Nothing in the checks changes: they call z3
as always.
"""

from __future__ import annotations

import z3

_ANSWERS: dict[tuple, tuple] = {}  # term ids -> (answer, the terms, kept alive)
_ORIGINAL = {}
STATS = {"hits": 0, "misses": 0}


def _check(self, *assumptions):
    terms = list(self.assertions()) + list(assumptions)
    key = tuple(t.get_id() for t in terms) + (len(assumptions),)
    hit = _ANSWERS.get(key)
    if hit is not None:
        STATS["hits"] += 1
        self._memo_unsolved = assumptions if hit[0] == z3.sat else None
        return hit[0]
    STATS["misses"] += 1
    r = _ORIGINAL["check"](self, *assumptions)
    self._memo_unsolved = None
    if r in (z3.sat, z3.unsat):
        _ANSWERS[key] = (r, terms)
    return r


def _model(self):
    pending = getattr(self, "_memo_unsolved", None)
    if pending is not None:
        self._memo_unsolved = None
        _ORIGINAL["check"](self, *pending)
    return _ORIGINAL["model"](self)


_SIMPLE: dict[int, tuple] = {}  # term id -> (the term, kept alive; its simplified form)


def _simplify(a, *args, **kw):
    if args or kw or not isinstance(a, z3.AstRef):
        return _ORIGINAL["simplify"](a, *args, **kw)
    hit = _SIMPLE.get(a.get_id())
    if hit is None:
        hit = _SIMPLE[a.get_id()] = (a, _ORIGINAL["simplify"](a))
    return hit[1]


def install() -> None:
    """Remember answers from now on (idempotent)."""
    if _ORIGINAL:
        return
    from checker.analysis import wellformed

    _ORIGINAL.update(check=z3.Solver.check, model=z3.Solver.model, simplify=z3.simplify)
    z3.Solver.check, z3.Solver.model, z3.simplify = _check, _model, _simplify
    wellformed.remember(True)  # and what each (state, event)'s rows decide


def uninstall() -> None:
    if _ORIGINAL:
        z3.Solver.check, z3.Solver.model = _ORIGINAL.pop("check"), _ORIGINAL.pop("model")
        z3.simplify = _ORIGINAL.pop("simplify")
    _ANSWERS.clear()
    _SIMPLE.clear()
    from checker.analysis import wellformed

    wellformed.remember(False)
