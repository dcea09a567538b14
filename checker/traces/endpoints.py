"""One endpoint of a captured connection as a set of model configurations
(RFC 9293 3.10): closed under invisible steps (user calls, timeouts, late
deliveries), filtered by each segment the endpoint is seen to send."""

from __future__ import annotations

from checker.traces import memo, synopen
from checker.traces.engine import Engine
from checker.traces.midconn import mid_connection
from checker.traces.options import FIN_PENDING, RECEIVING, REXMIT, SYNC, UNA_STATES, UNKNOWN, Inconclusive, S
from model.config import Config
from model.events import Abort, Close, Open, Segment, Send
from checker.traces.seqint import add, le, lt, sub
from model.seq import MASK


def _dist(c: Config) -> int:
    return (c.snd_nxt - c.snd_una) & MASK


TAKEN = ("syn-data", "tfo")  # labels of arrivals whose SYN text was taken (checker.traces.synopen)


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
        self.cut = 0  # configurations dropped by the --keep beam since the side was placed
        self.resync_at = 0  # where the peer's segments still pending start, when placed anew
        self._moves: dict = {}
        self.norm = None  # (shape, own base, peer base, queue base, facts) while no configuration is built
        self._elems = Elements(engine.fast)
        if not wildcard:
            w = engine.opts.rcv_wnd
            self.elems.add(Config(S.CLOSED, False, UNKNOWN, 0, 0, 0, 0, 0, w), (), (), 0)
            self.elems.add(Config(S.LISTEN, True, UNKNOWN, 0, 0, 0, 0, 0, w), (), (), 0)

    @property
    def elems(self) -> Elements:
        """The configurations (built from the shape state if that is what is kept)."""
        if self._elems is None:
            self._elems = self.fresh()
            memo.materialize(*self.norm[:4], self._elems)
            self.norm = None
        return self._elems

    @elems.setter
    def elems(self, value: Elements) -> None:
        self._elems, self.norm = value, None

    def size(self) -> int:
        """How many configurations (without building them)."""
        return len(self.norm[0]) if self.norm is not None else len(self._elems)

    def fresh(self) -> Elements:
        return Elements(self.engine.fast)

    # -- what a connection saves, restores, resynchronises and compacts --------------
    def state(self) -> tuple:
        return (self._elems, self.norm, self.wildcard, self.cut, self.resync_at)

    def restore(self, st: tuple) -> None:
        self._elems, self.norm, self.wildcard, self.cut, self.resync_at = st

    def resync(self, pending_from: int) -> None:
        """Forget the configurations: the next segment places the endpoint
        anew, as at the start of a capture that began mid-connection; the
        peer's segments from `pending_from` on may still reach it."""
        self._elems, self.norm, self.wildcard, self.cut = self.fresh(), None, True, 0
        self.resync_at = pending_from

    def oldest(self) -> int:
        """The first of the peer's segments any configuration still refers to."""
        if self.wildcard:
            return self.resync_at
        if self.norm is not None:
            shape, _, _, di, _ = self.norm
            return di + min((min(i, *g, *q) if g or q else i for _, g, q, i in shape), default=0)
        return min((min(i, *g, *q) if g or q else i for (_, g, q), i in self._elems.items()),
                   default=len(self.inbox))

    def rebase(self, drop: int) -> None:
        """The first `drop` of the peer's segments were removed from the inbox."""
        self.resync_at = max(0, self.resync_at - drop)
        if self.norm is not None:
            shape, do, dp, di, facts = self.norm
            self.norm = (shape, do, dp, di - drop, facts)
            return
        out = self.fresh()
        for (c, g, q), i in self._elems.items():
            out.add(c, tuple(x - drop for x in g), tuple(x - drop for x in q), i - drop)
        self._elems = out

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
        tol = self.engine.tol
        tol_syn = c.state in (S.SYN_SENT, S.LISTEN) and ("syn-data" in tol or "tfo" in tol)
        queue = "ooo-queue" in tol and c.state in RECEIVING
        beyond = []  # the skipped segments i..j-1 that `c` would have queued (SHLD-31)
        for j in range(i, len(inbox)):
            r = step(c, inbox[j])
            here = queue and self._beyond(c, j)
            if r is None:
                if here:
                    beyond.append(j)
                continue
            q2 = q
            if queue:
                kept = beyond + [j] if here and r.config.rcv_nxt == c.rcv_nxt else beyond
                if kept:  # (j arrived beyond RCV.NXT: into the reassembly queue)
                    q2 = tuple(sorted(set(q) | set(kept)))
            if here:
                beyond.append(j)
            yield r, (), q2, j + 1, j
            alt = synopen.taken(c, inbox[j].segment, r, tol) if tol_syn else None
            if alt is not None:  # the SYN's text taken (3.10.7.3; RFC 7413)
                yield alt[1], (), q2, j + 1, (alt[0], j)

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
                        collect.append((m, ev, c, r.fired))
                        continue
                    how = self.relate(o, m, c, ev)
                    if how is not None:
                        found(r.config, g, q, i, how)
                    elif o.syn and o.data and "syn-data" in tol:
                        cfg = synopen.sent_with_data(o, m, r.config)
                        if cfg is not None:
                            found(cfg, g, q, i, "syn-data")
            if collect is None and o.data and "tfo" in tol:
                r = synopen.tfo_send(step, c, o)
                if r is not None and any(self.relate(o, m, c, None) == "exact" for m in r.sent):
                    found(r.config, g, q, i, "tfo")
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
                        collect.append((m, label, c, r.fired))
                        continue
                    how = self.relate(o, m, c, None)
                    if how == "exact":
                        found(r.config, g2, q2, i2, label[0] if type(label) is tuple and label[0] in TAKEN
                              else "ooo-queue" if type(label) is tuple and label[0] == "queued" else "exact")
                    elif o.syn and o.data and "syn-data" in tol:
                        cfg = synopen.sent_with_data(o, m, r.config)
                        if cfg is not None:
                            found(cfg, g2, q2, i2, "syn-data")
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
            placed = self.fresh()
            for c in first:
                placed.add(c, (), (), self.resync_at)
            self.elems = placed
            return bool(first), {"mid-connection": 1} if first else {}, self.fresh()
        result: list = []

        def search():
            self.engine.trim_caches()
            self._moves = {}
            clo = self.closure(o.seq if o.syn else None)
            posts, used = self.explain(o, clo, wupdate=wupdate)
            self._moves = {}
            result[:] = [posts, used, clo]
            if not len(posts):
                return None
            if len(posts) > self.engine.opts.max_configs:
                raise Inconclusive(f"more than {self.engine.opts.max_configs} configurations of {self.name}")
            keep = self.engine.opts.keep
            if keep and len(posts) > keep:
                posts = self._pruned(posts, keep)
            result[0] = posts
            return posts, used

        if self.engine.shapes is not None:
            done = memo.judge(self, o, wupdate, search)
            if done is not None:
                self._elems, self.norm = None, done[0]
                return True, done[1], None
        if not result:
            search()
        posts, used, clo = result
        if not len(posts):
            return False, used, clo
        self.elems = posts
        return True, used, clo

    def _pruned(self, posts: Elements, keep: int) -> Elements:
        """The `keep` elements that assume the fewest of the peer's segments
        lost (latest pending index); the side remembers that it cut, so that a
        violation found after it is reported as not checked."""
        out = Elements(self.engine.fast)
        ranked = sorted(posts.items(), key=lambda kv: (-kv[1], len(kv[0][1]) + len(kv[0][2])))
        for (c, g, q), i in ranked[:keep]:
            out.add(c, g, q, i)
        self.cut += len(posts) - keep
        return out
