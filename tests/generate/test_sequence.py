"""Counterexamples as sequence diagrams (`checker.generate.sequence`): the
counterexample of every shipped variant drawn as SVG (parsed with
xml.etree: two vertical lifelines, one arrow per segment of the ladder going
down in time, an X where the ladder loses a segment) and as Mermaid
sequenceDiagram text (parsed by a small parser of the subset we write);
`verify --ladder-out`, `diagram --view counterexample`, and the picture in
docs/ regenerated and compared."""

from __future__ import annotations

import html
import importlib
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

import checker.generate.diagram as D
from checker.cli import main
from checker.generate.cexfind import find_failure
from checker.generate.pcapout import counterexample_filename
from checker.generate.sequence import (MAX_STEPS, Ladder, draw, has_sequence, layout, sequence_dot,
                                       sequence_mermaid, steps_of, write_ladder_files)
from checker.load import load_model, variant_names
from checker.result import FAIL, CheckResult
from tests.generate.test_diagram import needs_dot

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS_PICTURE = "docs/no_time_wait-graceful-close.svg"
DOCS_COMMAND = ["diagram", "--view", "counterexample", "--check", "graceful-close", "--model", "no_time_wait",
                "--iss-steps", "1", "--format", "svg", "--out"]


def expected_check(variant: str) -> str:
    """The check a variant's docstring says it fails ("Expected: `verify` fails NAME")."""
    doc = importlib.import_module(f"model.variants.{variant}").__doc__
    m = re.search(r"Expected: `verify` fails ([a-z0-9-]+)", doc or "")
    assert m, f"model/variants/{variant}.py does not say which check it fails"
    return m.group(1)


@pytest.fixture(scope="module")
def failures():
    """For each shipped variant, the counterexample of the check it is meant to fail."""
    from checker.analysis.options import Options
    from checker.analysis.report import default_runs

    out = {}
    for v in variant_names():
        model = load_model(v)
        res = find_failure(model, expected_check(v), default_runs(Options(), False), 2_000_000)
        out[v] = (model, res)
    return out


# --- parsers ---------------------------------------------------------------------------------

def svg_parts(svg: bytes) -> dict:
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    groups = [g for g in root.iter() if g.tag.endswith("}g")]

    def path_points(g):
        p = next(e for e in g.iter() if e.tag.endswith("path"))
        nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))]
        return nums[0], nums[1], nums[-2], nums[-1]

    edges = {g.get("id"): g for g in groups if g.get("class") == "edge"}
    nodes = {g.get("id"): g for g in groups if g.get("class") == "node"}
    texts = [html.unescape(t.text) for t in root.iter() if t.tag.endswith("text") and t.text]
    return {"lifelines": {k[-1]: path_points(g) for k, g in edges.items() if k.startswith("lifeline-")},
            "segments": [path_points(g) for k, g in edges.items() if k.startswith("seg-")],
            "lost": [g for k, g in nodes.items() if k.startswith("lost-")], "texts": texts}


MM_MESSAGE = re.compile(r"    (A|B)(->>|-->>|-x|--x|-\)|--\))(A|B): (.+)")
MM_NOTE = re.compile(r"    Note over (A|B|A,B): (.+)")
MM_PARTICIPANT = re.compile(r"    participant (A|B)(?: as ([^:;\n]+))?")


def parse_mermaid(text: str) -> dict:
    """The subset of Mermaid sequenceDiagram we write: optional front matter,
    `sequenceDiagram`, participants, notes and messages; anything else fails."""
    lines = text.splitlines()
    if lines[0] == "---":
        end = lines.index("---", 1)
        assert all(re.fullmatch(r"title: \"[^\n]*\"", x) for x in lines[1:end])
        lines = lines[end + 1:]
    assert lines[0] == "sequenceDiagram", lines[0]
    out = {"participants": [], "messages": [], "notes": []}
    for line in lines[1:]:
        if m := MM_PARTICIPANT.fullmatch(line):
            out["participants"].append(m.group(1))
        elif m := MM_NOTE.fullmatch(line):
            out["notes"].append((m.group(1), m.group(2)))
        elif m := MM_MESSAGE.fullmatch(line):
            src, arrow, dst, body = m.groups()
            assert src != dst, line
            out["messages"].append((src, arrow, dst, body))
        else:
            raise AssertionError(f"not a line of a Mermaid sequenceDiagram: {line!r}")
        body = line.split(": ", 1)[-1]
        assert not re.search(r"[<>]|\bend\b", body), f"unescaped text in {line!r}"
    return out


# --- every shipped variant ---------------------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("variant", variant_names())
def test_variant_counterexample_as_svg(failures, variant):
    model, res = failures[variant]
    assert res.status == FAIL and has_sequence(res.counterexample), (variant, res.counterexample.get("kind"))
    lad = steps_of(res.counterexample, model)
    svg = svg_parts(draw(res, model, "svg"))
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = svg["lifelines"]["A"], svg["lifelines"]["B"]
    assert ax0 == ax1 and bx0 == bx1 and ax0 < bx0  # two vertical lifelines, A left of B
    assert ay1 > ay0 and by1 > by0  # drawn downward: time goes down
    assert len(svg["segments"]) == lad.segments() >= 1
    assert all(y1 > y0 for _, y0, _, y1 in svg["segments"])  # every segment arrives later than it leaves
    assert len(svg["lost"]) == lad.losses()
    assert all(any(t.text == "X" for t in g.iter() if t.tag.endswith("text")) for g in svg["lost"])
    texts = set(svg["texts"])
    for st in lad.steps:
        assert {st["A"], st["B"]} - {None} <= texts
        for seg in st["sent"]:
            assert any(t.endswith(brief_of(seg)) for t in texts), brief_of(seg)
        if st["kind"] in ("call", "timeout"):
            assert st["event"] in texts  # user calls and timeouts are notes


def brief_of(seg: dict) -> str:
    from model.events import Segment

    return Segment(**seg).brief()


@pytest.mark.parametrize("variant", variant_names())
def test_variant_counterexample_as_mermaid(failures, variant):
    model, res = failures[variant]
    lad = steps_of(res.counterexample, model)
    mm = parse_mermaid(draw(res, model, "mermaid"))
    assert mm["participants"] == ["A", "B"]
    assert len(mm["messages"]) == lad.segments()
    assert sum(arrow == "-x" for _, arrow, _, _ in mm["messages"]) == lad.losses()
    calls = [st["event"] for st in lad.steps if st["kind"] in ("call", "timeout")]
    assert all(any(D.mermaid_text(c) in text for _, text in mm["notes"]) for c in calls)


def test_the_shipped_counterexamples_cover_each_kind_of_reading(failures):
    """A graph ladder, a proof replayed (one endpoint) and a table step are all drawn."""
    kinds = {v: ("steps" in r.counterexample, "events" in r.counterexample, "config" in r.counterexample)
             for v, (_, r) in failures.items()}
    assert kinds["no_time_wait"][0] and kinds["two_way_handshake"][0] and kinds["rfc793_syn_ack_check"][2]


# --- the lost marker: present exactly where the ladder loses a segment ----------------------------

SYN = {"seq": 100, "ack": 0, "syn": True, "ackf": False, "fin": False, "rst": False, "data": 0, "wnd": 4}
SYNACK = {"seq": 300, "ack": 101, "syn": True, "ackf": True, "fin": False, "rst": False, "data": 0, "wnd": 4}


def handshake_ladder(lose_syn: bool) -> Ladder:
    steps = [{"kind": "call", "side": "B", "event": "OPEN (passive)", "segment": None, "sent": [],
              "A": "CLOSED", "B": "LISTEN"},
             {"kind": "call", "side": "A", "event": "OPEN (active)", "segment": None, "sent": [SYN],
              "A": "SYN-SENT", "B": "LISTEN"}]
    if lose_syn:
        steps.append({"kind": "lose", "side": "B", "event": "lost", "segment": SYN, "sent": [],
                      "A": "SYN-SENT", "B": "LISTEN"})
    else:
        steps.append({"kind": "deliver", "side": "B", "event": "rcv", "segment": SYN, "sent": [SYNACK],
                      "A": "SYN-SENT", "B": "SYN-RECEIVED"})
    return Ladder(("CLOSED", "CLOSED"), steps)


@needs_dot
@pytest.mark.parametrize("lose", [True, False])
def test_lost_marker_only_where_a_segment_is_lost(lose):
    lad = handshake_ladder(lose)
    seq = layout(lad, ["test"])
    svg = svg_parts(D.render(sequence_dot(seq), "svg"))
    mm = parse_mermaid(sequence_mermaid(seq))
    assert len(svg["lost"]) == (1 if lose else 0)
    assert [a for _, a, _, _ in mm["messages"]].count("-x") == (1 if lose else 0)
    assert len(svg["segments"]) == len(mm["messages"]) == lad.segments() == (1 if lose else 2)
    if lose:  # the lost SYN ends mid-way: between the lifelines, not at B
        (x0, _, x1, _), ax, bx = svg["segments"][0], svg["lifelines"]["A"][0], svg["lifelines"]["B"][0]
        assert ax < x1 < bx - 20
    else:  # the SYN,ACK is still in the network at the end: an open arrow, not a loss
        assert mm["messages"][-1][1] == "--)"


@needs_dot
def test_a_duplicate_is_a_second_arrow_from_the_same_sending():
    lad = handshake_ladder(False)
    deliver = lad.steps.pop()
    lad.steps += [{"kind": "dup", "side": "B", "event": "dup", "segment": SYN, "sent": [], "A": "SYN-SENT",
                   "B": "LISTEN"}, deliver,
                  {**deliver, "sent": []}]  # the copy arrives too, and draws no answer
    seq = layout(lad, ["dup"])
    svg = svg_parts(D.render(sequence_dot(seq), "svg"))
    mm = parse_mermaid(sequence_mermaid(seq))
    assert len(svg["segments"]) == len(mm["messages"]) == lad.segments() == 3 and not svg["lost"]
    bx = svg["lifelines"]["B"][0]
    syn_arrows = [s for s in svg["segments"] if abs(s[2] - bx) < 12]  # ending at B (before the arrowhead)
    assert len(syn_arrows) == 2 and syn_arrows[0][:2] == pytest.approx(syn_arrows[1][:2], abs=0.5)  # one sending
    assert syn_arrows[0][3] != syn_arrows[1][3]
    assert [a for _, a, _, _ in mm["messages"]] == ["->>", "->>", "--)"]
    assert "the network's copy" in mm["messages"][1][3] and any("duplicates" in t for _, t in mm["notes"])


def test_long_ladders_draw_their_last_steps():
    steps = [{"kind": "call", "side": "AB"[i % 2], "event": f"CALL {i}", "segment": None, "sent": [],
              "A": "CLOSED", "B": "CLOSED"} for i in range(MAX_STEPS + 25)]
    seq = layout(Ladder(("CLOSED", "CLOSED"), steps), ["long"])
    assert seq.elided == 25 and len([s for s in seq.states if s[1]]) == MAX_STEPS
    text = sequence_mermaid(seq)
    assert "steps 1-25 not drawn" in text and "CALL 24" not in text and f"CALL {MAX_STEPS + 24}" in text
    parse_mermaid(text)


def test_counterexamples_without_a_sequence_are_refused():
    from checker.generate.sequence import NoSequence

    with pytest.raises(NoSequence, match="kind 'graph'"):
        steps_of({"kind": "graph", "why": "x", "text": "x"})


# --- the commands ------------------------------------------------------------------------------

def failed_dicts(doc):
    """Every failed check in a verify --json document, wherever it sits."""
    if isinstance(doc, dict):
        if doc.get("status") == FAIL and "name" in doc:
            yield doc
        for v in doc.values():
            yield from failed_dicts(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from failed_dicts(v)


@needs_dot
def test_verify_ladder_out_writes_one_pair_per_failing_check(tmp_path, capsys):
    assert main(["verify", "--model", "no_time_wait", "--no-abort", "--no-proofs", "--json",
                 "--ladder-out", str(tmp_path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    expect = set()
    for c in failed_dicts(doc):
        r = CheckResult(c["name"], c["ref"], c["status"], run=c["run"], counterexample=c["counterexample"])
        if has_sequence(c["counterexample"]):
            expect |= {counterexample_filename(r, "svg"), counterexample_filename(r, "mmd")}
            assert sorted(c["counterexample"]["pictures"]) == sorted(str(tmp_path / f) for f in
                                                                    (counterexample_filename(r, "svg"),
                                                                     counterexample_filename(r, "mmd")))
    assert expect and set(os.listdir(tmp_path)) == expect
    assert any(f.startswith("graceful-close_k=1_loss+old_syn_no-abort") for f in expect)
    for f in expect:
        data = (tmp_path / f).read_bytes()
        svg_parts(data) if f.endswith(".svg") else parse_mermaid(data.decode())


def test_without_dot_svg_is_one_line_and_mermaid_still_works(failures, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(D, "dot_binary", lambda: None)
    args = ["diagram", "--view", "counterexample", "--check", "handshake-ack", "--model", "rfc793_syn_ack_check"]
    assert main(args + ["--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: SVG output needs Graphviz") and err.count("\n") == 1
    assert main(args + ["--format", "mermaid"]) == 0
    parse_mermaid(capsys.readouterr().out)
    model, res = failures["no_time_wait"]
    [(r, paths, note)] = write_ladder_files([res], model, str(tmp_path))
    assert [os.path.basename(p) for p in paths] == [counterexample_filename(res, "mmd")] and "dot" in note


@pytest.mark.parametrize("argv, message", [
    (["--view", "counterexample"], "needs --check NAME"),
    (["--view", "counterexample", "--check", "no-such-check"], "unknown check 'no-such-check'"),
    (["--view", "counterexample", "--check", "one-endpoint", "--model", "no_time_wait"], "not a sequence"),
    (["--view", "counterexample", "--check", "coverage"], "not a sequence"),
])
def test_counterexample_view_refusals_are_one_line(argv, message, capsys):
    assert main(["diagram", *argv, "--format", "mermaid"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_counterexample_view_of_a_check_that_holds(capsys):
    assert main(["diagram", "--view", "counterexample", "--check", "isn-agreement", "--no-loss",
                 "--format", "mermaid"]) == 2
    err = capsys.readouterr().err
    assert "isn-agreement holds" in err and err.count("\n") == 1


def test_counterexample_view_json(capsys):
    assert main(["diagram", "--view", "counterexample", "--check", "graceful-close", "--model", "no_time_wait",
                 "--iss-steps", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # without TIME-WAIT, a RST of the first incarnation arrives late and resets the second (the ISN
    # clock moved by 1 only, so the two incarnations' numbers overlap)
    assert doc["check"] == "graceful-close" and doc["segments"] >= 9
    last = doc["steps"][-1]
    assert last[last["side"]] == "CLOSED" and last["segment"]["rst"] and "(of incarnation 1, late)" in last["event"]


@needs_dot
def test_docs_picture_is_current(tmp_path):
    """docs/no_time_wait-graceful-close.svg is made by `python -m checker diagram --view
    counterexample --check graceful-close --model no_time_wait --format svg --out FILE`:
    re-made here, it must say the same (texts, arrows, losses; the layout may
    differ between Graphviz versions)."""
    fresh = tmp_path / "fresh.svg"
    assert main(DOCS_COMMAND + [str(fresh)]) == 0
    with open(os.path.join(ROOT, DOCS_PICTURE), "rb") as f:
        old = svg_parts(f.read())
    new = svg_parts(fresh.read_bytes())
    assert sorted(old["texts"]) == sorted(new["texts"])
    assert len(old["segments"]) == len(new["segments"]) and len(old["lost"]) == len(new["lost"]) == 0  # no loss: an old RST
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert DOCS_PICTURE in readme and " ".join(DOCS_COMMAND) in readme
