"""The one way the checker asks z3: sat or unsat, or `NotChecked` with z3's
own reason when it answers unknown (a timeout, an interrupt, resource
limits). An unknown is never read as unsat: a guard z3 could not decide
is not a proof (and not a counterexample)."""

from __future__ import annotations

import z3

from checker.result import NotChecked


def satisfiable(solver: z3.Solver, *assumptions) -> bool:
    """True on sat, False on unsat; NotChecked on unknown."""
    r = solver.check(*assumptions)
    if r == z3.unknown:
        raise NotChecked(f"z3 answered unknown ({solver.reason_unknown()})")
    return r == z3.sat
