"""Reading TCP segments out of a capture file (pcap or pcapng, IPv4 and IPv6).

The file formats (both pcap byte orders and timestamp resolutions, pcapng
sections with several interfaces of different link types) are read with
scapy's raw readers (`scapy.utils.RawPcapReader`, `RawPcapNgReader`), which
hand back the captured bytes without dissecting them. The few header fields
`conform` needs are then decoded here with `struct`, for two reasons: speed
(a full scapy dissection costs about 100 times more), and lengths: the
number of data octets of a segment (SEG.LEN of RFC 9293 3.3.1, without SYN
and FIN) is taken from the IP header's length fields, never from the bytes
captured, so a capture truncated by a snap length (`tcpdump -s 96`) still
counts its data correctly.

What is skipped, and counted: packets that are not TCP, IP fragments (only
unfragmented segments carry a complete TCP header and length), packets whose
TCP header was cut by the snap length, and packets of unsupported link types.
Checksums are not verified: a capture taken on the sending host sees the
unfinished checksums of checksum offload (on `lo` always).

Unreadable input raises `CaptureError` with one line naming the file and,
where known, the byte offset.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import struct
from dataclasses import dataclass, field
from typing import NamedTuple

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276
DLT_RAW_ALIASES = (12, 14)  # DLT_RAW on some BSDs

# TCP header flag bits (RFC 9293 3.1; ECE/CWR RFC 3168).
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
FLAG_NAMES = ((SYN, "SYN"), (RST, "RST"), (FIN, "FIN"), (PSH, "PSH"), (ACK, "ACK"), (URG, "URG"),
              (ECE, "ECE"), (CWR, "CWR"))


class CaptureError(Exception):
    """The file cannot be read as a capture (exit 2)."""


class Packet(NamedTuple):
    """One TCP segment as captured. `frame` is the 1-based packet number in
    the file (as Wireshark numbers them); `data` is the number of data
    octets (from the IP lengths)."""

    frame: int
    time: float
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    data: int
    window: int
    options: tuple  # ((kind, value), ...): MSS, WS, SACK-permitted, SACK blocks, TS
    ident: int  # hash of the IP packet as captured (byte-identical copies: see --merge-duplicates)

    @property
    def source(self) -> tuple[str, int]:
        return (self.src, self.sport)

    @property
    def destination(self) -> tuple[str, int]:
        return (self.dst, self.dport)

    def flag_names(self) -> str:
        return ",".join(n for bit, n in FLAG_NAMES if self.flags & bit)


@dataclass
class Capture:
    path: str
    packets: list[Packet] = field(default_factory=list)
    frames: int = 0  # every packet in the file
    skipped: dict = field(default_factory=dict)  # reason -> count
    linktypes: set = field(default_factory=set)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def endpoint_text(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


# --- header decoding ------------------------------------------------------------

_IP6_EXT = {0, 43, 60, 51}  # hop-by-hop, routing, destination options, AH (44 fragment: skipped)


def _ip_offset(linktype: int, buf: bytes) -> int | None:
    """Offset of the IP header in a frame of this link type, or None."""
    if linktype == LINKTYPE_ETHERNET:
        off, etype = 14, struct.unpack_from("!H", buf, 12)[0] if len(buf) >= 14 else 0
        while etype in (0x8100, 0x88A8, 0x9100) and len(buf) >= off + 4:  # 802.1Q / QinQ tags
            etype = struct.unpack_from("!H", buf, off + 2)[0]
            off += 4
        return off if etype in (0x0800, 0x86DD) else None
    if linktype == LINKTYPE_LINUX_SLL:
        return 16 if len(buf) >= 16 and struct.unpack_from("!H", buf, 14)[0] in (0x0800, 0x86DD) else None
    if linktype == LINKTYPE_LINUX_SLL2:
        return 20 if len(buf) >= 20 and struct.unpack_from("!H", buf, 0)[0] in (0x0800, 0x86DD) else None
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) or linktype in DLT_RAW_ALIASES:
        return 0
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        return 4
    return None


def _tcp_options(raw: bytes) -> tuple:
    out = []
    i, n = 0, len(raw)
    while i < n:
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= n:
            break
        ln = raw[i + 1]
        if ln < 2 or i + ln > n:
            break
        body = raw[i + 2:i + ln]
        if kind == 2 and ln == 4:
            out.append(("MSS", struct.unpack("!H", body)[0]))
        elif kind == 3 and ln == 3:
            out.append(("WS", body[0]))
        elif kind == 4:
            out.append(("SACK_PERM", True))
        elif kind == 5:
            out.append(("SACK", len(body) // 8))
        elif kind == 8 and ln == 10:
            out.append(("TS", struct.unpack("!II", body)))
        else:
            out.append((f"opt{kind}", len(body)))
        i += ln
    return tuple(out)


def decode(buf: bytes, linktype: int, frame: int, ts: float, cap: Capture) -> Packet | None:
    """The TCP segment in one captured frame, or None (and the reason counted)."""
    off = _ip_offset(linktype, buf)
    if off is None:
        cap.skip("not IP" if linktype in (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2)
                 else f"link type {linktype} not supported")
        return None
    if len(buf) < off + 20:
        cap.skip("truncated IP header")
        return None
    version = buf[off] >> 4
    if version == 4:
        ihl = (buf[off] & 0x0F) * 4
        total = struct.unpack_from("!H", buf, off + 2)[0]
        frag = struct.unpack_from("!H", buf, off + 6)[0]
        if buf[off + 9] != 6:
            cap.skip("not TCP")
            return None
        if frag & 0x3FFF:  # MF set or a non-zero offset
            cap.skip("IP fragment")
            return None
        if ihl < 20 or len(buf) < off + ihl:
            cap.skip("truncated IP header")
            return None
        src = ipaddress.IPv4Address(buf[off + 12:off + 16]).compressed
        dst = ipaddress.IPv4Address(buf[off + 16:off + 20]).compressed
        tcp = off + ihl
        # total length 0: a TSO super-packet recorded before segmentation; use what was captured
        ip_end = off + total if total else len(buf)
        if total and total < ihl:
            cap.skip("bad IP length")
            return None
    elif version == 6:
        if len(buf) < off + 40:
            cap.skip("truncated IP header")
            return None
        plen = struct.unpack_from("!H", buf, off + 4)[0]
        nxt = buf[off + 6]
        src = ipaddress.IPv6Address(buf[off + 8:off + 24]).compressed
        dst = ipaddress.IPv6Address(buf[off + 24:off + 40]).compressed
        tcp = off + 40
        ip_end = off + 40 + plen if plen else len(buf)
        while nxt in _IP6_EXT:
            if len(buf) < tcp + 2:
                cap.skip("truncated IP header")
                return None
            hlen = (buf[tcp + 1] + 2) * 4 if nxt == 51 else (buf[tcp + 1] + 1) * 8
            nxt = buf[tcp]
            tcp += hlen
        if nxt == 44:
            cap.skip("IP fragment")
            return None
        if nxt != 6:
            cap.skip("not TCP")
            return None
    else:
        cap.skip("not IP")
        return None
    if len(buf) < tcp + 20:
        cap.skip("TCP header cut by the snap length")
        return None
    sport, dport, seq, ack, offflags, window = struct.unpack_from("!HHIIHH", buf, tcp)
    thl = (offflags >> 12) * 4
    if thl < 20 or ip_end < tcp + thl:
        cap.skip("bad TCP header length")
        return None
    if len(buf) < tcp + thl:
        cap.skip("TCP header cut by the snap length")
        return None
    return Packet(frame, ts, src, sport, dst, dport, seq, ack, offflags & 0xFF, ip_end - tcp - thl,
                  window, _tcp_options(buf[tcp + 20:tcp + thl]), hash(bytes(buf[off:min(len(buf), ip_end)])))


# --- files ------------------------------------------------------------------------

class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def read(path: str) -> Capture:
    """Every TCP segment of a pcap or pcapng file, in file order."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapNgReader, RawPcapReader

    if not os.path.exists(path):
        raise CaptureError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CaptureError(f"{path}: is a directory, not a capture file")
    size = os.path.getsize(path)
    if size == 0:
        raise CaptureError(f"{path}: empty file, not a pcap or pcapng capture")
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    cap = Capture(path)
    log = logging.getLogger("scapy.runtime")
    handler = _Warnings()
    log.addHandler(handler)
    saved = log.propagate
    log.propagate = False  # scapy reports corruption as a warning: we make it an error
    n = 0
    try:
        try:
            reader = RawPcapReader(path)
        except (Scapy_Exception, OSError, EOFError, struct.error) as err:
            raise CaptureError(f"{path}: not a pcap or pcapng capture ({err})") from None
        ng = isinstance(reader, RawPcapNgReader)
        with reader:
            while True:
                at = reader.f.tell()
                try:
                    buf, meta = reader._read_packet(size=1 << 18)
                except EOFError:
                    if handler.messages:
                        raise CaptureError(f"{path}: corrupt at byte {at} (after packet {n}): "
                                           f"{handler.messages[0]}") from None
                    if not gzipped and at < size:
                        raise CaptureError(f"{path}: cut short at byte {at} (after packet {n}): "
                                           f"{size - at} bytes left that are not a whole "
                                           f"{'block' if ng else 'packet record'}") from None
                    break
                except (Scapy_Exception, struct.error, ValueError, OverflowError) as err:
                    raise CaptureError(f"{path}: corrupt at byte {at} (after packet {n}): {err}") from None
                if handler.messages:
                    what = handler.messages[0]
                    if "truncated" in what:
                        raise CaptureError(f"{path}: cut short in packet {n + 1} (its record starts "
                                           f"at byte {at}): fewer bytes than its header announces")
                    raise CaptureError(f"{path}: corrupt at byte {at} (packet {n + 1}): {what}")
                n += 1
                if ng:
                    linktype = meta.linktype
                    ts = ((meta.tshigh << 32) | meta.tslow) / meta.tsresol
                else:
                    linktype = reader.linktype
                    ts = meta.sec + meta.usec / (1e9 if reader.nano else 1e6)
                cap.linktypes.add(linktype)
                pkt = decode(buf, linktype, n, ts, cap)
                if pkt is not None:
                    cap.packets.append(pkt)
    finally:
        log.removeHandler(handler)
        log.propagate = saved
    cap.frames = n
    return cap
