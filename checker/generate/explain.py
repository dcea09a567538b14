"""Scripted two-endpoint runs of the table, drawn as RFC 9293 ladders (3.5).

A scenario is a list of acts: a user call or timeout at one endpoint, the
delivery of a segment in flight to one endpoint, a loss, an injected
segment, or a crash (3.5.1: "a failure or reboot ... resulting in loss of
memory"). `run` drives `model.machine.Model.step` on two
`model.config.Config` endpoints A and B joined by one FIFO channel per
direction; everything printed (segments, SEQ/ACK values, states, rows) is
computed by the table, nothing is written out by hand. The same runner
feeds `checker.generate.packetdrill`.

Ladder conventions are those of RFC 9293 3.5 (Figures 6-13): "-->"/"<--"
departure or arrival, "..." a segment still in the network, states AFTER
the step. A departure immediately followed by its arrival is one line, as
in the RFC's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from model.config import Config, closed
from model.events import Arrive, Close, Open, Segment, Send, Timeout
from model.machine import IllegalEvent, Model
from model.seq import MASK, add, sub
from model.state import State

MAX_ISS = MASK


class ScenarioError(Exception):
    """A scenario asked for something the model does not allow (an illegal
    call, a delivery from an empty channel): names the step."""


# --- acts ---------------------------------------------------------------------

@dataclass(frozen=True)
class Act:
    """One step of a scenario.

    kind: "call" (event: Open/Send/Close/Abort), "timeout" (event: Timeout),
    "deliver" (the segment at `index` of the channel toward `side`; 0 = the
    oldest), "lose" (drop that segment), "inject" (`make(receiver, peer)`
    builds a segment that arrives at `side` without having been sent by the
    peer's table: an old duplicate, 3.5 Figure 8, or a crafted RST), "crash"
    (`side` loses its TCB and restarts CLOSED with ISS `iss`, 3.5.1).
    """

    kind: str
    side: str
    event: object = None
    index: int = 0
    make: Callable[[Config, Config], Segment] | None = None
    iss: int | None = None
    note: str = ""


def call(side: str, event, note: str = "") -> Act:
    return Act("call", side, event, note=note)


def timeout(side: str, which: str, note: str = "") -> Act:
    return Act("timeout", side, Timeout(which), note=note)


def deliver(side: str, index: int = 0, note: str = "") -> Act:
    return Act("deliver", side, index=index, note=note)


def lose(side: str, index: int = 0, note: str = "") -> Act:
    return Act("lose", side, index=index, note=note)


def inject(side: str, make: Callable[[Config, Config], Segment], note: str = "") -> Act:
    return Act("inject", side, make=make, note=note)


def crash(side: str, iss: int, note: str = "") -> Act:
    return Act("crash", side, iss=iss & MASK, note=note)


# --- running ------------------------------------------------------------------

@dataclass
class Step:
    """What one act did. `segment` is the segment that arrived (deliver,
    inject) or was lost; `sent` what the acting endpoint sent; `seg_id`
    and `sent_ids` identify segments across steps (for merged ladder lines).
    a, b, ab, ba: the endpoints and channels AFTER the step."""

    act: Act
    before: Config
    segment: Segment | None
    seg_id: int | None
    sent: tuple[Segment, ...]
    sent_ids: tuple[int, ...]
    error: str | None
    fired: tuple[str, ...]
    refs: tuple[str, ...]
    a: Config
    b: Config
    ab: tuple[Segment, ...]
    ba: tuple[Segment, ...]

    @property
    def side(self) -> str:
        return self.act.side

    @property
    def after(self) -> Config:
        return self.a if self.act.side == "A" else self.b

    def what(self) -> str:
        act = self.act
        if act.kind == "call":
            ev = act.event
            if isinstance(ev, Open):
                return "active OPEN" if ev.active else "passive OPEN"
            if isinstance(ev, Send):
                return f"SEND {ev.length} octet{'s' if ev.length != 1 else ''}"
            return str(ev)
        if act.kind == "timeout":
            return {"retransmission": "retransmission timeout", "user": "user timeout",
                    "time-wait": "2 MSL timeout"}[act.event.which]
        if act.kind == "deliver":
            return "rcv"
        if act.kind == "lose":
            return "lost"
        if act.kind == "inject":
            return "rcv injected"
        return f"crash, restarts with ISS={act.iss}"


@dataclass
class Run:
    model: Model
    start_a: Config
    start_b: Config
    steps: list[Step] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early (strict=False)
    next_id: int = 0  # segment identities, for merged ladder lines

    @property
    def a(self) -> Config:
        return self.steps[-1].a if self.steps else self.start_a

    @property
    def b(self) -> Config:
        return self.steps[-1].b if self.steps else self.start_b


def run(model: Model, acts: list[Act], iss_a: int, iss_b: int, rcv_wnd: int = 4,
        strict: bool = True) -> Run:
    """Drive the two endpoints through `acts`; raise ScenarioError if the
    table refuses one (no row handles the event, nothing to deliver), or
    with strict=False stop there and say why in `Run.stopped`."""
    try:
        return _run(model, acts, iss_a, iss_b, rcv_wnd)
    except _Stopped as stop:
        if strict:
            raise ScenarioError(str(stop.error)) from None
        stop.run.stopped = str(stop.error)
        return stop.run


class _Stopped(Exception):
    def __init__(self, run: Run, error: ScenarioError):
        self.run, self.error = run, error


def _run(model: Model, acts: list[Act], iss_a: int, iss_b: int, rcv_wnd: int) -> Run:
    cfg = {"A": closed(iss_a, rcv_wnd), "B": closed(iss_b, rcv_wnd)}
    chan: dict[str, list[tuple[int, Segment]]] = {"A": [], "B": []}  # toward A, toward B
    result = Run(model, cfg["A"], cfg["B"])
    for n, act in enumerate(acts, 1):
        try:
            _one(model, n, act, cfg, chan, result)
        except ScenarioError as err:
            raise _Stopped(result, err) from None
    return result


def _one(model: Model, n: int, act: Act, cfg: dict, chan: dict, result: Run) -> None:
    """Apply act number n, appending its Step to result."""
    if act.side not in ("A", "B"):
        raise ScenarioError(f"step {n}: side must be A or B, got {act.side!r}")
    me, peer = act.side, "B" if act.side == "A" else "A"
    before = cfg[me]
    segment, seg_id, out = None, None, None
    if act.kind in ("call", "timeout"):
        try:
            out = model.step(before, act.event)
        except IllegalEvent as err:
            raise ScenarioError(f"step {n} ({me}: {act.event}): {err}") from None
    elif act.kind in ("deliver", "lose"):
        if act.index >= len(chan[me]):
            raise ScenarioError(f"step {n}: no segment at position {act.index} "
                                f"in flight toward {me}")
        seg_id, segment = chan[me].pop(act.index)
        if act.kind == "deliver":
            out = model.step(before, Arrive(segment))
    elif act.kind == "inject":
        segment = act.make(before, cfg[peer])
        seg_id = result.next_id
        result.next_id += 1
        out = model.step(before, Arrive(segment))
    elif act.kind == "crash":
        cfg[me] = closed(act.iss, before.rcv_wnd)
    else:
        raise ScenarioError(f"step {n}: unknown act {act.kind!r}")
    sent, sent_ids, error, fired, refs = (), (), None, (), ()
    if out is not None:
        cfg[me] = out.config
        sent = out.sent
        error = out.error
        fired = tuple(r.name for r in out.fired)
        refs = tuple(r.ref for r in out.fired)
        ids = []
        for s in sent:
            chan[peer].append((result.next_id, s))
            ids.append(result.next_id)
            result.next_id += 1
        sent_ids = tuple(ids)
    result.steps.append(Step(act, before, segment, seg_id, sent, sent_ids, error, fired, refs,
                             cfg["A"], cfg["B"], tuple(s for _, s in chan["B"]),
                             tuple(s for _, s in chan["A"])))


# --- scenarios ----------------------------------------------------------------

def rst_at_rcv_nxt(receiver: Config, _peer: Config) -> Segment:
    """<SEQ=RCV.NXT><CTL=RST>: the reset a peer would send (3.10.5), exactly
    at the receiver's RCV.NXT (RFC 5961 3.2 as adopted by 3.10.7.4)."""
    return Segment(seq=receiver.rcv_nxt, rst=True)


def old_syn(receiver: Config, peer: Config) -> Segment:
    """A SYN left over from an earlier incarnation of the peer (3.5 Figure 8:
    SEQ=90 while the current ISS is 100)."""
    return Segment(seq=sub(peer.iss, 10), syn=True, wnd=peer.rcv_wnd)


def _handshake() -> list[Act]:
    return [call("B", Open(False)),
            call("A", Open(True)), deliver("B"), deliver("A"), deliver("B")]


def _handshake_with_data() -> list[Act]:
    return _handshake() + [call("A", Send(1)), deliver("B"), deliver("A")]


def _close() -> list[Act]:
    return _handshake() + [
        call("A", Close()), deliver("B"), deliver("A"),
        call("B", Close()), deliver("A"), deliver("B"),
        timeout("A", "time-wait")]


def _simultaneous_open() -> list[Act]:
    return [call("A", Open(True)), call("B", Open(True)),
            deliver("A"), deliver("B"), deliver("A"), deliver("B")]


def _simultaneous_close() -> list[Act]:
    return _handshake() + [
        call("A", Close()), call("B", Close()),
        deliver("B"), deliver("A"), deliver("B"), deliver("A"),
        timeout("A", "time-wait"), timeout("B", "time-wait")]


def _half_close() -> list[Act]:
    return _handshake() + [
        call("A", Close()), deliver("B"), deliver("A"),
        call("B", Send(1), "B still sends: A closed only its direction"), deliver("A"), deliver("B"),
        call("B", Close()), deliver("A"), deliver("B"),
        timeout("A", "time-wait")]


def _half_open(iss_a: int) -> list[Act]:
    return _handshake() + [
        crash("A", add(iss_a, 300), "A reboots and loses the TCB"),
        call("A", Open(True)), deliver("B"), deliver("A"), deliver("B"),
        call("B", Open(False), "B's user listens again"),
        timeout("A", "retransmission"), deliver("B"), deliver("A"), deliver("B")]


def _old_duplicate_syn() -> list[Act]:
    return [call("B", Open(False)), call("A", Open(True)),
            inject("B", old_syn, "an old duplicate SYN overtakes A's SYN"),
            deliver("A"), deliver("B", index=1, note="the RST overtakes A's SYN"),
            deliver("B"), deliver("A"), deliver("B")]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    ref: str
    acts: Callable[[int, int], list[Act]]


SCENARIOS = {s.name: s for s in [
    Scenario("handshake", "Basic three-way handshake, then data",
             "3.5 Figure 6; 3.10.1, 3.10.7.2, 3.10.7.3, 3.10.7.4",
             lambda a, b: _handshake_with_data()),
    Scenario("close", "Normal close sequence", "3.6 Figure 12 (cases 1 and 2); 3.10.4; MUST-13",
             lambda a, b: _close()),
    Scenario("simultaneous-open", "Simultaneous connection synchronization",
             "3.5 Figure 7; MUST-10", lambda a, b: _simultaneous_open()),
    Scenario("simultaneous-close", "Simultaneous close sequence", "3.6 Figure 13 (case 3)",
             lambda a, b: _simultaneous_close()),
    Scenario("half-close", "Half-closed connection: B keeps sending after A's CLOSE",
             "3.6, 3.6.1; 3.10.4", lambda a, b: _half_close()),
    Scenario("half-open", "Half-open connection discovery after A reboots",
             "3.5.1 Figure 9; 3.5.2 group 2 and 3; 3.10.7.3", lambda a, b: _half_open(a)),
    Scenario("old-duplicate-syn", "Recovery from an old duplicate SYN",
             "3.5 Figure 8; MUST-11", lambda a, b: _old_duplicate_syn()),
]}


def run_scenario(model: Model, name: str, iss_a: int, iss_b: int, rcv_wnd: int = 4,
                 strict: bool = True) -> Run:
    return run(model, SCENARIOS[name].acts(iss_a, iss_b), iss_a, iss_b, rcv_wnd, strict)


# --- the ladder ---------------------------------------------------------------

def _vars(c: Config) -> str:
    if c.state in (State.CLOSED, State.LISTEN):
        return f"{c.state}"
    return f"SND.UNA={c.snd_una} SND.NXT={c.snd_nxt} RCV.NXT={c.rcv_nxt}"


def ladder_lines(r: Run, show_rows: bool = False, show_vars: bool = False) -> list[str]:
    """The run as RFC 9293 3.5 draws it: one numbered line per step (a
    departure merged with its arrival when nothing happens in between)."""
    briefs = [s.brief() for st in r.steps for s in st.sent] + \
             [st.segment.brief() for st in r.steps if st.segment is not None]
    width = max([len(b) for b in briefs] + [30]) + 10
    sw = max(len(str(s)) for s in State) + 2

    def mid(text: str, direction: str, kind: str) -> str:
        # kind: "both" departure and arrival, "dep" departure only, "arr" arrival only
        if direction == "AB":
            left, right = ("-->", "-->") if kind == "both" else \
                (("-->", "...") if kind == "dep" else ("...", "-->"))
        else:
            left, right = ("<--", "<--") if kind == "both" else \
                (("...", "<--") if kind == "dep" else ("<--", "..."))
        return f"{left} {text} {right}".ljust(width)

    lines = [f"{'':5}{'TCP Peer A':<{sw}}{'':{width}}TCP Peer B",
             f"{'':5}{str(r.start_a.state):<{sw}}{'':{width}}{r.start_b.state}"]
    n = 0
    merged: set[int] = set()  # steps whose arrival was drawn with its departure

    def emit(a: Config, b: Config, middle: str, note: str, *sts: Step):
        nonlocal n
        n += 1
        lines.append(f"{n:>3}. {str(a.state):<{sw}}{middle}{str(b.state):<{sw}}{note}".rstrip())
        if show_vars:
            lines.append(f"{'':5}{'':{sw}}A: {_vars(a)}   B: {_vars(b)}")
        if show_rows:
            for st in sts:
                if st.fired:
                    lines.append(f"{'':5}{'':{sw}}{st.side} rows: {', '.join(st.fired)}")

    steps = r.steps
    for k, st in enumerate(steps):
        act = st.act
        toward = "AB" if act.side == "B" else "BA"  # arrivals at B travel A->B
        out = "AB" if act.side == "A" else "BA"
        note = f"({act.side}: {st.what()})" if act.kind in ("call", "timeout", "crash") else ""
        if act.note:
            note = f"{note} ({act.note})".strip()
        if st.error:
            note += f" error: {st.error}"
        if act.kind == "lose":
            emit(st.a, st.b, f"X {st.segment.brief()} (lost)".center(width), note)
            continue
        if k not in merged:
            if act.kind in ("deliver", "inject"):
                label = st.segment.brief() if act.kind == "deliver" else \
                    f"{st.segment.brief()} (injected)"
                emit(st.a, st.b, mid(label, toward, "arr"), note, st)
            elif not st.sent:
                emit(st.a, st.b, " " * width, note, st)
        # departures: the last one may merge with the next step's arrival
        for i, (s, sid) in enumerate(zip(st.sent, st.sent_ids)):
            nxt = steps[k + 1] if k + 1 < len(steps) else None
            last = i == len(st.sent) - 1
            if last and nxt is not None and nxt.act.kind == "deliver" and nxt.seg_id == sid:
                merged.add(k + 1)
                mnote = note if (i == 0 and act.kind not in ("deliver", "inject")) else ""
                if nxt.act.note:
                    mnote = f"{mnote} ({nxt.act.note})".strip()
                own = (st,) if i == 0 and act.kind not in ("deliver", "inject") else ()
                emit(nxt.a, nxt.b, mid(s.brief(), out, "both"), mnote, *own, nxt)
            else:
                dnote = note if (i == 0 and act.kind not in ("deliver", "inject")) else ""
                own = (st,) if i == 0 and act.kind not in ("deliver", "inject") else ()
                emit(st.a, st.b, mid(s.brief(), out, "dep"), dnote, *own)
    return lines


def ladder_json(r: Run) -> dict:
    def cfg(c: Config) -> dict:
        return {"state": str(c.state), **c.env()}

    def seg(s: Segment) -> dict:
        return {"seq": s.seq, "ack": s.ack, "flags": s.flags(), "data": s.data, "wnd": s.wnd,
                "brief": s.brief()}

    return {"start": {"A": cfg(r.start_a), "B": cfg(r.start_b)},
            "steps": [{"n": i, "side": st.side, "kind": st.act.kind, "what": st.what(),
                       "note": st.act.note,
                       "segment": seg(st.segment) if st.segment is not None else None,
                       "sent": [seg(s) for s in st.sent], "error": st.error,
                       "rows": list(st.fired), "A": cfg(st.a), "B": cfg(st.b),
                       "in_flight": {"A->B": [s.brief() for s in st.ab],
                                     "B->A": [s.brief() for s in st.ba]}}
                      for i, st in enumerate(r.steps, 1)]}
