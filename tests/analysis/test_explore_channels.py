"""The explorer's channel moves: a segment at any place may be lost (or,
with reordering, delivered), and equal segments at two places are two
different moves when something lies between them (found by comparing
with Spin on the Promela export: the explorer had treated them as one)."""

from __future__ import annotations

from checker.analysis.explore import TAG_BITS, _Space
from checker.analysis.options import Options
from model.events import Segment
from model.machine import standard


def _toward_a(order: str) -> tuple:
    """The space (capacity 2, loss, reordering), the start state with A's
    inbox holding the segments x and y in `order` (e.g. "xyx"), and x, y."""
    sp = _Space(standard(), Options(capacity=2, loss=True, old_syn=False, abort=False, reordering=True))
    a, b, _, _, bua, bub, old, ga, gb = sp.start()
    x = (sp.seg(Segment(seq=1, ack=5, ackf=True, wnd=4)) << TAG_BITS) | 1
    y = (sp.seg(Segment(seq=9, ack=5, syn=True, ackf=True, wnd=4)) << TAG_BITS) | 1
    inbox = tuple(x if c == "x" else y for c in order)
    return sp, (a, b, (), inbox, bua, bub, old, ga, gb), x, y


def _left_behind(sp, state, kind: str) -> set:
    return {h[3] for label, h in sp.successors(state) if label[0] == kind}


def test_losing_either_of_two_equal_segments_leaves_different_channels(monkeypatch):
    monkeypatch.setattr(_Space, "sort_reordered", False)  # the moves themselves, before sorting merges (x, y), (y, x)
    sp, state, x, y = _toward_a("xyx")
    assert _left_behind(sp, state, "lose") == {(y, x), (x, y), (x, x)}
    assert {(y, x), (x, y)} <= _left_behind(sp, state, "deliver")


def test_with_reordering_the_channels_left_behind_are_sorted():
    """Sorted, (x, y) and (y, x) are one channel: losing or delivering an x
    of y, x, x leaves (x, y), never (y, x) (space.sort_reordered)."""
    sp, state, x, y = _toward_a("yxx")
    assert _left_behind(sp, state, "lose") == {(x, y), (x, x)}
    assert (x, y) in _left_behind(sp, state, "deliver")
