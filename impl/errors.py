"""Typed errors for illegal user calls and timeouts (RFC 9293 3.10)."""

from __future__ import annotations

__all__ = [
    "TcpError",
    "ConnectionExists",
    "ConnectionDoesNotExist",
    "ConnectionClosing",
    "NotModelled",
    "InsufficientResources",
    "ForeignSocketUnspecified",
    "TimerNotRunning",
]


class TcpError(Exception):
    """An RFC 9293 error response.

    ``reason`` is the RFC's string without the ``"error: "`` prefix
    (``"connection closing"``); ``str(exc)`` is the full response
    (``"error: connection closing"``).  The endpoint is left unchanged.
    """

    reason: str = "error"

    def __init__(self, reason: str | None = None) -> None:
        if reason is not None:
            self.reason = reason
        super().__init__(f"error: {self.reason}")


class ConnectionExists(TcpError):
    """3.10.1 OPEN in a state other than CLOSED / LISTEN."""

    reason = "connection already exists"


class ConnectionDoesNotExist(TcpError):
    """3.10.2-3.10.5 a call on a CLOSED endpoint (no TCB)."""

    reason = "connection does not exist"


class ConnectionClosing(TcpError):
    """3.10.2 SEND / 3.10.4 CLOSE after our FIN (or in TIME-WAIT)."""

    reason = "connection closing"


class NotModelled(TcpError):
    """A call the RFC allows but the modelled subset excludes (DECISIONS.md)."""

    reason = "not modelled"


class TimerNotRunning(TcpError):
    """3.10.8 a timeout whose timer is not running."""

    reason = "timer not running"


class InsufficientResources(TcpError):
    """3.10.2 SEND with no space to remember the buffer: before ESTABLISHED
    (no queue) and beyond the peer's window (DECISIONS.md)."""

    reason = "insufficient resources"


class ForeignSocketUnspecified(TcpError):
    """3.10.2 SEND in LISTEN: the listening connection names no peer."""

    reason = "foreign socket unspecified"
