"""Altered copies of capture files for the conform tests: rewrite fields of
one packet, insert a packet, or change every packet, with scapy; lengths and
IP/TCP checksums are recomputed, so the copy is a well-formed capture whose
only difference is the one we made."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw
from scapy.utils import rdpcap, wrpcap, wrpcapng

MASK = 0xFFFFFFFF


def load(path: str) -> list:
    return list(rdpcap(path))


def save(pkts: list, path: str) -> str:
    (wrpcapng if path.endswith(".pcapng") else wrpcap)(path, pkts)
    return path


def rebuilt(p):
    """The packet with lengths and checksums recomputed (and its time kept)."""
    if IP in p:
        del p[IP].len
        del p[IP].chksum
    if IPv6 in p:
        del p[IPv6].plen
    del p[TCP].chksum
    q = p.__class__(bytes(p))
    q.time = p.time
    return q


def tcp_fields(p) -> dict:
    t = p[TCP]
    return {"seq": t.seq, "ack": t.ack, "flags": str(t.flags), "data": len(bytes(t.payload))}


def edit(src: str, dst: str, frame: int, seq: int = 0, ack: int = 0, flags: str | None = None) -> str:
    """Copy `src` to `dst` with packet `frame` (1-based) changed: SEQ and ACK
    moved by the given amounts, control bits replaced."""
    pkts = load(src)
    p = pkts[frame - 1].copy()
    t = p[TCP]
    t.seq = (t.seq + seq) & MASK
    t.ack = (t.ack + ack) & MASK
    if flags is not None:
        t.flags = flags
    pkts[frame - 1] = rebuilt(p)
    return save(pkts, dst)


def insert(src: str, dst: str, after: int, like: int, seq: int, ack: int, flags: str,
           data: bytes = b"") -> str:
    """Copy `src` to `dst` with a new packet after frame `after`, addressed
    as frame `like` (same endpoints and options), with these fields."""
    pkts = load(src)
    p = pkts[like - 1].copy()
    t = p[TCP]
    t.remove_payload()
    t.seq, t.ack, t.flags = seq & MASK, ack & MASK, flags
    if data:
        t.add_payload(Raw(data))
    p.time = pkts[after - 1].time + 0.0005
    pkts.insert(after, rebuilt(p))
    return save(pkts, dst)


def drop(src: str, dst: str, frames: set[int]) -> str:
    pkts = [p for i, p in enumerate(load(src), 1) if i not in frames]
    return save(pkts, dst)


def each(src: str, dst: str, fn) -> str:
    """Copy with fn(packet) applied to every packet (then rebuilt)."""
    out = []
    for p in load(src):
        q = p.copy()
        fn(q)
        out.append(rebuilt(q))
    return save(out, dst)


def checksums_valid(p) -> bool:
    q = rebuilt(p.copy())
    ok = q[TCP].chksum == p[TCP].chksum
    if IP in p:
        ok = ok and q[IP].chksum == p[IP].chksum
    return ok
