"""The closed system: endpoint A, endpoint B, one channel per direction, and
an environment of user calls, all driven by one table (`model.machine`).

A global state is a hashable tuple (A, B, A->B, B->A, budget) where A and B
are `model.config.Config` values, the channels are tuples of segments
(oldest first) and the budget says which user calls are still to come.
`_Space` is the one definition of a step of the closed system: what may
happen next in a global state, with a readable label per step (for
counterexample ladders). `checker.analysis.engine` searches it fast.
"""

from __future__ import annotations

from typing import NamedTuple

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


def refused(opts: Options, state: State, syn: bool, inc: int) -> bool:
    """A SYN the TCB bound keeps from a listener (`Options.tcbs`): it stays
    in the channel, which may lose it."""
    return bool(opts.tcbs) and syn and state is State.LISTEN and inc >= opts.tcbs


def refusing(opts: Options, g: "Global") -> bool:
    """Whether the TCB bound holds back a delivery in global state g (a
    move the unbounded system has here)."""
    return any(refused(opts, x.state, s.syn, gh.inc) for x, inbox, gh in
               ((g.a, g.ba, g.ghost_a), (g.b, g.ab, g.ghost_b)) for s in inbox)


def iss_choices(opts: Options, side: int, cfg: Config, inc: int) -> tuple[int, ...]:
    """The ISN generator's choices for the next TCB of an endpoint (3.4.1):
    the configured ISS for the first; afterwards the previous ISS moved on
    by each of `opts.steps()` (the clock advanced that far since the
    previous incarnation started: by default just beyond the numbers the
    old incarnation used, 3.4.1; a step of 1 puts the new ISS inside them,
    3.4.3)."""
    if inc == 0:
        return ((opts.iss_a, opts.iss_b)[side],)
    return tuple((cfg.iss + d) & MASK for d in opts.steps())


_CALLS = (Open(False), Send(1), Close(), Abort())
_TIMEOUTS = (Timeout("retransmission"), Timeout("user"), Timeout("time-wait"))
_NO = None  # an illegal event or an error response: no move
TAG_BITS = 4  # a channel item is (segment id << TAG_BITS) | sending incarnation
INC_LIMIT = (1 << TAG_BITS) - 1  # an endpoint reaching this many TCBs is renumbered


def renumbered(c: tuple, limit: int) -> tuple:
    """`c` with each endpoint that has created `limit` TCBs or more
    renumbered (`renumbered_side`)."""
    if c[7][0] >= limit:
        c = renumbered_side(c, 0)
    if c[8][0] >= limit:
        c = renumbered_side(c, 1)
    return c


def renumbered_side(c: tuple, side: int) -> tuple:
    """The compact state `c` with endpoint `side`'s incarnation numbers
    renamed 1..n in order: its own count and TIME-WAIT mark, the peer's
    record of which of them it synchronized with, the tags of what it has
    in flight (0, no TCB or the old SYN, stays 0). Every step and every
    check reads these numbers only through =, < and "is 0", so the renamed
    state has the same futures and verdicts: a sound quotient that keeps
    the numbers within the tag's bits. Without it the count has no bound:
    each duplicated or reordered SYN that reaches LISTEN creates a TCB."""
    a, b, ab, ba, bua, bub, old, ga, gb = c
    mine, theirs, out = (ga, gb, ab) if side == 0 else (gb, ga, ba)
    used = {mine[0], mine[2], theirs[1]} | {x & 15 for x in out}
    rank = {v: i for i, v in enumerate(sorted(used - {0}), 1)}
    rank[0] = 0
    mine = (rank[mine[0]], mine[1], rank[mine[2]])
    theirs = (theirs[0], rank[theirs[1]], theirs[2])
    out = tuple((x >> TAG_BITS << TAG_BITS) | rank[x & 15] for x in out)
    if side == 0:
        return a, b, out, ba, bua, bub, old, mine, theirs
    return a, b, ab, out, bua, bub, old, theirs, mine


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

    inc_limit = INC_LIMIT  # a TCB count from which `renumbered` applies (tests lower it)
    # With reordering any segment of a channel may arrive or be lost next and
    # appends go to the end: a channel's order carries nothing, so channels are
    # kept sorted (a permutation of a channel has the same futures and
    # verdicts: an exact quotient; tests turn it off to compare).
    sort_reordered = True

    def __init__(self, model: Model, opts: Options):
        self.model, self.opts = model, opts
        self.sorted_channels = opts.reordering and self.sort_reordered
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
        outcome, tag, late, integrity): A's moves, then B's."""
        yield from self.side_successors(c, 0)
        yield from self.side_successors(c, 1)

    def side_successors(self, c, side: int):
        """The moves of one endpoint (0: A, 1: B), from the pieces below.
        They read only its own configuration, budget and ghost, both
        channels, the old-SYN flag, and of the peer its incarnation number
        and ISS; they change none of the peer's parts
        (`checker.analysis.engine` memoises the pieces on this premise)."""
        a, b, ab, ba, bua, bub, old, ga, gb = c
        if side == 0:
            me, peer, budget, outgoing, inbox, ghost, peer_inc = a, b, bua, ab, ba, ga, gb[0]
        else:
            me, peer, budget, outgoing, inbox, ghost, peer_inc = b, a, bub, ba, ab, gb, ga[0]
        moves = []
        room = self.room(outgoing, inbox, ghost[0], peer_inc)
        if room:
            moves += self.spontaneous(side, me, budget, ghost, room)
        if not ab and not ba:
            moves += self.time_wait(side, me, budget, ghost)
        if inbox:
            moves += self.deliveries(side, me, budget, ghost, inbox, peer_inc)
            moves += self.faults(side, me, budget, ghost, inbox, len(outgoing))
        if old:
            moves += self.old_syn(side, me, budget, ghost, self.cfgs[peer].iss)
        for label, new_me, new_budget, new_ghost, items, new_inbox, new_old in moves:
            out = outgoing + items if items else outgoing
            inb = inbox if new_inbox is None else new_inbox
            if self.sorted_channels:  # (renumbered keeps the order: it renames tags monotonically)
                out, inb = tuple(sorted(out)), tuple(sorted(inb))
            o = old if new_old is None else new_old
            if side == 0:
                nxt = (new_me, b, out, inb, new_budget, bub, o, new_ghost, gb)
            else:
                nxt = (a, new_me, inb, out, bua, new_budget, o, ga, new_ghost)
            yield label, renumbered(nxt, self.inc_limit)

    # The pieces. Each returns moves (label, new config id, new budget, new
    # ghost, items appended to the outgoing channel, new inbox or None for
    # unchanged, new old-SYN flag or None for unchanged), in the order the
    # search takes them, and depends only on its arguments and the options.

    def room(self, outgoing: tuple, inbox: tuple, mine: int, peer_inc: int) -> int:
        """How many segments a spontaneous move may send. A user call or a
        timeout waits while its own direction holds k segments or the
        reverse one more than k (replies to arrivals are never refused;
        this keeps each direction below 2k+1 segments). Segments of an
        earlier incarnation do not hold the endpoints back: they linger in
        the network (3.4.3) while the next one proceeds."""
        cap = self.opts.capacity
        if self.opts.opens > 1:
            own = sum(1 for x in outgoing if x & 15 == mine)
            theirs = sum(1 for x in inbox if x & 15 == peer_inc)
        else:
            own, theirs = len(outgoing), len(inbox)
        return max(0, cap - own) if theirs <= cap else 0

    def _tagged(self, sent: tuple, tag: int) -> tuple:
        if tag >> TAG_BITS:
            # the ghost counts TCBs; a SYN in LISTEN creates one each time, so
            # duplicated and reordered SYNs can push it past what a tag holds
            raise OverflowError(f"incarnation {tag} of an endpoint: more TCBs than the {TAG_BITS}-bit ghost tag "
                                "of a segment holds (duplicated SYNs reaching LISTEN); use fewer faults")
        return tuple((x << TAG_BITS) | tag for x in sent)

    def spontaneous(self, side: int, me: int, budget: tuple, ghost: tuple, room: int) -> list:
        """User calls (3.10.1-3.10.5), bounded by the budget, then timeouts
        (3.10.8); each sends at most `room` segments."""
        opts, S = self.opts, "AB"[side]
        opens, octets, closes, aborts = budget
        out = []
        # an OPEN that creates a TCB draws its ISS from the ISN generator
        calls = []
        if opens:
            used = (opens - 1, octets, closes, aborts)
            for iss in iss_choices(opts, side, self.cfgs[me], ghost[0]):
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
                key = (m[0], nb, ng, self._tagged(m[1], ng[0]))
                if key not in seen:
                    seen.add(key)
                    out.append((("call", S, code, m[2], 0, False, ""), m[0], nb, ng, key[3], None, None))
        for code in (4, 5) if opts.abort else (4,):
            m = self.move(me, code)
            if m is not None and len(m[1]) <= room:
                out.append((("timeout", S, code, m[2], 0, False, ""), m[0], budget,
                            self._ghost_after(me, m, ghost), self._tagged(m[1], ghost[0]), None, None))
        return out

    def time_wait(self, side: int, me: int, budget: tuple, ghost: tuple) -> list:
        """2MSL outlasts every segment in flight (MSL, 3.4.2; 3.6.1 MUST-13):
        TIME-WAIT ends only when the network is empty (the caller asks only then)."""
        if self.cfgs[me].state is not State.TIME_WAIT:
            return []
        m = self.move(me, 6)
        if m is None:
            return []
        return [(("timeout", "AB"[side], 6, m[2], 0, False, ""), m[0], budget, self._ghost_after(me, m, ghost),
                 self._tagged(m[1], ghost[0]), None, None)]

    def deliveries(self, side: int, me: int, budget: tuple, ghost: tuple, inbox: tuple, peer_inc: int) -> list:
        """A segment of the inbox arrives: FIFO within one sending
        incarnation (unless reordering); a segment of an earlier incarnation
        may arrive late, behind a later one's (it outlived its connection in
        the network). `peer_inc` only labels a late segment."""
        opts, S, cfgs = self.opts, "AB"[side], self.cfgs
        if opts.reordering:
            picks = range(len(inbox))
        else:
            first_of = {}
            for i, item in enumerate(inbox):
                first_of.setdefault(item & 15, i)
            picks = sorted(first_of.values())
        out = []
        seen = set()
        for i in picks:
            item = inbox[i]
            rest = inbox[:i] + inbox[i + 1:]
            # equal items at two places leave different channels behind (unless
            # adjacent): the same move only if the rest is the same (found by
            # Spin on the export: states missing at k=2 with loss)
            if rest in seen:
                continue
            seen.add(rest)
            sid, tag = item >> TAG_BITS, item & 15
            late = 0 < tag < peer_inc  # it outlived its incarnation
            seg = self.segs[sid]
            here = cfgs[me]
            if refused(opts, here.state, seg.syn, ghost[0]):
                continue
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
                key = (m[0], ng, self._tagged(m[1], ng[0]))
                if key in done:
                    continue
                done.add(key)
                out.append((("deliver", S, code, m[2], tag, late, broke), m[0], budget, ng, key[2], rest, None))
        return out

    def faults(self, side: int, me: int, budget: tuple, ghost: tuple, inbox: tuple, n_outgoing: int) -> list:
        """The network loses or duplicates a segment of the inbox (a
        duplicate waits, like a user call, for room in both directions)."""
        opts, S = self.opts, "AB"[side]
        out = []
        if not (opts.loss or opts.duplication):
            return out
        cap = opts.capacity
        seen = set()
        for i, item in enumerate(inbox):
            rest = inbox[:i] + inbox[i + 1:]
            if rest in seen:  # (as for deliveries: the same loss iff the same rest)
                continue
            seen.add(rest)
            code = self.ev(Arrive(self.segs[item >> TAG_BITS]))
            if opts.loss:
                out.append((("lose", S, code, None, item & 15, False, ""), me, budget, ghost, (),
                            rest, None))
            if opts.duplication and len(inbox) < cap and n_outgoing <= cap:
                out.append((("dup", S, code, None, item & 15, False, ""), me, budget, ghost, (),
                            inbox + (item,), None))
        return out

    def old_syn(self, side: int, me: int, budget: tuple, ghost: tuple, peer_iss: int) -> list:
        """An old duplicate SYN from an earlier incarnation of the peer
        reaches a listener (3.5 Figures 8 and 11): what the three-way
        handshake is for. The network holds one, so it is gone after."""
        if self.cfgs[me].state is not State.LISTEN:
            return []
        opts = self.opts
        seg = Segment(seq=(peer_iss - OLD_SYN_DISTANCE) & MASK, syn=True, wnd=opts.rcv_wnd)
        out = []
        for iss in iss_choices(opts, side, self.cfgs[me], ghost[0]):
            code = self.ev(Arrive(seg, iss))
            m = self.move(me, code)
            if m is None:
                continue
            ng = self._ghost_after(me, m, ghost, OLD)
            out.append((("old-syn", "AB"[side], code, m[2], OLD, False, ""), m[0], budget, ng,
                        self._tagged(m[1], ng[0]), None, 0))
        return out
