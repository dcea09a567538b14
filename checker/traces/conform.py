"""Trace checking: is a captured TCP connection a run of the table?

Read RFC 9293 3.3.2 (states), 3.4 (sequence numbers), 3.5 (opening), 3.6
(closing), 3.10 (event processing) first; the model is `model/table.py`
(through `model.machine.Model.step`) and nothing else: this module adds no
TCP rule of its own, only the abstraction of a capture described here.

What a capture shows, and what it hides
---------------------------------------
For one connection (one 4-tuple) the capture is a sequence of segments,
each sent by endpoint A (the sender of the first one) or endpoint B. It
does not show user calls (OPEN, SEND, CLOSE, ABORT; 3.10.1-3.10.5),
timeouts (3.10.8), nor when a segment reached its receiver. We assume:

1. Each endpoint's own segments appear in the order it sent them, and a
   segment reaches its receiver, if at all, after it passed the capture
   point. Segments going opposite ways may cross in flight (simultaneous
   open and close, 3.5 Figure 7, 3.6 Figure 13).
2. After the capture point a segment may be lost or delayed, never
   duplicated, and one direction is first-in first-out: when a segment
   arrives, the ones sent before it in that direction arrived before it or
   were lost. A segment that is not in the capture was never received.
   (Time is not used: a TIME-WAIT of 1 ms is not a violation, MUST-13.)
3. The capture may start in the middle of a connection: its first segments
   then fix the unknown variables (below), and may hold many connections,
   and several incarnations of one 4-tuple (after TIME-WAIT or a reset).

From 1 the two endpoints can be checked separately: A's behaviour depends
on B only through the segments B sent, which the capture shows. So for each
endpoint we keep a set of *elements* (cfg, ghosts, queued, i): a
configuration of the table (`model.config.Config`), the index i of the next
of the peer's captured segments that may still reach it (those before were
delivered or lost), and two small sets of earlier segments that may still
matter: `ghosts` and `queued` (below).

On each segment `o` sent by endpoint X:
  - close X's set under its invisible steps: user calls and timeouts that
    send nothing (OPEN passive, CLOSE in LISTEN or SYN-SENT, ABORT where it
    is quiet, the user and TIME-WAIT timeouts) and the arrival of any
    pending segment j >= i (segments i..j-1 are then lost), whatever the
    arrival makes X send: an acknowledgment need not leave at once (3.8.6.3
    delayed ACKs, MUST-58/59 aggregation; RFC 5681 4.2), which is how one
    observed ACK acknowledges several segments; an RST a closed endpoint
    owes may be dropped the same way;
  - keep the configurations reached by one step that sends `o`: a user
    call (OPEN active, SEND of `o`'s octets, CLOSE, ABORT), a
    retransmission timeout, or the arrival of a pending segment; or a
    tolerance (below);
  - append `o` to the peer's queue.
An empty set is a violation: no run of the table explains `o`. The report
names the frame, the endpoint, the configurations the set held just before
and every segment the table allowed X to send instead, with the rows that
would have fired. Then X is placed anew from its next segment, as in a
capture that starts mid-connection (below), and judging goes on, up to
`max_violations` per endpoint (`checker.traces.connection`).

Judging one side (`--judge`): the other endpoint's segments are not judged;
they are arbitrary network input that the judged endpoint must answer as
the table says (every segment is handled in every state: `verify`'s
`complete` check).

Three outcomes per connection: conformant; violation; not checked, with its
reason: a search beyond `max_configs`; a violation found after the beam of
`keep` dropped configurations (those assuming the most losses) or after a
frame of the connection that could not be read; a file cut short.

Abstractions (the model counts octets and has constant windows)
----------------------------------------------------------------
- A segment becomes `model.events.Segment(seq, ack, SYN, ACK, FIN, RST,
  data=octet count)`; the count comes from the IP length fields. PSH, URG,
  ECE and CWR are ignored, and so are all TCP options (MSS, window scale,
  SACK-permitted, SACK blocks, timestamps; 3.7.1, RFC 7323, RFC 2018): they
  change what a receiver accepts or a sender resends, not the connection's
  state. The urgent pointer is ignored (3.8.5).
- Windows: every endpoint's RCV.WND is one constant (`rcv_wnd`, default
  2^30, the largest window of RFC 7323 2.3), so the acceptability test of
  3.10.7.4 Table 6 never rejects what a window-scaled receiver could
  accept; advertised windows are replaced by that constant, so SND.WND
  never tells two configurations apart. A segment a real receiver dropped
  for want of window (or by PAWS) is, to the model, lost after the capture.
- ISS (3.4.1): unknown until the endpoint's first SYN shows it; entering
  CLOSED or LISTEN forgets it again, as a new incarnation picks a new one.
  Steps that would read an unknown ISS (an active OPEN, a SYN reaching
  LISTEN; found by running the step with two ISS values) are taken only
  while explaining a segment that carries SYN, which fixes it.
- Capture starting mid-connection: an endpoint whose first captured
  segment does not open a connection is placed in every state that could
  send that segment, with SND.NXT and RCV.NXT read from it and SND.UNA as
  low as it can be (2^30 below SND.NXT: anything may be unacknowledged),
  which later acknowledgments narrow.

Tolerances: RFC-conformant behaviours that the table abstracts away. All
are on by default; `--strict` (ConformOptions(tolerances=frozenset()))
turns them off, and the report counts each one a connection needed.
  rst-ack: the reset of an ABORT, <SEQ=SND.NXT><CTL=RST> (3.10.5), may
    carry the ACK bit with ACK=RCV.NXT, as Linux sends it; a receiver in a
    synchronized state checks the RST bit before the ACK field (3.10.7.4).
  partial-retransmission: a retransmission may carry any part of the
    unacknowledged octets [SND.UNA, SND.NXT) (with the FIN only at their
    end) instead of all of them in one segment: segment boundaries are the
    sender's (3.8.6.2.1), SACK recovery resends holes (RFC 6675), a tail
    loss probe resends the last segment (RFC 8985).
  data+fin: the FIN of a CLOSE may ride on the last segment of the data of
    the preceding SENDs (3.10.4: "queue this until all preceding SENDs have
    been segmentized, then form a FIN segment"): SEND then CLOSE, as one
    segment.
  keep-alive: <SEQ=SND.NXT-1><ACK=RCV.NXT> with zero or one garbage octet
    in ESTABLISHED or CLOSE-WAIT (3.8.4, MAY-5, MAY-6); the table's answer
    to it is the ACK of an unacceptable segment.
  ooo-queue: a receiver may keep segments that arrive beyond RCV.NXT and
    take them when the gap before them is filled (3.10.7.4 seventh,
    SHLD-31); the table drops them (MAY-13). With first-in first-out
    arrival this is how a segment lost after the capture point and resent
    is acknowledged together with the segments behind it (SACK recovery).
    Such segments, when skipped or when they arrive, join `queued` (always:
    keeping one allows all that losing it does, so the search never
    branches on it); a queued segment is taken as soon as taking it changes
    the configuration.
  window-update: a pure <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> that advertises
    a different window than the sender's previous segment, sent with no
    segment arriving (3.8.6.2.2 receiver's SWS avoidance, 3.8.6.1 reopening
    a zero window), while the peer may still send (ESTABLISHED, FIN-WAIT-1,
    FIN-WAIT-2). A repeated ACK with the same window is not one.
  syn-data: a SYN (or SYN,ACK) may carry data, which SND.NXT counts (3.5,
    3.10.2); a SYN,ACK's text reaching SYN-SENT is taken (3.10.7.3 fourth:
    "continue processing at the sixth step"). `checker.traces.synopen`.
  super-segment (capture artefact): a data segment longer than the MSS its
    receiver announced (3.7.1) is segmentation offload (TSO/GSO, or GRO on
    a receiving host) and is judged as the MSS-sized segments it stands for.
  capture-reorder (capture artefact): a segment that no configuration
    explains is tried as recorded out of place: sent before up to
    `reorder_segments` segments recorded before it, or after up to as many
    recorded after it, all within `reorder_seconds` (states are saved and
    replayed). Within one direction (a multi-core capture point) and between
    the two (an ACK recorded before the data it acknowledges).
Extension tfo (RFC 7413, off unless asked, `--with tfo`): a listener takes a SYN's data at
once (its SYN,ACK acknowledges SEG.SEQ+1+data) and may send data in
SYN-RECEIVED.

Keeping the sets small (each rule only drops an element that another
element of the set imitates step for step, or provably cannot matter):
- (c, g, q, i) is dropped when (c, g', q', j) with j =< i is present and
  every ghost or queued segment of the first is, in the second, a ghost, a
  queued or a pending segment: more pending segments allow more; so an
  arrival that changes nothing is not explored.
- In ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1, CLOSING and LAST-ACK, a
  configuration with a lower SND.UNA (all else equal, SND.UNA past ISS)
  imitates one with a higher SND.UNA: every acknowledgment takes both to
  equal or still ordered values, its timeouts are a superset, and its
  retransmissions (with partial-retransmission) include the other's.
- A pending acceptable pure acknowledgment with SEG.ACK < SND.NXT (=< where
  no FIN of ours awaits it) can only raise SND.UNA of a synchronized
  endpoint whose SYN is acknowledged (SND.UNA past ISS), now and later
  (SND.NXT and RCV.NXT only grow, and a later arrival loses it), so it
  leaves the queue; it stays among the `ghosts` (the last 16), because a
  CLOSED or LISTEN endpoint would still answer its late arrival with a
  reset (3.10.7.1, 3.10.7.2).
- A synchronized endpoint reads IRS nowhere and ISS only to ask whether
  SND.UNA = ISS (3.10.8: our SYN,ACK is unacknowledged): both are then
  rewritten relative to RCV.NXT and SND.UNA.
  These three rest on the rows of the synchronized states of the RFC 9293
  table; they are used only when the model's rows for those states are the
  standard ones and partial-retransmission is on (otherwise the search is
  exact, and slower).
- Every rule compares sequence numbers with each other, never with a fixed
  number (3.4), so a step from a configuration shifted to SND.NXT =
  RCV.NXT = 0 is the step shifted: steps are computed (and cached by the
  model) on shifted configurations, so the thousandth data segment of a
  connection meets the step of its first. `translation_invariant` checks
  this on the rows (own and peer sequence numbers, lengths) before it is
  used. The same argument applied to a whole judgment (an endpoint's set,
  its pending segments, the segment it sends) is the shape memo of
  `checker.traces.memo`, checked on every row by `memo_blocker`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable

from checker.traces.capture import BadFrame, Capture, CaptureError, stream
from checker.traces.connection import Connection, connection_key, to_segment
from checker.traces.engine import Engine
from checker.traces.options import ConformOptions
from checker.traces.results import CONFORMS, NOT_CHECKED, VIOLATION, ConnectionResult, Report, Violation
from model.machine import Model

__all__ = ["Connection", "conform_packets", "conform_capture", "conform_file", "to_segment",
           "CONFORMS", "VIOLATION", "NOT_CHECKED", "Report", "ConnectionResult", "Violation"]


def conform_packets(items: Iterable, model: Model, opts: ConformOptions | None = None,
                    engine: Engine | None = None, unattributed: list | None = None,
                    progress=None) -> list[ConnectionResult]:
    """Split the segments into connections by 4-tuple and check each. `items`
    may hold BadFrames too: each goes to its connection (or, when its ports
    are unknown, to `unattributed`). `progress(segments, connections)` is
    called now and then."""
    opts = opts or ConformOptions()
    engine = engine or Engine(model, opts)
    conns: dict = {}
    order = []
    # The search makes many small acyclic objects that live on in caches: the
    # cyclic garbage collector would scan them again and again for nothing.
    was = gc.isenabled()
    gc.disable()
    quiet = max(opts.reorder_seconds, 1e-3)
    n = 0
    try:
        for p in items:
            n += 1
            if not n & 0x1FFF:  # now and then: connections idle beyond the reorder window keep no history
                if progress is not None:
                    progress(n, len(order))
                for c in order:
                    if c.last_time < p.time - quiet:
                        c.quiesce()
            if type(p) is BadFrame:
                c = conns.get(connection_key(p)) if p.endpoints else None
                if c is not None:
                    c.unreadable(p)
                elif unattributed is not None:
                    unattributed.append(p)
                continue
            key = connection_key(p)
            c = conns.get(key)
            if c is None:
                c = conns[key] = Connection(engine, p)
                order.append(c)
            c.feed(p)
    finally:
        if was:
            gc.enable()
    return [c.finish() for c in order if c.selected]


def conform_capture(cap: Capture, model: Model, opts: ConformOptions | None = None) -> Report:
    """Check a capture already read into memory (`capture.read`)."""
    t0 = time.perf_counter()
    unattributed: list = []
    items = sorted(cap.packets + cap.problems, key=lambda p: p.frame) if cap.problems else cap.packets
    results = conform_packets(items, model, opts, unattributed=unattributed)
    return _report(cap, model, results, unattributed, time.perf_counter() - t0)


def _report(cap: Capture, model: Model, results, unattributed, seconds) -> Report:
    return Report(cap.path, model.name, cap.frames, cap.segments, results, dict(cap.skipped), seconds,
                  checksums=dict(cap.checksums), problems=list(cap.problems), bad_frames=cap.bad_frames,
                  unattributed=unattributed, reassembled=cap.reassembled, error=cap.error)


def conform_file(path: str, model: Model, opts: ConformOptions | None = None, progress=None) -> Report:
    """Read a capture file (or "-") as a stream and check every connection in
    it. A file that holds no frame at all raises CaptureError; one that
    breaks part way is judged up to the break (Report.error says where)."""
    cap = Capture(path if path != "-" else "standard input")
    unattributed: list = []
    t0 = time.perf_counter()

    def items():
        try:
            yield from stream(path, cap)
        except CaptureError as err:
            if not cap.frames:
                raise
            cap.error = str(err)

    results = conform_packets(items(), model, opts, unattributed=unattributed, progress=progress)
    if cap.error:
        for r in results:
            if r.status == CONFORMS:
                r.status = NOT_CHECKED
                r.reason = f"the file breaks after frame {cap.frames}: the rest was not read"
    return _report(cap, model, results, unattributed, time.perf_counter() - t0)
