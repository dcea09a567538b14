"""`python -m checker verify` as a user meets it: exit codes, the shipped
variants failing their check with a ladder, malformed variants exiting 2
with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_verify_standard_model_exits_0_and_reports_every_check():
    p = run("verify")
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("rows-fire", "complete", "handshake-ack", "one-endpoint", "no-deadlock", "no-livelock",
                 "established-reachable", "established-iff", "seq-agreement", "isn-agreement",
                 "graceful-close", "coverage",
                 # the z3 proofs of issue 3 run after the graph checks
                 "row-soundness", "handshake", "close", "acceptability", "comparison", "reset-safety"):
        assert name in p.stdout
    assert "global states" in p.stdout and p.stdout.strip().splitlines()[-1].startswith("verdict: all")


def test_verify_json_is_one_document_with_figures():
    p = run("verify", "--json", "--no-abort", "--no-proofs")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["ok"] is True and doc["model"]["name"] == "standard"
    assert all(not r["options"]["abort"] for r in doc["runs"])
    assert all(r["states"] > 0 and r["edges"] > 0 for r in doc["runs"])


@pytest.mark.parametrize("variant, check, shape", [
    ("two_way_handshake", "isn-agreement", "rcv old duplicate"),
    ("no_time_wait", "graceful-close", "<CTL=RST>"),
    ("rfc793_syn_ack_check", "handshake-ack", "does not acknowledge the SYN"),
    ("fixed_iss", "data-integrity", "<CTL=SYN,ACK>"),
])
def test_shipped_variant_fails_its_check_with_a_counterexample(variant, check, shape):
    p = run("verify", "--model", variant, "--json", "--no-proofs")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert check in doc["failed"]
    results = [c for c in doc["table_checks"] + [c for r in doc["runs"] for c in r["checks"]]
               if c["name"] == check and c["status"] == "FAILED"]
    cex = results[0]["counterexample"]
    assert shape in cex["text"]
    if cex.get("kind") == "ladder":
        assert cex["length"] == len(cex["steps"]) >= 2


def test_fixed_iss_fails_by_a_delayed_syn_ack_of_the_old_incarnation():
    """3.4.1 (MUST-8): with the same ISS in every incarnation, the SYN,ACK
    that answered incarnation 1 completes incarnation 2's handshake, and the
    octets of the peer's new incarnation land in a TCB synchronized with the
    old one: data-integrity fails, as a ladder."""
    p = run("verify", "--model", "fixed_iss", "--json", "--no-proofs", "--check", "data-integrity")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    cex = next(c for r in doc["runs"] for c in r["checks"] if c["status"] == "FAILED")["counterexample"]
    assert "incarnation 2 accepted by a TCB synchronized with its incarnation 1" in cex["why"]
    assert cex["kind"] == "ladder" and "<--" in cex["text"] and "CTL=SYN,ACK" in cex["text"]


def test_no_time_wait_data_integrity_says_why_it_holds_at_capacity_1():
    # at the default bounds old octets cannot be in flight when a reconnect
    # happens; the check says so rather than claiming what it did not explore
    p = run("verify", "--model", "no_time_wait", "--json", "--no-proofs", "--check", "data-integrity",
            "--no-abort", "--opens", "2")
    doc = json.loads(p.stdout)
    res = [c for r in doc["runs"] for c in r["checks"] if c["name"] == "data-integrity"]
    assert res and all(c["status"] in ("holds", "FAILED") for c in res)
    held = [c for c in res if c["status"] == "holds"]
    assert all("need --channel-capacity 2" in c["summary"] or "explored" in c["summary"] for c in held)


def test_shipped_variant_text_output_draws_a_ladder():
    p = run("verify", "--model", "model/variants/no_time_wait.py", "--quiet", "--no-proofs")
    assert p.returncode == 1
    assert "FAIL graceful-close" in p.stdout
    assert "-->" in p.stdout and "<--" in p.stdout and "LAST-ACK" in p.stdout
    assert p.stdout.strip().splitlines()[-1].startswith("verdict: FAILED")


@pytest.mark.parametrize("name, message", [
    ("bad_unknown_state", "unknown state 'SYN-RCVD'"),
    ("bad_expression", "unknown variable 'SND.MAX'"),
    ("bad_kind", "is a seq, expected a bool"),
    ("bad_duplicate", "duplicate row name"),
    ("bad_duplicate_guard", "duplicate row: same state, event and guard as row"),
    ("bad_syntax", "SyntaxError"),
    ("bad_no_rows", "defines no ROWS"),
])
def test_malformed_variant_exits_2_with_one_line_naming_file_and_row(name, message):
    path = f"tests/variants/{name}.py"
    p = run("verify", "--model", path)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert lines[0].startswith(f"error: {path}") and message in lines[0]


@pytest.mark.parametrize("args", [
    ["verify", "--model", "no_such_variant"],
    ["verify", "--model", "/nonexistent/variant.py"],
    ["verify", "--iss-a", str(2**32)],
    ["verify", "--channel-capacity", "0"],
    ["verify", "--channel-capacity", "x"],
    ["rows", "--state", "SYN-RCVD"],
    ["no-such-command"],
])
def test_usage_errors_exit_2_without_traceback(args):
    p = run(*args)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.strip()


def test_every_command_has_help():
    from checker.cli import build_parser

    top = run("--help")
    assert top.returncode == 0
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = list(sub.choices)
    assert {"verify", "rows", "variants", "prove", "diagram", "explain", "oracle", "conform"} <= set(commands)
    for cmd in commands:
        p = run(cmd, "--help")
        assert p.returncode == 0 and "usage:" in p.stdout, cmd


def test_rows_prints_the_table_with_rfc_references():
    p = run("rows", "--state", "SYN-SENT")
    assert p.returncode == 0
    assert "syn-sent-synack@SYN-SENT" in p.stdout and "3.10.7.3" in p.stdout
    heads = [line.split() for line in p.stdout.splitlines() if not line.startswith("      ")]
    assert heads and all(h[2] == "SYN-SENT" for h in heads)  # "index name STATE on EVENT -> NEXT"


def test_rows_are_readable_in_100_columns():
    p = run("rows")
    assert p.returncode == 0 and max(len(x) for x in p.stdout.splitlines()) <= 100


def test_pcap_out_writes_each_counterexample_as_a_readable_pcap(tmp_path):
    from scapy.layers.inet import TCP
    from scapy.utils import rdpcap

    p = run("verify", "--model", "no_time_wait", "--no-abort", "--pcap-out", str(tmp_path), "--json",
            "--no-proofs")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    written = [c["counterexample"]["pcap"] for r in doc["runs"] for c in r["checks"]
               if c["status"] == "FAILED" and c["counterexample"] and "pcap" in c["counterexample"]]
    assert written and all(os.path.exists(w) for w in written)
    packets = rdpcap(written[0])
    assert any(pkt.haslayer(TCP) and pkt[TCP].flags.R for pkt in packets)  # the reset that graceful-close objects to


def test_version_and_console_script_agree():
    import checker

    p = run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"tcpcheck {checker.__version__}"
    script = os.path.join(os.path.dirname(sys.executable), "tcpcheck")
    if not os.path.exists(script):
        pytest.skip("the tcpcheck console script is not installed in this environment (pip install -e .)")
    q = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert q.returncode == 0 and q.stdout == p.stdout


def test_verify_says_where_the_time_went_in_text_and_json():
    p = run("verify", "--no-abort", "--no-proofs", "--loss", "--opens", "1", "--skip", "rows-fire")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[-1].startswith("verdict:")
    phases = next(x for x in lines if x.startswith("phases:"))
    assert "table checks" in phases and "explorations" in phases and "graph checks" in phases
    doc = json.loads(run("verify", "--json", "--no-abort", "--loss", "--opens", "1", "--check",
                         "no-deadlock,comparison").stdout)
    ph = doc["phases"]
    assert len(ph["explorations"]) == len(doc["runs"]) == len(ph["graph_checks"])
    assert ph["explorations"][0] == doc["runs"][0]["explore_seconds"] and ph["proofs"] > 0
    assert ph["wall"] == doc["seconds"]


def test_the_progress_line_names_states_rate_queue_and_memory(monkeypatch):
    import io

    from checker.cli.output import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    bar = Progress(enabled=True, stream=err)
    bar.t0 -= 5  # a run of five seconds
    bar.tick({"run:0": "explore k=2"}, {"run:0": {"states": 120000, "rate": 60000.0, "queue": 5000, "rss_mb": 300.0}})
    assert "120,000 states" in err.getvalue() and "60,000/s" in err.getvalue()
    assert "queue 5,000" in err.getvalue() and "300 MB" in err.getvalue()
    quiet = Tty()
    Progress(enabled=False, stream=quiet).tick({}, {})
    assert quiet.getvalue() == ""
