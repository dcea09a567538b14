"""Trace checking: is a captured TCP connection a run of the table?

Read RFC 9293 3.3.2 (states), 3.4 (sequence numbers), 3.5 (opening), 3.6
(closing), 3.10 (event processing) first; the model is `model/table.py`
(through `model.machine.Model.step`) and nothing else: this module adds no
TCP rule of its own, only the abstraction of a capture described here.

What a capture shows, and what it hides
---------------------------------------
For one connection (one 4-tuple) the capture is a sequence of segments,
each sent by endpoint A (the sender of the first one) or endpoint B. It
does not show user calls (OPEN, SEND, CLOSE, ABORT; 3.10.1-3.10.5),
timeouts (3.10.8), nor when a segment reached its receiver. We assume:

1. Each endpoint's own segments appear in the order it sent them, and a
   segment reaches its receiver, if at all, after it passed the capture
   point. Segments going opposite ways may cross in flight (simultaneous
   open and close, 3.5 Figure 7, 3.6 Figure 13).
2. After the capture point a segment may be lost or delayed, never
   duplicated, and one direction is first-in first-out: when a segment
   arrives, the ones sent before it in that direction arrived before it or
   were lost. A segment that is not in the capture was never received.
   (Time is not used: a TIME-WAIT of 1 ms is not a violation, MUST-13.)
3. The capture may start in the middle of a connection: its first segments
   then fix the unknown variables (below), and may hold many connections,
   and several incarnations of one 4-tuple (after TIME-WAIT or a reset).

From 1 the two endpoints can be checked separately: A's behaviour depends
on B only through the segments B sent, which the capture shows. So for each
endpoint we keep a set of *elements* (cfg, ghosts, queued, i): a
configuration of the table (`model.config.Config`), the index i of the next
of the peer's captured segments that may still reach it (those before were
delivered or lost), and two small sets of earlier segments that may still
matter: `ghosts` and `queued` (below).

On each segment `o` sent by endpoint X:
  - close X's set under its invisible steps: user calls and timeouts that
    send nothing (OPEN passive, CLOSE in LISTEN or SYN-SENT, ABORT where it
    is quiet, the user and TIME-WAIT timeouts) and the arrival of any
    pending segment j >= i (segments i..j-1 are then lost), whatever the
    arrival makes X send: an acknowledgment need not leave at once (3.8.6.3
    delayed ACKs, MUST-58/59 aggregation; RFC 5681 4.2), which is how one
    observed ACK acknowledges several segments; an RST a closed endpoint
    owes may be dropped the same way;
  - keep the configurations reached by one step that sends `o`: a user
    call (OPEN active, SEND of `o`'s octets, CLOSE, ABORT), a
    retransmission timeout, or the arrival of a pending segment; or a
    tolerance (below);
  - append `o` to the peer's queue.
An empty set is a violation: no run of the table explains `o`. The report
names the frame, the configurations the set held just before and every
segment the table allowed X to send instead.

Abstractions (the model counts octets and has constant windows)
----------------------------------------------------------------
- A segment becomes `model.events.Segment(seq, ack, SYN, ACK, FIN, RST,
  data=octet count)`; the count comes from the IP length fields. PSH, URG,
  ECE and CWR are ignored, and so are all TCP options (MSS, window scale,
  SACK-permitted, SACK blocks, timestamps; 3.7.1, RFC 7323, RFC 2018): they
  change what a receiver accepts or a sender resends, not the connection's
  state. The urgent pointer is ignored (3.8.5).
- Windows: every endpoint's RCV.WND is one constant (`rcv_wnd`, default
  2^30, the largest window of RFC 7323 2.3), so the acceptability test of
  3.10.7.4 Table 6 never rejects what a window-scaled receiver could
  accept; advertised windows are replaced by that constant, so SND.WND
  never tells two configurations apart. A segment a real receiver dropped
  for want of window (or by PAWS) is, to the model, lost after the capture.
- ISS (3.4.1): unknown until the endpoint's first SYN shows it; entering
  CLOSED or LISTEN forgets it again, as a new incarnation picks a new one.
  Steps that would read an unknown ISS (an active OPEN, a SYN reaching
  LISTEN; found by running the step with two ISS values) are taken only
  while explaining a segment that carries SYN, which fixes it.
- Capture starting mid-connection: an endpoint whose first captured
  segment does not open a connection is placed in every state that could
  send that segment, with SND.NXT and RCV.NXT read from it and SND.UNA as
  low as it can be (2^30 below SND.NXT: anything may be unacknowledged),
  which later acknowledgments narrow.

Tolerances: RFC-conformant behaviours that the table abstracts away. All
are on by default; `--strict` (ConformOptions(tolerances=frozenset()))
turns them off, and the report counts each one a connection needed.
  rst-ack: the reset of an ABORT, <SEQ=SND.NXT><CTL=RST> (3.10.5), may
    carry the ACK bit with ACK=RCV.NXT, as Linux sends it; a receiver in a
    synchronized state checks the RST bit before the ACK field (3.10.7.4).
  partial-retransmission: a retransmission may carry any part of the
    unacknowledged octets [SND.UNA, SND.NXT) (with the FIN only at their
    end) instead of all of them in one segment: segment boundaries are the
    sender's (3.8.6.2.1), SACK recovery resends holes (RFC 6675), a tail
    loss probe resends the last segment (RFC 8985).
  data+fin: the FIN of a CLOSE may ride on the last segment of the data of
    the preceding SENDs (3.10.4: "queue this until all preceding SENDs have
    been segmentized, then form a FIN segment"): SEND then CLOSE, as one
    segment.
  keep-alive: <SEQ=SND.NXT-1><ACK=RCV.NXT> with zero or one garbage octet
    in ESTABLISHED or CLOSE-WAIT (3.8.4, MAY-5, MAY-6); the table's answer
    to it is the ACK of an unacceptable segment.
  ooo-queue: a receiver may keep segments that arrive beyond RCV.NXT and
    take them when the gap before them is filled (3.10.7.4 seventh,
    SHLD-31); the table drops them (MAY-13). With first-in first-out
    arrival this is how a segment lost after the capture point and resent
    is acknowledged together with the segments behind it (SACK recovery).
    Such segments, when skipped or when they arrive, join `queued` (always:
    keeping one allows all that losing it does, so the search never
    branches on it); a queued segment is taken as soon as taking it changes
    the configuration.
  window-update: a pure <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> that advertises
    a different window than the sender's previous segment, sent with no
    segment arriving (3.8.6.2.2 receiver's SWS avoidance, 3.8.6.1 reopening
    a zero window), while the peer may still send (ESTABLISHED, FIN-WAIT-1,
    FIN-WAIT-2). A repeated ACK with the same window is not one.

Keeping the sets small (each rule only drops an element that another
element of the set imitates step for step, or provably cannot matter):
- (c, g, q, i) is dropped when (c, g', q', j) with j =< i is present and
  every ghost or queued segment of the first is, in the second, a ghost, a
  queued or a pending segment: more pending segments allow more; so an
  arrival that changes nothing is not explored.
- In ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1, CLOSING and LAST-ACK, a
  configuration with a lower SND.UNA (all else equal, SND.UNA past ISS)
  imitates one with a higher SND.UNA: every acknowledgment takes both to
  equal or still ordered values, its timeouts are a superset, and its
  retransmissions (with partial-retransmission) include the other's.
- A pending acceptable pure acknowledgment with SEG.ACK < SND.NXT (=< where
  no FIN of ours awaits it) can only raise SND.UNA of a synchronized
  endpoint whose SYN is acknowledged (SND.UNA past ISS), now and later
  (SND.NXT and RCV.NXT only grow, and a later arrival loses it), so it
  leaves the queue; it stays among the `ghosts` (the last 16), because a
  CLOSED or LISTEN endpoint would still answer its late arrival with a
  reset (3.10.7.1, 3.10.7.2).
- A synchronized endpoint reads IRS nowhere and ISS only to ask whether
  SND.UNA = ISS (3.10.8: our SYN,ACK is unacknowledged): both are then
  rewritten relative to RCV.NXT and SND.UNA.
  These three rest on the rows of the synchronized states of the RFC 9293
  table; they are used only when the model's rows for those states are the
  standard ones and partial-retransmission is on (otherwise the search is
  exact, and slower).
- Every rule compares sequence numbers with each other, never with a fixed
  number (3.4), so a step from a configuration shifted to SND.NXT =
  RCV.NXT = 0 is the step shifted: steps are computed (and cached by the
  model) on shifted configurations, so the thousandth data segment of a
  connection meets the step of its first. `translation_invariant` checks
  this on the rows (own and peer sequence numbers, lengths) before it is
  used.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

from checker.traces.capture import ACK, FIN, RST, SYN, Capture, Packet, endpoint_text
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import Model, Outcome
from model.seq import MASK, add, le, lt, sub
from model.state import State

S = State
UNKNOWN = -1  # an ISS not yet fixed by a SYN
DEFAULT_RCV_WND = 1 << 30
SYNC = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK,
                  S.TIME_WAIT})
UNA_STATES = frozenset({S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK})
FIN_PENDING = frozenset({S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK})  # our FIN awaits its ACK
RECEIVING = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2})  # the peer may still send data

TOLERANCES = {
    "rst-ack": "3.10.5 ABORT: the reset may carry ACK=RCV.NXT (Linux sends RST,ACK)",
    "partial-retransmission": "3.10.8, 3.8.6.2.1: a retransmission may carry part of [SND.UNA, SND.NXT)",
    "data+fin": "3.10.4: the FIN may ride on the last data segment",
    "keep-alive": "3.8.4 MAY-5: <SEQ=SND.NXT-1><ACK=RCV.NXT> with 0 or 1 octet",
    "window-update": "3.8.6.2.2: a pure ACK that only advertises a new window",
    "ooo-queue": "3.10.7.4 SHLD-31: segments beyond RCV.NXT may be queued and taken when the gap fills",
}

QUIET = (Open(False), Close(), Abort(), Timeout("user"), Timeout("time-wait"))
REXMIT = Timeout("retransmission")
_K1, _K2 = 0x13579BDF, 0x8ACE0246  # two ISS values: a step that reads the ISS tells them apart


class Inconclusive(Exception):
    pass


@dataclass(frozen=True)
class ConformOptions:
    """rcv_wnd: the constant RCV.WND of both endpoints. tolerances: the names
    (of TOLERANCES) in force. max_configs: give up on a connection (verdict
    inconclusive) when one set of configurations grows beyond this.
    ghosts: how many of the pending pure acknowledgments dropped from the
    front of a synchronized endpoint's queue are remembered (a closed
    endpoint answers each late one with a reset, 3.10.7.1).
    merge_duplicates: a packet byte for byte identical to the previous one
    of the same direction (IP identification, options and all) is the same
    transmission recorded twice (a capture on 'any', or on two interfaces
    of one path), not a retransmission; off by default, since without IP
    identification or timestamps a real retransmission can look the same."""

    rcv_wnd: int = DEFAULT_RCV_WND
    tolerances: frozenset = frozenset(TOLERANCES)
    max_configs: int = 50_000
    merge_duplicates: bool = False
    ghosts: int = 16


def _sync_rows_standard(model: Model) -> bool:
    """The canonical forms above are argued for the standard rows of the
    synchronized states: use them only when those rows are unchanged."""
    from model.table import ROWS

    def rows_of(rows):
        return [r for r in rows if r.state in SYNC]

    return rows_of(model.rows) == rows_of(ROWS)


# --- translation invariance ---------------------------------------------------------
# Every rule of RFC 9293 compares sequence numbers with each other, never
# with a fixed number (3.4): shifting all of an endpoint's own sequence
# numbers (ISS, SND.UNA, SND.NXT, SEG.ACK of what it receives) by one
# constant and all of its peer's (IRS, RCV.NXT, SEG.SEQ) by another changes
# nothing but the numbers. Steps are then computed on configurations shifted
# to SND.NXT = RCV.NXT = 0, so that the connection's thousandth data segment
# meets the cached step of its first. The claim is checked on the rows (a
# small type system: own points, peer points, lengths) before it is used.
NORMALISED = frozenset(SYNC | {S.SYN_RECEIVED})
_OWN = {"ISS", "SND.UNA", "SND.NXT", "SEG.ACK"}
_PEER = {"IRS", "RCV.NXT", "SEG.SEQ"}
_LEN = {"SND.WND", "RCV.WND", "SEG.LEN", "SEG.DATA", "SEG.WND", "SEND.LEN"}


def _ty(e) -> str:
    """'own', 'peer', 'len' or 'bool'; raises ValueError if `e` is not
    invariant under the two shifts."""
    from model import expr as X

    if isinstance(e, X.V):
        if e.name in _OWN:
            return "own"
        if e.name in _PEER:
            return "peer"
        if e.name in _LEN:
            return "len"
        return "bool"
    if isinstance(e, X.C):
        return "bool" if isinstance(e.value, bool) else "len"
    if isinstance(e, X.Bin):
        a, b = (_ty(x) for x in e.args)
        if e.op == "+":
            if "bool" in (a, b) or (a != "len" and b != "len"):
                raise ValueError(f"{e}: sum of two sequence numbers")
            return b if a == "len" else a
        if e.op == "-":
            if a == b and a in ("own", "peer", "len"):
                return "len"
            if b == "len" and a in ("own", "peer"):
                return a
            raise ValueError(f"{e}: difference of unrelated values")
        if e.op == "u<" and (a, b) != ("len", "len"):
            raise ValueError(f"{e}: unsigned comparison of sequence numbers")
        if a != b:
            raise ValueError(f"{e}: compares a {a} value with a {b} value")
        return "bool"
    if isinstance(e, (X.And, X.Or)):
        for a in e.args:
            _ty(a)
        return "bool"
    if isinstance(e, X.Not):
        _ty(e.arg)
        return "bool"
    if isinstance(e, X.Ite):
        _ty(e.cond)
        a, b = _ty(e.then), _ty(e.other)
        if a != b:
            raise ValueError(f"{e}: branches of different kinds")
        return a
    raise ValueError(f"{e!r}: unknown expression")


def translation_invariant(model: Model) -> str | None:
    """None if every row of the synchronized states and SYN-RECEIVED is
    invariant under the shifts; else the first offending row and why."""
    want = {**{v: "own" for v in _OWN}, **{v: "peer" for v in _PEER}, **{v: "len" for v in _LEN}}
    for r in model.rows:
        if r.state not in NORMALISED:
            continue
        try:
            _ty(r.when)
            for k, e in r.set:
                t = _ty(e)
                if want.get(k, "bool") != t:
                    raise ValueError(f"{k} := {e} changes kind")
            for em in r.emit:
                if _ty(em.seq) != "own" or _ty(em.data) != "len" or \
                        (em.ack is not None and _ty(em.ack) != "peer"):
                    raise ValueError(f"emits {em}")
        except ValueError as err:
            return f"{r.name}: {err}"
    return None


class Engine:
    """One model and its options, shared by every connection of a capture."""

    def __init__(self, model: Model, opts: ConformOptions):
        self.model, self.opts = model, opts
        self.tol = opts.tolerances
        self.fast = "partial-retransmission" in self.tol and _sync_rows_standard(model)
        self.shift = translation_invariant(model) is None
        self._blind: dict = {}
        # Per state, the quiet user calls and timeouts worth trying: those with
        # a row that sends nothing and answers no error (read off the table).
        self.quiet = {st: tuple(ev for ev in QUIET if any(
            not c.row.emit and c.row.error is None for c in model.index.get((st, ev.kind), ())))
            for st in S}
        self.emits = {(st, kind) for (st, kind), cs in model.index.items()
                      if any(c.row.emit for c in cs)}
        # Per state: the control bits of every segment a delivery can make it
        # send, and whether a delivery can change anything (read off the rows).
        self.reply_ctl: dict = {}
        self.arrival_changes: dict = {}
        for (st, on), cs in model.index.items():
            if on.startswith("SEGMENT"):
                ctl = self.reply_ctl.setdefault(st, set())
                for c in cs:
                    ctl.update(Segment(0, syn="SYN" in em.flags, ackf="ACK" in em.flags,
                                       fin="FIN" in em.flags, rst="RST" in em.flags).flags()
                               for em in c.row.emit)
                    if c.row.ack:
                        ctl.add("ACK")
                    if c.row.set or (c.row.goto is not None and c.row.goto is not st):
                        self.arrival_changes[st] = True
        # the 3.10.7.4 pipeline goes on in the state a row moved to: pool its states
        pipe = {st for (st, on) in model.index if on.startswith("SEGMENT/")}
        pooled = set().union(*(self.reply_ctl.get(st, set()) for st in pipe)) if pipe else set()
        for st in pipe:
            self.reply_ctl[st] = pooled
            self.arrival_changes[st] = any(self.arrival_changes.get(t) for t in pipe)

    def canonical(self, c: Config) -> Config:
        """CLOSED and LISTEN forget the ISS (a new incarnation picks another).
        With the standard rows, a synchronized endpoint never reads IRS, and
        reads ISS only to ask whether SND.UNA = ISS (3.10.8, our SYN,ACK
        still unacknowledged): both are then set relative to the others."""
        st = c.state
        if st in (S.CLOSED, S.LISTEN):
            return c._replace(iss=UNKNOWN) if c.iss != UNKNOWN else c
        if self.fast and st in SYNC:
            irs = (c.rcv_nxt - 1) & MASK
            if c.snd_una != c.iss:
                iss = (c.snd_una - 1) & MASK
                if iss != c.iss or irs != c.irs:
                    return c._replace(iss=iss, irs=irs)
            elif irs != c.irs:
                return c._replace(irs=irs)
        return c

    def step(self, c: Config, ev) -> Outcome | None:
        """model.step, or None if illegal or an error response; with an
        unknown ISS, only steps that do not read the ISS."""
        if c.iss != UNKNOWN:
            if self.shift and c.state in NORMALISED:
                return self._shifted(c, ev)
            out = self.model.try_step(c, ev)
            return out if out is not None and out.error is None else None
        key = (c, ev)
        hit = self._blind.get(key, False)
        if hit is False:
            hit = None
            o1 = self.model.try_step(c._replace(iss=_K1), ev)
            o2 = self.model.try_step(c._replace(iss=_K2), ev)
            if o1 is not None and o2 is not None and o1.error is None and o2.error is None \
                    and o1.sent == o2.sent and o1.config._replace(iss=0) == o2.config._replace(iss=0):
                cfg = o1.config._replace(iss=UNKNOWN) if o1.config.iss == _K1 else o1.config
                hit = Outcome(cfg, o1.sent, None, o1.fired)
            if len(self._blind) > 1_000_000:
                self._blind.clear()
            self._blind[key] = hit
        return hit

    def _shifted(self, c: Config, ev) -> Outcome | None:
        do, dp = c.snd_nxt, c.rcv_nxt
        n = Config(c.state, c.passive, (c.iss - do) & MASK, (c.irs - dp) & MASK,
                   (c.snd_una - do) & MASK, 0, c.snd_wnd, 0, c.rcv_wnd)
        if type(ev) is Arrive:
            g = ev.segment
            ev = Arrive(g._replace(seq=(g.seq - dp) & MASK, ack=(g.ack - do) & MASK))
        out = self.model.try_step(n, ev)
        if out is None or out.error is not None:
            return None
        r = out.config
        if r.state not in (S.CLOSED, S.LISTEN):
            r = Config(r.state, r.passive, (r.iss + do) & MASK, (r.irs + dp) & MASK,
                       (r.snd_una + do) & MASK, (r.snd_nxt + do) & MASK, r.snd_wnd,
                       (r.rcv_nxt + dp) & MASK, r.rcv_wnd)
        sent = tuple(m._replace(seq=(m.seq + do) & MASK, ack=(m.ack + dp) & MASK if m.ackf else m.ack)
                     for m in out.sent)
        return Outcome(r, sent, None, out.fired)




def _dist(c: Config) -> int:
    return (c.snd_nxt - c.snd_una) & MASK


class Elements:
    """A set of elements (config, ghosts, queued, pending index), kept as an
    antichain of the 'imitates' order of the module docstring. An element
    e1 imitates e2 when their configurations are equal (or differ only in a
    lower SND.UNA for e1), e1's pending index is not later, and whatever
    e2 may still receive (ghosts, queued segments) e1 may too, as a ghost,
    a queued or a pending segment."""

    __slots__ = ("d", "groups", "fast")

    def __init__(self, fast: bool):
        self.d: dict[tuple, int] = {}  # (config, ghosts, queued) -> pending index
        self.groups: dict[Config, set] = {}  # group key -> keys of d
        self.fast = fast

    def __len__(self):
        return len(self.d)

    def items(self):
        return self.d.items()

    def configs(self):
        return [k[0] for k in self.d]

    def _group(self, c: Config) -> Config:
        if self.fast and c.state in UNA_STATES and c.snd_una != c.iss:
            return c._replace(snd_una=0, iss=0)
        return c

    @staticmethod
    def _covers(k1, i1, k2, i2) -> bool:
        """Does element k1 (with index i1) imitate k2 (index i2)? Same group."""
        if i1 > i2:
            return False
        c1, g1, q1 = k1
        c2, g2, q2 = k2
        if c1 != c2 and _dist(c1) < _dist(c2):
            return False
        for k in g2:
            if k < i1 and k not in g1:
                return False
        for k in q2:
            if k < i1 and k not in q1:
                return False
        return True

    def add(self, c: Config, g: tuple, q: tuple, i: int) -> bool:
        d = self.d
        key = (c, g, q)
        old = d.get(key)
        if old is not None and old <= i:
            return False
        grp = self.groups.get(self._group(c))
        if grp is None:
            grp = self.groups[self._group(c)] = set()
        covers = self._covers
        for k2 in grp:
            if k2 != key and covers(k2, d[k2], key, i):
                return False
        for k2 in [k2 for k2 in grp if k2 != key and covers(key, i, k2, d[k2])]:
            grp.discard(k2)
            del d[k2]
        grp.add(key)
        d[key] = i
        return True


class Side:
    """What one endpoint may be, given the segments seen so far."""

    def __init__(self, name: str, engine: Engine, inbox: list, wildcard: bool):
        self.name, self.engine, self.inbox = name, engine, inbox
        self.wildcard = wildcard
        self._moves: dict = {}
        self.elems = Elements(engine.fast)
        if not wildcard:
            w = engine.opts.rcv_wnd
            self.elems.add(Config(S.CLOSED, False, UNKNOWN, 0, 0, 0, 0, 0, w), (), (), 0)
            self.elems.add(Config(S.LISTEN, True, UNKNOWN, 0, 0, 0, 0, 0, w), (), (), 0)

    # -- the front of the queue ---------------------------------------------------
    def trim(self, c: Config, g: tuple, i: int) -> tuple[tuple, int]:
        """Move pending pure acknowledgments that can only raise SND.UNA of the
        synchronized `c` (or of any later synchronized configuration: SND.NXT
        and RCV.NXT only grow, and a later delivery loses them) from the
        queue into the ghosts, of which the last `ghosts` are kept: only a
        CLOSED or LISTEN endpoint can still answer them (with a reset)."""
        if not self.engine.fast or c.state not in SYNC or c.snd_una == c.iss:
            return g, i  # (SND.UNA = ISS: the ACK of our SYN still changes what we resend, 3.10.8)
        inbox, n = self.inbox, len(self.inbox)
        start = i
        wnd = c.rcv_wnd
        while i < n:
            s = inbox[i].segment
            if s.syn or s.rst or s.fin or s.data or not s.ackf:
                break
            # zero length: acceptable iff RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (Table 6);
            # an unacceptable one would make the endpoint send an ACK
            if not (le(c.rcv_nxt, s.seq) and lt(s.seq, add(c.rcv_nxt, wnd))):
                break
            if c.state in FIN_PENDING:
                if not lt(s.ack, c.snd_nxt):
                    break
            elif not le(s.ack, c.snd_nxt):
                break
            i += 1
        if i > start:
            keep = self.engine.opts.ghosts
            g = (g + tuple(range(start, i)))[-keep:] if keep else ()
        return g, i

    def requeue(self, c: Config, q: tuple) -> tuple:
        """The reassembly queue as `c` keeps it: only while the peer's data is
        still taken (3.10.7.4 seventh), and only segments not yet covered."""
        if not q:
            return q
        if c.state not in RECEIVING:
            return ()
        inbox = self.inbox
        return tuple(k for k in q if lt(c.rcv_nxt, add(inbox[k].segment.seq, inbox[k].segment.len)))

    def _beyond(self, c: Config, k: int) -> bool:
        """Would `c` queue the peer's segment k rather than take it (SHLD-31)?"""
        s = self.inbox[k].segment
        return (not (s.syn or s.rst) and (s.data or s.fin) and lt(c.rcv_nxt, s.seq)
                and lt(s.seq, add(c.rcv_nxt, c.rcv_wnd)))

    # -- the search ----------------------------------------------------------------
    def moves(self, c: Config, g: tuple, q: tuple, i: int):
        """Arrivals: (outcome, ghosts after, queued after, index after, label)
        for each ghost (in CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED: a
        synchronized endpoint ignores them), each queued segment that now
        changes something (the gap before it is filled), and each pending
        segment j >= i (those skipped are lost, or queued: ooo-queue)."""
        key = (c, g, q, i)
        hit = self._moves.get(key)
        if hit is None:
            hit = self._moves[key] = list(self._moves_of(c, g, q, i))
        return hit

    def _moves_of(self, c: Config, g: tuple, q: tuple, i: int):
        step = self.engine.step
        inbox = self.inbox
        if g and c.state not in SYNC:
            for k, j in enumerate(g):
                r = step(c, inbox[j])
                if r is not None:
                    yield r, g[k + 1:], q, i, ("late", j)
        for k in q:
            r = step(c, inbox[k])
            if r is not None and r.config != c:
                yield r, g, tuple(x for x in q if x != k), i, ("queued", k)
        queue = "ooo-queue" in self.engine.tol and c.state in RECEIVING
        for j in range(i, len(inbox)):
            r = step(c, inbox[j])
            if r is None:
                continue
            q2 = q
            if queue:
                kept = [k for k in range(i, j) if self._beyond(c, k)]
                if r.config.rcv_nxt == c.rcv_nxt and self._beyond(c, j):
                    kept.append(j)  # it arrived beyond RCV.NXT: into the reassembly queue
                if kept:
                    q2 = tuple(sorted(set(q) | set(kept)))
            yield r, (), q2, j + 1, j

    def closure(self, bind: int | None) -> Elements:
        e = self.engine
        out = Elements(e.fast)
        queue = []
        limit = e.opts.max_configs
        canonical = e.canonical

        def push(c, g, q, i):
            c = canonical(c)
            if bind is not None and c.iss == UNKNOWN:
                c = c._replace(iss=bind)
            g, i = self.trim(c, g, i)
            q = self.requeue(c, q)
            if out.add(c, g, q, i):
                queue.append((c, g, q, i))
                if len(out) > limit:
                    raise Inconclusive(f"more than {limit} configurations of {self.name}")

        for (c, g, q), i in list(self.elems.items()):
            push(c, g, q, i)
        step = e.step
        while queue:
            c, g, q, i = queue.pop()
            if out.d.get((c, g, q)) != i:
                continue  # since replaced by one that imitates it
            for ev in e.quiet[c.state]:
                r = step(c, ev)
                if r is not None and not r.sent and r.config != c:
                    push(r.config, g, q, i)
            if e.arrival_changes.get(c.state):
                for r, g2, q2, i2, _ in self.moves(c, g, q, i):
                    if r.config != c or q2 != q:
                        push(r.config, g2, q2, i2)
        return out

    def calls_for(self, o: Segment) -> list:
        evs = []
        if o.syn and not o.ackf and not o.rst:
            evs.append(Open(True))
        if o.data > 0 and not o.syn:
            evs.append(Send(o.data))
        if o.fin:
            evs.append(Close())
        if o.rst:
            evs.append(Abort())
        if o.syn or o.fin or o.data > 0:
            evs.append(REXMIT)
        return evs

    def explain(self, o: Segment, clo: Elements, collect: list | None = None,
                wupdate: bool = False) -> tuple[Elements, dict]:
        """The elements after X sends `o`, from the closure `clo`; and the
        tolerances used. With `collect`, every segment X could have sent is
        appended as (segment, how, config) instead (for the report)."""
        e = self.engine
        step = e.step
        tol = e.tol
        posts = Elements(e.fast)
        used: dict[str, int] = {}
        canonical = e.canonical

        def found(cfg, g, q, i, how):
            cfg = canonical(cfg)
            g, i = self.trim(cfg, g, i)
            posts.add(cfg, g, self.requeue(cfg, q), i)
            used[how] = 1

        calls = self.calls_for(o) if collect is None else \
            [Open(True), Send(max(o.data, 1)), Close(), Abort(), REXMIT]
        emits = e.emits
        for (c, g, q), i in clo.items():
            for ev in calls:
                if collect is None and (c.state, ev.kind) not in emits:
                    continue
                r = step(c, ev)
                if r is None:
                    continue
                for m in r.sent:
                    if collect is not None:
                        collect.append((m, ev, c))
                        continue
                    how = self.relate(o, m, c, ev)
                    if how is not None:
                        found(r.config, g, q, i, how)
            if collect is None:
                # data+fin: SEND then CLOSE, sent as one segment (3.10.4)
                if o.fin and o.data > 0 and "data+fin" in tol:
                    r1 = step(c, Send(o.data))
                    if r1 is not None and len(r1.sent) == 1:
                        r2 = step(r1.config, Close())
                        if r2 is not None and len(r2.sent) == 1:
                            m1, m2 = r1.sent[0], r2.sent[0]
                            if m2.fin and m1.ackf and m2.ackf and m2.seq == add(m1.seq, m1.data) \
                                    and m2.ack == m1.ack \
                                    and self.relate(o, m1._replace(fin=True), c, None) == "exact":
                                found(r2.config, g, q, i, "data+fin")
                # window update (3.8.6.2.2): <SEQ=SND.NXT><ACK=RCV.NXT> advertising a new window
                if wupdate and "window-update" in tol and c.state in RECEIVING and o.ackf \
                        and not (o.syn or o.fin or o.rst or o.data) \
                        and o.seq == c.snd_nxt and o.ack == c.rcv_nxt:
                    found(c, g, q, i, "window-update")
                # keep-alive (3.8.4): <SEQ=SND.NXT-1><ACK=RCV.NXT>, 0 or 1 octet; no change
                if "keep-alive" in tol and c.state in (S.ESTABLISHED, S.CLOSE_WAIT) and o.ackf \
                        and not (o.syn or o.fin or o.rst) and o.data <= 1 \
                        and o.seq == sub(c.snd_nxt, 1) and o.ack == c.rcv_nxt:
                    found(c, g, q, i, "keep-alive")
            if collect is None and o.flags() not in e.reply_ctl.get(c.state, ()):
                continue
            for r, g2, q2, i2, label in self.moves(c, g, q, i):
                for m in r.sent:
                    if collect is not None:
                        collect.append((m, label, c))
                        continue
                    if self.relate(o, m, c, None) == "exact":
                        found(r.config, g2, q2, i2, "ooo-queue" if type(label) is tuple
                              and label[0] == "queued" else "exact")
        # a tolerance counts only where the table alone could not explain `o`
        return posts, {} if "exact" in used else used

    def relate(self, o: Segment, m: Segment, c: Config, ev) -> str | None:
        """How the observed `o` is the model's `m` sent from `c` by `ev`:
        "exact", a tolerance name, or None."""
        if o.syn == m.syn and o.rst == m.rst and o.fin == m.fin and o.ackf == m.ackf \
                and o.seq == m.seq and o.data == m.data and (not o.ackf or o.ack == m.ack):
            return "exact"
        tol = self.engine.tol
        if m.rst and o.rst and not m.ackf and o.ackf and "rst-ack" in tol and not (o.syn or m.syn) \
                and o.fin == m.fin and o.seq == m.seq and o.data == m.data \
                and ev == Abort() and o.ack == c.rcv_nxt:
            return "rst-ack"
        if ev == REXMIT and "partial-retransmission" in tol and m.ackf and o.ackf \
                and not (m.syn or m.rst or o.syn or o.rst) and o.ack == m.ack and (o.data or o.fin):
            end_m = add(m.seq, m.data)
            end_o = add(o.seq, o.data)
            if le(m.seq, o.seq) and le(end_o, end_m) and (not o.fin or (m.fin and end_o == end_m)):
                return "partial-retransmission"
        return None

    # -- one observed segment --------------------------------------------------------
    def sends(self, o: Segment, wupdate: bool = False) -> tuple[bool, dict, Elements]:
        """X sent `o` (`wupdate`: advertising another window than X's
        previous segment): (explained?, tolerances used, the closure searched)."""
        if self.wildcard:
            self.wildcard = False
            first = mid_connection(o, self.engine.opts.rcv_wnd)
            for c in first:
                self.elems.add(c, (), (), 0)
            return bool(first), {"mid-connection": 1} if first else {}, Elements(self.engine.fast)
        self._moves = {}
        clo = self.closure(o.seq if o.syn else None)
        posts, used = self.explain(o, clo, wupdate=wupdate)
        self._moves = {}
        if not len(posts):
            return False, used, clo
        self.elems = posts
        if len(posts) > self.engine.opts.max_configs:
            raise Inconclusive(f"more than {self.engine.opts.max_configs} configurations of {self.name}")
        return True, used, clo


def mid_connection(o: Segment, wnd: int) -> list[Config]:
    """The configurations an endpoint may be in just after sending `o`, its
    first segment in a capture that began after the connection did (3.3.2
    states that can send such a segment; SND.UNA unknown, so as low as
    the comparison of 3.4 allows)."""
    far = 1 << 30
    out = []
    if o.rst:
        return [Config(S.CLOSED, False, UNKNOWN, 0, 0, 0, 0, 0, wnd),
                Config(S.LISTEN, True, UNKNOWN, 0, 0, 0, 0, 0, wnd)]
    if o.syn and not o.ackf:
        return [Config(S.SYN_SENT, False, o.seq, 0, o.seq, add(o.seq, 1), 0, 0, wnd)]
    if not o.ackf:
        return []
    rn = o.ack
    if o.syn:
        return [Config(S.SYN_RECEIVED, p, o.seq, sub(rn, 1), o.seq, add(o.seq, 1), wnd, rn, wnd)
                for p in (False, True)]
    nxt = add(o.seq, o.len)
    if o.fin:
        states = [S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK]
    elif o.data:
        states = [S.ESTABLISHED, S.CLOSE_WAIT]
    else:
        states = [S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK,
                  S.TIME_WAIT]
        out.append(Config(S.SYN_RECEIVED, False, sub(o.seq, 1), sub(rn, 1), sub(o.seq, 1), o.seq,
                          wnd, rn, wnd))
    for st in states:
        una = nxt if st in (S.FIN_WAIT_2, S.TIME_WAIT) else sub(nxt, far)
        out.append(Config(st, False, sub(una, 1), sub(rn, 1), una, nxt, wnd, rn, wnd))
    return out


# --- connections ---------------------------------------------------------------------

def to_segment(p: Packet, wnd: int) -> Segment:
    f = p.flags
    ackf = bool(f & ACK)
    return Segment(seq=p.seq, ack=p.ack if ackf else 0, syn=bool(f & SYN), ackf=ackf,
                   fin=bool(f & FIN), rst=bool(f & RST), data=p.data, wnd=0 if f & RST else wnd)


@dataclass
class Violation:
    index: int  # 1-based position in the connection
    packet: Packet
    sender: str  # "A" or "B"
    segment: Segment
    allowed: list  # configurations of the sender just before
    pending: list  # (frame, segment) the sender might still receive
    expected: list  # (segment, how) it could have sent
    note: str = ""

    def as_json(self) -> dict:
        p = self.packet
        return {"frame": p.frame, "index": self.index, "time": p.time, "sender": self.sender,
                "from": endpoint_text(p.src, p.sport), "to": endpoint_text(p.dst, p.dport),
                "flags": p.flag_names(), "segment": self.segment.brief(),
                "allowed": [_cfg_text(c) for c in self.allowed],
                "pending": [{"frame": f, "segment": s.brief()} for f, s in self.pending],
                "expected": [{"segment": s.brief(), "by": how} for s, how in self.expected],
                "note": self.note}


def _cfg_text(c: Config) -> str:
    """A configuration as the report prints it (ISS and IRS only where a
    rule still reads them: SYN-SENT, SYN-RECEIVED)."""
    if c.state in (S.CLOSED, S.LISTEN):
        return str(c.state)
    head = f"{c.state} "
    if c.state in (S.SYN_SENT, S.SYN_RECEIVED):
        head += f"ISS={c.iss} IRS={c.irs} "
    return head + f"SND.UNA={c.snd_una} SND.NXT={c.snd_nxt} RCV.NXT={c.rcv_nxt}"


@dataclass
class ConnectionResult:
    a: tuple  # (address, port) of the endpoint that sent the first segment
    b: tuple
    segments: int = 0
    frames: tuple = (0, 0)  # first and last frame
    status: str = "conformant"  # conformant | violation | inconclusive
    violation: Violation | None = None
    reason: str = ""
    tolerances: dict = field(default_factory=dict)
    incarnations: int = 0
    mid_connection: bool = False
    duplicates: int = 0
    configs: dict = field(default_factory=dict)  # side -> size of its final set

    @property
    def name(self) -> str:
        return f"{endpoint_text(*self.a)} -> {endpoint_text(*self.b)}"

    def as_json(self) -> dict:
        return {"a": endpoint_text(*self.a), "b": endpoint_text(*self.b), "segments": self.segments,
                "frames": list(self.frames), "status": self.status, "reason": self.reason,
                "incarnations": self.incarnations, "mid_connection": self.mid_connection,
                "duplicates_ignored": self.duplicates, "tolerances": self.tolerances,
                "final_configurations": self.configs,
                "violation": self.violation.as_json() if self.violation else None}


class Connection:
    """One 4-tuple: endpoint A (first sender) and B, checked segment by segment."""

    def __init__(self, engine: Engine, first: Packet):
        self.engine = engine
        self.result = ConnectionResult(first.source, first.destination, frames=(first.frame, first.frame))
        fresh = bool(first.flags & SYN) and not first.flags & (ACK | RST)
        self.result.mid_connection = not fresh
        self.to_a: list[Arrive] = []  # B's segments, in order
        self.to_b: list[Arrive] = []
        self.frames = {"A": [], "B": []}
        self.sides = {"A": Side("A", engine, self.to_a, not fresh),
                      "B": Side("B", engine, self.to_b, not fresh)}
        self.last = {"A": None, "B": None}
        self.done = False
        self._syns: set = set()

    def feed(self, p: Packet) -> None:
        r = self.result
        r.frames = (r.frames[0], p.frame)
        if self.done:
            r.segments += 1
            return
        x = "A" if p.source == r.a else "B"
        prev = self.last[x]
        twin = prev is not None and prev.ident == p.ident
        if twin and self.engine.opts.merge_duplicates:
            r.duplicates += 1  # the same transmission recorded twice
            return
        self.last[x] = p
        r.segments += 1
        o = to_segment(p, self.engine.opts.rcv_wnd)
        if o.syn and not o.ackf:
            self._syns.add((x, o.seq))
        side = self.sides[x]
        try:
            ok, used, clo = side.sends(o, prev is not None and prev.window != p.window)
        except Inconclusive as err:
            r.status, r.reason, self.done = "inconclusive", f"at frame {p.frame}: {err}", True
            return
        for k, v in used.items():
            r.tolerances[k] = r.tolerances.get(k, 0) + v
        if not ok:
            r.status, self.done = "violation", True
            r.violation = self._violation(p, x, o, side, clo)
            if twin:
                r.violation.note = (f"byte for byte identical to frame {prev.frame}: if the capture "
                                    f"recorded packets twice, try --merge-duplicates")
            return
        (self.to_b if x == "A" else self.to_a).append(Arrive(o))
        self.frames[x].append(p.frame)

    def finish(self) -> ConnectionResult:
        r = self.result
        r.incarnations = len(self._syns)
        r.configs = {k: len(s.elems) for k, s in self.sides.items()}
        return r

    def _violation(self, p: Packet, x: str, o: Segment, side: Side, clo: Elements) -> Violation:
        y = "B" if x == "A" else "A"
        peer_frames = self.frames[y]
        collect: list = []
        side.explain(o, clo, collect)
        expected, seen = [], set()
        for m, label, c in collect:
            if isinstance(label, int):
                how = f"on receiving frame {peer_frames[label]}"
            elif isinstance(label, tuple) and label[0] == "late":
                how = f"on receiving frame {peer_frames[label[1]]} late"
            elif isinstance(label, tuple):
                how = f"on taking frame {peer_frames[label[1]]} from the reassembly queue"
            elif isinstance(label, Send):
                how = "SEND (n octets)"
                m = m._replace(data="n")
            else:
                how = str(label)
            how += f" in {c.state}"
            key = (m, how)
            if key not in seen:
                seen.add(key)
                expected.append((m, how))
        lo = min((i for _, i in clo.items()), default=len(side.inbox))
        pending = [(peer_frames[j], side.inbox[j].segment) for j in range(lo, len(side.inbox))]
        allowed = sorted(set(clo.configs()), key=lambda c: (list(S).index(c.state), c))
        return Violation(self.result.segments, p, x, o, allowed, pending, expected)


@dataclass
class Report:
    path: str
    model: str
    packets: int
    segments: int
    connections: list[ConnectionResult]
    skipped: dict
    seconds: float

    @property
    def ok(self) -> bool:
        return not any(c.status == "violation" for c in self.connections)

    def as_json(self) -> dict:
        return {"file": self.path, "model": self.model, "packets": self.packets,
                "tcp_segments": self.segments, "skipped": self.skipped, "seconds": round(self.seconds, 4),
                "segments_per_second": round(self.segments / self.seconds) if self.seconds else None,
                "ok": self.ok,
                "conformant": sum(c.status == "conformant" for c in self.connections),
                "violations": sum(c.status == "violation" for c in self.connections),
                "inconclusive": sum(c.status == "inconclusive" for c in self.connections),
                "connections": [c.as_json() for c in self.connections]}


def conform_packets(packets: list[Packet], model: Model, opts: ConformOptions | None = None,
                    engine: Engine | None = None) -> list[ConnectionResult]:
    """Split the segments into connections by 4-tuple and check each."""
    opts = opts or ConformOptions()
    engine = engine or Engine(model, opts)
    conns: dict = {}
    order = []
    # The search makes many small acyclic objects that live on in caches: the
    # cyclic garbage collector would scan them again and again for nothing.
    was = gc.isenabled()
    gc.disable()
    try:
        for p in packets:
            key = (p.source, p.destination) if p.source <= p.destination else (p.destination, p.source)
            c = conns.get(key)
            if c is None:
                c = conns[key] = Connection(engine, p)
                order.append(c)
            c.feed(p)
    finally:
        if was:
            gc.enable()
    return [c.finish() for c in order]


def conform_capture(cap: Capture, model: Model, opts: ConformOptions | None = None) -> Report:
    t0 = time.perf_counter()
    results = conform_packets(cap.packets, model, opts)
    return Report(cap.path, model.name, cap.frames, len(cap.packets), results, dict(cap.skipped),
                  time.perf_counter() - t0)


def conform_file(path: str, model: Model, opts: ConformOptions | None = None) -> Report:
    """Read a pcap/pcapng file (`checker.traces.capture.read`, which raises
    CaptureError on unreadable input) and check every connection in it."""
    from checker.traces.capture import read

    return conform_capture(read(path), model, opts)
