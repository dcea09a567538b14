"""Counterexamples written as pcap files (`checker.generate.pcapout`): they read back
with scapy as the ladder's segments with valid checksums, and `conform`
judges them: a run of the broken variant it came from, and, where the fault
shows on the wire, a violation of the RFC 9293 table at the faulty segment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from scapy.layers.inet import IP, TCP
from scapy.utils import rdpcap

from checker.analysis.composed import check_isn_agreement, check_graceful_close
from checker.traces.conform import conform_file
from checker.traces.options import ConformOptions
from checker.analysis.explore import explore
from checker.load import load_model
from checker.analysis.options import Options
from checker.generate.pcapout import ADDR, counterexample_filename, write_counterexample_pcap
from checker.result import PASS, CheckResult
from model.machine import Model
from model.rows import changed
from model.table import ROWS
from tests.traces import capedit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELIABLE = Options(loss=False, old_syn=False, abort=False, capacity=1)
BROKEN_SOURCE = '''"""FIN not counted: FIN-WAIT-2 takes the FIN without advancing RCV.NXT."""
from model.rows import changed
from model.table import ROWS as STANDARD

ROWS = changed(STANDARD, "fin@FIN-WAIT-2", set={})
'''


@pytest.fixture(scope="module")
def broken():
    """A broken table (the FIN is not counted, 3.3.1 SEG.LEN) and the
    counterexample `verify` finds for it (graceful-close: the peer's FIN is
    never acknowledged, so its retransmission meets CLOSED after TIME-WAIT
    and is reset)."""
    model = Model(changed(ROWS, "fin@FIN-WAIT-2", set={}), "fin-not-counted", "tests")
    res = check_graceful_close(explore(model, RELIABLE))
    assert res.failed and res.counterexample["kind"] == "ladder"
    return model, res


def sent_segments(steps):
    return [(st["side"], seg) for st in steps for seg in st["sent"]]


def test_counterexample_reads_back_as_its_segments(broken, tmp_path):
    _, res = broken
    path = str(tmp_path / "cex.pcap")
    n = write_counterexample_pcap(res, path)
    expected = sent_segments(res.counterexample["steps"])
    pkts = rdpcap(path)
    assert n == len(pkts) == len(expected) >= 5
    times = [float(p.time) for p in pkts]
    assert times == sorted(times)
    for p, (side, seg) in zip(pkts, expected):
        src, sport, _ = ADDR[side]
        dst, dport, _ = ADDR["B" if side == "A" else "A"]
        assert (p[IP].src, p[TCP].sport, p[IP].dst, p[TCP].dport) == (src, sport, dst, dport)
        t = p[TCP]
        assert t.seq == seg["seq"] and len(bytes(t.payload)) == seg["data"]
        assert ("A" in str(t.flags)) == seg["ackf"] and ("F" in str(t.flags)) == seg["fin"]
        assert ("S" in str(t.flags)) == seg["syn"] and ("R" in str(t.flags)) == seg["rst"]
        if seg["ackf"]:
            assert t.ack == seg["ack"]
        assert capedit.checksums_valid(p)


def test_conform_finds_the_fault_of_the_variant_on_the_wire(broken, tmp_path):
    model, res = broken
    path = str(tmp_path / "cex.pcap")
    write_counterexample_pcap(res, path)
    opts = ConformOptions(rcv_wnd=RELIABLE.rcv_wnd)
    # a run of the variant it came from ...
    assert all(c.status == "conformant" for c in conform_file(path, model, opts).connections)
    # ... but not of the RFC 9293 table: the ACK sent on the FIN in FIN-WAIT-2 acknowledges it without
    # counting it (frames are the ladder's sent segments, in order)
    (c,) = conform_file(path, load_model(None), opts).connections
    assert c.status == "violation"
    frames = [(st["rows"], seg) for st in res.counterexample["steps"] for seg in st["sent"]]
    frame, bad = next((i, seg) for i, (rows, seg) in enumerate(frames, 1) if "fin@FIN-WAIT-2" in rows)
    assert c.violation.packet.frame == frame and c.violation.segment.ack == bad["ack"]
    assert any(s.ack == (bad["ack"] + 1) & 0xFFFFFFFF for s, _, _ in c.violation.expected)


def test_cli_conform_on_a_counterexample(broken, tmp_path):
    _, res = broken
    path = str(tmp_path / "cex.pcap")
    write_counterexample_pcap(res, path)
    variant = tmp_path / "fin_not_counted.py"
    variant.write_text(BROKEN_SOURCE)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "checker", "conform", "--rcv-wnd", "4", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    p = run("--model", str(variant), path)
    assert p.returncode == 0, p.stdout + p.stderr
    p = run(path)
    assert p.returncode == 1 and "VIOLATION at frame" in p.stdout


def test_fault_that_does_not_show_on_the_wire(tmp_path):
    """The two-way handshake variant's counterexample (an old duplicate SYN
    makes a listener ESTABLISHED, 3.5 Figure 8) puts an old SYN and a
    SYN,ACK on the wire: both are segments a correct endpoint could send
    (the SYN from a fresh incarnation, the SYN,ACK from LISTEN). The fault is
    in a state, not on the wire, and conform rightly has nothing to say."""
    variant = load_model("two_way_handshake")
    res = check_isn_agreement(explore(variant, Options(loss=True, old_syn=True, abort=False, capacity=1)))
    assert res.failed
    path = str(tmp_path / "isn.pcap")
    assert write_counterexample_pcap(res, path) == 2
    old_syn, syn_ack = rdpcap(path)
    assert old_syn[IP].src == ADDR["B"][0] and str(old_syn[TCP].flags) == "S"  # sent by the peer
    assert str(syn_ack[TCP].flags) == "SA" and syn_ack[TCP].ack == (old_syn[TCP].seq + 1) & 0xFFFFFFFF
    for model in (variant, load_model(None)):
        (c,) = conform_file(path, model, ConformOptions(rcv_wnd=4)).connections
        assert c.status == "conformant"


def test_result_without_a_ladder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no ladder"):
        write_counterexample_pcap(CheckResult("rows-fire", "3.10", PASS), str(tmp_path / "x.pcap"))
    row = CheckResult("rows-fire", "3.10", "FAILED", counterexample={"kind": "row", "why": "..."})
    with pytest.raises(ValueError, match="'row'"):
        write_counterexample_pcap(row, str(tmp_path / "x.pcap"))
    assert not (tmp_path / "x.pcap").exists()


def test_counterexample_filename(broken):
    _, res = broken
    name = counterexample_filename(res)
    assert name.startswith("graceful-close_") and name.endswith(".pcap") and "/" not in name and " " not in name
