"""The fast search of the closed two-endpoint system (`checker.analysis.space`
defines its steps; this module only finds the same states sooner).

Encoding. An endpoint's part of a global state (its configuration, budget
and ghost) is interned as a small int L, a channel's contents (a tuple of
segment items) as a small int C, and a global state is one int packing
(L_B, L_A, C_AB, C_BA, old SYN). Cheap to hash, about 50 bytes a state.

Memo, two levels. An endpoint's moves read only its own part, both
channels, the old-SYN flag and the peer's incarnation number and ISS, and
change none of the peer's part (`_Space.side_successors` is built so). So
the moves of A from a state are cached under the state with L_B replaced
by the peer's signature (incarnation, ISS), as the tuple of A's new parts
(the L_B field zero); a successor is then one OR with the unchanged L_B
bits. On a miss the moves are assembled from the pieces of
`_Space.side_successors` (`room`, `spontaneous`, `time_wait`,
`deliveries`, `faults`, `old_syn`), each memoised under exactly what it
reads (e.g. a delivery: the endpoint's part and its inbox), and only a
miss there runs the table (itself cached per (configuration, event)).

The successors come out in exactly the order `_Space.successors` yields
them, so node ids (breadth-first, in discovery order), edges and every
shortest counterexample equal those of the plain search (`reference`),
which a test compares.
"""

from __future__ import annotations

import time
from array import array

from typing import NamedTuple

from checker.analysis.graph import Compact
from checker.analysis import pieces as _pieces_mod
from checker.analysis.pieces import _Host, _Pieces
from checker.analysis.space import TAG_BITS, Budget, Ghost, Global, Step, _Space, renumbered
from model.config import Config

W = 29  # bits per field of the packed state (4 digits of a Python int)
F = (1 << W) - 1
S_CBA, S_CAB, S_LA, S_LB = 1, 1 + W, 1 + 2 * W, 1 + 3 * W
LA_BITS, LB_BITS = F << S_LA, F << S_LB
ALL = (1 << (1 + 4 * W)) - 1
NOT_LA, NOT_LB = ALL ^ LA_BITS, ALL ^ LB_BITS
assert (_pieces_mod.S_LA, _pieces_mod.S_LB, _pieces_mod.W) == (S_LA, S_LB, W)
MEMO_BOUND = 500_000  # entries per side of the whole-move memo (cleared when full: memory stays bounded)


class Dense:
    """The interned parts: endpoint parts L and channels C (C = 0 is empty)."""

    def __init__(self, space: _Space):
        self.space = space
        self.parts: list[tuple] = []  # L -> (config id, budget, ghost)
        self.part_id: dict[tuple, int] = {}
        self.sig: list[int] = []  # L -> its signature as seen by the peer's memo (unshifted)
        self.hot = bytearray()  # L -> 1 when its incarnation count must be renumbered
        self.inc: list[int] = []  # L -> its incarnation count (ghost[0])
        self.iss: list[int] = []  # L -> its configuration's ISS
        self.sig_id: dict[tuple, int] = {}
        self.chans: list[tuple] = [()]
        self.chan_id: dict[tuple, int] = {(): 0}
        self.chan_len: list[int] = [0]

    def part(self, cfg: int, budget: tuple, ghost: tuple) -> int:
        key = (cfg, budget, ghost)
        i = self.part_id.get(key)
        if i is None:
            i = self.part_id[key] = len(self.parts)
            if i > F:
                raise OverflowError("more endpoint parts than the packed state holds")
            self.parts.append(key)
            self.hot.append(ghost[0] >= self.space.inc_limit)
            self.inc.append(ghost[0])
            self.iss.append(self.space.cfgs[cfg].iss)
            s = (ghost[0], self.space.cfgs[cfg].iss)
            self.sig.append(self.sig_id.setdefault(s, len(self.sig_id)))
        return i

    def chan(self, items: tuple) -> int:
        if self.space.sorted_channels:
            items = tuple(sorted(items))
        i = self.chan_id.get(items)
        if i is None:
            i = self.chan_id[items] = len(self.chans)
            if i > F:
                raise OverflowError("more channel contents than the packed state holds")
            self.chans.append(items)
            self.chan_len.append(len(items))
        return i

    def pack(self, c: tuple) -> int:
        """The int of a compact `_Space` state."""
        a, b, ab, ba, bua, bub, old, ga, gb = c
        return ((self.part(b, bub, gb) << S_LB) | (self.part(a, bua, ga) << S_LA)
                | (self.chan(ab) << S_CAB) | (self.chan(ba) << S_CBA) | old)

    def unpack(self, k: int) -> tuple:
        """The compact `_Space` state of an int."""
        a, bua, ga = self.parts[(k >> S_LA) & F]
        b, bub, gb = self.parts[k >> S_LB]
        return (a, b, self.chans[(k >> S_CAB) & F], self.chans[(k >> S_CBA) & F], bua, bub, k & 1, ga, gb)


class PackedKeys:
    """The compiled loop's node keys as two uint64 arrays: key = lo | hi << S_LA
    (16 bytes a node, where a list of Python ints takes 40)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __len__(self):
        return len(self.lo)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [lo | hi << S_LA for lo, hi in zip(self.lo[i], self.hi[i])]
        return self.lo[i] | self.hi[i] << S_LA

    def __iter__(self):
        return (lo | hi << S_LA for lo, hi in zip(self.lo, self.hi))


class States:
    """Node id -> compact `_Space` state, decoded on access from the packed ints."""

    def __init__(self, dense: Dense, keys: list[int]):
        self.dense, self.keys = dense, keys

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.dense.unpack(k) for k in self.keys[i]]
        return self.dense.unpack(self.keys[i])

    def __iter__(self):
        return (self.dense.unpack(k) for k in self.keys)


class Pair(NamedTuple):
    """What most graph checks read of a global state: the two endpoints
    (configuration, budget, ghost) and whether the network is empty, not
    the segments in flight. Many states share one Pair."""

    a: Config
    b: Config
    budget_a: Budget
    budget_b: Budget
    ghost_a: Ghost
    ghost_b: Ghost
    empty: bool

    def channels_empty(self) -> bool:
        return self.empty


CHANNEL_BITS = (F << S_CAB) | (F << S_CBA)


class Exploration:
    """The reachable graph of one run: node 0 is the initial state, ids in
    breadth-first order; `compact` is the graph, `graph` the same as a
    networkx DiGraph (built on first use)."""

    def __init__(self, space: _Space, opts, compact: Compact, states, seconds: float, truncated: bool,
                 broken: list, dense: Dense | None = None):
        self.space, self.opts, self.compact, self.states = space, opts, compact, states
        self.seconds, self.truncated, self.broken = seconds, truncated, broken
        self.dense = dense
        self._graph = None
        self._pairs: dict = {}  # Pair key -> Pair
        self._index = None  # (node -> its distinct Pair number, the numbers' keys)

    @property
    def graph(self):
        if self._graph is None:
            self._graph = self.compact.to_networkx()
        return self._graph

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_edges(self) -> int:
        return self.compact.n_edges

    def path_to(self, target: int) -> list[tuple[Step, Global]]:
        """The shortest path from the initial state (networkx's choice)."""
        return self.steps_along(self.compact.shortest_path(0, target))

    def steps_along(self, nodes: list[int]) -> list[tuple[Step, Global]]:
        """The steps of a path of node ids (re-derived: edges store no labels)."""
        out = []
        for u, v in zip(nodes, nodes[1:]):
            want = self.states[v]
            for label, h in self.space.successors(self.states[u]):
                if h == want:
                    out.append((self.space.step_of(label), self.space.decode(h)))
                    break
        return out

    def state(self, i: int) -> Global:
        return self.space.decode(self.states[i])

    def _pair_index(self):
        """(per node, the number of its distinct Pair; each number's Pair
        key): one pass over the nodes, made once (equal keys, equal Pairs)."""
        if self._index is None:
            if self.dense is None:
                self._index = (range(self.n_states), range(self.n_states))
            else:
                ids: dict = {}
                keys = self.states.keys
                if isinstance(keys, PackedKeys):  # k >> S_LA is hi; the channels are in lo
                    pks = ((hi << 1) | (not lo & CHANNEL_BITS) for lo, hi in zip(keys.lo, keys.hi))
                else:
                    pks = (((k >> S_LA) << 1) | (not k & CHANNEL_BITS) for k in keys)
                idx = array("I", (ids.setdefault(pk, len(ids)) for pk in pks))  # no list of them all
                self._index = (idx, list(ids))
        return self._index

    def _pair(self, pk: int) -> Pair:
        p = self._pairs.get(pk)
        if p is None:
            p = self._pairs[pk] = self._make_pair(pk)
        return p

    def _make_pair(self, pk: int) -> Pair:
        if self.dense is None:
            g = self.state(pk)
            return Pair(g.a, g.b, g.budget_a, g.budget_b, g.ghost_a, g.ghost_b, g.channels_empty())
        cfgs, parts = self.space.cfgs, self.dense.parts
        a, bua, ga = parts[(pk >> 1) & F]
        b, bub, gb = parts[pk >> (1 + W)]
        return Pair(cfgs[a], cfgs[b], Budget(*bua), Budget(*bub), Ghost(*ga), Ghost(*gb), bool(pk & 1))

    def pair(self, i: int) -> Pair:
        """Node i's Pair."""
        if self.dense is None:
            return self._pair(i)
        idx, keys = self._pair_index()
        return self._pair(keys[idx[i]])

    def first(self, pred) -> int | None:
        """The first node (nearest the start: ids are breadth-first) whose
        Pair satisfies `pred`, evaluated once per distinct Pair."""
        return next(self.where(pred), None)

    def where(self, pred):
        """The nodes, in order, whose Pair satisfies `pred`."""
        idx, keys = self._pair_index()
        if self.dense is None:
            yield from (i for i in idx if pred(self._pair(i)))
            return
        good = bytearray(bool(pred(self._pair(pk))) for pk in keys)
        if not any(good):
            return
        yield from (i for i, p in enumerate(idx) if good[p])

    def count(self, pred) -> int:
        """How many nodes have a Pair satisfying `pred`."""
        return sum(1 for _ in self.where(pred))


def _side_moves(pc: _Pieces, k: int, side: int, tools) -> tuple:
    """One endpoint's moves from packed state `k`, assembled from the
    memoised pieces in `_Space.side_successors`'s order: its new packed
    parts with the peer's field zero, and {index: what broke} or None."""
    dn, cap, many, lossy, app, room_of = tools
    parts, chan_len = dn.parts, dn.chan_len
    old = k & 1
    la, lb = (k >> S_LA) & F, k >> S_LB
    cab, cba = (k >> S_CAB) & F, (k >> S_CBA) & F
    if side == 0:
        L, P, cout, cin, out_shift, in_shift = la, lb, cab, cba, S_CAB, S_CBA
    else:
        L, P, cout, cin, out_shift, in_shift = lb, la, cba, cab, S_CBA, S_CAB
    hs: list[int] = []
    bad = None
    room = room_of(cout, cin, parts[L][2][0], parts[P][2][0]) if many else \
        (max(0, cap - chan_len[cout]) if chan_len[cin] <= cap else 0)
    if room:
        ms = pc.spont.get((L << 4) | room)
        if ms is None:
            ms = pc.spont_miss(L, room)
        for lnew, items in ms:
            hs.append(old | lnew | ((app(cout, items) if items else cout) << out_shift) | (cin << in_shift))
    if not cab and not cba:
        ms = pc.tw.get(L)
        if ms is None:
            ms = pc.tw_miss(L)
        for lnew, items in ms:
            hs.append(old | lnew | ((app(0, items) if items else 0) << out_shift))
    if cin:
        ms = pc.deliv.get((L << W) | cin)
        if ms is None:
            ms = pc.deliv_miss(L, cin)
        for lnew, items, rest, broke in ms:
            if broke:
                bad = bad or {}
                bad[len(hs)] = broke
            hs.append(old | lnew | ((app(cout, items) if items else cout) << out_shift) | (rest << in_shift))
        if lossy:
            fk = (cin << 1) | (chan_len[cout] <= cap)
            ms = pc.faults.get(fk)
            if ms is None:
                ms = pc.faults_miss(cin, chan_len[cout], fk)
            mine = old | (L << pc.own_shift) | (cout << out_shift)
            for rest in ms:
                hs.append(mine | (rest << in_shift))
    if old:
        peer_iss = dn.space.cfgs[parts[P][0]].iss
        ms = pc.old.get((L, peer_iss))
        if ms is None:
            ms = pc.old_miss(L, peer_iss)
        for lnew, items in ms:
            hs.append(lnew | ((app(cout, items) if items else cout) << out_shift) | (cin << in_shift))
    return tuple(hs), bad


try:  # the compiled loop (setup.py builds it; without a C compiler the pure-Python one runs)
    from checker.analysis import _csearch
except ImportError:  # pragma: no cover - depends on the install
    _csearch = None

COMPILED = _csearch is not None


def search(model, opts, max_states: int = 3_000_000, progress=None, compiled: bool | None = None) -> Exploration:
    """Breadth-first search of the reachable global states, stopping at
    `max_states` (then `truncated`). `progress(states, queue, seconds)` is
    called every 20,000 new states. `compiled`: the C loop (default when
    it is built) or the pure-Python one; both give the same graph."""
    t0 = time.perf_counter()
    sp = _Space(model, opts)
    dn = Dense(sp)
    host = _Host(dn)
    start = dn.pack(sp.start())
    if compiled is None:
        compiled = COMPILED
    if compiled:
        if _csearch is None:
            raise RuntimeError("the compiled search loop is not built (checker/analysis/_csearch.c; pip install -e .)")
        report = None if progress is None else (lambda v, q: progress(v, q, time.perf_counter() - t0))
        lo, hi, offs, tgts, broken, truncated = _csearch.search(
            host, start, opts.capacity, opts.opens > 1, opts.loss or opts.duplication, max_states, report)
        # views on the bytearrays the loop filled (no copy: at k=3 the edges alone are GBs)
        keys = PackedKeys(memoryview(lo).cast("Q"), memoryview(hi).cast("Q"))
        offsets, targets = memoryview(offs).cast("q"), memoryview(tgts).cast("I")
        return Exploration(sp, opts, Compact(offsets, targets), States(dn, keys), time.perf_counter() - t0,
                           bool(truncated), broken, dn)
    ids = {start: 0}
    keys = [start]
    offsets = array("q", [0])
    targets = array("I")  # node ids (< 2^32)
    broken: list = []
    truncated = False
    report = 20_000  # the next progress report, in states
    appended: dict[int, int] = {}  # (channel << W) | items -> channel with the items at its end
    rooms: dict[tuple, int] = {}

    def app(c: int, items: int) -> int:
        k2 = (c << W) | items
        r = appended.get(k2)
        if r is None:
            r = appended[k2] = host.app(c, items)[0]
        return r

    def room_of(cout: int, cin: int, mine: int, peer_inc: int) -> int:
        k2 = (cout, cin, mine, peer_inc)
        r = rooms.get(k2)
        if r is None:
            r = rooms[k2] = host.room(cout, cin, mine, peer_inc)[0]
        return r

    tools = (dn, opts.capacity, opts.opens > 1, opts.loss or opts.duplication, app, room_of)
    pieces = (_Pieces(host, 0), _Pieces(host, 1))
    # per side: (the state without the peer's part | the peer's signature) -> (moves, what broke)
    memo_a: dict[int, tuple] = {}
    memo_b: dict[int, tuple] = {}
    sig = dn.sig
    hot, limit = dn.hot, sp.inc_limit
    i = 0
    while i < len(keys):
        k = keys[i]
        lb_bits, la_bits = k & LB_BITS, k & LA_BITS
        ka = (k ^ lb_bits) | (sig[k >> S_LB] << S_LB)
        kb = (k ^ la_bits) | (sig[la_bits >> S_LA] << S_LA)
        got_a = memo_a.get(ka)
        if got_a is None:
            if len(memo_a) >= MEMO_BOUND:
                memo_a.clear()
            got_a = memo_a[ka] = _side_moves(pieces[0], k, 0, tools)
        got_b = memo_b.get(kb)
        if got_b is None:
            if len(memo_b) >= MEMO_BOUND:
                memo_b.clear()
            got_b = memo_b[kb] = _side_moves(pieces[1], k, 1, tools)
        outs: list[int] = []
        for (moves, bad), keep in ((got_a, lb_bits), (got_b, la_bits)):
            for j, part in enumerate(moves):
                h = part | keep
                if hot[h >> S_LB] or hot[(h >> S_LA) & F]:
                    h = dn.pack(renumbered(dn.unpack(h), limit))
                v = ids.get(h)
                if v is None:
                    v = len(keys)
                    if v >= max_states:
                        truncated = True
                        continue
                    ids[h] = v
                    keys.append(h)
                    if v >= report:
                        report += 20_000
                        if progress is not None:
                            progress(v, v - i, time.perf_counter() - t0)
                if v not in outs:
                    outs.append(v)
                if bad is not None and j in bad:
                    broken.append((i, v, bad[j]))
        targets.extend(outs)
        offsets.append(len(targets))
        i += 1
    del ids
    return Exploration(sp, opts, Compact(offsets, targets), States(dn, keys), time.perf_counter() - t0,
                       truncated, broken, dn)


def reference(model, opts, max_states: int = 3_000_000) -> Exploration:
    """The plain breadth-first search over `_Space.successors` (no packing,
    no memo): what `search` must agree with, edge for edge."""
    t0 = time.perf_counter()
    sp = _Space(model, opts)
    start = sp.start()
    ids = {start: 0}
    states = [start]
    offsets, targets = array("q", [0]), array("q")
    broken: list = []
    truncated = False
    i = 0
    while i < len(states):
        outs: list[int] = []
        for label, h in sp.successors(states[i]):
            v = ids.get(h)
            if v is None:
                if len(states) >= max_states:
                    truncated = True
                    continue
                v = ids[h] = len(states)
                states.append(h)
            if v not in outs:
                outs.append(v)
            if label[6]:
                broken.append((i, v, label[6]))
        targets.extend(outs)
        offsets.append(len(targets))
        i += 1
    return Exploration(sp, opts, Compact(offsets, targets), states, time.perf_counter() - t0, truncated, broken)
