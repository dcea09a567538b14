"""The fast explorer (`checker.analysis.engine.search`: packed states,
memoised endpoint moves) and the plain breadth-first search over
`_Space.successors` (`explore(..., plain=True)`) build the same graph, node
for node and edge for edge, and every graph check gives the same verdict
and the same counterexample on both; the compact graph answers what
networkx answers (attracting components, shortest paths). On the standard
table and on broken variants whose checks fail."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.explore import explore
from checker.analysis.options import Options
from checker.load import load_model
from model.machine import Model
from model.rows import Emit, rows, without
from model.rows import changed as chg
from model.state import State as S
from model.table import RCV_NXT, ROWS, SND_NXT

RELIABLE = Options(loss=False, old_syn=False, abort=False)
LOSSY = Options(loss=True, old_syn=True, abort=False, data=0)
CONFIGS = [
    RELIABLE,
    LOSSY.with_(abort=True),
    Options(loss=False, old_syn=False, abort=False, opens=2, data=0),
    Options(loss=True, old_syn=False, abort=False, duplication=True, reordering=True, data=0),
    Options(capacity=2, loss=True, old_syn=False, abort=False, data=0),
]


def _livelock_variant() -> Model:
    table = without(ROWS, "time-wait-timeout@TIME-WAIT")
    table = chg(table, "rst-close@TIME-WAIT", goto=None)
    table = table + rows("tw-keepalive", S.TIME_WAIT, "RETRANSMISSION-TIMEOUT",
                         emit=Emit("ACK", seq=SND_NXT, ack=RCV_NXT), ref="test")
    return Model(table, "livelock", "tests")


def _deadlock_variant() -> Model:
    return Model(chg(ROWS, "ack-fin-acked@LAST-ACK", goto=None), "deadlock", "tests")


def _same(fast, plain) -> None:
    assert (fast.n_states, fast.n_edges, fast.truncated) == (plain.n_states, plain.n_edges, plain.truncated)
    assert list(fast.compact.offsets) == list(plain.compact.offsets)
    assert list(fast.compact.targets) == list(plain.compact.targets)
    assert fast.broken == plain.broken
    step = max(1, fast.n_states // 500)
    assert all(fast.state(i) == plain.state(i) for i in range(0, fast.n_states, step))
    for check in COMPOSED_CHECKS:
        a, b = check(fast), check(plain)
        assert (a.status, a.summary, a.figures) == (b.status, b.summary, b.figures), check.check_name
        ca, cb = a.counterexample or {}, b.counterexample or {}
        assert (ca.get("length"), ca.get("why"), ca.get("text")) == (cb.get("length"), cb.get("why"),
                                                                     cb.get("text")), check.check_name


@pytest.mark.parametrize("opts", CONFIGS, ids=[o.label() for o in CONFIGS])
def test_fast_and_plain_search_agree_on_the_standard_table(opts):
    _same(explore(load_model(None), opts), explore(load_model(None), opts, plain=True))


@pytest.mark.parametrize("make, opts", [(_deadlock_variant, RELIABLE), (_livelock_variant, RELIABLE),
                                        (lambda: load_model("no_time_wait"), LOSSY),
                                        (lambda: load_model("two_way_handshake"), LOSSY)],
                         ids=["deadlock", "livelock", "no_time_wait", "two_way_handshake"])
def test_fast_and_plain_search_agree_where_checks_fail(make, opts):
    fast, plain = explore(make(), opts), explore(make(), opts, plain=True)
    _same(fast, plain)
    assert any(c(fast).failed for c in COMPOSED_CHECKS)


def test_fast_and_plain_search_agree_when_cut_at_the_state_cap():
    opts = LOSSY.with_(abort=True)
    fast, plain = explore(load_model(None), opts, max_states=2000), explore(load_model(None), opts,
                                                                            max_states=2000, plain=True)
    assert fast.truncated and fast.n_states == 2000
    _same(fast, plain)


def test_the_compact_graph_answers_as_networkx_does():
    exp = explore(_livelock_variant(), LOSSY)
    g = exp.graph  # networkx, built from the compact graph
    assert g.number_of_nodes() == exp.n_states and g.number_of_edges() == exp.n_edges
    ours = sorted(sorted(c) for c in exp.compact.attracting_components())
    theirs = sorted(sorted(c) for c in nx.attracting_components(g))
    assert ours == theirs and any(len(c) > 1 for c in ours)
    assert exp.compact.terminal() == [n for n in g if g.out_degree(n) == 0]
    rnd = random.Random(7)
    for target in rnd.sample(range(exp.n_states), 60):
        if nx.has_path(g, 0, target):
            assert exp.compact.shortest_path(0, target) == nx.shortest_path(g, 0, target)
            assert exp.compact.distance(0, target) == nx.shortest_path_length(g, 0, target)
    for v in rnd.sample(range(exp.n_states), 60):
        assert list(exp.compact.predecessors(v)) == list(g.predecessors(v))
        assert list(exp.compact.successors(v)) == list(g.successors(v))


# --- renumbering incarnations (a sound quotient) ---------------------------------------

def test_renumbering_incarnations_keeps_every_verdict_and_counterexample_length(monkeypatch):
    """`renumbered` renames an endpoint's incarnation numbers once it has
    created `inc_limit` TCBs (15 in earnest: the tag's bits). Lowered to 2,
    it merges many states here, and every graph check must still say the
    same, with counterexamples of the same length (breadth-first distances
    are those of the unmerged graph), by the fast and the plain search."""
    from checker.analysis.space import _Space

    opts = Options(loss=False, old_syn=False, abort=False, opens=3, data=0)  # three incarnations each
    standard = load_model(None)
    whole = explore(standard, opts)
    assert max(max(p.ghost_a.inc, p.ghost_b.inc) for p in map(whole.pair, range(whole.n_states))) >= 3

    def verdicts(exp):
        return {c.check_name: (r.status, (r.counterexample or {}).get("length")) for c in COMPOSED_CHECKS
                for r in [c(exp)]}

    want = verdicts(whole)
    broken = _livelock_variant()
    want_broken = verdicts(explore(broken, opts))
    assert want_broken["no-livelock"][0] == "FAILED" and want_broken["no-livelock"][1] > 0
    monkeypatch.setattr(_Space, "inc_limit", 2)
    merged = explore(standard, opts)
    assert merged.n_states < whole.n_states
    _same(merged, explore(standard, opts, plain=True))
    assert verdicts(merged) == want
    assert verdicts(explore(broken, opts)) == want_broken


# --- the compiled loop (checker/analysis/_csearch.c) -------------------------------------

from checker.analysis import engine  # noqa: E402

needs_c = pytest.mark.skipif(not engine.COMPILED, reason="the compiled search loop is not built (no C compiler "
                                                         "at install: pip install -e . builds it)")


def _loops(make, opts, **kw):
    return (engine.search(make(), opts, compiled=True, **kw), engine.search(make(), opts, compiled=False, **kw))


@needs_c
@pytest.mark.parametrize("opts", CONFIGS + [LOSSY.with_(abort=True, capacity=2)],
                         ids=[o.label() for o in CONFIGS] + ["k2-lossy-old-syn"])
def test_compiled_and_python_loops_build_the_same_graph(opts):
    c, p = _loops(lambda: load_model(None), opts)
    _same(c, p)
    assert c.dense.parts == p.dense.parts and c.dense.chans == p.dense.chans  # interned in the same order


@needs_c
@pytest.mark.parametrize("make, opts", [(_deadlock_variant, RELIABLE), (_livelock_variant, RELIABLE),
                                        (lambda: load_model("no_time_wait"), LOSSY),
                                        (lambda: load_model("two_way_handshake"), LOSSY)],
                         ids=["deadlock", "livelock", "no_time_wait", "two_way_handshake"])
def test_compiled_and_python_loops_agree_where_checks_fail(make, opts):
    c, p = _loops(make, opts)
    _same(c, p)
    assert any(x(c).failed for x in COMPOSED_CHECKS)


@needs_c
def test_compiled_loop_cut_at_the_cap_and_renumbering(monkeypatch):
    c, p = _loops(lambda: load_model(None), LOSSY.with_(abort=True), max_states=2000)
    assert c.truncated and c.n_states == 2000
    _same(c, p)
    from checker.analysis.space import _Space

    monkeypatch.setattr(_Space, "inc_limit", 2)  # many parts renumbered (the host's `renumber`)
    opts = Options(loss=False, old_syn=False, abort=False, opens=3, data=0)
    c, p = _loops(lambda: load_model(None), opts)
    _same(c, p)


@needs_c
def test_compiled_loop_reports_progress_and_stops_on_an_exception():
    seen = []
    engine.search(load_model(None), CONFIGS[4], compiled=True,
                  progress=lambda v, q, t: seen.append((v, q, t)))
    assert seen and seen[0][0] == 20_000 and all(t >= 0 for _, _, t in seen)

    def stop(v, q, t):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.search(load_model(None), CONFIGS[4], compiled=True, progress=stop)


# --- sorted channels under reordering (an exact quotient) --------------------------------

REORDERING = [Options(loss=True, old_syn=False, abort=False, reordering=True, data=1),
              Options(loss=True, old_syn=True, abort=True, duplication=True, reordering=True, data=0, tcbs=2),
              Options(capacity=2, loss=True, old_syn=False, abort=True, reordering=True, data=0)]


def _verdicts(exp) -> dict:
    return {c.check_name: (r.status, (r.counterexample or {}).get("length")) for c in COMPOSED_CHECKS
            for r in [c(exp)]}


@pytest.mark.parametrize("make, opts, fails", [(lambda: load_model(None), o, False) for o in REORDERING]
                         + [(lambda: load_model("no_time_wait"), REORDERING[0], True),
                            (lambda: load_model("two_way_handshake"), REORDERING[1], True),
                            (_livelock_variant, REORDERING[0].with_(loss=False), True)],
                         ids=[o.label() for o in REORDERING] + ["no_time_wait", "two_way_handshake", "livelock"])
def test_sorting_reordered_channels_keeps_every_verdict_and_counterexample_length(monkeypatch, make, opts, fails):
    """With reordering any segment of a channel may arrive or be lost next,
    so `_Space` keeps channels sorted: states equal up to the order of a
    channel are merged. The merged graph must give every check the same
    verdict and counterexamples of the same length (breadth-first distances
    are those of the unmerged graph), by the fast and the plain search, on
    the standard table and on broken variants."""
    from checker.analysis.space import _Space

    merged = explore(make(), opts)
    _same(merged, explore(make(), opts, plain=True))
    monkeypatch.setattr(_Space, "sort_reordered", False)
    whole = explore(make(), opts)
    assert merged.n_states < whole.n_states
    verdicts = _verdicts(merged)
    assert verdicts == _verdicts(whole)
    assert any(s == "FAILED" for s, _ in verdicts.values()) == fails


def test_channels_are_kept_in_order_without_reordering_and_sorted_with_it():
    """Without reordering a channel's order is FIFO per incarnation and must
    stay as sent; with it every reached channel is sorted."""
    from checker.analysis.space import _Space

    sp = _Space(load_model(None), Options())
    assert not sp.sorted_channels
    exp = explore(load_model(None), REORDERING[2])
    chans = exp.dense.chans
    assert any(len(c) > 1 for c in chans)
    assert all(list(c) == sorted(c) for c in chans)
    fifo = explore(load_model(None), REORDERING[2].with_(reordering=False))
    assert any(list(c) != sorted(c) for c in fifo.dense.chans)


@needs_c
def test_compiled_loop_reads_no_piece_after_the_pool_grows_under_it():
    """A piece's entries were read through a pointer into the pool after
    `app` (a channel with segments appended) could grow the pool on a miss:
    a use after free that crashed the search at k=2 with every fault for
    some hash seeds (string hashing orders the host's sets). glibc's
    MALLOC_PERTURB_ fills freed memory, so the stale read cannot pass
    unnoticed; these seeds crashed before the fix."""
    import os
    import subprocess
    import sys

    code = ("from checker.analysis import engine; from checker.analysis.options import Options; "
            "from model.machine import standard; "
            "o = Options(capacity=2, abort=False, data=1, opens=1, loss=True, old_syn=True, duplication=True, "
            "reordering=True, tcbs=4); e = engine.search(standard(), o, compiled=True, max_states=3_000_000); "
            "print(e.n_states, e.n_edges)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for seed in ("3", "4"):
        env = dict(os.environ, MALLOC_PERTURB_="165", PYTHONHASHSEED=seed)
        p = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                           timeout=600)
        assert p.returncode == 0, (seed, p.returncode, p.stderr[-500:])
        assert p.stdout.split() == ["3000000", "17042879"]
