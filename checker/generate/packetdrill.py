"""packetdrill scripts whose expected segments are computed by the table.

The local stack under test is endpoint A of a `checker.generate.explain` run,
the script plays the remote peer B (the scenarios are in
`checker.generate.packetdrill_scenarios`). Each scenario is driven through
the model, then written in packetdrill's language:
- A's user calls become socket calls: passive OPEN = socket, bind, listen
  (non-blocking; accept once the handshake completes); active OPEN = a
  non-blocking connect; CLOSE = close() in LISTEN/SYN-SENT, else
  shutdown(SHUT_WR) (3.6: CLOSE means "I have no more data to send", the
  RFC's half-close; an EVIDENCE scenario may ask for close()); ABORT =
  SO_LINGER {onoff=1, linger=0} then close() (3.10.5); SEND = write().
- Segments B sends and A receives are inbound packets (`<`); segments A
  sends are expected outbound packets (`>`), at `+0`: at once, within the
  runner's tolerance (`checker.interop.packetdrill_run.TOLERANCE_USECS`),
  never at any time (`*`).
- Sequence numbers are written relative to the ISN of the incarnation they
  belong to, A's and B's alike (packetdrill's own convention for the local
  stack): whatever fresh ISN a stack picks (3.4.1), the script matches. A
  second passive incarnation needs packetdrill to see a new connection:
  a second listening socket (never addressed) makes the socket under test
  a listener again, and packetdrill sends the next SYN from a new port.
- Every script ends with a final probe, `PROBE_WAIT` seconds after the last
  step: a segment A must answer at once in the state the model left it in
  (an out-of-window segment in a synchronized state: an ACK, 3.10.7.4
  first; an unacceptable ACK before: a RST, 3.10.7.1-3.10.7.4). Anything
  else the stack sends until then is read first and fails the script, so
  "nothing further is sent" is checked, and the answer shows the state.
  Where the socket under test still has a file descriptor, the script
  also asserts the kernel's TCP_INFO tcpi_state (run by packetdrill's
  python3 code events).
- A retransmission timeout of A (the table gives timers no time) is an
  expected packet within a range, `+0~+3`.
- B's own calls and receptions are comments (the script is B).
Every script names the scenario's RFC 9293 sections and the table rows that
fired at A, each with its RFC rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.generate.explain import ScenarioError, inject, run
from checker.generate.packetdrill_scenarios import EVIDENCE, SCENARIOS, PktScenario
from model.config import Config
from model.events import Abort, Close, Open, Segment, Send
from model.machine import Model
from model.seq import MASK, add, sub
from model.state import State

__all__ = ["EVIDENCE", "SCENARIOS", "Script", "final_probe", "packet_line", "render", "scripts",
           "evidence_scripts"]

S = State
ISS_LOCAL, ISS_REMOTE, WINDOW = 0, 0, 1000
FIRST_FD = 3
PROBE_WAIT = 0.1  # s: longer than Linux's 40 ms delayed ACK, shorter than its 200 ms RTO minimum
TIMER_BOUND = 3.0  # s: a retransmission timeout of the stack is expected within this (Linux: 1 s at most here)
PROBE_AHEAD = 1 << 20  # octets beyond RCV.NXT: outside every receive window here
SYNCHRONIZED = {S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK,
                S.TIME_WAIT}
# tcpi_state of a socket that still has its descriptor. TIME-WAIT lives in a
# separate minisocket on Linux: the socket itself reports TCP_CLOSE.
TCPI_STATE = {S.CLOSED: "TCP_CLOSE", S.LISTEN: "TCP_LISTEN", S.SYN_SENT: "TCP_SYN_SENT",
              S.SYN_RECEIVED: "TCP_SYN_RECV", S.ESTABLISHED: "TCP_ESTABLISHED",
              S.FIN_WAIT_1: "TCP_FIN_WAIT1", S.FIN_WAIT_2: "TCP_FIN_WAIT2",
              S.CLOSE_WAIT: "TCP_CLOSE_WAIT", S.CLOSING: "TCP_CLOSING", S.LAST_ACK: "TCP_LAST_ACK",
              S.TIME_WAIT: "TCP_CLOSE"}


def final_probe(iss_a: int, iss_b: int):
    """The segment maker of the final probe (see the module docstring), given
    the ISNs of the last incarnations of A and B: in a synchronized state one
    octet 2^20 beyond RCV.NXT (unacceptable: an ACK <SEQ=SND.NXT><ACK=RCV.NXT>);
    in SYN-SENT and SYN-RECEIVED an ACK of SND.NXT+1, beyond what was sent
    (unacceptable: <SEQ=SEG.ACK><CTL=RST>); in CLOSED and LISTEN an ACK (a RST
    <SEQ=SEG.ACK>), numbered from those ISNs where no TCB has numbers."""

    def probe(receiver: Config, peer: Config) -> Segment:
        if receiver.state in SYNCHRONIZED:
            return Segment(seq=add(receiver.rcv_nxt, PROBE_AHEAD), ack=receiver.snd_una, ackf=True,
                           data=1, wnd=peer.rcv_wnd)
        if receiver.state in (S.SYN_SENT, S.SYN_RECEIVED):
            seq = receiver.rcv_nxt if receiver.state is S.SYN_RECEIVED else add(iss_b, 1)
            return Segment(seq=seq, ack=add(receiver.snd_nxt, 1), ackf=True, wnd=peer.rcv_wnd)
        has_tcb = peer.state not in (S.CLOSED, S.LISTEN)
        knows = peer.state in SYNCHRONIZED or peer.state is S.SYN_RECEIVED
        return Segment(seq=peer.snd_nxt if has_tcb else add(iss_b, 1),
                       ack=peer.rcv_nxt if knows else add(iss_a, 1), ackf=True, wnd=peer.rcv_wnd)

    return probe


PROBE_NOTE = "final probe: nothing else was sent, and the answer shows the state"


def _last_isns(r) -> tuple[int, int]:
    """The ISNs of the last incarnations of A and B in run `r` (their SYNs)."""
    iss_a, iss_b = r.start_a.iss, 0
    for st in r.steps:
        for seg in st.sent:
            if seg.syn:
                iss_a, iss_b = (seg.seq, iss_b) if st.side == "A" else (iss_a, seg.seq)
        if st.act.kind == "inject" and st.segment.syn and st.side == "A" and \
                st.before.state in (S.LISTEN, S.SYN_SENT):
            iss_b = st.segment.seq
    return iss_a, iss_b


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
    sysctls: tuple = ()  # (key, value) pairs the script runs under
    differs: str = ""  # EVIDENCE: what the failure on Linux shows


def _flags(s: Segment, outbound: bool) -> str:
    letters = ("S" if s.syn else "") + ("F" if s.fin else "") + ("R" if s.rst else "")
    if s.data and outbound:
        letters += "P"  # stacks push the data they send at once (the model has no PSH)
    if s.ackf:
        return letters + "."
    return letters or "-"


def packet_line(s: Segment, outbound: bool, seq_base: int = 0, ack_base: int = 0) -> str:
    """One packet; SEQ counted from `seq_base`, ACK from `ack_base` (the ISNs
    of the sender's and the receiver's incarnations)."""
    seq = sub(s.seq, seq_base)
    end = seq + s.data
    if end > MASK:
        raise ScenarioError(f"packetdrill cannot write a segment that wraps: {s.brief()}")
    line = f"{'>' if outbound else '<'} {_flags(s, outbound)} {seq}:{end}({s.data})"
    if s.ackf:
        line += f" ack {sub(s.ack, ack_base)}"
    if outbound:
        if s.syn:
            line += " <...>"  # the stack's SYN options are not checked
    else:
        line += f" win {s.wnd}"
    return line


def _does_something(row) -> bool:
    return bool(row.goto is not None or row.emit or row.ack or row.set or row.error)


class _Writer:
    """The lines of one script and packetdrill's view of its sockets."""

    def __init__(self, sc: PktScenario):
        self.sc = sc
        self.out: list[str] = []
        self.first = True
        self.next_fd = FIRST_FD
        self.listen_fd: int | None = None
        self.fd: int | None = None  # the connection's descriptor, once it has one
        self.under_test: int | None = None  # packetdrill's socket under test, if it has a live fd
        self.children = 0  # SYNs that reached the listener (packetdrill's passive connections)
        self.base_a = self.base_b = 0

    def line(self, text: str, comment: str = "", wait: float = 0.0, timer: bool = False) -> None:
        when = "0" if self.first else (f"+{wait:g}" if wait else "+0")
        if timer:
            when = f"+0~+{TIMER_BOUND:g}"
        self.first = False
        self.out.append(f"{when:<6}{text}" + (f"   // {comment}" if comment else ""))

    def comment(self, text: str) -> None:
        self.out.append(f"// {text}")

    def new_fd(self) -> int:
        fd, self.next_fd = self.next_fd, self.next_fd + 1
        return fd

    def a_sent(self, s: Segment) -> None:
        if s.syn:
            self.base_a = s.seq  # a SYN carries the incarnation's ISS (3.4.1)
        self.line(packet_line(s, True, self.base_a, self.base_b))

    def b_sent(self, s: Segment, note: str, wait: float, a_state: State) -> None:
        """A segment of B arriving at A (in `a_state`)."""
        if s.syn and a_state in (S.LISTEN, S.SYN_SENT):
            self.base_b = s.seq  # the SYN that may open an incarnation of the peer (its ISS)
        if s.syn and a_state is S.LISTEN and self.fd is None:
            if self.children:
                # a new passive incarnation: packetdrill must see a listener again
                dummy = self.new_fd()
                self.line(f"socket(..., SOCK_STREAM, IPPROTO_TCP) = {dummy}",
                          "packetdrill bookkeeping: a listener again (see the header)")
                self.line(f"listen({dummy}, 1) = 0")
            self.children += 1
            self.under_test = None  # packetdrill's child socket has no descriptor yet
        self.line(packet_line(s, False, self.base_b, self.base_a), note, wait)


def _call(w: _Writer, sc: PktScenario, st, note: str) -> None:
    ev = st.act.event
    if isinstance(ev, Open) and not ev.active:
        fd = w.listen_fd = w.under_test = w.new_fd()
        w.line(f"socket(..., SOCK_STREAM, IPPROTO_TCP) = {fd}")
        w.line(f"fcntl({fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0")
        w.line(f"setsockopt({fd}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0")
        w.line(f"bind({fd}, ..., ...) = 0")
        w.line(f"listen({fd}, 1) = 0", note)
    elif isinstance(ev, Open):
        fd = w.fd = w.under_test = w.new_fd()
        w.line(f"socket(..., SOCK_STREAM, IPPROTO_TCP) = {fd}")
        w.line(f"fcntl({fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0")
        w.line(f"connect({fd}, ..., ...) = -1 EINPROGRESS (Operation now in progress)", note)
    elif isinstance(ev, Close):
        target = w.fd if w.fd is not None else w.listen_fd
        if st.before.state in (S.LISTEN, S.SYN_SENT) or sc.close_as == "close":
            w.line(f"close({target}) = 0", note)
            if w.under_test == target:
                w.under_test = None
        else:
            w.line(f"shutdown({target}, SHUT_WR) = 0", note)
    elif isinstance(ev, Abort):
        target = w.fd if w.fd is not None else w.listen_fd
        w.line(f"setsockopt({target}, SOL_SOCKET, SO_LINGER, {{onoff=1, linger=0}}, 8) = 0")
        w.line(f"close({target}) = 0", note)
        if w.under_test == target:
            w.under_test = None
    elif isinstance(ev, Send):
        w.line(f"write({w.fd}, ..., {ev.length}) = {ev.length}", note)
    else:
        raise ScenarioError(f"{sc.name}: no socket call for {ev}")


def render(sc: PktScenario, r, model: Model, stop_at: int | None = None) -> Script:
    """Write run `r` of scenario `sc`; `stop_at`: the index of the step (the
    final probe) that follows where the scenario stopped, if it did."""
    w = _Writer(sc)
    rules: dict[str, str] = {}
    states = [r.start_a.state]
    rst_in: list[State] = []
    # numbers count from the ISN of their incarnation; the peer's, before it has one, from 0
    w.base_a, w.base_b = r.start_a.iss, 0
    for k, st in enumerate(r.steps):
        act = st.act
        rows = [model.rows[_row_index(model, n)] for n in st.fired]
        doing = [x for x in rows if _does_something(x)]
        for x in doing if act.side == "A" else ():
            rules.setdefault(x.name, x.ref)
        change = f"A: {st.before.state} -> {st.a.state}" if act.side == "A" else ""
        why = ", ".join(x.name for x in doing)
        note = f"{change} [{why}]" if why else change
        if k == stop_at:
            w.comment(f"INCOMPLETE: model {model.name} cannot go on with this scenario: {r.stopped}; "
                      "the final probe follows")
        if act.side == "B":
            what = st.what() if act.kind not in ("deliver", "lose") else f"{st.what()} {st.segment.brief()}"
            w.comment(f"peer: {what} -> {st.b.state}" + (f" ({act.note})" if act.note else ""))
            continue
        if act.kind == "call":
            _call(w, sc, st, note)
            for s in st.sent:
                w.a_sent(s)
        elif act.kind in ("deliver", "inject"):
            if st.segment.rst:
                rst_in.append(st.before.state)
            probe = act.note == PROBE_NOTE
            if probe:
                w.comment(f"final probe, {PROBE_WAIT:g} s later: the stack has sent nothing else, "
                          f"and its answer shows {st.before.state}")
            w.b_sent(st.segment, note + (f" ({act.note})" if act.note and not probe else ""),
                     PROBE_WAIT if probe else 0.0, st.before.state)
            for s in st.sent:
                w.a_sent(s)
        elif act.kind == "timeout" and st.sent:
            # a timer of the stack: the table gives it no time, so the script gives it a range
            for i, seg in enumerate(st.sent):
                w.line(packet_line(seg, True, w.base_a, w.base_b), note if i == 0 else "",
                       timer=(i == 0))
        elif act.kind == "lose":
            w.comment(f"lost before it reached the stack: {st.segment.brief()}"
                      + (f" ({act.note})" if act.note else ""))
        else:
            raise ScenarioError(f"{sc.name}: step {k + 1}: {act.kind} of the stack under test "
                                "cannot be scripted")
        if (w.listen_fd is not None and w.fd is None and st.a.state in (S.ESTABLISHED, S.CLOSE_WAIT)
                and st.before.state not in (S.ESTABLISHED, S.CLOSE_WAIT)):
            w.fd = w.under_test = w.new_fd()
            w.line(f"accept({w.listen_fd}, ..., ...) = {w.fd}",
                   "the handshake completed: the connection is accepted")
        if st.a.state is not states[-1]:
            states.append(st.a.state)
    if sc.probe and w.under_test is not None:
        tcpi = TCPI_STATE[r.a.state]
        w.line(f"%{{ assert tcpi_state == {tcpi}, tcpi_state }}%",
               f"the kernel's own view: {r.a.state} (TCP_INFO)")
    head = [f"// {sc.name}: {sc.title}.",
            f"// Exercises RFC 9293 {sc.ref}.",
            f"// Generated by `python -m checker oracle --format packetdrill` from the table of model "
            f"{model.name} ({model.source}); do not edit.",
            "// The local stack is the RFC's TCP peer A; this script plays peer B. Sequence numbers",
            "// count from the ISN of their incarnation (A's and B's), so any fresh ISN matches.",
            f"// States of the local stack: {' -> '.join(str(s) for s in states)}."]
    if sc.sysctls:
        head.append("// Runs with: " + ", ".join(f"{k}={v}" for k, v in sc.sysctls) + ".")
    if sc.differs:
        head.append(f"// Evidence: expected to FAIL on Linux: {sc.differs}.")
    if w.children > 1:
        head.append("// packetdrill learns a passive connection's ISN only for a SYN that reaches a "
                    "listening socket under test:")
        head.append("// the second listener makes it one again; the new SYN comes from a new port.")
    head.append("// Rules exercised (table rows that fired at the local stack):")
    head += [f"//   {name}: {ref}" for name, ref in rules.items()]
    out = list(w.out)
    if r.stopped and stop_at is None:
        out.append(f"// INCOMPLETE: model {model.name} cannot go on with this scenario: {r.stopped}")
    text = "\n".join(head + [""] + out) + "\n"
    return Script(sc.name, sc.title, sc.ref, text, states, list(rules), rst_in, r.stopped,
                  sc.sysctls, sc.differs)


_INDEX_CACHE: dict[int, dict[str, int]] = {}


def _row_index(model: Model, name: str) -> int:
    idx = _INDEX_CACHE.get(id(model))
    if idx is None or len(idx) != len(model.rows):
        idx = _INDEX_CACHE[id(model)] = {r.name: i for i, r in enumerate(model.rows)}
    return idx[name]


def _script(model: Model, sc: PktScenario, iss_local: int, iss_remote: int) -> Script:
    """The scenario, then the final probe; where the model stops the scenario
    (a step it does not allow) the probe follows the last step it took."""
    r = run(model, list(sc.acts), iss_local, iss_remote, WINDOW, strict=False)
    stop_at = None
    if sc.probe:
        done = len(r.steps)
        stopped = r.stopped
        probe = inject("A", final_probe(*_last_isns(r)), PROBE_NOTE)
        r = run(model, list(sc.acts[:done]) + [probe], iss_local, iss_remote, WINDOW, strict=False)
        r.stopped = stopped or r.stopped
        stop_at = done if stopped else None
    return render(sc, r, model, stop_at)


def scripts(model: Model, iss_local: int = ISS_LOCAL, iss_remote: int = ISS_REMOTE) -> list[Script]:
    """Every scenario, run through `model` and written as packetdrill. The
    ISS values do not show in the scripts (numbers are relative)."""
    return [_script(model, sc, iss_local, iss_remote) for sc in SCENARIOS]


def evidence_scripts(model: Model) -> list[Script]:
    """The EVIDENCE scenarios, run through `model` (see packetdrill_scenarios)."""
    return [_script(model, sc, ISS_LOCAL, ISS_REMOTE) for sc in EVIDENCE]
