"""Driving impl/'s sans-IO `Endpoint` against the kernel's TCP over a TUN device,
with timers on a real clock (RFC 9293 3.8.1, 3.10.8), and the kernel's side
through ordinary sockets in the same namespace.

One `Harness` per scenario, single-threaded: `run_until(condition)` pumps
everything (packets from the device to the endpoint, the endpoint's segments
to the device, the kernel sockets' reads and writes, timers) until the
condition holds or a deadline passes. What the endpoint sends and receives
goes through `impl.wire.encode`/`decode` inside IPv4 (`checker.interop.tun`).

Choices of this I/O layer (the endpoint itself makes none of them):
- the endpoint's SYN and SYN,ACK carry an MSS option of `MSS_IN` (options
  live in impl/wire.py, not in the endpoint), data segments carry PSH;
- SEND: the application's octets are handed to `Endpoint.send` in pieces of
  at most `SEGMENT` octets, while what is unacknowledged stays within
  `MAX_FLIGHT` octets and the peer's window (flow control is the caller's
  job: the endpoint sends at once what it is given, DECISIONS.md);
- CLOSE is called once every queued octet has been handed to SEND (3.10.4
  "queue this until all preceding SENDs have been segmentized");
- timers: retransmission `RTO` s, doubled on each expiry (RFC 6298 5.5),
  restarted when an ACK advances SND.UNA; user timeout `USER_TIMEOUT` s;
  TIME-WAIT `TWO_MSL` s (a short MSL, so scenarios end; the kernel keeps
  its own 60 s);
- the application reads (`Endpoint.receive`) as soon as data arrives.
Test hooks: `drop` decides, per segment, to lose it (it is still recorded:
the capture point is the wire before the loss), `hold` keeps segments back
until released (crossing FINs), `inject` writes a segment the endpoint did
not send (recorded and marked as such).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time
from typing import Callable

from checker.interop.netns import Namespace
from checker.interop.tun import IPPROTO_TCP, KERNEL_IP, PEER_IP, IPv4Error, Recorder, Tun, ipv4, parse_ipv4
from impl import Endpoint, Segment, State, TcpError, WireError, decode, encode, mss_option
from impl.wire import FLAG_PSH

MSS_IN = 16384  # the MSS the endpoint advertises
SEGMENT = 16384  # octets per SEND handed to the endpoint
MAX_FLIGHT = 49152  # unacknowledged octets at most (a retransmission resends them in one segment)
RTO, RTO_MAX, USER_TIMEOUT, TWO_MSL = 0.25, 4.0, 20.0, 0.5
LINGER_ABORT = struct.pack("ii", 1, 0)


def harness_bounds() -> str:
    """The harness's own bounds, printed with every interop verdict."""
    from checker.interop.tun import MTU

    return (f"endpoint RTO {RTO:g} s doubling to {RTO_MAX:g} s, user timeout {USER_TIMEOUT:g} s, "
            f"2 MSL {TWO_MSL:g} s (the kernel's is 60 s); MSS {MSS_IN} advertised, at most {MAX_FLIGHT} "
            f"octets unacknowledged; TUN MTU {MTU}; time is not judged (conform)")


class ScenarioFailed(Exception):
    """A scenario did not go as it must: one line saying what was awaited."""


class Harness:
    def __init__(self, ns: Namespace, ep_port: int, kernel_port: int, iss: int | None = None,
                 rcv_wnd: int = 65535):
        self.ns = ns
        self.tun = Tun(ns)
        self.rec = Recorder()
        self.ep_port, self.kernel_port = ep_port, kernel_port
        self.t0 = time.monotonic()
        self.ep = Endpoint(iss=iss, rcv_wnd=rcv_wnd, four_tuple=(PEER_IP, ep_port, KERNEL_IP, kernel_port),
                           clock=lambda: int(time.monotonic() * 1e6))
        self.peer_mss = 536  # 3.7.1 default until the kernel's SYN says otherwise
        self.app_out = bytearray()  # queued for SEND
        self.close_when_sent = False
        self.sent = bytearray()  # every octet handed to SEND
        self.received = bytearray()  # every octet the endpoint delivered
        self.drop: Callable[[str, Segment], bool] = lambda direction, seg: False
        self.hold: Callable[[str, Segment], bool] = lambda direction, seg: False
        self.held: list[tuple[str, bytes, Segment]] = []
        self.ident = 1
        self.rtx_at: float | None = None
        self.rto = RTO
        self.rtx_since: float | None = None
        self.tw_at: float | None = None
        self.socks: list[KernelSocket] = []
        self.errors: list[str] = []  # endpoint errors (TcpError from a user call)
        self.states: list[State] = [self.ep.state]  # the endpoint's states, in order
        self.from_kernel = 0  # the kernel's segments on the endpoint's 4-tuple
        self.retransmissions = 0  # retransmission timeouts of the endpoint

    # --- the endpoint side --------------------------------------------------------------
    def _wire(self, seg: Segment) -> bytes:
        opts = (mss_option(MSS_IN),) if seg.syn else ()
        tcp = encode(seg, PEER_IP, KERNEL_IP, self.ep_port, self.kernel_port, opts,
                     extra_flags=FLAG_PSH if seg.data else 0)
        self.ident += 1
        return ipv4(PEER_IP, KERNEL_IP, tcp, self.ident)

    def transmit(self, segs, injected: bool = False) -> None:
        for seg in segs:
            raw = self._wire(seg)
            if not injected and self.hold("to-kernel", seg):
                self.held.append(("to-kernel", raw, seg))
                continue
            self._to_kernel(raw, seg, injected)
        self._timers()

    def _to_kernel(self, raw: bytes, seg: Segment, injected: bool = False) -> None:
        self.rec.add(raw, "to-kernel", injected)
        if not injected and self.drop("to-kernel", seg):
            return
        self.tun.write(raw)

    def inject(self, seg: Segment) -> None:
        """A segment on the endpoint's 4-tuple that the endpoint did not send."""
        self.transmit([seg], injected=True)

    def release(self) -> None:
        """Let the held segments go, in order (both directions)."""
        held, self.held = self.held, []
        for direction, raw, seg in held:
            if direction == "to-kernel":
                self._to_kernel(raw, seg)
            else:
                self._arrive(seg)

    def call(self, what: str, *args):
        """A user call of the endpoint (3.10.1-3.10.5); its segments are sent."""
        try:
            out = getattr(self.ep, what)(*args)
        except TcpError as err:
            self.errors.append(f"{what}: {err}")
            raise ScenarioFailed(f"endpoint {what}(): {err} in {self.ep.state}") from None
        self.transmit(out)

    def send(self, data: bytes, then_close: bool = False) -> None:
        self.app_out += data
        self.close_when_sent = self.close_when_sent or then_close
        self._feed()

    def _feed(self) -> None:
        ep = self.ep
        while self.app_out and ep.state in (State.ESTABLISHED, State.CLOSE_WAIT):
            flight = (ep.snd_nxt - ep.snd_una) & 0xFFFFFFFF
            room = min(MAX_FLIGHT - flight, ep.snd_wnd - flight, SEGMENT, self.peer_mss)
            if room <= 0:
                break
            chunk = bytes(self.app_out[:room])
            del self.app_out[:room]
            self.sent += chunk
            self.transmit(ep.send(chunk))
        if self.close_when_sent and not self.app_out and ep.state in (State.ESTABLISHED, State.CLOSE_WAIT,
                                                                      State.SYN_RECEIVED):
            self.close_when_sent = False
            self.transmit(ep.close())

    def _arrive(self, seg: Segment) -> None:
        una = self.ep.snd_una
        self.transmit(self.ep.segment_arrives(seg))
        self.received += self.ep.delivered()
        if self.ep.snd_una != una:
            self.rtx_at, self.rto = None, RTO  # new data acknowledged: restart (RFC 6298 5.3)
            self.rtx_since = None
        self._timers()
        self._feed()

    def _from_kernel(self, raw: bytes) -> None:
        try:
            dg = parse_ipv4(raw)
        except IPv4Error:
            self.rec.add(raw, "from-kernel")
            return
        if dg.proto != IPPROTO_TCP or dg.dst != PEER_IP:
            return  # not for the endpoint (nothing else is on the device)
        self.rec.add(raw, "from-kernel")
        try:
            seg, info = decode(dg.payload, dg.src, dg.dst)
        except WireError as err:
            self.errors.append(f"undecodable segment from the kernel: {err}")
            return
        if info.dst_port != self.ep_port or info.src_port != self.kernel_port:
            return
        self.from_kernel += 1
        if seg.syn and info.mss:
            self.peer_mss = info.mss
        if self.drop("from-kernel", seg):
            return
        if self.hold("from-kernel", seg):
            self.held.append(("from-kernel", raw, seg))
            return
        self._arrive(seg)

    # --- timers (3.10.8) --------------------------------------------------------------------
    def _timers(self) -> None:
        ep, now = self.ep, time.monotonic()
        if ep.state is not self.states[-1]:
            self.states.append(ep.state)
        if ep.timer_running("retransmission"):
            if self.rtx_at is None:
                self.rtx_at = now + self.rto
            if self.rtx_since is None:
                self.rtx_since = now
        else:
            self.rtx_at, self.rtx_since, self.rto = None, None, RTO
        if ep.state is State.TIME_WAIT:
            if self.tw_at is None:
                self.tw_at = now + TWO_MSL
        else:
            self.tw_at = None

    def _fire(self) -> None:
        now = time.monotonic()
        if self.rtx_since is not None and now - self.rtx_since > USER_TIMEOUT and \
                self.ep.timer_running("user"):
            self.transmit(self.ep.timeout("user"))
        if self.rtx_at is not None and now >= self.rtx_at and self.ep.timer_running("retransmission"):
            self.rto = min(self.rto * 2, RTO_MAX)
            self.rtx_at = now + self.rto
            self.retransmissions += 1
            self.transmit(self.ep.timeout("retransmission"))
        if self.tw_at is not None and now >= self.tw_at and self.ep.timer_running("time-wait"):
            self.tw_at = None
            self.transmit(self.ep.timeout("time-wait"))

    # --- the loop -----------------------------------------------------------------------------
    def pump(self, wait: float) -> None:
        fds = [self.tun.fd] + [k.sock.fileno() for k in self.socks if k.wants_read()]
        wfds = [k.sock.fileno() for k in self.socks if k.wants_write()]
        deadlines = [d for d in (self.rtx_at, self.tw_at) if d is not None]
        if deadlines:
            wait = max(0.0, min(wait, min(deadlines) - time.monotonic()))
        if wait > 0:
            select.select(fds, wfds, [], wait)
        while (raw := self.tun.read()) is not None:
            self._from_kernel(raw)
        for k in self.socks:
            k.service()
        self._fire()
        self._feed()

    def run_until(self, cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise ScenarioFailed(f"timed out after {timeout:g}s waiting for {what} "
                                     f"(endpoint {self.ep.state})")
            self.pump(0.005)

    def settle(self, seconds: float) -> None:
        """Pump for a while: whatever is in flight arrives, delayed ACKs leave."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(min(0.01, max(0.0, end - time.monotonic())))

    # --- the kernel side ----------------------------------------------------------------
    def kernel_socket(self) -> "KernelSocket":
        with self.ns.entered():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setblocking(False)
        k = KernelSocket(s)
        self.socks.append(k)
        return k

    def kernel_listen(self, port: int | None = None) -> "KernelSocket":
        k = self.kernel_socket()
        k.sock.bind((KERNEL_IP, port or self.kernel_port))
        k.sock.listen(4)
        return k

    def kernel_accept(self, lst: "KernelSocket", timeout: float = 10.0) -> "KernelSocket":
        got: list = []

        def ready():
            try:
                s, _ = lst.sock.accept()
            except BlockingIOError:
                return False
            s.setblocking(False)
            k = KernelSocket(s)
            self.socks.append(k)
            got.append(k)
            return True

        self.run_until(ready, "the kernel's accept()", timeout)
        return got[0]

    def kernel_connect(self) -> "KernelSocket":
        k = self.kernel_socket()
        k.sock.bind((KERNEL_IP, self.kernel_port))
        err = k.sock.connect_ex((PEER_IP, self.ep_port))
        if err not in (0, errno.EINPROGRESS):
            raise ScenarioFailed(f"kernel connect(): {os.strerror(err)}")
        return k

    def close(self) -> None:
        for k in self.socks:
            k.sock.close()
        self.tun.close()


class KernelSocket:
    """A kernel TCP socket of the scenario: what it was asked to send, what it
    read, and how its connection ended (EOF, reset)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.out = bytearray()
        self.sent = bytearray()
        self.received = bytearray()
        self.reading = True
        self.eof = False
        self.reset = False
        self.error: str | None = None

    def wants_read(self) -> bool:
        return self.reading and not self.eof and not self.reset and self.sock.fileno() >= 0

    def wants_write(self) -> bool:
        return bool(self.out) and self.sock.fileno() >= 0

    def send(self, data: bytes) -> None:
        self.out += data
        self.service()

    def service(self) -> None:
        if self.sock.fileno() < 0:
            return
        while self.out:
            try:
                n = self.sock.send(self.out[:262144])
            except (BlockingIOError, InterruptedError):
                break
            except OSError as err:
                self.error = f"send: {err.strerror}"
                self.out.clear()
                break
            self.sent += self.out[:n]
            del self.out[:n]
        while self.wants_read():
            try:
                chunk = self.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                self.reset = True
                break
            except OSError as err:
                if err.errno == errno.ENOTCONN:
                    break
                self.error = f"recv: {err.strerror}"
                break
            if not chunk:
                self.eof = True
                break
            self.received += chunk

    def shutdown_write(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)

    def abort(self) -> None:
        """close() with SO_LINGER {on, 0}: the kernel resets the connection."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
        self.sock.close()

    def close(self) -> None:
        self.sock.close()
