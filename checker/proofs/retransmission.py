"""Proof retransmission (RFC 9293 3.10.8, 3.6, 3.4): a retransmission timeout
resends the front of the queue: the SYN at ISS, the FIN last."""

from __future__ import annotations

import time

from checker.proofs.claims import all_of, implies, neg, ule
from checker.proofs.endpoint import endpoint_states, unchanged
from checker.proofs.replay import step_cex, witness
from checker.proofs.symbolic import RESET_STATES, Executor, boolean
from checker.result import FAIL, PASS, CheckResult, check
from model.events import Timeout
from model.machine import Model
from model.seq import add, eq, ne, sub, ult
from model.state import State


# Where our SYN may still be unacknowledged (FIN-WAIT-1 and CLOSING after a
# CLOSE in SYN-RECEIVED, 3.10.4); in the others SND.UNA = ISS means SND.UNA
# went round the 2^32 circle since.
SYN_MAYBE_OUT = (State.SYN_SENT, State.SYN_RECEIVED, State.FIN_WAIT_1, State.CLOSING)


@check("retransmission",
       "3.10.8, 3.6, 3.4 (the front of the queue is resent; SYN at ISS, FIN last)")
def prove_retransmission(model: Model) -> CheckResult:
    """3.10.8, 3.6 case 1, 3.4: in every state with a TCB and every
    configuration satisfying the endpoint invariant, the retransmission
    timeout changes nothing and, iff something is outstanding (SND.UNA !=
    SND.NXT), resends exactly one segment from the front of the queue:
    SEG.SEQ = SND.UNA, 1 =< SEG.LEN =< SND.NXT - SND.UNA; a SYN in it sits
    at ISS, and it carries the SYN while SND.UNA = ISS (in FIN-WAIT-1 and
    CLOSING after a CLOSE in SYN-RECEIVED too), a FIN in it at SND.NXT - 1 (the number the FIN was first sent
    with, so it ends the segment: SEG.SEQ + SEG.LEN = SND.NXT); its ACK,
    if any, is RCV.NXT."""
    t0 = time.perf_counter()
    name, ref = prove_retransmission.check_name, prove_retransmission.check_ref
    ev = Timeout("retransmission")
    n = 0
    walk = endpoint_states(name, ref, t0, [s for s in State if s not in RESET_STATES])
    if isinstance(walk, CheckResult):
        return walk
    for state, cfg, facts in walk:
        una, nxt = cfg.v["SND.UNA"], cfg.v["SND.NXT"]
        for br in Executor(model, facts).step(cfg, ev):
            n += 1
            if br.illegal or not br.sent:
                claims = [("something outstanding is retransmitted", eq(una, nxt))]
            else:
                s = br.sent[0]
                seg = s.segment()
                ln = seg.len
                claims = [("the timeout changes nothing", unchanged(cfg, br)),
                          ("exactly one segment is resent", len(br.sent) == 1),
                          ("it is not a reset (3.10.8: the segment is resent as it was)", "RST" not in s.flags),
                          ("something is outstanding", ne(una, nxt)),
                          ("it starts at SND.UNA", eq(s.seq, una)),
                          ("1 =< SEG.LEN =< SND.NXT - SND.UNA", all_of(ult(0, ln), ule(ln, sub(nxt, una)))),
                          ("a SYN is resent at ISS", implies(boolean(seg.syn), eq(s.seq, cfg.v["ISS"]))),
                          ("while our SYN is unacknowledged (SND.UNA = ISS) the SYN is resent: it is the "
                           "front of the queue (3.4; 3.10.4 CLOSE in SYN-RECEIVED)",
                           implies(eq(una, cfg.v["ISS"]), boolean(seg.syn)) if state in SYN_MAYBE_OUT else True),
                          ("a FIN is resent as the last number: SEG.SEQ + SEG.LEN = SND.NXT",
                           implies(boolean(seg.fin), eq(add(s.seq, ln), nxt))),
                          ("its ACK is RCV.NXT", implies(boolean(seg.ackf), eq(s.ack, cfg.v["RCV.NXT"]))),
                          ("it carries ACK wherever the peer's SYN is in, i.e. in every state but SYN-SENT (3.4: "
                           "once in ESTABLISHED all segments carry current acknowledgment information; the "
                           "SYN,ACK of 3.10.7.2-3)", boolean(seg.ackf) if state is not State.SYN_SENT else True)]
            for label, claim in claims:
                m = witness(facts + br.cond, [neg(claim)])
                if m is None:
                    continue
                row = br.fired[-1] if br.fired else None
                why = f"{state}: {label}" + (f" (row {row.name})" if row else "")
                res = CheckResult(name, ref, FAIL, f"FAILED: {why}", time.perf_counter() - t0)
                res.counterexample = step_cex(model, why, row, label, cfg.concrete(m), ev)
                return res
    return CheckResult(name, ref, PASS, f"proved for all 2^32 values of every variable ({n} branches)",
                       time.perf_counter() - t0, {"branches": n})
