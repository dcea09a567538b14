"""Counterexamples of the proofs: concrete hex values from a z3 model, JSON of
configurations and events, and the replay of a counterexample through
`model.step` (so every reported failure is a real run of the table)."""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from checker.proofs.claims import HEX, all_of, any_of
from checker.proofs.symbolic import RESET_STATES, Branch, SymSegment, boolean, bv, evaluate_in
from checker.result import NotChecked
from checker.solving import satisfiable
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Receive, Segment, Send, Status, Timeout
from model.machine import Model
from model.rows import SEGMENT, Row
from model.state import State


def hexbrief(seg: Segment) -> str:
    """RFC figure notation with hex numbers: <SEQ=0x..><ACK=0x..><CTL=..><DATA=n>."""
    out = f"<SEQ={HEX(seg.seq)}>"
    if seg.ackf:
        out += f"<ACK={HEX(seg.ack)}>"
    if seg.flags():
        out += f"<CTL={seg.flags()}>"
    if seg.data:
        out += f"<DATA={seg.data}>"
    return out


class HexSegment(Segment):
    """A Segment whose brief() prints hex (for checker.generate.ladder)."""

    __slots__ = ()

    def brief(self) -> str:
        return hexbrief(self)


def cfg_json(cfg: Config) -> dict:
    return {"state": cfg.state.value, "passive": cfg.passive, "iss": cfg.iss, "irs": cfg.irs,
            "snd_una": cfg.snd_una, "snd_nxt": cfg.snd_nxt, "snd_wnd": cfg.snd_wnd,
            "rcv_nxt": cfg.rcv_nxt, "rcv_wnd": cfg.rcv_wnd}


def cfg_from_json(d: dict) -> Config:
    return Config(State(d["state"]), d["passive"], d["iss"], d["irs"], d["snd_una"], d["snd_nxt"],
                  d["snd_wnd"], d["rcv_nxt"], d["rcv_wnd"])


def cfg_hex(cfg: Config) -> str:
    if cfg.state in RESET_STATES:
        return f"{cfg.state} (ISS={HEX(cfg.iss)} RCV.WND={HEX(cfg.rcv_wnd)})"
    return (f"{cfg.state} ISS={HEX(cfg.iss)} IRS={HEX(cfg.irs)} SND.UNA={HEX(cfg.snd_una)} "
            f"SND.NXT={HEX(cfg.snd_nxt)} RCV.NXT={HEX(cfg.rcv_nxt)} RCV.WND={HEX(cfg.rcv_wnd)}"
            + (" PASSIVE" if cfg.passive else ""))


_TIMEOUT_OF = {"RETRANSMISSION-TIMEOUT": "retransmission", "USER-TIMEOUT": "user",
               "TIME-WAIT-TIMEOUT": "time-wait"}


def event_of_kind(kind: str, send_len=None, segment=None):
    if kind == "OPEN-ACTIVE":
        return Open(True)
    if kind == "OPEN-PASSIVE":
        return Open(False)
    if kind == "SEND":
        return Send(send_len)
    if kind == "CLOSE":
        return Close()
    if kind == "ABORT":
        return Abort()
    if kind == "RECEIVE":
        return Receive()
    if kind == "STATUS":
        return Status()
    if kind in _TIMEOUT_OF:
        return Timeout(_TIMEOUT_OF[kind])
    if kind == SEGMENT:
        return Arrive(segment)
    raise ValueError(f"unknown event kind {kind!r}")


def event_json(ev) -> dict:
    out = {"kind": ev.kind, "text": str(ev)}
    if isinstance(ev, Send):
        out["length"] = ev.length
    if isinstance(ev, Arrive):
        out["segment"] = ev.segment._asdict()
        out["text"] = "rcv " + hexbrief(ev.segment)
    if getattr(ev, "iss", None) is not None:
        out["iss"] = ev.iss
    return out


def event_from_json(d: dict):
    seg = Segment(**d["segment"]) if d.get("segment") else None
    ev = event_of_kind(d["kind"], d.get("length"), seg)
    if d.get("iss") is not None:
        ev = Arrive(ev.segment, d["iss"]) if isinstance(ev, Arrive) else Open(ev.active, d["iss"])
    return ev


def concrete_event(ev, m):
    iss = getattr(ev, "iss", None)
    iss = None if iss is None else evaluate_in(m, bv(iss))
    if isinstance(ev, Arrive):
        seg = ev.segment
        return Arrive(seg.concrete(m) if isinstance(seg, SymSegment) else seg, iss)
    if isinstance(ev, Open):
        return Open(ev.active, iss)
    if isinstance(ev, Send):
        return Send(evaluate_in(m, bv(ev.length)))
    return ev


def _solver_of(facts, conds, timeout_ms: int) -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*[boolean(f) for f in list(facts) + list(conds) if not (isinstance(f, bool) and f)])
    return s


def witness(facts, conds, timeout_ms: int = 60_000):
    """A z3 model of facts and conds, or None when they are unsat."""
    s = _solver_of(facts, conds, timeout_ms)
    return s.model() if satisfiable(s) else None


def consistent(facts, timeout_ms: int = 60_000) -> bool:
    """Whether facts are satisfiable; asks for no model (so that `mutate`'s
    memo can answer it again)."""
    return satisfiable(_solver_of(facts, [], timeout_ms))


def first_witness(facts, queries: list[list]):
    """(i, model) for the first of `queries` (each a list of conditions added
    to `facts`) that z3 can satisfy, or None when none can. One query over
    their disjunction settles the usual case, that none can (a proof); only
    a satisfiable disjunction is asked query by query, in order, so the
    counterexample is the one a query-per-branch loop would find."""
    if not queries or witness(facts, [any_of(*[all_of(*q) for q in queries])]) is None:
        return None
    for i, q in enumerate(queries):
        m = witness(facts, q)
        if m is not None:
            return i, m
    raise NotChecked("z3 satisfied a disjunction of queries but none of them alone")


def holds_in(m, cond) -> bool:
    if isinstance(cond, bool):
        return cond
    return bool(z3.is_true(m.eval(boolean(cond), model_completion=True)))


@dataclass
class Replay:
    """A counterexample replayed concretely: per event (side, event,
    Outcome or None when illegal/no row, A after, B after)."""

    steps: list = field(default_factory=list)
    start: dict = field(default_factory=dict)
    globals: list = field(default_factory=list)  # (A, B, toward A, toward B) after each event

    def final(self, side: str = "A") -> Config:
        return self.steps[-1][3 if side == "A" else 4] if self.steps else self.start[side]


def replay(model: Model, cex: dict) -> Replay:
    """Run a counterexample's events through `model.step` (the concrete,
    int evaluation of the same rows). One-endpoint counterexamples have a
    start config for A only; two-endpoint ones deliver the oldest segment
    of the channel (a reliable FIFO network) on a "deliver" event."""
    cur = {side: cfg_from_json(c) for side, c in cex["start"].items()}
    chan = {"A": [], "B": []}  # segments in flight toward A / toward B
    rep = Replay(start=dict(cur))
    for e in cex["events"]:
        side = e["side"]
        if e["kind"] == "deliver":
            seg = chan[side].pop(0)
            ev = Arrive(seg)
        else:
            ev = event_from_json(e)
        out = model.try_step(cur[side], ev)
        if out is not None:
            cur[side] = out.config
            other = "B" if side == "A" else "A"
            if other in chan:
                chan[other].extend(out.sent)
        rep.steps.append((side, ev, out, cur.get("A"), cur.get("B")))
        rep.globals.append((cur.get("A"), cur.get("B"), tuple(chan["A"]), tuple(chan["B"])))
    return rep


def values_hex(d: dict) -> dict:
    return {k: (HEX(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in d.items()}


def sym_values(m, named: dict) -> dict:
    return values_hex({k: evaluate_in(m, t) for k, t in named.items()})


def blame(m, branch: Branch, claims_at) -> Row | None:
    """The first fired row after which a claim fails (in model m)."""
    for row, st, env in branch.trace:
        if st in RESET_STATES:
            continue
        if any(not holds_in(m, c) for _, c in claims_at(st, env)):
            return row
    return branch.fired[-1] if branch.fired else None


def _step_text(model, cfg, ev, out, label) -> str:
    lines = [f"    {cfg_hex(cfg)}", f"    event: {event_json(ev)['text']}"]
    if out is None:
        lines.append("    (no row handles it)")
        return "\n".join(lines)
    lines.append(f"    rows fired: {', '.join(r.name for r in out.fired)}")
    for s in out.sent:
        lines.append(f"    sent: {hexbrief(s)}")
    lines.append(f"    -> {cfg_hex(out.config)}")
    lines.append(f"    broken: {label}")
    return "\n".join(lines)


def step_cex(model, why, row, label, cfg: Config, ev, extra_values=None) -> dict:
    out = model.try_step(cfg, ev)
    vals = {f"{k}": v for k, v in cfg.env().items() if k != "PASSIVE"}
    if isinstance(ev, Arrive):
        vals.update({f"SEG.{k.upper()}": v for k, v in ev.segment._asdict().items()})
    if isinstance(ev, Send):
        vals["SEND.LEN"] = ev.length
    if out is not None:
        vals.update({f"{k}'": v for k, v in out.config.env().items() if k != "PASSIVE"})
    vals.update(extra_values or {})
    return {"kind": "step", "why": why, "row": row.name if row is not None else None, "claim": label,
            "values": values_hex(vals), "start": {"A": cfg_json(cfg)},
            "events": [{"side": "A", **event_json(ev)}],
            "text": _step_text(model, cfg, ev, out, label)}
