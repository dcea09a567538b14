"""The z3 proofs (checker.proofs): they hold on the RFC 9293 table, and each
has a negative control: a deliberately broken table (tests/variants/) for
which z3 finds the negated claim sat. Every counterexample is then replayed
through the concrete engine (`model.step`, ints) to show it is real."""

import json
import re
import subprocess
import sys

import pytest

from checker import proofs as P
from checker.proofs.claims import endpoint_invariant
from checker.proofs.endpoint import concrete_step_claims
from checker.result import FAIL, PASS
from checker.load import load_model
from model.events import Arrive
from model.machine import Model, segment_env, standard
from model.seq import MASK, lt, ult
from model.state import State

S = State


@pytest.fixture(scope="module")
def std():
    return standard()


@pytest.fixture(scope="module")
def std_results(std):
    """Every proof on the RFC 9293 table, run once for the whole module."""
    return {r.name: r for r in P.run_proofs(std)}


def variant(name):
    return load_model(f"tests/variants/{name}.py")


def failing(model, proof, **kw):
    r = P.PROOFS[proof](model, **kw)
    assert r.status == FAIL, r.summary
    cex = r.counterexample
    assert cex and cex["values"] is not None and cex["text"]
    json.dumps(r.as_json())  # --json carries it
    return r, cex


def one_step(name, proof, row):
    """The counterexample of `proof` on variant `name`: a single step of a
    row named `row...`, every number in hex, replayed through model.step.
    Returns (model, cex, start config of A, event, outcome, A after)."""
    m = variant(name)
    _, cex = failing(m, proof)
    assert cex["row"].startswith(row) and hexes(cex)
    rep = P.replay(m, cex)
    (_, ev, out, a, _), = rep.steps
    return m, cex, rep.start["A"], ev, out, a


def hexes(cex):
    """Every number of the counterexample is printed in hex (flags stay bools)."""
    nums = [v for v in cex["values"].values() if not isinstance(v, bool)]
    return nums and all(isinstance(v, str) and v.startswith("0x") for v in nums)


# --- the standard table -------------------------------------------------------------

@pytest.mark.parametrize("name", P.PROOF_NAMES)
def test_every_proof_holds_on_the_standard_table(std_results, name):
    r = std_results[name]
    assert r.status == PASS, (r.summary, r.counterexample)
    assert r.summary.startswith("proved for all 2^32")
    assert r.ref and r.seconds > 0


def test_run_proofs_rejects_unknown_names(std):
    with pytest.raises(KeyError):
        P.run_proofs(std, ["nonsense"])


# --- 1. row soundness --------------------------------------------------------------------

@pytest.mark.parametrize("name,row", [("fin_no_seq", "close-fin@"), ("ack_beyond_snd_nxt", "ack-new@ESTABLISHED")])
def test_row_soundness_negative(name, row):
    m, cex, cfg, ev, out, _ = one_step(name, "row-soundness", row)
    assert row.split("@")[0] in cex["text"]
    assert out is not None and [r.name for r in out.fired][-1] in cex["text"]
    # the invariant of the state it started in holds concretely ...
    assert all(c for _, c in endpoint_invariant(cfg.state, cfg.env()))
    # ... and the claim z3 broke is broken by the concrete engine too
    broken = [label for label, c in concrete_step_claims(cfg, ev, out) if not c]
    assert cex["claim"] in broken


def test_row_soundness_reports_rows_the_invariant_excludes(std_results):
    r = std_results["row-soundness"]
    assert "ack-new@FIN-WAIT-2" in r.figures["rows_unreachable_under_invariant"]


# --- 2. handshake -------------------------------------------------------------------------

def test_handshake_negative_ack_of_isn():
    m = variant("syn_ack_isn")
    r, cex = failing(m, "handshake")
    assert cex["row"] == "listen-syn@LISTEN" and "ISN + 1" in cex["claim"] and hexes(cex)
    rep = P.replay(m, cex)
    iss_a = rep.start["A"].iss
    synacks = [s for side, _, out, _, _ in rep.steps if side == "B" and out for s in out.sent if s.syn and s.ackf]
    assert synacks and synacks[0].ack == iss_a != (iss_a + 1) & MASK


def test_handshake_negative_rfc793_errata_3300():
    m = load_model("rfc793_syn_ack_check")
    r, cex = failing(m, "handshake")
    assert cex["row"] in ("syn-sent-synack@SYN-SENT", "ack-synrcvd@SYN-RECEIVED")
    rep = P.replay(m, cex)
    iss = rep.start["A"].iss
    last_side, ev, out, a, _ = rep.steps[-1]
    assert isinstance(ev, Arrive) and out is not None
    assert any(r.target is S.ESTABLISHED for r in out.fired)  # the endpoint is synchronized ...
    assert ev.segment.ack != (iss + 1) & MASK  # ... by an ACK that does not acknowledge its SYN
    assert standard().try_step(rep.steps[-2][3], ev).config.state is not S.ESTABLISHED  # RFC 9293 refuses it


def test_handshake_negative_unsigned_comparison():
    """Comparisons written with plain unsigned < : the handshake cannot
    complete once ISS + 1 wraps; z3 names such ISS values and the run
    replayed through model.step (and the concrete explorer) agrees."""
    from checker.analysis.explore import explore
    from checker.analysis.options import Options

    m = variant("unsigned_compare")
    r, cex = failing(m, "handshake")
    assert hexes(cex)
    rep = P.replay(m, cex)
    assert not (rep.final("A").state is S.ESTABLISHED and rep.final("B").state is S.ESTABLISHED)
    if "returns to a state" in cex["why"]:
        # an endless exchange of ACKs: the concrete replay comes back to a global state
        assert rep.globals[-1] in rep.globals[:-1]
        return
    assert "for these values no path" in cex["why"]
    iss_a, iss_b = rep.start["A"].iss, rep.start["B"].iss
    exp = explore(m, Options(loss=False, duplication=False, reordering=False, old_syn=False, abort=False,
                             data=0, iss_a=iss_a, iss_b=iss_b))
    assert not any(exp.state(i).a.state is S.ESTABLISHED and exp.state(i).b.state is S.ESTABLISHED
                   for i in range(exp.n_states))


# --- 3. close --------------------------------------------------------------------------

def test_close_negative_fin_takes_no_number():
    m = variant("fin_no_seq")
    r, cex = failing(m, "close")
    assert cex["row"].startswith("close-fin@") and "one sequence number" in cex["claim"] and hexes(cex)
    rep = P.replay(m, cex)
    side, ev, out, a, b = rep.steps[-1]
    fins = [s for s in out.sent if s.fin]
    assert fins
    after = a if side == "A" else b
    assert after.snd_nxt == (fins[0].seq + fins[0].data) & MASK  # the FIN's number is not consumed


# --- 4. acceptability ------------------------------------------------------------------

def test_acceptability_negative_unsigned_window():
    m, cex, cfg, ev, out, _ = one_step("acceptable_unsigned", "acceptability", "seq-")
    seg = ev.segment
    seq_row = next(r for r in out.fired if r.on.endswith("/seq"))
    accepted = seq_row.then == "continue"
    env = segment_env(seg)
    if env["SEG.LEN"] == 0:
        inside = ((seg.seq - cfg.rcv_nxt) & MASK) < cfg.rcv_wnd or (cfg.rcv_wnd == 0 and seg.seq == cfg.rcv_nxt)
    else:
        inside = any(((seg.seq + k - cfg.rcv_nxt) & MASK) < cfg.rcv_wnd for k in range(env["SEG.LEN"]))
    assert accepted != inside
    # the RFC 9293 rows decide the same segment correctly
    ok_row = next(r for r in standard().step(cfg, ev).fired if r.on.endswith("/seq"))
    assert (ok_row.then == "continue") == inside


def test_acceptability_reports_the_straddling_segment(std_results):
    r = std_results["acceptability"]
    st = r.figures["straddling"]
    assert st is not None and st["SEG.LEN"] > st["RCV.WND"] + 1


# --- 5. comparison -----------------------------------------------------------------------

def test_comparison_negative_plain_unsigned(std):
    """With plain unsigned < the order is transitive everywhere, but it is
    not the order of sequence numbers across the wrap: z3 says where, the
    ints agree."""
    r, cex = failing(std, "comparison", less=ult)
    vals = {k: int(v, 16) for k, v in cex["values"].items()}
    a, b, m = vals["a"], vals["b"], vals["m"]
    assert ((a - m) & MASK) < 2**31 and ((b - m) & MASK) < 2**31  # a set spanning < 2^31 ...
    assert (a < b) != (((a - m) & MASK) < ((b - m) & MASK))  # ... that plain < orders wrongly
    assert lt(a, b) == (((a - m) & MASK) < ((b - m) & MASK))  # while the modulo-2^32 order is right


def test_comparison_negative_control_is_sat(std_results):
    r = std_results["comparison"]
    c = {k: int(v, 16) for k, v in r.figures["non_transitive"].items()}
    assert lt(c["a"], c["b"]) and lt(c["b"], c["c"]) and not lt(c["a"], c["c"])
    assert all((c[k] - c["m"]) & MASK <= 2**31 for k in "abc")  # within [m, m + 2^31]


# --- 6. reset safety ------------------------------------------------------------------------

def test_reset_safety_negative_rfc793_rst():
    m, cex, cfg, ev, out, a = one_step("rst_in_window", "reset-safety", "rst-reset@")
    assert ev.segment.rst and ev.segment.seq != cfg.rcv_nxt
    assert a.state is S.CLOSED  # reset by a guessed, inexact sequence number
    assert standard().step(cfg, ev).config.state is cfg.state  # RFC 9293: challenge ACK instead


def test_reset_safety_catches_a_passive_syn_received_reset_to_closed(std):
    """3.10.7.4 second: a RST in a SYN-RECEIVED that a passive OPEN began
    returns the connection to LISTEN; without `rst-passive` the active
    row's CLOSED takes it (a mutant that survived every other check)."""
    from model.rows import without

    m = Model(without(std.rows, "rst-passive@SYN-RECEIVED"), "broken", "tests/proofs/test_proofs.py")
    _, cex = failing(m, "reset-safety")
    assert "LISTEN in a SYN-RECEIVED that a passive OPEN began" in cex["claim"]
    (_, ev, out, a, _), = P.replay(m, cex).steps
    cfg = P.replay(m, cex).start["A"]
    assert cfg.state is S.SYN_RECEIVED and cfg.passive and ev.segment.rst and a.state is S.CLOSED
    assert std.step(cfg, ev).config.state is S.LISTEN


def test_reset_safety_catches_an_inexact_rst_answered_by_a_syn_ack():
    """RFC 5961 3.2: a RST not at RCV.NXT draws a challenge ACK or nothing;
    the SYN-again row without its ~RST answers a SYN,RST at IRS with our
    SYN,ACK (a survivor of the full `mutate` set)."""
    from checker.mutate.operators import mutants
    from model.machine import Model, standard

    [m] = [m for m in mutants(standard().rows, ["guard-weaken"]) if m.id == "guard-weaken:syn-again@SYN-RECEIVED#6"]
    model = Model(list(m.rows), "broken", "tests")
    _, cex = failing(model, "reset-safety")
    assert "an inexact RST draws nothing but at most one challenge ACK" in cex["claim"]
    (_, ev, out, a, _), = P.replay(model, cex).steps
    assert ev.segment.rst and any(s.syn for s in out.sent)


def test_reset_safety_counts_syn_received(std_results):
    """A figure, not a claim: in SYN-RECEIVED only SEG.SEQ = RCV.NXT resets.
    (Before DECISIONS.md step 0 excluded RST from the trim, a RST carrying
    the peer's SYN again at IRS was trimmed to RCV.NXT: two values reset.)"""
    r = std_results["reset-safety"]
    assert r.figures["syn_received_reset_seq_values"] == 1


# --- 7. retransmission -----------------------------------------------------------------------

def test_retransmission_negative_fin_without_data():
    m, cex, cfg, ev, out, _ = one_step("rexmit_fin_no_data", "retransmission", "rexmit-fin@")
    (seg,) = out.sent
    assert seg.fin and (seg.seq + seg.len) & MASK != cfg.snd_nxt


def test_retransmission_negative_a_reset_on_the_timeout():
    # a mutant that survived every other check: the SYN,ACK resent with RST on
    from model.machine import Model, standard
    from model.rows import Emit, changed
    from model.table import SYN_ACK

    rows = changed(standard().rows, "rexmit-synack@SYN-RECEIVED",
                   emit=Emit("SYN,RST,ACK", seq=SYN_ACK.seq, ack=SYN_ACK.ack))
    _, cex = failing(Model(rows, "broken", "tests"), "retransmission")
    assert "it is not a reset" in cex["claim"]


def test_retransmission_negative_fin_wait_1_forgets_its_syn():
    """3.4, 3.10.4: after a CLOSE in SYN-RECEIVED our SYN is still the front of
    the queue; without the row that resends it, FIN-WAIT-1 resends a FIN
    with text from ISS (a survivor of the full `mutate` set)."""
    from model.machine import Model, standard
    from model.rows import without

    _, cex = failing(Model(without(standard().rows, "rexmit-synack-fin@FIN-WAIT-1"), "broken", "tests"),
                     "retransmission")
    assert "while our SYN is unacknowledged" in cex["claim"]
    rep = P.replay(Model(without(standard().rows, "rexmit-synack-fin@FIN-WAIT-1"), "broken", "tests"), cex)
    (_, ev, out, a, _), = rep.steps
    start = rep.start["A"]
    assert start.snd_una == start.iss and not out.sent[0].syn


@pytest.mark.parametrize("mid", ["flag-drop:rexmit-synack-fin@FIN-WAIT-1#2", "flag-drop:rexmit-synack-fin@CLOSING#2",
                                 "flag-drop:rexmit-data@ESTABLISHED#1", "flag-drop:rexmit-data@CLOSE-WAIT#1"])
def test_retransmission_negative_a_resent_segment_without_ack(mid):
    """3.4: past SYN-SENT every segment carries current acknowledgment
    information; the resent segment with its ACK bit dropped (survivors of
    the full `mutate` set)."""
    from checker.mutate.operators import mutants
    from model.machine import Model, standard

    [m] = [m for m in mutants(standard().rows, ["flag-drop"]) if m.id == mid]
    model = Model(list(m.rows), "broken", "tests")
    _, cex = failing(model, "retransmission")
    assert "it carries ACK wherever the peer's SYN is in" in cex["claim"]
    (_, ev, out, a, _), = P.replay(model, cex).steps
    assert not out.sent[0].ackf


# --- command line -------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "checker", "prove", *args], capture_output=True, text=True)


def test_cli_unknown_name_exit_2():
    p = run_cli("nonsense")
    assert p.returncode == 2 and "valid names" in p.stderr and "row-soundness" in p.stderr


def test_cli_one_proof_holds():
    p = run_cli("comparison", "retransmission")
    assert p.returncode == 0, p.stdout + p.stderr
    checks = re.split(r"\n(?=  \S)", p.stdout)  # one check and its continuation lines
    lines = [" ".join(x.split()) for x in checks if x.startswith("  ok")]
    assert len(lines) == 2 and all("proved for all 2^32" in x and "s]" in x for x in lines)


def test_cli_failure_exit_1_with_json_counterexample():
    p = run_cli("close", "--model", "tests/variants/fin_no_seq.py", "--json")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    (res,) = doc["proofs"]
    assert res["status"] == FAIL and doc["failed"] == ["close"]
    cex = res["counterexample"]
    assert cex["row"].startswith("close-fin@") and all(v.startswith("0x") for v in cex["values"].values())
    assert cex["events"] and cex["start"]


def test_cli_failure_text_shows_hex_and_row():
    p = run_cli("reset-safety", "--model", "tests/variants/rst_in_window.py")
    assert p.returncode == 1
    assert "FAIL" in p.stdout and "rst-reset@" in p.stdout and "0x" in p.stdout
