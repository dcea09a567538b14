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
from collections.abc import Iterable

from checker.traces.capture import ACK, FIN, RST, SYN, BadFrame, Capture, CaptureError, Packet, stream
from checker.traces.endpoints import Elements, Side
from checker.traces.engine import Engine
from checker.traces.options import ConformOptions, Inconclusive, S
from checker.traces.results import CONFORMS, NOT_CHECKED, VIOLATION, ConnectionResult, Report, Violation
from model.events import Arrive, Segment, Send
from model.machine import Model

__all__ = ["Connection", "conform_packets", "conform_capture", "conform_file", "to_segment",
           "CONFORMS", "VIOLATION", "NOT_CHECKED", "Report", "ConnectionResult", "Violation"]


def to_segment(p: Packet, wnd: int) -> Segment:
    f = p.flags
    ackf = bool(f & ACK)
    return Segment(seq=p.seq, ack=p.ack if ackf else 0, syn=bool(f & SYN), ackf=ackf,
                   fin=bool(f & FIN), rst=bool(f & RST), data=p.data, wnd=0 if f & RST else wnd)


def _key(p) -> tuple:
    a, b = (p.source, p.destination) if isinstance(p, Packet) else p.endpoints
    return (a, b) if a <= b else (b, a)


class Connection:
    """One 4-tuple: endpoint A (first sender) and B, checked segment by segment.

    Each segment is tried against the sender's set (`_attempt`). On a
    failure, with capture-reorder on, the connection tries whether the
    segment was recorded out of the order it was sent: earlier than the last
    few segments (replayed from a saved state before them), or later (held
    back, and tried again after each of the next few). Only when neither
    explains it is it a violation: reported, and the sender placed anew."""

    def __init__(self, engine: Engine, first: Packet):
        self.engine = engine
        opts = engine.opts
        self.result = ConnectionResult(first.source, first.destination, frames=(first.frame, first.frame))
        fresh = bool(first.flags & SYN) and not first.flags & (ACK | RST)
        self.result.mid_connection = not fresh
        self.to_a: list[Arrive] = []  # B's segments, in order
        self.to_b: list[Arrive] = []
        self.frames = {"A": [], "B": []}  # frame of each segment of A (in to_b) and of B (in to_a)
        self.sides = {"A": Side("A", engine, self.to_a, not fresh),
                      "B": Side("B", engine, self.to_b, not fresh)}
        self.last = {"A": None, "B": None}
        self.mss = {"A": None, "B": None}  # the MSS each endpoint announced in its SYN (3.7.1)
        self.done = {"A": False, "B": False}
        self.syns: set = set()
        self.judged = self._roles(first, opts.judge)
        self.history: list = []  # (packet, state before it) of the last segments judged
        self.deferred = None  # [packet, state before it, packets judged since]
        self.reorder = "capture-reorder" in engine.tol
        self.since_compact = 0

    def _roles(self, first: Packet, specs) -> dict:
        r = self.result
        if not specs:
            return {"A": True, "B": True}
        if first.flags & SYN and not first.flags & ACK:
            client, r.roles = "A", "client: sent the first SYN"
        elif first.flags & SYN:
            client, r.roles = "B", "client: the peer of the first SYN,ACK"
        else:
            client = "A" if first.sport > first.dport else "B"
            r.roles = "capture starts mid-connection: the endpoint with the higher port taken as the client"
        out = {}
        for side, (addr, port) in (("A", r.a), ("B", r.b)):
            role = "client" if side == client else "server"
            out[side] = any(sp.role == role if sp.role else
                            (sp.addr == addr and (sp.port is None or sp.port == port)) for sp in specs)
        return out

    @property
    def selected(self) -> bool:
        return any(self.judged.values())

    # -- saving and restoring (for capture-reorder) ---------------------------------------
    def _save(self) -> tuple:
        r = self.result
        return (self.sides["A"].state(), self.sides["B"].state(), len(self.to_a), len(self.to_b),
                dict(self.last), dict(self.mss), set(self.syns), r.bad_checksums, dict(r.judged),
                dict(r.tolerances), {k: dict(v) for k, v in r.side_tolerances.items()})

    def _restore(self, st: tuple) -> None:
        a, b, na, nb, last, mss, syns, bad, judged, tol, by_side = st
        self.sides["A"].restore(a)
        self.sides["B"].restore(b)
        del self.to_a[na:], self.frames["B"][na:], self.to_b[nb:], self.frames["A"][nb:]
        self.last, self.mss, self.syns = dict(last), dict(mss), set(syns)
        r = self.result
        r.bad_checksums, r.judged, r.tolerances = bad, dict(judged), dict(tol)
        r.side_tolerances = {k: dict(v) for k, v in by_side.items()}

    # -- one segment -------------------------------------------------------------------
    def feed(self, p: Packet) -> None:
        r = self.result
        r.frames = (r.frames[0], p.frame)
        x = "A" if p.source == r.a else "B"
        prev = self.last[x]
        if prev is not None and prev.ident == p.ident and self.engine.opts.merge_duplicates:
            r.duplicates += 1  # the same transmission recorded twice
            return
        r.segments += 1
        self._take(p)
        self.since_compact += 1
        if self.since_compact >= 512 and self.deferred is None:
            self._compact()

    def _take(self, p: Packet) -> None:
        before = self._save()
        fail = self._attempt(p)
        if fail is None:
            self._keep(p, before)
            if self.deferred is not None:
                self._retry(p)
            return
        self._restore(before)
        if self.reorder and self._earlier(p, before):
            return
        if self.reorder and self.deferred is None and fail[0] != "capped":
            self.deferred = [p, before, []]
            return
        if self.deferred is not None:
            self._expire()
            self._take(p)
            return
        self._fail(p, before)

    def _keep(self, p: Packet, before: tuple) -> None:
        self.history.append((p, before))
        if len(self.history) > self.engine.opts.reorder_segments:
            del self.history[0]

    def _attempt(self, p: Packet):
        """Apply `p`; None if explained, else (why, side name, segment, closure)."""
        r = self.result
        x = "A" if p.source == r.a else "B"
        y = "B" if x == "A" else "A"
        prev = self.last[x]
        self.last[x] = p
        o = to_segment(p, self.engine.opts.rcv_wnd)
        if o.syn:
            if not o.ackf:
                self.syns.add((x, o.seq))
            self.mss[x] = p.mss()
        pieces = [o]
        peer_mss = self.mss[y]
        if peer_mss and o.data > peer_mss and "super-segment" in self.engine.tol and not (o.syn or o.rst):
            pieces = _split(o, peer_mss)
            r.count(x, "super-segment")
        inbox = self.to_b if x == "A" else self.to_a
        if not self.judged[x] or self.done[x]:
            for piece in pieces:
                if not p.bad_checksum:
                    inbox.append(Arrive(piece))
                    self.frames[x].append(p.frame)
            return None
        side = self.sides[x]
        r.judged[x] = r.judged.get(x, 0) + 1
        wupdate = prev is not None and prev.window != p.window
        for piece in pieces:
            try:
                ok, used, clo = side.sends(piece, wupdate)
            except Inconclusive as err:
                return ("capped", x, piece, str(err))
            if not ok:
                return ("unexplained", x, piece, clo)
            for k, v in used.items():
                r.count(x, k, v)
            if not p.bad_checksum:
                inbox.append(Arrive(piece))
                self.frames[x].append(p.frame)
            wupdate = False
        if p.bad_checksum:
            r.bad_checksums += 1  # sent, as judged; never received (RFC 9293 3.1: the receiver drops it)
        return None

    # -- capture-reorder -----------------------------------------------------------------
    def _earlier(self, p: Packet, now: tuple) -> bool:
        """Was `p` sent before some of the last segments (recorded after them)?
        Replay from the state before them, with `p` first."""
        bound = self.engine.opts.reorder_seconds
        if not self.history:
            return False
        na, nb = self.history[0][1][2], self.history[0][1][3]
        tails = (self.to_a[na:], self.frames["B"][na:], self.to_b[nb:], self.frames["A"][nb:])

        def back_to_now():
            self._restore(now)
            for lst, tail, n in ((self.to_a, tails[0], na), (self.frames["B"], tails[1], na),
                                 (self.to_b, tails[2], nb), (self.frames["A"], tails[3], nb)):
                lst[n:] = tail

        for k in range(len(self.history) - 1, -1, -1):
            q, before = self.history[k]
            if p.time - q.time > bound:
                break
            self._restore(before)
            if self._attempt(p) is None and all(self._attempt(q2) is None for q2, _ in self.history[k:]):
                self.result.count("A" if p.source == self.result.a else "B", "capture-reorder")
                self.history.clear()
                return True
            back_to_now()
        return False

    def _retry(self, q: Packet) -> None:
        """After `q`, try the segment held back: was it sent after `q`?"""
        d = self.deferred
        d[2].append(q)
        p = d[0]
        if q.time - p.time > self.engine.opts.reorder_seconds:
            self._expire()
            return
        before = self._save()
        if self._attempt(p) is None:
            self.result.count("A" if p.source == self.result.a else "B", "capture-reorder")
            self.deferred = None
            self.history.clear()
            return
        self._restore(before)
        if len(d[2]) >= self.engine.opts.reorder_segments:
            self._expire()

    def _expire(self) -> None:
        """The held segment is explained by no order within the window: it is
        a violation where it was recorded; what followed is judged again."""
        p, before, after = self.deferred
        self.deferred = None
        self._restore(before)
        self.history.clear()
        self._fail(p, before)
        for q in after:
            self._take(q)

    # -- violations --------------------------------------------------------------------
    def _fail(self, p: Packet, before: tuple) -> None:
        """`p` is unexplained in the state `before`: report it, place its sender anew."""
        self._restore(before)
        fail = self._attempt(p)
        if fail is None:  # (explained after all: judged in another order before)
            self._keep(p, before)
            return
        why, x, o, info = fail
        r = self.result
        side = self.sides[x]
        lo = side.oldest()
        if why == "capped":
            r.reason = r.reason or f"at frame {p.frame}: {info} (--max-configs)"
        else:
            prev = before[4][x]
            v = self._violation(p, x, o, side, info)
            if prev is not None and prev.ident == p.ident:
                v.note = (f"byte for byte identical to frame {prev.frame}: if the capture "
                          f"recorded packets twice, try --merge-duplicates")
            if side.cut:
                v.uncertain = (f"the search had dropped {side.cut} configurations assuming more "
                               f"losses (--keep {self.engine.opts.keep})")
            if o.ackf and self._beyond_capture(x, o.ack):
                v.note = (v.note + "; " if v.note else "") + (
                    "it acknowledges data the capture never showed: if the capture dropped packets "
                    "(see the capturing tool's drop count), this is no TCP error")
            if "tfo" not in self.engine.tol and self._syn_data(x):
                v.note = (v.note + "; " if v.note else "") + (
                    "data on a SYN was acknowledged: TCP Fast Open (RFC 7413); --profile tfo judges it")
            r.violations.append(v)
        if len([v for v in r.violations if v.sender == x]) >= self.engine.opts.max_violations:
            self.done[x] = True
        else:
            r.resynchronised += 1
        side.resync(lo)
        inbox = self.to_b if x == "A" else self.to_a
        if not p.bad_checksum:  # it was sent: the peer may receive it
            inbox.append(Arrive(o))
            self.frames[x].append(p.frame)
        self.history.clear()

    def _beyond_capture(self, x: str, ack: int) -> bool:
        """Does `ack` (sent by x) lie beyond everything the peer was seen to send?"""
        inbox = self.to_a if x == "A" else self.to_b
        if not inbox:
            return False
        s = inbox[-1].segment
        end = (s.seq + s.len) & 0xFFFFFFFF
        return 0 < ((ack - end) & 0xFFFFFFFF) < (1 << 31)

    def _syn_data(self, x: str) -> bool:
        """Did the segments `x` received (of those still kept) include a SYN with data?"""
        return any(a.segment.syn and a.segment.data for a in (self.to_a if x == "A" else self.to_b)[:8])

    def unreadable(self, b: BadFrame) -> None:
        self.result.unreadable.append(b)
        self.result.frames = (self.result.frames[0], b.frame)

    def _compact(self) -> None:
        """Drop the peer's segments no configuration refers to any more (memory
        stays with the segments in flight, not with the connection's length)."""
        self.since_compact = 0
        self.history.clear()
        for x, inbox in (("A", self.to_a), ("B", self.to_b)):
            y = "B" if x == "A" else "A"
            side = self.sides[x]
            drop = side.oldest() if self.judged[x] and not self.done[x] else len(inbox)
            if drop > 0:
                del inbox[:drop], self.frames[y][:drop]
                side.rebase(drop)

    def finish(self) -> ConnectionResult:
        if self.deferred is not None:
            self._expire()
        r = self.result
        r.incarnations = len(self.syns)
        r.configs = {k: len(s.elems) for k, s in self.sides.items() if self.judged[k]}
        r.settle()
        return r

    def _violation(self, p: Packet, x: str, o: Segment, side: Side, clo: Elements) -> Violation:
        y = "B" if x == "A" else "A"
        peer_frames = self.frames[y]
        collect: list = []
        side.explain(o, clo, collect)
        expected, seen = [], set()
        for m, label, c, fired in collect:
            if isinstance(label, int):
                how = f"on receiving frame {peer_frames[label]}"
            elif isinstance(label, tuple) and label[0] == "late":
                how = f"on receiving frame {peer_frames[label[1]]} late"
            elif isinstance(label, tuple) and label[0] in ("syn-data", "tfo"):
                how = f"on receiving frame {peer_frames[label[1]]}, taking its SYN's data ({label[0]})"
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
                expected.append((m, how, tuple(dict.fromkeys(row.name for row in fired))))
        lo = min((i for _, i in clo.items()), default=len(side.inbox))
        pending = [(peer_frames[j], side.inbox[j].segment) for j in range(lo, len(side.inbox))]
        allowed = sorted(set(clo.configs()), key=lambda c: (list(S).index(c.state), c))
        return Violation(self.result.segments, p, x, o, allowed, pending, expected,
                         endpoint=self.result.endpoint(x))


def _split(o: Segment, mss: int) -> list[Segment]:
    """An offloaded super-segment as the MSS-sized segments it stands for
    (the FIN, if any, on the last)."""
    out, at, left = [], o.seq, o.data
    while left > 0:
        n = min(mss, left)
        left -= n
        out.append(o._replace(seq=at, data=n, fin=o.fin and left == 0))
        at = (at + n) & 0xFFFFFFFF
    return out


def conform_packets(items: Iterable, model: Model, opts: ConformOptions | None = None,
                    engine: Engine | None = None, unattributed: list | None = None) -> list[ConnectionResult]:
    """Split the segments into connections by 4-tuple and check each. `items`
    may hold BadFrames too: each goes to its connection (or, when its ports
    are unknown, to `unattributed`)."""
    opts = opts or ConformOptions()
    engine = engine or Engine(model, opts)
    conns: dict = {}
    order = []
    # The search makes many small acyclic objects that live on in caches: the
    # cyclic garbage collector would scan them again and again for nothing.
    was = gc.isenabled()
    gc.disable()
    try:
        for p in items:
            if type(p) is BadFrame:
                c = conns.get(_key(p)) if p.endpoints else None
                if c is not None:
                    c.unreadable(p)
                elif unattributed is not None:
                    unattributed.append(p)
                continue
            key = _key(p)
            c = conns.get(key)
            if c is None:
                c = conns[key] = Connection(engine, p)
                order.append(c)
            c.feed(p)
    finally:
        if was:
            gc.enable()
    return [c.finish() for c in order if c.selected]


def conform_capture(cap: Capture, model: Model, opts: ConformOptions | None = None) -> Report:
    """Check a capture already read into memory (`capture.read`)."""
    t0 = time.perf_counter()
    unattributed: list = []
    items = sorted(cap.packets + cap.problems, key=lambda p: p.frame) if cap.problems else cap.packets
    results = conform_packets(items, model, opts, unattributed=unattributed)
    return _report(cap, model, results, unattributed, time.perf_counter() - t0)


def _report(cap: Capture, model: Model, results, unattributed, seconds) -> Report:
    return Report(cap.path, model.name, cap.frames, cap.segments, results, dict(cap.skipped), seconds,
                  checksums=dict(cap.checksums), problems=list(cap.problems), bad_frames=cap.bad_frames,
                  unattributed=unattributed, reassembled=cap.reassembled, error=cap.error)


def conform_file(path: str, model: Model, opts: ConformOptions | None = None) -> Report:
    """Read a capture file (or "-") as a stream and check every connection in
    it. A file that holds no frame at all raises CaptureError; one that
    breaks part way is judged up to the break (Report.error says where)."""
    cap = Capture(path if path != "-" else "standard input")
    unattributed: list = []
    t0 = time.perf_counter()

    def items():
        try:
            yield from stream(path, cap)
        except CaptureError as err:
            if not cap.frames:
                raise
            cap.error = str(err)

    results = conform_packets(items(), model, opts, unattributed=unattributed)
    if cap.error:
        for r in results:
            if r.status == CONFORMS:
                r.status = NOT_CHECKED
                r.reason = f"the file breaks after frame {cap.frames}: the rest was not read"
    return _report(cap, model, results, unattributed, time.perf_counter() - t0)
