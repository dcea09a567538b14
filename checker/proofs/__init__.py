"""z3 proofs of the sequence-number properties of RFC 9293, for all 2^32
values of every sequence number, wraparound included.

Every proof reads the rows of the table (or of a variant): guards, emitted
segments and updates are evaluated on z3 BitVec(32) terms through the one
algebra `model.seq`, by `model.expr.to_z3` and the symbolic executor
`checker.proofs.symbolic` (which runs the rows exactly as `model.machine` does).
Nothing here restates a rule of the table; what is written here is the
claims, taken from the RFC text.

Each proof is a named check returning a `CheckResult`: PASS with what was
proved, or FAIL with a concrete counterexample (hex values, the row at
fault, and the events to replay it through `model.step`: see `replay`).

The proofs and their methods:

row-soundness (3.3.1, 3.3.2, 3.4): induction on one endpoint. For every
  state and every event, every branch of the table's rows (all of them,
  symbolic execution of the 3.10.7.4 pipeline included) maps a
  configuration satisfying the endpoint invariant to one satisfying it, and
  moves SND.NXT and RCV.NXT exactly as the ghost counters of the event say.
handshake (3.4, 3.5 Figures 6-7, 3.10.7.2-3.10.7.4): symbolic execution of
  every interleaving of the two-endpoint system (client/server and
  simultaneous open, reliable network) with symbolic ISS_A, ISS_B and
  windows; and of every path of the one-endpoint control graph from CLOSED
  to ESTABLISHED with arbitrary symbolic segments arriving.
close (3.6 Figures 12-13, 3.10.4, 3.10.7.4; MUST-13): symbolic execution
  of every interleaving of the two-endpoint system from the handshake to
  the end of the close, each side SENDing and CLOSing once (active/passive,
  simultaneous, half-close with data after the first FIN).
acceptability (3.4, 3.10.7.4 Table 6), comparison (3.4), reset-safety
  (3.10.7.4 second and fourth; RFC 5961 3.2, 4.2), retransmission (3.10.8,
  3.6), drops (3.10.7.1-3.10.7.4: what is dropped or ignored changes
  nothing; the send window follows the acceptable ACKs), calls (3.10.1-
  3.10.5, 3.10.8: the state each user call and timeout enters and what it
  sends): one z3 query per claim (per state, per branch).

All of them are unbounded in the 32-bit values: a claim is proved when z3
finds the negated claim `unsat` together with the path condition. Proofs 2
and 3 use symbolic execution of every path of the finite control graph of
the two-endpoint system (not induction): finite because each user call
happens once and the network is reliable and FIFO, without timeouts; loss,
duplication, reordering and retransmission are the business of the graph
checks of `verify` (concrete ISS values), and one-endpoint retransmission is
proof 7.

Assumptions (the environment, not the table; `environment_facts`): receive
windows are at most 2^30 (RFC 7323 2.3), a segment carries fewer than 2^16
octets, and the user SENDs only while the unacknowledged data stays within
2^30. Proof 3 also assumes windows of at least 2^16, so that no segment is
cut (nothing is retransmitted there).

Two devices keep z3 fast without weakening any claim: variables are
introduced as a base plus a free offset (SEG.SEQ = RCV.NXT + o, SEG.ACK =
SND.UNA + a, SND.NXT = SND.UNA + n), a bijective change of variables that
still ranges over every 32-bit value; and the executor splits a branch on
the condition of an if-then-else inside an update (e.g. the "smaller of"
of the text step), so that terms stay plain sums.
"""

from __future__ import annotations

import time

from checker.proofs.acceptability import prove_acceptability
from checker.proofs.calls import prove_calls
from checker.proofs.close import prove_close
from checker.proofs.comparison import prove_comparison
from checker.proofs.drops import prove_drops
from checker.proofs.handshake import prove_handshake
from checker.proofs.replay import replay
from checker.proofs.reset_safety import prove_reset_safety
from checker.proofs.retransmission import prove_retransmission
from checker.proofs.row_soundness import prove_row_soundness
from checker.result import CheckResult, NotChecked, not_checked
from model.machine import Model

__all__ = ["PROOFS", "PROOF_NAMES", "replay", "run_proofs"]


PROOFS = {
    "row-soundness": prove_row_soundness,
    "handshake": prove_handshake,
    "close": prove_close,
    "acceptability": prove_acceptability,
    "comparison": prove_comparison,
    "reset-safety": prove_reset_safety,
    "retransmission": prove_retransmission,
    "drops": prove_drops,
    "calls": prove_calls,
}
PROOF_NAMES = tuple(PROOFS)


def proof_ref(name: str) -> str:
    """The RFC sections a proof is about."""
    return PROOFS[name].check_ref


def run_proof(model: Model, name: str) -> CheckResult:
    """One proof; z3's unknown (a timeout, an interrupt) is "not checked"
    with z3's reason, never a proof."""
    t0 = time.perf_counter()
    try:
        r = PROOFS[name](model)
    except NotChecked as err:
        r = not_checked(name, proof_ref(name), str(err), time.perf_counter() - t0)
    r.run = "z3"
    return r


def run_proofs(model: Model, names=None, progress=None) -> list[CheckResult]:
    """Run the named proofs (all by default, in PROOF_NAMES order) in this
    process; `progress(result)` is called after each. (`verify` and
    `prove` run them in worker processes through `checker.pool`.)"""
    names = list(PROOF_NAMES) if not names else list(names)
    unknown = [n for n in names if n not in PROOFS]
    if unknown:
        raise KeyError(f"unknown proof(s) {', '.join(unknown)}; proofs are {', '.join(PROOF_NAMES)}")
    out = []
    for nm in names:
        out.append(run_proof(model, nm))
        if progress:
            progress(out[-1])
    return out
