"""TCP header encoding and decoding, RFC 9293 3.1 (Figure 1) and 3.2.

* Options: EOL (kind 0), NOP (kind 1), MSS (kind 2, length 4) understood;
  any other option is skipped by its length field (MUST-6); an illegal
  option length is reported (MUST-7).
* Checksum over the IPv4 pseudo-header (Figure 2) or the IPv6
  pseudo-header (RFC 8200 8.1); generated (MUST-2) and checked (MUST-3).
* :func:`decode` raises nothing but :class:`WireError` for malformed bytes;
  every error names the byte offset at fault (``exc.offset``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .segment import Segment

__all__ = [
    "WireError",
    "TruncatedHeader",
    "BadDataOffset",
    "BadOptionLength",
    "BadChecksum",
    "TcpOption",
    "TcpHeaderInfo",
    "EOL",
    "NOP",
    "mss_option",
    "encode",
    "decode",
    "checksum",
    "pseudo_header",
    "FLAG_FIN",
    "FLAG_SYN",
    "FLAG_RST",
    "FLAG_PSH",
    "FLAG_ACK",
    "FLAG_URG",
    "FLAG_ECE",
    "FLAG_CWR",
]

IPPROTO_TCP = 6
MIN_HEADER = 20
MAX_HEADER = 60

FLAG_FIN = 0x01
FLAG_SYN = 0x02
FLAG_RST = 0x04
FLAG_PSH = 0x08
FLAG_ACK = 0x10
FLAG_URG = 0x20
FLAG_ECE = 0x40
FLAG_CWR = 0x80
_SEGMENT_FLAGS = FLAG_FIN | FLAG_SYN | FLAG_RST | FLAG_ACK

KIND_EOL = 0
KIND_NOP = 1
KIND_MSS = 2


# ----------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------
class WireError(ValueError):
    """Malformed TCP bytes; ``offset`` is the byte offset at fault."""

    def __init__(self, message: str, offset: int) -> None:
        self.offset = offset
        super().__init__(f"{message} (at byte offset {offset})")


class TruncatedHeader(WireError):
    """Fewer than the 20 octets of a fixed TCP header."""


class BadDataOffset(WireError):
    """Data Offset < 5, or pointing past the end of the segment."""


class BadOptionLength(WireError):
    """An option length that is < 2, runs past the header, or is wrong for the kind."""


class BadChecksum(WireError):
    """The ones' complement checksum does not verify."""


# ----------------------------------------------------------------------
# Options and header info
# ----------------------------------------------------------------------
@dataclass(frozen=True)
class TcpOption:
    """One TCP option (3.1 "Options"): kind, and the option-data octets.

    EOL and NOP are single-octet options (``data`` must be empty); every
    other kind is encoded as kind, length (= 2 + len(data)), data.
    """

    kind: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.kind <= 255:
            raise ValueError(f"option kind {self.kind} out of range")
        if self.kind in (KIND_EOL, KIND_NOP) and self.data:
            raise ValueError("EOL and NOP options carry no data")
        if len(self.data) > 253:
            raise ValueError("option data longer than 253 octets")

    def encode(self) -> bytes:
        if self.kind in (KIND_EOL, KIND_NOP):
            return bytes([self.kind])
        return bytes([self.kind, 2 + len(self.data)]) + self.data

    @property
    def mss(self) -> int | None:
        if self.kind == KIND_MSS and len(self.data) == 2:
            return int.from_bytes(self.data, "big")
        return None


EOL = TcpOption(KIND_EOL)
NOP = TcpOption(KIND_NOP)


def mss_option(mss: int) -> TcpOption:
    """3.2 Maximum Segment Size option (kind 2, length 4)."""
    if not 0 <= mss <= 0xFFFF:
        raise ValueError(f"MSS {mss} out of range")
    return TcpOption(KIND_MSS, mss.to_bytes(2, "big"))


@dataclass(frozen=True)
class TcpHeaderInfo:
    """Header fields that :class:`Segment` does not carry."""

    src_port: int
    dst_port: int
    data_offset: int  # in 32-bit words
    reserved: int  # the 4 Rsrvd bits (ignored on receipt, 3.1)
    flags: int  # all 8 control bits, CWR..FIN
    window: int
    checksum: int
    urg_ptr: int
    options: tuple[TcpOption, ...] = field(default=())
    mss: int | None = None

    @property
    def header_len(self) -> int:
        return self.data_offset * 4

    # the control bits Segment does not carry (3.1), each read off `flags`
    psh = property(lambda self: bool(self.flags & FLAG_PSH))
    urg = property(lambda self: bool(self.flags & FLAG_URG))
    ece = property(lambda self: bool(self.flags & FLAG_ECE))
    cwr = property(lambda self: bool(self.flags & FLAG_CWR))


# ----------------------------------------------------------------------
# Checksum
# ----------------------------------------------------------------------
def _ip(addr: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(addr, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return addr
    if isinstance(addr, (bytes, bytearray)):
        if len(addr) == 4:
            return ipaddress.IPv4Address(bytes(addr))
        if len(addr) == 16:
            return ipaddress.IPv6Address(bytes(addr))
        raise ValueError(f"an IP address is 4 or 16 octets, got {len(addr)}")
    return ipaddress.ip_address(addr)  # type: ignore[arg-type]


def pseudo_header(src_ip: object, dst_ip: object, tcp_length: int) -> bytes:
    """IPv4 pseudo-header (3.1 Figure 2) or IPv6 pseudo-header (RFC 8200 8.1)."""
    src, dst = _ip(src_ip), _ip(dst_ip)
    if src.version != dst.version:
        raise ValueError("source and destination address families differ")
    if src.version == 4:
        if tcp_length > 0xFFFF:
            raise ValueError(f"TCP length {tcp_length} does not fit the IPv4 pseudo-header")
        return src.packed + dst.packed + bytes([0, IPPROTO_TCP]) + tcp_length.to_bytes(2, "big")
    if tcp_length > 0xFFFFFFFF:
        raise ValueError(f"TCP length {tcp_length} does not fit the IPv6 pseudo-header")
    return src.packed + dst.packed + tcp_length.to_bytes(4, "big") + bytes([0, 0, 0, IPPROTO_TCP])


def _ones_complement_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"  # 3.1: pad the last octet on the right, not transmitted
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum(tcp_bytes: bytes, src_ip: object, dst_ip: object) -> int:
    """3.1 Checksum: ones' complement of the ones' complement sum of
    pseudo-header + TCP header + text (checksum field as found)."""
    ph = pseudo_header(src_ip, dst_ip, len(tcp_bytes))
    return (~_ones_complement_sum(ph + bytes(tcp_bytes))) & 0xFFFF


# ----------------------------------------------------------------------
# Encode / decode
# ----------------------------------------------------------------------
def encode(
    seg: Segment,
    src_ip: object,
    dst_ip: object,
    src_port: int,
    dst_port: int,
    options: tuple[TcpOption, ...] | list[TcpOption] = (),
    *,
    extra_flags: int = 0,
    urg_ptr: int = 0,
) -> bytes:
    """Serialize ``seg`` as a TCP header + text with a valid checksum.

    ``extra_flags`` may set PSH/URG/ECE/CWR (the bits Segment does not
    model).  Options are padded with zero octets (EOL, MUST-69) to a
    32-bit boundary; at most 40 octets of options fit.
    """
    for name, port in (("src_port", src_port), ("dst_port", dst_port)):
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"{name} {port} out of range")
    if not 0 <= seg.wnd <= 0xFFFF:
        raise ValueError(f"window {seg.wnd} does not fit 16 bits (no window scaling)")
    if not 0 <= urg_ptr <= 0xFFFF:
        raise ValueError(f"urgent pointer {urg_ptr} out of range")
    if extra_flags & ~(FLAG_PSH | FLAG_URG | FLAG_ECE | FLAG_CWR):
        raise ValueError("extra_flags may only hold PSH, URG, ECE, CWR")
    opts = b"".join(opt.encode() for opt in options)
    if len(opts) % 4:
        opts += b"\x00" * (4 - len(opts) % 4)
    if len(opts) > MAX_HEADER - MIN_HEADER:
        raise ValueError(f"{len(opts)} octets of options exceed the 40 available")
    data_offset = (MIN_HEADER + len(opts)) // 4
    flags = extra_flags
    flags |= FLAG_SYN if seg.syn else 0
    flags |= FLAG_ACK if seg.ack_flag else 0
    flags |= FLAG_FIN if seg.fin else 0
    flags |= FLAG_RST if seg.rst else 0
    header = bytearray()
    header += src_port.to_bytes(2, "big")
    header += dst_port.to_bytes(2, "big")
    header += seg.seq.to_bytes(4, "big")
    header += seg.ack.to_bytes(4, "big")
    header.append(data_offset << 4)  # reserved bits zero in generated segments
    header.append(flags)
    header += seg.wnd.to_bytes(2, "big")
    header += b"\x00\x00"  # checksum placeholder (3.1: zero while computing)
    header += urg_ptr.to_bytes(2, "big")
    header += opts
    raw = bytes(header) + seg.data
    csum = checksum(raw, src_ip, dst_ip)
    return raw[:16] + csum.to_bytes(2, "big") + raw[18:]


def _parse_options(raw: bytes, header_len: int) -> tuple[tuple[TcpOption, ...], int | None]:
    options: list[TcpOption] = []
    mss: int | None = None
    i = MIN_HEADER
    while i < header_len:
        kind = raw[i]
        if kind == KIND_EOL:
            # 3.1: End of Option List; the rest is padding.
            break
        if kind == KIND_NOP:
            options.append(NOP)
            i += 1
            continue
        if i + 1 >= header_len:
            raise BadOptionLength(f"option kind {kind} has no length octet before the header end", i)
        length = raw[i + 1]
        if length < 2:
            # MUST-7: illegal option length (e.g. zero).
            raise BadOptionLength(f"option kind {kind} has illegal length {length}", i + 1)
        if i + length > header_len:
            raise BadOptionLength(
                f"option kind {kind} of length {length} runs past the header end {header_len}", i + 1
            )
        data = raw[i + 2:i + length]
        if kind == KIND_MSS:
            if length != 4:
                raise BadOptionLength(f"MSS option has length {length}, not 4", i + 1)
            mss = int.from_bytes(data, "big")
        # MUST-6: any other kind is kept opaque and otherwise ignored.
        options.append(TcpOption(kind, data))
        i += length
    return tuple(options), mss


def decode(
    raw: bytes, src_ip: object, dst_ip: object, verify_checksum: bool = True
) -> tuple[Segment, TcpHeaderInfo]:
    """Parse TCP header + text.  Malformed bytes raise only :class:`WireError`."""
    raw = bytes(raw)
    if len(raw) < MIN_HEADER:
        raise TruncatedHeader(f"TCP header needs {MIN_HEADER} octets, got {len(raw)}", len(raw))
    data_offset = raw[12] >> 4
    if data_offset < 5:
        raise BadDataOffset(f"data offset {data_offset} words is below the minimum 5", 12)
    header_len = data_offset * 4
    if header_len > len(raw):
        raise BadDataOffset(
            f"data offset {data_offset} words ({header_len} octets) past the end of {len(raw)} octets",
            12,
        )
    if verify_checksum:
        limit = 0xFFFF if _ip(src_ip).version == 4 else 0xFFFFFFFF
        if len(raw) > limit:
            raise WireError(f"{len(raw)} octets do not fit the pseudo-header length field", limit)
        if checksum(raw, src_ip, dst_ip) != 0:
            # MUST-3: the receiver checks the checksum.
            raise BadChecksum(f"checksum 0x{raw[16]:02x}{raw[17]:02x} does not verify", 16)
    options, mss = _parse_options(raw, header_len)
    flags = raw[13]
    seg = Segment(
        seq=int.from_bytes(raw[4:8], "big"),
        ack=int.from_bytes(raw[8:12], "big"),
        syn=bool(flags & FLAG_SYN),
        ack_flag=bool(flags & FLAG_ACK),
        fin=bool(flags & FLAG_FIN),
        rst=bool(flags & FLAG_RST),
        data=raw[header_len:],
        wnd=int.from_bytes(raw[14:16], "big"),
    )
    info = TcpHeaderInfo(
        src_port=int.from_bytes(raw[0:2], "big"),
        dst_port=int.from_bytes(raw[2:4], "big"),
        data_offset=data_offset,
        reserved=raw[12] & 0x0F,
        flags=flags,
        window=seg.wnd,
        checksum=int.from_bytes(raw[16:18], "big"),
        urg_ptr=int.from_bytes(raw[18:20], "big"),
        options=options,
        mss=mss,
    )
    return seg, info
