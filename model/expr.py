"""Tiny closed expressions for the table's guards, emissions and updates.

An expression is a tree of variables (`V("SND.UNA")`), constants, the
wrap-aware operations of `model.seq`, `and`/`or`/`not` and `ite`. Three
readers share it:
- `compile_expr` turns it into a Python function on a dict of ints/bools
  (what the engine and the explorer run: compiled once, so the state-space
  search does not walk trees);
- `to_z3` builds the z3 term through the same `model.seq` functions;
- `str()` prints it the way RFC 9293 writes it (diagrams, ladders, errors).
Plain lambdas would serve the first two but hide the rule from the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import seq

# Variables a row may read. Kinds: "seq" (32-bit value) or "bool".
TCB_VARS = {
    "ISS": "seq", "IRS": "seq", "SND.UNA": "seq", "SND.NXT": "seq",
    "SND.WND": "seq", "RCV.NXT": "seq", "RCV.WND": "seq", "PASSIVE": "bool",
}
SEG_VARS = {
    "SEG.SEQ": "seq", "SEG.ACK": "seq", "SEG.LEN": "seq", "SEG.DATA": "seq",
    "SEG.WND": "seq", "CTL.SYN": "bool", "CTL.ACK": "bool", "CTL.FIN": "bool",
    "CTL.RST": "bool",
}
CALL_VARS = {"SEND.LEN": "seq"}
# The ISN generator's choice for a TCB created by this event (3.4.1, MUST-8):
# an input of OPEN and of a segment arriving in LISTEN, like the segment's
# fields, so the explorer draws it and the proofs quantify over it.
NEW_VARS = {"NEW.ISS": "seq"}
ALL_VARS = {**TCB_VARS, **SEG_VARS, **CALL_VARS, **NEW_VARS}
BOOL_VARS = frozenset(k for k, v in ALL_VARS.items() if v == "bool")


class ExprError(ValueError):
    """A malformed expression (unknown variable, wrong kind of operand)."""


class Expr:
    """Base of expression nodes. `&`, `|`, `~` build and/or/not; `+`, `-`
    build wrap-aware sums (through `model.seq`)."""

    __slots__ = ()

    def __and__(self, other):
        return And((self, lift(other)))

    def __rand__(self, other):
        return And((lift(other), self))

    def __or__(self, other):
        return Or((self, lift(other)))

    def __ror__(self, other):
        return Or((lift(other), self))

    def __invert__(self):
        return Not(self)

    def __add__(self, other):
        return seq.add(self, other)

    def __radd__(self, other):
        return seq.add(other, self)

    def __sub__(self, other):
        return seq.sub(self, other)

    def __rsub__(self, other):
        return seq.sub(other, self)

    @staticmethod
    def seq_node(op: str, *args) -> "Expr":
        """The `model.seq` protocol: the algebra on an expression builds a node."""
        if op == "ite":
            return Ite(*(lift(a) for a in args))
        return Bin(op, tuple(lift(a) for a in args))

    def variables(self) -> set[str]:
        out: set[str] = set()
        self._vars(out)
        return out


@dataclass(frozen=True, slots=True)
class V(Expr):
    name: str

    def _vars(self, out):
        out.add(self.name)

    def __str__(self):
        return self.name


@dataclass(frozen=True, slots=True)
class C(Expr):
    value: int | bool

    def _vars(self, out):
        pass

    def __str__(self):
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Bin(Expr):
    op: str
    args: tuple

    def _vars(self, out):
        for a in self.args:
            a._vars(out)

    def __str__(self):
        a, b = self.args
        return f"{_paren(a)} {self.op} {_paren(b)}"


class _Junction(Expr):
    """and/or over a tuple of conditions (the subclass names the word)."""

    __slots__ = ()
    WORD = ""

    def _vars(self, out):
        for a in self.args:
            a._vars(out)

    def __str__(self):
        return f" {self.WORD} ".join(_paren(a) for a in self.args)


@dataclass(frozen=True, slots=True)
class And(_Junction):
    args: tuple
    WORD = "and"


@dataclass(frozen=True, slots=True)
class Or(_Junction):
    args: tuple
    WORD = "or"


@dataclass(frozen=True, slots=True)
class Not(Expr):
    arg: Expr

    def _vars(self, out):
        self.arg._vars(out)

    def __str__(self):
        return f"not {_paren(self.arg)}"


@dataclass(frozen=True, slots=True)
class Ite(Expr):
    cond: Expr
    then: Expr
    other: Expr

    def _vars(self, out):
        for a in (self.cond, self.then, self.other):
            a._vars(out)

    def __str__(self):
        return f"({self.then} if {self.cond} else {self.other})"


def _paren(e: Expr) -> str:
    s = str(e)
    return s if isinstance(e, (V, C, Not)) else f"({s})"


TRUE = C(True)
FALSE = C(False)


def lift(x) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        return C(x)
    if isinstance(x, int):
        return C(x & seq.MASK)
    raise ExprError(f"not an expression: {x!r}")


def conditions(e: Expr) -> list[Expr]:
    """The conditions a guard is built of: its comparisons and Boolean
    variables, below every and/or/not (in order, repeats kept)."""
    if isinstance(e, (And, Or)):
        return [x for a in e.args for x in conditions(a)]
    if isinstance(e, Not):
        return conditions(e.arg)
    if isinstance(e, C):
        return []
    return [e] if kind(e) == "bool" else []


def ite(cond, then, other) -> Expr:
    return Ite(lift(cond), lift(then), lift(other))


def all_of(*xs) -> Expr:
    xs = [lift(x) for x in xs]
    return xs[0] if len(xs) == 1 else And(tuple(xs))


def any_of(*xs) -> Expr:
    xs = [lift(x) for x in xs]
    return xs[0] if len(xs) == 1 else Or(tuple(xs))


_CMP = {"<", "=<", "=", "!=", "u<"}
_ARITH = {"+", "-"}


def kind(e: Expr) -> str:
    """'bool' or 'seq'; raises ExprError on a kind mismatch or unknown name."""
    if isinstance(e, V):
        if e.name not in ALL_VARS:
            raise ExprError(f"unknown variable {e.name!r}")
        return ALL_VARS[e.name]
    if isinstance(e, C):
        return "bool" if isinstance(e.value, bool) else "seq"
    if isinstance(e, Bin):
        if e.op not in _CMP | _ARITH:
            raise ExprError(f"unknown operator {e.op!r}")
        for a in e.args:
            if kind(a) != "seq":
                raise ExprError(f"operator {e.op!r} needs numbers, got {a}")
        return "bool" if e.op in _CMP else "seq"
    if isinstance(e, (And, Or)):
        for a in e.args:
            if kind(a) != "bool":
                raise ExprError(f"'and'/'or' needs conditions, got {a}")
        return "bool"
    if isinstance(e, Not):
        if kind(e.arg) != "bool":
            raise ExprError(f"'not' needs a condition, got {e.arg}")
        return "bool"
    if isinstance(e, Ite):
        if kind(e.cond) != "bool":
            raise ExprError(f"'ite' needs a condition, got {e.cond}")
        k1, k2 = kind(e.then), kind(e.other)
        if k1 != k2:
            raise ExprError(f"'ite' branches differ in kind: {e}")
        return k1
    raise ExprError(f"not an expression: {e!r}")


# --- evaluation --------------------------------------------------------------

_SEQ_FN = {"+": seq.add, "-": seq.sub, "<": seq.lt, "=<": seq.le, "=": seq.eq,
           "!=": seq.ne, "u<": seq.ult}


def evaluate(e: Expr, env: dict):
    """Evaluate on ints/bools or on z3 terms, through `model.seq`."""
    if isinstance(e, V):
        return env[e.name]
    if isinstance(e, C):
        return e.value
    if isinstance(e, Bin):
        return _SEQ_FN[e.op](*(evaluate(a, env) for a in e.args))
    vals = None
    if isinstance(e, (And, Or)):
        vals = [evaluate(a, env) for a in e.args]
        if any(seq.is_z3(v) for v in vals):
            import z3

            return (z3.And if isinstance(e, And) else z3.Or)(*vals)
        return all(vals) if isinstance(e, And) else any(vals)
    if isinstance(e, Not):
        v = evaluate(e.arg, env)
        if seq.is_z3(v):
            import z3

            return z3.Not(v)
        return not v
    if isinstance(e, Ite):
        c = evaluate(e.cond, env)
        if seq.is_z3(c):
            import z3

            t, o = evaluate(e.then, env), evaluate(e.other, env)
            if not seq.is_z3(t) and not isinstance(t, bool):
                t = z3.BitVecVal(t, 32)
            if not seq.is_z3(o) and not isinstance(o, bool):
                o = z3.BitVecVal(o, 32)
            return z3.If(c, t, o)
        return evaluate(e.then, env) if c else evaluate(e.other, env)
    raise ExprError(f"not an expression: {e!r}")


def to_z3(e: Expr, env: dict):
    """The z3 term of `e`, `env` mapping variable names to z3 terms."""
    return evaluate(e, env)


# Python source of each operator on ints, the arithmetic of `model.seq`.
_PY_BIN = {
    "+": "(({a} + {b}) & {M})", "-": "(({a} - {b}) & {M})",
    "<": "((({a} - {b}) & {M}) >= {H})", "=<": "((({a} - {b} - 1) & {M}) >= {H1})",
    "=": "({a} == {b})", "!=": "({a} != {b})", "u<": "({a} < {b})",
}


def _py(e: Expr) -> str:
    """Python source computing `e` on a dict `v` of ints/bools, with the
    same arithmetic as `model.seq` on ints (kept equal by a test that
    compares the two on random values)."""
    M = seq.MASK
    if isinstance(e, V):
        return f"v[{e.name!r}]"
    if isinstance(e, C):
        return repr(e.value)
    if isinstance(e, Bin):
        a, b = (_py(x) for x in e.args)
        return _PY_BIN[e.op].format(a=a, b=b, M=M, H=seq.HALF, H1=seq.HALF - 1)
    if isinstance(e, And):
        return "(" + " and ".join(_py(a) for a in e.args) + ")"
    if isinstance(e, Or):
        return "(" + " or ".join(_py(a) for a in e.args) + ")"
    if isinstance(e, Not):
        return f"(not {_py(e.arg)})"
    if isinstance(e, Ite):
        return f"({_py(e.then)} if {_py(e.cond)} else {_py(e.other)})"
    raise ExprError(f"not an expression: {e!r}")


def compile_expr(e: Expr):
    """A Python function v -> value equal to `evaluate(e, v)` on ints."""
    kind(e)
    return eval(f"lambda v: {_py(e)}")  # noqa: S307 - source built from our own closed AST


def substitute(e: Expr, env: dict[str, Expr]) -> Expr:
    """Replace variables by expressions (used to compose pipeline steps)."""
    if isinstance(e, V):
        return env.get(e.name, e)
    if isinstance(e, C):
        return e
    if isinstance(e, Bin):
        return Bin(e.op, tuple(substitute(a, env) for a in e.args))
    if isinstance(e, And):
        return And(tuple(substitute(a, env) for a in e.args))
    if isinstance(e, Or):
        return Or(tuple(substitute(a, env) for a in e.args))
    if isinstance(e, Not):
        return Not(substitute(e.arg, env))
    if isinstance(e, Ite):
        return Ite(substitute(e.cond, env), substitute(e.then, env), substitute(e.other, env))
    raise ExprError(f"not an expression: {e!r}")
