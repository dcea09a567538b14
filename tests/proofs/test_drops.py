"""Proof drops (RFC 9293 3.10.7.1-3.10.7.4): it holds on the table, and each
of its claims has a negative control, a table broken the way a mutant of
`python -m checker mutate` broke it (each survived every other check), with
the counterexample replayed through the concrete engine."""

import pytest

from checker import proofs as P
from checker.result import FAIL, PASS
from model.machine import Model, standard
from model.rows import changed, without
from model.state import State

S = State
STANDARD = standard()


def broken(rows):
    return Model(rows, "broken", "tests/proofs/test_drops.py")


def failing(model):
    r = P.PROOFS["drops"](model)
    assert r.status == FAIL, r.summary
    cex = r.counterexample
    (_, ev, out, a, _), = P.replay(model, cex).steps
    cfg = P.replay(model, cex).start["A"]
    return r, cex, cfg, ev, out


def test_drops_holds_on_the_table():
    r = P.PROOFS["drops"](STANDARD)
    assert r.status == PASS, (r.summary, r.counterexample)
    assert r.figures["branches"] > 200


def test_drops_catches_an_ack_for_a_segment_without_ack():
    """The ACK step answers a segment whose ACK bit is off (3.10.7.4 fifth: drop it)."""
    rows = changed(STANDARD.rows, "ack-off@ESTABLISHED", ack=True)
    r, cex, cfg, ev, out = failing(broken(rows))
    assert "ACK bit off is dropped" in cex["claim"]
    assert not ev.segment.ackf and out.sent  # the concrete engine answers it too
    assert not STANDARD.step(cfg, ev).sent


def test_drops_catches_a_send_window_not_updated():
    """SEG.ACK = SND.UNA no longer updates SND.WND (the row is deleted)."""
    rows = without(STANDARD.rows, "ack-dup@ESTABLISHED")
    r, cex, cfg, ev, out = failing(broken(rows))
    assert "SND.WND <- SEG.WND" in cex["claim"]
    assert out.config.snd_wnd != ev.segment.wnd and STANDARD.step(cfg, ev).config.snd_wnd == ev.segment.wnd


def test_drops_catches_an_ack_of_an_ack():
    """A bare duplicate-free ACK is acknowledged: two endpoints would ACK each other forever."""
    rows = changed(STANDARD.rows, "ack-dup@ESTABLISHED", ack=True)
    r, cex, cfg, ev, out = failing(broken(rows))
    assert "not acknowledged" in cex["claim"] and out.sent and not ev.segment.data


def test_drops_catches_a_reset_without_ack_taken_as_a_syn():
    """SYN-SENT: a SYN,RST without ACK must be dropped (3.10.7.3 second), not open the connection."""
    rows = without(STANDARD.rows, "syn-sent-rst-noack@SYN-SENT")
    r, cex, cfg, ev, out = failing(broken(rows))
    assert cfg.state is S.SYN_SENT and ev.segment.rst and not ev.segment.ackf
    assert out.config.state is not S.SYN_SENT


def test_drops_catches_an_old_ack_that_closes():
    """An old duplicate ACK in FIN-WAIT-1 deletes the TCB (a wrong next state)."""
    rows = changed(STANDARD.rows, "ack-old@FIN-WAIT-1", goto=S.CLOSED)
    r, cex, cfg, ev, out = failing(broken(rows))
    assert any(w in cex["claim"] for w in ("duplicate ACK", "text", "acceptable FIN")) and out.config.state is S.CLOSED
    assert cfg.state is S.FIN_WAIT_1 and STANDARD.step(cfg, ev).config.state is not S.CLOSED  # (z3 picks the segment)


@pytest.mark.parametrize("row", ["rst-none@ESTABLISHED"])
def test_drops_does_not_blame_an_equivalent_change(row):
    """Control: a change z3 proves equivalent (the RST step's last row only
    sees segments without RST) leaves the proof holding."""
    from model.expr import Not, V

    rows = changed(STANDARD.rows, row, when=Not(V("CTL.RST")))
    assert P.PROOFS["drops"](broken(rows)).status == PASS


def test_drops_catches_a_reset_refused_inside_the_window():
    """The seq step drops in silence a RST whose last octet is in the window
    (Table 6 accepts it: it must go on to the RST step)."""
    from model.expr import Not, V, all_of
    from model.table import ACCEPTABLE, RST

    narrow = V("SEG.SEQ") - V("RCV.NXT")  # only the first octet counts in this broken table
    rows = changed(STANDARD.rows, "seq-bad-rst@FIN-WAIT-2",
                   when=all_of(Not(ACCEPTABLE) | Not(narrow.__class__("u<", (narrow, V("RCV.WND")))), RST))
    r, cex, cfg, ev, out = failing(broken(rows))
    assert "Table 6" in cex["claim"] and ev.segment.rst and not out.sent


def test_drops_catches_a_bad_ack_in_syn_received_that_moves():
    rows = changed(STANDARD.rows, "ack-synrcvd-bad@SYN-RECEIVED", goto=S.LISTEN)
    r, cex, cfg, ev, out = failing(broken(rows))
    # (as a plain ACK or as the peer's SYN again: z3 picks the segment)
    assert "unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>" in cex["claim"] and out.config.state is S.LISTEN


def test_drops_catches_an_ack_of_ignored_text():
    rows = changed(STANDARD.rows, "ack-old@LAST-ACK", ack=True)
    r, cex, cfg, ev, out = failing(broken(rows))
    # caught as text acknowledged, a duplicate ACK acknowledged or two ACKs for one segment (z3
    # picks the segment)
    assert any(c in cex["claim"] for c in ("text after the peer's FIN is ignored", "at most one <CTL=ACK>",
                                           "bare duplicate ACK (SEG.ACK < SND.UNA) is ignored")) and out.sent


def test_drops_catches_text_left_unacknowledged():
    rows = changed(STANDARD.rows, "text-out-of-order@FIN-WAIT-1", ack=False)
    r, cex, cfg, ev, out = failing(broken(rows))
    assert "acceptable text draws exactly one" in cex["claim"] and ev.segment.data and not out.sent


# --- the allowances of 3.10.7.4 first (each a mutant that survived every other check) ---------

def test_drops_catches_a_zero_window_that_drops_the_ack():
    """3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable,
    but special allowance should be made to accept valid ACKs, URGs, and RSTs"."""
    r, cex, cfg, ev, out = failing(broken(without(STANDARD.rows, "seq-zero-window@FIN-WAIT-2")))
    assert "a zero window still takes" in cex["claim"] and cfg.rcv_wnd == 0 and cfg.state is S.FIN_WAIT_2


def test_drops_catches_a_retransmitted_fin_whose_ack_is_dropped():
    """Appendix A.2: the sequence check must not keep the ACK of a retransmitted
    FIN from being processed (a wrap-unaware comparison in the fin-again guard)."""
    from model.seq import ult
    from model.table import ACK, FIN, RCV_NXT, RST, SEG_LEN, SEG_SEQ, SND_NXT, SYN, ZERO_LEN
    from model.seq import add, eq
    from model.expr import V

    bad_guard = (FIN & ~RST & ~SYN & ~ZERO_LEN & eq(add(SEG_SEQ, SEG_LEN), RCV_NXT) & ~(ACK & ult(SND_NXT, V("SEG.ACK"))))
    rows = changed(STANDARD.rows, "fin-again@CLOSE-WAIT", when=bad_guard)
    r, cex, cfg, ev, out = failing(broken(rows))
    # (or, on another segment z3 picks, as the two ACKs the unacceptable FIN then draws, MUST-58)
    assert any(c in cex["claim"] for c in ("the peer's FIN again has its ACK field processed",
                                           "at most one <CTL=ACK>")) and ev.segment.fin


@pytest.mark.parametrize("state", [S.CLOSE_WAIT, S.TIME_WAIT])
def test_drops_catches_a_fin_beyond_rcv_nxt_left_unacknowledged(state):
    """3.10.7.4 eighth (MUST-58): an acceptable FIN that cannot be taken
    yet is still acknowledged; without `fin-out-of-order` it falls through
    to `fin-none` and is dropped in silence (a mutant that survived every
    other check)."""
    rows = without(STANDARD.rows, f"fin-out-of-order@{state}")
    r, cex, cfg, ev, out = failing(broken(rows))
    # (TIME-WAIT: z3 may start in CLOSING, whose FIN that acknowledges ours goes on into TIME-WAIT)
    assert "acceptable FIN" in cex["claim"] and cfg.state in (state, S.CLOSING)
    assert ev.segment.fin and not out.sent and len(STANDARD.step(cfg, ev).sent) == 1


# --- claims added for the mutants of `mutate --sample 150 --seed 8` that survived ---

def test_drops_catches_a_zero_window_allowance_that_moves():
    """3.10.7.4 first: the zero-window allowance only lets a segment's ACK or
    RST on; a row that enters CLOSED itself deletes the connection."""
    r, cex, cfg, ev, out = failing(broken(changed(STANDARD.rows, "seq-zero-window@ESTABLISHED", goto=S.CLOSED)))
    assert "allowance keeps the state" in cex["claim"] and cfg.rcv_wnd == 0
    assert out.config.state is S.CLOSED and STANDARD.step(cfg, ev).config.state is not S.CLOSED


def test_drops_catches_a_zero_window_allowance_for_a_syn():
    """The allowance is for valid ACKs, URGs and RSTs; a SYN,RST let on by
    it resets CLOSING where RFC 5961 4.2 answers a SYN with a challenge ACK."""
    from checker.mutate.operators import mutants

    # the mutant that survived: the guard's "not CTL.SYN" conjunct dropped
    [m] = [m for m in mutants(STANDARD.rows, ["guard-weaken"]) if m.id == "guard-weaken:seq-zero-window@CLOSING#4"]
    r, cex, cfg, ev, out = failing(broken(list(m.rows)))
    assert "only for a segment without SYN" in cex["claim"] and ev.segment.syn


def test_drops_catches_a_syn_ack_with_an_extra_ack_from_listen():
    """3.10.7.2 third: LISTEN answers a SYN with exactly one SYN,ACK."""
    r, cex, cfg, ev, out = failing(broken(changed(STANDARD.rows, "listen-syn@LISTEN", ack=True)))
    assert "a SYN draws exactly one" in cex["claim"] and cfg.state is S.LISTEN
    assert len(out.sent) == 2 and len(STANDARD.step(cfg, ev).sent) == 1


def test_drops_catches_a_reset_from_closed_that_carries_data():
    """3.10.7.1: CLOSED answers an ACK with <SEQ=SEG.ACK><CTL=RST>, no text."""
    from model.rows import Emit
    from model.table import SEG_ACK

    r, cex, cfg, ev, out = failing(broken(changed(STANDARD.rows, "closed-ack@CLOSED",
                                                  emit=Emit("RST", seq=SEG_ACK, data=1))))
    assert "a segment with ACK draws <SEQ=SEG.ACK><CTL=RST>" in cex["claim"]
    assert out.sent[0].data == 1


@pytest.mark.parametrize("row", ["ack-new@CLOSE-WAIT", "ack-new@LAST-ACK"])
def test_drops_catches_a_new_ack_that_does_not_advance_snd_una(row):
    """3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT sets SND.UNA <- SEG.ACK."""
    from model.table import SEG_WND

    r, cex, cfg, ev, out = failing(broken(changed(STANDARD.rows, row, set={"SND.WND": SEG_WND})))
    assert "SND.UNA <- SEG.ACK" in cex["claim"]
    assert out.config.snd_una != ev.segment.ack and STANDARD.step(cfg, ev).config.snd_una == ev.segment.ack


# --- and for the survivors of `mutate --sample 150 --seed 9` ---

def _mutant(mid):
    from checker.mutate.operators import mutants

    op = mid.split(":", 1)[0]
    [m] = [m for m in mutants(STANDARD.rows, [op]) if m.id == mid]
    return broken(list(m.rows))


@pytest.mark.parametrize("mid,claim", [
    # the zero-window allowance discards text: the discarded part is still acknowledged
    ("ack-request:seq-zero-window@SYN-RECEIVED#1", "whose text or FIN is discarded draws"),
    # the ACK that completes the handshake sets the send window (3.10.7.4 fifth SYN-RECEIVED)
    ("update-drop:ack-synrcvd@SYN-RECEIVED#2", ("acceptable ACK sets SND.WND <- SEG.WND",
                                                "a zero window still takes a valid ACK: SYN-RECEIVED")),
    # the peer's FIN again is a FIN that ends at RCV.NXT, not any FIN under a zero window
    ("guard-weaken:fin-again@CLOSING#11", "an allowance is made only under a zero window"),
    # in-order text and the FIN behind it in one segment: both are taken
    ("then:text-in-order@ESTABLISHED#1", "is taken whole"),
    ("then:text-in-order@FIN-WAIT-1#1", "is taken whole"),
    # (--sample 100 --seed 10) a segment without SYN at SEG.SEQ = IRS is no retransmitted SYN
    ("guard-weaken:syn-again@SYN-RECEIVED#5", "only for the peer's SYN again"),
    # (--sample 120 --seed 13) LAST-ACK stays LAST-ACK on a FIN (3.10.7.4 eighth)
    ("goto:fin-out-of-order@LAST-ACK#9", "a FIN changes no state once the peer's FIN is in"),
    # the peer's FIN again draws one ACK, not two (MUST-58)
    ("ack-request:fin-again@TIME-WAIT#1", "at most one <CTL=ACK>"),
    # the zero-window allowance must leave an exact RST exact in SYN-RECEIVED too
    ("off-by-one:seq-zero-window@SYN-RECEIVED#1", "a zero window still takes an exact RST"),
    # SYN-SENT: a RST that acknowledges our SYN resets, whatever else it carries (3.10.7.3 second)
    ("guard-strengthen:syn-sent-rst@SYN-SENT#6", "a RST whose ACK acknowledges our SYN enters CLOSED"),
    # (the full set) SYN-RECEIVED: the peer's SYN again with ACK is the simultaneous open's SYN,ACK
    ("delete-row:trim-old-syn@SYN-RECEIVED#1", ("the peer's SYN again with an unacceptable ACK",
                                                "the peer's SYN again with an acceptable ACK completes")),
    # ... and without ACK it is answered by our SYN,ACK again
    ("delete-row:syn-again@SYN-RECEIVED#1", "the peer's SYN again without ACK draws exactly our"),
    # another SYN returns a passive SYN-RECEIVED to LISTEN (3.10.7.4 fourth)
    ("delete-row:syn-passive@SYN-RECEIVED#1", "SYN-RECEIVED from a passive OPEN: any other acceptable SYN"),
    # SYN-SENT: a simultaneous open's SYN draws our SYN,ACK and nothing else (3.10.7.3 fourth)
    ("flag-add:syn-sent-syn@SYN-SENT#2", "a SYN without ACK (simultaneous open) draws exactly one"),
    ("ack-request:syn-sent-syn@SYN-SENT#1", "a SYN without ACK (simultaneous open) draws exactly one"),
    # SYN-SENT: one ACK for the peer's SYN,ACK, not two (MUST-58)
    ("ack-request:syn-sent-synack@SYN-SENT#1", "at most one <CTL=ACK>"),
    # SYN-RECEIVED: the handshake's bare ACK draws no ACK
    # (the bare ACK, or the peer's SYN,ACK again, which completes the handshake as well: z3 picks)
    ("ack-request:ack-synrcvd@SYN-RECEIVED#1", ("the handshake's last segment, is not acknowledged",
                                                "discarded unacknowledged")),
    # SND.WND <- SEG.WND on a SYN taken, in LISTEN and SYN-SENT (3.10.7.3 fourth)
    ("off-by-one:listen-syn@LISTEN#17", "a SYN taken sets SND.WND <- SEG.WND"),
    ("update-drop:listen-syn@LISTEN#6", "a SYN taken sets SND.WND <- SEG.WND"),
    ("update-drop:syn-sent-synack@SYN-SENT#4", "a SYN taken sets SND.WND <- SEG.WND"),
    ("off-by-one:syn-sent-syn@SYN-SENT#11", "a SYN taken sets SND.WND <- SEG.WND"),
    # the text and FIN on the peer's SYN again are discarded without an ACK
    ("off-by-one:trim-old-syn@SYN-RECEIVED#6", "discarded unacknowledged"),
    ("update-drop:trim-old-syn@SYN-RECEIVED#3", "discarded unacknowledged"),
    # text that fills the window and a FIN beyond it: the FIN is not taken
    ("update-drop:text-in-order@FIN-WAIT-1#2", "RCV.NXT advances by at most RCV.WND"),
    ("update-drop:text-in-order@ESTABLISHED#2", "RCV.NXT advances by at most RCV.WND"),
    # a segment at IRS without SYN is no SYN again: its new text is taken
    ("guard-weaken:trim-old-syn@SYN-RECEIVED#5", "new text or FIN at RCV.NXT in an open window is taken"),
    # a zero window still lets the handshake's ACK complete it
    ("guard-strengthen:seq-zero-window@SYN-RECEIVED#9", "a zero window still takes a valid ACK: SYN-RECEIVED"),
    # old text ending at RCV.NXT and a FIN there: the FIN is taken after the text step
    ("then:text-out-of-order@FIN-WAIT-1#1", "new text or FIN at RCV.NXT in an open window is taken"),
    ("then:text-out-of-order@ESTABLISHED#1", "new text or FIN at RCV.NXT in an open window is taken"),
    # CLOSING: the ACK of our FIN and a FIN with it: TIME-WAIT acknowledges the FIN
    ("then:ack-fin-acked@CLOSING#1", "an acceptable FIN that acknowledges ours enters TIME-WAIT"),
])
def test_drops_catches_the_survivors_of_the_second_sample(mid, claim):
    r, cex, cfg, ev, out = failing(_mutant(mid))
    assert any(c in cex["claim"] for c in ((claim,) if isinstance(claim, str) else claim)), cex["claim"]
    want = STANDARD.step(cfg, ev)
    if mid.startswith("guard-weaken:fin-again"):
        # the widened allowance fires where the table's does not (here with the same outcome)
        assert "fin-again@CLOSING" in [x.name for x in out.fired]
        assert "fin-again@CLOSING" not in [x.name for x in want.fired]
    else:
        assert (out.config, out.sent) != (want.config, want.sent)  # the concrete engines differ there too


def test_drops_catches_a_simultaneous_open_that_stays_in_syn_received():
    """Figure 7 line 7: the peer's SYN,ACK (SEG.SEQ = IRS) acknowledging our
    SYN enters ESTABLISHED; a table that answers it with a challenge ACK instead
    (the trim row dropped, the SYN step left to see the SYN) fails."""
    r, cex, cfg, ev, out = failing(_mutant("delete-row:trim-old-syn@SYN-RECEIVED#1"))
    assert "SYN-RECEIVED: the peer's SYN again" in cex["claim"]
    assert ev.segment.syn and ev.segment.seq == cfg.irs


def test_drops_catches_an_active_syn_received_that_goes_back_to_listen():
    """3.10.7.4 fourth: only a passive OPEN's SYN-RECEIVED returns to LISTEN on
    a SYN; an active one answers it as the synchronized states do."""
    from model.rows import changed
    from model.state import State

    r, cex, cfg, ev, out = failing(broken(changed(STANDARD.rows, "syn-challenge@SYN-RECEIVED", goto=State.LISTEN,
                                                  ack=False)))
    assert "SYN-RECEIVED from an active OPEN" in cex["claim"]
    assert not cfg.passive and out.config.state.name == "LISTEN"
