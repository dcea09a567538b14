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
finds the negated claim `unsat` together with the path condition. Proofs 2
and 3 use symbolic execution of every path of the finite control graph of
the two-endpoint system (not induction): finite because each user call
happens once and the network is reliable and FIFO, without timeouts; loss,
duplication, reordering and retransmission are the business of the graph
checks of `verify` (concrete ISS values), and one-endpoint retransmission is
proof 7.

Assumptions (the environment, not the table; `environment_facts`): receive
windows are at most 2^30 (RFC 7323 2.3), a segment carries fewer than 2^16
octets, and the user SENDs only while the unacknowledged data stays within
2^30. Proof 3 also assumes windows of at least 2^16, so that no segment is
cut (nothing is retransmitted there).

Two devices keep z3 fast without weakening any claim: variables are
introduced as a base plus a free offset (SEG.SEQ = RCV.NXT + o, SEG.ACK =
SND.UNA + a, SND.NXT = SND.UNA + n), a bijective change of variables that
still ranges over every 32-bit value; and the executor splits a branch on
the condition of an if-then-else inside an update (e.g. the "smaller of"
of the text step), so that terms stay plain sums.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from checker.result import FAIL, NA, PASS, CheckResult
from checker.symbolic import (RESET_STATES, Branch, Executor, SymConfig, SymSegment, bv,
                              boolean, evaluate_in, segment_facts)
from checker.wellformed import _fires, state_facts
from model import expr as X
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import Model
from model.rows import SEGMENT, Row
from model.seq import HALF, _is_z3, add, eq, le, lt, ne, sub, ult
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
    TCB, with symbolic ISS and RCV.WND).

    SND.NXT is written SND.UNA + (SND.NXT-SND.UNA) with a free offset: a
    bijective change of variables (every pair of 32-bit values is still
    covered) that lets z3 cancel the base in the wrap-aware comparisons,
    which are all on differences."""
    if state in RESET_STATES:
        c = SymConfig.closed(z3.BitVec(prefix + "ISS", 32), z3.BitVec(prefix + "RCV.WND", 32))
        if state is S.LISTEN:
            c = SymConfig(S.LISTEN, {**c.v, "PASSIVE": True})
    else:
        c = SymConfig.symbolic(state, prefix)
        v = dict(c.v)
        v["SND.NXT"] = v["SND.UNA"] + z3.BitVec(prefix + "SND.NXT-SND.UNA", 32)
        c = SymConfig(state, v)
    facts = [f for _, f in endpoint_invariant(state, c.v)] + environment_facts(c.v)
    return c, facts


def vacuous(name, ref, t0, state, facts) -> CheckResult | None:
    """A FAIL if the assumptions about `state` are contradictory (then every
    claim would be proved vacuously)."""
    if witness(facts, []) is not None:
        return None
    return CheckResult(name, ref, FAIL, f"FAILED: the invariant of {state} is contradictory (a vacuous proof)",
                       time.perf_counter() - t0, counterexample={"kind": "facts", "why": f"no configuration "
                       f"in {state} satisfies the invariant", "row": None, "values": {}, "text": ""})


def symbolic_segment(cfg: SymConfig, prefix: str = "") -> SymSegment:
    """An arbitrary segment arriving at `cfg`: SEG.SEQ = RCV.NXT + offset,
    SEG.ACK = SND.UNA + offset (free offsets: again a bijective change of
    variables), every other field and flag free."""
    s = SymSegment.symbolic(prefix + "SEG.")
    return SymSegment(cfg.v["RCV.NXT"] + z3.BitVec(prefix + "SEG.SEQ-RCV.NXT", 32),
                      cfg.v["SND.UNA"] + z3.BitVec(prefix + "SEG.ACK-SND.UNA", 32),
                      s.syn, s.ackf, s.fin, s.rst, s.data, s.wnd)


def symbolic_event(kind: str, cfg: SymConfig, prefix: str = "") -> tuple[object, list]:
    """A symbolic event of `kind` and the environment's facts about it."""
    if kind == SEGMENT:
        seg = symbolic_segment(cfg, prefix)
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
        bad = vacuous(name, ref, t0, state, symbolic_endpoint(state)[1])
        if bad:
            return bad
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
    # Rows no branch reaches: their guard contradicts the invariant (e.g. a
    # new ACK in FIN-WAIT-2, where SND.UNA = SND.NXT): reported, not a failure.
    never = [r.name for r in model.rows if r.name not in rows_seen]
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 values of every variable and segment field: "
                       f"{n_branches} branches of {len(rows_seen)} rows keep the invariant",
                       time.perf_counter() - t0, {"branches": n_branches, "rows": len(rows_seen),
                                                  "rows_unreachable_under_invariant": never})


# --- symbolic execution of the two-endpoint system (proofs 2 and 3) ------------------

SIDES = ("A", "B")


def _other(side: str) -> str:
    return "B" if side == "A" else "A"


@dataclass
class GNode:
    """A global state of the symbolic two-endpoint system: both endpoints,
    the segments in flight toward each (a reliable FIFO network), the user
    calls still to come, the proof's ghost bookkeeping and the path
    condition."""

    cfg: dict
    inbox: dict
    calls: dict
    ghost: dict
    pc: list
    parent: "GNode | None" = None
    move: tuple | None = None  # (side, kind, event, branch)
    depth: int = 0

    def key(self) -> tuple:
        """Equal keys: the same state (terms compared as written, the path
        condition as a set). Computed once: the node's identity."""
        k = self.__dict__.get("_key")
        if k is None:
            g = tuple(sorted((s, n, _gkey(v)) for s in self.ghost for n, v in self.ghost[s].items()))
            k = (tuple(self.cfg[s].key() for s in SIDES),
                 tuple(tuple(x.segment().key() + (tuple(sorted(x.flags)),) for x in self.inbox[s]) for s in SIDES),
                 tuple(self.calls[s] for s in SIDES), g,
                 tuple(sorted({boolean(c).sexpr() for c in self.pc})))
            self.__dict__["_key"] = k
        return k

    def path(self) -> list:
        out, n = [], self
        while n.parent is not None:
            out.append(n)
            n = n.parent
        return out[::-1]


def _gkey(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, State):
        return v.value
    if isinstance(v, dict):
        return tuple(sorted((k, _gkey(x)) for k, x in v.items()))
    return v.sexpr()


@dataclass
class Scenario:
    """Who may call what (each call once, in any order, when `allowed`),
    under which assumptions, and the claims checked on every move and at
    every end of a path."""

    name: str
    start: dict  # side -> SymConfig
    calls: dict  # side -> tuple of event kinds
    facts: list
    named: dict  # printable name -> z3 term (the free values)
    send_len: dict = field(default_factory=dict)
    allowed: object = None  # (side, state, kind) -> bool
    on_move: object = None  # (parent, child, side, kind, event, branch) -> [(label, cond, row)]
    at_end: object = None  # (node) -> [(label, cond, row)]
    tags: object = None  # (node) -> set of tags of a finished path
    required: tuple = ()  # tags that must finish for every value of the free variables
    max_depth: int = 40


@dataclass
class Explored:
    nodes: int = 0
    edges: int = 0
    paths: int = 0
    terminals: int = 0
    tagged: dict = field(default_factory=dict)  # tag -> [pc of finished paths]
    violation: dict | None = None


class Violation(Exception):
    pass


def explore_symbolic(model: Model, scen: Scenario) -> Explored:
    """Every interleaving of user calls and deliveries, each delivery and
    call run through `checker.symbolic` (all branches). States met twice
    (same terms, same path condition) are expanded once; claims are about
    moves and path ends, so this covers every path."""
    ex = Executor(model, scen.facts)
    root = GNode(dict(scen.start), {s: () for s in SIDES}, {s: tuple(scen.calls.get(s, ())) for s in SIDES},
                 {s: {} for s in SIDES}, [])
    seen = {root.key(): root}
    children: dict = {}
    res = Explored()
    stack = [root]
    terminals = []
    while stack:
        n = stack.pop()
        nk = n.key()
        kids = []
        for side in SIDES:
            cfg = n.cfg[side]
            for kind in dict.fromkeys(n.calls[side]):
                if scen.allowed is not None and not scen.allowed(side, cfg.state, kind):
                    continue
                ev = event_of_kind(kind, scen.send_len.get(side))
                for br in ex.step(cfg, ev, n.pc):
                    if br.illegal or br.error is not None:
                        continue  # no row, or an error response: no move
                    rest = list(n.calls[side])
                    rest.remove(kind)
                    kids.append(_child(n, side, kind, ev, br, tuple(rest)))
            if n.inbox[side]:
                ev = Arrive(n.inbox[side][0].segment())
                for br in ex.step(cfg, ev, n.pc):
                    if br.illegal:
                        continue
                    kids.append(_child(n, side, "deliver", ev, br, n.calls[side]))
        children[nk] = []
        for child in kids:
            side, kind, ev, br = child.move
            claims = scen.on_move(n, child, side, kind, ev, br) if scen.on_move else []
            _check(scen, child, claims, res)
            if res.violation:
                return res
            ck = child.key()
            children[nk].append((ck, child))
            res.edges += 1
            if ck not in seen:
                if child.depth > scen.max_depth:
                    res.violation = _composed_cex(model, scen, child, f"a path longer than {scen.max_depth} "
                                                  "moves: not explored", None, witness(scen.facts, child.pc))
                    return res
                seen[ck] = child
                stack.append(child)
        if not kids:
            terminals.append(n)
            claims = scen.at_end(n) if scen.at_end else []
            _check(scen, n, claims, res)
            if res.violation:
                return res
            for t in (scen.tags(n) if scen.tags else ()):
                res.tagged.setdefault(t, []).append(n)
    res.nodes, res.terminals = len(seen), len(terminals)
    # paths: count the root-to-end paths of the graph of states, which must
    # be acyclic (a cycle is an endless exchange: infinitely many paths)
    indeg = {k: 0 for k in seen}
    for k in children:
        for ck, _ in children[k]:
            indeg[ck] += 1
    order, ready = [], [k for k, d in indeg.items() if d == 0]
    while ready:
        k = ready.pop()
        order.append(k)
        for ck, _ in children.get(k, []):
            indeg[ck] -= 1
            if indeg[ck] == 0:
                ready.append(ck)
    if len(order) < len(seen):
        res.violation = _cycle_cex(scen, seen, children, {k for k, d in indeg.items() if d > 0})
        return res
    npaths: dict = {}
    for k in reversed(order):
        kids = children.get(k, [])
        npaths[k] = 1 if not kids else sum(npaths[ck] for ck, _ in kids)
    res.paths = npaths[root.key()]
    # every required kind of path finishes, for every value of the free variables
    for tag in scen.required:
        nodes = res.tagged.get(tag, [])
        covered = any_of(*[all_of(*n.pc) for n in nodes]) if nodes else False
        m = witness(scen.facts, [neg(covered)])
        if m is not None:
            res.violation = _uncovered_cex(model, scen, tag, m)
            return res
    return res


def _child(n: GNode, side, kind, ev, br: Branch, calls) -> GNode:
    cfg = dict(n.cfg)
    cfg[side] = br.config
    inbox = dict(n.inbox)
    if kind == "deliver":
        inbox[side] = inbox[side][1:]
    other = _other(side)
    inbox[other] = inbox[other] + tuple(br.sent)
    c = dict(n.calls)
    c[side] = calls
    ghost = {s: dict(g) for s, g in n.ghost.items()}
    return GNode(cfg, inbox, c, ghost, n.pc + list(br.cond), n, (side, kind, ev, br), n.depth + 1)


def _check(scen: Scenario, node: GNode, claims, res: Explored) -> None:
    for label, cond, row in claims:
        if isinstance(cond, bool) and cond:
            continue
        if not isinstance(cond, bool) and z3.is_true(z3.simplify(cond)):
            continue
        m = witness(scen.facts, node.pc + [neg(cond)])
        if m is not None:
            res.violation = _composed_cex(None, scen, node, label, row, m)
            return


def _trace_states(br: Branch, before: State) -> list[tuple[Row, State, State, dict]]:
    """(row, state before the row, state after, variables after) per fired row."""
    out, cur = [], before
    for row, st, env in br.trace:
        out.append((row, cur, st, env))
        cur = st
    return out


def _cycle_cex(scen: Scenario, seen: dict, children: dict, left: set) -> dict:
    """A path from the start into a cycle of states, and once round it."""
    k = next(iter(left))
    walk, at = [], {}
    while k not in at:  # follow edges inside the cyclic part until a state repeats
        at[k] = len(walk)
        ck, child = next((ck, c) for ck, c in children[k] if ck in left)
        walk.append(child)
        k = ck
    loop = walk[at[k]:]
    nodes = seen[k].path() + loop
    pc = [c for n in nodes for c in n.move[3].cond]
    m = witness(scen.facts, seen[k].pc + pc)
    return _composed_cex(None, scen, nodes, "every path ends: here the system returns to a state it was in "
                         "(an endless exchange)", loop[-1].move[3].fired[-1] if loop[-1].move[3].fired else None, m)


def _composed_cex(model, scen: Scenario, node, label: str, row, m) -> dict:
    """A two-endpoint counterexample: concrete free values from z3 model m,
    the events of the path (`node`: a GNode, or the list of nodes whose
    moves make the path), and (filled in by `_finish_cex`) the ladder."""
    events = []
    for n in (node if isinstance(node, list) else node.path()):
        side, kind, ev, br = n.move
        if kind == "deliver":
            events.append({"side": side, "kind": "deliver", "segment": ev.segment.concrete(m)._asdict(),
                           "rows": [r.name for r in br.fired]})
        else:
            events.append({"side": side, **event_json(concrete_event(ev, m)),
                           "rows": [r.name for r in br.fired]})
    start = {s: cfg_json(scen.start[s].concrete(m)) for s in SIDES}
    why = f"{scen.name}: {label}"
    rowname = row.name if isinstance(row, Row) else row
    if rowname:
        why += f" (row {rowname})"
    return {"kind": "ladder", "why": why, "claim": label, "row": rowname, "scenario": scen.name,
            "values": _sym_values(m, scen.named), "start": start, "events": events}


def _uncovered_cex(model, scen: Scenario, tag: str, m) -> dict:
    """No path of kind `tag` finishes for the values of model m: show the
    concrete run that makes every call as early as possible and delivers
    in turn (A first), through `model.step`."""
    start = {s: scen.start[s].concrete(m) for s in SIDES}
    cur, chan, calls = dict(start), {"A": [], "B": []}, {s: list(scen.calls.get(s, ())) for s in SIDES}
    events, last_row, culprit = [], None, None

    def note(out):
        nonlocal last_row, culprit
        if out is None:
            return
        for r in out.fired:
            last_row = r.name
            if culprit is None and (r.target in RESET_STATES and r.state not in RESET_STATES
                                    or any("RST" in e.flags for e in r.emit)):
                culprit = r.name  # the first row that gives the connection up

    for _ in range(4 * scen.max_depth):
        moved = False
        for side in SIDES:
            for kind in list(calls[side]):
                if scen.allowed is not None and not scen.allowed(side, cur[side].state, kind):
                    continue
                n = scen.send_len.get(side)
                ev = event_of_kind(kind, evaluate_in(m, n) if n is not None else None)
                out = model.try_step(cur[side], ev)
                if out is None or out.error is not None:
                    continue
                calls[side].remove(kind)
                cur[side] = out.config
                chan[_other(side)].extend(out.sent)
                events.append({"side": side, **event_json(ev), "rows": [r.name for r in out.fired]})
                note(out)
                moved = True
        for side in SIDES:
            if chan[side]:
                seg = chan[side].pop(0)
                out = model.try_step(cur[side], Arrive(seg))
                if out is not None:
                    cur[side] = out.config
                    chan[_other(side)].extend(out.sent)
                note(out)
                events.append({"side": side, "kind": "deliver", "segment": seg._asdict(),
                               "rows": [r.name for r in out.fired] if out else []})
                moved = True
        if not moved:
            break
    return {"kind": "ladder", "why": f"{scen.name}: for these values no path of kind '{tag}' finishes "
                                     f"(the run below ends {cur['A'].state} / {cur['B'].state})",
            "claim": f"a '{tag}' path finishes for all values", "row": culprit or last_row, "scenario": scen.name,
            "values": _sym_values(m, scen.named), "start": {s: cfg_json(start[s]) for s in SIDES},
            "events": events}


def _finish_cex(model: Model, cex: dict) -> dict:
    """Replay through `model.step` and draw the ladder (checker.ladder)."""
    from checker.explore import Budget, Global, Step
    from checker.ladder import ladder

    rep = replay(model, cex)
    vals = ", ".join(f"{k}={v}" for k, v in cex["values"].items())
    if "B" not in rep.start:  # one endpoint, arbitrary segments from the network
        lines = [f"values: {vals}", f"    {cfg_hex(rep.start['A'])}"]
        for i, (side, ev, out, a, _) in enumerate(rep.steps, 1):
            what = f"<-- {hexbrief(ev.segment)}" if isinstance(ev, Arrive) else str(ev)
            state = str(a.state) if out is not None else "(no row)"
            lines.append(f"{i:>3}. {state:<13} {what}   rows: {', '.join(r.name for r in out.fired) if out else '-'}")
            for x in (out.sent if out else ()):
                lines.append(f"{'':18}--> {hexbrief(x)}")
        lines.append(f"    -> {cfg_hex(rep.final('A'))}")
        if cex.get("row"):
            lines.append(f"row at fault: {cex['row']}; broken: {cex['claim']}")
        cex["text"] = "\n".join("    " + t for t in lines)
        return cex
    steps = []
    inflight = {"A": [], "B": []}
    b0 = Budget(0, 0, 0, 0)
    for (side, ev, out, a, b) in rep.steps:
        sent = tuple(HexSegment(*s) for s in out.sent) if out else ()
        rows = tuple(r.name for r in out.fired) if out else ()
        if isinstance(ev, Arrive):
            seg = HexSegment(*ev.segment)
            if inflight[side]:
                inflight[side].pop(0)
            st = Step("deliver", side, f"rcv {hexbrief(seg)}", seg, sent, rows)
        else:
            st = Step("call", side, str(ev), None, sent, rows)
        if out:
            inflight[_other(side)].extend(out.sent)
        g = Global(a, b if b is not None else a, tuple(inflight["B"]), tuple(inflight["A"]), b0, b0, 0)
        steps.append((st, g))
    start = rep.start
    g0 = Global(start["A"], start.get("B", start["A"]), (), (), b0, b0, 0)
    text = ladder(steps, g0)
    cex["text"] = f"    values: {vals}\n" + "\n".join("    " + t for t in text.splitlines())
    if cex.get("row"):
        cex["text"] += f"\n    row at fault: {cex['row']}; broken: {cex['claim']}"
    return cex


# --- proof 2: handshake ------------------------------------------------------------

def _two_endpoints(b_listens: bool = False, wnd_min: int = 0):
    """Endpoints A and B with symbolic ISS and receive windows."""
    iss = {s: z3.BitVec(f"ISS_{s}", 32) for s in SIDES}
    wnd = {s: z3.BitVec(f"RCV.WND_{s}", 32) for s in SIDES}
    start = {s: SymConfig.closed(iss[s], wnd[s]) for s in SIDES}
    if b_listens:
        start["B"] = SymConfig(S.LISTEN, {**start["B"].v, "PASSIVE": True})
    facts = []
    for s in SIDES:
        facts += [ule(wnd[s], MAX_WINDOW), ule(wnd_min, wnd[s])]
    named = {f"ISS_{s}": iss[s] for s in SIDES} | {f"RCV.WND_{s}": wnd[s] for s in SIDES}
    return iss, wnd, start, facts, named


def _entered(br: Branch, before: State, target: State):
    """The first (row, variables) of a branch at which it enters `target`."""
    for row, st0, st, env in _trace_states(br, before):
        if st is target and st0 is not target:
            return row, env
    return None


def _handshake_scenario(name: str, b_active: bool) -> Scenario:
    iss, wnd, start, facts, named = _two_endpoints()

    def on_move(n, child, side, kind, ev, br):
        me, peer = side, _other(side)
        out = []
        for s in br.sent:
            if "SYN" in s.flags:
                out.append(("a SYN is sent at ISS with no data (DECISIONS: no data on SYN)",
                            all_of(eq(s.seq, iss[me]), eq(s.data, 0)), s.by))
            if "ACK" in s.flags:
                out.append(("the ACK of a SYN is its ISN + 1", eq(s.ack, add(iss[peer], 1)), s.by))
        hit = _entered(br, n.cfg[side].state, S.ESTABLISHED)
        if hit:
            row, env = hit
            if isinstance(ev, Arrive):
                seg = ev.segment
                out.append(("the segment completing the handshake acknowledges ISN + 1",
                            all_of(seg.ackf, eq(seg.ack, add(iss[me], 1))), row))
            out.append(("entering ESTABLISHED: SND.UNA = SND.NXT = ISS + 1",
                        all_of(eq(env["SND.UNA"], add(iss[me], 1)), eq(env["SND.NXT"], add(iss[me], 1))), row))
            out.append(("entering ESTABLISHED: IRS = peer's ISS, RCV.NXT = peer's ISS + 1",
                        all_of(eq(env["IRS"], iss[peer]), eq(env["RCV.NXT"], add(iss[peer], 1))), row))
        g = child.ghost[side]
        g["syn-received"] = bool(g.get("syn-received")) or any(st is S.SYN_RECEIVED for _, _, st, _ in
                                                               _trace_states(br, n.cfg[side].state))
        a, b = child.cfg["A"], child.cfg["B"]
        if a.state is S.ESTABLISHED and b.state is S.ESTABLISHED:
            last = br.fired[-1] if br.fired else None
            out.append(("both ESTABLISHED: A.SND.NXT = B.RCV.NXT = ISS_A + 1",
                        all_of(eq(a.v["SND.NXT"], add(iss["A"], 1)), eq(b.v["RCV.NXT"], add(iss["A"], 1))), last))
            out.append(("both ESTABLISHED: B.SND.NXT = A.RCV.NXT = ISS_B + 1",
                        all_of(eq(b.v["SND.NXT"], add(iss["B"], 1)), eq(a.v["RCV.NXT"], add(iss["B"], 1))), last))
        return out

    def tags(n):
        a, b = n.cfg["A"], n.cfg["B"]
        if a.state is S.ESTABLISHED and b.state is S.ESTABLISHED and not n.inbox["A"] and not n.inbox["B"]:
            t = {"both ESTABLISHED"}
            if n.ghost["A"].get("syn-received") and n.ghost["B"].get("syn-received"):
                t.add("SYNs crossing (both through SYN-RECEIVED)")
            return t
        return set()

    return Scenario(name, start, {"A": ("OPEN-ACTIVE",), "B": ("OPEN-ACTIVE" if b_active else "OPEN-PASSIVE",)},
                    facts, named, on_move=on_move, tags=tags,
                    required=("both ESTABLISHED",) + (("SYNs crossing (both through SYN-RECEIVED)",)
                                                      if b_active else ()))


def _handshake_one_endpoint(model: Model) -> tuple[dict | None, int]:
    """Every simple path of one endpoint's control graph from CLOSED into
    ESTABLISHED, each arriving segment arbitrary (symbolic: an old
    duplicate, a forgery, the peer's): the segment that completes the
    handshake acknowledges ISS + 1 (3.10.7.3 fourth, 3.10.7.4 fifth; RFC 793
    errata 3300, 3301) and the variables are those of a fresh connection.
    Simple paths suffice: the rows that keep an endpoint in SYN-SENT or
    SYN-RECEIVED change none of SND.UNA, SND.NXT, IRS, RCV.NXT (proof 1,
    row-soundness, pins SND.UNA and SND.NXT there and proves IRS and
    RCV.NXT unchanged once the SYN is in)."""
    iss, wnd = z3.BitVec("ISS", 32), z3.BitVec("RCV.WND", 32)
    facts = [ule(wnd, MAX_WINDOW)]
    ex = Executor(model, facts)
    paths = 0
    handshake = (S.CLOSED, S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED)

    def walk(cfg: SymConfig, pc, seen, events, depth, segfacts):
        nonlocal paths
        kinds = [k for k in event_kinds(model, cfg.state) if k in (SEGMENT, "OPEN-ACTIVE", "OPEN-PASSIVE")]
        for kind in kinds:
            if kind == SEGMENT:
                seg = symbolic_segment(cfg, f"s{depth}.")
                ev, more = Arrive(seg), segment_facts(seg, MAX_DATA)
            else:
                ev, more = event_of_kind(kind), []
            ex.solver.push()
            ex.solver.add(*more)
            try:
                for br in ex.step(cfg, ev, pc):
                    if br.illegal or br.error is not None:
                        continue
                    hit = _entered(br, cfg.state, S.ESTABLISHED)
                    evs = events + [ev]
                    if hit:
                        paths += 1
                        row, env = hit
                        claims = [("the segment completing the handshake acknowledges ISS + 1",
                                   all_of(isinstance(ev, Arrive), isinstance(ev, Arrive) and ev.segment.ackf,
                                          isinstance(ev, Arrive) and eq(ev.segment.ack, add(iss, 1))))]
                        claims.append(("entering ESTABLISHED: SND.UNA = SND.NXT = ISS + 1",
                                       all_of(eq(env["SND.UNA"], add(iss, 1)), eq(env["SND.NXT"], add(iss, 1)))))
                        claims.append(("entering ESTABLISHED: RCV.NXT = IRS + 1", eq(env["RCV.NXT"], add(env["IRS"], 1))))
                        for label, c in claims:
                            m = witness(facts + segfacts + more, pc + br.cond + [neg(c)])
                            if m is not None:
                                start = SymConfig.closed(iss, wnd).concrete(m)
                                cevs = [concrete_event(e, m) for e in evs]
                                return {"kind": "ladder", "why": f"one endpoint: {label} (row {row.name})",
                                        "claim": label, "row": row.name, "scenario": "one endpoint, any segments",
                                        "values": values_hex({"ISS": start.iss, "RCV.WND": start.rcv_wnd}),
                                        "start": {"A": cfg_json(start)},
                                        "events": [{"side": "A", **event_json(e)} for e in cevs]}
                        continue
                    nxt = br.config.state
                    if nxt in handshake and nxt not in seen and nxt is not S.CLOSED:
                        r = walk(br.config, pc + br.cond, seen | {nxt}, evs, depth + 1, segfacts + more)
                        if r:
                            return r
            finally:
                ex.solver.pop()
        return None

    cex = walk(SymConfig.closed(iss, wnd), [], {S.CLOSED}, [], 0, [])
    return cex, paths


def prove_handshake(model: Model) -> CheckResult:
    """3.4, 3.5 (Figures 6 and 7), 3.10.7.2-3.10.7.4. Symbolic execution of
    every interleaving of the two-endpoint system, client/server (A active,
    B passive) and simultaneous open (both active), over a reliable FIFO
    network, ISS_A, ISS_B and both windows symbolic:
    - every SYN is sent at its ISS, with no data; every ACK of a SYN is
      its ISN + 1 mod 2^32;
    - whoever enters ESTABLISHED does so on a segment acknowledging its
      ISS + 1, with SND.UNA = SND.NXT = ISS + 1, IRS = the peer's ISS and
      RCV.NXT = the peer's ISS + 1;
    - whenever both are ESTABLISHED: A.SND.NXT = B.RCV.NXT = ISS_A + 1 and
      B.SND.NXT = A.RCV.NXT = ISS_B + 1 (no data on SYNs in this model);
    - for every ISS_A, ISS_B some interleaving ends with both ESTABLISHED
      (for simultaneous open: one where the SYNs cross, Figure 7).
    And the one-endpoint paths of the control graph into ESTABLISHED with
    arbitrary segments (`_handshake_one_endpoint`)."""
    t0 = time.perf_counter()
    name, ref = "handshake", "3.4, 3.5 Figures 6-7, 3.10.7.2-3.10.7.4 (ACK of SYN = ISN + 1; agreed SND.NXT/RCV.NXT)"
    stats = {}
    for scen in (_handshake_scenario("client/server", False), _handshake_scenario("simultaneous open", True)):
        res = explore_symbolic(model, scen)
        if res.violation:
            cex = _finish_cex(model, res.violation)
            r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
            r.counterexample = cex
            return r
        stats[scen.name] = {"paths": res.paths, "states": res.nodes, "moves": res.edges}
    cex, n1 = _handshake_one_endpoint(model)
    stats["one endpoint"] = {"paths": n1}
    if cex:
        cex = _finish_cex(model, cex)
        r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
        r.counterexample = cex
        return r
    total = sum(v["paths"] for v in stats.values())
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 ISS_A, ISS_B (symbolic execution of {total} paths: "
                       + ", ".join(f"{k} {v['paths']}" for k, v in stats.items()) + ")",
                       time.perf_counter() - t0, stats)


# --- proof 3: close ------------------------------------------------------------------

CLOSE_WHEN = (S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT)  # CLOSE that sends a FIN (3.10.4)
SEND_WHEN = (S.ESTABLISHED, S.CLOSE_WAIT)  # SEND (3.10.2; DECISIONS)


def _close_scenario() -> Scenario:
    iss, wnd, start, facts, named = _two_endpoints(b_listens=True, wnd_min=MAX_DATA)
    n = {s: z3.BitVec(f"SEND.LEN_{s}", 32) for s in SIDES}
    for s in SIDES:
        facts += [ult(0, n[s]), ult(n[s], MAX_DATA)]
        named[f"SEND.LEN_{s}"] = n[s]

    def allowed(side, state, kind):
        return {"OPEN-ACTIVE": state is S.CLOSED, "SEND": state in SEND_WHEN,
                "CLOSE": state in CLOSE_WHEN}[kind]

    def on_move(par, child, side, kind, ev, br):
        me, peer = side, _other(side)
        g, gp = child.ghost[me], child.ghost[peer]
        out = []
        before = par.cfg[me].state
        trace = _trace_states(br, before)
        if kind == "CLOSE":
            g["closed in"] = before
        if kind == "SEND":
            g["sent"] = n[me]
            if before is S.CLOSE_WAIT:
                g["data after the peer's FIN"] = True
        for row, st0, st, env in trace:
            if st in FIN_RCVD and st0 not in FIN_RCVD:  # the peer's FIN is taken here
                fin = gp.get("fin")
                out.append(("the peer's FIN is taken at FIN + 1 (it occupies one number)",
                            fin is not None and eq(env["RCV.NXT"], add(fin, 1)), row))
                g["took FIN"] = True
            if st is S.CLOSING:
                g["passed CLOSING"] = True
        for s in br.sent:
            if "FIN" in s.flags:
                f = add(add(s.seq, bit("SYN" in s.flags)), s.data)
                env = trace[-1][3] if trace else par.cfg[me].v
                out.append(("a FIN occupies exactly one sequence number: SND.NXT = FIN + 1 after sending it",
                            eq(env["SND.NXT"], add(f, 1)), s.by))
                if g.get("fin") is not None:
                    out.append(("a FIN is always sent at the same number", eq(f, g["fin"]), s.by))
                g["fin"] = f
            if "ACK" in s.flags and g.get("took FIN"):
                out.append(("after the peer's FIN every ACK acknowledges FIN + 1",
                            gp.get("fin") is not None and eq(s.ack, add(gp["fin"], 1)), s.by))
                g["acked FIN"] = True
        for row, st0, st, env in trace:
            if st is S.TIME_WAIT and st0 is not S.TIME_WAIT:
                out.append(("TIME-WAIT is entered only when the peer's FIN has been acknowledged",
                            bool(g.get("took FIN") and g.get("acked FIN")), row))
                out.append(("TIME-WAIT is entered only when our FIN has been acknowledged",
                            eq(env["SND.UNA"], env["SND.NXT"]), row))
            if st in (S.TIME_WAIT, S.CLOSED) and st0 not in (S.TIME_WAIT, S.CLOSED):
                g["final"] = {k: env[k] for k in ("SND.UNA", "SND.NXT", "RCV.NXT")}
        return out

    def at_end(node):
        a, b = node.cfg["A"].state, node.cfg["B"].state
        done = (a in (S.CLOSED, S.TIME_WAIT) and b in (S.CLOSED, S.TIME_WAIT)
                and not node.inbox["A"] and not node.inbox["B"])
        last = node.move[3].fired[-1] if node.move and node.move[3].fired else None
        out = [("every close path ends with both sides CLOSED or in TIME-WAIT, network empty", done, last)]
        if not done:
            return out
        fa, fb = node.ghost["A"].get("final"), node.ghost["B"].get("final")
        if fa is None or fb is None:
            return out + [("both sides went through the close (FINs exchanged)", False, last)]
        out.append(("both agree at the end: A.SND.NXT = B.RCV.NXT",
                    eq(fa["SND.NXT"], fb["RCV.NXT"]), last))
        out.append(("both agree at the end: B.SND.NXT = A.RCV.NXT",
                    eq(fb["SND.NXT"], fa["RCV.NXT"]), last))
        for s, f in (("A", fa), ("B", fb)):
            sent = node.ghost[s].get("sent", 0)
            out.append((f"{s} at the end: SND.UNA = SND.NXT = ISS + 1 + data + 1 (SYN, data, FIN all acknowledged)",
                        all_of(eq(f["SND.UNA"], f["SND.NXT"]),
                               eq(f["SND.NXT"], add(add(iss[s], 2), sent))), last))
        return out

    def tags(node):
        fa, fb = node.ghost["A"].get("final"), node.ghost["B"].get("final")
        if fa is None or fb is None:
            return set()
        ca, cb = node.ghost["A"].get("closed in"), node.ghost["B"].get("closed in")
        t = set()
        if {ca, cb} == {S.ESTABLISHED, S.CLOSE_WAIT}:
            t.add("active/passive close")
        if ca is S.ESTABLISHED and cb is S.ESTABLISHED:
            t.add("simultaneous close")
        if node.ghost["A"].get("passed CLOSING") and node.ghost["B"].get("passed CLOSING"):
            t.add("simultaneous close through CLOSING")
        if node.ghost["A"].get("data after the peer's FIN") or node.ghost["B"].get("data after the peer's FIN"):
            t.add("half-close with data after the first FIN")
        return t

    return Scenario("close", start, {"A": ("OPEN-ACTIVE", "SEND", "CLOSE"), "B": ("SEND", "CLOSE")}, facts,
                    named, send_len=n, allowed=allowed, on_move=on_move, at_end=at_end, tags=tags,
                    required=("active/passive close", "simultaneous close", "simultaneous close through CLOSING",
                              "half-close with data after the first FIN"))


def prove_close(model: Model) -> CheckResult:
    """3.6 (Figures 12, 13), 3.6.1, 3.10.4, 3.10.7.4 eighth; MUST-13.
    Symbolic execution of every interleaving of the two-endpoint system
    (reliable FIFO network; ISS_A, ISS_B, both windows and both SEND
    lengths symbolic; B listening, A opening, each side SENDing once and
    CLOSing once, CLOSE in SYN-RECEIVED, ESTABLISHED or CLOSE-WAIT):
    - a FIN occupies exactly one sequence number: the sender's SND.NXT is
      FIN + 1 after sending it, and the receiver takes it at RCV.NXT =
      FIN + 1;
    - after taking the peer's FIN every ACK acknowledges FIN + 1;
    - TIME-WAIT is entered only when the peer's FIN has been acknowledged
      (and ours too);
    - every path ends with both sides CLOSED or in TIME-WAIT and the
      network empty, both agreeing on SND.NXT / RCV.NXT = ISS + 1 + data + 1;
    - for every value, active/passive, simultaneous (through CLOSING) and
      half-close with data after the first FIN each have a finished path.
    Assumption: each window holds a whole segment (2^16 =< RCV.WND =< 2^30;
    no retransmission happens here, so a segment must not be cut)."""
    t0 = time.perf_counter()
    name, ref = "close", "3.6 Figures 12-13, 3.10.4, 3.10.7.4; MUST-13 (FIN = one number; last ACK = FIN + 1)"
    res = explore_symbolic(model, _close_scenario())
    stats = {"paths": res.paths, "states": res.nodes, "moves": res.edges,
             "finished": {k: len(v) for k, v in res.tagged.items()}}
    if res.violation:
        cex = _finish_cex(model, res.violation)
        r = CheckResult(name, ref, FAIL, f"FAILED: {cex['why']}", time.perf_counter() - t0, stats)
        r.counterexample = cex
        return r
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 ISS_A, ISS_B, windows and SEND lengths (symbolic execution of "
                       f"{res.paths} paths: active/passive, simultaneous, half-close)",
                       time.perf_counter() - t0, stats)


# --- proof 4: acceptability ----------------------------------------------------------

def _seq_step(model: Model, state: State):
    """The table's acceptability test in `state`: (accepted condition, the
    z3 variables, the conditions under which each seq-step row fires).
    Accepted = a row of the seq step fires that continues processing."""
    key = (state, SEGMENT + "/seq")
    if key not in model.index:
        return None
    fires = _fires(model, key)  # first match wins: checker.wellformed
    v = fires[0][2]
    accepted = any_of(*[c for r, c, _ in fires if r.then == "continue"])
    return accepted, v, fires


def _no_trim(model: Model, state: State, v: dict):
    """In states with a trim step, the segment is one the trim step leaves
    alone (so that the seq step sees it as it arrived, and a replay through
    model.step meets the same segment)."""
    key = (state, SEGMENT + "/trim")
    if key not in model.index:
        return True
    return any_of(*[c for r, c, _ in _fires(model, key) if not r.set])


def octet_in_window(v: dict, k):
    """Octet k of the segment (0 =< k < SEG.LEN) lies in [RCV.NXT, RCV.NXT + RCV.WND):
    its distance past RCV.NXT, modulo 2^32, is below RCV.WND (3.4)."""
    return all_of(ult(k, v["SEG.LEN"]), ult(add(sub(v["SEG.SEQ"], v["RCV.NXT"]), k), v["RCV.WND"]))


def empty_in_window(v: dict):
    """A segment of length 0 is in the window when its SEG.SEQ is, or, for a
    zero window, when SEG.SEQ = RCV.NXT (Table 6, first row: the ACK of a
    zero window must get through, 3.10.7.4)."""
    off = sub(v["SEG.SEQ"], v["RCV.NXT"])
    return all_of(eq(v["SEG.LEN"], 0), any_of(ult(off, v["RCV.WND"]), all_of(eq(v["RCV.WND"], 0), eq(off, 0))))


def prove_acceptability(model: Model) -> CheckResult:
    """3.4, 3.10.7.4 Table 6: in every state of 3.10.7.4, the rows of the
    sequence-number step accept a segment iff some octet of it lies in
    [RCV.NXT, RCV.NXT + RCV.WND) (for length 0: its SEG.SEQ does, or
    SEG.SEQ = RCV.NXT on a zero window), for every RCV.NXT, SEG.SEQ and
    every window up to 2^30, across wraparound:
    - sound: an accepted segment has such an octet (z3 with a quantifier
      over the octet index);
    - complete for segments at most RCV.WND + 1 long. A longer segment
      that starts before the window and ends after it has octets inside
      but neither end inside: Table 6 refuses it (RFC 9293 assumes "the
      idealized segment that ... does not exceed the window"); z3 shows
      one (figures: straddling) and that this is the only gap."""
    t0 = time.perf_counter()
    name, ref = "acceptability", "3.4, 3.10.7.4 Table 6 (accepted iff an octet is in the window)"
    order = [S.ESTABLISHED] + sorted(OTHER_STATES - {S.ESTABLISHED}, key=lambda s: list(State).index(s))
    straddle = None
    n = 0
    done: set = set()
    for state in order:
        step = _seq_step(model, state)
        if step is None:
            continue
        n += 1
        # States whose seq and trim rows are the same expressions (and whose
        # facts the test can read are the same) are one proof.
        sig = (tuple((str(c.row.when), c.row.then) for c in model.index[(state, SEGMENT + "/seq")]),
               tuple((str(c.row.when), bool(c.row.set)) for c in model.index.get((state, SEGMENT + "/trim"), [])),
               state in (S.SYN_SENT, S.SYN_RECEIVED))
        if sig in done:
            continue
        done.add(sig)
        accepted, v, fires = step
        # SEG.SEQ = RCV.NXT + offset: a bijective change of variables
        off = z3.BitVec("SEG.SEQ-RCV.NXT", 32)
        sub_ = [(v["SEG.SEQ"], v["RCV.NXT"] + off)]
        accepted = z3.substitute(boolean(accepted), *sub_)
        facts = [z3.substitute(boolean(f), *sub_) for f in state_facts(state, v)]
        facts.append(z3.substitute(boolean(_no_trim(model, state, v)), *sub_))
        w = {**v, "SEG.SEQ": v["RCV.NXT"] + off}
        k = z3.BitVec("k", 32)
        nonempty = ne(w["SEG.LEN"], 0)
        # (quantifier-free claims first: a broken table fails fast)
        claims = [
            ("an octet in the window => accepted (length =< RCV.WND + 1)",
             [z3.Not(accepted), nonempty, octet_in_window(w, k), ule(w["SEG.LEN"], add(w["RCV.WND"], 1))]),
            ("SEG.SEQ in the window => accepted (length 0)",
             [z3.Not(accepted), empty_in_window(w)]),
            ("accepted => SEG.SEQ in the window (length 0)",
             [accepted, eq(w["SEG.LEN"], 0), z3.Not(boolean(empty_in_window(w)))]),
            ("accepted => an octet in the window (length > 0)",
             [accepted, nonempty, z3.ForAll([k], z3.Not(boolean(octet_in_window(w, k))))]),
        ]
        for label, conds in claims:
            m = witness(facts, conds)
            if m is None:
                continue
            cfg = _config_of(m, v, state)
            seg = _segment_of(m, w)
            row = next((r for r, c, _ in fires if holds_in(m, z3.substitute(boolean(c), *sub_))), None)
            why = f"{state}: {label} fails" + (f" (row {row.name})" if row else "")
            res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
            res.counterexample = _step_cex(model, why, row, label, cfg, Arrive(seg))
            return res
        if straddle is None:
            m = witness(facts, [z3.Not(accepted), nonempty, octet_in_window(w, k)])
            if m is not None:
                seg = _segment_of(m, w)
                cfg = _config_of(m, v, state)
                straddle = {"state": str(state), "RCV.NXT": HEX(cfg.rcv_nxt), "RCV.WND": cfg.rcv_wnd,
                            "segment": hexbrief(seg), "SEG.LEN": seg.len}
    return CheckResult(name, ref, PASS,
                       f"proved for all 2^32 RCV.NXT, SEG.SEQ and windows up to 2^30 in {n} states "
                       f"({len(done)} distinct tests) "
                       f"(segments up to RCV.WND + 1 octets; longer ones straddling the window are refused)",
                       time.perf_counter() - t0, {"states": n, "distinct": len(done), "straddling": straddle})


def _config_of(m, v, state) -> Config:
    val = {k: evaluate_in(m, v[k]) for k in X.TCB_VARS}
    return Config(state, bool(val["PASSIVE"]), val["ISS"], val["IRS"], val["SND.UNA"], val["SND.NXT"],
                  val["SND.WND"], val["RCV.NXT"], val["RCV.WND"])


def _segment_of(m, v) -> Segment:
    return Segment(seq=evaluate_in(m, v["SEG.SEQ"]), ack=evaluate_in(m, v["SEG.ACK"]),
                   syn=bool(evaluate_in(m, v["CTL.SYN"])), ackf=bool(evaluate_in(m, v["CTL.ACK"])),
                   fin=bool(evaluate_in(m, v["CTL.FIN"])), rst=bool(evaluate_in(m, v["CTL.RST"])),
                   data=evaluate_in(m, v["SEG.DATA"]), wnd=evaluate_in(m, v["SEG.WND"]))


# --- proof 5: comparison -------------------------------------------------------------

def table_lt(a, b):
    """a < b as the table's expressions compute it: `model.expr` on a
    `model.seq.lt` node, the very path every row's guard takes."""
    return X.to_z3(lt(X.V("a"), X.V("b")), {"a": a, "b": b})


def prove_comparison(model: Model, less=None) -> CheckResult:
    """3.4: the wrap-aware order (a < b iff the signed 32-bit a - b is
    negative) is, on any set of values spanning less than 2^31 (all within
    [m, m + 2^31) for some m), the order of their distances from m: hence a
    strict total order (irreflexive, asymmetric, transitive, total), and
    "=<" is "< or =" everywhere. Negative control, which must come out sat:
    once the span reaches 2^31 z3 exhibits a < b, b < c and not a < c.
    `less` replaces the comparison (tests pass a broken one)."""
    t0 = time.perf_counter()
    name, ref = "comparison", "3.4 (modulo 2^32 order: strict total order on spans below 2^31)"
    less = less or table_lt
    a, b, c, m = z3.BitVecs("a b c m", 32)

    def within(span_ok, *xs):
        return [span_ok(sub(x, m)) for x in xs]

    below = lambda d: z3.ULT(d, HALF)  # noqa: E731 - span < 2^31
    lt_ = lambda x, y: boolean(less(x, y))  # noqa: E731
    claims = [
        ("a < b iff (a - m) < (b - m) as distances from the set's least element m",
         within(below, a, b), lt_(a, b) == z3.ULT(sub(a, m), sub(b, m))),
        ("irreflexive: not a < a", [], z3.Not(lt_(a, a))),
        ("asymmetric: a < b => not b < a", within(below, a, b), z3.Implies(lt_(a, b), z3.Not(lt_(b, a)))),
        ("transitive: a < b < c => a < c", within(below, a, b, c),
         z3.Implies(z3.And(lt_(a, b), lt_(b, c)), lt_(a, c))),
        ("total: a != b => a < b or b < a", within(below, a, b), z3.Implies(a != b, z3.Or(lt_(a, b), lt_(b, a)))),
        ("a =< b iff a < b or a = b (table's =<)", [],
         boolean(X.to_z3(le(X.V("a"), X.V("b")), {"a": a, "b": b})) == z3.Or(lt_(a, b), a == b)),
    ]
    for label, facts, claim in claims:
        w = witness(facts, [z3.Not(claim)])
        if w is not None:
            vals = {k: evaluate_in(w, t) for k, t in (("a", a), ("b", b), ("c", c), ("m", m))}
            res = CheckResult(name, ref, FAIL, f"FAILED: {label}", time.perf_counter() - t0)
            res.counterexample = {"kind": "values", "why": label, "row": None, "claim": label,
                                  "values": values_hex(vals),
                                  "text": "    " + ", ".join(f"{k}={HEX(x)}" for k, x in vals.items())
                                          + f"\n    a < b: {_c(less, vals['a'], vals['b'])}, "
                                            f"b < a: {_c(less, vals['b'], vals['a'])}, "
                                            f"b < c: {_c(less, vals['b'], vals['c'])}, "
                                            f"a < c: {_c(less, vals['a'], vals['c'])}"}
            return res
    # negative control: at span 2^31 the order is no longer transitive
    reach = lambda d: z3.ULE(d, HALF)  # noqa: E731 - span =< 2^31
    w = witness(within(reach, a, b, c), [lt_(a, b), lt_(b, c), z3.Not(lt_(a, c)), z3.Distinct(a, b, c)])
    if w is None:
        res = CheckResult(name, ref, FAIL, "FAILED: no non-transitive triple at span 2^31 (the negative control "
                          "must be sat: the comparison is not the modulo-2^32 one)", time.perf_counter() - t0)
        res.counterexample = {"kind": "values", "why": "negative control unsat", "row": None,
                              "claim": "a non-transitive triple exists at span 2^31", "values": {}, "text": ""}
        return res
    trip = {k: evaluate_in(w, t) for k, t in (("a", a), ("b", b), ("c", c), ("m", m))}
    return CheckResult(name, ref, PASS,
                       "proved for all 2^32 values spanning < 2^31 (order of distances, strict total order); "
                       "span 2^31: z3 finds a < b, b < c, not a < c with "
                       + ", ".join(f"{k}={HEX(x)}" for k, x in trip.items() if k != "m"),
                       time.perf_counter() - t0, {"non_transitive": values_hex(trip)})


def _c(less, x, y) -> bool:
    """The comparison on concrete ints (the counterexample replayed)."""
    r = less(x, y)
    if _is_z3(r):
        r = z3.is_true(z3.simplify(boolean(r)))
    return bool(r)


# --- proof 6: reset and SYN safety -----------------------------------------------------

def _unchanged(cfg: SymConfig, br: Branch):
    if br.config.state is not cfg.state:
        return False
    return all_of(*[eq(br.config.v[k], cfg.v[k]) if X.TCB_VARS[k] == "seq"
                    else boolean(br.config.v[k]) == boolean(cfg.v[k]) for k in X.TCB_VARS])


def _challenge_ack(cfg: SymConfig, br: Branch):
    """Exactly one segment, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, is sent."""
    if len(br.sent) != 1 or br.sent[0].flags != frozenset({"ACK"}):
        return False
    s = br.sent[0]
    return all_of(eq(s.seq, cfg.v["SND.NXT"]), eq(s.ack, cfg.v["RCV.NXT"]), eq(s.data, 0))


def prove_reset_safety(model: Model) -> CheckResult:
    """RFC 5961 (3.2, 4.2) as adopted by RFC 9293 3.10.7.4 second and
    fourth, for every state of 3.10.7.4, every configuration satisfying
    the endpoint invariant and every segment:
    - a RST changes the configuration only if SEG.SEQ = RCV.NXT (SEG.SEQ of
      the segment as processed: after the peer's old SYN is trimmed in
      SYN-RECEIVED);
    - a RST with RCV.NXT < SEG.SEQ < RCV.NXT + RCV.WND changes nothing and
      draws exactly one challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
    - in the synchronized states a SYN (without RST) changes nothing and
      draws exactly one challenge ACK, whatever its SEG.SEQ;
    - counting, in the synchronized states: a blind attacker's RST resets
      the connection for exactly 1 of the 2^32 values of SEG.SEQ (RCV.NXT,
      which always works), and a bare RST draws a challenge ACK for
      exactly RCV.WND - 1 of them (RCV.NXT + 1 .. RCV.NXT + RCV.WND - 1);
      every other value is dropped in silence."""
    t0 = time.perf_counter()
    name, ref = "reset-safety", "3.10.7.4 second/fourth; RFC 5961 3.2, 4.2 (exact RST, challenge ACK)"
    n = 0
    syn_rcvd_values = None
    order = [S.ESTABLISHED] + sorted(OTHER_STATES - {S.ESTABLISHED}, key=lambda s: list(State).index(s))
    for state in order:
        cfg, facts = symbolic_endpoint(state)
        bad = vacuous(name, ref, t0, state, facts)
        if bad:
            return bad
        base = symbolic_segment(cfg)
        rst = SymSegment(base.seq, base.ack, base.syn, base.ackf, base.fin, True, base.data, base.wnd)
        syn = SymSegment(base.seq, base.ack, True, base.ackf, base.fin, False, base.data, base.wnd)
        segf = segment_facts(rst, MAX_DATA)
        off = sub(rst.seq, cfg.v["RCV.NXT"])
        bare = [neg(boolean(rst.syn)), neg(boolean(rst.fin)), eq(rst.data, 0)]
        inexact = [ult(0, off), ult(off, cfg.v["RCV.WND"])]
        outside = [ne(off, 0), z3.Not(z3.ULT(off, cfg.v["RCV.WND"]))]
        jobs = [(rst, [])]
        if state in SYNCHRONIZED:
            jobs.append((syn, []))
        for seg, _ in jobs:
            ex = Executor(model, facts + segf)
            for br in ex.step(cfg, Arrive(seg)):
                n += 1
                if br.illegal:
                    claims = [("the segment is handled (no row: illegal)", [], False)]
                elif seg is rst:
                    processed = br.seg_env["SEG.SEQ"] if br.seg_env else rst.seq
                    claims = [("a RST changes state only if SEG.SEQ = RCV.NXT", [],
                               implies(neg(_unchanged(cfg, br)), eq(processed, cfg.v["RCV.NXT"]))),
                              ("an in-window inexact RST draws exactly one challenge ACK and changes nothing",
                               inexact, all_of(_unchanged(cfg, br), _challenge_ack(cfg, br)))]
                    if state in SYNCHRONIZED:
                        claims += [("a blind RST at SEG.SEQ = RCV.NXT always resets (1 of 2^32 values)",
                                    bare + [eq(off, 0)], br.config.state is S.CLOSED),
                                   ("a RST outside the window is dropped in silence (challenge ACKs: RCV.WND - 1 "
                                    "values)", bare + outside, all_of(_unchanged(cfg, br), not br.sent))]
                else:
                    claims = [("a SYN in a synchronized state draws exactly one challenge ACK and changes nothing",
                               [], all_of(_unchanged(cfg, br), _challenge_ack(cfg, br)))]
                for label, extra, claim in claims:
                    m = witness(facts + segf + br.cond + extra, [neg(claim)])
                    if m is None:
                        continue
                    row = br.fired[-1] if br.fired else None
                    why = f"{state}: {label}" + (f" (row {row.name})" if row else "")
                    res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
                    res.counterexample = _step_cex(model, why, row, label, cfg.concrete(m),
                                                   Arrive(seg.concrete(m)))
                    return res
        if state is S.SYN_RECEIVED:
            syn_rcvd_values = _count_reset_values(model, cfg, facts + segf, rst)
    summary = ("proved for all 2^32 values: a RST resets only at SEG.SEQ = RCV.NXT, in-window inexact RSTs and "
               "SYNs draw one challenge ACK; blind attacker: 1 of 2^32 SEG.SEQ resets, RCV.WND - 1 draw a challenge ACK")
    return CheckResult(name, ref, PASS, summary, time.perf_counter() - t0,
                       {"branches": n, "syn_received_reset_seq_values": syn_rcvd_values})


def _count_reset_values(model, cfg, facts, rst, limit: int = 4) -> int:
    """How many raw SEG.SEQ values (any flags besides RST) reset a given
    SYN-RECEIVED configuration (counted by blocking each value found; a
    figure, not a claim: a RST that also carries the peer's SYN again at
    IRS is trimmed to RCV.NXT)."""
    ex = Executor(model, facts)
    conds = [all_of(*br.cond, neg(_unchanged(cfg, br))) for br in ex.step(cfg, Arrive(rst)) if not br.illegal]
    s = z3.Solver()
    s.add(*[boolean(f) for f in facts])
    s.add(z3.Or(*[boolean(c) for c in conds]) if conds else z3.BoolVal(False))
    # one configuration: fix the TCB to a witness, then count SEG.SEQ values
    if s.check() != z3.sat:
        return 0
    m = s.model()
    s.add(*[cfg.v[k] == m.eval(cfg.v[k], model_completion=True) for k in X.TCB_VARS])
    count = 0
    while count < limit and s.check() == z3.sat:
        count += 1
        s.add(rst.seq != s.model().eval(rst.seq, model_completion=True))
    return count


# --- proof 7: retransmission -----------------------------------------------------------

def prove_retransmission(model: Model) -> CheckResult:
    """3.10.8, 3.6 case 1, 3.4: in every state with a TCB and every
    configuration satisfying the endpoint invariant, the retransmission
    timeout changes nothing and, iff something is outstanding (SND.UNA !=
    SND.NXT), resends exactly one segment from the front of the queue:
    SEG.SEQ = SND.UNA, 1 =< SEG.LEN =< SND.NXT - SND.UNA; a SYN in it sits
    at ISS, a FIN in it at SND.NXT - 1 (the number the FIN was first sent
    with, so it ends the segment: SEG.SEQ + SEG.LEN = SND.NXT); its ACK,
    if any, is RCV.NXT."""
    t0 = time.perf_counter()
    name, ref = "retransmission", "3.10.8, 3.6, 3.4 (the front of the queue is resent; SYN at ISS, FIN last)"
    ev = Timeout("retransmission")
    n = 0
    for state in State:
        if state in RESET_STATES:
            continue
        cfg, facts = symbolic_endpoint(state)
        bad = vacuous(name, ref, t0, state, facts)
        if bad:
            return bad
        una, nxt = cfg.v["SND.UNA"], cfg.v["SND.NXT"]
        for br in Executor(model, facts).step(cfg, ev):
            n += 1
            if br.illegal or not br.sent:
                claims = [("something outstanding is retransmitted", eq(una, nxt))]
            else:
                s = br.sent[0]
                seg = s.segment()
                ln = seg.len
                claims = [("the timeout changes nothing", _unchanged(cfg, br)),
                          ("exactly one segment is resent", len(br.sent) == 1),
                          ("something is outstanding", ne(una, nxt)),
                          ("it starts at SND.UNA", eq(s.seq, una)),
                          ("1 =< SEG.LEN =< SND.NXT - SND.UNA", all_of(ult(0, ln), ule(ln, sub(nxt, una)))),
                          ("a SYN is resent at ISS", implies(boolean(seg.syn), eq(s.seq, cfg.v["ISS"]))),
                          ("a FIN is resent as the last number: SEG.SEQ + SEG.LEN = SND.NXT",
                           implies(boolean(seg.fin), eq(add(s.seq, ln), nxt))),
                          ("its ACK is RCV.NXT", implies(boolean(seg.ackf), eq(s.ack, cfg.v["RCV.NXT"])))]
            for label, claim in claims:
                m = witness(facts + br.cond, [neg(claim)])
                if m is None:
                    continue
                row = br.fired[-1] if br.fired else None
                why = f"{state}: {label}" + (f" (row {row.name})" if row else "")
                res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
                res.counterexample = _step_cex(model, why, row, label, cfg.concrete(m), ev)
                return res
    return CheckResult(name, ref, PASS, f"proved for all 2^32 values of every variable ({n} branches)",
                       time.perf_counter() - t0, {"branches": n})


# --- running them ------------------------------------------------------------------

PROOFS = {
    "row-soundness": prove_row_soundness,
    "handshake": prove_handshake,
    "close": prove_close,
    "acceptability": prove_acceptability,
    "comparison": prove_comparison,
    "reset-safety": prove_reset_safety,
    "retransmission": prove_retransmission,
}
PROOF_NAMES = tuple(PROOFS)


def run_proofs(model: Model, names=None, progress=None) -> list[CheckResult]:
    """Run the named proofs (all by default, in PROOF_NAMES order); each
    result's `run` is "z3". `progress(result)` is called after each."""
    names = list(PROOF_NAMES) if not names else list(names)
    unknown = [n for n in names if n not in PROOFS]
    if unknown:
        raise KeyError(f"unknown proof(s) {', '.join(unknown)}; proofs are {', '.join(PROOF_NAMES)}")
    out = []
    for nm in names:
        t0 = time.perf_counter()
        try:
            r = PROOFS[nm](model)
        except RuntimeError as err:  # z3 answered "unknown" (timeout): not proved, not refuted
            r = CheckResult(nm, (PROOFS[nm].__doc__ or "").strip().split("\n")[0], NA,
                            f"inconclusive: {err}", time.perf_counter() - t0)
        r.run = "z3"
        out.append(r)
        if progress:
            progress(r)
    return out
