"""The eleven connection states of RFC 9293 3.3.2, printing their RFC spelling."""

from __future__ import annotations

import enum


class State(enum.Enum):
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

    # Members are singletons compared by identity: hash them so too (Enum's
    # own __hash__ is Python code, and configurations are hashed millions of
    # times by the explorer and by conform).
    __hash__ = object.__hash__

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"State.{self.name}"

    @classmethod
    def parse(cls, text: str) -> "State":
        """'SYN-SENT', 'SYN_SENT' or 'syn-sent' -> State.SYN_SENT."""
        key = text.strip().upper().replace("-", "_")
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown state {text!r}") from None


S = State
# 3.3.2: "synchronized" states: both sides know each other's ISN.
SYNCHRONIZED = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT,
                          S.CLOSING, S.LAST_ACK, S.TIME_WAIT})
# 3.10.7.4 applies to these; 3.10.7.1-3 to CLOSED, LISTEN, SYN-SENT.
OTHER_STATES = frozenset({S.SYN_RECEIVED}) | SYNCHRONIZED
