"""The symbolic executor (checker.proofs.symbolic) runs the table's rows exactly as
the concrete engine (model.machine) does: on concrete inputs it has exactly
one feasible branch, and that branch is the engine's outcome."""

import z3
from hypothesis import given
from hypothesis import strategies as st

from checker.load import load_model
from checker.proofs.symbolic import Executor, SymConfig, SymSegment
from model.config import Config
from model.events import Abort, Arrive, Close, Open, Segment, Send, Timeout
from model.machine import standard
from model.state import State

MODELS = [standard(), load_model("tests/variants/fin_no_seq.py"), load_model("rfc793_syn_ack_check")]
EDGE = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF]
word = st.one_of(st.sampled_from(EDGE), st.integers(0, 2**32 - 1))
small = st.sampled_from([0, 1, 2, 3, 5, 1000])


@st.composite
def configs(draw):
    state = draw(st.sampled_from(list(State)))
    iss, irs = draw(word), draw(word)
    una = draw(st.sampled_from([iss, (iss + 1) % 2**32, draw(word)]))
    nxt = (una + draw(small)) % 2**32
    rcv = draw(st.sampled_from([(irs + 1) % 2**32, draw(word)]))
    return Config(state, draw(st.booleans()), iss, irs, una, nxt, draw(small), rcv,
                  draw(st.sampled_from([0, 1, 4, 2**16, 2**30])))


@st.composite
def events(draw, cfg):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from([Open(True), Open(False), Close(), Abort(), Timeout("retransmission"),
                                     Timeout("user"), Timeout("time-wait")]))
    if kind == 1:
        return Send(draw(small))
    near = st.sampled_from([cfg.rcv_nxt, cfg.irs, cfg.iss, cfg.snd_una, cfg.snd_nxt, draw(word)])
    seq = (draw(near) + draw(st.sampled_from([0, 1, -1, 2, 2**31]))) % 2**32
    ack = (draw(near) + draw(st.sampled_from([0, 1, -1, 2]))) % 2**32
    return Arrive(Segment(seq, ack, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                          draw(st.booleans()), draw(small), draw(small)))


def one_branch(model, cfg, ev):
    ex = Executor(model)
    live = [b for b in ex.step(SymConfig.of(cfg), ev) if ex.feasible(b.cond)]
    assert len(live) == 1, (cfg, ev, [b.fired for b in live])
    return live[0]


def agree(model, cfg, ev):
    b = one_branch(model, cfg, ev)
    out = model.try_step(cfg, ev)
    s = z3.Solver()
    assert s.check() == z3.sat
    m = s.model()
    if out is None:
        assert b.illegal, (cfg, ev, b.fired)
        return
    assert not b.illegal, (cfg, ev)
    assert b.fired == out.fired
    assert b.error == out.error
    assert b.config.concrete(m) == out.config
    assert tuple(x.concrete(m) for x in b.sent) == out.sent


@given(st.sampled_from(range(len(MODELS))), configs().flatmap(lambda c: st.tuples(st.just(c), events(c))))
def test_symbolic_agrees_with_concrete(mi, ce):
    cfg, ev = ce
    agree(MODELS[mi], cfg, ev)


def test_agreement_on_the_handshake_at_the_wrap():
    """RFC 9293 Figure 6 with ISS = 2^32 - 1 on both sides, step by step."""
    m = standard()
    a, b = Config(State.CLOSED, False, 0xFFFFFFFF, 0, 0, 0, 0, 0, 4), Config(State.CLOSED, False, 0xFFFFFFFF, 0, 0, 0, 0, 0, 4)
    agree(m, b, Open(False))
    b = m.step(b, Open(False)).config
    out = m.step(a, Open(True))
    agree(m, a, Open(True))
    a, syn = out.config, out.sent[0]
    agree(m, b, Arrive(syn))
    out = m.step(b, Arrive(syn))
    b, synack = out.config, out.sent[0]
    agree(m, a, Arrive(synack))
    out = m.step(a, Arrive(synack))
    agree(m, b, Arrive(out.sent[0]))
    assert m.step(b, Arrive(out.sent[0])).config.state is State.ESTABLISHED


def test_symbolic_inputs_give_every_branch():
    """With a symbolic segment in ESTABLISHED, each feasible path through
    the 3.10.7.4 pipeline is one branch, and their conditions partition the
    inputs (pairwise disjoint)."""
    from checker.proofs.endpoint import symbolic_endpoint, symbolic_segment

    m = standard()
    cfg, facts = symbolic_endpoint(State.ESTABLISHED)
    seg = symbolic_segment(cfg)
    ex = Executor(m, facts)
    branches = ex.step(cfg, Arrive(seg))
    assert len(branches) > 20
    names = {r.name for b in branches for r in b.fired}
    assert {"seq-bad@ESTABLISHED", "rst-reset@ESTABLISHED", "syn-challenge@ESTABLISHED",
            "text-in-order@ESTABLISHED", "fin@ESTABLISHED"} <= names
    conds = [z3.And(*[c if isinstance(c, z3.ExprRef) else z3.BoolVal(c) for c in b.cond]) for b in branches]
    for i in range(len(conds)):
        for j in range(i + 1, len(conds)):
            s = z3.Solver()
            s.add(*facts, conds[i], conds[j])
            assert s.check() == z3.unsat, (branches[i].fired, branches[j].fired)


def test_symsegment_roundtrip():
    seg = Segment(0xFFFFFFFF, 5, True, True, False, False, 3, 7)
    assert SymSegment.of(seg).concrete(_empty_model()) == seg


def _empty_model():
    s = z3.Solver()
    s.check()
    return s.model()
