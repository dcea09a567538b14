"""The counterexample of one named check, found the way `verify` finds it
(same runs, same state cap), for `diagram --view counterexample --check NAME`:
a table check (3.10), a graph check of the two-endpoint system run by run
(3.5, 3.6: the first run in which it fails), or a z3 proof."""

from __future__ import annotations

from checker.result import FAIL


class NotFound(ValueError):
    """The check holds, was not checked, or is unknown: the message says which."""


def _name_of(fn) -> str | None:
    return getattr(fn, "check_name", None)


def find_failure(model, name: str, runs, max_states: int):
    """The first failing CheckResult named `name` (table checks, then each
    run of `runs` in verify's order, then the proofs). Raises NotFound."""
    from checker.analysis.composed import COMPOSED_CHECKS, LIVENESS
    from checker.analysis.explore import explore
    from checker.analysis.wellformed import TABLE_CHECKS
    from checker.proofs import PROOF_NAMES, run_proofs

    if name in PROOF_NAMES:
        [r] = run_proofs(model, [name])
        return _failed(r, name, "z3", model)
    if name == "coverage":
        raise NotFound("coverage's counterexample is the list of states never entered, not a sequence of steps")
    composed_names: set[str] = set()
    learned: dict = {}
    cut = []
    for i, opts in enumerate(runs):
        exp = explore(model, opts, max_states=max_states)
        for check in COMPOSED_CHECKS:
            known = _name_of(check) or learned.get(check)
            if known is not None and known != name:
                composed_names.add(known)
                continue
            r = check(exp)
            learned[check] = r.name  # a check's name does not depend on the run
            composed_names.add(r.name)
            if r.name != name:
                continue
            if exp.truncated and (r.status != FAIL or check in LIVENESS):
                cut.append(opts.label())  # a cut state space proves nothing about this check
                continue
            if r.status == FAIL:
                r.run = r.run or opts.label()
                return r
        if i == 0 and name not in composed_names:
            break  # not a graph check
    if name in composed_names:
        where = "; ".join(o.label() for o in runs)
        if cut:
            raise NotFound(f"{name} was not checked in {', '.join(cut)} (state space cut at {max_states} "
                           "states) and holds in the other runs: no counterexample to draw")
        raise NotFound(f"{name} holds (or does not apply) in every run ({where}): no counterexample to draw")
    table_names = set()
    for check in TABLE_CHECKS:
        known = _name_of(check)
        if known is not None and known != name:
            table_names.add(known)
            continue
        r = check(model)
        table_names.add(r.name)
        if r.name == name:
            return _failed(r, name, "table", model)
    known = sorted(composed_names | table_names | {"coverage", *PROOF_NAMES})
    raise NotFound(f"unknown check {name!r}; checks are {', '.join(known)}")


def _failed(r, name: str, run: str, model):
    if r.status == FAIL:
        r.run = r.run or run
        return r
    raise NotFound(f"{name}: {r.status} for model {model.name} ({r.summary}): no counterexample to draw")
