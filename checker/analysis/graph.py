"""The reachable global state graph in compact form: node ids 0..n-1 in
breadth-first order, each node's successors a slice of one array of ints
(compressed sparse rows), so that millions of states and edges take tens of
bytes each instead of networkx's hundreds.

The graph checks (`checker.analysis.composed`) ask it what they asked
networkx: out-degrees, successors and predecessors, the attracting
components (strongly connected components that can never be left: the
deadlocks and livelocks of RFC 9293 3.10's closed system) and the shortest
path from the initial state. `shortest_path` follows networkx's
bidirectional search step by step over the same adjacency order, so a
counterexample is the very path networkx would give; `to_networkx` builds
the networkx DiGraph (same node and edge order) for the readers that want
one (the composed diagram).

The loops over the arrays are compiled (`checker/analysis/_cgraph.c`, built
at install when a C compiler is there); the `_py_*` methods are the same
algorithms in Python: the fallback without it and the reference a test
compares it with (tests/analysis/test_graph_compiled.py).
"""

from __future__ import annotations

from array import array

try:
    from checker.analysis import _cgraph
except ImportError:  # no C compiler at install: the pure-Python loops
    _cgraph = None


class NoPath(Exception):
    """No path between the two nodes."""


class Compact:
    """A directed graph on nodes 0..n-1: succ(u) is targets[offsets[u]:offsets[u+1]]."""

    def __init__(self, offsets: array, targets: array):
        self.offsets, self.targets = offsets, targets
        self._pred = None

    @property
    def n_nodes(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_edges(self) -> int:
        return len(self.targets)

    def out_degree(self, u: int) -> int:
        return self.offsets[u + 1] - self.offsets[u]

    def successors(self, u: int):
        return self.targets[self.offsets[u]:self.offsets[u + 1]]

    def predecessors(self, v: int):
        off, src = self._reverse()
        return src[off[v]:off[v + 1]]

    def _reverse(self):
        """The reverse adjacency; each node's predecessors in ascending order
        (the order networkx's `pred` gets from edges added source by source)."""
        if self._pred is None:
            if _cgraph is None:
                self._pred = self._py_reverse()
            else:
                ob, sb = _cgraph.reverse(self.offsets, self.targets)
                count, src = array("q"), array("I" if self.targets.itemsize == 4 else "q")
                count.frombytes(ob)
                src.frombytes(sb)
                self._pred = (count, src)
        return self._pred

    def _py_reverse(self):
        n, offs, tg = self.n_nodes, self.offsets, self.targets
        count = array("q", bytes(8 * (n + 1)))
        for v in tg:
            count[v + 1] += 1
        for i in range(n):
            count[i + 1] += count[i]
        fill = array("q", count)
        src = array("l", bytes(8 * len(tg)))
        for u in range(n):
            for j in range(offs[u], offs[u + 1]):
                v = tg[j]
                src[fill[v]] = u
                fill[v] += 1
        return count, src

    def terminal(self) -> list[int]:
        """The nodes without successors, ascending."""
        if _cgraph is not None:
            return _cgraph.terminal(self.offsets)
        return self._py_terminal()

    def _py_terminal(self) -> list[int]:
        offs = self.offsets
        return [u for u in range(self.n_nodes) if offs[u] == offs[u + 1]]

    def attracting_components(self) -> list[list[int]]:
        """The strongly connected components no edge leaves (as networkx's
        `attracting_components`, as lists of nodes), by an iterative Tarjan
        search over the arrays."""
        if _cgraph is not None:
            return _cgraph.attracting_components(self.offsets, self.targets)
        return self._py_attracting_components()

    def _py_attracting_components(self) -> list[list[int]]:
        n, offs, tg = self.n_nodes, self.offsets, self.targets
        index = array("l", [-1]) * n
        low = array("l", bytes(8 * n))
        comp = array("l", [-1]) * n
        onstack = bytearray(n)
        stack: list[int] = []
        out: list[list[int]] = []
        counter = 0
        ncomp = 0
        for root in range(n):
            if index[root] != -1:
                continue
            work = [(root, offs[root])]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            onstack[root] = 1
            while work:
                u, j = work[-1]
                end = offs[u + 1]
                descended = False
                while j < end:
                    v = tg[j]
                    j += 1
                    if index[v] == -1:
                        work[-1] = (u, j)
                        index[v] = low[v] = counter
                        counter += 1
                        stack.append(v)
                        onstack[v] = 1
                        work.append((v, offs[v]))
                        descended = True
                        break
                    if onstack[v] and index[v] < low[u]:
                        low[u] = index[v]
                if descended:
                    continue
                work.pop()
                if work:
                    p = work[-1][0]
                    if low[u] < low[p]:
                        low[p] = low[u]
                if low[u] == index[u]:
                    members = []
                    while True:
                        w = stack.pop()
                        onstack[w] = 0
                        comp[w] = ncomp
                        members.append(w)
                        if w == u:
                            break
                    # attracting: every edge of every member stays inside
                    # (components found later never receive edges from it:
                    # Tarjan completes a component after all it reaches)
                    if all(comp[tg[k]] == ncomp for w in members for k in range(offs[w], offs[w + 1])):
                        out.append(members)
                    ncomp += 1
        return out

    def distance(self, source: int, target: int) -> int:
        """The number of edges on a shortest path, by a forward breadth-first
        search that stops at the target's level (no reverse adjacency: cheap
        for a target near the source, as in `established-reachable`)."""
        if _cgraph is not None:
            try:
                return _cgraph.distance(self.offsets, self.targets, source, target)
            except _cgraph.NoPath as e:
                raise NoPath(str(e)) from None
        return self._py_distance(source, target)

    def _py_distance(self, source: int, target: int) -> int:
        offs, tg = self.offsets, self.targets
        seen = {source}
        level, d = [source], 0
        while level:
            if target in seen:
                return d
            nxt = []
            for v in level:
                for j in range(offs[v], offs[v + 1]):
                    w = tg[j]
                    if w not in seen:
                        seen.add(w)
                        nxt.append(w)
            level, d = nxt, d + 1
        raise NoPath(f"no path between {source} and {target}")

    def shortest_path(self, source: int, target: int) -> list[int]:
        """networkx's `bidirectional_shortest_path`, step for step."""
        if _cgraph is not None and source != target:
            roff, rsrc = self._reverse()
            try:
                return _cgraph.shortest_path(self.offsets, self.targets, roff, rsrc, source, target)
            except _cgraph.NoPath as e:
                raise NoPath(str(e)) from None
        return self._py_shortest_path(source, target)

    def _py_shortest_path(self, source: int, target: int) -> list[int]:
        if source == target:
            return [source]
        offs, tg = self.offsets, self.targets
        roff, rsrc = self._reverse()
        pred = {source: None}
        succ = {target: None}
        forward, reverse = [source], [target]
        meet = None
        while forward and reverse and meet is None:
            if len(forward) <= len(reverse):
                level, forward = forward, []
                for v in level:
                    for j in range(offs[v], offs[v + 1]):
                        w = tg[j]
                        if w not in pred:
                            forward.append(w)
                            pred[w] = v
                        if w in succ:
                            meet = w
                            break
                    if meet is not None:
                        break
            else:
                level, reverse = reverse, []
                for v in level:
                    for j in range(roff[v], roff[v + 1]):
                        w = rsrc[j]
                        if w not in succ:
                            succ[w] = v
                            reverse.append(w)
                        if w in pred:
                            meet = w
                            break
                    if meet is not None:
                        break
        if meet is None:
            raise NoPath(f"no path between {source} and {target}")
        path = []
        w = meet
        while w is not None:
            path.append(w)
            w = pred[w]
        path.reverse()
        w = succ[path[-1]]
        while w is not None:
            path.append(w)
            w = succ[w]
        return path

    def to_networkx(self):
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_nodes))
        offs, tg = self.offsets, self.targets
        g.add_edges_from((u, tg[j]) for u in range(self.n_nodes) for j in range(offs[u], offs[u + 1]))
        return g
