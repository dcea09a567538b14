"""Judging an interop capture with `conform` (RFC 9293 3.10 through the table):
every connection on the device, both endpoints (the kernel and impl/'s
endpoint) against the standard table or a profile (model/variants/linux.py).

Segments the harness wrote itself (an attacker's RST, 3.10.7.4 second; RFC
5961) are no endpoint's output: they are given to the receiver as network
input, never judged as sent. `conform` judges both sides of every
connection; until it can judge one side only (its `--judge`, issue 15),
this module feeds such a segment straight into the receiver's queue of the
connection (`checker.traces.conform.Connection`), exactly as `Connection.feed`
does after judging a segment, without judging it.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.traces.capture import read
from checker.traces.conform import Connection, ConnectionResult, to_segment
from checker.traces.engine import Engine
from checker.traces.options import ConformOptions
from model.events import Arrive
from model.machine import Model


@dataclass
class Verdict:
    ok: bool
    connections: list[ConnectionResult]
    segments: int
    text: str  # one line: conformant, or the first violation

    def as_json(self) -> dict:
        return {"ok": self.ok, "segments": self.segments, "text": self.text,
                "connections": [c.as_json() for c in self.connections]}


def _feed_unjudged(c: Connection, p) -> None:
    """`p` arrives at its receiver without being judged as sent (see above)."""
    r = c.result
    r.frames = (r.frames[0], p.frame)
    r.segments += 1
    x = "A" if p.source == r.a else "B"
    c.last[x] = p
    (c.to_b if x == "A" else c.to_a).append(Arrive(to_segment(p, c.engine.opts.rcv_wnd)))
    c.frames[x].append(p.frame)


def judge(pcap: str, model: Model, injected: set[int] = frozenset(),
          opts: ConformOptions | None = None) -> Verdict:
    """Every connection of the capture `pcap`; `injected`: frame numbers the
    harness wrote (network input, not judged)."""
    cap = read(pcap)
    engine = Engine(model, opts or ConformOptions())
    conns: dict = {}
    order: list[Connection] = []
    for p in cap.packets:
        key = (p.source, p.destination) if p.source <= p.destination else (p.destination, p.source)
        c = conns.get(key)
        if c is None:
            c = conns[key] = Connection(engine, p)
            order.append(c)
        if p.frame in injected and not c.done:
            _feed_unjudged(c, p)
        else:
            c.feed(p)
    results = [c.finish() for c in order]
    bad = [c for c in results if c.status != "conformant"]
    segs = sum(c.segments for c in results)
    if not bad:
        tol = {}
        for c in results:
            for k, v in c.tolerances.items():
                tol[k] = tol.get(k, 0) + v
        text = f"{len(results)} connection{'s' if len(results) != 1 else ''} conformant to {model.name}" + \
            (f" (tolerated: {', '.join(f'{k} x{v}' for k, v in sorted(tol.items()))})" if tol else "")
        return Verdict(True, results, segs, text)
    c = bad[0]
    if c.status == "not checked":
        return Verdict(False, results, segs, f"{c.name}: not checked: {c.reason}")
    v = c.violation
    sender = f"{v.packet.src}:{v.packet.sport}"
    return Verdict(False, results, segs, f"{c.name}: frame {v.packet.frame} from {sender} "
                                         f"{v.segment.brief()} is no run of {model.name}")
