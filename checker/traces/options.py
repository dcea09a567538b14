"""Options of trace checking: the named tolerances for real-stack behaviour the
table abstracts away (each with the RFC 9293 section that allows it), the
constant receive window, and the limits of one connection's search."""

from __future__ import annotations

from dataclasses import dataclass

from model.events import Abort, Close, Open, Timeout
from model.machine import Model
from model.state import State

S = State
UNKNOWN = -1  # an ISS not yet fixed by a SYN
DEFAULT_RCV_WND = 1 << 30
SYNC = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK,
                  S.TIME_WAIT})
UNA_STATES = frozenset({S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK})
FIN_PENDING = frozenset({S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK})  # our FIN awaits its ACK
RECEIVING = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2})  # the peer may still send data

TOLERANCES = {
    "rst-ack": "3.10.5 ABORT: the reset may carry ACK=RCV.NXT (Linux sends RST,ACK)",
    "partial-retransmission": "3.10.8, 3.8.6.2.1: a retransmission may carry part of [SND.UNA, SND.NXT)",
    "data+fin": "3.10.4: the FIN may ride on the last data segment",
    "keep-alive": "3.8.4 MAY-5: <SEQ=SND.NXT-1><ACK=RCV.NXT> with 0 or 1 octet",
    "window-update": "3.8.6.2.2: a pure ACK that only advertises a new window",
    "ooo-queue": "3.10.7.4 SHLD-31: segments beyond RCV.NXT may be queued and taken when the gap fills",
    "syn-data": "3.5, 3.10.2, 3.10.7.3: a SYN may carry data (SND.NXT counts it); text on a SYN,ACK "
                "reaching SYN-SENT is processed",
    "super-segment": "capture artefact: a segment longer than the receiver's MSS (3.7.1) is an offloaded "
                     "(TSO/GSO/GRO) run of MSS-sized segments, judged as such",
    "capture-reorder": "capture artefact: segments recorded out of the order they were sent, within "
                       "the reorder window (a few segments and microseconds)",
}

# Extensions: behaviour beyond RFC 9293 that a stack may have, off unless asked for (--with NAME).
EXTENSIONS = {
    "tfo": "RFC 7413 TCP Fast Open: a listener may take the data of a SYN (its SYN,ACK acknowledges "
           "it) and send data in SYN-RECEIVED",
}

QUIET = (Open(False), Close(), Abort(), Timeout("user"), Timeout("time-wait"))
REXMIT = Timeout("retransmission")
K1, K2 = 0x13579BDF, 0x8ACE0246  # two ISS values: a step that reads the ISS tells them apart


class Inconclusive(Exception):
    pass


@dataclass(frozen=True)
class JudgeSpec:
    """One --judge value: an address with an optional port, or a role."""

    role: str = ""  # "client" (sent the connection's first SYN), "server", or "" for an address
    addr: str = ""
    port: int | None = None

    def __str__(self) -> str:
        if self.role:
            return self.role
        a = f"[{self.addr}]" if ":" in self.addr else self.addr
        return a if self.port is None else f"{a}:{self.port}"


def parse_judge(text: str) -> JudgeSpec:
    """'client', 'server', '198.18.0.1', '198.18.0.1:80', '[2001:db8::1]:80', '2001:db8::1'."""
    import ipaddress

    t = text.strip()
    if t in ("client", "server"):
        return JudgeSpec(role=t)
    addr, port = t, None
    if t.startswith("["):
        addr, _, rest = t[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: expected [ADDRESS]:PORT")
            port = rest[1:]
    elif t.count(":") == 1:
        addr, port = t.split(":")
    try:
        addr = ipaddress.ip_address(addr).compressed
        port = None if port is None else int(port)
    except ValueError:
        raise ValueError(f"{text!r}: expected client, server, or ADDRESS[:PORT]") from None
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"{text!r}: port {port} out of range")
    return JudgeSpec(addr=addr, port=port)


@dataclass(frozen=True)
class ConformOptions:
    """rcv_wnd: the constant RCV.WND of both endpoints. tolerances: the names
    (of TOLERANCES) in force. max_configs: give up on a connection (verdict
    inconclusive) when one set of configurations grows beyond this.
    ghosts: how many of the pending pure acknowledgments dropped from the
    front of a synchronized endpoint's queue are remembered (a closed
    endpoint answers each late one with a reset, 3.10.7.1).
    merge_duplicates: a packet byte for byte identical to the previous one
    of the same direction (IP identification, options and all) is the same
    transmission recorded twice (a capture on 'any', or on two interfaces
    of one path), not a retransmission; off by default, since without IP
    identification or timestamps a real retransmission can look the same.
    judge: see JudgeSpec; empty: both endpoints of every connection.
    max_violations: each endpoint's violations reported before it is no
    longer judged; after each the endpoint is placed anew (resynchronised)
    from the segments that follow."""

    rcv_wnd: int = DEFAULT_RCV_WND
    tolerances: frozenset = frozenset(TOLERANCES)
    max_configs: int = 50_000
    merge_duplicates: bool = False
    ghosts: int = 16
    keep: int = 32  # beyond this many configurations after a segment, keep those assuming fewest losses
    shapes: bool = True  # reuse a judgment of the same shape (checker.traces.memo); off: search every time
    judge: tuple = ()  # JudgeSpecs: judge only these endpoints (the others' segments are arbitrary input)
    max_violations: int = 5  # per connection and endpoint; then that endpoint is no longer judged
    reorder_segments: int = 3  # capture-reorder: how far a segment may be recorded out of place
    reorder_seconds: float = 0.001  # ... and how far apart in time
    extensions: frozenset = frozenset()  # names of EXTENSIONS in force


def sync_rows_standard(model: Model) -> bool:
    """The canonical forms above are argued for the standard rows of the
    synchronized states: use them only when those rows are unchanged."""
    from model.table import ROWS

    def rows_of(rows):
        return [r for r in rows if r.state in SYNC]

    return rows_of(model.rows) == rows_of(ROWS)
