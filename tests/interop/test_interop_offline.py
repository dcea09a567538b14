"""What of checker/interop/ runs without root: the IPv4 codec, judging a capture
with a harness-written segment (network input, not judged: RFC 9293 3.10.7.4
second, RFC 5961 3.2), composing a variant over a profile and the scripts
that tell them apart, the linux profile's named differences, and the
commands' one-line refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.cli import main
from checker.generate.packetdrill import scripts
from checker.interop import netns
from checker.interop.judge import judge
from checker.interop.kills import differing, first_difference, over, wire_lines
from checker.interop.scenarios import SCENARIOS
from checker.interop.tun import KERNEL_IP, PEER_IP, IPv4Error, Recorder, ipv4, parse_ipv4
from checker.load import load_model
from impl import Segment, encode
from model.machine import Model, ModelError
from model.rows import Emit, changed
from model.table import ROWS, SND_NXT
from model.variants import linux as LINUX

ROOT = Path(__file__).resolve().parents[2]


def test_ipv4_round_trip_and_errors_name_the_byte():
    raw = ipv4(PEER_IP, KERNEL_IP, b"hello", ident=7)
    dg = parse_ipv4(raw)
    assert (dg.src, dg.dst, dg.proto, dg.payload) == (PEER_IP, KERNEL_IP, 6, b"hello")
    with pytest.raises(IPv4Error, match="byte 0: version 6"):
        parse_ipv4(b"\x60" + raw[1:])
    with pytest.raises(IPv4Error, match="bytes 6-7: a fragment"):
        parse_ipv4(raw[:6] + b"\x20\x00" + raw[8:])
    with pytest.raises(IPv4Error, match="shorter than an IPv4 header"):
        parse_ipv4(raw[:10])
    assert all(netns.in_range(a) for a in (PEER_IP, KERNEL_IP))
    with pytest.raises(netns.NetnsError, match="outside 198.18.0.0/15"):
        netns.check_addresses(KERNEL_IP, "192.168.0.1")


def _capture(tmp_path, segs):
    """(sender, Segment) pairs as an interop capture: A = the endpoint, B = the kernel."""
    rec = Recorder()
    for who, seg, injected in segs:
        src, dst, sp, dp = (PEER_IP, KERNEL_IP, 40001, 8001) if who == "A" else (KERNEL_IP, PEER_IP, 8001, 40001)
        rec.add(ipv4(src, dst, encode(seg, src, dst, sp, dp), 1), who, injected)
    path = tmp_path / "c.pcap"
    rec.write(str(path))
    return str(path), rec.injected


def test_a_harness_written_rst_is_input_to_the_kernel_not_the_endpoints_output(tmp_path):
    a, b = 1000, 5000
    path, injected = _capture(tmp_path, [
        ("A", Segment(seq=a, syn=True, wnd=65535), False),
        ("B", Segment(seq=b, ack=a + 1, syn=True, ack_flag=True, wnd=65535), False),
        ("A", Segment(seq=a + 1, ack=b + 1, ack_flag=True, wnd=65535), False),
        ("A", Segment(seq=a + 1001, rst=True), True),  # in B's window, not at its RCV.NXT
        ("B", Segment(seq=b + 1, ack=a + 1, ack_flag=True, wnd=65535), False),  # challenge ACK
    ])
    model = load_model(None)
    v = judge(path, model, injected)
    assert v.ok and injected == {4}, v.text
    # negative: judged as the endpoint's own segment, the RST is no run of the table
    v = judge(path, model)
    assert not v.ok and "frame 4 from 198.18.0.2:40001" in v.text
    # negative: without the challenge ACK's cause, the kernel's ACK is no run either
    path, _ = _capture(tmp_path, [
        ("A", Segment(seq=a, syn=True, wnd=65535), False),
        ("B", Segment(seq=b, ack=a + 1, syn=True, ack_flag=True, wnd=65535), False),
        ("A", Segment(seq=a + 1, ack=b + 1, ack_flag=True, wnd=65535), False),
        ("B", Segment(seq=b + 1, ack=a + 2, ack_flag=True, wnd=65535), False),  # acknowledges nothing sent
    ])
    v = judge(path, model)
    assert not v.ok and "frame 4 from 198.18.0.1:8001" in v.text


def test_a_variant_over_the_profile_keeps_the_profiles_rows_and_adds_the_variants_changes():
    std, lin = load_model(None), load_model("linux")
    same = over(std, lin, std)
    assert same.rows == lin.rows
    ntw = load_model("no_time_wait")
    composed = over(ntw, lin, std)
    by = {r.name: r for r in composed.rows}
    assert by["fin@FIN-WAIT-2"] == {r.name: r for r in ntw.rows}["fin@FIN-WAIT-2"]
    assert by["abort-rst@ESTABLISHED"] == {r.name: r for r in lin.rows}["abort-rst@ESTABLISHED"]
    assert len(composed.rows) == len(lin.rows)
    clash = Model(changed(ROWS, "abort-rst@ESTABLISHED", emit=Emit("RST", seq=SND_NXT), ref="x", goto=None),
                  "clash", "tests/interop/test_interop_offline.py")
    with pytest.raises(ModelError, match="which profile linux changes too"):
        over(clash, lin, std)


def test_every_shipped_variant_has_scripts_that_differ_from_the_profiles():
    lin, std = load_model("linux"), load_model(None)
    mine = scripts(lin)
    found = {}
    for name in ("no_time_wait", "two_way_handshake", "rfc793_syn_ack_check"):
        theirs = scripts(over(load_model(name), lin, std))
        found[name] = differing(theirs, mine)
    assert found["rfc793_syn_ack_check"] == ["syn-sent-ack-of-iss", "syn-received-ack-of-iss"]
    assert "passive-close-local" in found["no_time_wait"]  # TIME-WAIT answers the probe, CLOSED resets
    assert "active-open" in found["two_way_handshake"]
    a = {s.name: s for s in scripts(over(load_model("rfc793_syn_ack_check"), lin, std))}
    b = {s.name: s for s in mine}
    assert "> . 1:1(0) ack 1" in first_difference(a["syn-sent-ack-of-iss"].text, b["syn-sent-ack-of-iss"].text)
    assert wire_lines(b["passive-open"].text)[0].startswith("0     socket(")


def test_every_row_the_linux_profile_changes_is_a_named_difference():
    std = {r.name: r for r in ROWS}
    lin = {r.name: r for r in LINUX.ROWS}
    touched = {n for n, r in lin.items() if std.get(n) != r} | (set(std) - set(lin))
    named = {row for _, rows, _, _ in LINUX.DIFFERENCES if rows for row in rows}
    assert touched == named  # nothing changed silently, nothing named that is not changed
    for name, rows, rfc, evidence in LINUX.DIFFERENCES:
        assert re.match(r"\d+\.\d+", rfc) and evidence, name
    assert LINUX.SYSCTLS["net.ipv4.tcp_rfc1337"] == "0"


def test_the_readme_lists_every_linux_difference_with_its_evidence():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Linux"):]
    section = section[:section.index("\n## ", 4)] if "\n## " in section[4:] else section
    for name, _, _, evidence in LINUX.DIFFERENCES:
        assert f"`{name}`" in section, name
        for script in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", evidence):
            if script not in ("tcp-fast-open",):
                assert script in section, (name, script)


def test_interop_says_in_one_line_why_it_cannot_run(monkeypatch, capsys):
    monkeypatch.setattr(netns, "unavailable", lambda: "needs root or CAP_NET_ADMIN (test)")
    assert main(["interop", "half-close"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["interop: cannot run here: needs root or CAP_NET_ADMIN (test)"]
    assert main(["interop", "no-such-scenario"]) == 2
    assert "unknown scenario 'no-such-scenario'" in capsys.readouterr().err
    assert main(["interop", "--list"]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert len(listed) == len(SCENARIOS) >= 12 and all(re.search(r"\d\.\d", ln) for ln in listed)


def test_oracle_run_says_in_one_line_why_it_cannot_run(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("PACKETDRILL", raising=False)
    assert main(["oracle", "--format", "packetdrill", "--run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no packetdrill binary" in err[0]
    assert main(["oracle", "--format", "packetdrill", "--run", "--packetdrill", str(tmp_path / "x")]) == 2
    assert "not an executable file" in capsys.readouterr().err
    monkeypatch.setenv("PACKETDRILL", "/bin/true")
    monkeypatch.setattr(netns, "unavailable", lambda: "needs root or CAP_NET_ADMIN (test)")
    import checker.interop.packetdrill_run as pr

    monkeypatch.setattr(pr, "unavailable", netns.unavailable)
    assert main(["oracle", "--format", "packetdrill", "--run"]) == 2
    assert "needs root" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["oracle", "--format", "packetdrill", "--profile", "linux", "--model", "no_time_wait",
                 "--out", str(tmp_path / "composed"), "--json"]) == 0
    import json

    made = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    text = (tmp_path / "composed" / "passive-close-local.pkt").read_text()
    assert "no_time_wait+linux" in text and "TIME-WAIT" not in made["passive-close-local"]["states"]


def test_conform_takes_a_profile(capsys):
    sample = str(ROOT / "tests" / "traces" / "data" / "abort.pcap")
    assert main(["conform", "--profile", "linux", "--json", sample]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["model"]["name"] == "linux" and doc["ok"]
    assert doc["files"][0]["connections"][0]["tolerances"].get("rst-ack", 0) == 0  # the row, not a tolerance
    assert main(["conform", "--profile", "linux", "--model", "no_time_wait", sample]) == 2
