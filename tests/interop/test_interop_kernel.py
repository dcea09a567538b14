"""impl/'s endpoint against this machine's kernel over TUN (root; skipped with
the reason otherwise): every scenario passes, judged conformant by conform
(standard table and linux profile) with its data intact; and the two checks
that make a pass mean something each catch a broken endpoint (RFC 9293 3.3.1,
3.10.7.4: an acknowledgment off by one; corrupted data)."""

from __future__ import annotations

import json

import pytest

from checker.cli import main
from checker.interop import scenarios as sc
from checker.interop.driver import Harness
from checker.load import load_model, load_profile
from impl import Segment
from tests.interop.kernel import need_kernel

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module", autouse=True)
def kernel():
    need_kernel()


def test_every_scenario_passes_judged_by_the_standard_table(tmp_path, capsys):
    code = main(["interop", "--json", "--pcap-dir", str(tmp_path)])
    doc = json.loads(capsys.readouterr().out)
    failed = {s["name"]: s["detail"] for s in doc["scenarios"] if not s["passed"]}
    assert code == 0 and not failed, failed
    assert len(doc["scenarios"]) == len(sc.SCENARIOS) >= 12
    for s in doc["scenarios"]:
        assert s["segments"] >= 2 and (tmp_path / f"{s['name']}.pcap").stat().st_size > 24
        assert s["conform"]["ok"] and all(c["status"] == "conformant" for c in s["conform"]["connections"])
    by = {s["name"]: s for s in doc["scenarios"]}
    assert "2097152 octets checked" in by["bulk-1mib-both-ways"]["detail"]
    assert by["kernel-abort"]["conform"]["connections"][0]["tolerances"] == {"rst-ack": 1}


def test_every_scenario_passes_judged_by_the_linux_profile():
    model, sysctls = load_profile("linux")
    results = [sc.run(s, model, sysctls) for s in sc.SCENARIOS]
    failed = {r.name: r.detail for r in results if not r.passed}
    assert not failed, failed
    abort = next(r for r in results if r.name == "kernel-abort")
    assert abort.verdict["connections"][0]["tolerances"] == {}  # the profile's row, not a tolerance


def _ack_one_short(h: Harness):
    """A broken endpoint: its pure ACKs acknowledge one octet less than it received."""
    real = h.ep.segment_arrives

    def arrives(seg):
        out = real(seg)
        return [Segment(seq=s.seq, ack=(s.ack - 1) & 0xFFFFFFFF, ack_flag=True, wnd=s.wnd)
                if s.ack_flag and not (s.syn or s.fin or s.rst or s.data) and seg.data else s for s in out]

    h.ep.segment_arrives = arrives
    k = sc._connect(h)
    k.send(sc.data(1000, 1))
    h.run_until(lambda: len(h.received) >= 1000, "the data")
    h.settle(0.05)
    return [("kernel -> endpoint", bytes(k.sent), bytes(h.received))]


def _corrupting(h: Harness):
    """A broken endpoint: it delivers one octet wrong."""
    real = h.ep.delivered

    def delivered():
        got = bytearray(real())
        if got:
            got[0] ^= 0xFF
        return bytes(got)

    h.ep.delivered = delivered
    k = sc._connect(h)
    k.send(sc.data(1000, 2))
    h.run_until(lambda: len(h.received) >= 1000, "the data")
    return [("kernel -> endpoint", bytes(k.sent), bytes(h.received))]


def test_conform_catches_an_acknowledgment_off_by_one():
    r = sc.run(sc.Scenario("ack-one-short", _ack_one_short), load_model(None))
    assert not r.passed and r.detail.startswith("conform: ")
    assert "from 198.18.0.2:40001" in r.detail and "<ACK=" in r.detail, r.detail
    assert r.verdict["connections"][0]["violation"]["frame"] == 5  # SYN, SYN,ACK, ACK, data, the short ACK


def test_the_byte_check_catches_corrupted_data():
    r = sc.run(sc.Scenario("corrupting", _corrupting), load_model(None))
    assert not r.passed
    assert "kernel -> endpoint: 1000 of 1000 octets arrived, first difference at octet 0" in r.detail
    assert r.verdict["ok"]  # the segments were right: only the byte check can see it
