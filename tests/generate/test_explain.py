"""`python -m checker explain`: ladders computed by running the table on two
endpoints (RFC 9293 3.5 Figures 6-9, 3.6 Figures 12-13, 3.6.1)."""

from __future__ import annotations

import json

import pytest

from checker.cli import main
from checker.generate.explain import SCENARIOS, ladder_lines, run_scenario
from model.expr import V
from model.machine import Model, standard
from model.rows import Emit, changed
from model.state import State
from model.table import ROWS, SEG_SEQ

S = State
MODEL = standard()


def states(run, side):
    return [getattr(st, side.lower()).state for st in run.steps]


def test_handshake_reproduces_figure_6(capsys):
    assert main(["explain", "handshake"]) == 0
    out = capsys.readouterr().out
    # Figure 6 lines 2-4, with the RFC's ISS 100 (A) and 300 (B).
    assert "SYN-SENT      --> <SEQ=100><CTL=SYN> -->" in out
    assert "ESTABLISHED   <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <--" in out
    assert "--> <SEQ=101><ACK=301><CTL=ACK> -->" in out
    assert "<SEQ=101><ACK=301><CTL=ACK><DATA=1>" in out  # line 5: same SEQ, the ACK took none


def test_handshake_ack_wraps_to_zero(capsys):
    """3.4: sequence numbers are modulo 2^32: ISS 2^32-1 is acknowledged by 0."""
    assert main(["explain", "handshake", "--iss-a", "4294967295"]) == 0
    out = capsys.readouterr().out
    assert "<SEQ=4294967295><CTL=SYN>" in out
    assert "<SEQ=300><ACK=0><CTL=SYN,ACK>" in out
    assert "<SEQ=0><ACK=301><CTL=ACK>" in out


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_runs_and_draws(name):
    r = run_scenario(MODEL, name, 100, 300)
    lines = ladder_lines(r, show_rows=True, show_vars=True)
    assert lines[0].split() == ["TCP", "Peer", "A", "TCP", "Peer", "B"]
    assert any("-->" in x for x in lines) and any("<--" in x for x in lines)


def test_scenario_outcomes():
    r = run_scenario(MODEL, "close", 100, 300)  # 3.6 Figure 12
    assert S.FIN_WAIT_2 in states(r, "A") and S.TIME_WAIT in states(r, "A")
    assert S.CLOSE_WAIT in states(r, "B") and S.LAST_ACK in states(r, "B")
    assert (r.a.state, r.b.state) == (S.CLOSED, S.CLOSED)
    r = run_scenario(MODEL, "simultaneous-open", 100, 300)  # Figure 7, MUST-10
    assert S.SYN_RECEIVED in states(r, "A") and S.SYN_RECEIVED in states(r, "B")
    assert (r.a.state, r.b.state) == (S.ESTABLISHED, S.ESTABLISHED)
    r = run_scenario(MODEL, "simultaneous-close", 100, 300)  # Figure 13
    assert S.CLOSING in states(r, "A") and S.CLOSING in states(r, "B")
    r = run_scenario(MODEL, "half-close", 100, 300)  # 3.6.1: data still flows B -> A
    data_to_a = [st for st in r.steps if st.act.kind == "deliver" and st.side == "A"
                 and st.segment.data]
    assert data_to_a and data_to_a[0].before.state is S.FIN_WAIT_2
    assert data_to_a[0].a.rcv_nxt == (data_to_a[0].before.rcv_nxt + 1) & 0xFFFFFFFF
    r = run_scenario(MODEL, "half-open", 100, 300)  # Figure 9
    rst = [st for st in r.steps if st.segment is not None and st.segment.rst]
    assert rst and rst[0].before.state is S.ESTABLISHED and rst[0].b.state is S.CLOSED
    assert rst[0].segment.seq == 101  # <SEQ=100><CTL=RST> in the figure, whose RCV.NXT is 100
    assert (r.a.state, r.b.state) == (S.ESTABLISHED, S.ESTABLISHED)
    r = run_scenario(MODEL, "old-duplicate-syn", 100, 300)  # Figure 8, MUST-11
    assert states(r, "B")[:5].count(S.LISTEN) >= 2  # back to LISTEN after the RST
    assert (r.a.state, r.b.state) == (S.ESTABLISHED, S.ESTABLISHED)
    assert r.b.irs == 100  # B knows A's real ISN, not the old one


def test_json_and_rows(capsys):
    assert main(["explain", "close", "--json", "--iss-b", "0x7fffffff"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["completed"] and doc["iss_b"] == 0x7FFFFFFF
    assert doc["steps"][-1]["A"]["state"] == "CLOSED"
    assert any("time-wait-timeout@TIME-WAIT" in st["rows"] for st in doc["steps"])
    assert main(["explain", "handshake", "--rows", "--vars"]) == 0
    out = capsys.readouterr().out
    assert "B rows: listen-syn@LISTEN" in out and "SND.NXT=101" in out


@pytest.mark.parametrize("argv, needle", [
    (["explain", "nope"], "valid scenarios: handshake, close"),
    (["explain"], "explain needs a scenario"),
    (["explain", "handshake", "--iss-a", "4294967296"], "--iss-a must be in 0..4294967295"),
    (["explain", "handshake", "--iss-b", "-1"], "--iss-b must be in 0..4294967295"),
    (["explain", "handshake", "--model", "no_such_variant"], "no module"),
])
def test_bad_input_exits_2_with_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_list(capsys):
    assert main(["explain", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SCENARIOS)


def test_a_broken_table_shows_in_the_ladder(capsys):
    """Negative: a listener that acknowledges SEG.SEQ, not SEG.SEQ+1
    (3.10.7.2 third), gets a RST from A (3.10.7.3 first: SEG.ACK =< ISS) and
    the handshake never completes; the ladder shows the wrong ACK."""
    broken = Model(changed(ROWS, "listen-syn@LISTEN", emit=Emit("SYN,ACK", seq=V("ISS"), ack=SEG_SEQ)),
                   "broken", "tests/generate/test_explain.py")
    r = run_scenario(broken, "handshake", 100, 300, strict=False)
    text = "\n".join(ladder_lines(r))
    assert "<SEQ=300><ACK=100><CTL=SYN,ACK>" in text
    assert "<SEQ=100><CTL=RST>" in text
    assert r.stopped is not None and r.a.state is not S.ESTABLISHED
    assert main(["explain", "handshake", "--model", "two_way_handshake"]) == 1
    assert "cannot go on with the scenario" in capsys.readouterr().err


# --- --lang and --format ----------------------------------------------------------------------

def test_explain_in_chinese_keeps_the_ladder(capsys):
    from checker.cli import main

    assert main(["explain", "handshake"]) == 0
    en = capsys.readouterr().out
    assert main(["explain", "handshake", "--lang", "zh"]) == 0
    zh = capsys.readouterr().out
    assert zh.splitlines()[0].startswith("基本的三次握手")
    assert zh.splitlines()[1:] == en.splitlines()[1:]  # the ladder is the same, in RFC notation


def test_explain_draws_a_sequence_diagram(capsys):
    from checker.cli import main

    assert main(["explain", "simultaneous-open", "--format", "mermaid"]) == 0
    out = capsys.readouterr().out
    assert "sequenceDiagram" in out and out.count("->>") == 4  # four segments, each delivered
