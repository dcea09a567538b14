"""`conform --judge`: the stack under test is judged on its answers to a
crafted peer (RFC 5961 probes: a SYN in ESTABLISHED, inexact and
out-of-window RSTs, data outside the window, an ACK of unsent data), the
peer's segments taken as arbitrary network input. Every correct answer
conforms; an altered copy where the stack's answer is wrong (no challenge
ACK, reset by an inexact RST, out-of-window data accepted) is a violation at
that frame, naming the endpoint, the rows that could have fired and what they
would have sent. Also: judging goes on after a violation, data on a SYN
(RFC 9293 3.5) and TCP Fast Open (RFC 7413, a profile), offloaded
super-segments and capture-point reordering, each named and counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from checker.load import load_model
from checker.traces.conform import conform_file
from checker.traces.options import TOLERANCES, ConformOptions, parse_judge
from checker.traces.results import CONFORMS, VIOLATION
from impl.segment import Segment
from tests.traces import crafted, synth

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = parse_judge(crafted.STACK[0])
JUDGE_STACK = ConformOptions(rcv_wnd=crafted.WND, judge=(STACK,))


@pytest.fixture(scope="module")
def standard():
    return load_model(None)


NO_NETNS = None


def _netns_reason():
    global NO_NETNS
    if NO_NETNS is None:
        from tests.traces import netns

        NO_NETNS = netns.unavailable() or ""
    return NO_NETNS


class Run:
    """A probe capture: its path, the frames of the stack's answers per step,
    the peer's frames, both ISSs and the endpoints."""

    def __init__(self, path, answers, peer_frames, stack_iss, peer_iss, stack, peer):
        self.path, self.answers, self.peer_frames = path, answers, peer_frames
        self.stack_iss, self.peer_iss, self.stack, self.peer = stack_iss, peer_iss, stack, peer

    def rewrite(self, dst, changes):
        return crafted.rewrite(self.path, dst, changes, self.stack, self.peer)


@pytest.fixture(scope="module", params=["impl", "linux"])
def probe(request, tmp_path_factory):
    """The probes against impl's endpoint, and (root) against the Linux kernel
    in a private network namespace (tests/traces/netns.py)."""
    path = str(tmp_path_factory.mktemp("probe") / f"{request.param}.pcap")
    if request.param == "impl":
        pr = crafted.probe_impl(path)
        return Run(path, pr.answers, pr.peer_frames, pr.stack_iss, pr.peer_iss, crafted.STACK, crafted.PEER)
    why = _netns_reason()
    if why:
        pytest.skip(f"Linux probe skipped: {why}")
    from tests.traces import netns

    got = netns.probe_linux(path)
    peer_frames = {}
    n = 0
    for name, _ in crafted.probes(got["peer_iss"], got["stack_iss"]):
        n += 1
        peer_frames[name] = n
        n += len(got["answers"][name])
    return Run(path, got["answers"], peer_frames, got["stack_iss"], got["peer_iss"], netns.STACK, netns.PEER)


def only(rep):
    assert len(rep.connections) == 1
    return rep.connections[0]


def test_every_correct_answer_of_the_stack_conforms(standard, probe):
    path, pr = probe.path, probe
    c = only(conform_file(path, standard, JUDGE_STACK))
    assert c.status == CONFORMS, [v.as_json() for v in c.violations]
    assert c.judged == {"B": sum(len(a) for a in pr.answers.values())} and "A" not in c.judged
    assert c.segments == len(pr.peer_frames) + c.judged["B"]
    # judged on both sides, the peer is the one that breaks the rules; the stack is still judged after it
    both = only(conform_file(path, standard, ConformOptions(rcv_wnd=crafted.WND)))
    assert both.status == VIOLATION and {v.sender for v in both.violations} == {"A"}


def _answer(pr, step: str) -> int:
    (frame,) = pr.answers[step]
    return frame


def test_no_challenge_ack_for_an_in_window_syn_is_a_violation(standard, probe, tmp_path):
    path, pr = probe.path, probe
    frame = _answer(pr, "syn-in-window")
    s = pr.stack_iss
    # an RFC 793 stack resets the connection instead of sending a challenge ACK (RFC 5961 4), with
    # RFC 793's reset for a segment without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. (A
    # <SEQ=SND.NXT><CTL=RST> would be what an ABORT sends: no violation.)
    syn_seq = pr.peer_iss + 11 + 5
    bad = pr.rewrite(str(tmp_path / "syn.pcap"), {frame: Segment.of("RST,ACK", seq=0, ack=syn_seq + 1)})
    c = only(conform_file(bad, standard, JUDGE_STACK))
    assert c.status == VIOLATION
    v = c.violation
    assert v.packet.frame == frame and v.sender == "B" and v.endpoint == f"{pr.stack[0]}:{pr.stack[1]}"
    challenge = [(m, how, rows) for m, how, rows in v.expected if "syn-challenge@ESTABLISHED" in rows]
    assert challenge and all(m.ackf and not m.rst and m.seq == (s + 1) & 0xFFFFFFFF for m, _, _ in challenge)
    assert any(how.startswith(f"on receiving frame {pr.peer_frames['syn-in-window']}") for _, how, _ in challenge)


def test_a_stack_reset_by_an_inexact_rst_is_a_violation(standard, probe, tmp_path):
    path, pr = probe.path, probe
    s = pr.stack_iss
    # the stack takes the inexact RST as a reset: no challenge ACK, and then it answers the
    # next segment (an ACK of data never sent) as a CLOSED endpoint does: <SEQ=SEG.ACK><CTL=RST>
    gone, next_answer = _answer(pr, "rst-inexact"), _answer(pr, "ack-unsent")
    bad = pr.rewrite(str(tmp_path / "rst.pcap"), {gone: None, next_answer: Segment.of("RST", seq=s + 1 + 5000)})
    c = only(conform_file(bad, standard, JUDGE_STACK))
    assert c.status == VIOLATION
    assert c.violation.packet.frame == next_answer - 1  # (one frame fewer before it)
    assert any("ack-too-new@ESTABLISHED" in rows for _, _, rows in c.violation.expected)


def test_accepting_out_of_window_data_is_a_violation(standard, probe, tmp_path):
    path, pr = probe.path, probe
    frame = _answer(pr, "data-outside")
    p, s = pr.peer_iss, pr.stack_iss
    took = Segment.of("ACK", seq=s + 1, ack=p + 11 + (1 << 30) + 70000 + 10, wnd=crafted.WND)
    bad = pr.rewrite(str(tmp_path / "oow.pcap"), {frame: took})
    c = only(conform_file(bad, standard, JUDGE_STACK))
    assert c.status == VIOLATION and c.violation.packet.frame == frame
    assert any(m.ack == (p + 11) & 0xFFFFFFFF and "seq-bad@ESTABLISHED" in rows
               for m, _, rows in c.violation.expected)
    # judged on both sides too: the peer's violations do not hide the stack's
    both = only(conform_file(bad, standard, ConformOptions(rcv_wnd=crafted.WND, max_violations=20)))
    assert frame in [v.packet.frame for v in both.violations if v.sender == "B"]


def test_judging_goes_on_after_a_violation(standard, probe, tmp_path):
    path, pr = probe.path, probe
    s, p = pr.stack_iss, pr.peer_iss
    f1, f2 = _answer(pr, "syn-in-window"), _answer(pr, "data-outside")
    bad = pr.rewrite(str(tmp_path / "two.pcap"), {
        f1: Segment.of("ACK", seq=s + 1, ack=p + 12, wnd=crafted.WND),  # acknowledges an octet never sent
        f2: Segment.of("ACK", seq=s + 1, ack=p + 11 + (1 << 30) + 70010, wnd=crafted.WND)})
    c = only(conform_file(bad, standard, JUDGE_STACK))
    assert [v.packet.frame for v in c.violations] == [f1, f2] and c.resynchronised >= 1
    one = only(conform_file(bad, standard, ConformOptions(rcv_wnd=crafted.WND, judge=(STACK,),
                                                            max_violations=1)))
    assert [v.packet.frame for v in one.violations] == [f1]


def test_judge_by_role_and_the_cli(probe, tmp_path):
    path, pr = probe.path, probe
    frame = _answer(pr, "data-outside")
    bad = pr.rewrite(str(tmp_path / "oow.pcap"), {
        frame: Segment.of("ACK", seq=pr.stack_iss + 1, ack=pr.peer_iss + 11 + (1 << 30) + 70010,
                          wnd=crafted.WND)})
    stack = f"{pr.stack[0]}:{pr.stack[1]}"
    for who in ("server", stack, pr.stack[0]):
        p = subprocess.run([sys.executable, "-m", "checker", "conform", "--rcv-wnd", "65535", "--judge", who,
                            "--json", bad], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p.stderr
        doc = json.loads(p.stdout)
        (conn,) = doc["files"][0]["connections"]
        assert [v["frame"] for v in conn["violations"]] == [frame]
        v = conn["violations"][0]
        assert v["endpoint"] == stack and v["expected"] and all("rows" in e for e in v["expected"])
        assert doc["endpoints"]["198.18.0.1"]["violations"] == 1
    p = subprocess.run([sys.executable, "-m", "checker", "conform", "--rcv-wnd", "65535", "--judge", "client",
                        path], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and pr.peer[0] in p.stdout  # the crafted peer breaks the rules


def test_a_bulk_transfer_recorded_in_a_namespace_conforms(standard, tmp_path):
    """Linux over lo in a private namespace, segmentation offload off (MSS-sized
    segments, many of them in flight): conformant, with the tolerances it needed."""
    why = _netns_reason()
    if why:
        pytest.skip(f"live bulk transfer skipped: {why}")
    from tests.traces import netns

    path = str(tmp_path / "bulk.pcap")
    n = netns.record_bulk(path, 2_000_000)
    c = only(conform_file(path, standard))
    assert n > 1000 and c.segments == n
    assert c.status == CONFORMS, [v.as_json() for v in c.violations][:1]


# --- data on SYN and TCP Fast Open ---------------------------------------------------------------

def _open_with_data(path: str, tfo: bool) -> str:
    """A client's SYN carries 100 octets; a TFO server acknowledges them in its
    SYN,ACK and answers with data before the handshake completes; a server
    without TFO acknowledges the SYN only, and the client sends the data again."""
    w = synth.Writer(path, snaplen=96)
    c, s = ("198.18.0.3", 41000), ("198.18.0.4", 80)
    x, y = 1000, 90000
    w.segment(c, s, x, 0, synth.SYN, 100, opts=synth.SYN_OPTS, dt=1e-3)
    if tfo:
        w.segment(s, c, y, x + 101, synth.SYN | synth.ACK, opts=synth.SYN_OPTS, dt=1e-3)
        w.segment(s, c, y + 1, x + 101, synth.ACK | synth.PSH, 50, dt=1e-3)  # data in SYN-RECEIVED
        w.segment(c, s, x + 101, y + 51, synth.ACK, dt=1e-3)
    else:
        w.segment(s, c, y, x + 1, synth.SYN | synth.ACK, opts=synth.SYN_OPTS, dt=1e-3)
        w.segment(c, s, x + 101, y + 1, synth.ACK, dt=1e-3)
        w.segment(c, s, x + 1, y + 1, synth.ACK | synth.PSH, 100, dt=1e-3)  # the data again
        w.segment(s, c, y + 1, x + 101, synth.ACK | synth.PSH, 50, dt=1e-3)
        w.segment(c, s, x + 101, y + 51, synth.ACK, dt=1e-3)
    w.close()
    return path


def test_data_on_syn_conforms_as_rfc_9293_allows(standard, tmp_path):
    c = only(conform_file(_open_with_data(str(tmp_path / "plain.pcap"), tfo=False), standard))
    assert c.status == CONFORMS and c.side_tolerances["A"].get("syn-data") == 1
    strict = ConformOptions(tolerances=frozenset(TOLERANCES) - {"syn-data"})
    v = only(conform_file(str(tmp_path / "plain.pcap"), standard, strict)).violation
    assert v.packet.frame == 1 and v.segment.syn and v.segment.data == 100


def test_tcp_fast_open_is_an_extension(standard, tmp_path):
    path = _open_with_data(str(tmp_path / "tfo.pcap"), tfo=True)
    c = only(conform_file(path, standard, ConformOptions(extensions=frozenset({"tfo"}))))
    assert c.status == CONFORMS and c.side_tolerances["B"].get("tfo", 0) >= 1
    # without the profile: the SYN,ACK acknowledging the SYN's data, reported as such
    c = only(conform_file(path, standard))
    assert c.status == VIOLATION and c.violation.packet.frame == 2 and c.violation.sender == "B"
    assert "TCP Fast Open" in c.violation.note and "--with tfo" in c.violation.note


# --- capture artefacts -------------------------------------------------------------------------------

def test_a_super_segment_is_split_by_the_mss(standard, tmp_path):
    """TSO: the sender's capture shows one 4344-octet segment; the receiver,
    which got three MSS-sized ones, acknowledges the first two."""
    w = synth.Writer(str(tmp_path / "tso.pcap"))
    f = synth.Flow(w, ("198.18.0.5", 42000), ("198.18.0.6", 80), 5000, 7000)
    f.handshake()
    w.segment(f.c, f.s, f.cn, f.sn, synth.ACK, 3 * 1448)
    w.segment(f.s, f.c, f.sn, f.cn + 2 * 1448, synth.ACK)
    w.segment(f.s, f.c, f.sn, f.cn + 3 * 1448, synth.ACK)
    f.cn += 3 * 1448
    f.close()
    w.close()
    c = only(conform_file(str(tmp_path / "tso.pcap"), standard))
    assert c.status == CONFORMS and c.tolerances.get("super-segment") == 1
    off = ConformOptions(tolerances=frozenset(TOLERANCES) - {"super-segment"})
    assert only(conform_file(str(tmp_path / "tso.pcap"), standard, off)).violation.packet.frame == 5


def test_capture_point_reordering_within_the_window(standard, tmp_path):
    """Two ACKs of one receiver recorded in the opposite order (multi-core
    capture), 9 microseconds apart; and an ACK recorded before the data it
    acknowledges."""
    def make(name: str, gap: float, cross: bool) -> str:
        w = synth.Writer(str(tmp_path / name))
        f = synth.Flow(w, ("198.18.0.7", 43000), ("198.18.0.8", 80), 100, 200)
        f.handshake()
        c, s = f.c, f.s
        for k in range(4):
            w.segment(c, s, f.cn + k * 1000, f.sn, synth.ACK, 1000)
        if cross:  # the ACK of the 5th segment before the 5th segment
            w.segment(s, c, f.sn, f.cn + 5000, synth.ACK, dt=gap)
            w.segment(c, s, f.cn + 4000, f.sn, synth.ACK, 1000, dt=gap)
        else:
            w.segment(c, s, f.cn + 4000, f.sn, synth.ACK, 1000)
            w.segment(s, c, f.sn, f.cn + 4000, synth.ACK, dt=gap)  # sent second, recorded first
            w.segment(s, c, f.sn, f.cn + 2000, synth.ACK, dt=gap)
            w.segment(s, c, f.sn, f.cn + 5000, synth.ACK, dt=gap)
        f.cn += 5000
        f.close()
        w.close()
        return str(tmp_path / name)

    for cross in (False, True):
        near = make(f"near{cross}.pcap", 9e-6, cross)
        c = only(conform_file(near, standard))
        assert c.status == CONFORMS and c.tolerances.get("capture-reorder") == 1, (cross, c.violations)
        off = ConformOptions(tolerances=frozenset(TOLERANCES) - {"capture-reorder"})
        assert only(conform_file(near, standard, off)).status == VIOLATION
        far = make(f"far{cross}.pcap", 0.05, cross)  # 50 ms apart: beyond the window
        assert only(conform_file(far, standard)).status == VIOLATION
