"""Proof acceptability (RFC 9293 3.4, 3.10.7.4 Table 6): a segment is accepted
iff an octet of it (or its SEQ, if empty) lies in the receive window,
across wraparound."""

from __future__ import annotations

import time

import z3

from checker.analysis.wellformed import _fires, state_facts
from checker.proofs.claims import HEX, S, all_of, allowance, any_of, ule
from checker.proofs.replay import hexbrief, holds_in, step_cex, witness
from checker.proofs.symbolic import boolean, evaluate_in
from checker.result import FAIL, PASS, CheckResult, check
from model import expr as X
from model.config import Config
from model.events import Arrive, Segment
from model.machine import Model
from model.rows import SEGMENT
from model.seq import add, eq, ne, select, sub, ult
from model.state import OTHER_STATES, State


def _seq_step(model: Model, state: State):
    """The table's acceptability test in `state`: (accepted condition, the
    z3 variables, the conditions under which each seq-step row fires).
    Accepted = a row of the seq step fires that continues processing with
    the segment as it is (an allowance continues with its text discarded)."""
    key = (state, SEGMENT + "/seq")
    if key not in model.index:
        return None
    fires = _fires(model, key)  # first match wins: checker.analysis.wellformed
    v = fires[0][2]
    accepted = any_of(*[c for r, c, _ in fires if r.then == "continue" and not allowance(r)])
    allowed = any_of(*[c for r, c, _ in fires if allowance(r)])
    return accepted, allowed, v, fires


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


def window_octet(v: dict):
    """The index of an octet of the segment in the window if it has one:
    the first octet when SEG.SEQ is in the window, else the octet that
    wraps to RCV.NXT (SEG.SEQ + k = RCV.NXT, k = RCV.NXT - SEG.SEQ). With
    it, "some octet is in the window" needs no quantifier; `_witness_lemma`
    proves it is the right one."""
    off = sub(v["SEG.SEQ"], v["RCV.NXT"])
    return select(ult(off, v["RCV.WND"]), 0, sub(0, off))


def _witness_lemma() -> bool:
    """For all 2^32 SEG.SEQ, RCV.NXT, SEG.LEN, RCV.WND and k: if octet k
    is in the window, so is octet `window_octet` (z3: unsat). Without it,
    a failure of the claim below could be a wrong witness, not a wrong row."""
    v = {x: z3.BitVec(x, 32) for x in ("RCV.NXT", "SEG.LEN", "RCV.WND")}
    v["SEG.SEQ"] = v["RCV.NXT"] + z3.BitVec("SEG.SEQ-RCV.NXT", 32)  # a change of variables, as below
    k = z3.BitVec("k", 32)
    return witness([], [octet_in_window(v, k), z3.Not(boolean(octet_in_window(v, window_octet(v))))]) is None


def empty_in_window(v: dict):
    """A segment of length 0 is in the window when its SEG.SEQ is, or, for a
    zero window, when SEG.SEQ = RCV.NXT (Table 6, first row: the ACK of a
    zero window must get through, 3.10.7.4)."""
    off = sub(v["SEG.SEQ"], v["RCV.NXT"])
    return all_of(eq(v["SEG.LEN"], 0), any_of(ult(off, v["RCV.WND"]), all_of(eq(v["RCV.WND"], 0), eq(off, 0))))


@check("acceptability",
       "3.4, 3.10.7.4 Table 6 (accepted iff an octet is in the window)")
def prove_acceptability(model: Model) -> CheckResult:
    """3.4, 3.10.7.4 Table 6: in every state of 3.10.7.4, the rows of the
    sequence-number step accept a segment iff some octet of it lies in
    [RCV.NXT, RCV.NXT + RCV.WND) (for length 0: its SEG.SEQ does, or
    SEG.SEQ = RCV.NXT on a zero window), for every RCV.NXT, SEG.SEQ and
    every window up to 2^30, across wraparound:
    - sound: an accepted segment has such an octet (the octet
      `window_octet` names, which z3 proves is in the window whenever any
      octet is: no quantifier);
    - the allowances of the sequence-number step (3.10.7.4 first: a zero
      window still takes valid ACKs and RSTs; Appendix A.2: the peer's FIN
      again) are made only for segments Table 6 refuses;
    - complete for segments at most RCV.WND + 1 long. A longer segment
      that starts before the window and ends after it has octets inside
      but neither end inside: Table 6 refuses it (RFC 9293 assumes "the
      idealized segment that ... does not exceed the window"); z3 shows
      one (figures: straddling) and that this is the only gap."""
    t0 = time.perf_counter()
    name, ref = prove_acceptability.check_name, prove_acceptability.check_ref
    if not _witness_lemma():
        return CheckResult(name, ref, FAIL, "FAILED: the witness octet of checker.proofs.acceptability "
                           "misses an octet in the window (a defect of the proof, not of the table)",
                           time.perf_counter() - t0)
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
        accepted, allowed, v, fires = step
        # SEG.SEQ = RCV.NXT + offset: a bijective change of variables
        off = z3.BitVec("SEG.SEQ-RCV.NXT", 32)
        sub_ = [(v["SEG.SEQ"], v["RCV.NXT"] + off)]
        accepted = z3.substitute(boolean(accepted), *sub_)
        allowed = z3.substitute(boolean(allowed), *sub_)
        facts = [z3.substitute(boolean(f), *sub_) for f in state_facts(state, v)]
        facts.append(z3.substitute(boolean(_no_trim(model, state, v)), *sub_))
        w = {**v, "SEG.SEQ": v["RCV.NXT"] + off}
        # "some octet is in the window" is "octet k is", k = window_octet (_witness_lemma)
        k = window_octet(w)
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
             [accepted, nonempty, z3.Not(boolean(octet_in_window(w, k)))]),
            ("an allowance (zero window, the peer's FIN again) only for a segment Table 6 refuses",
             [allowed, z3.Or(boolean(empty_in_window(w)),
                             z3.And(boolean(nonempty), boolean(octet_in_window(w, k)),
                                    boolean(ule(w["SEG.LEN"], add(w["RCV.WND"], 1)))))]),
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
            res.counterexample = step_cex(model, why, row, label, cfg, Arrive(seg))
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
