"""What a RST does in each state (RFC 9293 3.10.7.1-3.10.7.4 second; RFC
5961 3.2), computed by the table: one configuration per state, taken from
`explain`'s scenarios on the table itself, gets three RSTs (at RCV.NXT, in
the window but not at RCV.NXT, outside the window; in SYN-SENT a RST,ACK
of SND.NXT as 3.10.7.3 asks, and one of a wrong ACK) and the outcome is
what `model.step` says. `blind_count` tries every offset of SEG.SEQ from
RCV.NXT up to twice the window, and one half a sequence space away, on an
ESTABLISHED configuration; the proof reset-safety covers all 2^32."""

from __future__ import annotations

from checker.generate.explain import SCENARIOS, run
from model.events import Arrive, Segment
from model.machine import Model
from model.seq import MASK
from model.state import State

ISS_A, ISS_B = 100, 300  # RFC 9293 Figures 6-13


def configs(model: Model) -> dict:
    """The first configuration of each state met in the explain scenarios."""
    out = {}
    for name in ("handshake", "close", "simultaneous-open", "simultaneous-close", "half-close"):
        r = run(model, SCENARIOS[name].acts(ISS_A, ISS_B), ISS_A, ISS_B, strict=False)
        for c in [r.start_a, r.start_b] + [x for st in r.steps for x in (st.before, st.a, st.b)]:
            out.setdefault(c.state, c)
    return {s: out[s] for s in State if s in out}


def probes(c) -> list[tuple[str, Segment]]:
    """(kind, RST segment) for a configuration: exact, in-window, outside."""
    w = c.rcv_wnd
    if c.state is State.SYN_SENT:
        return [("exact", Segment(seq=0, ack=c.snd_nxt, ackf=True, rst=True)),
                ("wrong-ack", Segment(seq=0, ack=(c.snd_nxt + 1) & MASK, ackf=True, rst=True))]
    return [("exact", Segment(seq=c.rcv_nxt, rst=True)),
            ("in-window", Segment(seq=(c.rcv_nxt + min(1, w - 1)) & MASK, rst=True)),
            ("outside", Segment(seq=(c.rcv_nxt + (1 << 31)) & MASK, rst=True))]


def outcome(model: Model, c, seg: Segment) -> dict:
    out = model.try_step(c, Arrive(seg))
    if out is None:
        return {"segment": seg.brief(), "state": str(c.state), "sent": [], "rows": [], "illegal": True}
    return {"segment": seg.brief(), "state": str(out.config.state), "sent": [s.brief() for s in out.sent],
            "rows": [r.name for r in out.fired], "illegal": False}


def table(model: Model) -> list[dict]:
    """One entry per state: its configuration and the outcome of each probe."""
    rows = []
    for state, c in configs(model).items():
        rows.append({"state": str(state), "rcv_nxt": c.rcv_nxt, "rcv_wnd": c.rcv_wnd,
                     "probes": {k: outcome(model, c, s) for k, s in probes(c)}})
    return rows


def blind_count(model: Model) -> dict:
    """On ESTABLISHED: how many of the SEG.SEQ values tried reset, draw a
    challenge ACK, or are dropped."""
    c = configs(model)[State.ESTABLISHED]
    tried = list(range(2 * c.rcv_wnd)) + [1 << 31]
    reset = challenge = 0
    for off in tried:
        out = model.step(c, Arrive(Segment(seq=(c.rcv_nxt + off) & MASK, rst=True)))
        if out.config.state is not State.ESTABLISHED:
            reset += 1
        elif out.sent:
            challenge += 1
    return {"tried": len(tried), "reset": reset, "challenge": challenge, "rcv_wnd": c.rcv_wnd,
            "rcv_nxt": c.rcv_nxt}
