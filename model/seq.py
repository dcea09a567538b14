"""The one sequence-number algebra (RFC 9293 3.4: arithmetic modulo 2^32).

Every function here takes Python ints, z3 32-bit bit-vectors, or table
expressions (`model.expr.Expr`) and answers in the same kind:

- ints: the result is reduced modulo 2^32 (a bool for comparisons);
- z3 BitVec(32) terms: a z3 term (so z3 proofs evaluate the very guards the
  table holds);
- `Expr`: a new expression node (so the table is written with these
  functions and stays data that can be printed, evaluated and proved).

Comparison is wrap-aware: a < b iff the signed 32-bit value of (a - b) is
negative (the convention of RFC 9293 3.4, "=<" meaning modulo 2^32). It is a
strict total order only on sets spanning less than 2^31; `checker.proofs`
proves that bound rather than assuming it.
"""

from __future__ import annotations

MOD = 1 << 32
MASK = MOD - 1
HALF = 1 << 31


def _builder(*xs):
    """The node builder of the first symbolic operand, or None.

    Expressions (`model.expr`) implement the protocol: their class has a
    `seq_node(op, *operands)` that builds a node. Asking the operand keeps
    this module below `model.expr` (the algebra does not import the nodes)."""
    for x in xs:
        build = getattr(type(x), "seq_node", None)
        if build is not None:
            return build
    return None


def is_z3(x) -> bool:
    return type(x).__module__.startswith("z3")


def _z3_operand(x, like):
    """Bring an int next to a z3 term to a 32-bit bit-vector value."""
    import z3

    if is_z3(x):
        return x
    return z3.BitVecVal(x & MASK, 32)


def add(a, b):
    """a + b modulo 2^32."""
    if build := _builder(a, b):
        return build("+", a, b)
    if is_z3(a) or is_z3(b):
        return _z3_operand(a, b) + _z3_operand(b, a)
    return (a + b) & MASK


def sub(a, b):
    """a - b modulo 2^32 (the distance from b forward to a)."""
    if build := _builder(a, b):
        return build("-", a, b)
    if is_z3(a) or is_z3(b):
        return _z3_operand(a, b) - _z3_operand(b, a)
    return (a - b) & MASK


def lt(a, b):
    """a < b modulo 2^32: the signed 32-bit difference a - b is negative."""
    if build := _builder(a, b):
        return build("<", a, b)
    if is_z3(a) or is_z3(b):
        # z3's `<` on bit-vectors is the signed comparison, which is the point.
        return sub(a, b) < 0
    return ((a - b) & MASK) >= HALF


def le(a, b):
    """a =< b modulo 2^32."""
    if build := _builder(a, b):
        return build("=<", a, b)
    if is_z3(a) or is_z3(b):
        return sub(a, b) <= 0
    d = (a - b) & MASK
    return d == 0 or d >= HALF


def gt(a, b):
    return lt(b, a)


def ge(a, b):
    return le(b, a)


def eq(a, b):
    """a = b modulo 2^32."""
    if build := _builder(a, b):
        return build("=", a, b)
    if is_z3(a) or is_z3(b):
        return _z3_operand(a, b) == _z3_operand(b, a)
    return (a - b) & MASK == 0


def ne(a, b):
    if build := _builder(a, b):
        return build("!=", a, b)
    if is_z3(a) or is_z3(b):
        return _z3_operand(a, b) != _z3_operand(b, a)
    return (a - b) & MASK != 0


def ult(a, b):
    """Unsigned a < b (for lengths and windows, which are not sequence numbers)."""
    if build := _builder(a, b):
        return build("u<", a, b)
    if is_z3(a) or is_z3(b):
        import z3

        return z3.ULT(_z3_operand(a, b), _z3_operand(b, a))
    return (a & MASK) < (b & MASK)


def select(cond, a, b):
    """a if cond else b, on bools, z3 terms or expressions."""
    if build := _builder(cond, a, b):
        return build("ite", cond, a, b)
    if is_z3(cond):
        import z3

        return z3.If(cond, *(x if is_z3(x) else z3.BitVecVal(x & MASK, 32) for x in (a, b)))
    return a if cond else b


def smin(a, b):
    """The earlier of two sequence numbers (wrap-aware)."""
    return select(lt(a, b), a, b)


def signed(x: int) -> int:
    """The signed reading of a 32-bit value (for printing distances)."""
    x &= MASK
    return x - MOD if x >= HALF else x
