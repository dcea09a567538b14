"""The interop scenarios: impl/'s endpoint against the kernel's TCP (RFC 9293
3.5 opening, 3.6 closing, 3.4 sequence numbers across 2^32, 3.8 and 3.10.8
retransmission, 3.10.7.4 and RFC 5961 resets), each in a namespace of its
own, recorded to a pcap, judged by `conform`, the data checked byte for byte.

A scenario is a function of a `Harness` that drives both sides and raises
`ScenarioFailed` when something does not happen as it must; it returns the
byte streams to compare, as (what, sent, received) triples. `run` does the
rest: namespace, capture, verdict, cleanup.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from checker.interop.driver import Harness, KernelSocket, ScenarioFailed
from checker.interop.judge import judge
from checker.interop.netns import Namespace, NetnsError
from impl import Segment, State

S = State
EP_PORT, KERNEL_PORT, CLOSED_PORT = 40001, 8001, 8009
Streams = list[tuple[str, bytes, bytes]]


def data(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _established(h: Harness, k: KernelSocket | None = None) -> None:
    h.run_until(lambda: h.ep.state is S.ESTABLISHED, "the endpoint in ESTABLISHED")


def _exchange(h: Harness, k: KernelSocket, to_kernel: bytes, to_endpoint: bytes, timeout: float = 30) -> None:
    base_k, base_e = len(k.received), len(h.received)
    h.send(to_kernel)
    k.send(to_endpoint)
    h.run_until(lambda: len(k.received) - base_k >= len(to_kernel) and
                len(h.received) - base_e >= len(to_endpoint), "the data on both sides", timeout)


def _streams(h: Harness, k: KernelSocket) -> Streams:
    return [("endpoint -> kernel", bytes(h.sent), bytes(k.received)),
            ("kernel -> endpoint", bytes(k.sent), bytes(h.received))]


def _connect(h: Harness) -> KernelSocket:
    lst = h.kernel_listen()
    h.call("open", True)
    _established(h)
    return h.kernel_accept(lst)


def _accept(h: Harness) -> KernelSocket:
    h.call("open", False)
    k = h.kernel_connect()
    _established(h)
    return k


def _endpoint_closes_first(h: Harness, k: KernelSocket) -> None:
    h.send(b"", then_close=True)
    h.run_until(lambda: k.eof, "the kernel reading EOF")
    h.run_until(lambda: h.ep.state is S.FIN_WAIT_2, "FIN-WAIT-2")
    k.close()
    h.run_until(lambda: h.ep.state is S.TIME_WAIT, "TIME-WAIT")
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED after 2 MSL")


def _kernel_closes_first(h: Harness, k: KernelSocket) -> None:
    k.close()
    h.run_until(lambda: h.ep.state is S.CLOSE_WAIT, "CLOSE-WAIT")
    h.call("close")
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED (LAST-ACK acknowledged)")


def endpoint_connects(h: Harness) -> Streams:
    """The endpoint's active OPEN to a kernel listener (3.5 Figure 6), data both
    ways, the kernel closes first (3.6 case 2 for the endpoint)."""
    k = _connect(h)
    _exchange(h, k, data(20_000, 1), data(30_000, 2))
    _kernel_closes_first(h, k)
    return _streams(h, k)


def kernel_connects(h: Harness) -> Streams:
    """The kernel's connect() to the listening endpoint (3.10.7.2), data both
    ways, the endpoint closes first (3.6 case 1)."""
    k = _accept(h)
    _exchange(h, k, data(30_000, 3), data(20_000, 4))
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def bulk(h: Harness) -> Streams:
    """1 MiB each way at the same time (3.8, 3.10.7.4 seventh), then close."""
    k = _connect(h)
    _exchange(h, k, data(1 << 20, 5), data(1 << 20, 6), timeout=60)
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def close_endpoint_first(h: Harness) -> Streams:
    """Close from the endpoint's side: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, CLOSED (3.6 case 1, Figure 12)."""
    k = _connect(h)
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def close_kernel_first(h: Harness) -> Streams:
    """Close from the kernel's side: the endpoint in CLOSE-WAIT, LAST-ACK (3.6 case 2)."""
    k = _accept(h)
    _kernel_closes_first(h, k)
    return _streams(h, k)


def half_close(h: Harness) -> Streams:
    """The kernel shuts down its sending side (shutdown(SHUT_WR)); the endpoint
    in CLOSE-WAIT keeps sending 256 KiB, then closes (3.6.1)."""
    k = _connect(h)
    _exchange(h, k, b"", data(10_000, 7))
    k.shutdown_write()
    h.run_until(lambda: h.ep.state is S.CLOSE_WAIT, "CLOSE-WAIT")
    h.send(data(256 * 1024, 8), then_close=True)
    h.run_until(lambda: k.eof, "the kernel reading all the data and EOF", 30)
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED (LAST-ACK acknowledged)")
    k.close()
    return _streams(h, k)


def simultaneous_close(h: Harness) -> Streams:
    """Both close at once: the FINs cross (the harness holds the endpoint's FIN
    until the kernel's has left); CLOSING on both sides, then TIME-WAIT (3.6
    case 3, Figure 13)."""
    k = _connect(h)
    h.hold = lambda direction, seg: seg.fin
    h.call("close")
    k.shutdown_write()
    h.run_until(lambda: len(h.held) == 2, "both FINs in flight")
    h.hold = lambda direction, seg: False
    h.release()
    h.run_until(lambda: h.ep.state in (S.TIME_WAIT, S.CLOSED), "TIME-WAIT")
    if S.CLOSING not in h.states:
        raise ScenarioFailed(f"the endpoint never was in CLOSING: {' -> '.join(map(str, h.states))}")
    h.run_until(lambda: k.eof, "the kernel reading EOF")
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED after 2 MSL")
    k.close()
    return _streams(h, k)


def closed_port(h: Harness) -> Streams:
    """A SYN to a kernel port where nothing listens is answered by <RST,ACK>;
    the endpoint's connection is refused (3.10.7.1, 3.10.7.3 second)."""
    h.kernel_port = CLOSED_PORT
    h.call("open", True)
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED by the kernel's RST")
    if not h.ep.closed_by_reset:
        raise ScenarioFailed("the endpoint closed without a reset")
    return []


def kernel_abort(h: Harness) -> Streams:
    """The kernel's abortive close (SO_LINGER 0): <RST,ACK>, the endpoint is
    reset (3.10.5; 3.10.7.4 second)."""
    k = _connect(h)
    _exchange(h, k, data(5_000, 9), data(10_000, 10))
    k.abort()
    h.run_until(lambda: h.ep.state is S.CLOSED, "CLOSED by the kernel's RST")
    if "connection reset" not in h.ep.signals:
        raise ScenarioFailed(f"no 'connection reset' signal: {h.ep.signals}")
    return _streams(h, k)


def challenge_ack(h: Harness) -> Streams:
    """A RST in the kernel's window but not at its RCV.NXT, written by the
    harness on the endpoint's 4-tuple: the kernel answers with a challenge
    ACK and its connection survives (3.10.7.4 second; RFC 5961 3.2)."""
    k = _connect(h)
    _exchange(h, k, data(5_000, 11), data(5_000, 12))
    before = h.from_kernel
    h.inject(Segment(seq=(h.ep.snd_nxt + 1000) & 0xFFFFFFFF, rst=True))
    h.run_until(lambda: h.from_kernel > before, "the kernel's challenge ACK", 3)
    h.settle(0.05)
    if k.reset or h.ep.state is not S.ESTABLISHED:
        raise ScenarioFailed("the connection did not survive the inexact RST")
    _exchange(h, k, data(5_000, 13), data(5_000, 14))
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def _wrap(iss: int) -> Callable[[Harness], Streams]:
    def run(h: Harness) -> Streams:
        k = _connect(h)
        if h.ep.iss != iss:
            raise ScenarioFailed(f"the endpoint's ISS is {h.ep.iss:#x}, not {iss:#x}")
        _exchange(h, k, data(100_000, iss & 0xFF), data(100_000, 15))
        if not h.ep.snd_nxt < iss:  # unsigned: SND.NXT went past 2^32-1 and on from 0
            raise ScenarioFailed(f"the endpoint's SND.NXT {h.ep.snd_nxt:#x} did not cross 2^32")
        _endpoint_closes_first(h, k)
        return _streams(h, k)
    run.__doc__ = (f"The endpoint's ISS is 2^32-{(1 << 32) - iss}: its data crosses the wrap of "
                   f"sequence space (3.4: arithmetic modulo 2^32), both ways, then close.")
    return run


def drop_endpoint_segment(h: Harness) -> Streams:
    """The harness drops the endpoint's second data segment once: the
    endpoint's retransmission timeout resends it (3.10.8), the data arrive whole."""
    k = _connect(h)
    seen = []

    def drop(direction, seg):
        if direction == "to-kernel" and seg.data and not seen:
            h.data_out += 1
            if h.data_out == 2:
                seen.append(seg)
                return True
        return False

    h.data_out = 0
    h.drop = drop
    _exchange(h, k, data(100_000, 16), b"")
    if not seen or h.retransmissions < 1:
        raise ScenarioFailed("no segment was dropped and retransmitted")
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def drop_kernel_segment(h: Harness) -> Streams:
    """The harness drops the kernel's third data segment once: the kernel
    retransmits it (3.10.8, RFC 5681 fast retransmit after the endpoint's
    duplicate ACKs), the data arrive whole."""
    k = _connect(h)
    seen = []
    count = [0]

    def drop(direction, seg):
        if direction == "from-kernel" and seg.data and not seen:
            count[0] += 1
            if count[0] == 3:
                seen.append(seg)
                return True
        return False

    h.drop = drop
    _exchange(h, k, b"", data(200_000, 17))
    if not seen:
        raise ScenarioFailed("no segment of the kernel was dropped")
    _endpoint_closes_first(h, k)
    return _streams(h, k)


def _twice(h: Harness, close: Callable[[Harness, KernelSocket], None], seed: int) -> tuple[Streams, list]:
    """Two connections on the same 4-tuple, one after the other; their streams
    and the endpoint's ISS of each."""
    lst = h.kernel_listen()
    out: Streams = []
    isss = []
    for n in range(2):
        h.call("open", True)
        isss.append(h.ep.iss)
        _established(h)
        k = h.kernel_accept(lst)
        _exchange(h, k, data(10_000, seed + n), data(10_000, seed + 10 + n))
        close(h, k)
        out += _streams(h, k)
        h.sent.clear()
        h.received.clear()
    return out, isss


def reconnect_after_time_wait(h: Harness) -> Streams:
    """The endpoint closes first, waits out TIME-WAIT, and connects again on the
    same 4-tuple with a fresh ISS (3.4.1, 3.6.1 MUST-13)."""
    return _twice(h, _endpoint_closes_first, 20)[0]


def reconnect_into_time_wait(h: Harness) -> Streams:
    """The kernel closes first and sits in TIME-WAIT; the endpoint connects
    again at once on the same 4-tuple with a larger ISS, and the kernel
    accepts the SYN in TIME-WAIT (3.6.1 MAY-2)."""
    out, isss = _twice(h, _kernel_closes_first, 40)
    if ((isss[1] - isss[0]) & 0xFFFFFFFF) > 0x7FFFFFFF:
        raise ScenarioFailed("the second ISS is not larger than the first")
    return out


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Harness], Streams]
    iss: int | None = None  # the endpoint's ISS; None: the clock-driven generator (3.4.1)

    @property
    def doc(self) -> str:
        return " ".join((self.run.__doc__ or "").split())


SCENARIOS = [
    Scenario("endpoint-connects", endpoint_connects),
    Scenario("kernel-connects", kernel_connects),
    Scenario("bulk-1mib-both-ways", bulk),
    Scenario("close-endpoint-first", close_endpoint_first),
    Scenario("close-kernel-first", close_kernel_first),
    Scenario("half-close", half_close),
    Scenario("simultaneous-close", simultaneous_close),
    Scenario("closed-port", closed_port),
    Scenario("kernel-abort", kernel_abort),
    Scenario("challenge-ack", challenge_ack),
    Scenario("iss-wrap-2^32-1", _wrap(0xFFFFFFFF), iss=0xFFFFFFFF),
    Scenario("iss-wrap-2^32-10", _wrap(0xFFFFFFF6), iss=0xFFFFFFF6),
    Scenario("drop-endpoint-segment", drop_endpoint_segment),
    Scenario("drop-kernel-segment", drop_kernel_segment),
    Scenario("reconnect-after-time-wait", reconnect_after_time_wait),
    Scenario("reconnect-into-time-wait", reconnect_into_time_wait),
]
BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass
class Result:
    name: str
    passed: bool
    segments: int
    seconds: float
    detail: str
    pcap: str | None = None
    verdict: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"name": self.name, "passed": self.passed, "segments": self.segments,
                "seconds": round(self.seconds, 3), "detail": self.detail, "pcap": self.pcap,
                "conform": self.verdict}


def run(sc: Scenario, model, sysctls: dict | None = None, pcap_dir: str | None = None) -> Result:
    """One scenario in a namespace of its own; never raises for a failing one."""
    t0 = time.monotonic()
    pcap = os.path.join(pcap_dir, f"{sc.name}.pcap") if pcap_dir else None
    try:
        with Namespace(sysctls, tag="tcpck-io") as ns:
            h = Harness(ns, EP_PORT, KERNEL_PORT, iss=sc.iss)
            try:
                streams = sc.run(h)
                h.settle(0.05)
                problem = None
            except ScenarioFailed as err:
                streams, problem = [], str(err)
            finally:
                h.close()
    except NetnsError as err:
        return Result(sc.name, False, 0, time.monotonic() - t0, f"not run: {err}")
    seconds = time.monotonic() - t0
    if pcap is None:
        import tempfile

        fd, path = tempfile.mkstemp(prefix=f"tcpcheck-{sc.name}-", suffix=".pcap")
        os.close(fd)
    else:
        path = pcap
    h.rec.write(path)
    try:
        v = judge(path, model, h.rec.injected)
    finally:
        if pcap is None:
            os.unlink(path)
    segs = len(h.rec.packets)
    if problem is None:
        for what, sent, got in streams:
            if sent != got:
                at = next((i for i, (a, b) in enumerate(zip(sent, got)) if a != b), min(len(sent), len(got)))
                problem = f"{what}: {len(got)} of {len(sent)} octets arrived, first difference at octet {at}"
                break
    if problem is None and not v.ok:
        problem = f"conform: {v.text}"
    octets = sum(len(s) for _, s, _ in streams)
    detail = problem or f"{v.text}; {octets} octets checked"
    return Result(sc.name, problem is None, segs, seconds, detail, pcap, v.as_json())
