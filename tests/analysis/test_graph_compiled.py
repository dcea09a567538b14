"""The compiled loops of the compact graph (`checker/analysis/_cgraph.c`)
give exactly what the pure-Python methods of `graph.Compact` give: the
reverse adjacency, the terminal nodes, the attracting components (same
components, order and member order), the breadth-first distance and the
bidirectional shortest path (same path, networkx's tie-breaking), and
NoPath the same way. On random graphs (self-loops, several components,
isolated nodes, one node, no edges; uint32 and int64 targets) and on real
explorations."""

from __future__ import annotations

import random
from array import array

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.analysis import graph as graph_mod
from checker.analysis.explore import explore
from checker.analysis.graph import Compact, NoPath
from checker.analysis.options import Options
from model.machine import standard

C = graph_mod._cgraph
pytestmark = pytest.mark.skipif(C is None, reason="checker/analysis/_cgraph.c did not build (no C compiler?)")


def _compact(n: int, edges, typecode: str = "I") -> Compact:
    """The CSR graph of an edge list, each node's successors in the given order."""
    succ = [[] for _ in range(n)]
    for u, v in edges:
        succ[u].append(v)
    offsets, targets = array("q", [0]), array(typecode)
    for out in succ:
        targets.extend(out)
        offsets.append(len(targets))
    return Compact(offsets, targets)


def _random(rng: random.Random, n: int, typecode: str = "I") -> Compact:
    """Random clusters (dense inside, so nontrivial components) linked by a few
    edges, with self-loops and isolated nodes; no duplicate successors."""
    edges = set()
    cluster = max(1, rng.choice([1, 2, 3, 5, 8, 20]))
    p_out = rng.choice([0.0, 0.5, 1.0, 2.0])
    for u in range(n):
        if rng.random() < 0.15:
            continue  # no successors (a terminal node, maybe isolated)
        base = u - u % cluster
        for _ in range(rng.randint(0, 3)):
            edges.add((u, rng.randrange(base, min(n, base + cluster))))
        if rng.random() < p_out / 4:
            edges.add((u, rng.randrange(n)))
        if rng.random() < 0.05:
            edges.add((u, u))
    edges = list(edges)
    rng.shuffle(edges)
    return _compact(n, edges, typecode)


def _same_everything(g: Compact, pairs) -> None:
    cro, crs = C.reverse(g.offsets, g.targets)
    po, ps = g._py_reverse()
    assert cro == po.tobytes()
    assert list(array("I" if g.targets.itemsize == 4 else "q", crs)) == list(ps)
    assert C.terminal(g.offsets) == g._py_terminal() == g.terminal()
    assert C.attracting_components(g.offsets, g.targets) == g._py_attracting_components()
    g._pred = None
    assert g.attracting_components() == g._py_attracting_components()
    assert [list(g.predecessors(v)) for v in range(g.n_nodes)] == [list(ps[po[v]:po[v + 1]])
                                                                    for v in range(g.n_nodes)]
    roff, rsrc = g._reverse()
    for s, t in pairs:
        try:
            want = g._py_shortest_path(s, t)
        except NoPath:
            with pytest.raises(NoPath):
                g.shortest_path(s, t)
            with pytest.raises(C.NoPath):
                C.shortest_path(g.offsets, g.targets, po, ps, s, t)
            with pytest.raises(NoPath):
                g.distance(s, t)
            with pytest.raises(NoPath):
                g._py_distance(s, t)
            continue
        assert C.shortest_path(g.offsets, g.targets, roff, rsrc, s, t) == want
        assert C.shortest_path(g.offsets, g.targets, po, ps, s, t) == want  # the Python reverse ('l')
        assert g.shortest_path(s, t) == want
        assert g.distance(s, t) == g._py_distance(s, t) == len(want) - 1


def _pairs(rng: random.Random, n: int, k: int = 150):
    return [(0, 0)] + [(rng.randrange(n), rng.randrange(n)) for _ in range(k)]


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 7, 30, 200, 1000, 3000])
    g = _random(rng, n, "I" if seed % 2 else "q")
    _same_everything(g, _pairs(rng, n))


@given(st.integers(1, 40).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                             max_size=4 * n))))
def test_hypothesis_graphs(g):
    n, edges = g
    edges = list(dict.fromkeys(edges))  # the explorer's graphs have no repeated successor
    _same_everything(_compact(n, edges), [(s, t) for s in range(n) for t in range(n)][:200])


def test_repeated_successors_and_edge_cases():
    # multi-edges (the arrays allow them), one node, no edges, a self-loop only
    _same_everything(_compact(4, [(0, 1), (0, 1), (1, 0), (2, 3), (2, 3)]), [(0, 3), (2, 3), (3, 2), (1, 0)])
    _same_everything(_compact(1, []), [(0, 0)])
    _same_everything(_compact(1, [(0, 0)]), [(0, 0)])
    _same_everything(_compact(5, [], "q"), [(0, 4), (3, 3)])


def test_ties_are_broken_as_networkx_breaks_them():
    # equal frontiers: the forward side moves first, so the reverse side's
    # first predecessor (1, ascending) is the meeting node, not the forward
    # side's first successor (2); nx gives the same
    g = _compact(4, [(0, 2), (0, 1), (1, 3), (2, 3)])
    assert g.shortest_path(0, 3) == g._py_shortest_path(0, 3) == [0, 1, 3]
    assert nx.bidirectional_shortest_path(g.to_networkx(), 0, 3) == [0, 1, 3]
    _same_everything(g, [(s, t) for s in range(4) for t in range(4)])


def test_attracting_components_agree_with_networkx():
    rng = random.Random(7)
    g = _random(rng, 2000)
    want = {frozenset(c) for c in nx.attracting_components(g.to_networkx())}
    assert {frozenset(c) for c in C.attracting_components(g.offsets, g.targets)} == want


def test_a_long_chain_does_not_recurse():
    n = 300_000
    g = _compact(n, [(u, u + 1) for u in range(n - 1)] + [(n - 1, 0)])
    assert C.attracting_components(g.offsets, g.targets) == [list(range(n - 1, -1, -1))]
    assert g.distance(0, n - 1) == n - 1 and g.shortest_path(0, n - 1) == list(range(n))


def test_no_path_is_raised_as_the_python_one():
    g = _compact(3, [(0, 1), (2, 1)])
    for s, t in [(0, 2), (1, 0)]:
        with pytest.raises(NoPath, match=f"no path between {s} and {t}") as c:
            g.shortest_path(s, t)
        with pytest.raises(NoPath, match=f"no path between {s} and {t}") as p:
            g._py_shortest_path(s, t)
        assert str(c.value) == str(p.value)
        with pytest.raises(NoPath, match=f"no path between {s} and {t}"):
            g.distance(s, t)
        with pytest.raises(NoPath, match=f"no path between {s} and {t}"):
            g._py_distance(s, t)
    assert issubclass(C.NoPath, LookupError) and not issubclass(C.NoPath, NoPath)


def test_bad_arrays_are_refused_not_read():
    with pytest.raises(ValueError):
        C.reverse(array("q", [0, 1]), array("I", [5]))  # a target outside 0..n-1
    with pytest.raises(ValueError):
        C.attracting_components(array("q", [0, 2, 1]), array("I", [0]))  # offsets decrease
    with pytest.raises(TypeError):
        C.terminal(array("b", [0, 0]))
    with pytest.raises(TypeError):
        C.reverse(array("q", [0, 1]), b"\0")
    with pytest.raises(IndexError):
        C.shortest_path(array("q", [0, 0]), array("I"), array("q", [0, 0]), array("I"), 0, 1)


@pytest.mark.parametrize("opts", [Options(capacity=1, loss=True),
                                  Options(capacity=1, loss=True, reordering=True, duplication=True, abort=False),
                                  Options(capacity=1, loss=False, old_syn=False, opens=2)])
def test_real_explorations(opts):
    e = explore(standard(), opts, max_states=100_000)
    g = e.compact
    rng = random.Random(1)
    n = g.n_nodes
    _same_everything(g, [(0, t) for t in rng.sample(range(n), min(n, 40))] + _pairs(rng, n, 20))
    plain = explore(standard(), Options(capacity=1, loss=True), max_states=2_000, plain=True)
    assert plain.compact.targets.typecode == "q"
    _same_everything(plain.compact, _pairs(rng, plain.n_states, 20))
