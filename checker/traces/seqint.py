"""The wrap-aware arithmetic and comparisons of RFC 9293 3.4, as `model.seq`
defines them, on Python ints only: the trace search runs them millions of
times, and the general ones also build expressions and z3 terms."""

from __future__ import annotations

from model.seq import HALF, MASK


def add(a: int, b: int) -> int:
    return (a + b) & MASK


def sub(a: int, b: int) -> int:
    return (a - b) & MASK


def lt(a: int, b: int) -> bool:
    return ((a - b) & MASK) >= HALF


def le(a: int, b: int) -> bool:
    return a == b or ((a - b) & MASK) >= HALF
