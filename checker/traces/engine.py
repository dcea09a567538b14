"""The step cache of trace checking: one model and its options, shared by every
connection of a capture; `model.step` on normalised configurations
(RFC 9293 3.10: the steps of the table, never restated)."""

from __future__ import annotations

from checker.traces.invariance import NORMALISED, translation_invariant
from checker.traces.memo import memo_blocker
from checker.traces.options import K1, K2, QUIET, SYNC, UNKNOWN, ConformOptions, S, sync_rows_standard
from model.config import Config
from model.events import Arrive, Segment
from model.machine import Model, Outcome
from model.seq import MASK


def _row_facts(model: Model) -> dict:
    """What the search may assume of these rows: checked once per model (the
    model's rows do not change once it is built)."""
    facts = getattr(model, "_conform_row_facts", None)
    if facts is None:
        facts = {"standard_sync": sync_rows_standard(model), "invariant": translation_invariant(model),
                 "memo_blocker": memo_blocker(model)}
        model._conform_row_facts = facts
    return facts


class Engine:
    """One model and its options, shared by every connection of a capture."""

    def __init__(self, model: Model, opts: ConformOptions):
        self.model, self.opts = model, opts
        self.tol = opts.tolerances | opts.extensions
        facts = _row_facts(model)
        self.standard_sync = facts["standard_sync"]
        self.fast = "partial-retransmission" in self.tol and self.standard_sync
        self.shift = facts["invariant"] is None
        # whole judgments cached by shape (checker.traces.memo), where the rows allow it
        self.memo_blocker = facts["memo_blocker"] if opts.shapes else "turned off"
        self.shapes: dict | None = {} if self.memo_blocker is None else None
        self.shape_cells = 0  # configurations held by self.shapes (keys and values)
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

    STEP_CACHE = 200_000  # entries of the model's step cache kept while checking (about 100 MB)

    def trim_caches(self) -> None:
        """Bound the step caches: a search over many distinct configurations
        (a long --strict run) would otherwise fill the model's cache (2 M
        entries, a gigabyte) before it empties itself."""
        cache = getattr(self.model, "_cache", None)
        if cache is not None and len(cache) > self.STEP_CACHE:
            cache.clear()
        if len(self._blind) > self.STEP_CACHE:
            self._blind.clear()

    def canonical(self, c: Config) -> Config:
        """CLOSED and LISTEN forget the ISS (a new incarnation picks another).
        With the standard rows, a synchronized endpoint never reads IRS, and
        reads ISS only to ask whether SND.UNA = ISS (3.10.8, our SYN,ACK
        still unacknowledged): both are then set relative to the others."""
        st = c.state
        if st in (S.CLOSED, S.LISTEN):
            return c._replace(iss=UNKNOWN) if c.iss != UNKNOWN else c
        if self.standard_sync and st in SYNC:
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
            o1 = self.model.try_step(c._replace(iss=K1), ev)
            o2 = self.model.try_step(c._replace(iss=K2), ev)
            if o1 is not None and o2 is not None and o1.error is None and o2.error is None \
                    and o1.sent == o2.sent and o1.config._replace(iss=0) == o2.config._replace(iss=0):
                cfg = o1.config._replace(iss=UNKNOWN) if o1.config.iss == K1 else o1.config
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
