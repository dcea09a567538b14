"""Symbolic execution of the table: the same rows, on z3 BitVec(32) terms.

`sym_step(model, config, event)` does what `model.machine.Model._step` does
for one event (RFC 9293 3.10), with every variable and segment field a z3
term instead of an int, and returns one `Branch` per way the event can go:

- the plan is the same: one step `SEGMENT` in CLOSED, LISTEN, SYN-SENT
  (3.10.7.1-3.10.7.3), the pipeline `model.rows.STEPS` in the other states
  (3.10.7.4), the event kind for user calls and timeouts;
- in each step the rows of `model.index[(state, step)]` are tried in order
  and the first whose guard holds fires: a row fires on the branch where its
  guard holds and no earlier guard does; "no row" is an illegal event;
- guards, emitted segments and updates are the rows' own expressions,
  evaluated with `model.expr.to_z3` through the one algebra `model.seq`
  (no second encoding of any rule lives here);
- every row reads the values before it fired, updates are simultaneous, a
  row stops or continues, a row asking for an ACK contributes to ONE
  aggregated <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> built from the final
  values (MUST-58, MUST-59), entering CLOSED or LISTEN resets the TCB
  (`model.config.fresh_tcb`).

A branch carries its path condition (the z3 facts that choose it, beyond
the caller's assumptions); branches whose condition contradicts the
assumptions are pruned with a solver. `tests/proofs/test_symbolic.py` checks that
this executor and the concrete engine agree on random concrete inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from checker.solving import satisfiable
from model import expr as X
from model.config import Config, fresh_tcb
from model.events import Arrive, Segment
from model.machine import SINGLE_STEP_STATES, Model, _make_segment
from model.rows import SEGMENT, STEPS, STOP, Row
from model.seq import MASK, is_z3
from model.state import State

S = State
TCB_SEQ = [k for k, v in X.TCB_VARS.items() if v == "seq"]
RESET_STATES = (S.CLOSED, S.LISTEN)


def bv(x):
    """A 32-bit z3 term for an int or a term."""
    return x if is_z3(x) else z3.BitVecVal(int(x) & MASK, 32)


def boolean(x):
    """A z3 Bool for a bool or a term."""
    return x if is_z3(x) else z3.BoolVal(bool(x))


def flag_value(x):
    """Concrete flags stay Python bools (guards then simplify at once)."""
    return x if is_z3(x) else bool(x)


# --- symbolic configurations and segments ------------------------------------

@dataclass(frozen=True)
class SymConfig:
    """One endpoint: a concrete control state, z3 terms for the variables
    (PASSIVE may be a Python bool or a z3 Bool)."""

    state: State
    v: dict

    @classmethod
    def symbolic(cls, state: State, prefix: str = "") -> "SymConfig":
        v = {k: z3.BitVec(prefix + k, 32) for k in TCB_SEQ}
        v["PASSIVE"] = z3.Bool(prefix + "PASSIVE")
        return cls(state, v)

    @classmethod
    def of(cls, cfg: Config) -> "SymConfig":
        v = {k: bv(x) for k, x in cfg.env().items() if k != "PASSIVE"}
        v["PASSIVE"] = bool(cfg.passive)
        return cls(cfg.state, v)

    @classmethod
    def closed(cls, iss, rcv_wnd) -> "SymConfig":
        """CLOSED with no TCB (`model.config.closed`), ISS and RCV.WND given."""
        v = {k: bv(0) for k in TCB_SEQ}
        v.update({"ISS": bv(iss), "RCV.WND": bv(rcv_wnd), "PASSIVE": False})
        return cls(S.CLOSED, v)

    def concrete(self, m: z3.ModelRef) -> Config:
        val = {k: evaluate_in(m, t) for k, t in self.v.items()}
        return Config(self.state, bool(val["PASSIVE"]), val["ISS"], val["IRS"], val["SND.UNA"],
                      val["SND.NXT"], val["SND.WND"], val["RCV.NXT"], val["RCV.WND"])

    def key(self) -> tuple:
        return (self.state,) + tuple(_key(self.v[k]) for k in sorted(self.v))


@dataclass(frozen=True)
class SymSegment:
    """A segment with z3 fields: seq, ack, data (octet count), wnd are 32-bit
    terms; the control bits are Python bools or z3 Bools."""

    seq: object
    ack: object = 0
    syn: object = False
    ackf: object = False
    fin: object = False
    rst: object = False
    data: object = 0
    wnd: object = 0

    def __post_init__(self):
        for f in ("seq", "ack", "data", "wnd"):
            object.__setattr__(self, f, bv(getattr(self, f)))
        for f in ("syn", "ackf", "fin", "rst"):
            object.__setattr__(self, f, flag_value(getattr(self, f)))

    @classmethod
    def symbolic(cls, prefix: str = "SEG.") -> "SymSegment":
        return cls(z3.BitVec(prefix + "SEQ", 32), z3.BitVec(prefix + "ACK", 32),
                   z3.Bool(prefix + "SYN"), z3.Bool(prefix + "ACKF"), z3.Bool(prefix + "FIN"),
                   z3.Bool(prefix + "RST"), z3.BitVec(prefix + "DATA", 32), z3.BitVec(prefix + "WND", 32))

    @classmethod
    def of(cls, seg: Segment) -> "SymSegment":
        return cls(seg.seq, seg.ack, seg.syn, seg.ackf, seg.fin, seg.rst, seg.data, seg.wnd)

    @property
    def len(self):
        """SEG.LEN (3.3.1): data octets plus one for SYN, one for FIN."""
        one, zero = bv(1), bv(0)
        return self.data + z3.If(boolean(self.syn), one, zero) + z3.If(boolean(self.fin), one, zero)

    def env(self) -> dict:
        """The segment's fields named as the table names them
        (`model.machine.segment_env`)."""
        return {"SEG.SEQ": self.seq, "SEG.ACK": self.ack, "SEG.LEN": self.len,
                "SEG.DATA": self.data, "SEG.WND": self.wnd, "CTL.SYN": self.syn,
                "CTL.ACK": self.ackf, "CTL.FIN": self.fin, "CTL.RST": self.rst}

    def concrete(self, m: z3.ModelRef) -> Segment:
        return Segment(seq=evaluate_in(m, self.seq), ack=evaluate_in(m, self.ack),
                       syn=bool(evaluate_in(m, self.syn)), ackf=bool(evaluate_in(m, self.ackf)),
                       fin=bool(evaluate_in(m, self.fin)), rst=bool(evaluate_in(m, self.rst)),
                       data=evaluate_in(m, self.data), wnd=evaluate_in(m, self.wnd))

    def key(self) -> tuple:
        return tuple(_key(getattr(self, f)) for f in ("seq", "ack", "syn", "ackf", "fin", "rst",
                                                      "data", "wnd"))


def segment_facts(seg: SymSegment, max_data: int = 1 << 16) -> list:
    """What every segment satisfies: its data fits one IPv4 datagram (the
    same bound `checker.analysis.wellformed.state_facts` assumes). SEG.LEN is
    defined from the data and the flags (3.3.1), so it needs no fact."""
    return [z3.ULT(seg.data, max_data)]


def evaluate_in(m: z3.ModelRef, t):
    """The concrete value of a term (int or bool) in a z3 model."""
    if isinstance(t, bool):
        return t
    if isinstance(t, int):
        return t & MASK
    x = m.eval(t, model_completion=True)
    if z3.is_bool(x):
        return bool(z3.is_true(x))
    return x.as_long()


def _key(t):
    """A deterministic key for a term: its own text (z3.simplify's output
    order depends on AST ids, so it is not used for keys)."""
    if isinstance(t, bool):
        return t
    return t.sexpr()


# --- one step -------------------------------------------------------------------

@dataclass(frozen=True)
class SymSent:
    """A segment a row sent (or the aggregated ACK): flags and terms."""

    flags: frozenset
    seq: object
    ack: object
    data: object
    wnd: object
    by: str = ""  # the row that sent it (or the rows that asked for the ACK)

    def segment(self) -> SymSegment:
        return SymSegment(self.seq, self.ack, "SYN" in self.flags, "ACK" in self.flags,
                          "FIN" in self.flags, "RST" in self.flags, self.data, self.wnd)

    def concrete(self, m) -> Segment:
        return self.segment().concrete(m)


@dataclass
class Branch:
    """One way an event can go. `cond`: the z3 conditions (beyond the
    solver's assumptions) that select it. `trace`: per fired row, (row,
    state it moved to, the variables after its updates and before any TCB
    reset), for blaming a row and for reading the values a TCB held just
    before it was deleted."""

    config: SymConfig
    sent: tuple
    error: str | None
    fired: tuple
    cond: list
    illegal: bool = False
    trace: list = field(default_factory=list)
    seg_env: dict | None = None  # the segment fields after the pipeline (trimmed)


# models kept by an Executor to settle feasibility without a query: the path
# conditions of sibling branches share most conjuncts, so a recent model often fits
MODELS_KEPT = 4


class Executor:
    """Symbolic stepping under a set of assumptions (z3 facts)."""

    def __init__(self, model: Model, facts=(), timeout_ms: int = 30_000):
        self.model = model
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.solver.add(*facts)
        self.checks = 0
        self.hits = 0
        self._models: list = []

    # -- deciding conditions under the current assumptions ---------------------
    def feasible(self, conds) -> bool:
        conds = [c for c in conds if not (isinstance(c, bool) and c)]
        if any(isinstance(c, bool) and not c for c in conds):
            return False
        conds = [z3.simplify(c) for c in conds]
        if any(z3.is_false(c) for c in conds):
            return False
        conds = [c for c in conds if not z3.is_true(c)]
        if not conds:
            return True
        # a model found earlier that satisfies conds settles it without z3's
        # search (the newest condition first: the path before it mostly holds)
        for m in self._models:
            if all(z3.is_true(m.eval(c, model_completion=True)) for c in reversed(conds)):
                self.hits += 1
                return True
        self.checks += 1
        self.solver.push()
        self.solver.add(*conds)
        try:
            ok = satisfiable(self.solver)
            if ok:
                self._models = [self.solver.model()] + self._models[:MODELS_KEPT - 1]
            return ok
        finally:
            self.solver.pop()

    def decide(self, cond, pc) -> bool | None:
        """True/False if `cond` is fixed on the path `pc`, else None."""
        if isinstance(cond, bool):
            return cond
        c = z3.simplify(cond)
        if z3.is_true(c):
            return True
        if z3.is_false(c):
            return False
        if not self.feasible(pc + [c]):
            return False
        if not self.feasible(pc + [z3.Not(c)]):
            return True
        return None

    # -- the step -----------------------------------------------------------------
    def step(self, cfg: SymConfig, event, pc=None) -> list[Branch]:
        """Every branch of `event` in `cfg` (mirrors `Model._step`)."""
        pc = list(pc or [])
        env = dict(cfg.v)
        env["NEW.ISS"] = cfg.v["ISS"] if getattr(event, "iss", None) is None else bv(event.iss)
        seg0 = None
        if isinstance(event, Arrive):
            seg = event.segment
            seg0 = seg if isinstance(seg, SymSegment) else SymSegment.of(seg)
            env.update(seg0.env())
            plan = [SEGMENT] if cfg.state in SINGLE_STEP_STATES else [SEGMENT + "/" + s for s in STEPS]
        else:
            if getattr(event, "kind", None) == "SEND":
                env["SEND.LEN"] = bv(event.length)
            plan = [event.kind]
        out: list[Branch] = []
        self._run(cfg, event, plan, 0, cfg.state, env, [], [], None, False, pc, [], [], out)
        return out

    def _run(self, cfg, event, plan, i, state, env, sent, fired, error, want_ack, pc, cond, trace, out):
        if i == len(plan):
            return self._finish(cfg, state, env, sent, fired, error, want_ack, cond, trace, out)
        on = plan[i]
        cands = self.model.index.get((state, on))
        if cands is None:
            if on.startswith(SEGMENT + "/"):
                return self._run(cfg, event, plan, i + 1, state, env, sent, fired, error, want_ack,
                                 pc, cond, trace, out)
            out.append(Branch(cfg, (), None, tuple(fired), list(cond), illegal=True, trace=list(trace)))
            return None
        earlier = []  # negations of the guards tried so far
        for c in cands:
            g = X.to_z3(c.row.when, env)
            d = self.decide(g, pc + earlier)
            if d is False:
                continue
            here = [] if d is True else [g]
            self._fire(cfg, event, plan, i, state, env, sent, fired, error, want_ack,
                       pc + earlier + here, cond + earlier + here, trace, out, c)
            if d is True:
                return None
            earlier = earlier + [z3.Not(g) if is_z3(g) else (not g)]
        if self.feasible(pc + earlier):
            # no row's guard holds: IllegalEvent
            out.append(Branch(cfg, (), None, tuple(fired), cond + earlier, illegal=True, trace=list(trace)))
        return None

    def _fire(self, cfg, event, plan, i, state, env, sent, fired, error, want_ack, pc, cond, trace, out, c):
        row: Row = c.row
        # The row's segments and updates, all read from the values before it fired.
        terms = []
        for em in row.emit:
            terms += [X.to_z3(em.seq, env), bv(0) if em.ack is None else X.to_z3(em.ack, env),
                      X.to_z3(em.data, env)]
        terms += [X.to_z3(e, env) for _, e in row.set]
        for terms, pc2, cond2 in self._split(terms, pc, cond):
            self._apply(cfg, event, plan, i, state, env, sent, fired, error, want_ack, pc2, cond2,
                        trace, out, row, terms)

    def _split(self, terms, pc, cond):
        """Yield (terms, pc, cond) with every if-then-else inside the terms
        resolved: fixed by the path, or split into two branches (so that
        each branch holds plain sums, which z3 handles much faster)."""
        while True:
            ite = None
            for t in terms:
                ite = _first_ite(t)
                if ite is not None:
                    break
            if ite is None:
                yield terms, pc, cond
                return
            c = ite.arg(0)
            d = self.decide(c, pc)
            if d is not None:
                terms = [_subst(t, ite, ite.arg(1) if d else ite.arg(2)) for t in terms]
                continue
            for cc, pick in ((c, ite.arg(1)), (z3.Not(c), ite.arg(2))):
                yield from self._split([_subst(t, ite, pick) for t in terms], pc + [cc], cond + [cc])
            return

    def _apply(self, cfg, event, plan, i, state, env, sent, fired, error, want_ack, pc, cond, trace, out,
               row, terms):
        env = dict(env)
        sent = list(sent)
        k = 0
        for em in row.emit:
            seq, ack, data = terms[k:k + 3]
            k += 3
            # the engine's own segment builder, on terms (WND per model.machine)
            made = _make_segment(em.flags, seq, ack, data, env["RCV.WND"])
            sent.append(SymSent(em.flags, bv(seq), bv(ack), bv(data), bv(made.wnd), row.name))
        for (name, _), val in zip(row.set, terms[k:]):
            env[name] = flag_value(val) if X.ALL_VARS[name] == "bool" else bv(val)
        want_ack = want_ack or row.ack
        error = row.error
        fired = fired + [row]
        moved = row.goto is not None and row.goto is not state
        if moved:
            state = row.goto
        trace = trace + [(row, state, dict(env))]
        if moved and state in RESET_STATES:
            env.update(_fresh(cfg, state))
        if row.then == STOP:
            return self._finish(cfg, state, env, sent, fired, error, want_ack, cond, trace, out)
        return self._run(cfg, event, plan, i + 1, state, env, sent, fired, error, want_ack, pc, cond,
                         trace, out)

    def _finish(self, cfg, state, env, sent, fired, error, want_ack, cond, trace, out):
        sent = list(sent)
        if want_ack and state not in RESET_STATES:
            by = ", ".join(r.name for r in fired if r.ack)
            sent.append(SymSent(frozenset({"ACK"}), env["SND.NXT"], env["RCV.NXT"], bv(0), env["RCV.WND"], by))
        v = {k: env[k] for k in X.TCB_VARS}
        seg_env = {k: env[k] for k in X.SEG_VARS if k in env} or None
        out.append(Branch(SymConfig(state, v), tuple(sent), error, tuple(fired), list(cond),
                          trace=list(trace), seg_env=seg_env))


def _first_ite(t):
    """The first if-then-else subterm of a z3 term (None for ints/bools)."""
    if not is_z3(t):
        return None
    todo, seen = [t], set()
    while todo:
        x = todo.pop()
        if x.get_id() in seen:
            continue
        seen.add(x.get_id())
        if z3.is_app_of(x, z3.Z3_OP_ITE):
            return x
        todo.extend(x.children())
    return None


def _subst(t, old, new):
    return z3.substitute(t, (old, new)) if is_z3(t) else t


def _fresh(cfg: SymConfig, state: State) -> dict:
    """`model.config.fresh_tcb` on terms: ISS and RCV.WND survive, the rest
    is zero, PASSIVE says whether the TCB is a listener's."""
    concrete = fresh_tcb(Config(state, False, 0, 0, 0, 0, 0, 0, 0), state).env()
    out = {k: bv(x) for k, x in concrete.items() if k not in ("PASSIVE", "ISS", "RCV.WND")}
    out["PASSIVE"] = bool(concrete["PASSIVE"])
    return out


def sym_step(model: Model, cfg: SymConfig, event, facts=(), pc=None) -> list[Branch]:
    """One event on a symbolic configuration: every feasible branch."""
    return Executor(model, facts).step(cfg, event, pc)
