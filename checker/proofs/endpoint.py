"""Set-up shared by the one-endpoint proofs: a symbolic endpoint in a state
satisfying the endpoint invariant (RFC 9293 3.3.1, 3.4), a symbolic segment
or event, and the claims of a step evaluated on concrete values."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import S, all_of, endpoint_invariant, environment_facts, step_claims
from checker.proofs.replay import concrete_event, consistent, event_of_kind, step_cex, witness
from checker.proofs.symbolic import RESET_STATES, Branch, SymConfig, SymSegment, boolean
from checker.result import FAIL, CheckResult
from model import expr as X
from model.config import Config
from model.events import Arrive, Open, Send
from model.machine import Model
from model.rows import SEGMENT
from model.seq import eq
from model.state import State


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


def sends_exactly(br: Branch, flags: str, seq, ack=None):
    """Exactly one segment is sent: control bits `flags` ("RST,ACK"), no
    data, SEQ = `seq` and, when given, ACK = `ack` (z3 terms or ints)."""
    if len(br.sent) != 1 or br.sent[0].flags != frozenset(flags.split(",")):
        return False
    s = br.sent[0]
    return all_of(eq(s.seq, seq), eq(s.data, 0), *([eq(s.ack, ack)] if ack is not None else []))


def vacuous(name, ref, t0, state, facts) -> CheckResult | None:
    """A FAIL if the assumptions about `state` are contradictory (then every
    claim would be proved vacuously)."""
    if consistent(facts):
        return None
    return CheckResult(name, ref, FAIL, f"FAILED: the invariant of {state} is contradictory (a vacuous proof)",
                       time.perf_counter() - t0, counterexample={"kind": "facts", "why": f"no configuration "
                       f"in {state} satisfies the invariant", "row": None, "values": {}, "text": ""})


def endpoint_states(name, ref, t0, states=tuple(State)):
    """(state, symbolic configuration, facts) for each state a proof walks,
    or the FAIL of the first whose invariant is contradictory (`vacuous`)."""
    out = []
    for state in states:
        cfg, facts = symbolic_endpoint(state)
        bad = vacuous(name, ref, t0, state, facts)
        if bad:
            return bad
        out.append((state, cfg, facts))
    return out


def claim_failure(model: Model, name: str, ref: str, t0: float, state: State, label: str, br: Branch,
                  cfg: SymConfig, ev, m) -> CheckResult:
    """The FAIL of a one-step claim broken in z3 model `m` on branch `br`,
    with the counterexample replayed through the concrete engine."""
    row = br.fired[-1] if br.fired else None
    why = f"{state}: {label}" + (f" (rows {', '.join(r.name for r in br.fired)})" if row else "")
    res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
    res.counterexample = step_cex(model, why, row, label, cfg.concrete(m), concrete_event(ev, m))
    return res


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
    if kind == SEGMENT:  # NEW.ISS free: a SYN in LISTEN may draw any ISS (3.4.1)
        seg = symbolic_segment(cfg, prefix)
        return Arrive(seg, z3.BitVec(prefix + "NEW.ISS", 32)), environment_facts(cfg.v, seg.env())[1:]
    if kind == "OPEN-ACTIVE":
        return Open(True, z3.BitVec(prefix + "NEW.ISS", 32)), []
    if kind == "SEND":
        n = z3.BitVec(prefix + "SEND.LEN", 32)
        return Send(n), environment_facts(cfg.v, None, n)[1:]
    return event_of_kind(kind), []


def event_kinds(model: Model, state: State) -> list[str]:
    kinds = sorted({on for (st, on) in model.index if st is state})
    out = [SEGMENT] if any(k.startswith(SEGMENT) for k in kinds) else []
    return out + [k for k in kinds if not k.startswith(SEGMENT)]


def sym_claim_inputs(ev):
    seg = ev.segment.env() if isinstance(ev, Arrive) else None
    n = ev.length if isinstance(ev, Send) else None
    return seg, n, getattr(ev, "iss", None)


def _concrete_claim_inputs(ev):
    from model.machine import segment_env

    seg = segment_env(ev.segment) if isinstance(ev, Arrive) else None
    n = ev.length if isinstance(ev, Send) else None
    return seg, n, getattr(ev, "iss", None)


def concrete_step_claims(cfg: Config, ev, out) -> list[tuple[str, bool]]:
    """`step_claims` on the concrete outcome of `model.step` (for replays)."""
    seg, n, new_iss = _concrete_claim_inputs(ev)
    return step_claims(cfg.state, cfg.env(), ev.kind, out.config.state, out.config.env(), seg, n, out.error,
                       cfg.iss if new_iss is None else new_iss)


def unchanged(cfg: SymConfig, br: Branch):
    if br.config.state is not cfg.state:
        return False
    return all_of(*[eq(br.config.v[k], cfg.v[k]) if X.TCB_VARS[k] == "seq"
                    else boolean(br.config.v[k]) == boolean(cfg.v[k]) for k in X.TCB_VARS])
