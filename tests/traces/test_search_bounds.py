"""What makes `conform` fast may not change a verdict: the shape memo (whole
judgments reused by translation-invariant shape, RFC 9293 3.4) is refused by
a table whose rows compare a sequence number with a fixed one, and gives
the verdicts of the plain search; the beam (`--keep`) may only turn a
verdict into "not checked", never into a false violation; memory holds the
segments in flight, not the connection's history."""

from __future__ import annotations

import os

import pytest

from checker.load import load_model
from checker.traces.capture import read
from checker.traces.conform import conform_file
from checker.traces.connection import Connection
from checker.traces.engine import Engine
from checker.traces.memo import memo_blocker
from checker.traces.options import TOLERANCES, ConformOptions
from checker.traces.results import CONFORMS, NOT_CHECKED, VIOLATION
from model.expr import C
from model.machine import Model
from model.rows import changed
from model.seq import ne
from model.table import ROWS, SEG_SEQ
from tests.traces import capedit, crafted, synth

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "traces", "data")


@pytest.fixture(scope="module")
def standard():
    return load_model(None)


def test_the_memo_is_refused_by_rows_that_read_fixed_numbers():
    assert memo_blocker(load_model(None)) is None
    guard = next(r for r in ROWS if r.name == "seq-bad@ESTABLISHED").when
    absolute = Model(changed(ROWS, "seq-bad@ESTABLISHED", when=guard & ne(SEG_SEQ, C(7))), "absolute", "tests")
    why = memo_blocker(absolute)
    assert why and why.startswith("seq-bad@ESTABLISHED")
    assert Engine(absolute, ConformOptions()).shapes is None
    # 3.10.7.1's <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> reads a fixed SEQ: allowed only behind the
    # rows that take every segment with ACK or RST
    closed = [r for r in ROWS if r.name.endswith("@CLOSED") and r.on == "SEGMENT"]
    first = [closed[-1]] + [r for r in ROWS if r is not closed[-1]]
    why = memo_blocker(Model(first, "noack-first", "tests"))
    assert why and "closed-noack@CLOSED" in why and "may fire on a segment with ACK or RST" in why


def _verdicts(path, model, opts):
    return [(c.status, [v.packet.frame for v in c.violations], c.tolerances)
            for c in conform_file(path, model, opts).connections]


def _altered(tmp_path) -> list[str]:
    out = [os.path.join(DATA, f) for f in sorted(os.listdir(DATA))]
    cc = os.path.join(DATA, "client_close.pcap")
    out.append(capedit.edit(cc, str(tmp_path / "ack.pcap"), 7, ack=+1))
    out.append(capedit.edit(os.path.join(DATA, "abort.pcap"), str(tmp_path / "rst.pcap"), 8, seq=+1))
    out.append(capedit.drop(cc, str(tmp_path / "gap.pcap"), {6}))
    out.append(crafted.probe_impl(str(tmp_path / "probe.pcap")) and str(tmp_path / "probe.pcap"))
    synth.short_connections(str(tmp_path / "short.pcap"), 60)
    synth.bulk(str(tmp_path / "bulk.pcap"), 300_000)
    out += [str(tmp_path / "short.pcap"), str(tmp_path / "bulk.pcap")]
    return out


@pytest.mark.parametrize("tol", ["default", "strict"])
def test_the_memo_gives_the_verdicts_of_the_plain_search(standard, tmp_path, tol):
    tols = frozenset(TOLERANCES) if tol == "default" else frozenset()
    for path in _altered(tmp_path):
        on = _verdicts(path, standard, ConformOptions(tolerances=tols))
        off = _verdicts(path, standard, ConformOptions(tolerances=tols, shapes=False))
        assert on == off, path


def _lost_ack_then_rexmit(path: str) -> str:
    """A sends four segments; B acknowledges the second and the fourth; A sends
    a fifth, then resends the third to the fifth exactly, as an endpoint that
    got the first ACK but lost the second does (3.10.8)."""
    w = synth.Writer(path)
    f = synth.Flow(w, ("198.18.0.9", 44000), ("198.18.0.10", 80), 10, 20)
    f.handshake()
    for k in range(4):
        w.segment(f.c, f.s, f.cn + 1000 * k, f.sn, synth.ACK, 1000)
    w.segment(f.s, f.c, f.sn, f.cn + 2000, synth.ACK)
    w.segment(f.s, f.c, f.sn, f.cn + 4000, synth.ACK)
    w.segment(f.c, f.s, f.cn + 4000, f.sn, synth.ACK, 1000)
    w.segment(f.c, f.s, f.cn + 2000, f.sn, synth.ACK, 3000, dt=0.2)
    w.close()
    return path


def test_a_violation_after_the_beam_cut_is_not_checked(standard, tmp_path):
    path = _lost_ack_then_rexmit(str(tmp_path / "rexmit.pcap"))
    strict = ConformOptions(tolerances=frozenset())
    (c,) = conform_file(path, standard, strict).connections
    assert c.status == CONFORMS
    (c,) = conform_file(path, standard, ConformOptions(tolerances=frozenset(), keep=1)).connections
    assert c.status == NOT_CHECKED and "uncertain" in c.reason and "--keep 1" in c.reason
    assert c.violations and c.violations[0].packet.frame == 11  # reported, but not as a violation


def test_memory_holds_the_segments_in_flight(standard, tmp_path):
    """A long connection: the queues of the peer's segments are compacted;
    they never hold more than a few hundred segments."""
    path = str(tmp_path / "long.pcap")
    synth.bulk(path, 3_000_000)
    cap = read(path)
    opts = ConformOptions()
    conn = Connection(Engine(standard, opts), cap.packets[0])
    peak = 0
    for p in cap.packets:
        conn.feed(p)
        peak = max(peak, len(conn.to_a) + len(conn.to_b))
    assert conn.finish().status == CONFORMS
    assert len(cap.packets) > 3000 and peak < 1100, peak


def test_a_violation_is_still_found_with_every_speed_up(standard, tmp_path):
    bad = capedit.edit(os.path.join(DATA, "half_close.pcap"), str(tmp_path / "bad.pcap"), 8, ack=+1)
    for opts in (ConformOptions(), ConformOptions(keep=0), ConformOptions(shapes=False)):
        (c,) = conform_file(bad, standard, opts).connections
        assert c.status == VIOLATION and c.violation.packet.frame == 8
