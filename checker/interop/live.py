"""`explain --live`: a real TCP connection of the Linux kernel, made with the
socket API inside a private network namespace (checker.interop.netns: IPv6
off, the only address 198.18.0.1 on its `lo`, deleted afterwards), its
segments captured on `lo` (checker.interop.recorder), judged by `conform`
(checker.interop.judge: both endpoints against the table) and drawn as a
ladder with the kernel's own ISNs marked (x = the client's, y = the
server's; checker.generate.faq.marks).

Scenarios (the client is A, the server B, as in RFC 9293's figures):
- handshake: connect(), one octet of data, its ACK (3.5 Figure 6);
- close: connect(), the client close()s first, the server reads the end of
  file and close()s (3.6 Figure 12);
- half-close: the client shutdown(SHUT_WR)s, the server still sends, then
  close()s (3.6.1);
- refused: connect() to a port nobody listens on: SYN, then RST,ACK (3.5.2
  group 1, 3.10.7.1).
What is still open when the capture stops (a TIME-WAIT, a socket) is closed
afterwards, outside the capture."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field

from checker.interop.netns import Namespace, NetnsError, check_addresses
from checker.interop.netns import unavailable as netns_unavailable
from checker.interop.recorder import Recorder, can_record, read_all as _read_all, write_pcap

ADDR = "198.18.0.1"  # RFC 2544's range, inside the namespace only
SETTLE = 0.3  # seconds to let the last segments (a delayed ACK) arrive before the capture stops
LIVE = ("handshake", "close", "half-close", "refused")


class LiveError(Exception):
    """The live run could not be made (one line)."""


def unavailable() -> str | None:
    """None when a live run can be made here, else why not."""
    why = netns_unavailable()
    if why:
        return why
    if os.geteuid() != 0:
        return "needs root (a raw packet socket on the namespace's lo)"
    return None


@dataclass
class Live:
    name: str
    packets: list  # checker.traces.capture.Packet, in capture order
    client: tuple  # (address, port)
    server: tuple
    pcap: str
    verdict: object = None  # checker.interop.judge.Verdict
    bad_frames: set = field(default_factory=set)


def _server(srv: socket.socket, handler, keep: list) -> threading.Thread:
    """Accept one connection and run `handler` on it; the socket is kept in
    `keep` (closed after the capture unless the handler closes it)."""
    def run():
        conn, _ = srv.accept()
        keep.append(conn)
        handler(conn)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _scenario(name: str, rec: Recorder) -> tuple[tuple, tuple, list]:
    """Run one scenario's sockets; (client, server, sockets to close later)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind((ADDR, 0))
    port = srv.getsockname()[1]
    rec.ports.add(port)
    if name == "refused":  # bound, never listening: the kernel answers the SYN with RST,ACK
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.bind((ADDR, 0))
        client = c.getsockname()
        try:
            c.connect((ADDR, port))
        except ConnectionRefusedError:
            pass
        return client, (ADDR, port), [c, srv]
    srv.listen(1)
    handlers = {
        "handshake": lambda conn: conn.recv(1),
        "close": lambda conn: (_read_all(conn), conn.close()),
        "half-close": lambda conn: (_read_all(conn), conn.sendall(b"y"), conn.close()),
    }
    keep: list = []
    t = _server(srv, handlers[name], keep)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((ADDR, 0))
    client = c.getsockname()
    c.connect((ADDR, port))
    if name == "handshake":
        c.sendall(b"x")
        t.join(5)
    elif name == "close":
        c.close()
        t.join(5)
    else:
        c.shutdown(socket.SHUT_WR)
        t.join(5)
        _read_all(c)
        c.close()
    return client, (ADDR, port), [c, srv] + keep


def capture(name: str) -> Live:
    """Run scenario `name` in a fresh namespace and capture it (root)."""
    why = unavailable()
    if why:
        raise LiveError(why)
    check_addresses(ADDR)
    fd, pcap = tempfile.mkstemp(prefix=f"tcpcheck-live-{name}-", suffix=".pcap")
    os.close(fd)
    try:
        with Namespace(tag="tcpcheck-live") as ns:
            ns.ip("addr", "add", f"{ADDR}/32", "dev", "lo")
            with ns.entered():
                why = can_record("lo")
                if why:
                    raise LiveError(why)
                rec = Recorder("lo").start()
                time.sleep(0.05)
                try:
                    client, server, socks = _scenario(name, rec)
                finally:
                    frames = rec.stop(settle=SETTLE)
                for s in socks:
                    s.close()
        write_pcap(frames, pcap)
    except NetnsError as err:
        os.unlink(pcap)
        raise LiveError(str(err)) from None
    from checker.traces.capture import read

    return Live(name, list(read(pcap).packets), client, server, pcap)


def run(name: str, model) -> Live:
    """capture + judge_live; the temporary pcap is removed afterwards."""
    cap = capture(name)
    try:
        return judge_live(cap, model)
    finally:
        os.unlink(cap.pcap)


def judge_live(live: Live, model) -> Live:
    """conform's verdict on the capture; `bad_frames` the frames it refused."""
    from checker.interop.judge import judge

    live.verdict = judge(live.pcap, model)
    live.bad_frames = {v.packet.frame for c in live.verdict.connections for v in c.violations}
    return live


def ladder(live: Live, ok: str, bad: str) -> list[str]:
    """The captured segments as a ladder: A the client, B the server, the
    kernel's numbers with their ISN marks, conform's verdict on each line."""
    from checker.generate.faq.marks import segment_marks
    from model.events import Segment

    x = next((p.seq for p in live.packets if p.source == live.client and p.flags & 0x02), None)
    y = next((p.seq for p in live.packets if p.source == live.server and p.flags & 0x02), None)
    rows, t0 = [], live.packets[0].time if live.packets else 0.0
    for n, p in enumerate(live.packets, 1):
        seg = Segment(seq=p.seq, ack=p.ack, syn=bool(p.flags & 0x02), ackf=bool(p.flags & 0x10),
                      fin=bool(p.flags & 0x01), rst=bool(p.flags & 0x04), data=p.data, wnd=p.window)
        text = seg.brief()
        arrow = f"--> {text} -->" if p.source == live.client else f"<-- {text} <--"
        marks = segment_marks(p.seq, p.ack if seg.ackf else None, x, y)
        verdict = bad if p.frame in live.bad_frames else ok
        rows.append((n, p.time - t0, arrow, marks, verdict))
    w = max([len(r[2]) for r in rows] + [30])
    out = [f"{'':5}{'':9}{'TCP Peer A (client)':<{w + 2}}TCP Peer B (server)"]
    out += [f"{n:>3}. {dt:7.4f}s  {arrow:<{w}}  {marks:<22} {verdict}" for n, dt, arrow, marks, verdict in rows]
    if x is not None:
        out.append(f"     x = {x} (A's ISN)" + (f", y = {y} (B's ISN)" if y is not None else ""))
    return out
