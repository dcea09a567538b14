"""The TCB bound (`Options.tcbs`, `--max-tcbs`): why it exists (without it
duplicated SYNs walk the ISS round the clock), that a bounded run is part
of the unbounded one (every state it reaches is a state of the table's
system), that it changes nothing where it is not reached, that Spin's
export applies the same bound, and that a trap the bound may have made is
"not checked", never a livelock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from checker.analysis import composed
from checker.analysis.composed import check_livelock
from checker.analysis.explore import explore
from checker.analysis.options import Options
from checker.generate.promela.engine import spin_run
from checker.generate.promela.spin import tools_missing
from model.machine import standard

DUP = dict(capacity=1, duplication=True, reordering=True)  # loss and the old SYN: the defaults


def _globals(exp) -> set:
    return {exp.state(i) for i in range(exp.n_states)}


def test_duplicated_syns_walk_the_iss_without_the_bound():
    # capacity 2, duplication and reordering: each SYN that reaches LISTEN
    # again creates a TCB at ISS + 3; the deeper the search, the more ISSs
    few = explore(standard(), Options(capacity=2, duplication=True, reordering=True, old_syn=False),
                  max_states=60_000)
    more = explore(standard(), Options(capacity=2, duplication=True, reordering=True, old_syn=False),
                   max_states=240_000)
    assert few.truncated and more.truncated
    iss = lambda e: {c.iss for c in e.space.cfgs}  # noqa: E731
    assert len(iss(more)) > len(iss(few)) >= 5


def test_a_bounded_run_reaches_only_states_of_the_unbounded_one():
    free = explore(standard(), Options(**DUP))
    bounded = explore(standard(), Options(**DUP, tcbs=1))
    assert not free.truncated and not bounded.truncated
    assert bounded.n_states < free.n_states  # (17,793 of 30,713)
    assert _globals(bounded) <= _globals(free)
    assert any(composed.refusing(bounded.opts, bounded.state(i)) for i in range(bounded.n_states))


def test_a_bound_never_reached_changes_nothing():
    free = explore(standard(), Options(**DUP))
    roomy = explore(standard(), Options(**DUP, tcbs=2))
    assert (roomy.n_states, roomy.n_edges) == (free.n_states, free.n_edges)
    assert not any(composed.refusing(roomy.opts, roomy.state(i)) for i in range(roomy.n_states))


def test_the_bound_is_printed_with_the_verdicts():
    from checker.analysis.report import run_assumptions

    o = Options(**DUP, tcbs=3)
    assert "tcbs=3" in o.label()
    assert any("at most 3 TCBs per endpoint" in a for a in run_assumptions(o))
    assert not any("TCB" in a for a in run_assumptions(Options(**DUP)))


def test_the_bound_needs_loss():
    with pytest.raises(ValueError, match="needs --loss"):
        Options(capacity=1, loss=False, duplication=True, tcbs=1).validate()
    with pytest.raises(ValueError, match="--max-tcbs must be"):
        Options(tcbs=99).validate()
    r = subprocess.run([sys.executable, "-m", "checker", "verify", "--no-loss", "--max-tcbs", "2",
                        "--check", "no-deadlock"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "needs --loss" in r.stderr and "Traceback" not in r.stderr


def test_a_trap_the_bound_may_have_made_is_not_checked(monkeypatch):
    # with R2 = infinity two incarnations retransmit at each other forever
    # (test_verify_checks); if the bound held back a SYN in that trap, its way
    # out might be a run the bound cut: no verdict
    exp = explore(standard(), Options(old_syn=False, abort=False, opens=2, data=0, r2=False, tcbs=8))
    assert check_livelock(exp).failed
    monkeypatch.setattr(composed, "refusing", lambda opts, g: True)
    r = check_livelock(exp)
    assert r.unchecked and "--max-tcbs 8" in r.summary


@pytest.mark.skipif(bool(tools_missing()), reason=f"not installed: {tools_missing()} (apt-get install spin)")
def test_spin_applies_the_same_bound(tmp_path):
    o = Options(**DUP, tcbs=1)
    exp = explore(standard(), o)
    pan, _ = spin_run(standard(), o, ["no-deadlock"], workdir=str(tmp_path), optimize="-O0")
    assert pan.complete and pan.states == exp.n_states == 17_793
