"""A small harness around the table for tests: one endpoint of the model,
driven event by event, remembering what it sent."""

from __future__ import annotations

from model.config import Config, closed
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import Model, standard
from model.state import State

MODEL = standard()


class End:
    def __init__(self, iss: int, rcv_wnd: int = 1000, model: Model = MODEL, cfg: Config | None = None):
        self.model = model
        self.cfg = cfg if cfg is not None else closed(iss, rcv_wnd)
        self.fired: list[str] = []

    @property
    def state(self) -> State:
        return self.cfg.state

    def _do(self, event) -> list[Segment]:
        out = self.model.step(self.cfg, event)
        self.cfg = out.config
        self.fired = [r.name for r in out.fired]
        self.error = out.error
        return list(out.sent)

    def open(self, active: bool) -> list[Segment]:
        return self._do(Open(active))

    def send(self, n: int) -> list[Segment]:
        return self._do(Send(n))

    def close(self) -> list[Segment]:
        return self._do(Close())

    def abort(self) -> list[Segment]:
        return self._do(Abort())

    def timeout(self, which: str) -> list[Segment]:
        return self._do(Timeout(which))

    def rcv(self, seg: Segment) -> list[Segment]:
        return self._do(Arrive(seg))


def synchronized(state: State, snd_nxt: int, rcv_nxt: int, *, iss=None, irs=None, snd_una=None,
                 rcv_wnd: int = 1000, passive=False) -> End:
    """An endpoint already in a synchronized state (e.g. Figure 12's
    ESTABLISHED with SND.NXT=100, RCV.NXT=300)."""
    iss = (snd_nxt - 1) & 0xFFFFFFFF if iss is None else iss
    irs = (rcv_nxt - 1) & 0xFFFFFFFF if irs is None else irs
    una = snd_nxt if snd_una is None else snd_una
    return End(iss, cfg=Config(state, passive, iss, irs, una, snd_nxt, rcv_wnd, rcv_nxt, rcv_wnd))


def seg(seq, ack=None, ctl="", data=0, wnd=1000) -> Segment:
    """Figure notation: seg(100, 301, "SYN,ACK")."""
    flags = {f.strip() for f in ctl.split(",") if f.strip()}
    if ack is not None:
        flags.add("ACK")
    return Segment(seq=seq & 0xFFFFFFFF, ack=(ack or 0) & 0xFFFFFFFF, syn="SYN" in flags,
                   ackf="ACK" in flags, fin="FIN" in flags, rst="RST" in flags, data=data,
                   wnd=0 if "RST" in flags else wnd)


def brief(segs) -> list[str]:
    """Segments in figure notation, for readable assertions."""
    return [s.brief() for s in segs]
