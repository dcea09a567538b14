"""Every check of `verify`, on the standard table (must hold) and on a
deliberately broken variant that it must catch, with the counterexample
asserted. Grouped by check."""

from __future__ import annotations

import pytest

from checker.analysis.composed import (check_deadlock, check_established_iff, check_established_reachable,
                              check_graceful_close, check_isn_agreement, check_livelock,
                              check_seq_agreement)
from checker.analysis.explore import explore
from checker.load import load_model
from checker.analysis.options import Options
from checker.result import UNCHECKED, FAIL, NA, PASS
from checker.analysis.report import check_coverage, default_runs, run_verify, summarize
from checker.analysis.wellformed import check_complete, check_handshake_ack, check_one_endpoint, check_rows_fire
from model.expr import V
from model.machine import Model
from model.rows import Emit, rows, without
from model.rows import changed as chg
from model.seq import add
from model.state import State as S
from model.table import ROWS, RST, SND_NXT, RCV_NXT, SYN

RELIABLE = Options(loss=False, old_syn=False, abort=False)
LOSSY = Options(loss=True, old_syn=True, abort=False)


@pytest.fixture(scope="module")
def standard():
    return load_model(None)


def variant(table) -> Model:
    return Model(table, "broken", "tests")


# --- the standard table passes everything --------------------------------------

def test_standard_model_passes_every_check_in_the_default_runs(standard):
    rep = run_verify(standard, default_runs(Options(), False), 1_000_000)
    assert rep.ok, [c.as_json() for c in rep.all_checks() if c.failed]
    statuses = {(c.name, c.status) for c in rep.all_checks()}
    # every composed check actually applied in at least one run
    for name in ("no-deadlock", "no-livelock", "established-iff", "seq-agreement", "isn-agreement",
                 "graceful-close", "established-reachable"):
        assert (name, PASS) in statuses


def test_default_runs_cover_both_abort_settings_and_both_networks():
    runs = default_runs(Options(), faults_given=False)
    assert {(r.loss, r.abort) for r in runs} == {(False, True), (False, False), (True, True), (True, False)}
    # two incarnations per endpoint over the reliable and over the lossy network (issue 10)
    assert {(r.loss, r.abort) for r in runs if r.opens >= 2} == {(False, True), (False, False), (True, True),
                                                                 (True, False)}
    assert all(r.r2 for r in runs)
    assert all(not r.abort for r in default_runs(Options(abort=False), faults_given=False))


# --- rows-fire ---------------------------------------------------------------------

def test_rows_fire_catches_a_row_shadowed_by_an_earlier_one():
    i = next(i for i, r in enumerate(ROWS) if r.name == "listen-rst@LISTEN")
    dead = rows("listen-syn-rst", S.LISTEN, "SEGMENT", when=RST & SYN, ref="test")
    r = check_rows_fire(variant(ROWS[:i + 1] + dead + ROWS[i + 1:]))
    assert r.status == FAIL
    assert r.figures["dead"] == ["listen-syn-rst@LISTEN"]
    assert "earlier rows of (LISTEN, SEGMENT) cover its guard" in r.counterexample["why"]


def test_rows_fire_catches_a_step_no_row_continues_into():
    # CLOSING's ACK step never continues, so a text row for CLOSING is dead.
    extra = rows("text-closing", S.CLOSING, "SEGMENT/text", then="continue", ref="test")
    r = check_rows_fire(variant(ROWS + extra))
    assert r.status == FAIL and r.figures["dead"] == ["text-closing@CLOSING"]
    assert "no step of 3.10.7.4 continues into" in r.counterexample["why"]


# --- complete -------------------------------------------------------------------------

def test_complete_catches_a_segment_no_row_handles():
    r = check_complete(variant(without(ROWS, "closed-noack@CLOSED")))
    assert r.status == FAIL
    assert "(CLOSED, SEGMENT) handles no row for" in r.counterexample["why"]
    assert "RST" not in r.counterexample["why"].split("for")[1] and "ACK" not in r.counterexample["why"].split("for")[1]


def test_complete_catches_a_user_call_without_response():
    """OPEN in FIN-WAIT-2 must answer "connection already exists" (3.10.1), not be illegal."""
    assert check_complete(variant(ROWS)).status == PASS
    r = check_complete(variant(without(ROWS, "open-active-exists@FIN-WAIT-2")))
    assert r.status == FAIL and "no rows for (FIN-WAIT-2, OPEN-ACTIVE)" in r.counterexample["text"]


@pytest.mark.parametrize("row,key", [("send-listen@LISTEN", "(LISTEN, SEND)"),
                                     ("send-before-established@SYN-SENT", "(SYN-SENT, SEND)")])
def test_complete_catches_a_send_before_established_without_response(row, key):
    """3.10.2 answers SEND in LISTEN ("foreign socket unspecified") and in
    SYN-SENT/SYN-RECEIVED (queue it, or "insufficient resources"); these
    rows once were exempt, and deleting one survived every check."""
    r = check_complete(variant(without(ROWS, row)))
    assert r.status == FAIL and f"no rows for {key}" in r.counterexample["text"]


def test_complete_catches_a_send_length_no_row_handles():
    r = check_complete(variant(without(ROWS, "send-empty@ESTABLISHED", "send-no-room@ESTABLISHED")))
    assert r.status == FAIL and "(ESTABLISHED, SEND) handles no row for SEND.LEN=" in r.counterexample["text"]


def test_complete_catches_a_missing_step():
    r = check_complete(variant([x for x in ROWS if x.on != "SEGMENT/syn" or x.state is not S.ESTABLISHED]))
    assert r.status == FAIL and "no rows for (ESTABLISHED, SEGMENT/syn)" in r.counterexample["text"]


# --- handshake-ack ----------------------------------------------------------------------

def test_handshake_ack_catches_the_rfc793_ack_test(standard):
    assert check_handshake_ack(standard).status == PASS
    r = check_handshake_ack(load_model("rfc793_syn_ack_check"))
    assert r.status == FAIL
    cfg, seg = r.counterexample["config"], r.counterexample["segment"]
    assert seg["ack"] == cfg["iss"]  # SEG.ACK = ISS: acknowledges nothing
    assert "does not acknowledge the SYN" in r.counterexample["text"]


# --- one-endpoint ---------------------------------------------------------------------------

def test_one_endpoint_catches_a_state_that_cannot_close():
    table = without(ROWS, "time-wait-timeout@TIME-WAIT", "rst-close@TIME-WAIT", "abort-quiet@TIME-WAIT")
    r = check_one_endpoint(variant(table))
    assert r.status == FAIL
    assert r.figures["cannot_close"] == ["TIME-WAIT"]
    assert r.counterexample["why"] == "CLOSED is not reachable from TIME-WAIT"


# --- no-deadlock --------------------------------------------------------------------------------

def test_no_deadlock_catches_last_ack_that_never_closes(standard):
    assert check_deadlock(explore(standard, RELIABLE)).status == PASS
    broken = variant(chg(ROWS, "ack-fin-acked@LAST-ACK", goto=None))
    r = check_deadlock(explore(broken, RELIABLE))
    assert r.status == FAIL
    last = r.counterexample["steps"][-1]
    assert "LAST-ACK" in (last["A"], last["B"])
    assert r.counterexample["text"].count("\n") + 1 >= r.counterexample["length"]


# --- no-livelock --------------------------------------------------------------------------------

def test_no_livelock_catches_a_time_wait_that_keeps_talking(standard):
    assert check_livelock(explore(standard, RELIABLE)).status == PASS
    table = without(ROWS, "time-wait-timeout@TIME-WAIT")
    table = chg(table, "rst-close@TIME-WAIT", goto=None)
    table = table + rows("tw-keepalive", S.TIME_WAIT, "RETRANSMISSION-TIMEOUT",
                         emit=Emit("ACK", seq=SND_NXT, ack=RCV_NXT), ref="test")
    r = check_livelock(explore(variant(table), RELIABLE))
    assert r.status == FAIL
    assert "never reaches a final state" in r.counterexample["why"]
    assert "TIME-WAIT" in r.counterexample["why"]
    assert "R2" not in r.counterexample["why"]  # nothing is outstanding: no timeout would end it


def test_no_livelock_without_r2_two_incarnations_retransmit_at_each_other_forever(standard):
    """A finding, not a broken table: B closes in SYN-SENT (its SYN is in
    flight, 3.10.4), listens again and takes A's SYN; A stays synchronized
    with B's first incarnation. Both end up retransmitting FINs whose ACKs
    the other drops as duplicates (3.10.7.4 fifth), so only R2 or the user
    timeout (3.8.3, 3.10.8) ends it: with them the run holds."""
    two = Options(loss=True, old_syn=False, abort=False, opens=2, data=0, r2=False)
    r = check_livelock(explore(standard, two))
    assert r.status == FAIL
    why, text = r.counterexample["why"], r.counterexample["text"]
    assert "only R2 (3.8.3, MUST-20) or the user timeout (3.10.8) would end it" in why
    assert "(B: CLOSE)" in text and "(B: OPEN (passive))" in text and "lost" in text
    assert check_livelock(explore(standard, two.with_(abort=True))).status == PASS


def test_no_livelock_r2_does_not_excuse_a_connection_that_ignores_its_acks():
    """Negative: with R2 finite, a table whose CLOSING ignores the ACK of
    its FIN leaves a simultaneous close retransmitting FINs forever between
    two TCBs of one connection: a livelock of the table, not the half-open
    connection R2 is there for (3.8.3 "failure of the remote host")."""
    from model.table import SND_WND

    table = chg(ROWS, "ack-fin-acked@CLOSING", goto=None, set={"SND.WND": SND_WND})
    r = check_livelock(explore(variant(table), RELIABLE))
    assert RELIABLE.r2 and r.status == FAIL and r.figures["by_r2"] == 0
    assert "only R2 (3.8.3, MUST-20) or the user timeout (3.10.8) would end it" in r.counterexample["why"]
    assert "CLOSING" in r.counterexample["why"]


def test_no_livelock_counts_apart_what_r2_ends_when_r2_is_finite(standard):
    """3.8.3 MUST-20: with R2 finite (the default) those components end by
    R2; they are counted, named in the summary, and not a failure."""
    r = check_livelock(explore(standard, Options(loss=True, old_syn=False, abort=False, opens=2, data=0)))
    assert r.status == PASS and r.figures["by_r2"] > 0 and r.figures["bad"] == 0
    assert "only R2 ends" in r.summary and "--r2-infinite" in r.summary


# --- established-reachable ---------------------------------------------------------------------

def test_established_reachable_catches_a_handshake_that_never_completes(standard):
    assert check_established_reachable(explore(standard, RELIABLE)).status == PASS
    table = chg(ROWS, "syn-sent-synack@SYN-SENT", goto=S.SYN_SENT)
    table = chg(table, "ack-synrcvd@SYN-RECEIVED", goto=None, then="stop")
    r = check_established_reachable(explore(variant(table), RELIABLE))
    assert r.status == FAIL and r.summary == "never reached"


# --- established-iff ------------------------------------------------------------------------------

def test_established_iff_catches_a_missing_third_ack(standard):
    assert check_established_iff(explore(standard, RELIABLE)).status == PASS
    broken = variant(chg(ROWS, "syn-sent-synack@SYN-SENT", emit=()))
    r = check_established_iff(explore(broken, RELIABLE))
    assert r.status == FAIL
    end = r.counterexample["steps"][-1]
    assert {end["A"], end["B"]} == {"ESTABLISHED", "SYN-RECEIVED"}
    assert end["in_flight"] == {"A->B": [], "B->A": []}


def test_established_iff_does_not_apply_with_loss(standard):
    assert check_established_iff(explore(standard, LOSSY)).status == NA


# --- seq-agreement ---------------------------------------------------------------------------------

def test_seq_agreement_catches_send_that_does_not_advance_snd_nxt(standard):
    assert check_seq_agreement(explore(standard, RELIABLE)).status == PASS
    broken = variant(chg(ROWS, "send@ESTABLISHED", set={}))
    r = check_seq_agreement(explore(broken, RELIABLE))
    assert r.status == FAIL
    end = r.counterexample["steps"][-1]
    assert end["A"] == end["B"] == "ESTABLISHED"
    a, b = end["A_vars"], end["B_vars"]
    assert a["SND.NXT"] != b["RCV.NXT"] or b["SND.NXT"] != a["RCV.NXT"]


# --- isn-agreement ------------------------------------------------------------------------------------

def test_isn_agreement_catches_the_two_way_handshake(standard):
    assert check_isn_agreement(explore(standard, LOSSY)).status == PASS
    r = check_isn_agreement(explore(load_model("two_way_handshake"), LOSSY))
    assert r.status == FAIL
    kinds = [s["kind"] for s in r.counterexample["steps"]]
    assert "old-syn" in kinds
    assert "ESTABLISHED synchronized with an old duplicate SYN" in r.counterexample["why"]


# --- graceful-close ---------------------------------------------------------------------------------------

def test_graceful_close_catches_no_time_wait(standard):
    assert check_graceful_close(explore(standard, LOSSY)).status == PASS
    r = check_graceful_close(explore(load_model("no_time_wait"), LOSSY))
    assert r.status == FAIL
    steps = r.counterexample["steps"]
    assert steps[-1]["segment"]["rst"]
    assert r.counterexample["why"].split(" reset by ")[0] in ("LAST-ACK", "CLOSING")
    assert any(s["kind"] == "lose" for s in steps)  # the last ACK was lost


def test_graceful_close_does_not_apply_with_abort(standard):
    assert check_graceful_close(explore(standard, LOSSY.with_(abort=True))).status == NA


# --- coverage -----------------------------------------------------------------------------------------------

def test_coverage_catches_a_state_never_entered(standard):
    e = [explore(standard, RELIABLE)]
    assert check_coverage(standard, [summarize(x, 10**9) for x in e]).status == PASS
    broken = load_model("no_time_wait")
    r = check_coverage(broken, [summarize(explore(broken, RELIABLE), 10**9)])
    assert r.status == FAIL and r.counterexample["why"] == "never entered: TIME-WAIT"


# --- inconclusive runs -----------------------------------------------------------------------------------------

def test_a_cut_state_space_makes_passing_checks_not_checked(standard):
    rep = run_verify(standard, [LOSSY], max_states=50)
    run_checks = rep.runs[0][1]
    assert all(c.status in (UNCHECKED, FAIL, NA) for c in run_checks)
    by_name = {c.name: c for c in run_checks}
    # the cut frontier looks like dead ends: liveness must not be claimed either way
    assert by_name["no-deadlock"].status == UNCHECKED and by_name["no-livelock"].status == UNCHECKED
    assert "state cap of 50 states reached" in by_name["no-deadlock"].summary
    assert rep.exit_status() == 3 and not rep.ok


# --- data-delivery ------------------------------------------------------------------------------

def test_data_delivery_holds_on_the_standard_table(standard):
    from checker.analysis.composed import check_data_delivery

    r = check_data_delivery(explore(standard, RELIABLE.with_(opens=1)))
    assert r.status == PASS and "moves of RCV.NXT" in r.summary


def test_data_delivery_catches_a_closer_that_ignores_text_and_takes_any_fin():
    """Negative: no_half_close (the first FIN closes both directions) acknowledges
    octets it never received; the ladder ends at the FIN that skips them."""
    from checker.analysis.composed import check_data_delivery

    model = load_model("no_half_close")
    r = check_data_delivery(explore(model, RELIABLE.with_(opens=1)))
    assert r.status == FAIL
    cex = r.counterexample
    assert "never received" in cex["why"]
    last = cex["steps"][-1]
    assert last["kind"] == "deliver" and last["segment"]["fin"]
    assert any(st["segment"] and st["segment"]["data"] for st in cex["steps"])  # the octet it skipped
