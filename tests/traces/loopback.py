"""Record real Linux TCP connections over the loopback interface (root only).

`record(scenario, path)` runs one scenario (real sockets on 127.0.0.1 or ::1,
ephemeral ports, a server thread and a client socket) while a raw AF_PACKET
socket bound to `lo` records every TCP packet of the scenario's ports, and
writes them as a pcap (or pcapng) file. Nothing leaves the machine: the
sockets talk to the loopback address only and the recorder only listens.

On `lo` every packet passes the packet socket twice (once outgoing, once
incoming); only the incoming copy is kept, as tcpdump does.

Run as a script to regenerate the committed samples in tests/traces/data/:
    sudo python tests/traces/loopback.py
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from checker.interop.recorder import (  # noqa: F401  (moved there; the names stay importable here)
    ETH_P_ALL, LINGER_ABORT, PACKET_OUTGOING, Recorder, can_record, write_pcap)
from checker.interop.recorder import read_all as _read_all


# --- scenarios: each takes (family, address, recorder) and runs to completion ---

def _listener(family, addr, rec):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, 0))
    srv.listen(4)
    rec.ports.add(srv.getsockname()[1])
    return srv


def _client(family, addr, port, rec, bind_port=0):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((addr, bind_port))
    rec.ports.add(c.getsockname()[1])
    c.settimeout(5)
    c.connect((addr, port))
    return c


def _serve(srv, handler):
    def run():
        conn, _ = srv.accept()
        conn.settimeout(5)
        try:
            handler(conn)
        finally:
            conn.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def client_close(family, addr, rec):
    """Request, response, then the CLIENT closes first (3.6 case 1 at the client)."""
    srv = _listener(family, addr, rec)

    def handler(conn):
        conn.sendall(b"pong:" + conn.recv(100))
        _read_all(conn)  # until the client's FIN

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    c.sendall(b"ping")
    c.recv(100)
    c.close()
    t.join()
    srv.close()


def server_close(family, addr, rec):
    """Request, response, then the SERVER closes first (the server enters TIME-WAIT)."""
    srv = _listener(family, addr, rec)

    def handler(conn):
        conn.sendall(b"pong:" + conn.recv(100))

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    c.sendall(b"ping")
    _read_all(c)  # response, then EOF
    t.join()
    time.sleep(0.05)
    c.close()
    srv.close()


def _refused_client(family, addr, port, rec, bind_port):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((addr, bind_port))
    rec.ports.add(c.getsockname()[1])
    try:
        c.connect((addr, port))
    except ConnectionRefusedError:
        pass
    p = c.getsockname()[1]
    c.close()
    return p


def refused_twice(family, addr, rec):
    """A SYN to a closed port is answered by <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>
    (3.10.7.1); the client tries again from the same port (a reused 4-tuple)."""
    probe = socket.socket(family, socket.SOCK_STREAM)
    probe.bind((addr, 0))
    port = probe.getsockname()[1]
    probe.close()
    rec.ports.add(port)
    cport = _refused_client(family, addr, port, rec, 0)
    time.sleep(0.02)
    _refused_client(family, addr, port, rec, cport)


def abort(family, addr, rec):
    """Request, response, then the client closes with SO_LINGER 0: RST (3.10.5 ABORT)."""
    srv = _listener(family, addr, rec)
    done = threading.Event()

    def handler(conn):
        conn.sendall(b"pong:" + conn.recv(100))
        try:
            conn.recv(100)  # the RST ends this with ECONNRESET
        except OSError:
            pass
        done.set()

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    c.sendall(b"ping")
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
    c.close()
    t.join()
    srv.close()


def half_close(family, addr, rec):
    """The client sends its request and shuts down its sending side (FIN);
    the server reads to end of file and only then answers, with data after
    the client's FIN (3.6: a half-closed connection still carries data the
    other way), then closes."""
    srv = _listener(family, addr, rec)

    def handler(conn):
        req = _read_all(conn)
        conn.sendall(b"answer to " + req)
        time.sleep(0.05)
        conn.sendall(b" and more")

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    c.sendall(b"question")
    c.shutdown(socket.SHUT_WR)
    _read_all(c)
    c.close()
    t.join()
    srv.close()


def reuse_after_time_wait(family, addr, rec):
    """The server closes first and sits in TIME-WAIT; the client connects again
    from the same port: the same 4-tuple, a new incarnation (3.6.1 MAY-2)."""
    srv = _listener(family, addr, rec)
    port = srv.getsockname()[1]
    cport = 0
    for _ in range(2):
        def handler(conn):
            conn.sendall(b"pong:" + conn.recv(100))

        t = _serve(srv, handler)
        c = _client(family, addr, port, rec, bind_port=cport)
        cport = c.getsockname()[1]
        c.sendall(b"ping")
        _read_all(c)
        t.join()
        c.close()
        time.sleep(0.05)
    srv.close()


def bulk(family, addr, rec, size=200_000, mss=1000):
    """A bulk transfer with a small MSS, so there are many segments."""
    srv = _listener(family, addr, rec)

    def handler(conn):
        _read_all(conn)
        conn.sendall(b"ok")

    t = _serve(srv, handler)
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    c.bind((addr, 0))
    rec.ports.add(c.getsockname()[1])
    c.settimeout(5)
    c.connect((addr, srv.getsockname()[1]))
    _send_bulk_and_close(c, size, bytes(range(256)) * 64)
    t.join()
    srv.close()


def _send_bulk_and_close(c, size, block):
    """Send `size` octets in `block`-sized writes, half-close, read the
    reply to the end, close."""
    sent = 0
    while sent < size:
        sent += c.send(block[: min(len(block), size - sent)])
    c.shutdown(socket.SHUT_WR)
    _read_all(c)
    c.close()


def slow_reader(family, addr, rec, size=3_000_000):
    """A bulk transfer to a reader that is slow to start: the receive window
    closes (zero window), the sender probes, window updates reopen it, and
    the last data segment carries the FIN."""
    srv = _listener(family, addr, rec)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)

    def handler(conn):
        time.sleep(0.3)
        _read_all(conn)
        conn.sendall(b"ok")

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    _send_bulk_and_close(c, size, bytes(range(256)) * 256)
    t.join()
    srv.close()


def chatty(family, addr, rec, messages=2000):
    """Many small request/response exchanges with Nagle off: many segments."""
    srv = _listener(family, addr, rec)

    def handler(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            d = conn.recv(64)
            if not d:
                return
            conn.sendall(d)

    t = _serve(srv, handler)
    c = _client(family, addr, srv.getsockname()[1], rec)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for k in range(messages):
        c.sendall(b"m%05d" % k)
        got = b""
        while len(got) < 6:
            got += c.recv(64)
    c.close()
    t.join()
    srv.close()


SCENARIOS = {f.__name__: f for f in (client_close, server_close, refused_twice, abort, half_close,
                                      reuse_after_time_wait, bulk, slow_reader, chatty)}


def record(scenario: str, path: str, ipv6: bool = False, ng: bool = False, snaplen: int = 262144,
           addr: str | None = None, **kw) -> int:
    """Run `scenario` over loopback while recording; write `path`. Returns the packet count.
    (Tests run it inside a private namespace: tests/traces/netns.py `record`.)"""
    family, addr = (socket.AF_INET6, addr or "::1") if ipv6 else (socket.AF_INET, addr or "127.0.0.1")
    rec = Recorder().start()
    time.sleep(0.05)
    try:
        SCENARIOS[scenario](family, addr, rec, **kw)
    finally:
        frames = rec.stop()
    write_pcap(frames, path, snaplen=snaplen, ng=ng)
    return len(frames)


# The committed samples: (file name, scenario, IPv6?, pcapng?, snaplen, options).
SAMPLES = [
    ("client_close.pcap", "client_close", False, False, 262144, {}),
    ("server_close_v6.pcapng", "server_close", True, True, 262144, {}),
    ("refused.pcap", "refused_twice", False, False, 262144, {}),
    ("abort.pcap", "abort", False, False, 262144, {}),
    ("half_close.pcap", "half_close", False, False, 262144, {}),
    ("reuse_time_wait.pcap", "reuse_after_time_wait", False, False, 262144, {}),
    ("zero_window.pcap", "slow_reader", False, False, 96, {}),
]


def main(argv=None) -> int:
    reason = can_record()
    if reason:
        print(f"cannot record: {reason}", file=sys.stderr)
        return 2
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(out, exist_ok=True)
    for name, scenario, v6, ng, snaplen, kw in SAMPLES:
        n = record(scenario, os.path.join(out, name), ipv6=v6, ng=ng, snaplen=snaplen, **kw)
        print(f"{name}: {n} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
