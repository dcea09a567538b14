"""Counterexamples as capture files: a ladder (`checker.generate.ladder.ladder_json`)
written as a pcap that Wireshark, tcpdump and `conform` open.

Endpoint A is 198.18.0.1:40000, endpoint B is 198.18.0.2:50000 (Ethernet
02:00:00:00:00:01 and :02). The capture point sits at each sender: a segment
appears when the table sends it (a user call, a timeout, or the reply to a
delivery), in the order of the steps; deliveries, losses and duplications in
the network are not on the wire there and leave no packet. An old duplicate
SYN from an earlier incarnation (3.5 Figure 8) has no sender in the ladder,
so it appears when it arrives, as sent by the peer of its receiver.

Each segment of the model (`model.events.Segment`, 3.1) becomes one IPv4
TCP packet with its SEQ, ACK, control bits (SYN, ACK, FIN, RST), WND, and
`data` octets of payload (the model counts octets; their value is '.');
IP and TCP checksums are computed (scapy builds them). Step n is stamped
n milliseconds after 2001-09-09T01:46:40Z, so Wireshark's time column
counts the steps.
"""

from __future__ import annotations

import os

from checker.result import CheckResult

ADDR = {"A": ("198.18.0.1", 40000, "02:00:00:00:00:01"), "B": ("198.18.0.2", 50000, "02:00:00:00:00:02")}
T0 = 1_000_000_000.0
MASK = 0xFFFFFFFF


def _other(side: str) -> str:
    return "B" if side == "A" else "A"


def _packet(seg: dict, side: str, when: float):
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    src, sport, smac = ADDR[side]
    dst, dport, dmac = ADDR[_other(side)]
    flags = "".join(f for f, on in (("S", seg.get("syn")), ("F", seg.get("fin")), ("R", seg.get("rst")),
                                    ("A", seg.get("ackf"))) if on)
    tcp = TCP(sport=sport, dport=dport, seq=seg["seq"] & MASK, ack=(seg.get("ack") or 0) & MASK,
              flags=flags, window=min(int(seg.get("wnd") or 0), 0xFFFF))
    pkt = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, ttl=64) / tcp
    n = int(seg.get("data") or 0)
    if n:
        pkt = pkt / Raw(b"." * n)
    pkt = Ether(bytes(pkt))  # build now: lengths and checksums filled in
    pkt.time = when
    return pkt


def ladder_packets(steps: list[dict]) -> list:
    """The packets of a ladder, in order (see the module docstring)."""
    out = []
    for n, st in enumerate(steps, 1):
        when = T0 + n / 1000
        side = st["side"]
        if st["kind"] == "old-syn" and st.get("segment"):
            out.append(_packet(st["segment"], _other(side), when))
        for seg in st.get("sent") or ():
            out.append(_packet(seg, side, when))
    return out


def write_ladder_pcap(steps: list[dict], path: str) -> int:
    """Write the segments of a ladder to `path` (pcap); returns the packet count."""
    from scapy.utils import wrpcap

    pkts = ladder_packets(steps)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    wrpcap(path, pkts, linktype=1)
    return len(pkts)


def write_counterexample_pcap(result: CheckResult, path: str) -> int:
    """Write the counterexample ladder of a failed check as a pcap file.

    `result.counterexample["steps"]` is the list made by
    `checker.generate.ladder.ladder_json` (kind, side, segment, sent ...). Returns
    the number of packets written. Raises ValueError when the result has
    no ladder (a check that passed, or a counterexample of another kind:
    a row, a z3 model, a coverage gap)."""
    cex = result.counterexample or {}
    steps = cex.get("steps")
    if not steps:
        raise ValueError(f"{result.name}: no ladder counterexample to write as a pcap "
                         f"(kind {cex.get('kind', 'none')!r})")
    return write_ladder_pcap(steps, path)


def counterexample_filename(result: CheckResult, ext: str = "pcap") -> str:
    """A file name for a result's counterexample: check name and run options
    (`Options.label()`), e.g. 'graceful-close_k=1_loss+old_syn_no-abort_data=1_ISS=ffffffff,7fffffff.pcap'
    (`ext` "svg", "mmd" for the pictures of checker.generate.sequence)."""
    label = (result.run or "").replace("0x", "").replace("(", "").replace(")", "")
    keep = "".join(ch if ch.isalnum() or ch in "=-+,." else "_" for ch in label)
    keep = "_".join(p for p in keep.split("_") if p)
    return f"{result.name}{'_' + keep if keep else ''}.{ext}"
