"""Reading the frames of a capture file, incrementally: pcap (both byte orders,
micro- and nanosecond timestamps) and pcapng (sections in either byte order,
several interfaces of different link types and timestamp resolutions,
Enhanced, Simple and obsolete Packet Blocks), from a file or standard input
("-"), plain or compressed (gzip, bzip2, xz: recognised by their magic
bytes, whatever the file is called).

The formats are read here with `struct` rather than through a library.
Measured by bench/conform_readers.py (100,000 packets, CPU time, reading
records only): pcap 505 k packets/s (scapy's RawPcapReader 332 k, dpkt 1.9.8
211 k); pcapng 138 k (scapy 127 k, dpkt 137 k, python-pcapng 2.1 26 k). So
speed alone would allow scapy or dpkt; what decides is the rest: standard
input and compressed data are read as they come, never seeked (the libraries
seek, or need a file); a cut or corrupt file is reported with the byte offset
of the record at fault, and what came before it is still judged (scapy's
reader turns a truncated gzip stream into a clean end of file, and raises a
traceback on a Simple Packet Block); and no dependency is added.

Every problem raises `CaptureError` with one line naming the file and byte.
Nothing here knows TCP: `checker.traces.capture` decodes the frames.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import struct
import sys
import zlib
from typing import Iterator, NamedTuple

PCAP_MAGICS = {  # magic as read little-endian -> (byte order, nanosecond timestamps)
    0xA1B2C3D4: ("<", False), 0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True), 0x4D3CB2A1: (">", True),
}
NG_SHB, NG_IDB, NG_OPB, NG_SPB, NG_EPB = 0x0A0D0D0A, 1, 2, 3, 6
NG_BOM = 0x1A2B3C4D
MAX_CAPLEN = 1 << 24  # no link type has frames of 16 MiB: beyond it the length field is garbage
CHUNK = 1 << 20  # bytes read at a time


class CaptureError(Exception):
    """The file cannot be read as a capture (exit 2): one line naming the file."""


class Frame(NamedTuple):
    """One captured frame: its 1-based number, time (seconds; None for a
    Simple Packet Block, which has none), link type, the bytes captured and
    the length the frame had on the wire."""

    number: int
    time: float | None
    linktype: int
    data: bytes
    wirelen: int


class _Counting:
    """A byte stream that knows how far it has been read, and turns the
    decompressors' complaints into CaptureError."""

    def __init__(self, raw, name: str, compression: str | None):
        self.raw, self.name, self.compression = raw, name, compression
        self.at = 0
        self.failed: CaptureError | None = None  # raised at the next read

    def read(self, n: int) -> bytes:
        if self.failed is not None:
            raise self.failed
        parts, k = [], 0
        try:
            if self.compression is None:
                parts.append(self.raw.read(n))
                k = len(parts[0])
            else:  # piece by piece: what came before a cut is handed out before the error
                while k < n:
                    b = self.raw.read1(n - k)
                    if not b:
                        break
                    parts.append(b)
                    k += len(b)
        except EOFError:
            self.failed = CaptureError(f"{self.name}: {self.compression} data cut short after "
                                       f"{self.at + k} bytes of capture (a truncated compressed file)")
        except (OSError, zlib.error, lzma.LZMAError, ValueError) as err:
            what = f"{self.compression} data corrupt" if self.compression else "read error"
            self.failed = CaptureError(f"{self.name}: {what} after {self.at + k} bytes of capture ({err})")
        if self.failed is not None and not k:
            raise self.failed
        b = b"".join(parts)
        self.at += len(b)
        return b

    def exact(self, n: int, what: str) -> bytes:
        b = self.read(n)
        if len(b) != n:
            raise CaptureError(f"{self.name}: cut short at byte {self.at - len(b)} in {what}: "
                               f"{len(b)} of its {n} bytes present")
        return b


def _open(path: str):
    if path == "-":
        return sys.stdin.buffer, "standard input"
    if not os.path.exists(path):
        raise CaptureError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CaptureError(f"{path}: is a directory, not a capture file")
    try:
        return open(path, "rb"), path
    except OSError as err:
        raise CaptureError(f"{path}: cannot open ({err.strerror})") from None


def _peek(f, n: int) -> bytes:
    try:
        return f.peek(n)[:n]
    except (AttributeError, OSError):
        return b""


def frames(path: str) -> Iterator[Frame]:
    """The frames of a capture file (or "-"), in file order."""
    f, name = _open(path)
    try:
        head = _peek(f, 6)
        compression, raw = None, f
        if head[:2] == b"\x1f\x8b":
            compression, raw = "gzip", gzip.GzipFile(fileobj=f)
        elif head[:3] == b"BZh":
            compression, raw = "bzip2", bz2.BZ2File(f)
        elif head[:6] == b"\xfd7zXZ\x00":
            compression, raw = "xz", lzma.LZMAFile(f)
        elif head[:4] == b"\x28\xb5\x2f\xfd":
            raise CaptureError(f"{name}: zstd-compressed: decompress it first (zstd -d)")
        s = _Counting(raw, name, compression)
        first = s.read(4)
        if not first:
            raise CaptureError(f"{name}: empty{' ' + compression + ' stream' if compression else ' file'}"
                               f", not a pcap or pcapng capture")
        if len(first) < 4:
            raise CaptureError(f"{name}: {len(first)} bytes, too short for a pcap or pcapng capture")
        magic = struct.unpack("<I", first)[0]
        if magic in PCAP_MAGICS:
            yield from _pcap(s, name, *PCAP_MAGICS[magic])
        elif magic == NG_SHB:
            yield from _pcapng(s, name, first)
        else:
            raise CaptureError(f"{name}: not a pcap or pcapng capture (first bytes {first.hex()})")
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def _pcap(s: _Counting, name: str, order: str, nano: bool) -> Iterator[Frame]:
    hdr = s.exact(20, "the pcap file header")
    _vmaj, _vmin, _zone, _sig, snaplen, link = struct.unpack(order + "HHiIII", hdr)
    linktype = link & 0x0FFFFFFF
    unpack = struct.Struct(order + "IIII").unpack_from
    div = 1e9 if nano else 1e6
    n = 0
    buf, pos, base = b"", 0, s.at  # records are cut from large reads: buf[pos] is byte base + pos
    while True:
        if len(buf) - pos < 16:
            buf, base, pos = buf[pos:] + s.read(CHUNK), base + pos, 0
            if len(buf) < 16:
                if not buf:
                    return
                raise CaptureError(f"{name}: cut short at byte {base} (after packet {n}): {len(buf)} bytes "
                                   f"left, not a whole packet record header")
        sec, frac, caplen, wirelen = unpack(buf, pos)
        if caplen > MAX_CAPLEN or frac >= div:
            raise CaptureError(f"{name}: corrupt at byte {base + pos} (packet {n + 1}): record header says "
                               f"{caplen} bytes captured, {frac} {'ns' if nano else 'us'}")
        end = pos + 16 + caplen
        if end > len(buf):
            buf, base, pos = buf[pos:] + s.read(max(CHUNK, caplen + 16)), base + pos, 0
            end = 16 + caplen
            if end > len(buf):
                raise CaptureError(f"{name}: cut short in packet {n + 1} (its record starts at byte {base}): "
                                   f"{len(buf) - 16} of its {caplen} bytes present")
        n += 1
        yield Frame(n, sec + frac / div, linktype, buf[pos + 16:end], wirelen if wirelen > caplen else caplen)
        pos = end


def _ng_options(body: bytes, e: str) -> dict:
    out, i = {}, 0
    while i + 4 <= len(body):
        code, ln = struct.unpack_from(e + "HH", body, i)
        if code == 0:
            break
        out.setdefault(code, body[i + 4:i + 4 + ln])
        i += 4 + ((ln + 3) & ~3)
    return out


def _pcapng(s: _Counting, name: str, first: bytes) -> Iterator[Frame]:
    e = "<"
    ifaces: list[tuple[int, int, float, float]] = []  # (linktype, snaplen, units per second, offset)
    n = 0
    last_time = None
    while True:
        at = s.at - (4 if first else 0)
        h = first or s.read(4)
        first = b""
        if not h:
            return
        if len(h) < 4:
            raise CaptureError(f"{name}: cut short at byte {at} (after packet {n}): {len(h)} bytes left, "
                               f"not a whole block")
        ln_raw = s.exact(4, f"the block at byte {at}")
        btype = struct.unpack(e + "I", h)[0]
        if btype == NG_SHB:
            bom = s.exact(4, f"the section header at byte {at}")
            if bom == struct.pack("<I", NG_BOM):
                e = "<"
            elif bom == struct.pack(">I", NG_BOM):
                e = ">"
            else:
                raise CaptureError(f"{name}: corrupt at byte {at}: section header without a byte-order magic")
            total = struct.unpack(e + "I", ln_raw)[0]
            if total < 28 or total % 4 or total > MAX_CAPLEN:
                raise CaptureError(f"{name}: corrupt at byte {at}: section header of length {total}")
            s.exact(total - 16, f"the section header at byte {at}")
            tail = s.exact(4, f"the section header at byte {at}")
            if struct.unpack(e + "I", tail)[0] != total:
                raise CaptureError(f"{name}: corrupt at byte {at}: section header lengths differ")
            ifaces = []
            continue
        total = struct.unpack(e + "I", ln_raw)[0]
        if total < 12 or total % 4 or total > MAX_CAPLEN:
            raise CaptureError(f"{name}: corrupt at byte {at} (after packet {n}): block of type {btype:#x} "
                               f"with length {total}")
        body = s.read(total - 12)
        tail = s.read(4)
        if len(body) < total - 12 or len(tail) < 4:
            raise CaptureError(f"{name}: cut short in the block at byte {at} (after packet {n}): "
                               f"{8 + len(body) + len(tail)} of its {total} bytes present")
        if struct.unpack(e + "I", tail)[0] != total:
            raise CaptureError(f"{name}: corrupt at byte {at} (after packet {n}): block lengths differ")
        if btype == NG_IDB:
            if len(body) < 8:
                raise CaptureError(f"{name}: corrupt at byte {at}: interface description too short")
            link, _res, snap = struct.unpack_from(e + "HHI", body)
            opts = _ng_options(body[8:], e)
            units, offset = 1e6, 0.0
            if 9 in opts and opts[9]:
                v = opts[9][0]
                units = float(2 ** (v & 0x7F)) if v & 0x80 else float(10 ** v)
            if 14 in opts and len(opts[14]) == 8:
                offset = float(struct.unpack(e + "q", opts[14])[0])
            ifaces.append((link, snap, units, offset))
            continue
        if btype not in (NG_EPB, NG_SPB, NG_OPB):
            continue  # name resolution, statistics, custom blocks: nothing to do with TCP
        if btype == NG_SPB:
            if len(body) < 4:
                raise CaptureError(f"{name}: corrupt at byte {at}: simple packet block too short")
            iface, wirelen = 0, struct.unpack_from(e + "I", body)[0]
            caplen = min(wirelen, len(body) - 4)
            if ifaces and ifaces[0][1]:
                caplen = min(caplen, ifaces[0][1])
            data, ts = body[4:4 + caplen], None
        else:
            if btype == NG_EPB:
                if len(body) < 20:
                    raise CaptureError(f"{name}: corrupt at byte {at}: enhanced packet block too short")
                iface, hi, lo, caplen, wirelen = struct.unpack_from(e + "IIIII", body)
                start = 20
            else:
                if len(body) < 20:
                    raise CaptureError(f"{name}: corrupt at byte {at}: packet block too short")
                iface, _drops, hi, lo, caplen, wirelen = struct.unpack_from(e + "HHIIII", body)
                start = 20
            if caplen > len(body) - start:
                raise CaptureError(f"{name}: corrupt at byte {at} (packet {n + 1}): {caplen} bytes "
                                   f"captured in a block of {total}")
            data = body[start:start + caplen]
            ts = None
        if iface >= len(ifaces):
            raise CaptureError(f"{name}: corrupt at byte {at} (packet {n + 1}): interface {iface} "
                               f"not described before")
        link, _snap, units, offset = ifaces[iface]
        if btype != NG_SPB:
            ts = ((hi << 32) | lo) / units + offset
            last_time = ts
        else:
            ts = last_time
        n += 1
        yield Frame(n, ts, link, data, max(wirelen, len(data)))
