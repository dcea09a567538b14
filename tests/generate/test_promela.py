"""The Promela export against the explorer: Spin on the export stores
exactly the explorer's states and reaches the same verdict on every
exported check, failing variants included, with the counterexample replayed
through the table (same length: both searches are breadth-first). Without
spin or gcc these skip with the reason; the generator and pan's output
parsing are tested without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from checker.analysis.composed import COMPOSED_CHECKS
from checker.analysis.explore import explore
from checker.analysis.options import Options
from checker.analysis.report import judge as explorer_judge
from checker.generate.promela import checks as K
from checker.generate.promela.text import promela
from checker.generate.promela.engine import spin_run
from checker.generate.promela.expr import const, to_promela
from checker.generate.promela.spin import parse_pan, tools_missing
from checker.load import load_model
from model import expr as X
from model.machine import standard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_spin = pytest.mark.skipif(bool(tools_missing()), reason=f"not installed: {tools_missing()} (apt-get install spin)")
CHECKS = {fn.check_name: fn for fn in COMPOSED_CHECKS}


def side_by_side(model, opts, tmp_path):
    exp = explore(model, opts)
    pan, results = spin_run(model, opts, list(CHECKS), workdir=str(tmp_path), optimize="-O0")  # compiles faster
    assert pan.complete, pan.incomplete_why
    assert pan.states == exp.n_states, "Spin stores exactly the explorer's states"
    ours = {n: explorer_judge(fn, exp, 3_000_000) for n, fn in CHECKS.items()}
    for r in results:
        if r.name not in K.EXPORTED:
            assert r.unchecked and "not exported" in r.summary
            continue
        assert r.status == ours[r.name].status, (r.name, r.summary, ours[r.name].summary)
        if r.failed:
            assert r.counterexample["length"] == ours[r.name].counterexample["length"], r.name
    return {r.name: r for r in results}


@needs_spin
def test_spin_and_explorer_agree_on_the_standard_table(tmp_path):
    got = side_by_side(standard(), Options(loss=False, old_syn=False, abort=False, opens=2), tmp_path)
    assert all(r.status == "holds" for n, r in got.items() if n in K.EXPORTED)


@needs_spin
def test_two_way_handshake_fails_isn_agreement_in_spin_too(tmp_path):
    got = side_by_side(load_model("two_way_handshake"), Options(), tmp_path)
    cex = got["isn-agreement"].counterexample
    assert got["isn-agreement"].failed and cex["engine"] == "spin"
    assert "rcv old duplicate" in cex["text"]  # the old SYN of Figure 8, replayed through the table


@needs_spin
def test_with_reordering_both_engines_keep_channels_sorted_and_agree(tmp_path):
    """Both engines merge states equal up to the order of a channel (each
    sorts by its own order); the counts stay equal, and a Spin trail whose
    channels are in Spin's order still replays through the table."""
    o = Options(loss=True, old_syn=False, abort=False, opens=1, reordering=True)
    assert side_by_side(standard(), o, tmp_path)["no-deadlock"].status == "holds"
    got = side_by_side(load_model("no_time_wait"), o, tmp_path / "ntw")
    assert got["graceful-close"].failed and got["graceful-close"].counterexample["engine"] == "spin"


@needs_spin
def test_verify_engine_spin_draws_the_no_time_wait_ladder(tmp_path):
    p = subprocess.run([sys.executable, "-m", "checker", "verify", "--engine", "spin", "--model", "no_time_wait",
                        "--loss", "--opens", "1", "--no-abort", "--no-proofs", "--check", "graceful-close,no-deadlock",
                        "--spin-dir", str(tmp_path), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    run = doc["runs"][0]
    exp = explore(load_model("no_time_wait"), Options(loss=True, old_syn=False, abort=False, opens=1))
    assert run["states"] == exp.n_states
    checks = {c["name"]: c for c in run["checks"]}
    assert checks["no-deadlock"]["status"] == "holds"
    cex = checks["graceful-close"]["counterexample"]
    assert checks["graceful-close"]["status"] == "FAILED" and "RST" in cex["text"]
    assert cex["steps"][-1]["kind"] == "deliver" and cex["steps"][-1]["segment"]["rst"]


def test_the_export_names_table_options_and_checks():
    o = Options(loss=False, old_syn=False, abort=False)
    text = promela(standard(), o)
    assert "model standard (model/table.py)" in text and o.label() in text
    for name in ("no-deadlock", "established-iff", "graceful-close"):
        assert f"{name}:" in text and f"@FAIL {name}" in text
    assert "no-livelock: every attracting component" in text  # not exported, and why
    assert "isn-agreement" in text and "d_step" in text


def test_export_command_writes_the_model(tmp_path):
    out = tmp_path / "m.pml"
    p = subprocess.run([sys.executable, "-m", "checker", "export", "--format", "promela", "--loss",
                        "--channel-capacity", "2", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "#define CAP 2" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "checker", "export", "--check", "nope"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_promela_constants_are_twos_complement():
    assert const(0xFFFFFFFF) == "-1" and const(0x7FFFFFFF) == "2147483647"
    assert const(0x80000000) == "(-2147483647 - 1)"
    e = X.Bin("<", (X.V("SND.UNA"), X.V("SEG.ACK")))
    assert to_promela(e, {"SND.UNA": "a", "SEG.ACK": "b"}) == "((a - b) < 0)"


def test_pan_output_is_read_as_partial_when_it_is():
    full = "Full statespace search for:\nState-vector 60 byte, depth reached 9, errors: 0\n  12 states, stored\n"
    r = parse_pan(full)
    assert r.complete and r.states == 12 and r.errors == 0
    bit = full.replace("Full statespace", "Bit statespace")
    assert not parse_pan(bit).complete and "bitstate" in parse_pan(bit).incomplete_why
    cut = full + "error: max search depth too small\n"
    assert not parse_pan(cut).complete
    assert not parse_pan("Search not completed: time limit\n").complete
    # pan compiled with -DMEMLIM (spin.memory_limit_mb) stops itself at the limit (k=3 loss+reordering)
    memlim = ("pan: reached -DMEMLIM bound\n\t2.09715e+10 bytes used\n\t102400 bytes more needed\n"
              "\t2.09715e+10 bytes limit\nWarning: Search not completed\n" + full.replace("  12 ", " 18720414 "))
    r = parse_pan(memlim)
    assert not r.complete and r.states == 18720414 and "-DMEMLIM: 20,000 MB" in r.incomplete_why


@needs_spin
def test_a_last_ack_that_never_closes_deadlocks_in_spin_too(tmp_path):
    from model.machine import Model
    from model.rows import changed
    from model.table import ROWS

    broken = Model(changed(ROWS, "ack-fin-acked@LAST-ACK", goto=None), "broken", "tests")
    got = side_by_side(broken, Options(loss=False, old_syn=False, abort=False), tmp_path)
    r = got["no-deadlock"]
    assert r.failed and "LAST-ACK" in r.counterexample["why"]
    assert "LAST-ACK" in (r.counterexample["steps"][-1]["A"], r.counterexample["steps"][-1]["B"])


def test_a_check_the_export_does_not_know_is_not_checked_never_holds():
    """A graph check added to the explorer without an assertion in the
    export must come out of the Spin engine as "not checked" (here
    data-delivery, which the export does not carry yet)."""
    from checker.generate.promela import checks as K
    from checker.generate.promela.engine import judge
    from checker.result import UNCHECKED

    assert "data-delivery" not in K.EXPORTED

    from checker.generate.promela.spin import PanResult

    res = judge(load_model(None), Options(), PanResult(states=10), ["data-delivery"])
    assert [r.status for r in res] == [UNCHECKED] and "not exported" in res[0].summary
