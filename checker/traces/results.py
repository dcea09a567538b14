"""What trace checking finds, per connection and per file: three outcomes
(conformant, violation, not checked with its reason), every violation with
its frame, the endpoint, the configurations the table allowed (RFC 9293 3.3.2,
3.4) and what they could have sent, and the tolerances a verdict rests on."""

from __future__ import annotations

from dataclasses import dataclass, field

from checker.traces.capture import Packet, endpoint_text
from checker.traces.options import S
from model.config import Config
from model.events import Segment

CONFORMS, VIOLATION, NOT_CHECKED = "conformant", "violation", "not checked"
OUTCOMES = (CONFORMS, VIOLATION, NOT_CHECKED)


def cfg_text(c: Config) -> str:
    """A configuration as the report prints it (ISS and IRS only where a
    rule still reads them: SYN-SENT, SYN-RECEIVED)."""
    if c.state in (S.CLOSED, S.LISTEN):
        return str(c.state)
    head = f"{c.state} "
    if c.state in (S.SYN_SENT, S.SYN_RECEIVED):
        head += f"ISS={c.iss} IRS={c.irs} "
    return head + f"SND.UNA={c.snd_una} SND.NXT={c.snd_nxt} RCV.NXT={c.rcv_nxt}"


@dataclass
class Violation:
    index: int  # 1-based position in the connection
    packet: Packet
    sender: str  # "A" or "B"
    segment: Segment
    allowed: list  # configurations of the sender just before
    pending: list  # (frame, segment) the sender might still receive
    expected: list  # (segment, how, rows) it could have sent; rows: the names of the rows that fire
    note: str = ""
    endpoint: str = ""  # address:port of the sender
    uncertain: str = ""  # why it may be no violation (the search had cut configurations)

    def as_json(self) -> dict:
        p = self.packet
        return {"frame": p.frame, "index": self.index, "time": p.time, "sender": self.sender,
                "endpoint": self.endpoint or endpoint_text(p.src, p.sport),
                "from": endpoint_text(p.src, p.sport), "to": endpoint_text(p.dst, p.dport),
                "flags": p.flag_names(), "segment": self.segment.brief(),
                "allowed": [cfg_text(c) for c in self.allowed],
                "pending": [{"frame": f, "segment": s.brief()} for f, s in self.pending],
                "expected": [{"segment": s.brief(), "by": how, "rows": list(rows)}
                             for s, how, rows in self.expected],
                "note": self.note, "uncertain": self.uncertain}


@dataclass
class ConnectionResult:
    a: tuple  # (address, port) of the endpoint that sent the first segment
    b: tuple
    segments: int = 0
    frames: tuple = (0, 0)  # first and last frame
    status: str = CONFORMS
    violations: list = field(default_factory=list)
    reason: str = ""  # why not checked
    tolerances: dict = field(default_factory=dict)  # name -> times used
    side_tolerances: dict = field(default_factory=dict)  # side -> name -> times used
    incarnations: int = 0
    mid_connection: bool = False
    duplicates: int = 0
    configs: dict = field(default_factory=dict)  # side -> size of its final set
    judged: dict = field(default_factory=dict)  # side -> segments judged
    unreadable: list = field(default_factory=list)  # BadFrames of this connection
    bad_checksums: int = 0  # segments the receiver drops (judged as sent, never received)
    resynchronised: int = 0  # times a side was placed anew after a violation or a cap
    more_violations: int = 0  # beyond --max-violations: not reported, not judged
    roles: str = ""  # how client and server were told apart (for --judge client/server)

    def count(self, side: str, name: str, n: int = 1) -> None:
        """A tolerance used for a segment of `side`. The dicts are replaced,
        never changed: a connection's saved states share them."""
        self.tolerances = {**self.tolerances, name: self.tolerances.get(name, 0) + n}
        d = self.side_tolerances.get(side, {})
        self.side_tolerances = {**self.side_tolerances, side: {**d, name: d.get(name, 0) + n}}

    @property
    def name(self) -> str:
        return f"{endpoint_text(*self.a)} -> {endpoint_text(*self.b)}"

    @property
    def violation(self) -> Violation | None:
        return self.violations[0] if self.violations else None

    def endpoint(self, side: str) -> str:
        return endpoint_text(*(self.a if side == "A" else self.b))

    def settle(self) -> None:
        """The verdict: a violation before any unreadable frame of the
        connection is certain; one after it may follow from the frame not
        read, so the connection is then not checked (and says why)."""
        first_bad = min((b.frame for b in self.unreadable), default=None)
        sure = [v for v in self.violations if not v.uncertain]
        if sure and (first_bad is None or sure[0].packet.frame < first_bad):
            self.status = VIOLATION
            return
        if self.violations and first_bad is None:
            v = self.violations[0]
            self.status = NOT_CHECKED
            self.reason = f"the violation at frame {v.packet.frame} is uncertain: {v.uncertain}" + \
                ("; " + self.reason if self.reason else "")
            return
        if first_bad is not None:
            b = next(b for b in self.unreadable if b.frame == first_bad)
            why = f"frame {b.frame} unreadable ({b.reason})"
            if self.violations:
                why += f"; the violation at frame {self.violations[0].packet.frame} may follow from it"
            self.status, self.reason = NOT_CHECKED, why + ("; " + self.reason if self.reason else "")
        elif self.reason:
            self.status = NOT_CHECKED

    def as_json(self) -> dict:
        return {"a": endpoint_text(*self.a), "b": endpoint_text(*self.b), "segments": self.segments,
                "frames": list(self.frames), "verdict": self.status, "status": self.status,
                "reason": self.reason, "incarnations": self.incarnations,
                "mid_connection": self.mid_connection, "duplicates_ignored": self.duplicates,
                "tolerances": self.tolerances, "final_configurations": self.configs,
                "judged": {self.endpoint(k): v for k, v in self.judged.items()},
                "tolerances_by_endpoint": {self.endpoint(k): v for k, v in self.side_tolerances.items()},
                "bad_checksums": self.bad_checksums, "resynchronised": self.resynchronised,
                "unreadable_frames": [{"frame": b.frame, "reason": b.reason} for b in self.unreadable],
                "violations": [v.as_json() for v in self.violations],
                "more_violations": self.more_violations, "roles": self.roles,
                "violation": self.violation.as_json() if self.violation else None}


@dataclass
class Report:
    path: str
    model: str
    packets: int
    segments: int
    connections: list[ConnectionResult]
    skipped: dict
    seconds: float
    checksums: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # BadFrames (the first MAX_PROBLEMS)
    bad_frames: int = 0
    unattributed: list = field(default_factory=list)  # BadFrames of no known connection
    reassembled: int = 0
    error: str | None = None  # the file could not be read to its end

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.connections)

    @property
    def ok(self) -> bool:
        """No violation (what exit status 1 is about)."""
        return not any(c.status == VIOLATION for c in self.connections)

    @property
    def complete(self) -> bool:
        """Everything asked was checked: no connection not checked, no frame
        that belongs to no known connection, the file read to its end."""
        return self.error is None and not self.unattributed and not self.count(NOT_CHECKED)

    def as_json(self) -> dict:
        return {"file": self.path, "model": self.model, "packets": self.packets,
                "tcp_segments": self.segments, "skipped": self.skipped, "checksums": self.checksums,
                "reassembled_datagrams": self.reassembled, "bad_frames": self.bad_frames,
                "problems": [{"frame": b.frame, "reason": b.reason} for b in self.problems],
                "unattributed_frames": [b.frame for b in self.unattributed],
                "error": self.error, "seconds": round(self.seconds, 4),
                "segments_per_second": round(self.segments / self.seconds) if self.seconds else None,
                "ok": self.ok, "complete": self.complete,
                "conformant": self.count(CONFORMS), "violations": self.count(VIOLATION),
                "not_checked": self.count(NOT_CHECKED),
                "connections": [c.as_json() for c in self.connections]}

