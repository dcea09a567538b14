"""The seven questions, as data: for each, the variant that breaks the
property, the check (a name of `verify --list-checks`) that says so, the
options of the one run of the two-endpoint explorer it needs (the smallest
run in which the variant's counterexample exists: the bound is printed with
every answer), and the ladders of the legal behaviour drawn on the RFC 9293
table (`explain` scenarios, or the acts below)."""

from __future__ import annotations

from dataclasses import dataclass

from checker.analysis.options import Options
from checker.generate.explain import SCENARIOS, Act, call, deliver, lose, run, timeout
from model.events import Close, Open

# the composed runs: reliable unless the counterexample needs a fault
RELIABLE = Options(loss=False, old_syn=False, abort=False, opens=1)


@dataclass(frozen=True)
class Question:
    key: str  # what `faq QUESTION` takes
    variant: str | None  # the shipped variant that breaks the property (None: nothing to break)
    checks: tuple[str, ...]  # the property first; all fail on the variant's table or hold on the RFC's
    kind: str  # "table", "composed" or "proof": where the checks run
    opts: Options | None = None  # the explorer's run, for kind "composed"
    ladders: tuple[str, ...] = ()  # legal ladders on the RFC 9293 table (LADDERS or explain SCENARIOS)
    resets: bool = False  # also the table of what a RST does in each state (resets.py)


QUESTIONS = {q.key: q for q in [
    Question("three-way", "two_way_handshake", ("isn-agreement",), "composed",
             RELIABLE.with_(old_syn=True), ("old-duplicate-syn",)),
    Question("four-way", "no_half_close", ("data-delivery",), "composed", RELIABLE,
             ("half-close", "three-segment-close")),
    # the ISN clock moved by 1 only (a connection that sent faster than it ran, 3.4.1): the
    # old incarnation's numbers overlap the new one's, which TIME-WAIT alone then protects
    Question("time-wait", "no_time_wait", ("graceful-close",), "composed", RELIABLE.with_(opens=2, iss_steps=(1,)),
             ("close",)),
    Question("isn", "fixed_iss", ("data-integrity",), "composed", RELIABLE.with_(opens=2)),
    Question("simultaneous", None, ("handshake", "close"), "proof", None,
             ("simultaneous-open", "simultaneous-close")),
    Question("rst", "rfc793_rst", ("reset-safety",), "proof", None, (), resets=True),
    Question("syn-ack", "rfc793_syn_ack_check", ("handshake-ack",), "table", None, ("handshake",)),
]}


def _three_segment_close() -> list[Act]:
    """A closes; B's bare ACK of the FIN stands for the ACK a stack delays
    (3.8.6.3) and merges into its own FIN when its user closes at once: it
    is dropped here, so that B's FIN,ACK alone acknowledges A's FIN and A
    goes from FIN-WAIT-1 straight to TIME-WAIT (Figure 5, Note 2)."""
    return [call("B", Open(False)), call("A", Open(True)), deliver("B"), deliver("A"), deliver("B"),
            call("A", Close()), deliver("B"),
            lose("A", note="the ACK a delaying stack merges into its FIN"),
            call("B", Close()), deliver("A"), deliver("B"), timeout("A", "time-wait")]


# ladders of this package: name -> (title, RFC sections, acts)
LADDERS = {
    "three-segment-close": ("Close in three segments: B's ACK rides on its FIN",
                            "3.6 Figure 12, 3.8.6.3, 3.10.7.4 fifth and eighth", _three_segment_close),
}


def ladder_run(model, name: str, iss_a: int, iss_b: int):
    """(title, RFC sections, explain Run) of a legal ladder on `model`."""
    if name in LADDERS:
        title, ref, acts = LADDERS[name]
        return title, ref, run(model, acts(), iss_a, iss_b, strict=False)
    sc = SCENARIOS[name]
    return sc.title, sc.ref, run(model, sc.acts(iss_a, iss_b), iss_a, iss_b, strict=False)
