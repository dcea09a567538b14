"""Proof reset-safety (RFC 9293 3.10.7.4 second and fourth checks; RFC 5961 3.2,
4.2): a RST changes state only at SEG.SEQ = RCV.NXT, inexact in-window RSTs
and SYNs draw one challenge ACK; the blind attacker's odds are counted."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import MAX_DATA, S, all_of, any_of, implies, neg
from checker.proofs.endpoint import endpoint_states, sends_exactly, symbolic_segment, unchanged
from checker.proofs.replay import step_cex, witness
from checker.proofs.symbolic import Branch, Executor, SymConfig, SymSegment, boolean, segment_facts
from checker.result import FAIL, PASS, CheckResult, check
from checker.solving import satisfiable
from model import expr as X
from model.events import Arrive
from model.machine import Model
from model.seq import eq, ne, sub, ult
from model.state import OTHER_STATES, SYNCHRONIZED, State


def _challenge_ack(cfg: SymConfig, br: Branch):
    """Exactly one segment, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, is sent."""
    return sends_exactly(br, "ACK", cfg.v["SND.NXT"], cfg.v["RCV.NXT"])


def _reset_target(state: State, cfg: SymConfig, br: Branch):
    """Where an accepted RST leads (3.10.7.4 second): SYN-RECEIVED from a
    passive OPEN returns to LISTEN, from an active one enters CLOSED
    ("connection refused"); every synchronized state enters CLOSED."""
    to = br.config.state
    if state is S.SYN_RECEIVED:
        passive = boolean(cfg.v["PASSIVE"])
        return passive if to is S.LISTEN else (neg(passive) if to is S.CLOSED else False)
    return to is S.CLOSED


@check("reset-safety",
       "3.10.7.4 second/fourth; RFC 5961 3.2, 4.2 (exact RST, challenge ACK)")
def prove_reset_safety(model: Model) -> CheckResult:
    """RFC 5961 (3.2, 4.2) as adopted by RFC 9293 3.10.7.4 second and
    fourth, for every state of 3.10.7.4, every configuration satisfying
    the endpoint invariant and every segment:
    - a RST changes the configuration only if SEG.SEQ = RCV.NXT (SEG.SEQ as
      it arrived: no trim or allowance of 3.10.7.4 first makes it exact);
    - a RST that changes the configuration enters CLOSED, or LISTEN in a
      SYN-RECEIVED that a passive OPEN began (3.10.7.4 second);
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
    name, ref = prove_reset_safety.check_name, prove_reset_safety.check_ref
    n = 0
    syn_rcvd_values = None
    order = [S.ESTABLISHED] + sorted(OTHER_STATES - {S.ESTABLISHED}, key=lambda s: list(State).index(s))
    walk = endpoint_states(name, ref, t0, order)
    if isinstance(walk, CheckResult):
        return walk
    for state, cfg, facts in walk:
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
                    # SEG.SEQ as it arrived: no trim or allowance may make a RST exact
                    # (DECISIONS.md step 0: the trim leaves a RST alone)
                    claims = [("a RST changes state only if SEG.SEQ = RCV.NXT", [],
                               implies(neg(unchanged(cfg, br)), eq(rst.seq, cfg.v["RCV.NXT"]))),
                              ("an in-window inexact RST draws exactly one challenge ACK and changes nothing",
                               inexact, all_of(unchanged(cfg, br), _challenge_ack(cfg, br))),
                              ("an inexact RST draws nothing but at most one challenge ACK (RFC 5961 3.2; "
                               "3.10.7.4 first and second)", [ne(off, 0)],
                               any_of(not br.sent, _challenge_ack(cfg, br))),
                              ("an accepted RST enters CLOSED, or LISTEN in a SYN-RECEIVED that a passive OPEN "
                               "began (3.10.7.4 second)", [],
                               implies(neg(unchanged(cfg, br)), _reset_target(state, cfg, br)))]
                    if state in SYNCHRONIZED:
                        claims += [("a blind RST at SEG.SEQ = RCV.NXT always resets (1 of 2^32 values)",
                                    bare + [eq(off, 0)], br.config.state is S.CLOSED),
                                   ("a RST outside the window is dropped in silence (challenge ACKs: RCV.WND - 1 "
                                    "values)", bare + outside, all_of(unchanged(cfg, br), not br.sent))]
                else:
                    claims = [("a SYN in a synchronized state draws exactly one challenge ACK and changes nothing",
                               [], all_of(unchanged(cfg, br), _challenge_ack(cfg, br)))]
                for label, extra, claim in claims:
                    m = witness(facts + segf + br.cond + extra, [neg(claim)])
                    if m is None:
                        continue
                    row = br.fired[-1] if br.fired else None
                    why = f"{state}: {label}" + (f" (row {row.name})" if row else "")
                    res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
                    res.counterexample = step_cex(model, why, row, label, cfg.concrete(m),
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
    figure, not a claim: 1 in the standard table, whose trim leaves a RST
    alone)."""
    ex = Executor(model, facts)
    conds = [all_of(*br.cond, neg(unchanged(cfg, br))) for br in ex.step(cfg, Arrive(rst)) if not br.illegal]
    s = z3.Solver()
    s.add(*[boolean(f) for f in facts])
    s.add(z3.Or(*[boolean(c) for c in conds]) if conds else z3.BoolVal(False))
    # one configuration: fix the TCB to a witness, then count SEG.SEQ values
    if not satisfiable(s):
        return 0
    m = s.model()
    s.add(*[cfg.v[k] == m.eval(cfg.v[k], model_completion=True) for k in X.TCB_VARS])
    count = 0
    while count < limit and satisfiable(s):
        count += 1
        s.add(rst.seq != s.model().eval(rst.seq, model_completion=True))
    return count
