"""The eleven connection states of RFC 9293 3.3.2 (Figure 5)."""

from __future__ import annotations

import enum

__all__ = ["State", "SYNCHRONIZED_STATES"]


class State(enum.Enum):
    """A TCP connection state; ``str(state)`` is the RFC spelling."""

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_rfc(cls, name: str) -> "State":
        """Look a state up by its RFC spelling (``"FIN-WAIT-1"``)."""
        return cls(name)


# 3.10.7.4: the states in which both sequence spaces are synchronized.
SYNCHRONIZED_STATES = frozenset(
    {
        State.ESTABLISHED,
        State.FIN_WAIT_1,
        State.FIN_WAIT_2,
        State.CLOSE_WAIT,
        State.CLOSING,
        State.LAST_ACK,
        State.TIME_WAIT,
    }
)
