"""One connection of a capture (one 4-tuple, endpoints A and B), judged segment
by segment against the table (RFC 9293 3.10) through `Side`: the judged
endpoints, resynchronisation after a violation, the capture artefacts
(offloaded super-segments split by the MSS of 3.7.1, capture-point
reordering replayed within the reorder window) and the report of each
violation. The abstraction itself is described in checker/traces/conform.py.
"""

from __future__ import annotations

from checker.traces.capture import ACK, FIN, RST, SYN, BadFrame, Packet
from checker.traces.endpoints import Elements, Side
from checker.traces.engine import Engine
from checker.traces.options import Inconclusive, S
from checker.traces.results import ConnectionResult, Violation
from model.events import Arrive, Segment, Send


def to_segment(p: Packet, wnd: int) -> Segment:
    f = p.flags
    ackf = bool(f & ACK)
    return Segment(seq=p.seq, ack=p.ack if ackf else 0, syn=bool(f & SYN), ackf=ackf,
                   fin=bool(f & FIN), rst=bool(f & RST), data=p.data, wnd=0 if f & RST else wnd)


def connection_key(p) -> tuple:
    """The 4-tuple of a Packet or BadFrame, the same for both directions."""
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
        self.counts = {"A": 0, "B": 0}  # segments judged
        self.stopped = {"A": False, "B": False}  # no longer judged (--max-violations reached)
        self.syns: frozenset = frozenset()  # (replaced, never changed: saved states share it)
        self.judged = self._roles(first, opts.judge)
        self.history: list = []  # (packet, state before it) of the last segments judged
        self.deferred = None  # [packet, state before it, packets judged since]
        self.reorder = "capture-reorder" in engine.tol
        self.since_compact = 0
        self.last_time = first.time

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
    def done(self) -> bool:
        """Neither endpoint is judged any more."""
        return all(self.stopped[k] or not self.judged[k] for k in ("A", "B"))

    def inject(self, p: Packet) -> None:
        """`p` reaches its receiver as network input, never judged as sent (a
        segment a test harness wrote itself: an attacker's RST)."""
        r = self.result
        r.frames = (r.frames[0], p.frame)
        r.segments += 1
        self.last_time = p.time
        x = "A" if p.source == r.a else "B"
        self.last[x] = p
        (self.to_b if x == "A" else self.to_a).append(Arrive(to_segment(p, self.engine.opts.rcv_wnd)))
        self.frames[x].append(p.frame)
        self.history.clear()

    @property
    def selected(self) -> bool:
        return any(self.judged.values())

    # -- saving and restoring (for capture-reorder) ---------------------------------------
    def _save(self) -> tuple:
        r = self.result
        last, mss, n = self.last, self.mss, self.counts
        return (self.sides["A"].state(), self.sides["B"].state(), len(self.to_a), len(self.to_b),
                last["A"], last["B"], mss["A"], mss["B"], self.syns, r.bad_checksums, n["A"], n["B"],
                r.tolerances, r.side_tolerances)

    def _restore(self, st: tuple) -> None:
        a, b, na, nb, last_a, last_b, mss_a, mss_b, syns, bad, n_a, n_b, tol, by_side = st
        self.sides["A"].restore(a)
        self.sides["B"].restore(b)
        del self.to_a[na:], self.frames["B"][na:], self.to_b[nb:], self.frames["A"][nb:]
        self.last = {"A": last_a, "B": last_b}
        self.mss = {"A": mss_a, "B": mss_b}
        self.counts = {"A": n_a, "B": n_b}
        self.syns = syns
        r = self.result
        r.bad_checksums, r.tolerances, r.side_tolerances = bad, tol, by_side  # (copied on write)

    # -- one segment -------------------------------------------------------------------
    def feed(self, p: Packet) -> None:
        r = self.result
        r.frames = (r.frames[0], p.frame)
        self.last_time = p.time
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
        h = self.history
        h.append((p, before))
        if len(h) > self.engine.opts.reorder_segments:
            del h[0]

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
                self.syns = self.syns | {(x, o.seq)}
            self.mss[x] = p.mss()
        pieces = [o]
        peer_mss = self.mss[y]
        if peer_mss and o.data > peer_mss and "super-segment" in self.engine.tol and not (o.syn or o.rst):
            pieces = _split(o, peer_mss)
            r.count(x, "super-segment")
        inbox = self.to_b if x == "A" else self.to_a
        if not self.judged[x] or self.stopped[x]:
            for piece in pieces:
                if not p.bad_checksum:
                    inbox.append(Arrive(piece))
                    self.frames[x].append(p.frame)
            return None
        side = self.sides[x]
        self.counts[x] += 1
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
        history = list(self.history)
        na, nb = history[0][1][2], history[0][1][3]
        tails = (self.to_a[na:], self.frames["B"][na:], self.to_b[nb:], self.frames["A"][nb:])

        def back_to_now():
            self._restore(now)
            for lst, tail, n in ((self.to_a, tails[0], na), (self.frames["B"], tails[1], na),
                                 (self.to_b, tails[2], nb), (self.frames["A"], tails[3], nb)):
                lst[n:] = tail

        for k in range(len(history) - 1, -1, -1):
            q, before = history[k]
            if p.time - q.time > bound:
                break
            self._restore(before)
            if self._attempt(p) is None and all(self._attempt(q2) is None for q2, _ in history[k:]):
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
            prev = before[4] if x == "A" else before[5]  # (the last packets of A and B)
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
                    "data on a SYN was acknowledged: TCP Fast Open (RFC 7413); --with tfo judges it")
            r.violations.append(v)
        if len([v for v in r.violations if v.sender == x]) >= self.engine.opts.max_violations:
            self.stopped[x] = True
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

    def quiesce(self) -> None:
        """Idle beyond the reorder window: nothing can be reordered with what
        comes next, so drop the saved states and compact."""
        if self.deferred is not None:
            self._expire()
        if self.history or self.since_compact:
            self._compact()

    def _compact(self) -> None:
        """Drop the peer's segments no configuration refers to any more (memory
        stays with the segments in flight, not with the connection's length)."""
        self.since_compact = 0
        self.history.clear()
        for x, inbox in (("A", self.to_a), ("B", self.to_b)):
            y = "B" if x == "A" else "A"
            side = self.sides[x]
            drop = side.oldest() if self.judged[x] and not self.stopped[x] else len(inbox)
            if drop > 0:
                del inbox[:drop], self.frames[y][:drop]
                side.rebase(drop)

    def finish(self) -> ConnectionResult:
        if self.deferred is not None:
            self._expire()
        r = self.result
        r.incarnations = len(self.syns)
        r.judged = {k: n for k, n in self.counts.items() if self.judged[k]}
        r.configs = {k: s.size() for k, s in self.sides.items() if self.judged[k]}
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
