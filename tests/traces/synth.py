"""Synthetic captures of well-behaved TCP connections (RFC 9293 3.5 handshake,
3.8 data with delayed acknowledgments, 3.6 close), written as pcap files with
`struct`, fast enough for the benchmarks' 100 MiB transfers and 10,000-
connection captures. Addresses are in 198.18.0.0/15 (RFC 2544 test range).

What the segments look like is what Linux sends on a quiet path: MSS-sized
data segments, an ACK for every second one (RFC 5681 4.2 / RFC 9293 3.8.6.3),
the FIN on its own segment after the data, and the options of a Linux SYN.
Each writer returns the number of segments written.
"""

from __future__ import annotations

import struct

MASK = 0xFFFFFFFF
ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
SYN_OPTS = struct.pack("!BBH", 2, 4, 1448) + b"\x04\x02\x01\x03\x03\x07"  # MSS, SACK-permitted, NOP, WS 7
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _csum(b: bytes) -> int:
    s = int.from_bytes(b + (b"\0" if len(b) & 1 else b""), "big")
    folded = s % 0xFFFF or (0xFFFF if s else 0)  # RFC 1071: 2^16 = 1 modulo 0xFFFF
    return ~folded & 0xFFFF


class Writer:
    """A pcap file of Ethernet frames; `snaplen` cuts what is stored (not the lengths)."""

    def __init__(self, path: str, snaplen: int = 96):
        self.f = open(path, "wb")
        self.snaplen = snaplen
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        self.t = 1_700_000_000.0
        self.n = 0
        self.ident = 0

    def segment(self, src: tuple, dst: tuple, seq: int, ack: int, flags: int, data: int = 0,
                window: int = 502, opts: bytes = b"", dt: float = 20e-6) -> None:
        self.t += dt
        self.ident = (self.ident + 1) & 0xFFFF
        opts = opts + b"\0" * (-len(opts) % 4)
        thl = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & MASK, ack & MASK, (thl // 4) << 4, flags,
                          window, 0, 0) + opts
        payload = bytes(min(data, max(0, self.snaplen - 14 - 20 - thl)))
        total = 20 + thl + data
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, self.ident, 0x4000, 64, 6, 0,
                         bytes(map(int, src[0].split("."))), bytes(map(int, dst[0].split("."))))
        ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
        if 14 + total <= self.snaplen:  # the whole segment is stored: give it a real checksum
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, thl + data)
            ck = _csum(pseudo + tcp + bytes(data))
            tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
        frame = (ETH + ip + tcp + payload)[:self.snaplen]
        sec = int(self.t)
        self.f.write(struct.pack("<IIII", sec, int((self.t - sec) * 1e6), len(frame), 14 + total) + frame)
        self.n += 1

    def close(self) -> int:
        self.f.close()
        return self.n


class Flow:
    """One connection between a client and a server, step by step."""

    def __init__(self, w: Writer, client: tuple, server: tuple, iss_c: int, iss_s: int, mss: int = 1448):
        self.w, self.c, self.s, self.mss = w, client, server, mss
        self.cn, self.sn = iss_c, iss_s  # SND.NXT of each side
        self.iss_c, self.iss_s = iss_c, iss_s

    def handshake(self) -> None:
        w = self.w
        w.segment(self.c, self.s, self.cn, 0, SYN, window=64240, opts=SYN_OPTS)
        w.segment(self.s, self.c, self.sn, self.cn + 1, SYN | ACK, window=65160, opts=SYN_OPTS)
        self.cn += 1
        self.sn += 1
        w.segment(self.c, self.s, self.cn, self.sn, ACK)

    def send(self, client_sends: bool, octets: int, ack_every: int = 2) -> None:
        """`octets` from one side in MSS segments; the other ACKs every `ack_every`."""
        w = self.w
        src, dst = (self.c, self.s) if client_sends else (self.s, self.c)
        k = 0
        while octets > 0:
            n = min(self.mss, octets)
            octets -= n
            if client_sends:
                w.segment(src, dst, self.cn, self.sn, ACK | (PSH if octets == 0 else 0), n)
                self.cn += n
            else:
                w.segment(src, dst, self.sn, self.cn, ACK | (PSH if octets == 0 else 0), n)
                self.sn += n
            k += 1
            if k % ack_every == 0 or octets == 0:
                if client_sends:
                    w.segment(dst, src, self.sn, self.cn, ACK)
                else:
                    w.segment(dst, src, self.cn, self.sn, ACK)

    def close(self) -> None:
        """The client closes first (3.6 case 1); the server's FIN follows its ACK."""
        w = self.w
        w.segment(self.c, self.s, self.cn, self.sn, FIN | ACK)
        self.cn += 1
        w.segment(self.s, self.c, self.sn, self.cn, ACK)
        w.segment(self.s, self.c, self.sn, self.cn, FIN | ACK)
        self.sn += 1
        w.segment(self.c, self.s, self.cn, self.sn, ACK)


def bulk(path: str, octets: int, snaplen: int = 96) -> int:
    """One connection: the client sends `octets`, the server answers 2 octets, both close."""
    w = Writer(path, snaplen)
    f = Flow(w, ("198.18.0.1", 40000), ("198.18.0.2", 5001), 0xFFFF0000, 0x7FFFF000)
    f.handshake()
    f.send(True, octets)
    f.send(False, 2)
    f.close()
    return w.close()


def short_connections(path: str, count: int, concurrent: int = 50, snaplen: int = 96) -> int:
    """`count` request/response connections, `concurrent` at a time, their
    segments interleaved round-robin, each on its own client port."""
    w = Writer(path, snaplen)
    live: list = []
    made = 0
    step = 0
    while made < count or live:
        while made < count and len(live) < concurrent:
            port = 10000 + made % 50000
            host = f"198.18.{1 + made // 50000}.1"
            f = Flow(w, (host, port), ("198.18.0.2", 80), (made * 2654435761) & MASK,
                     (made * 40503 + 12345) & MASK)
            live.append(iter(_exchange(f)))
            made += 1
        nxt = []
        for it in live:
            if next(it, None) is not None:
                nxt.append(it)
        live = nxt
        step += 1
    return w.close()


def _exchange(f: Flow):
    f.handshake()
    yield 1
    f.send(True, 120)
    yield 1
    f.send(False, 900)
    yield 1
    f.close()
    yield 1
