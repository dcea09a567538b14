"""The shape memo of trace checking: one endpoint's judgment of one segment,
computed once per shape and reused.

RFC 9293 3.4: the rules compare sequence numbers with each other, never with
a fixed number. So what an endpoint's set of configurations becomes when it
sends segment `o` depends only on the *shape* of the situation: the
configurations, the pending, queued and ghost segments of the peer and `o`
itself, with every sequence number of the endpoint taken relative to
SEG.SEQ of `o` and every number of the peer relative to SEG.ACK of `o`, and
queue positions relative to the oldest one still referenced. The thousandth
data segment of a bulk transfer, and the handshake of the ten-thousandth
short connection, meet the shape of an earlier one: the search is skipped.

This rests on the rows, and is checked on them (`memo_blocker`) before it
is used: every row of every state must pass the type check of
`checker.traces.invariance` (own points, peer points, lengths), except rows
of CLOSED, LISTEN or SYN-SENT that only fire on a segment with neither ACK
nor RST (the earlier rows of their step take those); the standard table
has one, 3.10.7.1's <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, whose fixed
SEQ=0 could only match an observed RST. A shape is therefore used only
when `o` is no RST or every peer segment it holds carries ACK or RST. The
ghosts (old pure acknowledgments, `Side.trim`) can only draw a reset, from
CLOSED or LISTEN: unless `o` is an RST, only their positions are in the shape.

SND.UNA (with the canonical forms of the fast search, `Elements`): an
endpoint that may have lost every acknowledgment keeps SND.UNA where it
was, so its distance from SND.NXT grows and no shape would repeat. But a
step compares SND.UNA only with numbers the shape holds (SEG.SEQ and the end
of `o`, SEG.ACK of the peer's segments, SND.NXT), and every new value it
gives SND.UNA is one of them; so SND.UNA is raised to just below the
nearest of them (when that flips no comparison across 2^31) before the
search, and put back where it was afterwards.

A side whose last segment was found in the memo is kept as its shape and
the three bases (own, peer, queue position): `Side` builds its
configurations again only when the next segment's shape is new, so a
segment of a known shape costs the comparison of its pending segments, not
of its configurations.
"""

from __future__ import annotations

from typing import NamedTuple

from checker.traces.invariance import row_problem
from checker.traces.options import UNA_STATES, UNKNOWN, S
from model.seq import HALF
from model.config import Config
from model.machine import Model
from model.rows import SEGMENT
from model.seq import MASK

_FREE = (S.CLOSED, S.LISTEN)  # no sequence number in their configurations (the TCB is fresh)
_PEERLESS = (S.CLOSED, S.LISTEN, S.SYN_SENT)  # no number of the peer (IRS not known yet)
LIMIT = 400_000  # configurations held by the stored shapes (about 150 MB); then the memo starts again


def memo_blocker(model: Model) -> str | None:
    """None if shapes may be used with this table; else why not."""
    for r in model.rows:
        why = row_problem(r)
        if why is None:
            continue
        if r.on != SEGMENT or r.state not in (S.CLOSED, S.LISTEN, S.SYN_SENT):
            return f"{r.name}: {why}"
        before = [c.row for c in model.index[(r.state, SEGMENT)]]
        guards = {str(x.when) for x in before[:before.index(r)]}
        if not {"CTL.ACK", "CTL.RST"} <= guards:
            return f"{r.name}: {why} (and it may fire on a segment with ACK or RST)"
    return None


def shift(c: Config, do: int, dp: int) -> Config:
    """c with its own numbers moved by -do and its peer's by -dp (mod 2^32)."""
    st = c.state
    if st in _FREE:
        return c
    iss = c.iss if c.iss == UNKNOWN else (c.iss - do) & MASK
    if st is S.SYN_SENT:  # IRS and RCV.NXT not known yet: not numbers of the peer
        return Config(st, c.passive, iss, c.irs, (c.snd_una - do) & MASK, (c.snd_nxt - do) & MASK,
                      c.snd_wnd, c.rcv_nxt, c.rcv_wnd)
    return Config(st, c.passive, iss, (c.irs - dp) & MASK, (c.snd_una - do) & MASK,
                  (c.snd_nxt - do) & MASK, c.snd_wnd, (c.rcv_nxt - dp) & MASK, c.rcv_wnd)


def normalize(items, do: int, dp: int, di: int) -> frozenset:
    """Elements ((c, g, q), i) as a shape: numbers relative to the bases."""
    return frozenset((shift(c, do, dp), tuple(x - di for x in g), tuple(x - di for x in q), i - di)
                     for (c, g, q), i in items)


def materialize(shape, do: int, dp: int, di: int, into) -> None:
    """Fill the empty Elements `into` with the shape, moved back to the bases."""
    d, groups, group = into.d, into.groups, into._group
    bo, bp = -do & MASK, -dp & MASK
    for c, g, q, i in shape:
        c = shift(c, bo, bp)
        k = (c, tuple(x + di for x in g), tuple(x + di for x in q))
        d[k] = i + di
        groups.setdefault(group(c), set()).add(k)


def _raise(shape, marks) -> tuple[frozenset, dict]:
    """The shape with SND.UNA (and ISS = SND.UNA - 1) of each element raised to
    just below the nearest number a step may compare it with (when no number
    below it would come within 2^31), and {raised SND.UNA: original} (the
    lowest original, which imitates the others)."""
    out, back = [], {}
    for e in shape:
        c = e[0]
        if c.state in UNA_STATES and c.snd_una != c.iss:
            una = c.snd_una
            near = min((v - una) & MASK for v in (*marks, c.snd_nxt))
            up = near - 1
            if 1 < near < HALF and not any(HALF <= (v - una) & MASK < HALF + up for v in marks):
                new = (una + up) & MASK
                old = back.get(new)
                if old is None or (c.snd_nxt - una) & MASK > (c.snd_nxt - old) & MASK:
                    back[new] = una
                e = (c._replace(snd_una=new, iss=(new - 1) & MASK), *e[1:])
        out.append(e)
    return frozenset(out), back


def _lower(shape, back: dict, ddo: int) -> frozenset:
    """Undo _raise on a shape whose own base moved by `ddo` since."""
    if not back:
        return shape
    moved = {(k - ddo) & MASK: (v - ddo) & MASK for k, v in back.items()}
    out = []
    for e in shape:
        c = e[0]
        una = moved.get(c.snd_una) if c.state in UNA_STATES else None
        if una is not None:
            e = (c._replace(snd_una=una, iss=(una - 1) & MASK), *e[1:])
        out.append(e)
    return frozenset(out)


class Judged(NamedTuple):
    """What the memo holds for one shape: the next shape (relative to the
    next bases), how far the bases moved, and the tolerances used."""

    shape: frozenset
    facts: tuple  # facts(shape)
    ddo: int
    ddp: int
    ddi: int
    used: dict
    cut: int  # configurations the beam dropped (Side.cut)


def facts(shape) -> tuple:
    """Of a shape: the first queue position referred to without and with the
    ghosts; whether no element has numbers of the peer, of its own; whether
    any may have its SND.UNA raised. (Raising or lowering SND.UNA changes none.)"""
    return (min((min(i, *q) if q else i for c, g, q, i in shape), default=0),
            min((min(i, *q, *g) if q or g else i for c, g, q, i in shape), default=0),
            all(e[0].state in _PEERLESS for e in shape), all(e[0].state in _FREE for e in shape),
            any(e[0].state in UNA_STATES for e in shape))


def judge(side, o, wupdate: bool, search):
    """Side `side` sends `o`: through the memo. `search()` runs the real
    search on side.elems and returns (the Elements after, tolerances used),
    or None: `o` is a violation, nothing is stored. Returns the shape state (shape, do, dp,
    di) after, and the tolerances used; or None when no shape applies or on
    a violation (then the caller has side.elems and the search's result)."""
    norm = side.norm
    if norm is None:
        elems = side.elems.d
        if not elems:
            return None
        do, dp = o.seq, (o.ack if o.ackf else 0)
        di = min(min(i, *g, *q) if g or q else i for (c, g, q), i in elems.items())
        shape = normalize(elems.items(), do, dp, di)
        f = facts(shape)
    else:
        shape, do, dp, di, f = norm
    if norm is not None:
        # a base that no number of the shape is relative to is moved to o's (so shapes repeat)
        if o.ackf and dp != o.ack and f[2]:
            dp = o.ack
        if do != o.seq and f[3]:
            do = o.seq
    # a late ghost may still draw a reset from CLOSED or LISTEN: otherwise their positions suffice
    start = f[1] if o.rst else f[0]
    inbox = side.inbox
    segs = []
    acks = []
    for k in range(di + start, len(inbox)):
        s = inbox[k].segment
        if o.rst and not (s.ackf or s.rst):
            return None
        a = (s.ack - do) & MASK if s.ackf else 0
        if s.ackf:
            acks.append(a)
        segs.append(((s.seq - dp) & MASK, a, s.syn, s.ackf, s.fin, s.rst, s.data, s.wnd))
    oseq, oack = (o.seq - do) & MASK, (o.ack - dp) & MASK if o.ackf else o.ack
    back = {}
    if side.engine.fast and f[4]:
        shape, back = _raise(shape, (oseq, (oseq + o.len) & MASK, *acks))
    key = (shape, oseq, oack, o.syn, o.ackf, o.fin, o.rst, o.data, o.wnd, wupdate, start, tuple(segs))
    shapes = side.engine.shapes
    hit = shapes.get(key)
    if hit is None:
        if back or norm is not None:
            side.elems = side.fresh()
            materialize(shape, do, dp, di, side.elems)
        cut = side.cut
        found = search()
        if found is None:
            return None
        posts, used = found
        ndo, ndp = o.seq, (o.ack if o.ackf else dp)
        ndi = min((min(i, *g, *q) if g or q else i for (c, g, q), i in posts.items()), default=di)
        nshape = normalize(posts.items(), ndo, ndp, ndi)
        hit = Judged(nshape, facts(nshape), (ndo - do) & MASK, (ndp - dp) & MASK, ndi - di, used,
                     side.cut - cut)
        engine = side.engine
        engine.shape_cells += len(nshape) + len(shape) + 1
        if engine.shape_cells >= LIMIT:
            shapes.clear()
            engine.shape_cells = len(nshape) + len(shape) + 1
        shapes[key] = hit
    else:
        side.cut += hit.cut
    return (_lower(hit.shape, back, hit.ddo), (do + hit.ddo) & MASK, (dp + hit.ddp) & MASK,
            di + hit.ddi, hit.facts), dict(hit.used)
