"""The closed system: endpoint A, endpoint B, one channel per direction, and
an environment of user calls, all driven by one table (`model.machine`).

A global state is a hashable tuple (A, B, A->B, B->A, budget) where A and B
are `model.config.Config` values, the channels are tuples of segments
(oldest first) and the budget says which user calls are still to come.
`explore` builds the reachable global state graph as a networkx DiGraph
whose edges carry the step that was taken (for counterexample ladders).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx

from checker.analysis.options import Options
from model.config import Config, closed
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import Model
from model.seq import MASK
from model.state import State

SIDES = ("A", "B")
OLD_SYN_DISTANCE = 0x10000  # how far behind the current ISS an old incarnation's SYN is


class Budget(NamedTuple):
    opens: int
    octets: int
    closes: int
    aborts: int


class Global(NamedTuple):
    a: Config
    b: Config
    ab: tuple  # segments in flight from A to B
    ba: tuple  # segments in flight from B to A
    budget_a: Budget
    budget_b: Budget
    old_syn: int  # 1 while the network may still deliver an old SYN

    def endpoint(self, side: str) -> Config:
        return self.a if side == "A" else self.b

    def toward(self, side: str) -> tuple:
        """The channel whose segments arrive at `side`."""
        return self.ba if side == "A" else self.ab

    def channels_empty(self) -> bool:
        return not self.ab and not self.ba


class Step(NamedTuple):
    """One edge of the global graph. kind: call | timeout | deliver | lose |
    dup | old-syn. side: the endpoint acting (for deliver: the receiver; for
    lose/dup: the receiver the segment was heading to)."""

    kind: str
    side: str
    what: str
    segment: Segment | None
    sent: tuple
    rows: tuple  # names of the table rows that fired

    def __str__(self):
        return f"{self.side}: {self.what}"


FINAL_STATES = (State.CLOSED, State.LISTEN)


def is_final(g: Global) -> bool:
    """A proper final state: both endpoints closed or listening, channels empty."""
    return g.a.state in FINAL_STATES and g.b.state in FINAL_STATES and g.channels_empty()


def initial(opts: Options) -> Global:
    budget = Budget(1, opts.data, 1, 1 if opts.abort else 0)
    return Global(closed(opts.iss_a, opts.rcv_wnd), closed(opts.iss_b, opts.rcv_wnd), (), (),
                  budget, budget, 1 if opts.old_syn else 0)


def _peer_waiting(cfg: Config) -> bool:
    return cfg.state not in FINAL_STATES and cfg.snd_una != cfg.snd_nxt


_CALLS = (Open(True), Open(False), Send(1), Close(), Abort())
_TIMEOUTS = (Timeout("retransmission"), Timeout("user"), Timeout("time-wait"))
_NO = None  # an illegal event or an error response: no move


def _intern(values: list, ids: dict, x) -> int:
    """The id of `x` in `values` (appended on first sight)."""
    i = ids.get(x)
    if i is None:
        i = ids[x] = len(values)
        values.append(x)
    return i


class _Space:
    """Interned values and a transition cache, so that a global state is a
    small tuple of ints: (A, B, A->B, B->A, budget A, budget B, old SYN)
    with A, B config ids and channels tuples of segment ids."""

    def __init__(self, model: Model, opts: Options):
        self.model, self.opts = model, opts
        self.cfgs: list[Config] = []
        self.cfg_id: dict[Config, int] = {}
        self.segs: list[Segment] = []
        self.seg_id: dict[Segment, int] = {}
        self.trans: dict[tuple[int, int], tuple | None] = {}

    def cfg(self, c: Config) -> int:
        return _intern(self.cfgs, self.cfg_id, c)

    def seg(self, s: Segment) -> int:
        return _intern(self.segs, self.seg_id, s)

    def event(self, code: int):
        if code < 8:
            return (_CALLS + _TIMEOUTS)[code]
        return Arrive(self.segs[code - 8])

    def move(self, cfg: int, code: int):
        """(new config id, sent segment ids, outcome) or None; cached."""
        key = (cfg, code)
        hit = self.trans.get(key, 0)
        if hit == 0:
            out = self.model.try_step(self.cfgs[cfg], self.event(code))
            if out is None or out.error is not None:
                hit = None
            else:
                hit = (self.cfg(out.config), tuple(self.seg(x) for x in out.sent), out)
            self.trans[key] = hit
        return hit

    def decode(self, c) -> Global:
        a, b, ab, ba, bua, bub, old = c
        segs = self.segs
        return Global(self.cfgs[a], self.cfgs[b], tuple(segs[i] for i in ab),
                      tuple(segs[i] for i in ba), Budget(*bua), Budget(*bub), old)

    def step_of(self, label) -> "Step":
        """The readable Step behind a compact label."""
        kind, side, code, out = label
        sent = out.sent if out is not None else ()
        rows = tuple(r.name for r in out.fired) if out is not None else ()
        what = self.event(code)
        if kind in ("call", "timeout"):
            return Step(kind, side, str(what), None, sent, rows)
        seg = what.segment
        text = {"deliver": "rcv", "lose": "lost", "dup": "duplicated",
                "old-syn": "rcv old duplicate"}[kind]
        return Step(kind, side, f"{text} {seg.brief()}", seg, sent, rows)

    def successors(self, c):
        """Yield (label, compact successor); label = (kind, side, code, outcome)."""
        opts = self.opts
        cap = opts.capacity
        a, b, ab, ba, bua, bub, old = c
        cfgs = self.cfgs
        for side in (0, 1):
            if side == 0:
                me, peer, budget, outgoing, inbox = a, b, bua, ab, ba
            else:
                me, peer, budget, outgoing, inbox = b, a, bub, ba, ab
            S = "AB"[side]
            # A spontaneous move (user call, timeout) waits while its own
            # direction holds k segments or the reverse one more than k
            # (replies to arrivals are never refused; this keeps each
            # direction below 2k+1 segments).
            room = max(0, cap - len(outgoing)) if len(inbox) <= cap else 0

            def put(new_me, new_budget, sent, new_inbox):
                out = outgoing + sent if sent else outgoing
                if side == 0:
                    return (new_me, b, out, new_inbox, new_budget, bub, old)
                return (a, new_me, new_inbox, out, bua, new_budget, old)

            opens, octets, closes, aborts = budget
            if room:
                # User calls (3.10.1-3.10.5), bounded by the budget.
                calls = []
                if opens:
                    calls += [(0, (0, octets, closes, aborts)), (1, (0, octets, closes, aborts))]
                if octets:
                    calls.append((2, (opens, octets - 1, closes, aborts)))
                # CLOSE and ABORT are always offered: the table answers a
                # repeated one with an error response, which is no move.
                calls.append((3, budget))
                if aborts:
                    calls.append((4, budget))
                for code, nb in calls:
                    m = self.move(me, code)
                    if m is not None and len(m[1]) <= room:
                        yield ("call", S, code, m[2]), put(m[0], nb, m[1], inbox)
                # Timeouts (3.10.8).
                for code in (5, 6) if opts.abort else (5,):
                    m = self.move(me, code)
                    if m is not None and len(m[1]) <= room:
                        yield ("timeout", S, code, m[2]), put(m[0], budget, m[1], inbox)
            # 2MSL outlasts every segment in flight and the peer's retransmissions
            # (3.4.2, 3.6.1 MUST-13): TIME-WAIT ends only when the network is empty
            # and the peer waits for no acknowledgment.
            if (cfgs[me].state is State.TIME_WAIT and not ab and not ba
                    and not _peer_waiting(cfgs[peer])):
                m = self.move(me, 7)
                if m is not None:
                    yield ("timeout", S, 7, m[2]), put(m[0], budget, m[1], inbox)
            if inbox:
                picks = range(len(inbox)) if opts.reordering else (0,)
                seen = set()
                for i in picks:
                    sid = inbox[i]
                    if sid in seen:
                        continue
                    seen.add(sid)
                    m = self.move(me, 8 + sid)
                    yield ("deliver", S, 8 + sid, m[2]), put(m[0], budget, m[1], inbox[:i] + inbox[i + 1:])
                if opts.loss or opts.duplication:
                    seen = set()
                    for i, sid in enumerate(inbox):
                        if sid in seen:
                            continue
                        seen.add(sid)
                        if opts.loss:
                            yield ("lose", S, 8 + sid, None), put(me, budget, (), inbox[:i] + inbox[i + 1:])
                        if opts.duplication and len(inbox) < cap and len(outgoing) <= cap:
                            yield ("dup", S, 8 + sid, None), put(me, budget, (), inbox + (sid,))
            if old and cfgs[me].state is State.LISTEN:
                # An old duplicate SYN from an earlier incarnation of the peer reaches
                # a listener (3.5 Figures 8 and 11): what the three-way handshake is for.
                seg = Segment(seq=(cfgs[peer].iss - OLD_SYN_DISTANCE) & MASK, syn=True,
                              wnd=opts.rcv_wnd)
                code = 8 + self.seg(seg)
                m = self.move(me, code)
                n = list(put(m[0], budget, m[1], inbox))
                n[6] = 0
                yield ("old-syn", S, code, m[2]), tuple(n)




@dataclass
class Exploration:
    space: _Space
    opts: Options
    graph: nx.DiGraph
    states: list  # node id -> compact global state (see _Space)
    seconds: float
    truncated: bool

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_edges(self) -> int:
        return self.graph.number_of_edges()

    def path_to(self, target: int) -> list[tuple[Step, Global]]:
        """The shortest path (networkx shortest_path) from the initial state."""
        return self.steps_along(nx.shortest_path(self.graph, 0, target))

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


def explore(model: Model, opts: Options, max_states: int = 3_000_000, progress=None) -> Exploration:
    """Breadth-first search of the reachable global states, stopping at
    `max_states` (then `truncated`). `progress(states, frontier, seconds)`
    is called every 20,000 new states."""
    t0 = time.perf_counter()
    sp = _Space(model, opts)
    g0 = initial(opts)
    start = (sp.cfg(g0.a), sp.cfg(g0.b), (), (), tuple(g0.budget_a), tuple(g0.budget_b), g0.old_syn)
    ids = {start: 0}
    states = [start]
    edges = []
    frontier = [start]
    truncated = False
    while frontier:
        nxt = []
        for c in frontier:
            u = ids[c]
            for _label, h in sp.successors(c):
                v = ids.get(h)
                if v is None:
                    if len(states) >= max_states:
                        truncated = True
                        continue
                    v = ids[h] = len(states)
                    states.append(h)
                    nxt.append(h)
                    if progress is not None and v % 20_000 == 0:
                        progress(v, len(frontier) + len(nxt), time.perf_counter() - t0)
                edges.append((u, v))
        frontier = nxt
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(states)))
    graph.add_edges_from(edges)
    return Exploration(sp, opts, graph, states, time.perf_counter() - t0, truncated)

