"""Lockstep: the table (model/table.py) beside the hand-written endpoint
(impl/endpoint.py), event by event, under hypothesis.

The model is one `Config` run by `model.machine.standard()`; the endpoint is
`impl.Endpoint(iss=..., rcv_wnd=...)`. Both receive the same event: a user
call (3.10.1-3.10.5), a timeout (3.10.8) or an arriving segment (3.10.7).
After every event we assert (`Disagreement` is an AssertionError):

- the same state, by its RFC spelling (3.3.2);
- the same segments sent, in order: control bits, SEQ, ACK, data length and
  WND;
- the same RFC variables (3.3.1): `Endpoint.snapshot()` == `Config.env()`;
- an event is illegal on one side iff on the other (the model raises
  `IllegalEvent` or answers `Outcome.error`; the endpoint raises `TcpError`),
  with the same RFC error text when the model gives one, and neither side
  changed by it;
- what the endpoint delivers to the user is the octets it acknowledged, in
  sequence order (every octet carries `seq & 0xFF`, so this is checkable).

Requirements exercised through the table's rows: MUST-10 (simultaneous
open), MUST-11 (SYN-RECEIVED returns to LISTEN only after a passive OPEN),
MUST-13 (TIME-WAIT for 2 MSL), MUST-58/MUST-59 (one aggregated ACK), RFC 5961
as adopted by 3.10.7.4 (exact RST, challenge ACKs); MAY-12 and SHLD-31 are
not followed, on both sides (DECISIONS.md).

Arriving segments come from two places. A correct peer: a second model
endpoint (`peer_cfg`) that receives what we send (`peer_network`), whose
user calls and timeouts are drawn too (`peer`), and whose segments sit in an
unreliable network (`network`): delivered in any order, duplicated, lost, or
replayed long afterwards (`replay`: old duplicates, also from an earlier
incarnation, as `connect` starts a new peer with a new ISS, 3.4.1). And
hostile space: `hostile_near` puts SEQ on the edges of Table 6 (RCV.NXT-1,
RCV.NXT, RCV.NXT+1, the right window edge) and ACK on the edges of
3.10.7.3/3.10.7.4 fifth (ISS, SND.UNA, SND.NXT, one beyond): exact and
in-window RST and SYN (RFC 5961 as adopted by 3.10.7.4), ACK = ISS in
SYN-SENT; `hostile` puts them anywhere in the 32-bit space, 2^31 away
included (the edge of the comparison, 3.4). ISS near 2^32 and 2^31
exercises wrap-around. `connect`, `shutdown` and `quiet` are shortcuts
(open both ends, close one or both, deliver everything) so that the
closing states are reached in a few steps.

A failure shrinks to a short program (`state = Lockstep()` then
`state.<rule>(...)` lines with plain Python arguments: events print as
`Open(active=True)`); paste it into a test in this module to replay it, as
the regression tests at the end do. The concrete segments and the table rows
fired in each step are printed beside it.

Disagreements found so far, decided from RFC 9293 and DECISIONS.md:
- impl bug, fixed: an ACK exactly 2^31 beyond SND.NXT passed the "SEG.ACK >
  SND.NXT" test and moved SND.UNA past SND.NXT (test_regression_ack_2_31_ahead);
- impl bug, fixed: CLOSING acknowledged a FIN although 3.10.7.4 fifth says
  "otherwise, ignore the segment" (test_regression_closing_ignores_fin);
- model (table) issue, fixed: SEND of 0 octets in ESTABLISHED/CLOSE-WAIT had
  no row (IllegalEvent) though DECISIONS.md makes SEND legal there; the table
  now has send-empty (nothing sent, no change), test_send_of_zero_octets.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter

import pytest
from hypothesis import note, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context, currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from impl import Endpoint, TcpError
from impl import Segment as ImplSegment
from model.config import closed
from model.events import Abort, Arrive, Close, Open, Send, Timeout
from model.events import Segment as Seg
from model.machine import IllegalEvent, standard
from model.seq import HALF, MASK
from model.state import State

MODEL = standard()

# ----------------------------------------------------------------------------
# Representation: the model counts octets, the endpoint carries bytes.
# ----------------------------------------------------------------------------


def octets(seq: int, n: int) -> bytes:
    """The n octets starting at sequence number `seq`: octet s is s & 0xFF."""
    return bytes((seq + i) & 0xFF for i in range(n))


def to_impl(seg: Seg) -> ImplSegment:
    """A model segment as the endpoint's segment; text starts after a SYN (3.3.1)."""
    return ImplSegment(seq=seg.seq, ack=seg.ack, syn=seg.syn, ack_flag=seg.ackf, fin=seg.fin,
                       rst=seg.rst, data=octets(seg.seq + seg.syn, seg.data), wnd=seg.wnd)


def to_model(seg: ImplSegment) -> Seg:
    return Seg(seq=seg.seq, ack=seg.ack, syn=seg.syn, ackf=seg.ack_flag, fin=seg.fin,
               rst=seg.rst, data=len(seg.data), wnd=seg.wnd)


def key(seg: Seg) -> tuple:
    """What must agree about an emitted segment (WND too: DECISIONS.md, every
    ACK-bearing segment advertises RCV.WND; a bare RST carries WND=0)."""
    return (seg.flags(), seg.seq, seg.ack, seg.data, seg.wnd)


def show(segs) -> str:
    return " ".join(f"{s.brief()}<WND={s.wnd}>" for s in segs) or "nothing"


CTLS = ("", "SYN", "ACK", "FIN", "RST", "SYN,ACK", "FIN,ACK", "RST,ACK", "SYN,FIN",
        "SYN,RST", "FIN,RST", "SYN,FIN,ACK", "SYN,RST,ACK", "FIN,RST,ACK", "SYN,FIN,RST",
        "SYN,FIN,RST,ACK")
BASES = ("RCV.NXT", "SND.NXT", "SND.UNA", "ISS", "IRS", "0")
NEAR_SEQ = {"RCV.NXT-1": lambda c: c.rcv_nxt - 1, "RCV.NXT": lambda c: c.rcv_nxt,
            "RCV.NXT+1": lambda c: c.rcv_nxt + 1,
            "RCV.NXT+RCV.WND-1": lambda c: c.rcv_nxt + c.rcv_wnd - 1,
            "RCV.NXT+RCV.WND": lambda c: c.rcv_nxt + c.rcv_wnd, "IRS": lambda c: c.irs}
NEAR_ACK = {"ISS": lambda c: c.iss, "ISS+1": lambda c: c.iss + 1,
            "SND.UNA-1": lambda c: c.snd_una - 1, "SND.UNA": lambda c: c.snd_una,
            "SND.NXT": lambda c: c.snd_nxt, "SND.NXT+1": lambda c: c.snd_nxt + 1}
HANDSHAKE = frozenset({State.LISTEN, State.SYN_SENT, State.SYN_RECEIVED})
HANDSHAKE_CTLS = ("SYN", "SYN,ACK", "ACK", "RST", "RST,ACK", "SYN,RST", "SYN,FIN,ACK", "FIN,ACK")
# The segments a peer sends most (ACK, FIN,ACK, RST, SYN, SYN,ACK) twice as often.
CTL = st.one_of(st.sampled_from(("ACK", "FIN,ACK", "RST", "SYN", "SYN,ACK", "RST,ACK", "")),
                st.sampled_from(CTLS))


def make(ctl: str, seq: int, ack: int, data: int, wnd: int) -> Seg:
    f = set(ctl.split(",")) if ctl else set()
    return Seg(seq=seq & MASK, ack=ack & MASK, syn="SYN" in f, ackf="ACK" in f, fin="FIN" in f,
               rst="RST" in f, data=data, wnd=wnd)


ISS = st.one_of(st.sampled_from([0, 1, HALF - 1, HALF, MASK - 2, MASK - 1, MASK]),
                st.integers(0, MASK))
WND = st.one_of(st.integers(0, 6), st.just(65535))
SEG_WND = st.one_of(st.integers(0, 6), st.just(65535))
OFFSET = st.one_of(st.integers(-3, 8), st.sampled_from([-HALF, HALF - 1, HALF, 1 << 30]),
                   st.integers(0, MASK))
TIMEOUTS = [Timeout("retransmission"), Timeout("user"), Timeout("time-wait")]
# Illegal calls are drawn on purpose: both sides must refuse them alike.
USER_CALLS = st.sampled_from([Open(True), Open(False), Send(1), Send(5), Close(), Abort(),
                              *TIMEOUTS, Timeout("retransmission")])
PEER_CALLS = st.sampled_from([Open(True), Open(False), Send(1), Send(4), Close(), Abort(),
                              *TIMEOUTS])

MAX_IN_FLIGHT = 8  # older segments in flight are lost
MAX_SEEN = 24  # how far back old duplicates are replayed from


OPEN_ENDED = frozenset({State.ESTABLISHED, State.CLOSE_WAIT})  # CLOSE sends a FIN
SHUTDOWNS = ("we close", "peer closes", "we close, then peer", "peer closes, then we",
             "both at once")


def say(message) -> None:
    """Print `message()` beside the failing program (hypothesis `note`), or
    at once when a pasted program is replayed outside hypothesis. Lazy: the
    strings are built only for the final, printed run."""
    if not currently_in_test_context():
        print(message())
    elif current_build_context().is_final:
        note(message())


class Disagreement(AssertionError):
    """The model and the endpoint disagree; the message says where."""


# ----------------------------------------------------------------------------
# The machine
# ----------------------------------------------------------------------------


class Lockstep(RuleBasedStateMachine):
    """Model and endpoint side by side; a model peer across a lossy network.

    `ENDPOINT` is the class under test (tests/impl/test_lockstep_mutants.py swaps
    in seeded bugs). `steps` counts events applied to both sides.
    """

    ENDPOINT = Endpoint
    steps = 0
    rows_fired: Counter = Counter()  # table rows fired on our side (coverage, bench/)

    def __init__(self):
        super().__init__()
        self.cfg = None
        self.ep = None
        self.peer_cfg = None
        self.to_us: list[Seg] = []  # in flight from the peer
        self.to_peer: list[Seg] = []  # in flight to the peer
        self.seen: list[Seg] = []  # everything the peer ever sent (old duplicates)

    @initialize(iss=ISS, rcv_wnd=WND, peer_iss=ISS, peer_wnd=WND)
    def setup(self, iss, rcv_wnd, peer_iss, peer_wnd):
        self.cfg = closed(iss, rcv_wnd)
        self.ep = self.ENDPOINT(iss=iss, rcv_wnd=rcv_wnd)
        self.peer_cfg = closed(peer_iss, peer_wnd)

    # -- the lockstep itself -------------------------------------------------
    def expected(self) -> dict:
        return {"state": str(self.cfg.state), **self.cfg.env()}

    def lockstep(self, event, call) -> None:
        """Apply `event` to the model and `call()` to the endpoint; compare."""
        Lockstep.steps += 1
        before, snap = self.cfg, self.ep.snapshot()
        try:
            out = MODEL.step(before, event)
        except IllegalEvent:
            out = None
        try:
            got, err = call(), None
        except TcpError as exc:
            got, err = None, exc
        fired = () if out is None else tuple(r.name for r in out.fired)
        Lockstep.rows_fired.update(fired)

        def where() -> str:
            return f"{event} in {before.state} ({before.brief()})"

        m_illegal = out is None or out.error is not None
        if m_illegal or err is not None:
            model_says = "no row (IllegalEvent)" if out is None else (
                f"error {out.error!r}" if out.error else f"legal via rows {list(fired)}")
            if m_illegal != (err is not None):
                impl_says = f"raises {err!r}" if err is not None else f"accepts, sends {got}"
                raise Disagreement(f"{where()}: model {model_says}, impl {impl_says}")
            if out is not None and (out.config != before or out.sent):
                raise Disagreement(f"{where()}: the model's error {out.error!r} changed something")
            if out is not None and out.error != err.reason:
                raise Disagreement(f"{where()}: model error {out.error!r}, impl {err.reason!r}")
            if self.ep.snapshot() != snap:
                raise Disagreement(f"{where()}: impl raised {err!r} but changed {self.ep.snapshot()}")
            say(lambda: f"{where()}: illegal on both sides ({model_says})")
            return
        self.cfg = out.config
        sent = [to_model(s) for s in got]
        say(lambda: f"{where()} -> {self.cfg.state}; sent {show(out.sent)}; rows {list(fired)}")
        if [key(s) for s in out.sent] != [key(s) for s in sent]:
            raise Disagreement(f"{where()}: model sent {show(out.sent)} (rows {list(fired)}), "
                               f"impl sent {show(sent)}")
        have, want = self.ep.snapshot(), self.expected()
        if have != want:
            raise Disagreement(f"{where()}: after rows {list(fired)} the variables differ: "
                               + ", ".join(f"{k} model {want[k]} impl {have.get(k)}"
                                           for k in want if want[k] != have.get(k)))
        self.to_peer = (self.to_peer + list(out.sent))[-MAX_IN_FLIGHT:]

    def arrive(self, seg: Seg) -> None:
        rcv_before = self.ep.rcv_nxt
        self.lockstep(Arrive(seg), lambda: self.ep.segment_arrives(to_impl(seg)))
        delivered = self.ep.delivered()
        # 3.10.7.4 seventh: text is delivered in sequence order, once.
        if delivered != octets(rcv_before, len(delivered)):
            raise Disagreement(f"rcv {seg.brief()}: impl delivered {delivered!r} "
                               f"from RCV.NXT={rcv_before}")

    # -- user calls (3.10.1-3.10.5) and timeouts (3.10.8) ----------------------
    @rule(call=USER_CALLS)
    def user(self, call):
        """A user call or a timeout; SEND carries `call.length` octets."""
        if isinstance(call, Open):
            self.lockstep(call, lambda: self.ep.open(call.active))
        elif isinstance(call, Send):
            self.lockstep(call, lambda: self.ep.send(octets(self.ep.snd_nxt, call.length)))
        elif isinstance(call, Close):
            self.lockstep(call, self.ep.close)
        elif isinstance(call, Abort):
            self.lockstep(call, self.ep.abort)
        else:
            self.lockstep(call, lambda: self.ep.timeout(call.which))

    # -- segments from the peer, through the network (3.10.7) -----------------
    @precondition(lambda self: self.to_us)
    @rule(i=st.integers(0, MAX_IN_FLIGHT - 1), how=st.sampled_from(["deliver", "duplicate", "lose"]))
    def network(self, i, how):
        """The i-th segment in flight from the peer (any order) is delivered,
        delivered and kept for later (a duplicate), or lost."""
        seg = self.to_us[i % len(self.to_us)]
        if how != "duplicate":
            self.to_us.remove(seg)
        if how != "lose":
            self.arrive(seg)

    @precondition(lambda self: self.seen)
    @rule(i=st.integers(0, MAX_SEEN - 1))
    def replay(self, i):
        """An old duplicate: anything the peer ever sent, possibly in an
        earlier connection (3.4 "old duplicate" segments)."""
        self.arrive(self.seen[-1 - i % len(self.seen)])

    # -- hostile segments -----------------------------------------------------
    @rule(ctl=CTL, seq_at=st.sampled_from(tuple(NEAR_SEQ)), ack_at=st.sampled_from(tuple(NEAR_ACK)),
          data=st.integers(0, 3), wnd=SEG_WND)
    def hostile_near(self, ctl, seq_at, ack_at, data, wnd):
        """A segment on the edges the table tests: SEQ at and around RCV.NXT and
        the right window edge (Table 6; exact and inexact RST, RFC 5961), ACK
        at ISS, SND.UNA, SND.NXT and one beyond (3.10.7.3 first, 3.10.7.4 fifth)."""
        c = self.cfg
        self.arrive(make(ctl, NEAR_SEQ[seq_at](c), NEAR_ACK[ack_at](c), data, wnd))

    @precondition(lambda self: self.cfg.state in HANDSHAKE)
    @rule(ctl=st.sampled_from(HANDSHAKE_CTLS), seq=st.one_of(st.sampled_from(["IRS", "RCV.NXT"]),
                                                             st.integers(0, MASK)),
          ack_at=st.sampled_from(("ISS-1", "ISS", "ISS+1", "ISS+2")), data=st.integers(0, 2),
          wnd=SEG_WND)
    def hostile_handshake(self, ctl, seq, ack_at, data, wnd):
        """While we open (LISTEN, SYN-SENT, SYN-RECEIVED): old duplicate SYNs,
        SYN,ACKs, ACKs and RSTs (3.5 Figures 9 and 10) acknowledging around our
        ISS, the edge of 3.10.7.3 first (SEG.ACK =< ISS or > SND.NXT)."""
        c = self.cfg
        seq = {"IRS": c.irs, "RCV.NXT": c.rcv_nxt}.get(seq, seq)
        ack = c.iss + ("ISS-1", "ISS", "ISS+1", "ISS+2").index(ack_at) - 1
        self.arrive(make(ctl, seq, ack, data, wnd))

    @rule(ctl=CTL, seq_from=st.sampled_from(BASES), seq_off=OFFSET,
          ack_from=st.sampled_from(BASES), ack_off=OFFSET, data=st.integers(0, 4), wnd=SEG_WND)
    def hostile(self, ctl, seq_from, seq_off, ack_from, ack_off, data, wnd):
        """Any segment: SEQ and ACK relative to our variables or anywhere in the
        32-bit space (2^31 away: the edge of the comparison, 3.4)."""
        env = {**self.cfg.env(), "0": 0}
        self.arrive(make(ctl, env[seq_from] + seq_off, env[ack_from] + ack_off, data, wnd))

    # -- the peer: a correct TCP (the model itself) ------------------------------
    def peer_step(self, event) -> None:
        out = MODEL.try_step(self.peer_cfg, event)
        if out is None or out.error is not None:
            return
        self.peer_cfg = out.config
        self.to_us = (self.to_us + list(out.sent))[-MAX_IN_FLIGHT:]
        self.seen = (self.seen + list(out.sent))[-MAX_SEEN:]

    @rule(call=PEER_CALLS)
    def peer(self, call):
        """The peer's user calls and timeouts."""
        self.peer_step(call)

    @precondition(lambda self: self.to_peer)
    @rule(i=st.integers(0, MAX_IN_FLIGHT - 1), how=st.sampled_from(["deliver", "duplicate", "lose"]))
    def peer_network(self, i, how):
        """The i-th segment we sent is delivered to the peer, duplicated or lost."""
        seg = self.to_peer[i % len(self.to_peer)]
        if how != "duplicate":
            self.to_peer.remove(seg)
        if how != "lose":
            self.peer_step(Arrive(seg))

    @precondition(lambda self: self.cfg.state is State.CLOSED)
    @rule(we_open_first=st.booleans(), simultaneous=st.booleans(), peer_iss=ISS,
          settle=st.booleans())
    def connect(self, we_open_first, simultaneous, peer_iss, settle):
        """A shortcut to the synchronized states (3.5, Figures 6 and 7): a new
        incarnation of the peer (segments of the old one stay in the network),
        both ends open, one passively unless `simultaneous`, and, if `settle`,
        the network is flushed (else we stay in SYN-SENT or LISTEN with the
        handshake in flight). Hostile and lossy events interleave with what
        follows."""
        self.peer_cfg = closed(peer_iss, self.peer_cfg.rcv_wnd)
        if we_open_first:
            self.lockstep(Open(True), lambda: self.ep.open(True))
            self.peer_step(Open(simultaneous))
        else:
            self.peer_step(Open(True))
            self.lockstep(Open(simultaneous), lambda: self.ep.open(simultaneous))
        if settle:
            self.flush()

    @precondition(lambda self: OPEN_ENDED & {self.cfg.state, self.peer_cfg.state})
    @rule(how=st.sampled_from(SHUTDOWNS))
    def shutdown(self, how):
        """A shortcut through the closing states (3.6, Figures 12 and 13).
        "we close": CLOSE here, flush (FIN-WAIT-2 opposite CLOSE-WAIT);
        "peer closes": the mirror image; "X, then Y": both, one after the other,
        each followed by a flush (TIME-WAIT); "both at once": both CLOSE and
        nothing is flushed (the FINs are in flight together, may cross:
        CLOSING). A side that cannot CLOSE (not ESTABLISHED/CLOSE-WAIT) skips."""
        order = {"we close": "u", "peer closes": "p", "we close, then peer": "up",
                 "peer closes, then we": "pu", "both at once": "up"}[how]
        for who in order:
            if who == "u" and self.cfg.state in OPEN_ENDED:
                self.lockstep(Close(), self.ep.close)
            elif who == "p" and self.peer_cfg.state in OPEN_ENDED:
                self.peer_step(Close())
            if how != "both at once":
                self.flush()

    @precondition(lambda self: self.to_us or self.to_peer)
    @rule()
    def quiet(self):
        self.flush()

    def flush(self):
        """A quiet network: deliver everything in order, both ways, until nothing
        is in flight (bounded)."""
        for _ in range(24):
            if not (self.to_us or self.to_peer):
                break
            if self.to_peer:
                self.peer_step(Arrive(self.to_peer.pop(0)))
            if self.to_us:
                self.arrive(self.to_us.pop(0))

    # -- checked after every step -----------------------------------------------
    @invariant()
    def same_state_and_variables(self):
        if self.cfg is not None:
            if self.ep.snapshot() != self.expected():
                raise Disagreement(f"model {self.expected()} impl {self.ep.snapshot()}")


def lockstep_for(endpoint_cls) -> type[Lockstep]:
    """The machine with another endpoint class (a mutant) under test."""
    return type(f"Lockstep_{endpoint_cls.__name__}", (Lockstep,), {"ENDPOINT": endpoint_cls})


TestLockstep = Lockstep.TestCase


@pytest.fixture(scope="module", autouse=True)
def _count_steps():
    """With LOCKSTEP_STATS=<file>, append the events run and the time taken
    (one JSON line per module run; used for the deep-run report)."""
    steps, t0 = Lockstep.steps, time.perf_counter()
    yield
    path = os.environ.get("LOCKSTEP_STATS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"steps": Lockstep.steps - steps,
                                "seconds": round(time.perf_counter() - t0, 1),
                                "profile": settings._current_profile}) + "\n")


# ----------------------------------------------------------------------------
# Regression programs: shrunk failures, pasted back.
# ----------------------------------------------------------------------------


def test_regression_ack_2_31_ahead():
    """3.10.7.4 fifth: "If the ACK acks something not yet sent (SEG.ACK >
    SND.NXT), then send an ACK, drop the segment". SEG.ACK = SND.NXT + 2^31
    is "ahead" for the table's algebra (model/seq.py: gt(a, b) = lt(b, a));
    the endpoint used seq_gt(SEG.ACK, SND.NXT), false there, then found
    SND.UNA < SEG.ACK and set SND.UNA 2^31 past SND.NXT. Fixed in
    impl/endpoint.py (SND.NXT < SEG.ACK)."""
    state = Lockstep()
    state.setup(iss=2_147_483_648, peer_wnd=65535, peer_iss=1, rcv_wnd=65535)
    state.connect(peer_iss=0, simultaneous=False, we_open_first=False, settle=True)
    state.hostile(ack_from="RCV.NXT", ack_off=0, ctl="ACK", data=0, seq_from="RCV.NXT",
                  seq_off=0, wnd=65535)
    assert state.cfg.snd_una == state.ep.snd_una == 2_147_483_649
    state.teardown()


def closing_fin_program(state: Lockstep) -> None:
    """The shrunk program that found the CLOSING bug (see below)."""
    state.setup(iss=0, rcv_wnd=65535, peer_iss=0, peer_wnd=0)
    state.peer(call=Open(active=True))
    state.user(call=Open(active=True))
    state.quiet()
    state.peer(call=Close())
    state.shutdown(how="we close")
    assert state.cfg.state is State.CLOSING
    state.hostile(ack_from="RCV.NXT", ack_off=-1, ctl="FIN,ACK", data=0, seq_from="RCV.NXT",
                  seq_off=0, wnd=65535)
    state.teardown()


def test_regression_closing_ignores_fin():
    """3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then enter
    the TIME-WAIT state; otherwise, ignore the segment" (the table's
    ack-dup-ignore@CLOSING / ack-ignore@CLOSING rows). The endpoint went on to
    the eighth step and acknowledged a FIN at RCV.NXT. Fixed in
    impl/endpoint.py; tests/impl/test_lockstep_mutants.py re-seeds it."""
    state = Lockstep()
    closing_fin_program(state)
    assert state.ep.state.value == "CLOSING"


def test_send_of_zero_octets():
    state = Lockstep()
    state.setup(iss=100, rcv_wnd=4, peer_iss=300, peer_wnd=4)
    state.connect(we_open_first=True, simultaneous=False, peer_iss=300, settle=True)
    assert state.cfg.state is State.ESTABLISHED
    state.user(call=Send(0))
