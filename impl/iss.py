"""Initial sequence number selection, RFC 9293 3.4.1.

    ISN = M + F(localip, localport, remoteip, remoteport, secretkey)

M is the 4-microsecond clock (MUST-8: a clock-driven ISN), F a keyed
pseudorandom function that cannot be computed from the outside (SHLD-1,
MUST-9): here BLAKE2b keyed with a random 16-byte secret.  The clock is a
callable returning microseconds, supplied by the caller (sans-IO).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from typing import Callable

from .seqnum import MASK

__all__ = ["IssGenerator", "four_tuple_bytes"]

FourTuple = tuple[object, int, object, int]


def _ip_bytes(ip: object) -> bytes:
    if isinstance(ip, (bytes, bytearray)):
        if len(ip) not in (4, 16):
            raise ValueError(f"an IP address is 4 or 16 bytes, got {len(ip)}")
        return bytes(ip)
    return ipaddress.ip_address(ip).packed  # type: ignore[arg-type]


def four_tuple_bytes(localip: object, localport: int, remoteip: object, remoteport: int) -> bytes:
    """The connection identifier fed to F, in a fixed unambiguous layout."""
    for port in (localport, remoteport):
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"port {port} out of range")
    lip, rip = _ip_bytes(localip), _ip_bytes(remoteip)
    return (
        len(lip).to_bytes(1, "big") + lip + localport.to_bytes(2, "big")
        + len(rip).to_bytes(1, "big") + rip + remoteport.to_bytes(2, "big")
    )


class IssGenerator:
    """Clock-driven, keyed ISS generator (3.4.1)."""

    def __init__(self, clock: Callable[[], int], secret: bytes | None = None) -> None:
        if secret is None:
            secret = secrets.token_bytes(16)
        if not 1 <= len(secret) <= 64:
            raise ValueError("secret must be 1..64 bytes (BLAKE2b key)")
        self._clock = clock
        self._secret = bytes(secret)

    def f(self, localip: object, localport: int, remoteip: object, remoteport: int) -> int:
        """F(): keyed BLAKE2b over the 4-tuple, as a 32-bit integer (MUST-9)."""
        h = hashlib.blake2b(
            four_tuple_bytes(localip, localport, remoteip, remoteport),
            key=self._secret,
            digest_size=4,
        )
        return int.from_bytes(h.digest(), "big")

    def m(self) -> int:
        """M: the clock in 4-microsecond ticks (MUST-8)."""
        return int(self._clock()) // 4

    def iss(self, localip: object, localport: int, remoteip: object, remoteport: int) -> int:
        """ISN = M + F(localip, localport, remoteip, remoteport, secretkey), mod 2**32 (SHLD-1)."""
        return (self.m() + self.f(localip, localport, remoteip, remoteport)) & MASK

    __call__ = iss
