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
OLD = 0  # the tag of a segment from an incarnation before the explored ones (the old SYN)


class Budget(NamedTuple):
    opens: int
    octets: int
    closes: int
    aborts: int


class Ghost(NamedTuple):
    """What only the checker knows of an endpoint (3.4, 3.4.1): `inc`, how
    many TCBs it has created (its current incarnation's number, from 1);
    `peer`, the incarnation of the peer whose SYN its current TCB accepted
    (0 before that, or for the old SYN); `waited`, the last incarnation that
    ended by the TIME-WAIT timeout (3.6.1: the active closer's normal end)."""

    inc: int = 0
    peer: int = 0
    waited: int = 0


class Global(NamedTuple):
    a: Config
    b: Config
    ab: tuple  # segments in flight from A to B
    ba: tuple  # segments in flight from B to A
    budget_a: Budget
    budget_b: Budget
    old_syn: int  # 1 while the network may still deliver an old SYN
    tags_ab: tuple = ()  # the sender's incarnation of each segment in ab
    tags_ba: tuple = ()
    ghost_a: Ghost = Ghost()
    ghost_b: Ghost = Ghost()

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
    lose/dup: the receiver the segment was heading to). `tag`: the sending
    incarnation of the segment delivered, lost or duplicated; `late`: its
    sender has started a later incarnation since; `integrity`: what this
    step broke of data integrity ("" when nothing)."""

    kind: str
    side: str
    what: str
    segment: Segment | None
    sent: tuple
    rows: tuple  # names of the table rows that fired
    tag: int = 0
    late: bool = False
    integrity: str = ""

    def __str__(self):
        return f"{self.side}: {self.what}"


FINAL_STATES = (State.CLOSED, State.LISTEN)
RESET = FINAL_STATES  # entering them deletes the TCB (3.10.7, 3.10.4)


def is_final(g: Global) -> bool:
    """A proper final state: both endpoints closed or listening, channels empty."""
    return g.a.state in FINAL_STATES and g.b.state in FINAL_STATES and g.channels_empty()


def initial(opts: Options) -> Global:
    budget = Budget(opts.opens, opts.data, opts.opens, opts.opens if opts.abort else 0)
    return Global(closed(opts.iss_a, opts.rcv_wnd), closed(opts.iss_b, opts.rcv_wnd), (), (),
                  budget, budget, 1 if opts.old_syn else 0)


def iss_choices(opts: Options, side: int, cfg: Config, inc: int) -> tuple[int, ...]:
    """The ISN generator's choices for the next TCB of an endpoint (3.4.1):
    the configured ISS for the first; afterwards the previous ISS moved on
    by each of `opts.iss_steps` (the clock advanced that far since the
    previous incarnation started: a small step puts the new ISS inside the
    sequence space the old incarnation used, 3.4.3)."""
    if inc == 0:
        return ((opts.iss_a, opts.iss_b)[side],)
    return tuple((cfg.iss + d) & MASK for d in opts.iss_steps)


_CALLS = (Open(False), Send(1), Close(), Abort())
_TIMEOUTS = (Timeout("retransmission"), Timeout("user"), Timeout("time-wait"))
_NO = None  # an illegal event or an error response: no move
TAG_BITS = 4  # a channel item is (segment id << TAG_BITS) | sending incarnation


def _sets_irs(outcome) -> bool:
    return any(k == "IRS" for r in outcome.fired for k, _ in r.set)


def _intern(values: list, ids: dict, x) -> int:
    """The id of `x` in `values` (appended on first sight)."""
    i = ids.get(x)
    if i is None:
        i = ids[x] = len(values)
        values.append(x)
    return i


class _Space:
    """Interned values and a transition cache, so that a global state is a
    small tuple of ints: (A, B, A->B, B->A, budget A, budget B, old SYN,
    ghost A, ghost B) with A, B config ids and channels tuples of items
    (segment id, sending incarnation)."""

    def __init__(self, model: Model, opts: Options):
        self.model, self.opts = model, opts
        self.cfgs: list[Config] = []
        self.cfg_id: dict[Config, int] = {}
        self.segs: list[Segment] = []
        self.seg_id: dict[Segment, int] = {}
        self.events: list = list(_CALLS + _TIMEOUTS)
        self.event_id: dict = {e: i for i, e in enumerate(self.events)}
        self.trans: dict[tuple[int, int], tuple | None] = {}

    def start(self):
        """The compact initial state of the options' closed system."""
        g0 = initial(self.opts)
        return (self.cfg(g0.a), self.cfg(g0.b), (), (), tuple(g0.budget_a), tuple(g0.budget_b), g0.old_syn,
                tuple(g0.ghost_a), tuple(g0.ghost_b))

    def cfg(self, c: Config) -> int:
        return _intern(self.cfgs, self.cfg_id, c)

    def seg(self, s: Segment) -> int:
        return _intern(self.segs, self.seg_id, s)

    def ev(self, e) -> int:
        return _intern(self.events, self.event_id, e)

    def event(self, code: int):
        return self.events[code]

    def move(self, cfg: int, code: int):
        """(new config id, sent segment ids, outcome) or None; cached."""
        key = (cfg, code)
        hit = self.trans.get(key, 0)
        if hit == 0:
            out = self.model.try_step(self.cfgs[cfg], self.events[code])
            if out is None or out.error is not None:
                hit = None
            else:
                hit = (self.cfg(out.config), tuple(self.seg(x) for x in out.sent), out)
            self.trans[key] = hit
        return hit

    def decode(self, c) -> Global:
        a, b, ab, ba, bua, bub, old, ga, gb = c
        segs = self.segs
        return Global(self.cfgs[a], self.cfgs[b], tuple(segs[i >> TAG_BITS] for i in ab),
                      tuple(segs[i >> TAG_BITS] for i in ba), Budget(*bua), Budget(*bub), old,
                      tuple(i & 15 for i in ab), tuple(i & 15 for i in ba), Ghost(*ga), Ghost(*gb))

    def step_of(self, label) -> "Step":
        """The readable Step behind a compact label."""
        kind, side, code, out, tag, late, broke = label
        sent = out.sent if out is not None else ()
        rows = tuple(r.name for r in out.fired) if out is not None else ()
        what = self.events[code]
        if kind in ("call", "timeout"):
            return Step(kind, side, str(what), None, sent, rows)
        seg = what.segment
        text = {"deliver": "rcv", "lose": "lost", "dup": "duplicated",
                "old-syn": "rcv old duplicate"}[kind]
        inc = f" (of incarnation {tag}{', late' if late else ''})" if tag and self.opts.opens > 1 else ""
        return Step(kind, side, f"{text} {seg.brief()}{inc}", seg, sent, rows, tag, late, broke)

    def _created(self, cfg_id: int, new_cfg_id: int) -> bool:
        return self.cfgs[cfg_id].state in RESET and self.cfgs[new_cfg_id].state not in RESET

    def _ghost_after(self, me: int, m, ghost: tuple, tag: int | None = None) -> tuple:
        """An endpoint's ghost after its step: a new TCB counts an
        incarnation; a deleted one forgets its peer; accepting the peer's
        SYN (a row that sets IRS) records which incarnation sent it."""
        inc, peer, waited = ghost
        if self._created(me, m[0]):
            inc += 1
        if self.cfgs[m[0]].state in RESET:
            if self.cfgs[me].state is State.TIME_WAIT and any(r.on == "TIME-WAIT-TIMEOUT" for r in m[2].fired):
                waited = inc
            peer = 0
        elif tag is not None and _sets_irs(m[2]):
            peer = tag
        return (inc, peer, waited)

    def _integrity(self, me: int, m, ghost: tuple, tag: int) -> str:
        """Data integrity (3.4, 3.3.1): RCV.NXT advanced over octets (or the
        FIN) of a segment that is not from the peer incarnation this TCB is
        synchronized with."""
        old, new = self.cfgs[me], self.cfgs[m[0]]
        if old.state in RESET or new.state in RESET or old.rcv_nxt == new.rcv_nxt:
            return ""
        if _sets_irs(m[2]):
            return ""  # the SYN itself: RCV.NXT starts here
        if tag != ghost[1]:
            return (f"octets of the peer's incarnation {tag} accepted by a TCB synchronized with "
                    f"its incarnation {ghost[1]}" if tag else "octets of an earlier incarnation accepted")
        return ""

    def successors(self, c):
        """Yield (label, compact successor); label = (kind, side, code,
        outcome, tag, late, integrity)."""
        opts = self.opts
        cap = opts.capacity
        a, b, ab, ba, bua, bub, old, ga, gb = c
        cfgs = self.cfgs
        ghost_peer_inc = (gb[0], ga[0])  # per side: the peer's current incarnation
        for side in (0, 1):
            if side == 0:
                me, peer, budget, outgoing, inbox, ghost = a, b, bua, ab, ba, ga
            else:
                me, peer, budget, outgoing, inbox, ghost = b, a, bub, ba, ab, gb
            S = "AB"[side]
            mine = ghost[0]  # the tag of what this endpoint sends now

            def put(new_me, new_budget, sent, new_inbox, new_ghost, _side=side, _mine=mine):
                items = tuple((x << TAG_BITS) | _mine for x in sent)
                if _side == 0:
                    return (new_me, b, outgoing + items if items else outgoing, new_inbox, new_budget, bub, old,
                            new_ghost, gb)
                return (a, new_me, new_inbox, outgoing + items if items else outgoing, bua, new_budget, old,
                        ga, new_ghost)

            # A spontaneous move (user call, timeout) waits while its own
            # direction holds k segments or the reverse one more than k
            # (replies to arrivals are never refused; this keeps each
            # direction below 2k+1 segments).
            # Segments of an earlier incarnation do not hold the endpoints back:
            # they linger in the network (3.4.3) while the next one proceeds.
            if opts.opens > 1:
                own = sum(1 for x in outgoing if x & 15 == mine)
                theirs = sum(1 for x in inbox if x & 15 == ghost_peer_inc[side])
            else:
                own, theirs = len(outgoing), len(inbox)
            room = max(0, cap - own) if theirs <= cap else 0
            opens, octets, closes, aborts = budget
            if room:
                # User calls (3.10.1-3.10.5), bounded by the budget; an OPEN
                # that creates a TCB draws its ISS from the ISN generator.
                calls = []
                if opens:
                    used = (opens - 1, octets, closes, aborts)
                    for iss in iss_choices(opts, side, cfgs[me], ghost[0]):
                        calls.append((self.ev(Open(True, iss)), used))
                    calls.append((0, used))  # passive OPEN
                if octets:
                    calls.append((1, (opens, octets - 1, closes, aborts)))
                # CLOSE and ABORT are always offered: the table answers a
                # repeated one with an error response, which is no move.
                calls.append((2, budget))
                if aborts:
                    calls.append((3, budget))
                seen = set()
                for code, nb in calls:
                    m = self.move(me, code)
                    if m is not None and len(m[1]) <= room:
                        ng = self._ghost_after(me, m, ghost)
                        nxt = put(m[0], nb, m[1], inbox, ng, _mine=ng[0])
                        if nxt not in seen:
                            seen.add(nxt)
                            yield ("call", S, code, m[2], 0, False, ""), nxt
                # Timeouts (3.10.8).
                for code in (4, 5) if opts.abort else (4,):
                    m = self.move(me, code)
                    if m is not None and len(m[1]) <= room:
                        yield ("timeout", S, code, m[2], 0, False, ""), \
                            put(m[0], budget, m[1], inbox, self._ghost_after(me, m, ghost))
            # 2MSL outlasts every segment in flight (MSL, 3.4.2; 3.6.1 MUST-13):
            # TIME-WAIT ends only when the network is empty.
            if cfgs[me].state is State.TIME_WAIT and not ab and not ba:
                m = self.move(me, 6)
                if m is not None:
                    yield ("timeout", S, 6, m[2], 0, False, ""), \
                        put(m[0], budget, m[1], inbox, self._ghost_after(me, m, ghost))
            if inbox:
                # FIFO within one sending incarnation (unless reordering);
                # a segment of an earlier incarnation may arrive late, behind
                # a later one's (it outlived its connection in the network).
                if opts.reordering:
                    picks = range(len(inbox))
                else:
                    first_of = {}
                    for i, item in enumerate(inbox):
                        first_of.setdefault(item & 15, i)
                    picks = sorted(first_of.values())
                seen = set()
                for i in picks:
                    item = inbox[i]
                    rest = inbox[:i] + inbox[i + 1:]
                    # equal items at two places leave different channels behind
                    # (unless adjacent): the same move only if the rest is the same
                    if rest in seen:
                        continue
                    seen.add(rest)
                    sid, tag = item >> TAG_BITS, item & 15
                    late = 0 < tag < ghost_peer_inc[side]  # it outlived its incarnation
                    seg = self.segs[sid]
                    here = cfgs[me]
                    if here.state is State.LISTEN and seg.syn:
                        choices = iss_choices(opts, side, here, ghost[0])
                    else:
                        choices = (None,)
                    done = set()
                    for iss in choices:
                        code = self.ev(Arrive(seg, iss))
                        m = self.move(me, code)
                        if m is None:
                            continue
                        ng = self._ghost_after(me, m, ghost, tag)
                        broke = self._integrity(me, m, ghost, tag)
                        nxt = put(m[0], budget, m[1], rest, ng, _mine=ng[0])
                        if nxt in done:
                            continue
                        done.add(nxt)
                        yield ("deliver", S, code, m[2], tag, late, broke), nxt
                if opts.loss or opts.duplication:
                    seen = set()
                    for i, item in enumerate(inbox):
                        rest = inbox[:i] + inbox[i + 1:]
                        if rest in seen:  # (as for deliveries: the same loss iff the same rest)
                            continue
                        seen.add(rest)
                        code = self.ev(Arrive(self.segs[item >> TAG_BITS]))
                        if opts.loss:
                            yield ("lose", S, code, None, item & 15, False, ""), \
                                put(me, budget, (), rest, ghost)
                        if opts.duplication and len(inbox) < cap and len(outgoing) <= cap:
                            yield ("dup", S, code, None, item & 15, False, ""), put(me, budget, (), inbox + (item,), ghost)
            if old and cfgs[me].state is State.LISTEN:
                # An old duplicate SYN from an earlier incarnation of the peer reaches
                # a listener (3.5 Figures 8 and 11): what the three-way handshake is for.
                seg = Segment(seq=(cfgs[peer].iss - OLD_SYN_DISTANCE) & MASK, syn=True, wnd=opts.rcv_wnd)
                for iss in iss_choices(opts, side, cfgs[me], ghost[0]):
                    code = self.ev(Arrive(seg, iss))
                    m = self.move(me, code)
                    if m is None:
                        continue
                    ng = self._ghost_after(me, m, ghost, OLD)
                    n = list(put(m[0], budget, m[1], inbox, ng, _mine=ng[0]))
                    n[6] = 0
                    yield ("old-syn", S, code, m[2], OLD, False, ""), tuple(n)


@dataclass
class Exploration:
    space: _Space
    opts: Options
    graph: nx.DiGraph
    states: list  # node id -> compact global state (see _Space)
    seconds: float
    truncated: bool
    broken: list = None  # (u, v, what) of each step that broke data integrity, in BFS order

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
    start = sp.start()
    ids = {start: 0}
    states = [start]
    edges = []
    frontier = [start]
    truncated = False
    broken: list = []
    while frontier:
        nxt = []
        for c in frontier:
            u = ids[c]
            for label, h in sp.successors(c):
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
                if label[6]:
                    broken.append((u, v, label[6]))
        frontier = nxt
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(states)))
    graph.add_edges_from(edges)
    return Exploration(sp, opts, graph, states, time.perf_counter() - t0, truncated, broken)

