"""Recording the TCP packets of a loopback interface with a raw AF_PACKET
socket (root only), and writing them as pcap or pcapng files. Shared by
`explain --live` (checker/interop/live.py) and the capture tests
(tests/traces/loopback.py, which run it inside private namespaces).

On `lo` every packet passes the packet socket twice (once outgoing, once
incoming); only the incoming copy is kept, as tcpdump does.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
LINGER_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST (abortive close)


def can_record(ifname: str = "lo") -> str | None:
    """None if recording works here, else the reason it does not."""
    if not hasattr(socket, "AF_PACKET"):
        return "no AF_PACKET sockets on this platform"
    if os.geteuid() != 0:
        return "recording on lo needs root (raw AF_PACKET socket)"
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((ifname, 0))
        s.close()
    except OSError as err:
        return f"cannot open a packet socket on {ifname}: {err}"
    return None


class Recorder:
    """A raw packet socket on `lo`, keeping TCP packets that touch `ports`."""

    def __init__(self, ifname: str = "lo"):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:  # root may exceed rmem_max: a large buffer so that no packet is dropped
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.05)
        self.ports: set[int] = set()
        self.frames: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(262144)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            if self._wanted(data):
                self.frames.append((time.time(), data))

    def _wanted(self, frame: bytes) -> bool:
        etype = struct.unpack_from("!H", frame, 12)[0]
        if etype == 0x0800:
            ihl = (frame[14] & 0x0F) * 4
            if frame[23] != 6:
                return False
            off = 14 + ihl
        elif etype == 0x86DD:
            if frame[20] != 6:
                return False
            off = 54
        else:
            return False
        sport, dport = struct.unpack_from("!HH", frame, off)
        return sport in self.ports or dport in self.ports

    def stop(self, settle: float = 0.2):
        time.sleep(settle)
        self._stop.set()
        self._thread.join()
        try:  # (packets seen, packets the socket dropped): struct tpacket_stats, PACKET_STATISTICS
            self.sock_stats = struct.unpack("II", self.sock.getsockopt(263, 6, 8))
        except OSError:
            self.sock_stats = (len(self.frames), 0)
        self.sock.close()
        return self.frames


def write_pcap(frames, path: str, snaplen: int = 262144, ng: bool = False) -> None:
    """Write Ethernet frames (lo carries a zeroed Ethernet header) with scapy's raw writers."""
    from scapy.utils import RawPcapNgWriter, RawPcapWriter

    if ng:
        w = RawPcapNgWriter(path)
        w.linktype = 1
    else:
        w = RawPcapWriter(path, linktype=1, snaplen=snaplen)
    w.write_header(None)
    for ts, frame in frames:
        data = frame[:snaplen]
        if ng:
            w.write_packet(data, sec=ts, caplen=len(data), wirelen=len(frame))
        else:
            sec, usec = int(ts), int(round((ts - int(ts)) * 1e6))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            w.write_packet(data, sec=sec, usec=usec, caplen=len(data), wirelen=len(frame))
    w.close()


def read_all(conn) -> bytes:
    """Everything a connected socket receives until the peer's FIN."""
    out = b""
    while True:
        d = conn.recv(65536)
        if not d:
            return out
        out += d
