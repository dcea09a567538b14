"""Every verdict means what it says: z3's unknown, a state cap, a time limit
and Ctrl-C each give "not checked" with the reason (exit 3, or 130 for an
interrupt), never "holds"; selection, colour and the one-line errors of
`verify` and `prove`."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest
import z3

from checker.cli import main
from checker.result import UNCHECKED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_json(capsys, *argv) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def checks_of(doc: dict) -> dict:
    out = {c["name"]: c for c in doc["table_checks"] + doc["coverage"] + doc["proofs"]}
    for r in doc["runs"]:
        out.update({c["name"]: c for c in r["checks"]})
    return out


# --- z3 unknown ------------------------------------------------------------------------------

@pytest.fixture
def z3_says_unknown(monkeypatch):
    """A solver that always answers unknown (what a timeout or an interrupt gives)."""
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "canceled")


def test_z3_unknown_makes_a_table_check_not_checked_exit_3(capsys, z3_says_unknown):
    code, doc = run_json(capsys, "verify", "--check", "rows-fire", "--jobs", "1")
    rf = checks_of(doc)["rows-fire"]
    assert code == 3 and rf["status"] == UNCHECKED and doc["exit_status"] == 3
    assert "z3 answered unknown (canceled)" in rf["summary"] and doc["not_checked"] == ["rows-fire"]


def test_z3_unknown_makes_a_proof_not_checked_exit_3(capsys, z3_says_unknown):
    code, doc = run_json(capsys, "prove", "retransmission", "--jobs", "1")
    (p,) = doc["proofs"]
    assert code == 3 and p["status"] == UNCHECKED and "z3 answered unknown" in p["summary"]


def test_z3_unknown_text_says_not_checked_never_hold(capsys, z3_says_unknown):
    code = main(["verify", "--check", "complete,handshake-ack", "--color", "never"])
    out = capsys.readouterr().out
    assert code == 3
    assert "verdict: NOT CHECKED: 2 checks: 0 hold, 2 not checked (complete, handshake-ack)" in out
    assert "all hold" not in out


# --- a state cap, a time limit ----------------------------------------------------------------

def test_a_state_cap_is_not_checked_exit_3(capsys):
    code, doc = run_json(capsys, "verify", "--no-proofs", "--max-states", "50", "--check", "no-deadlock,coverage")
    names = checks_of(doc)
    assert code == 3 and names["no-deadlock"]["status"] == UNCHECKED
    assert "state cap of 50 states reached" in names["no-deadlock"]["summary"]
    assert all(r["truncated"] for r in doc["runs"])


def test_a_time_limit_is_not_checked_exit_3(capsys):
    t0 = time.perf_counter()
    code, doc = run_json(capsys, "prove", "--time-limit", "0.5")
    assert time.perf_counter() - t0 < 10
    unchecked = [p for p in doc["proofs"] if p["status"] == UNCHECKED]
    assert code == 3 and unchecked and all("time limit of 0.5 s reached" in p["summary"] for p in unchecked)


@pytest.mark.parametrize("argv,word", [
    (["verify", "--max-states", "0"], "--max-states must be at least 1"),
    (["verify", "--max-states", "-5"], "--max-states must be at least 1"),
    (["verify", "--jobs", "0"], "--jobs must be 1..64"),
    (["verify", "--time-limit", "0"], "must be more than 0"),
    (["verify", "--time-limit", "soon"], "not a number"),
    (["verify", "--check", "no-such-check"], "unknown check 'no-such-check'"),
    (["verify", "--check", "rows-fire", "--skip", "rows-fire"], "leave no check to run"),
    (["verify", "--pcap-out", "/proc/version/x"], "--pcap-out /proc/version/x"),
    (["prove", "no-such-proof"], "unknown proof 'no-such-proof'"),
])
def test_bad_options_are_one_line_exit_2(capsys, argv, word):
    with pytest.raises(SystemExit) as e:  # argparse's errors exit; ours return
        raise SystemExit(main(argv))
    err = capsys.readouterr().err
    assert e.value.code == 2 and word in err and len(err.strip().splitlines()) == 1


# --- selection ---------------------------------------------------------------------------------

def test_list_checks_names_every_check_with_its_sections(capsys):
    assert main(["verify", "--list-checks"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [x.split()[0] for x in out]
    assert {"rows-fire", "no-deadlock", "coverage", "row-soundness", "reset-safety"} <= set(names)
    assert all("3." in x or "RFC" in x for x in out)


def test_check_and_skip_select_what_runs(capsys):
    code, doc = run_json(capsys, "verify", "--check", "one-endpoint,handshake-ack", "--skip", "handshake-ack")
    assert code == 0 and list(checks_of(doc)) == ["one-endpoint"] and doc["runs"] == []


# --- colour and layout ----------------------------------------------------------------------------

def test_colour_always_never_and_no_color(capsys, monkeypatch):
    main(["verify", "--check", "one-endpoint", "--color", "always"])
    assert "\033[32m" in capsys.readouterr().out
    main(["verify", "--check", "one-endpoint", "--color", "never"])
    assert "\033[" not in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    main(["verify", "--check", "one-endpoint"])
    assert "\033[" not in capsys.readouterr().out


def test_text_fits_100_columns_and_a_counterexample_is_printed_once(capsys):
    code = main(["verify", "--model", "two_way_handshake", "--no-proofs", "--color", "never"])
    out = capsys.readouterr().out
    assert code == 1
    assert max(len(x) for x in out.splitlines() if not x.startswith("verdict:")) <= 100
    assert out.count("counterexample:") >= 2 and "(the same ladder as isn-agreement" in out


# --- Ctrl-C on a terminal ------------------------------------------------------------------------

def test_ctrl_c_on_a_terminal_stops_everything_within_a_second_exit_130():
    pid, fd = pty.fork()
    if pid == 0:  # the child: verify on the pseudo-terminal, as a user types it
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "checker", "verify", "--color", "never"])
    out = b""
    t0 = time.time()
    # it has started (the header comes first; results stream in task order, and
    # the costliest tasks, the proofs, run first, so the table lines come late)
    while time.time() - t0 < 60 and b"verify: model" not in out:
        if select.select([fd], [], [], 0.5)[0]:
            out += os.read(fd, 65536)
    time.sleep(2.0)
    os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to the foreground process group
    t_int = time.time()
    status = None
    while time.time() - t_int < 10:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                pass
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
    took = time.time() - t_int
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    assert status is not None and os.waitstatus_to_exitcode(status) == 130, text[-2000:]
    assert took < 2.0, f"took {took:.1f}s to stop"
    assert "verdict: INTERRUPTED" in text and "interrupted (Ctrl-C)" in text and "all hold" not in text
    # no worker outlives the run (workers stay in the session pty.fork made; other
    # runs of verify on the machine are not ours)
    left = subprocess.run(["pgrep", "-s", str(pid)], capture_output=True, text=True)
    assert left.stdout.strip() == ""
