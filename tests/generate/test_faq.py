"""`faq`: each of the seven answers is computed by running the model, and
stands: its property fails on the named variant (with a counterexample) and
holds on the RFC 9293 table, and its legal ladders complete. The message
catalogue has every message in both languages with the same placeholders."""

from __future__ import annotations

import json
import re
import string

import pytest

from checker.cli import main
from checker.generate.faq.answer import answer, as_json, text
from checker.generate.faq.messages import CATALOGUE, EN, LANGS, ZH
from checker.generate.faq.questions import QUESTIONS
from checker.result import FAIL, PASS
from model.state import State


@pytest.fixture(scope="module")
def answers():
    return {k: answer(k, jobs=2) for k in QUESTIONS}


def test_there_are_the_seven_questions():
    assert list(QUESTIONS) == ["three-way", "four-way", "time-wait", "isn", "simultaneous", "rst", "syn-ack"]


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_the_property_fails_on_the_variant_and_holds_on_the_table(answers, key):
    a = answers[key]
    q = QUESTIONS[key]
    assert [c.name for c in a.standard] == list(q.checks)
    assert all(c.status == PASS for c in a.standard), [c.summary for c in a.standard]
    if q.variant:
        assert a.variant_model.name == q.variant
        assert a.main.name == q.checks[0] and a.main.status == FAIL, a.main.summary
        assert a.main.counterexample and a.main.counterexample.get("why")
    for _name, _t, _ref, r in a.ladders:
        assert r.stopped is None
    assert a.status() == PASS


def test_the_counterexamples_say_what_breaks(answers):
    why = {k: (answers[k].main.counterexample or {}).get("why", "") for k in QUESTIONS if QUESTIONS[k].variant}
    assert "old duplicate SYN" in why["three-way"]
    assert "never received" in why["four-way"]
    assert "reset by" in why["time-wait"] and "RST" in why["time-wait"]
    assert "incarnation" in why["isn"]
    assert "SEG.SEQ = RCV.NXT" in why["rst"]
    assert "accepts SEG.ACK" in why["syn-ack"]
    # the TIME-WAIT counterexample is one of incarnations: a late segment of the first
    assert "#1 late" in answers["time-wait"].main.counterexample["text"]


def test_the_legal_ladders(answers):
    """Simultaneous open and close reach ESTABLISHED and CLOSED on both
    sides; the three-segment close goes FIN-WAIT-1 -> TIME-WAIT in one step."""
    lad = {n: r for a in answers.values() for n, _t, _ref, r in a.ladders}
    so = lad["simultaneous-open"]
    assert so.a.state is State.ESTABLISHED and so.b.state is State.ESTABLISHED
    assert State.LISTEN not in {st.a.state for st in so.steps} | {st.b.state for st in so.steps}
    sc = lad["simultaneous-close"]
    assert {st.a.state for st in sc.steps} >= {State.CLOSING, State.TIME_WAIT}
    three = lad["three-segment-close"]
    delivered = [st for st in three.steps if st.act.kind == "deliver"]
    jump = [st for st in delivered if st.before.state is State.FIN_WAIT_1 and st.a.state is State.TIME_WAIT]
    assert jump and jump[0].segment.fin and jump[0].segment.ackf


def test_rst_in_each_state(answers):
    a = answers["rst"]
    by = {r["state"]: r["probes"] for r in a.resets}
    assert len(by) == len(State)
    for s in ("ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"):
        assert by[s]["exact"]["state"] == "CLOSED"
        assert by[s]["in-window"]["state"] == s and len(by[s]["in-window"]["sent"]) == 1  # challenge ACK
        assert by[s]["outside"]["state"] == s and not by[s]["outside"]["sent"]
    assert by["SYN-RECEIVED"]["exact"]["state"] == "LISTEN"  # after a passive OPEN
    assert by["LISTEN"]["exact"]["state"] == "LISTEN" and by["CLOSED"]["exact"]["state"] == "CLOSED"
    b = a.blind
    assert b["reset"] == 1 and b["challenge"] == b["rcv_wnd"] - 1 and b["vreset"] == b["rcv_wnd"]


def test_isn_marks(answers):
    lines = "\n".join(text(answers["syn-ack"], "en"))
    assert re.search(r"<SEQ=100><CTL=SYN>\s+SEQ=x$", lines, re.M)
    assert re.search(r"<SEQ=300><ACK=101><CTL=SYN,ACK>\s+SEQ=y ACK=x\+1$", lines, re.M)
    assert re.search(r"<SEQ=101><ACK=301><CTL=ACK>\s+SEQ=x\+1 ACK=y\+1$", lines, re.M)


@pytest.mark.parametrize("lang", LANGS)
def test_every_answer_renders_in_both_languages(answers, lang):
    for n, (key, a) in enumerate(answers.items(), 1):
        out = " ".join("\n".join(text(a, lang, n)).split())  # unwrapped
        assert CATALOGUE[lang][f"{key}.title"] in out
        assert "RFC 9293" in out and re.search(r"\b3\.\d", out)  # cites sections
        if a.q.variant:
            assert a.q.variant in out and " ".join(a.main.counterexample["why"].split(":")[0].split()) in out
        doc = as_json(a, lang)
        assert doc["stands"] and json.dumps(doc, ensure_ascii=False)


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f is not None}


def test_every_message_has_both_languages_with_the_same_placeholders():
    assert set(EN) == set(ZH), (set(EN) ^ set(ZH))
    for k in EN:
        assert EN[k].strip() and ZH[k].strip(), k
        assert _fields(EN[k]) == _fields(ZH[k]), k
    for key in QUESTIONS:
        for part in ("title", "answer", "rfc"):
            assert f"{key}.{part}" in EN
    assert re.search(r"[\u4e00-\u9fff]", ZH["three-way.answer"])


def test_the_cli(capsys):
    assert main(["faq", "--list", "--lang", "zh"]) == 0
    assert "为什么" in capsys.readouterr().out
    assert main(["faq", "no-such-question"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "three-way" in err
    assert main(["faq", "syn-ack", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["answers"][0]["on_variant"][0]["status"] == FAIL
    assert main(["faq", "four-way", "--format", "mermaid"]) == 0
    out = capsys.readouterr().out
    assert out.count("sequenceDiagram") == 1 and "no_half_close" in out
    assert main(["faq", "--format", "svg"]) == 2  # pictures need one question
