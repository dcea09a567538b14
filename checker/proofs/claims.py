"""The claims of the proofs, written once for Python ints and z3 terms alike:
the endpoint invariant (RFC 9293 3.3.1, 3.3.2, 3.4), the environment's
assumptions (windows up to 2^30, RFC 7323 2.3) and what one step must do."""

from __future__ import annotations

import z3

from checker.proofs.symbolic import RESET_STATES, boolean, bv
from model.rows import CONTINUE, SEGMENT
from model.seq import add, eq, is_z3, le, ne, sub, ult
from model.state import OTHER_STATES, State

S = State
HEX = "{:#010x}".format

# The largest receive window a TCP can offer (RFC 7323 2.3: window scale
# shift at most 14, so 2^30); RFC 9293 3.4 needs windows below 2^31 for the
# wrap-aware comparison to mean anything.
MAX_WINDOW = 1 << 30
# Unacknowledged sequence space: at most a window of data, plus SYN and FIN.
FLIGHT_BOUND = MAX_WINDOW + 2
MAX_DATA = 1 << 16  # octets in one segment (an IPv4 datagram), as checker.analysis.wellformed assumes

# 3.3.2: the states in which our FIN has been sent, and those in which the
# peer's FIN has been received ("connection termination request").
FIN_SENT = frozenset({S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
FIN_RCVD = frozenset({S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
# RCV.NXT is defined (the peer's SYN has been received): SYN-RECEIVED and
# the synchronized states (3.3.2, 3.10.7.4).
RCV_KNOWN = frozenset(OTHER_STATES)


def allowance(row) -> bool:
    """A row of the sequence-number step that lets on a segment Table 6
    refuses, its text and FIN discarded: the zero-window allowance for ACKs
    and RSTs (3.10.7.4 first) and the peer's FIN again (Appendix A.2)."""
    return row.on == SEGMENT + "/seq" and row.then == CONTINUE and any(k == "SEG.LEN" for k, _ in row.set)


def any_z3(xs):
    return any(is_z3(x) for x in xs)


def all_of(*xs):
    xs = [x for x in xs if not (isinstance(x, bool) and x)]
    if any(isinstance(x, bool) and not x for x in xs):
        return False
    if not xs:
        return True
    return z3.And(*[boolean(x) for x in xs]) if any_z3(xs) else all(xs)


def any_of(*xs):
    xs = [x for x in xs if not (isinstance(x, bool) and not x)]
    if any(isinstance(x, bool) and x for x in xs):
        return True
    if not xs:
        return False
    return z3.Or(*[boolean(x) for x in xs]) if any_z3(xs) else any(xs)


def neg(x):
    return z3.Not(x) if is_z3(x) else not x


def implies(a, b):
    return any_of(neg(a), b)


def ule(a, b):
    """Unsigned a =< b (lengths, windows, distances: not sequence numbers)."""
    return any_of(ult(a, b), eq(a, b))


def bit(flag):
    """1 if the flag is set, else 0, as a 32-bit term or an int."""
    if is_z3(flag):
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
                seg: dict | None = None, send_len=None, error: str | None = None,
                new_iss=None) -> list[tuple[str, object]]:
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
      changes once known; RCV.WND never changes; ISS changes only where a
      TCB is created (CLOSED or LISTEN to SYN-SENT or SYN-RECEIVED), and
      then to the ISN generator's choice NEW.ISS (3.4.1, MUST-8).
    """
    out = list(endpoint_invariant(post_state, post))
    creates = pre_state in RESET_STATES and post_state not in RESET_STATES
    if creates and new_iss is not None:
        out.append(("a new TCB takes the ISN generator's ISS (3.4.1)", eq(post["ISS"], new_iss)))
    elif not creates:
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
