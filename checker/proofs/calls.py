"""Proof calls (RFC 9293 3.10.1-3.10.6, 3.10.8; MUST-11): what each user
call and each timeout does, as the RFC's "user calls" and "timeouts"
sections say it: the state entered and the segment sent."""

from __future__ import annotations

import time

from checker.proofs.claims import S, all_of, any_of, neg
from checker.proofs.endpoint import (
    claim_failure,
    endpoint_states,
    event_kinds,
    symbolic_event,
    unchanged,
)
from checker.proofs.replay import witness
from checker.proofs.symbolic import Executor, boolean
from checker.result import PASS, CheckResult, check
from model.machine import Model
from model.rows import SEGMENT
from model.seq import add, eq, le, ne, ult
from model.state import State

RST_ON_ABORT = frozenset({S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT})
CLOSE_TO = {S.LISTEN: S.CLOSED, S.SYN_SENT: S.CLOSED, S.SYN_RECEIVED: S.FIN_WAIT_1,
            S.ESTABLISHED: S.FIN_WAIT_1, S.CLOSE_WAIT: S.LAST_ACK}


def _sends(br, flags, seq, ack=None, data=0):
    """Exactly one segment with these control bits and fields."""
    if len(br.sent) != 1 or br.sent[0].flags != frozenset(flags):
        return False
    s = br.sent[0]
    return all_of(eq(s.seq, seq), eq(s.data, data), *([eq(s.ack, ack)] if ack is not None else []))


def _claims(state: State, cfg, kind: str, ev, br) -> list[tuple[str, object]]:
    v, to, silent = cfg.v, br.config.state, not br.sent
    passive = boolean(br.config.v["PASSIVE"])
    if kind == "OPEN-PASSIVE":
        return [("a passive OPEN enters LISTEN, sends nothing, marks the TCB passive (3.10.1; MUST-11)",
                 all_of(to is S.LISTEN, silent, passive))]
    if kind == "OPEN-ACTIVE":
        # the new TCB's ISS is the ISN generator's choice carried by the event (3.4.1, MUST-8)
        new_iss = v["ISS"] if getattr(ev, "iss", None) is None else ev.iss
        return [("an active OPEN enters SYN-SENT sending <SEQ=ISS><CTL=SYN> with the ISS the ISN generator "
                 "chose, the TCB active (3.10.1, 3.4.1; MUST-8, MUST-11)",
                 all_of(to is S.SYN_SENT, _sends(br, {"SYN"}, new_iss), eq(br.config.v["ISS"], new_iss),
                        neg(passive)))]
    if kind == "SEND":
        n = ev.length
        return [("SEND keeps the state and sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the data, or nothing "
                 "for no data (3.10.2)",
                 all_of(to is state, all_of(ult(0, n), _sends(br, {"ACK"}, v["SND.NXT"], v["RCV.NXT"], n))
                        if br.sent else eq(n, 0), neg(all_of(ult(0, n), silent))))]
    if kind == "CLOSE":
        want = CLOSE_TO.get(state)
        if want is None:
            return [("a second CLOSE is an error (3.10.4)", False)]
        fin = _sends(br, {"FIN", "ACK"}, v["SND.NXT"], v["RCV.NXT"]) if want is not S.CLOSED else silent
        return [(f"CLOSE in {state} enters {want}" + (" sending <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>"
                                                       if want is not S.CLOSED else ", sending nothing")
                 + " (3.10.4)", all_of(to is want, fin))]
    if kind == "ABORT":
        rst = _sends(br, {"RST"}, v["SND.NXT"]) if state in RST_ON_ABORT else silent
        return [(f"ABORT in {state} enters CLOSED" + (" sending <SEQ=SND.NXT><CTL=RST>" if state in RST_ON_ABORT
                                                       else ", sending nothing") + " (3.10.5)",
                 all_of(to is S.CLOSED, rst))]
    if kind in ("USER-TIMEOUT", "TIME-WAIT-TIMEOUT"):
        return [(f"the {kind.lower()} deletes the TCB: CLOSED, nothing sent (3.10.8)", all_of(to is S.CLOSED, silent))]
    if kind == "RETRANSMISSION-TIMEOUT":
        return [("a retransmission timeout changes no state or variable (3.10.8)", unchanged(cfg, br))]
    if kind in ("RECEIVE", "STATUS"):
        # the user reads at once (DECISIONS.md): RECEIVE returns what has
        # arrived, STATUS reports the TCB; neither is a step of the protocol
        return [(f"{kind} changes no state or variable and sends nothing (3.10.3, 3.10.6)",
                 all_of(unchanged(cfg, br), silent))]
    return []


@check("calls",
       "3.10.1-3.10.6, 3.10.8 (user calls and timeouts); MUST-11")
def prove_calls(model: Model) -> CheckResult:
    """For every state, every configuration satisfying the endpoint
    invariant and every user call or timeout the table accepts there (an
    error response and an illegal event change nothing, by construction):
    a passive OPEN enters LISTEN (PASSIVE set, MUST-11), an active OPEN
    enters SYN-SENT with one <SEQ=ISS><CTL=SYN> (PASSIVE clear); SEND keeps
    the state and sends its data as one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    (nothing for no data); CLOSE takes LISTEN and SYN-SENT to CLOSED
    silently, SYN-RECEIVED and ESTABLISHED to FIN-WAIT-1 and CLOSE-WAIT to
    LAST-ACK with one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>, and is an
    error anywhere else; ABORT enters CLOSED, sending <SEQ=SND.NXT><CTL=RST>
    from SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT and nothing
    elsewhere; the user timeout and the TIME-WAIT timeout delete the TCB
    silently; a retransmission timeout changes no state or variable (what
    it resends is proof retransmission); RECEIVE and STATUS change nothing
    and send nothing (3.10.3, 3.10.6)."""
    t0 = time.perf_counter()
    name, ref = prove_calls.check_name, prove_calls.check_ref
    n = 0
    walk = endpoint_states(name, ref, t0)
    if isinstance(walk, CheckResult):
        return walk
    for state, cfg, facts in walk:
        # the user timer runs wherever something can be outstanding (3.10.8
        # "for any state"): a table without a user-timeout row there is asked too
        kinds = event_kinds(model, state)
        if state not in (S.CLOSED, S.LISTEN) and "USER-TIMEOUT" not in kinds:
            kinds.append("USER-TIMEOUT")
        for kind in kinds:
            if kind == SEGMENT:
                continue
            ev, efacts = symbolic_event(kind, cfg)
            for br in Executor(model, facts + efacts).step(cfg, ev):
                if kind == "USER-TIMEOUT":
                    # 3.10.8: the user timer runs exactly while something is
                    # outstanding (DECISIONS.md Timers): legal iff SND.UNA != SND.NXT
                    una, nxt = cfg.v["SND.UNA"], cfg.v["SND.NXT"]
                    runs = ne(una, nxt) if br.illegal else eq(una, nxt)
                    m = witness(facts + efacts + br.cond, [runs])
                    if m is not None:
                        label = ("the user timeout fires only while something is outstanding (3.10.8)"
                                 if not br.illegal else
                                 "the user timeout can fire whenever something is outstanding (3.10.8)")
                        return claim_failure(model, name, ref, t0, state, label, br, cfg, ev, m)
                if kind == "SEND" and state in (S.ESTABLISHED, S.CLOSE_WAIT) and not br.illegal:
                    # 3.10.2, 3.8.6 (DECISIONS.md): a SEND is refused for resources exactly
                    # when it does not fit in the peer's window
                    # (a SEND of nothing always fits: nothing to remember)
                    fits = any_of(eq(ev.length, 0),
                                  le(add(cfg.v["SND.NXT"], ev.length), add(cfg.v["SND.UNA"], cfg.v["SND.WND"])))
                    refused = br.error == "insufficient resources"
                    claim = neg(fits) if refused else fits
                    m = witness(facts + efacts + br.cond, [neg(claim)])
                    if m is not None:
                        label = ("SEND is refused (insufficient resources) only beyond the peer's window (3.10.2, "
                                 "3.8.6)" if refused else "SEND is taken only within the peer's window (3.8.6)")
                        return claim_failure(model, name, ref, t0, state, label, br, cfg, ev, m)
                if br.illegal or br.error is not None:
                    continue
                n += 1
                for label, claim in _claims(state, cfg, kind, ev, br):
                    m = witness(facts + efacts + br.cond, [neg(claim)])
                    if m is not None:
                        return claim_failure(model, name, ref, t0, state, label, br, cfg, ev, m)
    return CheckResult(name, ref, PASS, f"proved for all 2^32 values: {n} branches of user calls and timeouts "
                       "enter the states and send the segments 3.10.1-3.10.6 and 3.10.8 say",
                       time.perf_counter() - t0, {"branches": n})
