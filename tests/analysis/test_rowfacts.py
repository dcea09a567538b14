"""The table checks user-signals (3.6 MUST-12) and timers (3.8.1, 3.10.8,
MUST-13): hold on the standard table, and each catches a deliberately
broken table naming the row."""

from __future__ import annotations

import pytest

from checker.analysis.rowfacts import check_timers, check_user_signals
from checker.result import FAIL, PASS
from model.machine import Model
from model.rows import changed
from model.table import ROWS


@pytest.mark.parametrize("check", [check_user_signals, check_timers])
def test_the_standard_table_passes(check):
    from model.machine import standard

    r = check(standard())
    assert r.status == PASS, r.summary


# --- user-signals -------------------------------------------------------------------

def test_a_reset_the_user_is_not_told_of_fails_must_12():
    # 3.10.7.4 second: "Users should also receive an unsolicited general
    # 'connection reset' signal"; 3.6: the application MUST be informed
    # whether it closed normally or was aborted (MUST-12).
    r = check_user_signals(Model(changed(ROWS, "rst-reset@ESTABLISHED", signal=None), "b", "t"))
    assert r.status == FAIL
    assert "rst-reset@ESTABLISHED: a RST deletes the TCB in ESTABLISHED" in r.counterexample["why"]


def test_a_fin_taken_silently_fails():
    # 3.10.7.4 eighth: "If the FIN bit is set, signal the user 'connection closing'"
    r = check_user_signals(Model(changed(ROWS, "fin@FIN-WAIT-2", signal=None), "b", "t"))
    assert r.status == FAIL and "fin@FIN-WAIT-2 takes the peer's FIN" in r.counterexample["why"]


def test_a_normal_close_told_as_an_abort_fails():
    r = check_user_signals(Model(changed(ROWS, "time-wait-timeout@TIME-WAIT", signal="connection reset"),
                                 "b", "t"))
    assert r.status == FAIL and "time-wait-timeout@TIME-WAIT" in r.counterexample["why"]


# --- timers ----------------------------------------------------------------------------

def test_time_wait_entered_without_2msl_fails_must_13():
    # 3.10.7.4 eighth FIN-WAIT-2: "Enter the TIME-WAIT state. Start the
    # time-wait timer" (MUST-13)
    r = check_timers(Model(changed(ROWS, "fin@FIN-WAIT-2", timers={}), "b", "t"))
    assert r.status == FAIL
    assert "fin@FIN-WAIT-2 enters TIME-WAIT without starting the 2 MSL timer" in r.counterexample["why"]


def test_time_wait_re_ack_without_restart_fails():
    # 3.10.7.4 TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout."
    r = check_timers(Model(changed(ROWS, "fin-again@TIME-WAIT", timers={}), "b", "t"))
    assert r.status == FAIL and "fin-again@TIME-WAIT acknowledges the peer's FIN again" in r.counterexample["why"]


def test_a_send_without_the_retransmission_timer_fails():
    # 3.8.1 / RFC 6298 5.1: every segment with data starts the timer if it is not running
    r = check_timers(Model(changed(ROWS, "send@ESTABLISHED", timers={}), "b", "t"))
    assert r.status == FAIL and "send@ESTABLISHED sends sequence space" in r.counterexample["why"]
