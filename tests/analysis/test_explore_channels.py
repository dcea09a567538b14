"""The explorer's channel moves: a segment at any place may be lost (or,
with reordering, delivered), and equal segments at two places are two
different moves when something lies between them (found by comparing
with Spin on the Promela export: the explorer had treated them as one)."""

from __future__ import annotations

from checker.analysis.explore import TAG_BITS, _Space
from checker.analysis.options import Options
from model.events import Segment
from model.machine import standard


def test_losing_either_of_two_equal_segments_leaves_different_channels(monkeypatch):
    monkeypatch.setattr(_Space, "sort_reordered", False)  # the moves themselves, before sorting merges (x, y), (y, x)
    opts = Options(capacity=2, loss=True, old_syn=False, abort=False, reordering=True)
    sp = _Space(standard(), opts)
    a, b, _, _, bua, bub, old, ga, gb = sp.start()
    x = (sp.seg(Segment(seq=1, ack=5, ackf=True, wnd=4)) << TAG_BITS) | 1
    y = (sp.seg(Segment(seq=9, ack=5, syn=True, ackf=True, wnd=4)) << TAG_BITS) | 1
    state = (a, b, (), (x, y, x), bua, bub, old, ga, gb)  # toward A: x, y, x
    lost = {h[3] for label, h in sp.successors(state) if label[0] == "lose"}
    assert lost == {(y, x), (x, y), (x, x)}
    delivered = {h[3] for label, h in sp.successors(state) if label[0] == "deliver"}
    assert {(y, x), (x, y)} <= delivered


def test_with_reordering_the_channels_left_behind_are_sorted():
    """Sorted, (x, y) and (y, x) are one channel: losing or delivering either
    x leaves the same one (space.sort_reordered)."""
    opts = Options(capacity=2, loss=True, old_syn=False, abort=False, reordering=True)
    sp = _Space(standard(), opts)
    a, b, _, _, bua, bub, old, ga, gb = sp.start()
    x = (sp.seg(Segment(seq=1, ack=5, ackf=True, wnd=4)) << TAG_BITS) | 1
    y = (sp.seg(Segment(seq=9, ack=5, syn=True, ackf=True, wnd=4)) << TAG_BITS) | 1
    state = (a, b, (), (x, x, y), bua, bub, old, ga, gb)
    lost = {h[3] for label, h in sp.successors(state) if label[0] == "lose"}
    assert lost == {(x, y), (x, x)}
