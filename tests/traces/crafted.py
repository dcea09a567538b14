"""Captures of a crafted peer against a stack under test, the way stack tests
(packetdrill scripts, RFC 5961 probes) make them: the peer sends segments no
RFC endpoint would send (a SYN in ESTABLISHED, an in-window RST at the wrong
sequence number, data outside the window, an ACK of data never sent), and
the capture records the stack's answers.

`probe_impl(path)` drives the project's own endpoint (impl/, never the
model) and writes what went over the "wire" (impl/wire.py's codec, in IPv4
in Ethernet) as a pcap. The stack is 198.18.0.1:80, the peer
198.18.0.2:40000 (RFC 2544 test addresses). The returned `Probe` says, for
each step, the frame of the stack's answer, so tests can alter exactly that
answer and expect the violation there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from impl.endpoint import Endpoint
from impl.segment import Segment
from impl.wire import encode

STACK = ("198.18.0.1", 80)
PEER = ("198.18.0.2", 40000)
ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
WND = 65535  # the stack's constant receive window (conform --rcv-wnd 65535)


def ip4(src: str, dst: str, tcp: bytes, ident: int) -> bytes:
    def raw(a):
        return bytes(int(x) for x in a.split("."))

    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident, 0x4000, 64, 6, 0, raw(src), raw(dst))
    s = int.from_bytes(h, "big") % 0xFFFF or 0xFFFF
    return h[:10] + struct.pack("!H", ~s & 0xFFFF) + h[12:] + tcp


@dataclass
class Probe:
    frames: list = field(default_factory=list)  # (time, frame bytes)
    answers: dict = field(default_factory=dict)  # step name -> frames (1-based) of the stack's answers
    peer_frames: dict = field(default_factory=dict)  # step name -> frame of the peer's segment
    stack_iss: int = 0
    peer_iss: int = 0
    t: float = 1_700_000_000.0

    def record(self, src, dst, seg: Segment) -> int:
        self.t += 0.005  # 5 ms apart: nothing here is within the capture-reorder window
        tcp = encode(seg, src[0], dst[0], src[1], dst[1])
        self.frames.append((self.t, ETH + ip4(src[0], dst[0], tcp, len(self.frames) + 1)))
        return len(self.frames)

    def write(self, path: str) -> str:
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, fr in self.frames:
                sec = int(t)
                f.write(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)), len(fr), len(fr)) + fr)
        return path


def probes(p: int, s: int) -> list[tuple[str, Segment]]:
    """The probes, for a peer with ISS p against a stack with ISS s (after the
    first, the SYN, s must be the stack's ISS as its SYN,ACK shows)."""
    return [
        ("syn", Segment.of("SYN", seq=p, wnd=WND)),
        ("ack", Segment.of("ACK", seq=p + 1, ack=s + 1, wnd=WND)),
        ("data", Segment.of("ACK", seq=p + 1, ack=s + 1, data=b"0123456789", wnd=WND)),
        ("syn-in-window", Segment.of("SYN", seq=p + 11 + 5, wnd=WND)),  # RFC 5961 4: challenge ACK
        ("rst-inexact", Segment.of("RST", seq=p + 11 + 20)),  # RFC 5961 3: challenge ACK
        ("ack-unsent", Segment.of("ACK", seq=p + 11, ack=s + 1 + 5000, wnd=WND)),  # 3.10.7.4: an ACK, drop
        ("rst-outside", Segment.of("RST", seq=p + 11 + (1 << 31))),  # silence
        ("data-outside", Segment.of("ACK", seq=p + 11 + (1 << 30) + 70000, ack=s + 1, data=b"x" * 10,
                                    wnd=WND)),  # beyond any window: a duplicate ACK, the data dropped
        ("data-more", Segment.of("ACK", seq=p + 11, ack=s + 1, data=b"abcde", wnd=WND)),
        ("rst-exact", Segment.of("RST", seq=p + 16)),  # reset: CLOSED
        ("after-reset", Segment.of("ACK", seq=p + 16, ack=s + 1, data=b"late", wnd=WND)),  # RST from CLOSED
    ]


def probe_impl(path: str, stack_iss: int = 0xFFFFFF00, peer_iss: int = 0x10000000) -> Probe:
    """The RFC 5961 probes against impl's endpoint, in LISTEN (passive OPEN)."""
    ep = Endpoint(iss=stack_iss, rcv_wnd=WND, four_tuple=(*STACK, *PEER))
    pr = Probe(stack_iss=stack_iss, peer_iss=peer_iss)
    ep.open(active=False)
    for name, seg in probes(peer_iss, stack_iss):
        pr.peer_frames[name] = pr.record(PEER, STACK, seg)
        pr.answers[name] = [pr.record(STACK, PEER, o) for o in ep.segment_arrives(seg)]
    pr.write(path)
    return pr


def rewrite(src: str, dst: str, changes: dict, stack=STACK, peer=PEER) -> str:
    """Copy a probe capture with some frames replaced (frame -> Segment from
    the stack, or None to drop it); the rest byte for byte."""
    from checker.traces.pcapfile import frames

    out = Probe()
    for fr in frames(src):
        if fr.number in changes:
            seg = changes[fr.number]
            if seg is None:
                continue
            tcp = encode(seg, stack[0], peer[0], stack[1], peer[1])
            out.frames.append((fr.time, fr.data[:14] + ip4(stack[0], peer[0], tcp, 9999)))
        else:
            out.frames.append((fr.time, fr.data))
    return out.write(dst)
