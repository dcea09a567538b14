"""z3 proofs of the sequence-number properties of RFC 9293, for all 2^32
values of every sequence number, wraparound included.

Every proof reads the rows of the table (or of a variant): guards, emitted
segments and updates are evaluated on z3 BitVec(32) terms through the one
algebra `model.seq`, by `model.expr.to_z3` and the symbolic executor
`checker.symbolic` (which runs the rows exactly as `model.machine` does).
Nothing here restates a rule of the table; what is written here is the
claims, taken from the RFC text.

Each proof is a named check returning a `CheckResult`: PASS with what was
proved, or FAIL with a concrete counterexample (hex values, the row at
fault, and the events to replay it through `model.step`: see `replay`).

The proofs and their methods:

row-soundness (3.3.1, 3.3.2, 3.4): induction on one endpoint. For every
  state and every event, every branch of the table's rows (all of them,
  symbolic execution of the 3.10.7.4 pipeline included) maps a
  configuration satisfying the endpoint invariant to one satisfying it, and
  moves SND.NXT and RCV.NXT exactly as the ghost counters of the event say.
handshake (3.4, 3.5 Figures 6-7, 3.10.7.2-3.10.7.4): symbolic execution of
  every interleaving of the two-endpoint system (client/server and
  simultaneous open, reliable network) with symbolic ISS_A, ISS_B and
  windows; and of every path of the one-endpoint control graph from CLOSED
  to ESTABLISHED with arbitrary symbolic segments arriving.
close (3.6 Figures 12-13, 3.10.4, 3.10.7.4; MUST-13): symbolic execution
  of every interleaving of the two-endpoint system from the handshake to
  the end of the close, each side SENDing and CLOSing once (active/passive,
  simultaneous, half-close with data after the first FIN).
acceptability (3.4, 3.10.7.4 Table 6), comparison (3.4), reset-safety
  (3.10.7.4 second and fourth; RFC 5961 3.2, 4.2), retransmission (3.10.8,
  3.6): one z3 query per claim (per state).

All of them are unbounded in the 32-bit values: a claim is proved when z3
finds the negated claim `unsat` together with the path condition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import networkx as nx
import z3

from checker.result import FAIL, PASS, CheckResult
from checker.symbolic import (RESET_STATES, Branch, Executor, SymConfig, SymSegment, SymSent, bv,
                              boolean, evaluate_in, segment_facts)
from checker.wellformed import _fires, control_graph
from model import expr as X
from model import seq as Q
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import Model
from model.rows import SEGMENT, Row
from model.seq import MASK, HALF, _is_z3, add, eq, le, lt, ne, sub, ult
from model.state import OTHER_STATES, SYNCHRONIZED, State

S = State
HEX = "{:#010x}".format

# The largest receive window a TCP can offer (RFC 7323 2.3: window scale
# shift at most 14, so 2^30); RFC 9293 3.4 needs windows below 2^31 for the
# wrap-aware comparison to mean anything.
MAX_WINDOW = 1 << 30
# Unacknowledged sequence space: at most a window of data, plus SYN and FIN.
FLIGHT_BOUND = MAX_WINDOW + 2
MAX_DATA = 1 << 16  # octets in one segment (an IPv4 datagram), as checker.wellformed assumes

# 3.3.2: the states in which our FIN has been sent, and those in which the
# peer's FIN has been received ("connection termination request").
FIN_SENT = frozenset({S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
FIN_RCVD = frozenset({S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
# RCV.NXT is defined (the peer's SYN has been received): SYN-RECEIVED and
# the synchronized states (3.3.2, 3.10.7.4).
RCV_KNOWN = frozenset(OTHER_STATES)


# --- claims written for ints and z3 terms alike ---------------------------------

def _z(xs):
    return any(_is_z3(x) for x in xs)


def all_of(*xs):
    xs = [x for x in xs if not (isinstance(x, bool) and x)]
    if any(isinstance(x, bool) and not x for x in xs):
        return False
    if not xs:
        return True
    return z3.And(*[boolean(x) for x in xs]) if _z(xs) else all(xs)


def any_of(*xs):
    xs = [x for x in xs if not (isinstance(x, bool) and not x)]
    if any(isinstance(x, bool) and x for x in xs):
        return True
    if not xs:
        return False
    return z3.Or(*[boolean(x) for x in xs]) if _z(xs) else any(xs)


def neg(x):
    return z3.Not(x) if _is_z3(x) else not x


def implies(a, b):
    return any_of(neg(a), b)


def ule(a, b):
    """Unsigned a =< b (lengths, windows, distances: not sequence numbers)."""
    return any_of(ult(a, b), eq(a, b))


def bit(flag):
    """1 if the flag is set, else 0, as a 32-bit term or an int."""
    if _is_z3(flag):
        return z3.If(flag, bv(1), bv(0))
    return 1 if flag else 0


def fin_sent(state: State) -> int:
    return 1 if state in FIN_SENT else 0


def fin_rcvd(state: State) -> int:
    return 1 if state in FIN_RCVD else 0


# --- the endpoint invariant (proof 1, also the assumption of proofs 6, 7) ----

def endpoint_invariant(state: State, v: dict) -> list[tuple[str, object]]:
    """What holds of one endpoint's variables in `state`, as named claims
    (ints or z3 terms). Per state:

    CLOSED, LISTEN: no TCB (3.10.7.1; DECISIONS: entering CLOSED deletes the
      TCB, entering LISTEN starts a fresh one): IRS = SND.UNA = SND.NXT =
      SND.WND = RCV.NXT = 0; PASSIVE iff LISTEN.
    SYN-SENT: SND.UNA = ISS, SND.NXT = ISS + 1 (3.10.1: the SYN is the one
      octet sent).
    SYN-RECEIVED: SND.UNA = ISS, SND.NXT = ISS + 1, RCV.NXT = IRS + 1
      (3.10.7.2, 3.10.7.3: the SYNs are the only octets on each side).
    ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT:
      SND.UNA =< SND.NXT and SND.NXT - SND.UNA =< 2^30 (2^30 + 2 once our
      FIN is sent) < 2^31 (3.4: the unacknowledged space is at most a
      window of data, RFC 7323 2.3, plus SYN and FIN; below 2^31 the
      wrap-aware "=<" is meaningful);
      FIN-WAIT-2, TIME-WAIT: SND.UNA = SND.NXT (3.3.2: our FIN has been
      acknowledged); FIN-WAIT-1, CLOSING, LAST-ACK: SND.UNA != SND.NXT (our
      FIN is still outstanding).
    In all these states the ghost equations (3.3.1, 3.4: every octet and
    each SYN and FIN occupy one sequence number)
        SND.NXT = ISS + 1 + Q + F        RCV.NXT = IRS + 1 + D + R
    hold, Q the octets queued by SEND, F = 1 iff FIN sent (state above),
    D the octets delivered, R = 1 iff the peer's FIN was received (CLOSE-
    WAIT, CLOSING, LAST-ACK, TIME-WAIT). Q and D are not variables of the
    table: `step_claims` checks that each event changes SND.NXT and
    RCV.NXT exactly by what it queues, sends, delivers and receives.
    """
    una, nxt, iss = v["SND.UNA"], v["SND.NXT"], v["ISS"]
    out = []
    if state in RESET_STATES:
        for k in ("IRS", "SND.UNA", "SND.NXT", "SND.WND", "RCV.NXT"):
            out.append((f"no TCB in {state}: {k} = 0", eq(v[k], 0)))
        p = v["PASSIVE"]
        out.append((f"PASSIVE iff LISTEN ({state})", p if state is S.LISTEN else neg(p)))
        return out
    if state in (S.SYN_SENT, S.SYN_RECEIVED):
        out.append((f"{state}: SND.UNA = ISS", eq(una, iss)))
        out.append((f"{state}: SND.NXT = ISS + 1", eq(nxt, add(iss, 1))))
        if state is S.SYN_RECEIVED:
            out.append(("SYN-RECEIVED: RCV.NXT = IRS + 1", eq(v["RCV.NXT"], add(v["IRS"], 1))))
        return out
    out.append((f"{state}: SND.UNA =< SND.NXT", le(una, nxt)))
    bound = FLIGHT_BOUND if state in FIN_SENT else MAX_WINDOW
    out.append((f"{state}: SND.NXT - SND.UNA =< {'2^30 + 2' if state in FIN_SENT else '2^30'} (< 2^31)",
                ule(sub(nxt, una), bound)))
    if state in (S.FIN_WAIT_2, S.TIME_WAIT):
        out.append((f"{state}: SND.UNA = SND.NXT (our FIN acknowledged)", eq(una, nxt)))
    if state in (S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK):
        out.append((f"{state}: SND.UNA != SND.NXT (our FIN outstanding)", ne(una, nxt)))
    return out


def environment_facts(v: dict, seg: dict | None = None, send_len=None) -> list:
    """What the environment guarantees (not the table): a window fits RFC
    7323's 2^30; a segment carries fewer than 2^16 octets; the user SENDs
    only while the unacknowledged data stays within a window (3.8.6: the
    model sends at once, so this is the user's side of flow control)."""
    out = [ule(v["RCV.WND"], MAX_WINDOW)]
    if seg is not None:
        out.append(ult(seg["SEG.DATA"], MAX_DATA))
    if send_len is not None:
        out += [ule(send_len, MAX_WINDOW), ule(add(sub(v["SND.NXT"], v["SND.UNA"]), send_len), MAX_WINDOW)]
    return out


def step_claims(pre_state: State, pre: dict, kind: str, post_state: State, post: dict,
                seg: dict | None = None, send_len=None, error: str | None = None) -> list[tuple[str, object]]:
    """The claims about one event (ints or z3 terms): the invariant holds
    afterwards, and the ghost counters move as the event means (3.3.1, 3.4).

    - Q grows by SEND.LEN on an accepted SEND (3.10.2), F becomes 1 on an
      accepted CLOSE (3.10.4) and never returns to 0:
      SND.NXT' = ISS + 1 + Q + queued + F'.
    - D grows by the octets d delivered in order from this segment: d =<
      SEG.DATA, d =< RCV.WND, the octets [start, start + d) lie in the
      segment's text [SEG.SEQ + SYN, SEG.SEQ + SYN + SEG.DATA) (3.4: the
      SYN occupies the number before the first data octet), where start is
      RCV.NXT before the event (IRS + 1 for the segment that brings the SYN).
    - R becomes 1 only on a segment with FIN whose FIN is the number right
      after the data delivered (3.4: the FIN occupies the number after the
      last data octet): SEG.SEQ + SYN + SEG.DATA = start + d. It never
      returns to 0.
    - IRS is the sequence number of the peer's SYN (3.3.1) and never
      changes once known; ISS and RCV.WND never change.
    """
    out = list(endpoint_invariant(post_state, post))
    out.append(("ISS unchanged", eq(post["ISS"], pre["ISS"])))
    out.append(("RCV.WND unchanged", eq(post["RCV.WND"], pre["RCV.WND"])))
    if post_state in RESET_STATES:
        return out
    # Sender: SND.NXT = ISS + 1 + Q + F.
    if pre_state in RESET_STATES:
        q, f = 0, 0
    else:
        f = fin_sent(pre_state)
        q = sub(sub(pre["SND.NXT"], add(pre["ISS"], 1)), f)
    queued = send_len if (kind == "SEND" and error is None and send_len is not None) else 0
    closing = kind == "CLOSE" and error is None
    f_post = fin_sent(post_state)
    out.append(("FIN sent only by CLOSE and never undone",
                f_post == (1 if (f or closing) else 0)))
    out.append(("SND.NXT = ISS + 1 + queued data + FIN",
                eq(post["SND.NXT"], add(add(add(post["ISS"], 1), add(q, queued)), f_post))))
    # Receiver: RCV.NXT = IRS + 1 + D + R.
    if post_state not in RCV_KNOWN:
        return out
    data = seg["SEG.DATA"] if seg is not None else 0
    if pre_state in RCV_KNOWN:
        d0, r0, start = sub(sub(pre["RCV.NXT"], add(pre["IRS"], 1)), fin_rcvd(pre_state)), fin_rcvd(pre_state), pre["RCV.NXT"]
        out.append(("IRS never changes once known", eq(post["IRS"], pre["IRS"])))
    else:
        d0, r0, start = 0, 0, add(post["IRS"], 1)
        out.append(("IRS = SEG.SEQ of the peer's SYN",
                    all_of(seg is not None, seg is not None and seg["CTL.SYN"],
                           seg is not None and eq(post["IRS"], seg["SEG.SEQ"]))))
    r1 = fin_rcvd(post_state)
    d = sub(sub(sub(post["RCV.NXT"], add(post["IRS"], 1)), r1), d0)
    out.append(("octets delivered =< SEG.DATA", ule(d, data)))
    out.append(("octets delivered =< RCV.WND", ule(d, post["RCV.WND"])))
    if seg is not None:
        first = add(seg["SEG.SEQ"], bit(seg["CTL.SYN"]))
        out.append(("octets delivered are the segment's, in order",
                    implies(ne(d, 0), all_of(le(first, start), le(add(start, d), add(first, data))))))
    out.append(("FIN received is never undone", r1 >= r0))
    if r1 > r0:
        ok = seg is not None and all_of(seg["CTL.FIN"], eq(add(add(seg["SEG.SEQ"], bit(seg["CTL.SYN"])), data),
                                                         add(start, d)))
        out.append(("a FIN is received only at the number after the data", ok))
    return out


# --- counterexamples: concrete values, JSON, replay through model.step -------------

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
    """A Segment whose brief() prints hex (for checker.ladder)."""

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
    return out


def event_from_json(d: dict):
    seg = Segment(**d["segment"]) if d.get("segment") else None
    return event_of_kind(d["kind"], d.get("length"), seg)


def concrete_event(ev, m):
    if isinstance(ev, Arrive):
        seg = ev.segment
        return Arrive(seg.concrete(m) if isinstance(seg, SymSegment) else seg)
    if isinstance(ev, Send):
        return Send(evaluate_in(m, bv(ev.length)))
    return ev


def witness(facts, conds, timeout_ms: int = 60_000):
    """A z3 model of facts and conds, or None when they are unsat."""
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(*[boolean(f) for f in facts if not (isinstance(f, bool) and f)])
    s.add(*[boolean(c) for c in conds if not (isinstance(c, bool) and c)])
    r = s.check()
    if r == z3.unknown:
        raise RuntimeError(f"z3 gave up: {s.reason_unknown()}")
    return s.model() if r == z3.sat else None


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
    return rep


def values_hex(d: dict) -> dict:
    return {k: (HEX(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in d.items()}


def _sym_values(m, named: dict) -> dict:
    return values_hex({k: evaluate_in(m, t) for k, t in named.items()})


def _blame(m, branch: Branch, claims_at) -> Row | None:
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


def _step_cex(model, why, row, label, cfg: Config, ev, extra_values=None) -> dict:
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


# --- shared set-up of one symbolic endpoint ------------------------------------------

def symbolic_endpoint(state: State, prefix: str = "") -> tuple[SymConfig, list]:
    """A symbolic configuration in `state` and the facts it satisfies: the
    endpoint invariant and the environment (CLOSED and LISTEN: the fresh
    TCB, with symbolic ISS and RCV.WND)."""
    if state in RESET_STATES:
        c = SymConfig.closed(z3.BitVec(prefix + "ISS", 32), z3.BitVec(prefix + "RCV.WND", 32))
        if state is S.LISTEN:
            c = SymConfig(S.LISTEN, {**c.v, "PASSIVE": True})
    else:
        c = SymConfig.symbolic(state, prefix)
    facts = [f for _, f in endpoint_invariant(state, c.v)] + environment_facts(c.v)
    return c, facts


def symbolic_event(kind: str, cfg: SymConfig, prefix: str = "") -> tuple[object, list]:
    """A symbolic event of `kind` and the environment's facts about it."""
    if kind == SEGMENT:
        seg = SymSegment.symbolic(prefix + "SEG.")
        return Arrive(seg), environment_facts(cfg.v, seg.env())[1:]
    if kind == "SEND":
        n = z3.BitVec(prefix + "SEND.LEN", 32)
        return Send(n), environment_facts(cfg.v, None, n)[1:]
    return event_of_kind(kind), []


def event_kinds(model: Model, state: State) -> list[str]:
    kinds = sorted({on for (st, on) in model.index if st is state})
    out = [SEGMENT] if any(k.startswith(SEGMENT) for k in kinds) else []
    return out + [k for k in kinds if not k.startswith(SEGMENT)]


def _sym_claim_inputs(ev):
    seg = ev.segment.env() if isinstance(ev, Arrive) else None
    n = ev.length if isinstance(ev, Send) else None
    return seg, n


def _concrete_claim_inputs(ev):
    from model.machine import segment_env

    seg = segment_env(ev.segment) if isinstance(ev, Arrive) else None
    n = ev.length if isinstance(ev, Send) else None
    return seg, n


def concrete_step_claims(cfg: Config, ev, out) -> list[tuple[str, bool]]:
    """`step_claims` on the concrete outcome of `model.step` (for replays)."""
    seg, n = _concrete_claim_inputs(ev)
    return step_claims(cfg.state, cfg.env(), ev.kind, out.config.state, out.config.env(), seg, n, out.error)


# --- proof 1: row soundness --------------------------------------------------------

def prove_row_soundness(model: Model) -> CheckResult:
    """Induction over one endpoint (3.3.1, 3.3.2, 3.4): for every state,
    every event and every branch of the rows that handle it (first match,
    the 3.10.7.4 pipeline, aggregated ACK, TCB reset), from any values
    satisfying `endpoint_invariant` and `environment_facts`, the outcome
    satisfies `step_claims`. Unbounded in all 32-bit values; each branch
    is one z3 query."""
    t0 = time.perf_counter()
    name, ref = "row-soundness", "3.3.1, 3.3.2, 3.4, 3.10 (endpoint invariant preserved by every row)"
    n_branches = 0
    rows_seen: set[str] = set()
    for state in State:
        for kind in event_kinds(model, state):
            cfg, facts = symbolic_endpoint(state)
            ev, efacts = symbolic_event(kind, cfg)
            facts = facts + efacts
            ex = Executor(model, facts)
            seg, n = _sym_claim_inputs(ev)
            for br in ex.step(cfg, ev):
                if br.illegal:
                    continue
                n_branches += 1
                rows_seen.update(r.name for r in br.fired)
                claims = step_claims(state, cfg.v, kind, br.config.state, br.config.v, seg, n, br.error)
                m = witness(facts + br.cond, [neg(all_of(*[c for _, c in claims]))])
                if m is None:
                    continue
                label = next(lab for lab, c in claims if not holds_in(m, c))

                def at(st, env, _s=state, _k=kind, _seg=seg, _n=n, _e=br.error):
                    return step_claims(_s, cfg.v, _k, st, env, _seg, _n, _e)

                row = _blame(m, br, at)
                ccfg, cev = cfg.concrete(m), concrete_event(ev, m)
                why = (f"row {model.row_index(row)} {row.describe()} breaks '{label}'" if row
                       else f"{state} {kind} breaks '{label}'")
                res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0,
                                  {"branches": n_branches})
                res.counterexample = _step_cex(model, why, row, label, ccfg, cev)
                return res
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 values of every variable and segment field: "
                       f"{n_branches} branches of {len(rows_seen)} rows keep the invariant",
                       time.perf_counter() - t0, {"branches": n_branches, "rows": len(rows_seen)})
