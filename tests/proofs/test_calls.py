"""Proof calls (RFC 9293 3.10.1-3.10.5, 3.10.8): it holds on the table, and
each kind of claim has a negative control, a table broken the way a mutant
of `python -m checker mutate` broke it (each survived every other check),
with the counterexample replayed through the concrete engine."""

import pytest

from checker import proofs as P
from checker.result import FAIL, PASS
from model.expr import V
from model.machine import Model, standard
from model.rows import Emit, changed, without
from model.state import State

S = State
STANDARD = standard()


def failing(rows):
    model = Model(rows, "broken", "tests/proofs/test_calls.py")
    r = P.PROOFS["calls"](model)
    assert r.status == FAIL, r.summary
    rep = P.replay(model, r.counterexample)
    (_, ev, out, _, _), = rep.steps
    return r.counterexample, rep.start["A"], ev, out


def test_calls_holds_on_the_table():
    r = P.PROOFS["calls"](STANDARD)
    assert r.status == PASS, (r.summary, r.counterexample)
    assert r.figures["branches"] > 30


@pytest.mark.parametrize("row,change,claim,state_after", [
    # an active OPEN from LISTEN sends its SYN but deletes the TCB that must retransmit it
    ("open-active@LISTEN", {"goto": S.CLOSED}, "active OPEN enters SYN-SENT", S.CLOSED),
    # ABORT in LAST-ACK must delete the TCB (3.10.5), not linger in CLOSING
    ("abort-quiet@LAST-ACK", {"goto": S.CLOSING}, "ABORT in LAST-ACK enters CLOSED", S.CLOSING),
    # the user timeout deletes the TCB (3.10.8)
    ("user-timeout@CLOSING", {"goto": None}, "deletes the TCB", S.CLOSING),
    # a SEND of nothing must not end the connection
    ("send-empty@ESTABLISHED", {"goto": S.CLOSED}, "SEND keeps the state", S.CLOSED),
    # STATUS reports the TCB (3.10.6); a table that deletes it there survived every other check
    ("status@ESTABLISHED", {"goto": S.CLOSED}, "STATUS changes no state", S.CLOSED),
    # RECEIVE returns what has arrived (3.10.3); it does not close the connection
    ("receive@FIN-WAIT-2", {"goto": S.TIME_WAIT}, "RECEIVE changes no state", S.TIME_WAIT),
])
def test_calls_catches_a_wrong_next_state(row, change, claim, state_after):
    cex, cfg, ev, out = failing(changed(STANDARD.rows, row, **change))
    assert claim in cex["claim"] and out.config.state is state_after
    assert STANDARD.step(cfg, ev).config.state is not state_after


def test_calls_catches_a_status_that_sends():
    """STATUS is not a step of the protocol (3.10.6): it sends nothing."""
    cex, cfg, ev, out = failing(changed(STANDARD.rows, "status@ESTABLISHED",
                                        emit=Emit("ACK", seq=V("SND.NXT"), ack=V("RCV.NXT"))))
    assert "STATUS" in cex["claim"] and out.sent and not STANDARD.step(cfg, ev).sent


def test_calls_catches_a_wrong_segment_on_abort():
    """ABORT in SYN-RECEIVED sends <SEQ=SND.NXT><CTL=RST> (3.10.5), not a RST,FIN."""
    cex, cfg, ev, out = failing(changed(STANDARD.rows, "abort-rst@SYN-RECEIVED",
                                        emit=Emit("RST,FIN", seq=V("SND.NXT"))))
    (seg,) = out.sent
    assert seg.rst and seg.fin and cfg.state is S.SYN_RECEIVED


def test_calls_catches_an_active_open_marked_passive():
    """MUST-11: only a passive OPEN may later return to LISTEN."""
    from model.expr import TRUE

    rows = changed(STANDARD.rows, "open-active@CLOSED",
                   set={"SND.UNA": V("ISS"), "SND.NXT": V("ISS") + 1, "PASSIVE": TRUE})
    cex, cfg, ev, out = failing(rows)
    assert out.config.passive and out.config.state is S.SYN_SENT


def test_calls_catches_a_user_timeout_with_nothing_outstanding():
    # 3.10.8 / DECISIONS.md Timers: the user timer runs only while something is outstanding
    from model.seq import eq
    from model.table import SND_NXT, SND_UNA

    cex, cfg, ev, out = failing(changed(STANDARD.rows, "user-timeout@FIN-WAIT-1", when=eq(SND_UNA, SND_NXT)))
    assert "user timeout" in cex["claim"] and cfg.state is S.FIN_WAIT_1


@pytest.mark.parametrize("state", [S.FIN_WAIT_1, S.CLOSE_WAIT, S.LAST_ACK])
def test_calls_catches_a_state_without_a_user_timeout(state):
    """3.10.8 "for any state if the user timeout expires": a table with no
    user-timeout row in a state where something is outstanding is asked
    too (the row deleted survived every other check)."""
    cex, cfg, ev, out = failing(without(STANDARD.rows, f"user-timeout@{state}"))
    assert "can fire whenever something is outstanding" in cex["claim"] and cfg.state is state
    assert out is None and cfg.snd_una != cfg.snd_nxt


def test_calls_catches_a_send_of_nothing_refused_for_resources():
    """3.10.2: a SEND of no octets has nothing to remember; without
    `send-empty` the window's refusal row takes it."""
    cex, cfg, ev, out = failing(without(STANDARD.rows, "send-empty@CLOSE-WAIT"))
    assert "only beyond the peer's window" in cex["claim"] and ev.length == 0
    assert out.error == "insufficient resources" and STANDARD.step(cfg, ev).error is None


@pytest.mark.parametrize("state", [S.ESTABLISHED, S.CLOSE_WAIT])
def test_calls_catches_a_send_of_nothing_that_sends_an_ack(state):
    """3.10.2: a SEND of no octets has nothing to segmentize; the row that
    asks for the aggregated ACK there sends a bare ACK (a survivor of the
    full `mutate` set)."""
    from model.rows import changed

    cex, cfg, ev, out = failing(changed(STANDARD.rows, f"send-empty@{state}", ack=True))
    assert "or nothing for no data" in cex["claim"] and ev.length == 0
    assert out.sent and not STANDARD.step(cfg, ev).sent
    # the same through the `send` row whose guard lost its SEND.LEN > 0 (send-empty then never fires)
    from checker.mutate.operators import mutants

    [m] = [m for m in mutants(STANDARD.rows, ["guard-weaken"]) if m.id == f"guard-weaken:send@{state}#1"]
    cex, cfg, ev, out = failing(list(m.rows))
    assert "or nothing for no data" in cex["claim"] and ev.length == 0 and out.sent
