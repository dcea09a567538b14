"""packetdrill scripts whose expected segments are computed by the table.

The local stack under test is endpoint A of a `checker.generate.explain` run, the
script plays the remote peer B. Each scenario is driven through the model
(`checker.generate.explain.run`), then written in packetdrill's language:
- A's user calls become socket calls: passive OPEN = socket, bind, listen
  (and accept once the handshake completes); active OPEN = a non-blocking
  connect; CLOSE = close() in LISTEN/SYN-SENT, else shutdown(SHUT_WR) (3.6:
  CLOSE means "I have no more data to send", the RFC's half-close); ABORT =
  SO_LINGER {onoff=1, linger=0} then close() (3.10.5);
- segments B sends and A receives are inbound packets (`<`); segments A
  sends are expected outbound packets (`>`), with SEQ/ACK as the model
  computes them. packetdrill numbers the local stack's sequence space from
  its ISN, so the model runs A with ISS 0; B's ISS is 0 too;
- B's own calls and receptions are comments (the script is B).
Every script names the scenario's RFC 9293 sections and, per step of A, the
table row(s) that fired and their RFC rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.generate.explain import (
    Act,
    Run,
    ScenarioError,
    call,
    deliver,
    inject,
    lose,
    rst_at_rcv_nxt,
    run,
    timeout,
)
from model.config import Config
from model.events import Abort, Close, Open, Segment, Send
from model.machine import Model
from model.state import State

S = State
ISS_LOCAL, ISS_REMOTE, WINDOW = 0, 0, 1000
LISTEN_FD, FIRST_ACCEPT_FD = 3, 4


def probe(receiver: Config, peer: Config) -> Segment:
    """The segment the peer would send in its state, <SEQ=SND.NXT><ACK=RCV.NXT>
    <CTL=ACK>: a closed receiver must answer it with <SEQ=SEG.ACK><CTL=RST>
    (3.10.7.1), which shows in the script that the connection is gone."""
    return Segment(seq=peer.snd_nxt, ack=peer.rcv_nxt, ackf=True, wnd=peer.rcv_wnd)


def _passive() -> list[Act]:
    return [call("A", Open(False)), call("B", Open(True)), deliver("A"), deliver("B"), deliver("A")]


def _active() -> list[Act]:
    return [call("B", Open(False)), call("A", Open(True)), deliver("B"), deliver("A"), deliver("B")]


def _close_local() -> list[Act]:
    return [call("A", Close()), deliver("B"), deliver("A"), call("B", Close()), deliver("A"),
            deliver("B")]


def _close_remote() -> list[Act]:
    return [call("B", Close()), deliver("A"), deliver("B"), call("A", Close()), deliver("B"),
            deliver("A")]


PROBE = inject("A", probe, "probe: is the connection gone?")


@dataclass(frozen=True)
class PktScenario:
    name: str
    title: str
    ref: str
    acts: tuple[Act, ...]


def _sc(name, title, ref, acts) -> PktScenario:
    return PktScenario(name, title, ref, tuple(acts))


SCENARIOS = [
    _sc("passive-open", "listener: three-way handshake", "3.5 Figure 6; 3.10.1; 3.10.7.2; 3.10.7.4",
        _passive()),
    _sc("passive-close-local", "listener: the local user closes first", "3.6 case 1, Figure 12; 3.10.4; MUST-13",
        _passive() + _close_local()),
    _sc("passive-close-remote", "listener: the peer closes first", "3.6 case 2, Figure 12; 3.10.4; 3.10.7.4 eighth",
        _passive() + _close_remote()),
    _sc("passive-simultaneous-close", "listener: both close at once (CLOSING)", "3.6 case 3, Figure 13",
        _passive() + [call("A", Close()), call("B", Close()), deliver("A"), deliver("B"), deliver("A"),
                      deliver("B")]),
    _sc("passive-fin-acks-fin", "listener: a FIN that also acknowledges our FIN",
        "3.3.2 Figure 5 Note 2; 3.10.7.4 fifth and eighth",
        _passive() + [call("A", Close()), deliver("B"), lose("A", note="the peer's ACK of our FIN is lost"),
                      call("B", Close()), deliver("A"), deliver("B")]),
    _sc("passive-half-close", "listener: half-closed connection, the peer keeps sending",
        "3.6, 3.6.1; 3.10.7.4 seventh",
        _passive() + [call("A", Close()), deliver("B"), deliver("A"), call("B", Send(10)), deliver("A"),
                      deliver("B"), call("B", Close()), deliver("A"), deliver("B")]),
    _sc("active-open", "connector: three-way handshake", "3.5 Figure 6; 3.10.1; 3.10.7.3", _active()),
    _sc("active-close-local", "connector: the local user closes first", "3.6 case 1, Figure 12; 3.10.4",
        _active() + _close_local()),
    _sc("active-close-remote", "connector: the peer closes first", "3.6 case 2, Figure 12; 3.10.4",
        _active() + _close_remote()),
    _sc("simultaneous-open", "connector: simultaneous open", "3.5 Figure 7; MUST-10; 3.10.7.3 fourth",
        [call("A", Open(True)), call("B", Open(True)), deliver("A"), deliver("B"), deliver("A"),
         deliver("B")]),
    _sc("rst-listen", "RST in LISTEN is ignored", "3.10.7.2 first; 3.5.3",
        [call("A", Open(False)), inject("A", rst_at_rcv_nxt, "a stray RST"), call("B", Open(True)),
         deliver("A")]),
    _sc("rst-syn-sent", "RST in SYN-SENT: connecting to a closed port", "3.10.7.1; 3.10.7.3 second; 3.5.2 group 1",
        [call("A", Open(True)), deliver("B"), deliver("A"), PROBE]),
    _sc("rst-syn-received-passive", "RST in SYN-RECEIVED after a passive OPEN returns to LISTEN",
        "3.10.7.4 second; 3.3.2 Figure 5 Note 1; MUST-11",
        [call("A", Open(False)), call("B", Open(True)), deliver("A"),
         inject("A", rst_at_rcv_nxt, "RST at RCV.NXT"), timeout("B", "retransmission"), deliver("A")]),
    _sc("rst-syn-received-active", "RST in SYN-RECEIVED after an active OPEN: connection refused",
        "3.10.7.4 second; MUST-11",
        [call("A", Open(True)), call("B", Open(True)), deliver("A"),
         inject("A", rst_at_rcv_nxt, "RST at RCV.NXT"), PROBE]),
    _sc("rst-established", "RST in ESTABLISHED: connection reset", "3.10.7.4 second; 3.5.3; Figure 5 Note 3",
        _passive() + [call("B", Abort()), deliver("A"), PROBE]),
    _sc("rst-fin-wait-1", "RST in FIN-WAIT-1", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), call("B", Abort()), deliver("A"), PROBE]),
    _sc("rst-fin-wait-2", "RST in FIN-WAIT-2", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), deliver("B"), deliver("A"), call("B", Abort()), deliver("A"),
                      PROBE]),
    _sc("rst-close-wait", "RST in CLOSE-WAIT", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("B", Abort()), deliver("A"),
                      PROBE]),
    _sc("rst-closing", "RST in CLOSING", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("A", Close()), call("B", Close()), deliver("A"), call("B", Abort()),
                      deliver("A", index=0), PROBE]),
    _sc("rst-last-ack", "RST in LAST-ACK", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("A", Close()), call("B", Abort()),
                      deliver("A"), PROBE]),
    _sc("rst-time-wait", "RST in TIME-WAIT", "3.10.7.4 second; Figure 5 Note 3",
        _passive() + _close_local()[:-1] + [inject("A", rst_at_rcv_nxt, "RST at RCV.NXT"), PROBE]),
    _sc("abort-syn-sent", "ABORT in SYN-SENT: nothing is sent", "3.10.5",
        [call("B", Open(False)), call("A", Open(True)), call("A", Abort())]),
    _sc("abort-established", "ABORT in ESTABLISHED sends a RST", "3.10.5",
        _passive() + [call("A", Abort()), deliver("B")]),
    _sc("abort-close-wait", "ABORT in CLOSE-WAIT sends a RST", "3.10.5",
        _passive() + [call("B", Close()), deliver("A"), deliver("B"), call("A", Abort())]),
]


@dataclass
class Script:
    name: str
    title: str
    ref: str
    text: str
    states: list[State]  # A's states, in order
    rows: list[str]  # rows that fired at A and did something
    rst_in: list[State]  # states of A in which a RST arrived
    stopped: str | None = None  # the model refused a step: the script ends there


def _flags(s: Segment, outbound: bool) -> str:
    letters = ("S" if s.syn else "") + ("F" if s.fin else "") + ("R" if s.rst else "")
    if s.data and outbound:
        letters += "P"  # stacks push the data they send at once (the model has no PSH)
    if s.ackf:
        return letters + "."
    return letters or "-"


def packet_line(s: Segment, outbound: bool) -> str:
    end = s.seq + s.data
    if end > 0xFFFFFFFF:
        raise ScenarioError(f"packetdrill cannot write a segment that wraps: {s.brief()}")
    line = f"{'>' if outbound else '<'} {_flags(s, outbound)} {s.seq}:{end}({s.data})"
    if s.ackf:
        line += f" ack {s.ack}"
    if outbound:
        if s.syn:
            line += " <...>"  # the stack's SYN options are not checked
    else:
        line += f" win {s.wnd}"
    return line


def _does_something(row) -> bool:
    return bool(row.goto is not None or row.emit or row.ack or row.set or row.error)


def render(sc: PktScenario, r: Run, model: Model) -> Script:
    out: list[str] = []
    rules: dict[str, str] = {}
    states = [r.start_a.state]
    rst_in: list[State] = []
    fd = None
    listen_fd = None
    first = True

    def line(text: str, comment: str = "") -> None:
        nonlocal first
        prefix = "0" if first else "+0"
        if text.startswith("*"):
            prefix, text = "*", text[1:].lstrip()
        first = False
        out.append(f"{prefix:<3}{text}" + (f"   // {comment}" if comment else ""))

    for k, st in enumerate(r.steps):
        act = st.act
        rows = [model.rows[_row_index(model, n)] for n in st.fired]
        doing = [x for x in rows if _does_something(x)]
        for x in doing if act.side == "A" else ():
            rules.setdefault(x.name, x.ref)
        change = f"A: {st.before.state} -> {st.a.state}" if act.side == "A" else ""
        why = ", ".join(x.name for x in doing)
        note = f"{change} [{why}]" if why else change
        if act.side == "B":
            what = st.what() if act.kind not in ("deliver", "lose") else \
                f"{st.what()} {st.segment.brief()}"
            out.append(f"// peer: {what} -> {st.b.state}" + (f" ({act.note})" if act.note else ""))
            continue
        if act.kind == "call":
            ev = act.event
            if isinstance(ev, Open) and not ev.active:
                line(f"socket(..., SOCK_STREAM, IPPROTO_TCP) = {LISTEN_FD}")
                line(f"setsockopt({LISTEN_FD}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0")
                line(f"bind({LISTEN_FD}, ..., ...) = 0")
                line(f"listen({LISTEN_FD}, 1) = 0", note)
                listen_fd = LISTEN_FD
            elif isinstance(ev, Open):
                line(f"socket(..., SOCK_STREAM, IPPROTO_TCP) = {LISTEN_FD}")
                line(f"fcntl({LISTEN_FD}, F_SETFL, O_RDWR|O_NONBLOCK) = 0")
                line(f"connect({LISTEN_FD}, ..., ...) = -1 EINPROGRESS (Operation now in progress)", note)
                fd = LISTEN_FD
            elif isinstance(ev, Close):
                if st.before.state in (S.LISTEN, S.SYN_SENT):
                    line(f"close({fd if fd is not None else listen_fd}) = 0", note)
                else:
                    line(f"shutdown({fd}, SHUT_WR) = 0", note)
            elif isinstance(ev, Abort):
                target = fd if fd is not None else listen_fd
                line(f"setsockopt({target}, SOL_SOCKET, SO_LINGER, {{onoff=1, linger=0}}, 8) = 0")
                line(f"close({target}) = 0", note)
            elif isinstance(ev, Send):
                line(f"write({fd}, ..., {ev.length}) = {ev.length}", note)
            else:
                raise ScenarioError(f"{sc.name}: no socket call for {ev}")
            for s in st.sent:
                line(packet_line(s, True))
        elif act.kind in ("deliver", "inject"):
            if st.segment.rst:
                rst_in.append(st.before.state)
            line(packet_line(st.segment, False), note + (f" ({act.note})" if act.note else ""))
            for s in st.sent:
                line("* " + packet_line(s, True))
        elif act.kind == "lose":
            out.append(f"// lost before it reached the stack: {st.segment.brief()}"
                       + (f" ({act.note})" if act.note else ""))
        else:
            raise ScenarioError(f"{sc.name}: step {k + 1}: {act.kind} of the stack under test "
                                "cannot be scripted")
        if (st.before.state is S.SYN_RECEIVED and st.before.passive and st.a.state in
                (S.ESTABLISHED, S.CLOSE_WAIT) and fd is None):
            fd = FIRST_ACCEPT_FD
            line(f"accept({listen_fd}, ..., ...) = {fd}", "the handshake completed: the connection is accepted")
        if st.a.state is not states[-1]:
            states.append(st.a.state)
    head = [f"// {sc.name}: {sc.title}.",
            f"// Exercises RFC 9293 {sc.ref}.",
            f"// Generated by `python -m checker oracle --format packetdrill` from the table of model "
            f"{model.name} ({model.source}); do not edit.",
            "// The local stack is the RFC's TCP peer A; this script plays peer B. Sequence numbers of",
            "// the local stack count from its ISN (packetdrill's convention), the peer's ISN is 0.",
            f"// States of the local stack: {' -> '.join(str(s) for s in states)}.",
            "// Rules exercised (table rows that fired at the local stack):"]
    head += [f"//   {name}: {ref}" for name, ref in rules.items()]
    if r.stopped:
        out.append(f"// INCOMPLETE: model {model.name} cannot go on with this scenario: {r.stopped}")
    text = "\n".join(head + [""] + out) + "\n"
    return Script(sc.name, sc.title, sc.ref, text, states, list(rules), rst_in, r.stopped)


_INDEX_CACHE: dict[int, dict[str, int]] = {}


def _row_index(model: Model, name: str) -> int:
    idx = _INDEX_CACHE.get(id(model))
    if idx is None or len(idx) != len(model.rows):
        idx = _INDEX_CACHE[id(model)] = {r.name: i for i, r in enumerate(model.rows)}
    return idx[name]


def scripts(model: Model) -> list[Script]:
    """Every scenario, run through `model` and written as packetdrill."""
    out = []
    for sc in SCENARIOS:
        r = run(model, list(sc.acts), ISS_LOCAL, ISS_REMOTE, WINDOW, strict=False)
        out.append(render(sc, r, model))
    return out
