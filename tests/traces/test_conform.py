"""`conform`: captures of real Linux connections (committed samples in
tests/traces/data/, recorded over loopback by tests/traces/loopback.py; recorded afresh when
the tests run as root) are runs of the RFC 9293 table; altered copies are not,
and the report names the altered segment. Also: model runs written as pcaps
are conformant (no false alarm by construction of the abstraction), broken
tables are caught by real traffic, and bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.traces.capture import CaptureError, Capture, decode, read
from checker.traces.conform import conform_file, conform_packets
from checker.traces.engine import Engine
from checker.traces.invariance import translation_invariant
from checker.traces.options import TOLERANCES, ConformOptions
from checker.analysis.explore import _Space
from checker.generate.ladder import ladder_json
from checker.load import load_model
from checker.analysis.options import Options
from checker.generate.pcapout import ladder_packets
from model.expr import C
from model.machine import Model
from model.rows import changed
from model.seq import ne
from model.table import ROWS, SEG_SEQ
from tests.traces import capedit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "traces", "data")
SAMPLES = sorted(f for f in os.listdir(DATA) if f.endswith((".pcap", ".pcapng")))
STRICT = ConformOptions(tolerances=frozenset())


@pytest.fixture(scope="module")
def standard():
    return load_model(None)


def sample(name: str) -> str:
    return os.path.join(DATA, name)


def one(path: str, model, opts: ConformOptions | None = None):
    rep = conform_file(path, model, opts)
    assert len(rep.connections) == 1, [c.name for c in rep.connections]
    return rep.connections[0]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker", "conform", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


# --- real Linux connections are runs of the table ------------------------------------

# What each committed sample shows, and which tolerances (RFC-conformant
# behaviours the table abstracts away) it needs.
EXPECTED = {
    "client_close.pcap": (1, set()),  # 3.6 case 1 at the client, FIN piggybacked on the server's close
    "server_close_v6.pcapng": (1, set()),  # IPv6, pcapng; the server closes first
    "refused.pcap": (2, set()),  # 3.10.7.1 <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>, twice, same 4-tuple
    "abort.pcap": (1, {"rst-ack"}),  # SO_LINGER 0: Linux's reset carries ACK (the table's has none)
    "half_close.pcap": (1, set()),  # data from the server after the client's FIN
    "reuse_time_wait.pcap": (2, set()),  # a new SYN on a 4-tuple whose server end sits in TIME-WAIT
    "zero_window.pcap": (1, {"window-update", "data+fin", "partial-retransmission"}),  # snaplen 96
}


def test_every_sample_is_described():
    assert set(SAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("name", SAMPLES)
def test_real_linux_sample_is_conformant(standard, name):
    incarnations, tolerated = EXPECTED[name]
    c = one(sample(name), standard)
    assert c.status == "conformant", c.violation and c.violation.as_json()
    assert c.incarnations == incarnations
    assert set(c.tolerances) == tolerated
    assert not c.mid_connection and c.segments >= 4


def test_strict_mode_shows_where_the_table_and_linux_differ(standard):
    # 3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST>; Linux sends RST,ACK with ACK=RCV.NXT
    c = one(sample("abort.pcap"), standard, STRICT)
    assert c.status == "violation" and c.violation.packet.frame == 8
    assert c.violation.packet.flag_names() == "RST,ACK"
    assert any(how.startswith("ABORT") and s.rst and not s.ackf for s, how, _ in c.violation.expected)
    # the other captures need no tolerance at all
    for name in ("client_close.pcap", "server_close_v6.pcapng", "refused.pcap", "half_close.pcap",
                 "reuse_time_wait.pcap"):
        assert one(sample(name), standard, STRICT).status == "conformant", name


def test_snaplen_truncated_capture_counts_data_from_ip_lengths():
    assert all(len(p) <= 96 for p in capedit.load(sample("zero_window.pcap")))
    cap = read(sample("zero_window.pcap"))
    assert sum(p.data for p in cap.packets) > 1_000_000  # the octets were not captured, but counted


def test_options_windows_and_psh_never_matter(standard, tmp_path):
    """TCP options (MSS, window scale, SACK, timestamps), the advertised
    window and PSH are abstracted away: strip them all, or scramble the
    windows, and the verdict does not change."""
    from scapy.layers.inet import TCP

    def strip(p):
        p[TCP].options = []
        p[TCP].dataofs = None
        p[TCP].flags = str(p[TCP].flags).replace("P", "")

    def scramble(p):
        p[TCP].window = (p[TCP].seq * 7919) & 0xFFFF

    for name in ("client_close.pcap", "half_close.pcap", "abort.pcap"):
        for fn in (strip, scramble):
            out = capedit.each(sample(name), str(tmp_path / f"{fn.__name__}-{name}"), fn)
            assert one(out, standard).status == "conformant", (name, fn.__name__)


def test_other_link_types_read_the_same(standard, tmp_path):
    """Raw IP (DLT_RAW) and Linux cooked (SLL) captures hold the same segments."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import CookedLinux
    from scapy.utils import wrpcap

    pk = capedit.load(sample("half_close.pcap"))
    raw = [p[IP] for p in pk]
    sll = [CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=6, proto=0x0800) / p[IP] for p in pk]
    for name, pkts in (("raw.pcap", raw), ("sll.pcap", sll)):
        wrpcap(str(tmp_path / name), pkts)
        cap = read(str(tmp_path / name))
        assert len(cap.packets) == len(pk) and not cap.skipped
        assert one(str(tmp_path / name), standard).status == "conformant"


def test_keep_alive_and_window_update_are_tolerated_only_as_such(standard, tmp_path):
    ack = capedit.tcp_fields(capedit.load(sample("client_close.pcap"))[6])  # the client's ACK, frame 7
    # 3.8.4: <SEQ=SND.NXT-1><ACK=RCV.NXT>, one garbage octet
    ka = capedit.insert(sample("client_close.pcap"), str(tmp_path / "ka.pcap"), after=7, like=7,
                        seq=ack["seq"] - 1, ack=ack["ack"], flags="A", data=b"\0")
    c = one(ka, standard)
    assert c.status == "conformant" and c.tolerances == {"keep-alive": 1}
    assert one(ka, standard, STRICT).violation.packet.frame == 8
    # the same ACK again: a window update only if it advertises another window
    for window, verdict in ((64, "violation"), (512, "conformant")):
        def win(p, window=window, n=[0]):
            n[0] += 1
            if n[0] == 8:
                p["TCP"].window = window
        again = capedit.insert(sample("client_close.pcap"), str(tmp_path / "again.pcap"), after=7, like=7,
                               seq=ack["seq"], ack=ack["ack"], flags="A")
        again = capedit.each(again, str(tmp_path / f"again{window}.pcap"), win)
        c = one(again, standard)
        assert c.status == verdict, window
        if verdict == "violation":
            assert c.violation.packet.frame == 8


def _packet(src, dst, flags, seq, ack, data=b"", t=0.0, sack=None):
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    opts = [("SAck", sack)] if sack else []
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src[0], dst=dst[0]) / \
        TCP(sport=src[1], dport=dst[1], flags=flags, seq=seq, ack=ack, window=500, options=opts)
    if data:
        p = p / Raw(data)
    p = Ether(bytes(p))
    p.time = 1000 + t
    return p


def test_loss_after_the_capture_point_and_sack_recovery(standard, tmp_path):
    """Segment 1 of three is lost after the capture point; the receiver
    queues 2 and 3 (duplicate ACKs with SACK blocks), the sender resends 1
    alone, and one ACK covers all three. The table drops text beyond RCV.NXT
    (MAY-13; SHLD-31 not followed), so only the ooo-queue tolerance explains
    the last ACK."""
    a, b, d = ("192.0.2.1", 40000), ("192.0.2.2", 80), b"x" * 100
    x, y = 1000, 5000
    pk = [_packet(a, b, "S", x, 0, t=0), _packet(b, a, "SA", y, x + 1, t=.01),
          _packet(a, b, "A", x + 1, y + 1, t=.02),
          _packet(a, b, "PA", x + 1, y + 1, d, t=.03), _packet(a, b, "PA", x + 101, y + 1, d, t=.031),
          _packet(a, b, "PA", x + 201, y + 1, d, t=.032),
          _packet(b, a, "A", y + 1, x + 1, t=.05, sack=(x + 101, x + 201)),
          _packet(b, a, "A", y + 1, x + 1, t=.051, sack=(x + 101, x + 301)),
          _packet(a, b, "PA", x + 1, y + 1, d, t=.06), _packet(b, a, "A", y + 1, x + 301, t=.08)]
    path = capedit.save(pk, str(tmp_path / "loss.pcap"))
    c = one(path, standard)
    assert c.status == "conformant" and set(c.tolerances) == {"ooo-queue", "partial-retransmission"}
    no_queue = ConformOptions(tolerances=frozenset(TOLERANCES) - {"ooo-queue"})
    v = one(path, standard, no_queue).violation
    assert v is not None and v.packet.frame == 10


def test_simultaneous_open_and_close_cross_in_flight(standard, tmp_path):
    """A run of the table in which both ends open at once (3.5 Figure 7) and
    close at once (3.6 Figure 13): each side's segments cross the other's."""

    from checker.analysis.explore import explore
    from checker.generate.pcapout import write_ladder_pcap

    exp = explore(standard, Options(loss=False, old_syn=False, abort=False, capacity=2))
    for both in ("SYN-RECEIVED", "CLOSING"):
        target = next(n for n in range(exp.n_states)
                      if str(exp.state(n).a.state) == str(exp.state(n).b.state) == both)
        steps = exp.path_to(target)
        path = str(tmp_path / f"{both}.pcap")
        write_ladder_pcap(ladder_json(steps), path)
        c = one(path, standard, ConformOptions(rcv_wnd=Options().rcv_wnd))
        assert c.status == "conformant" and c.segments >= 4, both


# --- altered copies are violations, and the altered segment is named ------------------

def _violation(path, model, frame):
    c = one(path, model)
    assert c.status == "violation", f"{path} judged {c.status}"
    v = c.violation
    assert v.packet.frame == frame, v.as_json()
    return v


@pytest.mark.parametrize("delta", [+1, -1])
def test_ack_off_by_one_is_named(standard, tmp_path, delta):
    out = capedit.edit(sample("client_close.pcap"), str(tmp_path / "ack.pcap"), 7, ack=delta)
    v = _violation(out, standard, 7)
    right = capedit.tcp_fields(capedit.load(sample("client_close.pcap"))[6])["ack"]
    assert v.segment.ack == (right + delta) & 0xFFFFFFFF
    # the report says what A could have acknowledged: the octets of frame 6
    assert any(s.ack == right and not s.data and how.startswith("on receiving frame 6")
               for s, how, _ in v.expected)


def test_ack_off_by_one_ipv6_pcapng(standard, tmp_path):
    out = capedit.edit(sample("server_close_v6.pcapng"), str(tmp_path / "ack.pcapng"), 9, ack=+1)
    assert _violation(out, standard, 9).sender == "A"


def test_fin_not_counted_is_named(standard, tmp_path):
    # frame 10: the client's last ACK acknowledges the server's FIN without counting it
    out = capedit.edit(sample("client_close.pcap"), str(tmp_path / "fin.pcap"), 10, ack=-1)
    v = _violation(out, standard, 10)
    fin = capedit.tcp_fields(capedit.load(sample("client_close.pcap"))[8])
    assert v.segment.ack == fin["seq"]
    assert any(s.ack == (fin["seq"] + 1) & 0xFFFFFFFF for s, _, _ in v.expected)  # SEG.LEN counts the FIN


def test_a_fin_that_may_cross_is_not_a_violation(standard, tmp_path):
    """Altering the server's FIN,ACK so that it does not acknowledge the
    client's FIN is NOT a violation: the two FINs may have crossed in
    flight (simultaneous close, 3.6 Figure 13) and the client's last ACK is
    what CLOSING sends. conform must not guess the capture point."""
    out = capedit.edit(sample("client_close.pcap"), str(tmp_path / "cross.pcap"), 9, ack=-1)
    assert one(out, standard).status == "conformant"


def test_rst_with_a_wrong_seq_is_named(standard, tmp_path):
    # abortive close: 3.10.5 sends the reset at SND.NXT; one octet further is not a reset A can send
    out = capedit.edit(sample("abort.pcap"), str(tmp_path / "rst.pcap"), 8, seq=+1)
    v = _violation(out, standard, 8)
    right = capedit.tcp_fields(capedit.load(sample("abort.pcap"))[7])["seq"]
    assert any(how.startswith("ABORT") and s.rst and s.seq == right for s, how, _ in v.expected)


def test_rst_to_closed_port_with_a_wrong_ack_is_named(standard, tmp_path):
    # 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; the second incarnation stays fine
    out = capedit.edit(sample("refused.pcap"), str(tmp_path / "refused.pcap"), 2, ack=+1)
    v = _violation(out, standard, 2)
    assert v.sender == "B" and any(s.rst and s.ackf for s, _, _ in v.expected)


def test_segment_after_abort_is_named(standard, tmp_path):
    rst = capedit.tcp_fields(capedit.load(sample("abort.pcap"))[7])
    out = capedit.insert(sample("abort.pcap"), str(tmp_path / "after.pcap"), after=8, like=4,
                         seq=rst["seq"], ack=rst["ack"], flags="PA", data=b"late")
    v = _violation(out, standard, 9)
    assert [str(c.state) for c in v.allowed] == ["CLOSED", "LISTEN"] and not v.expected


def test_segment_after_last_ack_is_named(standard, tmp_path):
    # the server, CLOSED once the client's ACK of its FIN arrives, sends one more ACK
    fin = capedit.tcp_fields(capedit.load(sample("client_close.pcap"))[8])
    out = capedit.insert(sample("client_close.pcap"), str(tmp_path / "after.pcap"), after=10, like=9,
                         seq=fin["seq"] + 1, ack=fin["ack"], flags="A")
    _violation(out, standard, 11)


def test_dropped_segment_is_named_at_the_first_segment_that_needs_it(standard, tmp_path):
    # without frame 6 (the server's 9 octets) the client's ACK of them is impossible
    out = capedit.drop(sample("client_close.pcap"), str(tmp_path / "gap.pcap"), {6})
    _violation(out, standard, 6)  # frames renumber: the client's ACK is now frame 6


# --- captures with more than one connection, or that start in the middle ----------------

def test_many_connections_in_one_capture(standard, tmp_path):
    parts = {n: capedit.load(sample(n)) for n in ("client_close.pcap", "abort.pcap", "half_close.pcap")}
    pk = sorted((p for ps in parts.values() for p in ps), key=lambda p: float(p.time))
    merged = capedit.save(pk, str(tmp_path / "merged.pcap"))
    rep = conform_file(merged, standard)
    assert len(rep.connections) == 3 and rep.ok
    target = 1 + next(i for i, p in enumerate(pk) if p is parts["half_close.pcap"][7])  # its client ACK
    bad = capedit.edit(merged, str(tmp_path / "bad.pcap"), target, ack=+1)
    rep = conform_file(bad, standard)
    assert [c.status for c in rep.connections].count("violation") == 1
    assert [c.violation.packet.frame for c in rep.connections if c.violation] == [target]


def test_capture_starting_mid_connection(standard, tmp_path):
    out = capedit.drop(sample("half_close.pcap"), str(tmp_path / "mid.pcap"), {1, 2, 3, 4})
    c = one(out, standard)
    assert c.status == "conformant" and c.mid_connection
    # the first segments fixed the variables: a later error is still found
    bad = capedit.edit(out, str(tmp_path / "midbad.pcap"), 6, ack=+2)  # (+1: the FIN 13 us later, capture-reorder)
    assert _violation(bad, standard, 6)


def test_duplicate_recording_is_merged_only_when_asked(standard, tmp_path):
    # the client's packets recorded twice (as a capture on two interfaces of its path would)
    pk = capedit.load(sample("client_close.pcap"))
    client = pk[0].sport
    twice = capedit.save([q for p in pk for q in ((p, p) if p.sport == client else (p,))],
                         str(tmp_path / "twice.pcap"))
    # a repeated SYN is a retransmission, but the repeated ACK of the SYN,ACK has no cause
    v = _violation(twice, standard, 5)
    assert "identical to frame 4" in v.note and "--merge-duplicates" in v.note
    c = one(twice, standard, ConformOptions(merge_duplicates=True))
    assert c.status == "conformant" and c.duplicates == sum(p.sport == client for p in pk)


# --- model runs are conformant (no false alarm by construction) ----------------------

def _model_run(model: Model, opts: Options, data) -> list:
    """A random run of the closed two-endpoint system (channels FIFO, loss,
    no duplication: the capture assumptions), as captured packets."""
    sp = _Space(model, opts)
    c = sp.start()
    steps = []
    for _ in range(data.draw(st.integers(2, 40), label="length")):
        succ = list(sp.successors(c))
        if not succ:
            break
        # mostly moves that put something on the wire or take it off (deeper runs)
        busy = [m for m in succ if m[0][0] == "deliver" or (m[0][3] is not None and m[0][3].sent)]
        pool = busy if busy and data.draw(st.integers(0, 3), label="busy") else succ
        label, c = pool[data.draw(st.integers(0, len(pool) - 1), label="move")]
        steps.append((sp.step_of(label), sp.decode(c)))
    cap = Capture("model run")
    pkts = ladder_packets(ladder_json(steps))
    return [decode(bytes(p), 1, i, float(p.time), cap) for i, p in enumerate(pkts, 1)]


RUN_OPTS = Options(capacity=2, loss=True, reordering=False, duplication=False, old_syn=False,
                   abort=True, data=2)


@given(st.data())
def test_every_run_of_the_standard_table_is_conformant(data):
    model = load_model(None)
    packets = _model_run(model, RUN_OPTS, data)
    for tol in (frozenset(TOLERANCES), frozenset()):  # the fast canonical search and the exact one
        for c in conform_packets(packets, model, ConformOptions(rcv_wnd=RUN_OPTS.rcv_wnd, tolerances=tol)):
            assert c.status == "conformant", c.violation and c.violation.as_json()


@given(st.data())
def test_every_run_of_a_variant_is_conformant_to_that_variant(data):
    model = load_model("no_time_wait")
    packets = _model_run(model, RUN_OPTS.with_(iss_a=5, iss_b=0x10000), data)
    for c in conform_packets(packets, model, ConformOptions(rcv_wnd=RUN_OPTS.rcv_wnd)):
        assert c.status == "conformant", c.violation and c.violation.as_json()


# --- broken tables are caught by real traffic (the negative tests) --------------------------

def test_a_table_that_does_not_count_the_fin_is_refuted_by_linux(standard):
    """A broken table whose FIN-WAIT-2 takes a FIN without advancing RCV.NXT
    (SEG.LEN counts the FIN, 3.3.1): Linux's last ACK in client_close.pcap
    counts it, and conform names that ACK."""
    broken = Model(changed(ROWS, "fin@FIN-WAIT-2", set={}), "fin-not-counted", "tests")
    v = _violation(sample("client_close.pcap"), broken, 10)
    assert v.sender == "A" and any(str(c.state) == "TIME-WAIT" for c in v.allowed)
    # the search is exact for a table whose synchronized rows changed, and still agrees elsewhere
    assert not Engine(broken, ConformOptions()).fast
    assert one(sample("refused.pcap"), broken).status == "conformant"


def test_a_table_without_rst_in_closed_is_refuted_by_linux():
    broken = Model(changed(ROWS, "closed-noack@CLOSED", emit=()), "silent-closed", "tests")
    v = _violation(sample("refused.pcap"), broken, 2)
    assert v.packet.flag_names() == "RST,ACK"


def test_translation_invariance_is_checked_not_assumed():
    assert translation_invariant(load_model(None)) is None
    # the same guard and for one absolute sequence number: harmless here, but not invariant
    guard = next(r for r in ROWS if r.name == "seq-bad@ESTABLISHED").when
    absolute = Model(changed(ROWS, "seq-bad@ESTABLISHED", when=guard & ne(SEG_SEQ, C(7))),
                     "absolute", "tests")
    why = translation_invariant(absolute)
    assert why and why.startswith("seq-bad@ESTABLISHED")
    e = Engine(absolute, ConformOptions())
    assert not e.shift
    assert one(sample("client_close.pcap"), absolute).status == "conformant"


# --- command line ---------------------------------------------------------------------------

def test_cli_exit_codes_and_text(tmp_path):
    p = cli(*[sample(n) for n in SAMPLES])
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip().splitlines()[-1].startswith(f"verdict: all {len(SAMPLES)} connections conform")
    assert "tolerated: rst-ack x1" in p.stdout
    bad = capedit.edit(sample("client_close.pcap"), str(tmp_path / "bad.pcap"), 7, ack=+1)
    p = cli(bad)
    assert p.returncode == 1
    assert "VIOLATION at frame 7" in p.stdout and "could have sent instead" in p.stdout


def test_cli_json(tmp_path):
    p = cli("--json", sample("abort.pcap"), "--strict")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["ok"] is False and doc["tolerances"] == []
    conn = doc["files"][0]["connections"][0]
    assert conn["status"] == "violation" and conn["violation"]["frame"] == 8
    assert conn["violation"]["flags"] == "RST,ACK"


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"this is not a capture at all", "not a pcap or pcapng capture"),
    (None, "no such file"),
])
def test_unreadable_input_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "in.pcap"
    if content is not None:
        path.write_bytes(content)
    p = cli(str(path))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and message in p.stderr and str(path) in p.stderr


def test_cut_short_capture_exits_2_naming_the_byte(tmp_path):
    data = open(sample("client_close.pcap"), "rb").read()
    for cut, what in ((len(data) - 7, "cut short in packet 10"), (24 + 10, "cut short at byte 24")):
        path = tmp_path / f"cut{cut}.pcap"
        path.write_bytes(data[:cut])
        with pytest.raises(CaptureError, match=what):
            read(str(path))
        assert cli(str(path)).returncode == 2


def test_directory_is_unreadable(tmp_path):
    assert cli(str(tmp_path)).returncode == 2


# --- live captures over loopback, in a private namespace (root) ---------------------------------

def _netns_reason() -> str | None:
    from tests.traces import netns

    return netns.unavailable()


NO_RECORDING = _netns_reason()
LIVE = [("client_close", False), ("server_close", True), ("refused_twice", False), ("abort", False),
        ("half_close", False), ("reuse_after_time_wait", False), ("slow_reader", False)]


@pytest.mark.skipif(NO_RECORDING is not None, reason=f"live capture skipped: {NO_RECORDING}")
@pytest.mark.parametrize("scenario, ng", LIVE)
def test_live_linux_connection_is_conformant(standard, tmp_path, scenario, ng):
    from tests.traces import netns

    path = str(tmp_path / (scenario + (".pcapng" if ng else ".pcap")))
    n = netns.record(scenario, path, ng=ng, snaplen=128)
    assert n >= 4
    rep = conform_file(path, standard)
    assert rep.connections and rep.ok, [c.violation.as_json() for c in rep.connections if c.violation]
    assert all(c.status == "conformant" for c in rep.connections)


@pytest.mark.skipif(NO_RECORDING is not None, reason=f"live capture skipped: {NO_RECORDING}")
def test_live_capture_altered_is_a_violation(standard, tmp_path):
    from tests.traces import netns

    path = str(tmp_path / "live.pcap")
    netns.record("client_close", path)
    out = capedit.edit(path, str(tmp_path / "bad.pcap"), 7, ack=+2)
    assert _violation(out, standard, 7)
