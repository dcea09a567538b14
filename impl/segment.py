"""The abstract TCP segment exchanged by :class:`impl.endpoint.Endpoint`.

Only the fields RFC 9293 3.10 reasons about: SEG.SEQ, SEG.ACK, the four
control bits SYN/ACK/FIN/RST, SEG.WND and the text.  Ports, options, URG
and PSH live in :mod:`impl.wire`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .seqnum import MASK

__all__ = ["Segment", "FLAG_ORDER"]

# Spelling order used by flags_str(); matches the RFC's "<CTL=SYN,ACK>",
# "<CTL=FIN,ACK>", "<CTL=RST,ACK>".
FLAG_ORDER = ("SYN", "FIN", "RST", "ACK")


@dataclass(frozen=True)
class Segment:
    """One TCP segment.

    ``seq`` and ``ack`` are reduced modulo 2**32 on construction, so
    ``Segment(seq=iss + 1)`` is right even when ``iss == 2**32 - 1``.
    ``ack`` is the acknowledgment *number*; ``ack_flag`` is the ACK bit.
    """

    seq: int
    ack: int = 0
    syn: bool = False
    ack_flag: bool = False
    fin: bool = False
    rst: bool = False
    data: bytes = b""
    wnd: int = 0

    def __post_init__(self) -> None:
        # 3.10: all sequence arithmetic is modulo 2**32.
        object.__setattr__(self, "seq", int(self.seq) & MASK)
        object.__setattr__(self, "ack", int(self.ack) & MASK)
        # 3.1 MUST-1 / REC-1: windows are unsigned, kept in 32 bits.
        object.__setattr__(self, "wnd", int(self.wnd) & MASK)
        for name in ("syn", "ack_flag", "fin", "rst"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        if not isinstance(self.data, bytes):
            if isinstance(self.data, (bytearray, memoryview)):
                object.__setattr__(self, "data", bytes(self.data))
            else:
                raise TypeError(f"Segment.data must be bytes, not {type(self.data).__name__}")

    # -- constructors ----------------------------------------------------
    @classmethod
    def of(cls, ctl: str, seq: int, ack: int = 0, data: bytes = b"", wnd: int = 0) -> "Segment":
        """Build from an RFC-style control string: ``Segment.of("SYN,ACK", seq=..., ack=...)``.

        ``ctl`` is a comma-separated subset of SYN, ACK, FIN, RST (or "").
        """
        names = {part.strip().upper() for part in ctl.split(",") if part.strip()}
        unknown = names - set(FLAG_ORDER)
        if unknown:
            raise ValueError(f"unknown control bits {sorted(unknown)}")
        return cls(
            seq=seq,
            ack=ack,
            syn="SYN" in names,
            ack_flag="ACK" in names,
            fin="FIN" in names,
            rst="RST" in names,
            data=data,
            wnd=wnd,
        )

    # -- derived ---------------------------------------------------------
    @property
    def len(self) -> int:
        """SEG.LEN (3.3.1): octets of data plus one for SYN and one for FIN."""
        return len(self.data) + int(self.syn) + int(self.fin)

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(name for name in FLAG_ORDER if self._flag(name))

    def _flag(self, name: str) -> bool:
        return {"SYN": self.syn, "ACK": self.ack_flag, "FIN": self.fin, "RST": self.rst}[name]

    def flags_str(self) -> str:
        """Control bits as the RFC writes them: ``"SYN,ACK"``, ``"RST"``, ``""``."""
        return ",".join(name for name in FLAG_ORDER if self._flag(name))

    def __str__(self) -> str:
        parts = [f"<SEQ={self.seq}>"]
        if self.ack_flag:
            parts.append(f"<ACK={self.ack}>")
        parts.append(f"<CTL={self.flags_str()}>")
        if self.data:
            parts.append(f"<DATA={len(self.data)}>")
        return "".join(parts)
