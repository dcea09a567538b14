"""Events of RFC 9293 3.10: user calls, segment arrivals, timeouts.

Every event and segment has a repr that is valid Python, so a failing
hypothesis program or a counterexample can be pasted back as a test.
Events are frozen dataclasses, not tuples: Open(True) must never equal
Send(1) (they key the engine's cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple


class Segment(NamedTuple):
    """A segment as the model sees it (3.1): control bits, SEQ, ACK,
    octets of data (a count: the model does not carry bytes) and WND."""

    seq: int
    ack: int = 0
    syn: bool = False
    ackf: bool = False
    fin: bool = False
    rst: bool = False
    data: int = 0
    wnd: int = 0

    @property
    def len(self) -> int:
        """SEG.LEN of 3.3.1: data octets plus one for SYN and one for FIN."""
        return self.data + self.syn + self.fin

    def flags(self) -> str:
        names = [n for n, on in (("SYN", self.syn), ("RST", self.rst), ("FIN", self.fin),
                                 ("ACK", self.ackf)) if on]
        return ",".join(names)

    def brief(self) -> str:
        """RFC 9293 figure notation: <SEQ=100><ACK=301><CTL=SYN,ACK><DATA=1>."""
        out = f"<SEQ={self.seq}>"
        if self.ackf:
            out += f"<ACK={self.ack}>"
        out += f"<CTL={self.flags()}>" if self.flags() else ""
        if self.data:
            out += f"<DATA={self.data}>"
        return out


@dataclass(frozen=True, slots=True)
class Open:
    active: bool
    iss: int | None = None  # NEW.ISS: the ISN generator's choice (None: the endpoint's current ISS)

    @property
    def kind(self) -> str:
        return "OPEN-ACTIVE" if self.active else "OPEN-PASSIVE"

    def __str__(self):
        return "OPEN (active)" if self.active else "OPEN (passive)"


@dataclass(frozen=True, slots=True)
class Send:
    length: int

    kind: ClassVar[str] = "SEND"

    def __str__(self):
        return f"SEND ({self.length} octets)"


@dataclass(frozen=True, slots=True)
class Close:
    kind: ClassVar[str] = "CLOSE"

    def __str__(self):
        return "CLOSE"


@dataclass(frozen=True, slots=True)
class Abort:
    kind: ClassVar[str] = "ABORT"

    def __str__(self):
        return "ABORT"


@dataclass(frozen=True, slots=True)
class Receive:
    kind: ClassVar[str] = "RECEIVE"

    def __str__(self):
        return "RECEIVE"


@dataclass(frozen=True, slots=True)
class Status:
    kind: ClassVar[str] = "STATUS"

    def __str__(self):
        return "STATUS"


TIMEOUT_KINDS = {"retransmission": "RETRANSMISSION-TIMEOUT", "user": "USER-TIMEOUT",
                 "time-wait": "TIME-WAIT-TIMEOUT"}


@dataclass(frozen=True, slots=True)
class Timeout:
    which: str  # "retransmission", "user" or "time-wait"

    @property
    def kind(self) -> str:
        return TIMEOUT_KINDS[self.which]

    def __str__(self):
        return f"{self.which.upper()} TIMEOUT"


@dataclass(frozen=True, slots=True)
class Arrive:
    segment: Segment
    iss: int | None = None  # NEW.ISS, for a SYN that creates a TCB in LISTEN (None: the current ISS)

    kind: ClassVar[str] = "SEGMENT"

    def __str__(self):
        return f"rcv {self.segment.brief()}"


USER_KINDS = ("OPEN-ACTIVE", "OPEN-PASSIVE", "SEND", "RECEIVE", "CLOSE", "ABORT", "STATUS")
EVENT_KINDS = USER_KINDS + tuple(TIMEOUT_KINDS.values())
