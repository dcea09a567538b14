"""Proof drops (RFC 9293 3.10.7.1-3.10.7.4; MUST-58): what the RFC says to
drop, discard or ignore changes nothing, and answers only as the RFC says;
the send window follows the peer's acceptable ACKs (DECISIONS.md)."""

from __future__ import annotations

import time

import z3

from checker.proofs.claims import MAX_DATA, S, all_of, allowance, any_of, implies, neg, ule
from checker.proofs.endpoint import (
    claim_failure,
    sends_exactly,
    endpoint_states,
    event_kinds,
    symbolic_event,
    symbolic_segment,
    unchanged,
)
from checker.proofs.replay import first_witness
from checker.proofs.reset_safety import _challenge_ack
from checker.proofs.symbolic import Executor, SymConfig, boolean, segment_facts
from checker.result import PASS, CheckResult, check
from model.events import Arrive
from model.machine import PIPELINE_STATES, Model
from model.rows import CONTINUE, SEGMENT
from model.seq import add, eq, le, lt, ne, sub, ult
from model.state import SYNCHRONIZED, State


def table6(v: dict, seq, ln):
    """3.10.7.4 Table 6 as the RFC writes it, for windows below 2^31 (where
    the wrap-aware "RCV.NXT =< x < RCV.NXT + RCV.WND" is "x - RCV.NXT < RCV.WND")."""
    wnd = v["RCV.WND"]
    first, last = sub(seq, v["RCV.NXT"]), sub(sub(add(seq, ln), 1), v["RCV.NXT"])
    return any_of(all_of(eq(ln, 0), eq(wnd, 0), eq(first, 0)),
                  all_of(eq(ln, 0), ult(0, wnd), ult(first, wnd)),
                  all_of(ult(0, ln), ult(0, wnd), any_of(ult(first, wnd), ult(last, wnd))))


def _one_ack(br):
    """Exactly one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with the values after the step."""
    return sends_exactly(br, "ACK", br.config.v["SND.NXT"], br.config.v["RCV.NXT"])


def _sends_ack(br):
    """Among what is sent, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (values after the step)."""
    after = br.config.v
    return any_of(*[all_of(eq(s.seq, after["SND.NXT"]), eq(s.ack, after["RCV.NXT"]), eq(s.data, 0))
                    for s in br.sent if s.flags == frozenset({"ACK"})])


def _rst_from_ack(br, seg):
    """Exactly <SEQ=SEG.ACK><CTL=RST> is sent (3.10.7.1-3.10.7.3)."""
    return sends_exactly(br, "RST", seg.ack)


def _rst_ack_of(br, seg):
    """Exactly <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> is sent (3.10.7.1)."""
    return sends_exactly(br, "RST,ACK", 0, add(seg.seq, seg.len))


def _syn_ack_of(br, seg):
    """Exactly one <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> of the new TCB, which
    took IRS = SEG.SEQ (3.10.7.2 third)."""
    after = br.config.v
    return all_of(sends_exactly(br, "SYN,ACK", after["ISS"], after["RCV.NXT"]),
                  eq(after["RCV.NXT"], add(seg.seq, 1)))


def _syn_window(br, seg) -> tuple[str, list, object]:
    """A SYN taken (LISTEN or SYN-SENT to SYN-RECEIVED or ESTABLISHED) sets
    the send window to the one it offers."""
    took = br.config.state in (S.SYN_RECEIVED, S.ESTABLISHED)
    return ("a SYN taken sets SND.WND <- SEG.WND (3.10.7.3 fourth: set the variables SND.WND <- SEG.WND; "
            "LISTEN alike, DECISIONS.md)", [], eq(br.config.v["SND.WND"], seg.wnd) if took else True)


def _claims(state: State, cfg: SymConfig, seg, br) -> list[tuple[str, list, object]]:
    """(label, premises about the arriving segment, what must hold)."""
    v = cfg.v
    rst, syn, ackf, fin = (boolean(x) for x in (seg.rst, seg.syn, seg.ackf, seg.fin))
    same, silent = unchanged(cfg, br), not br.sent
    ok = all_of(same, silent)
    if state is S.CLOSED:
        return [("an incoming RST is discarded (3.10.7.1)", [rst], ok),
                ("every segment leaves the endpoint CLOSED without a TCB (3.10.7.1)", [], same),
                ("a segment with ACK draws <SEQ=SEG.ACK><CTL=RST> and nothing else (3.10.7.1)",
                 [neg(rst), ackf], _rst_from_ack(br, seg)),
                ("a segment without ACK draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> and nothing else "
                 "(3.10.7.1)", [neg(rst), neg(ackf)], _rst_ack_of(br, seg))]
    if state is S.LISTEN:
        return [("an incoming RST is ignored (3.10.7.2 first)", [rst], ok),
                ("an ACK draws <SEQ=SEG.ACK><CTL=RST> and nothing else (3.10.7.2 second)",
                 [neg(rst), ackf], all_of(same, _rst_from_ack(br, seg))),
                ("a segment without SYN, ACK or RST is dropped (3.10.7.2 fourth)",
                 [neg(rst), neg(ackf), neg(syn)], ok),
                ("a SYN draws exactly one <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ + 1 "
                 "(3.10.7.2 third)", [neg(rst), neg(ackf), syn], _syn_ack_of(br, seg)),
                _syn_window(br, seg)]
    if state is S.SYN_SENT:
        bad_ack = [ackf, any_of(le(seg.ack, v["ISS"]), lt(v["SND.NXT"], seg.ack))]
        return [("an unacceptable ACK with RST is dropped (3.10.7.3 first)", bad_ack + [rst], ok),
                ("an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST> (3.10.7.3 first)",
                 bad_ack + [neg(rst)], all_of(same, _rst_from_ack(br, seg))),
                ("a RST without ACK is dropped (3.10.7.3 second)", [rst, neg(ackf)], ok),
                ("a RST whose ACK acknowledges our SYN enters CLOSED (3.10.7.3 second: connection reset)",
                 [rst, ackf, neg(all_of(*bad_ack[1:]))], br.config.state is S.CLOSED),
                ("a segment with neither SYN nor RST is dropped (3.10.7.3 fifth)",
                 [neg(rst), neg(syn), neg(all_of(*bad_ack))], ok),
                ("a SYN without ACK (simultaneous open) draws exactly one <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, "
                 "RCV.NXT = SEG.SEQ + 1 (3.10.7.3 fourth)", [neg(rst), syn, neg(ackf)], _syn_ack_of(br, seg)),
                ("a segment draws at most one <CTL=ACK> (MUST-58: the ACKs one segment asks for are one)", [],
                 sum(1 for x in br.sent if x.flags == frozenset({"ACK"})) <= 1),
                _syn_window(br, seg)]
    # 3.10.7.4. Whether the sequence-number step accepted the segment is read
    # from the rows that fired (proof acceptability shows that step is Table 6).
    out = []
    if state is S.SYN_RECEIVED:
        out += _syn_received_syn_claims(cfg, seg, br)
    if state is S.SYN_RECEIVED and any("SYN" in x.flags for x in br.sent):
        # DECISIONS.md: only the peer's SYN again (SEG.SEQ = IRS) is answered by our SYN,ACK
        out.append(("SYN-RECEIVED sends its SYN,ACK again only for the peer's SYN again, at SEG.SEQ = IRS "
                    "(3.10.7.4 first; 3.10.7.3 fifth)", [], all_of(syn, eq(seg.seq, v["IRS"]))))
    # (after the claims above, so that a failure names the most specific one)
    last = []
    if state in PIPELINE_STATES:
        last.append(("a segment draws at most one <CTL=ACK> (MUST-58: the ACKs one segment asks for are one)", [],
                     sum(1 for x in br.sent if x.flags == frozenset({"ACK"})) <= 1))
        kept = br.config.state not in (S.CLOSED, S.LISTEN)
        nxt = br.config.v["RCV.NXT"]
        moved = kept and not (isinstance(nxt, z3.ExprRef) and nxt.eq(v["RCV.NXT"]))  # (else nothing to ask)
        last.append((BOUND + ": nothing beyond the window is taken, a FIN there "
                     "neither (3.10.7.4 first: the idealized segment does not exceed the window)", [],
                     ule(sub(nxt, v["RCV.NXT"]), v["RCV.WND"]) if moved else True))
    for r in br.fired:
        if r.on == SEGMENT + "/fin" and r.state in FIN_RECEIVED:
            last.append((f"{r.state}: a FIN changes no state once the peer's FIN is in (3.10.7.4 eighth: remain "
                         f"in the state)", [], r.goto in (None, r.state)))
    seq_rows = [r for r in br.fired if r.on == SEGMENT + "/seq"]
    if not seq_rows:
        return out + last
    return out + _allowance_claims(state, cfg, seg, br) + _step_claims(state, cfg, seg, br, seq_rows) + last


FIN_RECEIVED = (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
BOUND = "RCV.NXT advances by at most RCV.WND"


def _synrcvd_ack_ok(v: dict, seg) -> list:
    """SYN-RECEIVED's acceptable ACK: SND.UNA < SEG.ACK =< SND.NXT (3.10.7.4 fifth)."""
    return [lt(v["SND.UNA"], seg.ack), le(seg.ack, v["SND.NXT"])]


def _syn_received_syn_claims(cfg: SymConfig, seg, br) -> list[tuple[str, list, object]]:
    """A SYN arriving in SYN-RECEIVED (without RST). The peer's SYN again
    (SEG.SEQ = IRS) is old but for what follows it: with ACK it is the
    SYN,ACK of a simultaneous open, processed without its SYN (Figure 7
    lines 6-7; 3.10.7.4 first: only the new parts), without ACK it is
    answered by our SYN,ACK again (DECISIONS.md). Any other acceptable SYN
    returns a passive TCB to LISTEN and draws a challenge ACK in an active
    one (3.10.7.4 fourth; RFC 5961 4.2)."""
    v = cfg.v
    rst, syn, ackf = (boolean(x) for x in (seg.rst, seg.syn, seg.ackf))
    passive = boolean(v["PASSIVE"])
    again = [syn, neg(rst), eq(seg.seq, v["IRS"])]
    good_ack = _synrcvd_ack_ok(v, seg)
    other = [syn, neg(rst), ne(seg.seq, v["IRS"]), table6(v, seg.seq, seg.len)]
    return [("SYN-RECEIVED: the peer's SYN again with an acceptable ACK completes the simultaneous open: "
             "ESTABLISHED (Figure 7 line 7; 3.10.7.4 first: only the new parts are processed)",
             again + [ackf] + good_ack, br.config.state is S.ESTABLISHED),
            ("SYN-RECEIVED: the text and FIN on the peer's SYN again are discarded unacknowledged: RCV.NXT "
             "stays, nothing is sent (DECISIONS.md, as on a SYN in SYN-SENT; the peer retransmits them)",
             again + [ackf] + good_ack,
             all_of(not br.sent, eq(br.config.v["RCV.NXT"], v["RCV.NXT"])) if br.config.state is S.ESTABLISHED
             else True),
            ("SYN-RECEIVED: the peer's SYN again with an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST> and "
             "changes nothing (3.10.7.4 first, then fifth)", again + [ackf, neg(all_of(*good_ack))],
             all_of(unchanged(cfg, br), _rst_from_ack(br, seg))),
            ("SYN-RECEIVED: the peer's SYN again without ACK draws exactly our <SEQ=ISS><ACK=RCV.NXT>"
             "<CTL=SYN,ACK> again and changes nothing (3.10.7.4 first; DECISIONS.md)",
             again + [neg(ackf)], all_of(unchanged(cfg, br), _syn_ack_again(cfg, br))),
            ("SYN-RECEIVED from a passive OPEN: any other acceptable SYN returns the connection to LISTEN, "
             "silently (3.10.7.4 fourth)", other + [passive],
             all_of(br.config.state is S.LISTEN, not br.sent)),
            ("SYN-RECEIVED from an active OPEN: any other acceptable SYN draws exactly one challenge ACK and "
             "changes nothing (3.10.7.4 fourth: as the synchronized states; RFC 5961 4.2)", other + [neg(passive)],
             all_of(unchanged(cfg, br), _challenge_ack(cfg, br)))]


def _syn_ack_again(cfg: SymConfig, br):
    """Exactly one <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> of the TCB as it is."""
    return sends_exactly(br, "SYN,ACK", cfg.v["ISS"], cfg.v["RCV.NXT"])


def _allowance_claims(state: State, cfg: SymConfig, seg, br) -> list[tuple[str, list, object]]:
    """What the allowances of 3.10.7.4 first must do, whichever row fired:
    a zero window still takes a valid ACK and an exact RST; the peer's FIN
    again has its ACK field processed (Appendix A.2, DECISIONS.md step 1)."""
    v = cfg.v
    rst, syn, ackf, fin = (boolean(x) for x in (seg.rst, seg.syn, seg.ackf, seg.fin))
    kept = br.config.state not in (S.CLOSED, S.LISTEN)
    in_range = ule(sub(seg.ack, v["SND.UNA"]), sub(v["SND.NXT"], v["SND.UNA"]))
    window_taken = implies(kept, eq(br.config.v["SND.WND"], seg.wnd))
    zero = [eq(v["RCV.WND"], 0), eq(seg.seq, v["RCV.NXT"]), neg(syn), ult(0, seg.len)]
    out = []
    if state in SYNCHRONIZED:  # (SYN-RECEIVED's ACK test differs: SND.UNA < SEG.ACK)
        out.append(("a zero window still takes a valid ACK: SND.WND <- SEG.WND (3.10.7.4 first: special "
                    "allowance)", zero + [neg(rst), ackf, in_range], window_taken))
    if state is S.SYN_RECEIVED:
        good_ack = _synrcvd_ack_ok(v, seg)
        out.append(("a zero window still takes a valid ACK: SYN-RECEIVED enters ESTABLISHED, SND.WND <- SEG.WND "
                    "(3.10.7.4 first: special allowance; fifth)", zero + [neg(rst), ackf] + good_ack,
                    all_of(br.config.state is S.ESTABLISHED, eq(br.config.v["SND.WND"], seg.wnd))
                    if br.config.state is S.ESTABLISHED else False))
    if state in SYNCHRONIZED or state is S.SYN_RECEIVED:
        out.append(("a zero window still takes an exact RST (3.10.7.4 first; RFC 5961 3.2)", zero + [rst],
                    br.config.state in (S.CLOSED, S.LISTEN)))
    if state in FIN_RECEIVED:
        again = [fin, neg(rst), neg(syn), eq(add(seg.seq, seg.len), v["RCV.NXT"]), ult(0, v["RCV.WND"])]
        out.append(("the peer's FIN again has its ACK field processed: SND.WND <- SEG.WND (Appendix A.2)",
                    again + [ackf, in_range], window_taken))
    return out


def _step_claims(state: State, cfg: SymConfig, seg, br, seq_rows) -> list[tuple[str, list, object]]:
    v = cfg.v
    rst, syn, ackf, fin = (boolean(x) for x in (seg.rst, seg.syn, seg.ackf, seg.fin))
    same, silent = unchanged(cfg, br), not br.sent
    ok = all_of(same, silent)
    if allowance(seq_rows[-1]):
        env = br.seg_env or seg.env()
        return [("an allowance is made only for a segment Table 6 refuses (3.10.7.4 first; Appendix A.2)", [],
                 neg(table6(v, seg.seq, seg.len))),
                ("an allowance is made only for a segment without SYN (3.10.7.4 first: valid ACKs, URGs and "
                 "RSTs; a SYN draws a challenge ACK, RFC 5961 4.2)", [], neg(syn)),
                ("an allowance keeps the state: it only lets the segment's ACK or RST on (3.10.7.4 first)", [],
                 seq_rows[-1].goto in (None, state)),
                ("an allowance is made only under a zero window for a segment at RCV.NXT, or for the peer's FIN "
                 "again ending at RCV.NXT (3.10.7.4 first; Appendix A.2)", [],
                 any_of(all_of(eq(v["RCV.WND"], 0), eq(seg.seq, v["RCV.NXT"])),
                        all_of(state in FIN_RECEIVED, boolean(seg.fin),
                               eq(add(seg.seq, seg.len), v["RCV.NXT"])))),
                ("a segment let on by an allowance whose text or FIN is discarded draws <SEQ=SND.NXT><ACK=RCV.NXT>"
                 "<CTL=ACK> (3.10.7.4 first: the unacceptable part is acknowledged)",
                 [neg(boolean(seg.rst)), any_of(ult(0, seg.data), boolean(seg.fin))],
                 implies(br.config.state not in (S.CLOSED, S.LISTEN), _sends_ack(br))),
                ("a segment let on by an allowance has its text and FIN discarded (3.10.7.4 first)", [],
                 all_of(eq(env["SEG.DATA"], 0), neg(boolean(env["CTL.FIN"]))))]
    if seq_rows[-1].then != CONTINUE:
        env = br.seg_env or seg.env()  # the segment as the step saw it (after trimming)
        return [("an unacceptable RST is dropped (3.10.7.4 first)", [rst], ok),
                ("a RST is refused only if Table 6 refuses it (3.10.7.4 first)", [rst],
                 neg(table6(v, env["SEG.SEQ"], env["SEG.LEN"]))),
                ("an unacceptable segment draws one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and changes nothing "
                 "(3.10.7.4 first)", [neg(rst)], all_of(same, _challenge_ack(cfg, br)))]
    plain = [neg(rst), neg(syn)]
    out = [("an acceptable segment with the ACK bit off is dropped (3.10.7.4 fifth)", plain + [neg(ackf)], ok)]
    if state is S.SYN_RECEIVED:
        good_ack = _synrcvd_ack_ok(v, seg)
        out.append(("an acceptable ACK sets SND.WND <- SEG.WND (3.10.7.4 fifth SYN-RECEIVED)",
                    plain + [ackf] + good_ack,
                    implies(br.config.state not in (S.CLOSED, S.LISTEN), eq(br.config.v["SND.WND"], seg.wnd))))
        out.append(("SYN-RECEIVED: a bare acceptable ACK, the handshake's last segment, is not acknowledged "
                    "(3.10.7.4 fifth; MUST-58: an ACK of an ACK would be answered forever)",
                    plain + [ackf, neg(fin), eq(seg.data, 0)] + good_ack, silent))
        out.append(("SYN-RECEIVED: an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST> and changes nothing "
                    "(3.10.7.4 fifth)", plain + [ackf, neg(all_of(*good_ack))],
                    all_of(same, _rst_from_ack(br, seg))))
    if state in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2):
        # the ACK test that lets text on: SYN-RECEIVED's, or the synchronized states' "not beyond SND.NXT"
        passes = (_synrcvd_ack_ok(v, seg) if state is S.SYN_RECEIVED
                  else [neg(lt(v["SND.NXT"], seg.ack))])
        # the segment's text and FIN cover RCV.NXT: something new starts there
        covers = [ult(sub(v["RCV.NXT"], seg.seq), seg.len), ult(0, v["RCV.WND"])]
        out.append(("new text or FIN at RCV.NXT in an open window is taken: RCV.NXT advances (3.10.7.4 first: "
                    "only the old part is trimmed; seventh, eighth)", plain + [ackf] + passes + covers,
                    implies(br.config.state not in (S.CLOSED, S.LISTEN),
                            ne(br.config.v["RCV.NXT"], v["RCV.NXT"]))))
    if state in SYNCHRONIZED:
        acked = plain + [ackf]
        bare = acked + [neg(fin), eq(seg.data, 0)]
        # SND.UNA =< SEG.ACK =< SND.NXT, read as distances from SND.UNA (unambiguous at 2^31)
        in_range = [ule(sub(seg.ack, v["SND.UNA"]), sub(v["SND.NXT"], v["SND.UNA"]))]
        kept = br.config.state not in (S.CLOSED, S.LISTEN)
        out += [("an ACK of something not yet sent draws one ACK and changes nothing (3.10.7.4 fifth)",
                 acked + [lt(v["SND.NXT"], seg.ack)], all_of(same, _challenge_ack(cfg, br))),
                ("a bare duplicate ACK (SEG.ACK < SND.UNA) is ignored (3.10.7.4 fifth)",
                 bare + [lt(seg.ack, v["SND.UNA"]), neg(lt(v["SND.NXT"], seg.ack))], ok),
                ("a bare acceptable ACK is not acknowledged (3.10.7.4 fifth to eighth; MUST-58)",
                 bare + in_range, silent),
                ("SND.WND <- SEG.WND on an acceptable ACK with SND.UNA =< SEG.ACK =< SND.NXT (3.10.7.4 fifth)",
                 acked + in_range, implies(kept, eq(br.config.v["SND.WND"], seg.wnd))),
                ("SND.WND changes only on such an ACK (3.10.7.4 fifth)", [neg(all_of(*acked, *in_range))],
                 implies(kept, eq(br.config.v["SND.WND"], v["SND.WND"]))),
                ("SND.UNA <- SEG.ACK on an acceptable ACK with SND.UNA < SEG.ACK =< SND.NXT (3.10.7.4 fifth)",
                 acked + in_range + [ne(seg.ack, v["SND.UNA"])],
                 implies(kept, eq(br.config.v["SND.UNA"], seg.ack)))]
        not_new = [neg(lt(v["SND.NXT"], seg.ack))]
        if state is S.CLOSING:
            out.append(("CLOSING: a segment that does not acknowledge our FIN is ignored (3.10.7.4 fifth)",
                        acked + not_new + [neg(eq(seg.ack, v["SND.NXT"]))],
                        all_of(silent, br.config.state is S.CLOSING)))
            out.append(("CLOSING: an acceptable FIN that acknowledges ours enters TIME-WAIT and draws exactly one "
                        "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (3.10.7.4 fifth, then eighth TIME-WAIT)",
                        acked + [fin, eq(seg.ack, v["SND.NXT"])],
                        all_of(br.config.state is S.TIME_WAIT, _one_ack(br))))
        if state in (S.CLOSE_WAIT, S.LAST_ACK, S.TIME_WAIT):
            out.append((f"{state}: text after the peer's FIN is ignored, not acknowledged (3.10.7.4 seventh)",
                        acked + not_new + [neg(fin)], silent))
        if state is not S.CLOSING:
            # LAST-ACK: an ACK of our FIN ends the connection before the FIN step
            ends = [neg(eq(seg.ack, v["SND.NXT"]))] if state is S.LAST_ACK else []
            out.append(("an acceptable FIN, at RCV.NXT or beyond it, draws exactly one "
                        "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (3.10.7.4 eighth; MUST-58)",
                        acked + not_new + [fin] + ends, _one_ack(br)))
        if state in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2):
            out.append(("a segment at RCV.NXT whose text and FIN fit the window is taken whole: RCV.NXT <- "
                        "SEG.SEQ + SEG.LEN (3.10.7.4 seventh and eighth)",
                        acked + not_new + [fin, eq(seg.seq, v["RCV.NXT"]), ule(seg.len, v["RCV.WND"])],
                        implies(kept, eq(br.config.v["RCV.NXT"], add(seg.seq, seg.len)))))
            out.append(("acceptable text draws exactly one <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (3.10.7.4 "
                        "seventh; MUST-58)", acked + not_new + [ult(0, seg.data)], _one_ack(br)))
    return out


@check("drops",
       "3.10.7.1-3.10.7.4 (dropped and ignored segments change nothing); MUST-58")
def prove_drops(model: Model) -> CheckResult:
    """For every state, every configuration satisfying the endpoint
    invariant and every segment (RFC 9293 3.10.7):
    - CLOSED discards a RST, never leaves CLOSED, answers an ACK with
      <SEQ=SEG.ACK><CTL=RST> only and any other segment with
      <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> only; LISTEN ignores a RST,
      answers an ACK with <SEQ=SEG.ACK><CTL=RST> only, a SYN with exactly
      one <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK>, and drops a segment with
      neither SYN, ACK nor RST; SYN-SENT drops an unacceptable ACK with
      RST, answers one without RST with <SEQ=SEG.ACK><CTL=RST> only, drops
      a RST without ACK and a segment with neither SYN nor RST;
    - in the states of 3.10.7.4: a segment Table 6 refuses changes nothing
      and draws exactly <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (nothing if it
      carries RST); an acceptable segment with the ACK bit off is dropped;
    - in the synchronized states: an ACK beyond SND.NXT draws one ACK and
      changes nothing; a bare duplicate ACK is ignored; a bare acceptable
      ACK is not acknowledged (an ACK of an ACK would be answered forever);
      SND.WND <- SEG.WND exactly on the acceptable ACKs with SND.UNA =<
      SEG.ACK =< SND.NXT (DECISIONS.md: the window update without WL1/WL2),
      and no user call or timeout changes SND.WND; SND.UNA <- SEG.ACK on
      every acceptable ACK with SND.UNA < SEG.ACK =< SND.NXT; an allowance
      of 3.10.7.4 first is made only for a segment without SYN and keeps
      the state; acceptable text in
      ESTABLISHED and FIN-WAIT-1/2, and an acceptable FIN at RCV.NXT or
      beyond it in every synchronized state but CLOSING, draw exactly one
      <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (MUST-58: one ACK per segment).
    One z3 query per state and event covers every branch and claim
    (unsat = proved); a failure is then located branch by branch."""
    t0 = time.perf_counter()
    name, ref = prove_drops.check_name, prove_drops.check_ref
    n = 0
    walk = endpoint_states(name, ref, t0)
    if isinstance(walk, CheckResult):
        return walk
    for state, cfg, facts in walk:
        seg = symbolic_segment(cfg)
        segf = segment_facts(seg, MAX_DATA)
        jobs = [(Arrive(seg), segf, True)]
        if state in SYNCHRONIZED:
            for kind in event_kinds(model, state):
                if kind != SEGMENT:
                    ev, efacts = symbolic_event(kind, cfg)
                    jobs.append((ev, efacts, False))
        for ev, efacts, is_seg in jobs:
            branches = []
            for br in Executor(model, facts + efacts).step(cfg, ev):
                if br.illegal:
                    continue
                n += 1
                if is_seg:
                    claims = _claims(state, cfg, seg, br)
                else:
                    kept = br.config.state not in (S.CLOSED, S.LISTEN)
                    claims = [(f"{ev} does not change SND.WND (3.10.7.4 fifth: only ACKs do)", [],
                               implies(kept, eq(br.config.v["SND.WND"], cfg.v["SND.WND"])))]
                branches.append((br, claims, [all_of(*pre, neg(claim)) for _, pre, claim in claims]))
            # Two queries: the window bound on RCV.NXT, asked alone, keeps the big one fast.
            found = None
            for part in (lambda lab: not lab.startswith(BOUND), lambda lab: lab.startswith(BOUND)):
                group = [(br, [c for c in claims if part(c[0])], [x for c, x in zip(claims, cases) if part(c[0])])
                         for br, claims, cases in branches]
                found = first_witness(facts + efacts, [br.cond + [any_of(*cases)] for br, _, cases in group])
                if found is not None:
                    break
            if found is None:
                continue
            i, m = found
            br, claims, cases = group[i]
            label = next(lab for (lab, _, _), c in zip(claims, cases)
                         if z3.is_true(m.eval(boolean(c), model_completion=True)))
            return claim_failure(model, name, ref, t0, state, label, br, cfg, ev, m)
    return CheckResult(name, ref, PASS, f"proved for all 2^32 values: {n} branches drop, ignore and answer as "
                       "3.10.7 says; SND.WND follows exactly the acceptable ACKs", time.perf_counter() - t0,
                       {"branches": n})
