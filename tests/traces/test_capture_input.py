"""Captures read right, and bad input is one line: IPv4/IPv6 fragments are
reassembled (or the connection is not checked, saying why), impossible IP
lengths are reported per frame, TCP checksums are verified (a bad one is a
segment the receiver drops, RFC 9293 3.1), snap-length-truncated frames are
judged from their header lengths, compressed and truncated files are
reported, standard input is read, several files keep going after a bad one,
pcapng Simple Packet Blocks are read, and a connection that was not checked
makes exit status 3, never 0. A fuzzed set of corrupted captures and bad
option values never produces a traceback."""

from __future__ import annotations

import gzip
import os
import random
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.traces.capture import CaptureError, read
from checker.traces.conform import conform_file
from checker.traces.results import CONFORMS, NOT_CHECKED, VIOLATION
from tests.traces import capedit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "traces", "data")


def sample(name: str) -> str:
    return os.path.join(DATA, name)


@pytest.fixture(scope="module")
def standard():
    from checker.load import load_model

    return load_model(None)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """`conform ARGS` in this process: (exit status, stdout, stderr)."""
    try:
        code = main(["conform", *args])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


def only(rep):
    assert len(rep.connections) == 1, [c.name for c in rep.connections]
    return rep.connections[0]


# --- fragments -------------------------------------------------------------------------------

def _fragmented(src: str, dst: str, frame: int, size: int, drop: int | None = None, overlap=False) -> str:
    """`src` with packet `frame` sent as IP fragments of `size` octets
    (IPv4 or IPv6, as the packet is)."""
    from scapy.layers.inet import IP, fragment
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    pk = capedit.load(src)
    p = pk[frame - 1]
    if IP in p:
        frags = [Ether(bytes(p)[:14]) / f for f in fragment(p[IP], fragsize=size)]
        if overlap:
            q = frags[1].copy()
            q[IP].frag -= 1  # starts 8 octets early: overlaps the first fragment
            del q[IP].chksum
            frags.insert(2, Ether(bytes(q)))
    else:  # RFC 8200 4.5: the unfragmentable IPv6 header, a Fragment header, a piece of the payload
        raw = bytes(p)
        eth, hdr, payload = raw[:14], raw[14:54], raw[54:14 + 40 + p[IPv6].plen]
        frags = []
        for at in range(0, len(payload), size):
            piece = payload[at:at + size]
            more = at + size < len(payload)
            h = bytearray(hdr)
            h[4:6] = struct.pack("!H", 8 + len(piece))
            h[6] = 44
            fh = struct.pack("!BBHI", 6, 0, at | more, 0x1234)
            frags.append(Ether(eth + bytes(h) + fh + piece))
    for f in frags:
        f.time = p.time
    if drop is not None:
        del frags[drop]
    return capedit.save(pk[:frame - 1] + frags + pk[frame:], dst)


def test_ipv4_fragments_are_reassembled(standard, tmp_path):
    # frame 6: the server's 9 octets; the client's ACK of them follows
    out = _fragmented(sample("client_close.pcap"), str(tmp_path / "frag.pcap"), 6, 16)
    cap = read(out)
    assert cap.frames > 10 and cap.reassembled == 1 and len(cap.packets) == 10
    seg = cap.packets[5]
    assert seg.data == 9 and seg.frame == 6 + 2  # numbered by the frame that completed it
    rep = conform_file(out, standard)
    assert only(rep).status == CONFORMS and rep.complete


def test_ipv6_fragments_are_reassembled(standard, tmp_path):
    out = _fragmented(sample("server_close_v6.pcapng"), str(tmp_path / "frag6.pcapng"), 6, 16)
    cap = read(out)
    assert cap.reassembled == 1 and len(cap.packets) == 11
    assert only(conform_file(out, standard)).status == CONFORMS


def test_a_missing_fragment_leaves_the_connection_not_checked(standard, tmp_path, capsys):
    out = _fragmented(sample("client_close.pcap"), str(tmp_path / "hole.pcap"), 6, 16, drop=1)
    c = only(conform_file(out, standard))
    assert c.status == NOT_CHECKED and "not reassembled" in c.reason
    assert c.violation is not None and "may follow from it" in c.reason  # the ACK of octets never seen
    code, stdout, _ = cli(capsys, out)
    assert code == 3 and "not checked" in stdout


def test_overlapping_fragments_are_reported(standard, tmp_path):
    out = _fragmented(sample("client_close.pcap"), str(tmp_path / "overlap.pcap"), 6, 16, overlap=True)
    rep = conform_file(out, standard)
    assert any("overlapping IP fragments" in b.reason for b in rep.problems)
    assert only(rep).status == NOT_CHECKED


# --- impossible lengths -------------------------------------------------------------------------

def _raw_edit(src: str, dst: str, frame: int, fn) -> str:
    """Copy with fn(bytearray of frame) applied, checksums untouched."""
    from scapy.utils import RawPcapReader, RawPcapWriter

    recs = list(RawPcapReader(src))
    w = RawPcapWriter(dst, linktype=1)
    w.write_header(None)
    for i, (buf, meta) in enumerate(recs, 1):
        b = bytearray(buf)
        if i == frame:
            fn(b)
        w.write_packet(bytes(b), sec=meta.sec, usec=meta.usec, caplen=len(b), wirelen=len(b))
    w.close()
    return dst


@pytest.mark.parametrize("field, value, words", [
    ("total", 1500, "IPv4 total length 1500 beyond the"),
    ("total", 16, "IPv4 total length 16 shorter than its header"),
    ("total", 30, "IP packet ends 10 bytes into its TCP header"),
    ("ihl", 3, "IPv4 header length 12 bytes"),
    ("thl", 2, "TCP data offset 8 bytes < 20"),
    ("thl", 15, "TCP data offset 60 bytes beyond"),
])
def test_impossible_lengths_are_reported_per_frame(standard, tmp_path, capsys, field, value, words):
    def bad(b):
        if field == "total":
            b[16:18] = struct.pack("!H", value)
        elif field == "ihl":
            b[14] = 0x40 | value
        else:
            b[14 + 20 + 12] = (value << 4) | (b[14 + 20 + 12] & 0x0F)

    out = _raw_edit(sample("client_close.pcap"), str(tmp_path / "len.pcap"), 7, bad)
    rep = conform_file(out, standard)
    assert [(b.frame, words in b.reason) for b in rep.problems] == [(7, True)], rep.problems
    code, stdout, _ = cli(capsys, out)
    assert f"frame 7: {words}" in stdout
    if field != "ihl":  # the ports are readable: the connection knows its frame 7 is missing
        assert only(rep).status == NOT_CHECKED and "frame 7 unreadable" in only(rep).reason
        assert code == 3
    else:
        assert rep.unattributed and code == 3


def test_snaplen_truncated_frames_are_judged_from_their_header_lengths(standard):
    cap = read(sample("zero_window.pcap"))
    assert cap.checksums.get("not captured", 0) > 50 and not cap.problems
    assert only(conform_file(sample("zero_window.pcap"), standard)).status == CONFORMS


# --- checksums ----------------------------------------------------------------------------------

def _bad_checksum(b: bytearray) -> None:
    b[14 + 20 + 16] ^= 0x5A


def test_offload_checksums_are_recognised_and_real_ones_verified():
    assert read(sample("client_close.pcap")).checksums == {"offload": 10}  # captured on lo
    refused = read(sample("refused.pcap")).checksums
    assert refused == {"offload": 2, "verified": 2}  # the kernel's own RSTs carry real checksums


def test_a_segment_with_a_bad_checksum_was_never_received(standard, tmp_path):
    # frame 6 (the server's 9 octets) corrupted: the client's ACK of them (frame 7) is then impossible
    out = _raw_edit(sample("client_close.pcap"), str(tmp_path / "ck.pcap"), 6, _bad_checksum)
    cap = read(out)
    assert cap.checksums["bad"] == 1 and cap.packets[5].bad_checksum
    c = only(conform_file(out, standard))
    assert c.status == VIOLATION and c.violation.packet.frame == 7 and c.bad_checksums == 1
    assert any("frame 6" not in how for _, how, _ in c.violation.expected)


def test_a_corrupted_copy_is_dropped_and_counted(standard, tmp_path):
    # a corrupted retransmission of frame 6 right after it: sent, dropped, nothing else changes
    pk = capedit.load(sample("client_close.pcap"))
    copy = pk[5].copy()
    copy.time = pk[5].time + 0.0001
    raw = bytearray(bytes(copy))
    _bad_checksum(raw)
    from scapy.layers.l2 import Ether

    bad = Ether(bytes(raw))
    bad.time = copy.time
    out = capedit.save(pk[:6] + [bad] + pk[6:], str(tmp_path / "dup.pcap"))
    c = only(conform_file(out, standard))
    assert c.status == CONFORMS and c.bad_checksums == 1


# --- files: compressed, truncated, standard input, several, pcapng SPB ------------------------------

def test_gzip_is_read_and_a_truncated_gzip_is_an_error(standard, tmp_path, capsys):
    data = open(sample("zero_window.pcap"), "rb").read()
    gz = tmp_path / "z.pcap.gz"
    gz.write_bytes(gzip.compress(data))
    assert only(conform_file(str(gz), standard)).status == CONFORMS
    cut = tmp_path / "cut.pcap.gz"
    cut.write_bytes(gzip.compress(data)[:3000])
    code, stdout, err = cli(capsys, str(cut))
    assert code == 2 and one_line(err) and "gzip data cut short" in err and str(cut) in err
    assert "not checked" in stdout  # what was read is reported, never as conformant
    # the same bytes uncompressed: also an error, the same exit status
    plain = tmp_path / "cut.pcap"
    plain.write_bytes(data[:5000])
    code, _, err = cli(capsys, str(plain))
    assert code == 2 and one_line(err) and "cut short" in err


def test_truncated_pcap_mid_file_reports_the_frames_read(standard, tmp_path):
    data = open(sample("client_close.pcap"), "rb").read()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:-7])
    rep = conform_file(str(path), standard)
    assert rep.error and "cut short in packet 10" in rep.error and rep.packets == 9
    assert only(rep).status == NOT_CHECKED
    head = tmp_path / "head.pcap"
    head.write_bytes(data[:34])  # the file header and 10 bytes of the first record's
    with pytest.raises(CaptureError, match="cut short at byte 24"):
        conform_file(str(head), standard)


def test_standard_input_is_read():
    with open(sample("client_close.pcap"), "rb") as f:
        p = subprocess.run([sys.executable, "-m", "checker", "conform", "-"], stdin=f, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "standard input: 10 packets" in p.stdout and "conformant" in p.stdout
    with open(sample("client_close.pcap"), "rb") as f:  # compressed, through a pipe
        p = subprocess.run([sys.executable, "-m", "checker", "conform", "-"], input=gzip.compress(f.read()),
                           cwd=ROOT, capture_output=True, timeout=60)
    assert p.returncode == 0 and b"conformant" in p.stdout


def test_several_files_keep_going_after_a_bad_one(tmp_path, capsys):
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"not a capture at all")
    code, stdout, err = cli(capsys, sample("client_close.pcap"), str(junk), sample("abort.pcap"))
    assert code == 2 and one_line(err) and str(junk) in err
    assert stdout.count(": conformant") == 2
    bad = capedit.edit(sample("client_close.pcap"), str(tmp_path / "bad.pcap"), 7, ack=+1)
    code, _, err = cli(capsys, str(junk), bad)
    assert code == 1 and one_line(err)  # a violation outranks the unreadable file


def _pcapng_spb(src: str, dst: str, epb_every: int = 0) -> str:
    """`src` (pcap, Ethernet) rewritten as pcapng with Simple Packet Blocks
    (every `epb_every`-th packet an Enhanced Packet Block instead)."""
    from scapy.utils import RawPcapReader

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 0))
    for i, (buf, meta) in enumerate(RawPcapReader(src), 1):
        if epb_every and i % epb_every == 0:
            t = meta.sec * 1_000_000 + meta.usec
            out += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(buf), len(buf)) + buf)
        else:
            out += block(3, struct.pack("<I", len(buf)) + buf)
    with open(dst, "wb") as f:
        f.write(out)
    return dst


def test_pcapng_with_simple_packet_blocks_is_read(standard, tmp_path, capsys):
    for every in (0, 3):
        out = _pcapng_spb(sample("client_close.pcap"), str(tmp_path / f"spb{every}.pcapng"), every)
        rep = conform_file(out, standard)
        assert rep.packets == 10 and only(rep).status == CONFORMS
        code, _, err = cli(capsys, out)
        assert code == 0 and err == ""


# --- three outcomes: not checked is exit 3, never 0 -------------------------------------------------

def test_a_cap_reached_is_not_checked_and_exit_3(capsys):
    code, stdout, _ = cli(capsys, "--max-configs", "1", sample("client_close.pcap"))
    assert code == 3
    assert "not checked: at frame 1: more than 1 configurations" in stdout
    assert "verdict: 1 connection: 0 conform, 1 not checked" in stdout
    code, stdout, _ = cli(capsys, "--max-configs", "1", "--json", sample("client_close.pcap"))
    import json

    doc = json.loads(stdout)
    assert code == 3 and doc["exit_status"] == 3 and doc["complete"] is False
    assert doc["files"][0]["connections"][0]["verdict"] == "not checked"


@pytest.mark.parametrize("args, words", [
    (["--max-configs", "0"], "--max-configs must be positive"),
    (["--max-configs", "-3"], "--max-configs must be positive"),
    (["--max-configs", "many"], "invalid int value"),
    (["--rcv-wnd", "0"], "--rcv-wnd must be 1..2^30"),
    (["--rcv-wnd", "x"], "invalid int value"),
    (["--without", "nonsense"], "invalid choice"),
    (["--no-such-option"], "unrecognized arguments"),
    ([], "the following arguments are required"),
])
def test_bad_option_values_are_one_line_exit_2(capsys, args, words):
    code, stdout, err = cli(capsys, *args, *([sample("client_close.pcap")] if args else []))
    assert code == 2 and one_line(err) and words in err, err
    assert stdout == ""


# --- a fuzzed set of corrupted captures ----------------------------------------------------------------

def _corpus() -> list[bytes]:
    out = []
    for name in ("client_close.pcap", "server_close_v6.pcapng", "zero_window.pcap"):
        out.append(open(sample(name), "rb").read())
    return out


CORPUS = _corpus()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(CORPUS) - 1), cut=st.integers(0, 20000),
       flips=st.lists(st.tuples(st.integers(0, 20000), st.integers(1, 255)), max_size=6),
       gz=st.booleans())
def test_fuzzed_captures_give_a_verdict_or_one_error_line(standard, tmp_path, which, cut, flips, gz):
    data = bytearray(CORPUS[which])
    for at, x in flips:
        data[at % len(data)] ^= x
    data = bytes(data[:cut] if cut < len(data) else data)
    if gz:
        data = gzip.compress(CORPUS[which])[:cut] if cut < 3000 else gzip.compress(data)
    path = tmp_path / "fuzz.pcap"
    path.write_bytes(data)
    try:
        rep = conform_file(str(path), standard)
    except CaptureError as err:
        assert "\n" not in str(err) and str(path) in str(err)
        return
    assert all(c.status in (CONFORMS, VIOLATION, NOT_CHECKED) for c in rep.connections)
    if rep.error:
        assert "\n" not in rep.error and not any(c.status == CONFORMS for c in rep.connections)


def test_fuzzed_captures_on_the_command_line(tmp_path):
    """A few of the corrupted files through the real command: an exit status
    of the table, at most one line on stderr, never a traceback."""
    rng = random.Random(9)
    for k in range(8):
        data = bytearray(rng.choice(CORPUS))
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] ^= rng.randint(1, 255)
        data = data[:rng.randint(0, len(data))]
        path = tmp_path / f"f{k}.pcap"
        path.write_bytes(bytes(data))
        p = subprocess.run([sys.executable, "-m", "checker", "conform", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode in (0, 1, 2, 3) and p.stderr.count("\n") <= 1 and "Traceback" not in p.stderr, \
            (k, p.returncode, p.stderr)
