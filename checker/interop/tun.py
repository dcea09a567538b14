"""A TUN device inside a private namespace, carrying raw IPv4 between the kernel
and the endpoint of impl/ (RFC 791 headers; the TCP inside goes through
impl/wire.py, RFC 9293 3.1).

The namespace holds one device, `tcpck0` (IFF_TUN, no packet information
header), with the kernel's address KERNEL_IP/24; the endpoint is PEER_IP on
the other side of the device. Both are in 198.18.0.0/15; nothing is routed
anywhere else. The MTU is 65535 (the largest IPv4 packet), so that the
endpoint's retransmissions, which resend all unacknowledged octets as one
segment (model/DECISIONS.md 3.10.8), always fit one packet.

`Recorder` keeps every packet that crosses the device, in both directions,
with its time, and writes them as a pcap (LINKTYPE_RAW: the IPv4 packet
itself) that Wireshark and `conform` read.
"""

from __future__ import annotations

import fcntl
import os
import struct
import time
from dataclasses import dataclass

from checker.interop.netns import Namespace, check_addresses

KERNEL_IP, PEER_IP, PREFIX = "198.18.0.1", "198.18.0.2", 24
DEVICE = "tcpck0"
MTU = 65535
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
IPPROTO_TCP = 6
LINKTYPE_RAW = 101


class IPv4Error(ValueError):
    """A packet that is not a well-formed, unfragmented IPv4 packet."""


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src: str, dst: str, payload: bytes, ident: int, proto: int = IPPROTO_TCP) -> bytes:
    """An IPv4 header (RFC 791: version 4, IHL 5, DF, TTL 64) before `payload`."""
    total = 20 + len(payload)
    if total > 0xFFFF:
        raise IPv4Error(f"{total} octets do not fit one IPv4 packet")
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0,
                       bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return head[:10] + struct.pack("!H", _csum(head)) + head[12:] + payload


@dataclass(frozen=True)
class Datagram:
    src: str
    dst: str
    proto: int
    payload: bytes


def parse_ipv4(raw: bytes) -> Datagram:
    """The addresses, protocol and payload of an IPv4 packet; IPv4Error names
    the byte at fault."""
    if len(raw) < 20:
        raise IPv4Error(f"{len(raw)} octets: shorter than an IPv4 header")
    if raw[0] >> 4 != 4:
        raise IPv4Error(f"byte 0: version {raw[0] >> 4}, not 4")
    ihl = (raw[0] & 0x0F) * 4
    total = struct.unpack_from("!H", raw, 2)[0]
    if ihl < 20 or total < ihl or total > len(raw):
        raise IPv4Error(f"bytes 0-3: header length {ihl} / total length {total} do not fit "
                        f"{len(raw)} octets")
    frag = struct.unpack_from("!H", raw, 6)[0]
    if frag & 0x3FFF:
        raise IPv4Error("bytes 6-7: a fragment")
    src, dst = ".".join(map(str, raw[12:16])), ".".join(map(str, raw[16:20]))
    return Datagram(src, dst, raw[9], bytes(raw[ihl:total]))


class Tun:
    """The device, opened inside `ns` (non-blocking)."""

    def __init__(self, ns: Namespace, name: str = DEVICE):
        check_addresses(KERNEL_IP, PEER_IP)
        self.name = name
        with ns.entered():
            self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            try:
                fcntl.ioctl(self.fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
            except OSError:
                os.close(self.fd)
                raise
        ns.ip("addr", "add", f"{KERNEL_IP}/{PREFIX}", "dev", name)
        ns.ip("link", "set", name, "mtu", str(MTU), "up")

    def read(self) -> bytes | None:
        try:
            return os.read(self.fd, MTU + 64)
        except BlockingIOError:
            return None

    def write(self, packet: bytes) -> None:
        os.write(self.fd, packet)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Recorder:
    """Every packet on the device: (time, IPv4 bytes, direction) in order."""

    def __init__(self):
        self.packets: list[tuple[float, bytes, str]] = []  # direction: "to-kernel" | "from-kernel"
        self.injected: set[int] = set()  # 1-based frame numbers written by the harness itself

    def add(self, raw: bytes, direction: str, injected: bool = False) -> int:
        self.packets.append((time.time(), bytes(raw), direction))
        if injected:
            self.injected.add(len(self.packets))
        return len(self.packets)

    def write(self, path: str) -> None:
        from scapy.utils import RawPcapWriter

        w = RawPcapWriter(path, linktype=LINKTYPE_RAW, snaplen=MTU)
        w.write_header(None)
        for ts, raw, _ in self.packets:
            sec = int(ts)
            usec = min(int(round((ts - sec) * 1e6)), 999_999)
            w.write_packet(raw, sec=sec, usec=usec, caplen=len(raw), wirelen=len(raw))
        w.close()
