"""Reading TCP segments out of a capture (pcap or pcapng, IPv4 and IPv6).

The frames come from `checker.traces.pcapfile` (files, standard input,
compressed data), one at a time: a capture is never held in memory. The few
header fields `conform` needs are decoded here with `struct` (a full scapy
dissection costs about 100 times more). Lengths come from the IP header,
never from the bytes captured, so a capture truncated by a snap length
(`tcpdump -s 96`) still counts SEG.LEN (RFC 9293 3.3.1) correctly.

What a frame may be, and what becomes of it:
- a TCP segment: a `Packet`. Its checksum (RFC 9293 3.1, MUST-2/MUST-3) is
  verified where the whole segment was captured. A wrong one is what the
  receiver drops: the segment is judged as sent but never received
  (`Packet.bad_checksum`), and counted. The unfinished checksum of checksum
  offload (the pseudo-header sum alone, which every capture on Linux `lo`
  and many on a sending host show) is counted as such and taken as sent.
- an IPv4 or IPv6 fragment: kept until its datagram is complete (RFC 791
  3.2, RFC 8200 4.5), then decoded as the segment it carries, numbered by the
  frame that completed it. Overlapping fragments, and datagrams still
  incomplete at the end, are `BadFrame`s.
- impossible lengths (IP total length beyond the frame on the wire, header
  lengths shorter than a header or beyond the packet): a `BadFrame` naming
  the frame and the field, attributed to its connection where the ports can
  be read.
- not TCP, or of a link type not supported: skipped and counted.

Unreadable files raise `CaptureError` (from pcapfile) with one line.
"""

from __future__ import annotations

import socket
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from checker.traces.pcapfile import CaptureError, frames

__all__ = ["CaptureError", "Packet", "BadFrame", "Capture", "decode", "stream", "read", "endpoint_text"]

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276
DLT_RAW_ALIASES = (12, 14)  # DLT_RAW on some BSDs

# TCP header flag bits (RFC 9293 3.1; ECE/CWR RFC 3168).
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
FLAG_NAMES = ((SYN, "SYN"), (RST, "RST"), (FIN, "FIN"), (PSH, "PSH"), (ACK, "ACK"), (URG, "URG"),
              (ECE, "ECE"), (CWR, "CWR"))


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
    bad_checksum: bool = False  # the receiver drops it (RFC 9293 3.1): sent, never received

    @property
    def source(self) -> tuple[str, int]:
        return (self.src, self.sport)

    @property
    def destination(self) -> tuple[str, int]:
        return (self.dst, self.dport)

    def flag_names(self) -> str:
        return ",".join(n for bit, n in FLAG_NAMES if self.flags & bit)

    def mss(self) -> int | None:
        for kind, value in self.options:
            if kind == "MSS":
                return value
        return None


class BadFrame(NamedTuple):
    """A frame that holds no readable segment: its number, time, why, and
    the connection's endpoints ((src, sport), (dst, dport)) where readable."""

    frame: int
    time: float
    reason: str
    endpoints: tuple | None = None


MAX_PROBLEMS = 200  # BadFrames kept for the report (all are counted)
MAX_FRAGMENTED = 4096  # datagrams being reassembled at once


@dataclass
class Capture:
    path: str
    packets: list[Packet] = field(default_factory=list)  # filled by read(), not by stream()
    frames: int = 0  # every packet in the file
    segments: int = 0
    skipped: dict = field(default_factory=dict)  # reason -> count
    linktypes: set = field(default_factory=set)
    checksums: dict = field(default_factory=dict)  # verified / offload / bad / not captured -> count
    problems: list = field(default_factory=list)  # the first MAX_PROBLEMS BadFrames
    bad_frames: int = 0
    reassembled: int = 0
    error: str | None = None  # a CaptureError met part way: what was read before it is judged
    _frags: OrderedDict = field(default_factory=OrderedDict)
    _out: list = field(default_factory=list)  # BadFrames not yet handed out
    _names: dict = field(default_factory=dict)  # address bytes -> text

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def count(self, what: str) -> None:
        self.checksums[what] = self.checksums.get(what, 0) + 1

    def bad(self, frame: int, ts: float, reason: str, endpoints=None) -> None:
        b = BadFrame(frame, ts, reason, endpoints)
        self.bad_frames += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(b)
        self._out.append(b)


def endpoint_text(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


_IP6_EXT = {0, 43, 60, 51}  # hop-by-hop, routing, destination options, AH (44: fragment)


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


def _addr(cap: Capture, family: int, raw: bytes) -> str:
    """An address as text (RFC 5952 for IPv6), each one made once."""
    text = cap._names.get(raw)
    if text is None:
        if len(cap._names) > 100_000:
            cap._names.clear()
        text = cap._names[raw] = socket.inet_ntop(family, raw)
    return text


def _fold(s: int) -> int:
    """The one's complement sum (RFC 1071) of the 16-bit words of a number
    given as one big integer: 2^16 = 1 modulo 0xFFFF."""
    r = s % 0xFFFF
    return r if r or not s else 0xFFFF


def _checksum(cap: Capture, buf: bytes, tcp: int, ip_end: int, pseudo: bytes) -> bool:
    """True if the segment's checksum is wrong (and the receiver drops it)."""
    seg = buf[tcp:ip_end]
    whole = pseudo + seg + (b"\0" if len(seg) & 1 else b"")
    if _fold(int.from_bytes(whole, "big")) == 0xFFFF:
        cap.count("verified")
        return False
    if struct.unpack_from("!H", buf, tcp + 16)[0] == _fold(int.from_bytes(pseudo, "big")):
        cap.count("offload")  # the pseudo-header sum a NIC or lo would have finished
        return False
    cap.count("bad")
    return True


def _ports(buf: bytes, at: int, src: str, dst: str):
    if len(buf) >= at + 4:
        sport, dport = struct.unpack_from("!HH", buf, at)
        return ((src, sport), (dst, dport))
    return None


def _tcp(cap: Capture, buf: bytes, frame: int, ts: float, src: str, dst: str, tcp: int, ip_end: int,
         whole: bool, pseudo: bytes | None, ip_start: int) -> Packet | None:
    """The TCP header at `tcp`; the IP packet ends at `ip_end`; `whole`: every
    byte of it was captured (and its lengths are real: no TSO super-packet)."""
    if ip_end < tcp + 20:
        cap.bad(frame, ts, f"IP packet ends {ip_end - tcp} bytes into its TCP header (fewer than 20)",
                _ports(buf, tcp, src, dst))
        return None
    if len(buf) < tcp + 20:
        cap.skip("TCP header cut by the snap length")
        return None
    sport, dport, seq, ack, offflags, window = struct.unpack_from("!HHIIHH", buf, tcp)
    thl = (offflags >> 12) * 4
    if thl < 20 or ip_end < tcp + thl:
        cap.bad(frame, ts, f"TCP data offset {thl} bytes " + ("< 20" if thl < 20 else
                f"beyond the {ip_end - tcp} bytes of the segment"), ((src, sport), (dst, dport)))
        return None
    if len(buf) < tcp + thl:
        cap.skip("TCP header cut by the snap length")
        return None
    bad = False
    if whole and pseudo is not None:
        bad = _checksum(cap, buf, tcp, ip_end, pseudo)
    else:
        cap.count("not captured")
    cap.segments += 1
    return Packet(frame, ts, src, sport, dst, dport, seq, ack, offflags & 0xFF, ip_end - tcp - thl,
                  window, _tcp_options(buf[tcp + 20:tcp + thl]),
                  hash(bytes(buf[ip_start:min(len(buf), ip_end)])), bad)


def _fragment(cap: Capture, key, frame: int, ts: float, offset: int, more: bool, payload: bytes,
              length: int, head: bytes, nxt: int, src: str, dst: str):
    """Keep one fragment; the reassembled datagram (header, payload, whole?,
    next header) once every octet is there, else None."""
    d = cap._frags.get(key)
    if d is None:
        while len(cap._frags) >= MAX_FRAGMENTED:
            _, old = cap._frags.popitem(last=False)
            cap.bad(old["frames"][-1], old["time"], f"fragments of a datagram (frames {_span(old)}) "
                    f"not all captured: not reassembled (too many datagrams in reassembly)", old["ports"])
        d = cap._frags[key] = {"parts": {}, "end": None, "frames": [], "time": ts, "ports": None,
                               "head": None, "nxt": nxt}
    d["frames"].append(frame)
    d["time"] = ts
    if offset == 0:
        d["head"], d["nxt"] = head, nxt
        d["ports"] = _ports(payload, 0, src, dst)
    if not more:
        d["end"] = offset + length
    for o, (ln, _, _) in d["parts"].items():
        if o < offset + length and offset < o + ln:
            del cap._frags[key]
            cap.bad(frame, ts, f"overlapping IP fragments (frames {_span(d)}): not reassembled, a "
                    f"receiver discards them (RFC 5722)", d["ports"])
            return None
    d["parts"][offset] = (length, payload, len(payload) == length)
    if d["end"] is None or d["head"] is None:
        return None
    at, data, whole = 0, [], True
    for o in sorted(d["parts"]):
        if o != at:
            return None  # a hole
        ln, b, complete = d["parts"][o]
        whole = whole and complete
        data.append(b)
        at = o + ln
    if at != d["end"]:
        return None
    del cap._frags[key]
    cap.reassembled += 1
    return d["head"], b"".join(data), at, whole, d["nxt"]


def _span(d) -> str:
    f = d["frames"]
    return f"{f[0]}-{f[-1]}" if len(f) > 1 else str(f[0])


def _cut(cap: Capture, buf: bytes, frame: int, ts: float, wirelen: int, why: str) -> None:
    """An IP header not all there: the snap length's doing (skipped), or a short frame (bad)."""
    if wirelen > len(buf):
        cap.skip("IP header cut by the snap length")
    else:
        cap.bad(frame, ts, why)


def decode(buf: bytes, linktype: int, frame: int, ts: float, cap: Capture,
           wirelen: int | None = None) -> Packet | None:
    """The TCP segment in one captured frame, or None: skipped (counted),
    a fragment kept for reassembly, or a BadFrame (in cap.problems)."""
    wirelen = max(wirelen or 0, len(buf))
    off = _ip_offset(linktype, buf)
    if off is None:
        cap.skip("not IP" if linktype in (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2)
                 else f"link type {linktype} not supported")
        return None
    if len(buf) < off + 1:
        return _cut(cap, buf, frame, ts, wirelen, "frame ends before its IP header")
    version = buf[off] >> 4
    on_wire = wirelen - off  # octets of the IP packet on the wire
    if version == 4:
        if len(buf) < off + 20:
            return _cut(cap, buf, frame, ts, wirelen, f"IPv4 header cut: {len(buf) - off} bytes, fewer than 20")
        ihl = (buf[off] & 0x0F) * 4
        total, ident, frag = struct.unpack_from("!HHH", buf, off + 2)
        proto = buf[off + 9]
        if proto != 6:
            cap.skip("not TCP")
            return None
        if ihl < 20:
            cap.bad(frame, ts, f"IPv4 header length {ihl} bytes (IHL {ihl // 4}), fewer than 20")
            return None
        src = _addr(cap, socket.AF_INET, buf[off + 12:off + 16])
        dst = _addr(cap, socket.AF_INET, buf[off + 16:off + 20])
        if total == 0:  # a TSO super-packet recorded before segmentation: what was captured
            total = on_wire
            real = False
        else:
            real = True
        if total < ihl:
            cap.bad(frame, ts, f"IPv4 total length {total} shorter than its header ({ihl})",
                    _ports(buf, off + ihl, src, dst))
            return None
        if total > on_wire:
            cap.bad(frame, ts, f"IPv4 total length {total} beyond the {on_wire} bytes of the packet "
                    f"({'on the wire' if wirelen > len(buf) else 'captured'})", _ports(buf, off + ihl, src, dst))
            return None
        if len(buf) < off + ihl:
            cap.skip("IP header cut by the snap length")
            return None
        ip_end = off + total
        if frag & 0x3FFF:  # MF set or a non-zero offset
            got = _fragment(cap, (4, src, dst, ident), frame, ts, (frag & 0x1FFF) * 8, bool(frag & 0x2000),
                            bytes(buf[off + ihl:min(len(buf), ip_end)]), total - ihl, b"", 6, src, dst)
            if got is None:
                return None
            _, payload, n, whole, _ = got
            pseudo = buf[off + 12:off + 20] + struct.pack("!BBH", 0, 6, n)
            return _tcp(cap, payload, frame, ts, src, dst, 0, n, whole, pseudo, 0)
        whole = real and len(buf) >= ip_end
        pseudo = buf[off + 12:off + 20] + struct.pack("!BBH", 0, 6, total - ihl)
        return _tcp(cap, buf, frame, ts, src, dst, off + ihl, ip_end, whole, pseudo, off)
    if version == 6:
        if len(buf) < off + 40:
            return _cut(cap, buf, frame, ts, wirelen, f"IPv6 header cut: {len(buf) - off} bytes, fewer than 40")
        plen = struct.unpack_from("!H", buf, off + 4)[0]
        nxt = buf[off + 6]
        src = _addr(cap, socket.AF_INET6, buf[off + 8:off + 24])
        dst = _addr(cap, socket.AF_INET6, buf[off + 24:off + 40])
        real = plen != 0  # 0: a jumbogram, or a super-packet before segmentation
        ip_end = off + 40 + plen if real else wirelen
        if ip_end > wirelen:
            cap.bad(frame, ts, f"IPv6 payload length {plen} beyond the {on_wire - 40} bytes after its "
                    f"header ({'on the wire' if wirelen > len(buf) else 'captured'})")
            return None
        at = off + 40
        while nxt in _IP6_EXT or nxt == 44:
            if len(buf) < at + 8:
                cap.skip("IP header cut by the snap length")
                return None
            if nxt == 44:
                fo, ident = struct.unpack_from("!HI", buf, at + 2)
                inner = buf[at]
                if fo & 0xFFF9 == 0:  # an atomic fragment (RFC 6946): the whole datagram
                    nxt, at = inner, at + 8
                    continue
                got = _fragment(cap, (6, src, dst, ident), frame, ts, fo & 0xFFF8, bool(fo & 1),
                                bytes(buf[at + 8:min(len(buf), ip_end)]), ip_end - at - 8, b"", inner,
                                src, dst)
                if got is None:
                    return None
                _, payload, n, whole, inner = got
                if inner != 6:
                    cap.skip("not TCP")
                    return None
                pseudo = buf[off + 8:off + 40] + struct.pack("!IxxxB", n, 6)
                return _tcp(cap, payload, frame, ts, src, dst, 0, n, whole, pseudo, 0)
            hlen = (buf[at + 1] + 2) * 4 if nxt == 51 else (buf[at + 1] + 1) * 8
            nxt = buf[at]
            at += hlen
            if at > ip_end:
                cap.bad(frame, ts, f"IPv6 extension headers run {at - ip_end} bytes past the payload length")
                return None
        if nxt != 6:
            cap.skip("not TCP")
            return None
        whole = real and len(buf) >= ip_end
        pseudo = buf[off + 8:off + 40] + struct.pack("!IxxxB", ip_end - at, 6)
        return _tcp(cap, buf, frame, ts, src, dst, at, ip_end, whole, pseudo, off)
    cap.bad(frame, ts, f"IP version {version} (neither 4 nor 6)")
    return None


def stream(path: str, cap: Capture | None = None) -> Iterator[Packet | BadFrame]:
    """The segments of a capture file (or "-"), in file order, with the
    BadFrames among them; counters in `cap`. A CaptureError met part way
    is raised after everything before it was handed out."""
    cap = cap if cap is not None else Capture(path)
    last = 0.0
    out = cap._out
    for fr in frames(path):
        cap.frames = fr.number
        cap.linktypes.add(fr.linktype)
        ts = fr.time if fr.time is not None else last
        last = ts
        p = decode(fr.data, fr.linktype, fr.number, ts, cap, fr.wirelen)
        if out:
            yield from out
            out.clear()
        if p is not None:
            yield p
    for d in list(cap._frags.values()):
        cap.bad(d["frames"][-1], d["time"], f"fragments of a datagram (frames {_span(d)}) not all "
                f"captured: not reassembled", d["ports"])
    cap._frags.clear()
    yield from out
    out.clear()


def read(path: str) -> Capture:
    """Every TCP segment of a capture file, in file order, in memory (for
    tests and small files; `conform` streams)."""
    cap = Capture(path)
    for p in stream(path, cap):
        if isinstance(p, Packet):
            cap.packets.append(p)
    return cap
