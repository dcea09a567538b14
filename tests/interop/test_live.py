"""`explain --live`: the kernel's own connection, captured in a private
network namespace (root; skipped with the reason otherwise), its ISN
arithmetic marked and every segment judged by conform; without root, one
line and exit 2."""

from __future__ import annotations

import json
import subprocess

import pytest

from checker.cli import main
from checker.interop import live

WHY = live.unavailable()
needs_root = pytest.mark.skipif(WHY is not None, reason=f"explain --live: {WHY}")


@needs_root
def test_live_handshake_shows_the_kernels_segments_marks_and_verdict(capsys):
    assert main(["explain", "--live", "handshake", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    x, y = doc["isn_client"], doc["isn_server"]
    segs = doc["segments"]
    assert doc["client"][0] == doc["server"][0] == "198.18.0.1"
    syn, synack, ack = segs[:3]
    assert (syn["from"], syn["flags"], syn["seq"], syn["marks"]) == ("A", "SYN", x, "SEQ=x")
    assert (synack["from"], synack["flags"], synack["seq"]) == ("B", "SYN,ACK", y)
    assert synack["ack"] == (x + 1) % 2**32 and synack["marks"] == "SEQ=y ACK=x+1"
    assert (ack["from"], ack["seq"], ack["ack"]) == ("A", (x + 1) % 2**32, (y + 1) % 2**32)
    assert ack["marks"] == "SEQ=x+1 ACK=y+1"
    data = next(s for s in segs if s["data"])
    assert data["from"] == "A" and data["data"] == 1 and data["marks"] == "SEQ=x+1 ACK=y+1"
    assert all(s["conforms"] for s in segs) and doc["conforms"]
    assert "conformant to standard" in doc["verdict"]
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "tcpcheck-live" not in names  # the namespace is gone


@needs_root
def test_live_text_ladder_in_chinese(capsys):
    assert main(["explain", "--live", "refused", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "连接被拒绝" in out and "<CTL=RST,ACK>" in out and "ACK=x+1" in out and "符合" in out


def test_live_without_root_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(live, "unavailable", lambda: "needs root or CAP_NET_ADMIN")
    assert main(["explain", "--live", "handshake"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1
    assert "root" in cap.err and "python -m checker explain handshake" in cap.err
