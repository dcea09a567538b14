"""The oracles generated from the STANDARD table, replayed through a mutant's
engine (no kernel needed): do the test vectors and packetdrill scripts that
the project ships tell the mutant from the table?

- JSON vectors (`checker.generate.oracle`, RFC 9293 3.10): each vector's
  configuration and input go through the mutant's `Model.step`; it is
  killed by a vector whose observable outcome differs: illegal or not, the
  error response, the variables after, the segments sent. (Which rows
  fired is a name inside the table, which no implementation shows: not
  compared.)
- packetdrill scripts (`checker.generate.packetdrill`, 3.5, 3.6, 3.10): each
  script is read line by line and played against the mutant as the local
  stack (ISS 0, the scripts' window): socket calls become user calls
  (listen = passive OPEN, connect = active OPEN, shutdown(SHUT_WR) = CLOSE,
  close = CLOSE, or ABORT after SO_LINGER {onoff=1, linger=0}; write =
  SEND; accept needs a synchronized connection), inbound packets arrive,
  and every packet the stack sends must be the next outbound packet the
  script expects (flags, SEQ, length, ACK; the window is not written for
  outbound packets, so not compared). A call the mutant answers with an
  error, an inbound packet no row handles, a packet that differs or is
  missing, or one sent where the script expects none, kills the mutant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from checker.generate import oracle as vectors_mod
from checker.generate.packetdrill import ISS_LOCAL, WINDOW, scripts
from model.config import closed
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import IllegalEvent, Model
from model.state import SYNCHRONIZED, State

_PACKET = re.compile(r"^([<>])\s+([SFRP.\-]+)\s+(\d+):(\d+)\((\d+)\)(?:\s+ack\s+(\d+))?(?:\s+win\s+(\d+))?")
SETUP_CALLS = ("socket", "bind", "setsockopt", "fcntl")  # no user call of 3.10 (SO_REUSEADDR, O_NONBLOCK)
_CALL = re.compile(r"^(\w+)\((.*)\)\s*=\s*(-?\d+)")


@dataclass
class Context:
    """What every mutant is compared with, built once from the standard table."""

    standard: Model
    vectors: list  # (id, before Config, event, expect dict)
    scripts: list  # (name, [action])


def prepare(standard: Model) -> Context:
    doc = vectors_mod.build(standard)
    vecs = [(v["id"], vectors_mod.config_from_json(v["before"]), vectors_mod.event_from_json(v["input"]),
             v["expect"]) for v in doc["vectors"]]
    plays = [(s.name, parse_script(s.text)) for s in scripts(standard)]
    return Context(standard, vecs, plays)


# --- JSON vectors -------------------------------------------------------------------

def vector_mismatch(model: Model, before, event, expect: dict) -> str | None:
    try:
        out = model.step(before, event)
    except IllegalEvent:
        return None if expect["illegal"] else "illegal in the mutant"
    if expect["illegal"]:
        return "the mutant handles an illegal event"
    got = {"error": out.error, "after": vectors_mod.config_json(out.config),
           "sent": [vectors_mod.segment_json(s) for s in out.sent]}
    for k, val in got.items():
        if expect[k] != val:
            return f"{k}: mutant {val}, vector {expect[k]}"
    return None


# --- packetdrill scripts ------------------------------------------------------------

def _segment(flags: str, seq: str, end: str, n: str, ack: str | None, win: str | None) -> Segment:
    return Segment(seq=int(seq), ack=int(ack) if ack else 0, syn="S" in flags, ackf="." in flags,
                   fin="F" in flags, rst="R" in flags, data=int(n), wnd=int(win) if win else 0)


def parse_script(text: str) -> list[tuple]:
    """The actions of a generated script: ("in", Segment), ("out", Segment,
    line), ("call", event, line), ("accept", line); comments and set-up
    calls (socket, bind, SO_REUSEADDR, fcntl) dropped. SO_LINGER turns the
    next close() into ABORT (3.10.5)."""
    out, linger = [], False
    for raw in text.splitlines():
        line = raw.split("//")[0].strip()
        if not line:
            continue
        # a time (0, +0.1, *, or a range +0~+3), then the action; TCP_INFO assertions %{ }% are
        # the kernel's own view of its state: nothing to replay
        timer = bool(re.match(r"^\+?\d+(\.\d+)?~", line))  # a time range: the stack's own timer fires
        line = re.sub(r"^(\*|\+?\d+(\.\d+)?(~\+?\d+(\.\d+)?)?)\s+", "", line)
        if line.startswith("%{"):
            continue
        m = _PACKET.match(line)
        if m:
            way, flags, seq, end, n, ack, win = m.groups()
            seg = _segment(flags, seq, end, n, ack, win)
            if way == ">" and timer:
                out.append(("call", Timeout("retransmission"), line))
            out.append(("in", seg) if way == "<" else ("out", seg, line))
            continue
        m = _CALL.match(line)
        if not m:
            raise ValueError(f"packetdrill line not understood: {raw!r}")
        name, args = m.group(1), m.group(2)
        if name == "listen":
            out.append(("call", Open(False), line))
        elif name == "connect":
            out.append(("call", Open(True), line))
        elif name == "shutdown":
            out.append(("call", Close(), line))
        elif name == "close":
            out.append(("call", Abort() if linger else Close(), line))
            linger = False
        elif name == "write":
            out.append(("call", Send(int(m.group(3))), line))
        elif name == "accept":
            out.append(("accept", line))
        elif name == "setsockopt" and "SO_LINGER" in args:
            linger = True
        elif name not in SETUP_CALLS:
            raise ValueError(f"packetdrill line not understood: {raw!r}")
    return out


def _same_packet(got: Segment, want: Segment) -> bool:
    return (got.syn, got.ackf, got.fin, got.rst, got.seq, got.data) == \
        (want.syn, want.ackf, want.fin, want.rst, want.seq, want.data) and (not want.ackf or got.ack == want.ack)


REMOTE_ISN = 0x1000  # where the injected peer's relative sequence numbers start (any value would do)


def play(model: Model, actions: list[tuple]) -> str | None:
    """None if the mutant, as the local stack, passes the script; else why
    not. The scripts write sequence numbers as packetdrill does, relative to
    each side's ISN: the peer's from REMOTE_ISN, the stack's from the SYN it
    sends in each incarnation (so any fresh ISN matches)."""
    cfg = closed(ISS_LOCAL, WINDOW)
    local = cfg.iss  # the stack's ISN of the current incarnation
    pending: list[Segment] = []
    for act in actions:
        if act[0] == "out":
            if not pending:
                return f"expected {act[2]!r}, the stack sent nothing"
            got = pending.pop(0)
            if got.syn:
                local = got.seq
            rel = got._replace(seq=(got.seq - local) & 0xFFFFFFFF, ack=(got.ack - REMOTE_ISN) & 0xFFFFFFFF)
            if not _same_packet(rel, act[1]):
                return f"expected {act[2]!r}, the stack sent {got.brief()}"
            continue
        if pending:
            return f"unexpected packet {pending[0].brief()} from the stack"
        if act[0] == "accept":
            if cfg.state not in SYNCHRONIZED:
                return f"accept() would block: the connection is {cfg.state}"
            continue
        if act[0] == "call" and isinstance(act[1], Open) and not act[1].active and cfg.state is State.LISTEN:
            continue  # a second listening socket for the next incarnation: packetdrill bookkeeping
        if act[0] == "in":
            seg = act[1]
            event = Arrive(seg._replace(seq=(seg.seq + REMOTE_ISN) & 0xFFFFFFFF,
                                        ack=(seg.ack + local) & 0xFFFFFFFF))
        else:
            event = act[1]
        try:
            res = model.step(cfg, event)
        except IllegalEvent:
            return f"{event} is illegal in {cfg.state}"
        if res.error is not None:
            return f"{act[2]!r} fails: {res.error}"
        cfg = res.config
        pending.extend(res.sent)
    if pending:
        return f"unexpected packet {pending[0].brief()} from the stack"
    return None


# --- the verdict ----------------------------------------------------------------------

def oracle_verdict(model: Model, ctx: Context) -> dict:
    """Which oracles tell the mutant from the table: the number of vectors
    and scripts that fail, and the first of each with the reason."""
    bad_v = []
    for vid, before, event, expect in ctx.vectors:
        why = vector_mismatch(model, before, event, expect)
        if why:
            bad_v.append((vid, why))
    bad_s = []
    for name, actions in ctx.scripts:
        why = play(model, actions)
        if why:
            bad_s.append((name, why))
    return {"vectors": {"killed": bool(bad_v), "failing": len(bad_v), "of": len(ctx.vectors),
                        "first": bad_v[0] if bad_v else None},
            "packetdrill": {"killed": bool(bad_s), "failing": len(bad_s), "of": len(ctx.scripts),
                            "first": bad_s[0] if bad_s else None},
            "killed": bool(bad_v or bad_s)}
