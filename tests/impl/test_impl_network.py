"""Two impl.Endpoints over a simulated lossy network (hypothesis).

Hypothesis draws the ISS values (often just below 2**32), receive windows,
the data each side sends (before and, for a half-close, after the peer's
FIN), who closes first, and a bounded budget of network faults: loss,
duplication and reordering of the early segments.  When the network is
idle, the endpoints' running retransmission timers fire; TIME-WAIT times
out once nothing is left to retransmit anywhere.

Checked: every octet sent by one side is delivered to the other exactly
once and in order, both ways; both sides end CLOSED, at least one through
TIME-WAIT; no RST is ever sent unless an ABORT was drawn (then only a
prefix of the data need arrive).

Quiet time (3.4.2/3.4.3): an endpoint that finished a graceful close is
gone for the network -- segments still in flight to it are discarded, as
if they outlived their MSL during the peer's 2*MSL TIME-WAIT.  Without this
a late duplicate would draw a RST from the CLOSED endpoint, which is
correct TCP but not what this test is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from impl import Endpoint, InsufficientResources, Segment, State, seq_diff

MOD = 2**32
MAX_EVENTS = 4000


@dataclass
class Side:
    name: str
    ep: Endpoint
    pre: list[bytes]  # sent while ESTABLISHED
    post: list[bytes]  # sent in CLOSE-WAIT, after the peer's FIN (half-close)
    waits_for_fin: bool  # close only once the peer has closed
    close_in_syn_received: bool  # CLOSE as soon as SYN-RECEIVED (no data at all)
    sent: bytearray = field(default_factory=bytearray)
    got: bytearray = field(default_factory=bytearray)
    closed: bool = False
    aborted: bool = False
    finished: bool = False  # CLOSED after a graceful close: "gone" for the network
    states: set = field(default_factory=set)

    def room(self) -> int:
        """Octets the peer's window still admits, keeping SND.NXT strictly inside it.

        The endpoint sends at once whatever SEND is given (DECISIONS.md), so
        flow control is the application's job here.  Strictly inside: a pure
        ACK at SND.NXT = RCV.NXT + RCV.WND would be unacceptable to the peer
        (Table 6), see test_symmetric_window_overrun_is_an_ack_war.
        """
        return self.ep.snd_wnd - seq_diff(self.ep.snd_nxt, self.ep.snd_una) - 1

    def has_action(self) -> bool:
        ep = self.ep
        if self.aborted or self.closed:
            return False
        if ep.state is State.SYN_RECEIVED:
            return self.close_in_syn_received and self.room() >= 1
        if ep.state is State.ESTABLISHED:
            if self.pre:
                return self.room() >= 1
            return not self.waits_for_fin and not self.post and self.room() >= 1
        if ep.state is State.CLOSE_WAIT:
            return self.room() >= 1
        return False

    def user_action(self) -> list[Segment]:
        """The next call of this side's application (only when has_action())."""
        ep = self.ep
        queue = self.pre if self.pre else self.post if ep.state is State.CLOSE_WAIT else []
        if queue and ep.state in (State.ESTABLISHED, State.CLOSE_WAIT):
            chunk = queue.pop(0)
            piece, rest = chunk[: self.room()], chunk[self.room():]
            if rest:
                queue.insert(0, rest)
            self.sent += piece
            return ep.send(piece)
        self.closed = True
        return ep.close()


chunks = st.lists(st.binary(min_size=1, max_size=12), max_size=4)
iss_values = st.one_of(st.integers(MOD - 40, MOD - 1), st.integers(0, MOD - 1))


@st.composite
def scenarios(draw):
    mode = draw(st.sampled_from(["a-closes-first", "b-closes-first", "simultaneous"]))
    a_waits, b_waits = mode == "b-closes-first", mode == "a-closes-first"
    a_pre, b_pre = draw(chunks), draw(chunks)
    # Half-close: the side that waits sends more data after the peer's FIN.
    a_post = draw(chunks) if a_waits else []
    b_post = draw(chunks) if b_waits else []
    return dict(
        simultaneous_open=draw(st.booleans()),
        iss=(draw(iss_values), draw(iss_values)),
        rcv_wnd=(draw(st.sampled_from([3, 8, 65535])), draw(st.sampled_from([3, 8, 65535]))),
        a=dict(pre=a_pre, post=a_post, waits_for_fin=a_waits),
        b=dict(pre=b_pre, post=b_post, waits_for_fin=b_waits),
        close_in_syn_received=draw(st.booleans()),
        faults=draw(st.integers(0, 12)),
        # ABORT by one side after some events, in about one run in five.
        abort=draw(st.tuples(st.sampled_from("ab"), st.integers(0, 30))) if draw(st.integers(0, 4)) == 0 else None,
    )


def run(sc: dict, rng) -> tuple[Side, Side, list[Segment]]:
    def side(name: str, i: int) -> Side:
        script = sc[name]
        return Side(
            name, Endpoint(iss=sc["iss"][i], rcv_wnd=sc["rcv_wnd"][i]),
            pre=list(script["pre"]), post=list(script["post"]),
            waits_for_fin=script["waits_for_fin"], close_in_syn_received=False,
        )

    a, b = side("a", 0), side("b", 1)
    # CLOSE in SYN-RECEIVED only for a side with nothing to send and nothing to wait for.
    for side in (a, b):
        side.close_in_syn_received = (
            sc["close_in_syn_received"] and not side.pre and not side.post and not side.waits_for_fin
        )
    peer = {"a": b, "b": a}
    in_flight: list[tuple[str, Segment]] = []  # (destination, segment)
    transmitted: list[Segment] = []
    faults = sc["faults"]

    def transmit(src: Side, segments: list[Segment]) -> None:
        for s in segments:
            transmitted.append(s)
            in_flight.append((peer[src.name].name, s))

    def after_event(side: Side) -> None:
        side.got += side.ep.delivered()
        side.states.add(side.ep.state)
        if side.ep.state is State.CLOSED and not side.aborted:
            side.finished = True

    # OPEN: passive B listens before A's SYN can reach it, or both go active.
    transmit(b, b.ep.open(active=sc["simultaneous_open"]))
    transmit(a, a.ep.open(active=True))
    for side in (a, b):
        after_event(side)

    for events in range(MAX_EVENTS):
        abort = sc["abort"]
        if abort is not None and events == abort[1]:
            side = a if abort[0] == "a" else b
            if side.ep.state is not State.CLOSED:
                side.aborted = True
                transmit(side, side.ep.abort())
                after_event(side)

        # Application calls and deliveries interleave at random.
        options: list[str] = ["deliver"] * bool(in_flight)
        options += [s.name for s in (a, b) if s.has_action()]
        if options:
            pick = rng.choice(options)
            if pick != "deliver":
                side = a if pick == "a" else b
                transmit(side, side.user_action())
                after_event(side)
                continue
            if faults > 0:
                index = rng.randrange(len(in_flight))
                faults -= index != 0  # reordering
                dest, s = in_flight.pop(index)
                fate = rng.random()
                if fate < 0.3 and faults > 0:
                    faults -= 1
                    continue  # lost
                if fate < 0.45 and faults > 0:
                    faults -= 1
                    in_flight.insert(rng.randrange(len(in_flight) + 1), (dest, s))  # duplicated
            else:
                dest, s = in_flight.pop(0)
            target = a if dest == "a" else b
            if target.finished:
                continue  # quiet time: it outlived its MSL (see module docstring)
            transmit(target, target.ep.segment_arrives(s))
            after_event(target)
            continue

        # The network is idle and no application has anything to do: timers.
        fired = False
        for side in (a, b):
            if side.ep.timer_running("retransmission"):
                transmit(side, side.ep.timeout("retransmission"))
                fired = True
        if fired:
            continue
        waiting = [s for s in (a, b) if s.ep.state is State.TIME_WAIT]
        if waiting:
            for side in waiting:
                side.ep.timeout("time-wait")
                after_event(side)
            continue
        break
    else:
        raise AssertionError(f"no quiescence after {MAX_EVENTS} events")

    if a.aborted or b.aborted:
        # A half-open survivor with nothing outstanding waits forever (no
        # keep-alive): its application gives up.
        for side in (a, b):
            if side.ep.state is not State.CLOSED:
                transmit(side, side.ep.abort())
    return a, b, transmitted


@settings(deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_reliable_in_order_delivery_over_a_lossy_network(sc, rng):
    a, b, transmitted = run(sc, rng)
    if sc["abort"] is None or not (a.aborted or b.aborted):
        assert a.got == b.sent, "b -> a"
        assert b.got == a.sent, "a -> b"
        assert a.sent == b"".join(sc["a"]["pre"] + sc["a"]["post"])
        assert b.sent == b"".join(sc["b"]["pre"] + sc["b"]["post"])
        assert (a.ep.state, b.ep.state) == (State.CLOSED, State.CLOSED)
        assert State.TIME_WAIT in a.states | b.states
        assert not any(s.rst for s in transmitted)
        assert not a.ep.closed_by_reset and not b.ep.closed_by_reset
    else:
        # Aborted: whatever arrived is an in-order prefix, nothing twice.
        assert a.sent.startswith(b.got) and b.sent.startswith(a.got)
        assert (a.ep.state, b.ep.state) == (State.CLOSED, State.CLOSED)


def test_example_scenario_near_the_wrap():
    import random

    sc = dict(
        simultaneous_open=False,
        iss=(MOD - 1, MOD - 3),
        rcv_wnd=(8, 3),
        a=dict(pre=[b"hello, ", b"world"], post=[], waits_for_fin=False),
        b=dict(pre=[b"hi"], post=[b"after ", b"your FIN"], waits_for_fin=True),
        close_in_syn_received=False,
        faults=6,
        abort=None,
    )
    a, b, transmitted = run(sc, random.Random(7))
    assert bytes(b.got) == b"hello, world"
    assert bytes(a.got) == b"hiafter your FIN"
    assert State.TIME_WAIT in a.states and State.LAST_ACK in b.states
    assert not any(s.rst for s in transmitted)


def test_send_beyond_the_window_is_refused_so_no_ack_war():
    """3.8.6 / 3.10.2 (DECISIONS.md): SEND never sends beyond SND.UNA +
    SND.WND; a buffer that does not fit is refused with "insufficient
    resources". The ACK war of an endpoint that overran its peer's window
    (each pure ACK beyond the other's window, each answered by an ACK)
    cannot start: what is sent fits, and the ACKs of it are acceptable."""
    iss_a, iss_b, wnd = MOD - 2, 5, 3
    a, b = Endpoint(iss=iss_a, rcv_wnd=wnd), Endpoint(iss=iss_b, rcv_wnd=wnd)
    b.open(active=False)
    [syn] = a.open(active=True)
    [syn_ack] = b.segment_arrives(syn)
    [ack] = a.segment_arrives(syn_ack)
    assert b.segment_arrives(ack) == []
    before = a.snapshot()
    with pytest.raises(InsufficientResources):
        a.send(b"x" * 10)
    assert a.snapshot() == before
    [data_a], [data_b] = a.send(b"x" * wnd), b.send(b"y" * wnd)
    [ack_from_b] = b.segment_arrives(data_a)
    [ack_from_a] = a.segment_arrives(data_b)
    assert a.segment_arrives(ack_from_b) == [] and b.segment_arrives(ack_from_a) == []
    assert (a.rcv_nxt, b.rcv_nxt) == ((iss_b + 1 + wnd) % MOD, (iss_a + 1 + wnd) % MOD)
    assert a.snd_una == a.snd_nxt and b.snd_una == b.snd_nxt
