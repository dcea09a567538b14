"""Sequence-number arithmetic modulo 2**32 (RFC 9293 3.4, 3.10).

Comparisons are wrap-aware: ``a < b`` means the signed 32-bit difference
``a - b`` is negative (the usual serial-number convention of RFC 1982, as
used by every real stack).
"""

from __future__ import annotations

__all__ = [
    "MOD",
    "MASK",
    "seq_add",
    "seq_sub",
    "seq_diff",
    "seq_lt",
    "seq_le",
    "seq_gt",
    "seq_ge",
    "seq_min",
]

MOD = 1 << 32
MASK = MOD - 1
_HALF = 1 << 31


def seq_add(a: int, n: int) -> int:
    """``a + n`` modulo 2**32."""
    return (a + n) & MASK


def seq_sub(a: int, n: int) -> int:
    """``a - n`` modulo 2**32."""
    return (a - n) & MASK


def seq_diff(a: int, b: int) -> int:
    """Signed 32-bit difference ``a - b`` in [-2**31, 2**31)."""
    d = (a - b) & MASK
    return d - MOD if d >= _HALF else d


def seq_lt(a: int, b: int) -> bool:
    return seq_diff(a, b) < 0


def seq_le(a: int, b: int) -> bool:
    return seq_diff(a, b) <= 0


def seq_gt(a: int, b: int) -> bool:
    return seq_diff(a, b) > 0


def seq_ge(a: int, b: int) -> bool:
    return seq_diff(a, b) >= 0


def seq_min(a: int, b: int) -> int:
    """The earlier of two sequence numbers."""
    return a if seq_le(a, b) else b
