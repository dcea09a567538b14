"""Mutants of a table: every one-change copy of the rows, operator by operator.

A mutant is the table with ONE change, made with `model.rows.changed` /
`without` on `model.expr` nodes; the operators read whatever rows the table
has (nothing here names a row of RFC 9293's table). The operators and the
protocol errors they stand for (section numbers are the RFC 9293 sections
the mutated rows cite):

- delete-row: a rule of 3.10 forgotten (the next row of its (state, event)
  takes over, or the event becomes illegal);
- goto: a wrong next state (3.3.2 Figure 5), every other state in turn;
- flag-drop / flag-add / flag-swap: a control bit of an emitted segment
  forgotten, added or confused (3.1 control bits; SYN, ACK, FIN, RST);
  a segment that gains ACK acknowledges RCV.NXT;
- emit-drop: an emitted segment not sent at all;
- ack-request: the aggregated acknowledgment (MUST-58, MUST-59) asked for
  where it is not, or not asked for where it is;
- off-by-one: +1 and -1 in each SEQ, ACK and data-length expression of an
  emitted segment and in each update of a sequence variable (3.3.1, 3.4);
  a Boolean update (PASSIVE, a trimmed SYN bit) is negated instead;
- update-drop: one variable update forgotten;
- guard-negate: a guard turned around;
- guard-weaken / guard-strengthen: a conjunct dropped where the guard is
  positive (a disjunct under a 'not'), a disjunct dropped where it is
  positive (a conjunct under a 'not'), or a conjunct added: each condition
  that a sibling row of the same (state, event) tests, and its negation;
- then: a pipeline row that stops where it continues or the reverse
  (3.10.7.4 "continue processing" / "drop the segment and return");
- swap-rows: two rows of one (state, event or step) whose guards overlap
  (z3 finds a segment both accept) in the other order (first match wins);
- unsigned: one wrap-aware comparison (3.4: "modulo 2^32") replaced by the
  plain unsigned one (`a < b` by `a u< b`, `a =< b` by `not (b u< a)`).

Rows without a guard have nothing to negate or weaken; error responses
(which change nothing, by construction) get no goto, flag or update
mutants. Mutants equal to the table, or to an earlier mutant, are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from model.expr import TRUE, And, Bin, Expr, Ite, Not, Or, V, kind
from model.expr import conditions as atoms
from model.rows import CONTINUE, SEGMENT, STOP, Emit, Row, changed, without
from model.seq import add, sub
from model.state import State

FLAG_ORDER = ("SYN", "RST", "FIN", "ACK")
OPERATORS = ("delete-row", "goto", "flag-drop", "flag-add", "flag-swap", "emit-drop", "ack-request",
             "off-by-one", "update-drop", "guard-negate", "guard-weaken", "guard-strengthen", "then",
             "swap-rows", "unsigned")
ACK_FIELD = V("RCV.NXT")  # what a segment that gains the ACK bit acknowledges


@dataclass(frozen=True)
class Mutant:
    """One changed table. `id` (operator:row#n, the n-th change of that
    operator to that row) is stable while the row is."""

    id: str
    operator: str
    row: str  # the row changed (the first of two for swap-rows)
    change: str  # before -> after, printable
    rows: tuple

    def as_json(self) -> dict:
        return {"id": self.id, "operator": self.operator, "row": self.row, "change": self.change}


# --- rewriting expressions ----------------------------------------------------

def rewrites(e: Expr, fn, positive=True):
    """(what, whole): every copy `whole` of `e` with one subexpression n
    replaced by an expression that fn(n, polarity) yields with its
    description `what`; polarity is True/False under an even/odd number of
    'not's, None inside the condition of an if-then-else."""
    for what, new in fn(e, positive):
        yield what, new
    if isinstance(e, Bin):
        for i, a in enumerate(e.args):
            for what, na in rewrites(a, fn, positive):
                yield what, Bin(e.op, e.args[:i] + (na,) + e.args[i + 1:])
    elif isinstance(e, (And, Or)):
        for i, a in enumerate(e.args):
            for what, na in rewrites(a, fn, positive):
                yield what, type(e)(e.args[:i] + (na,) + e.args[i + 1:])
    elif isinstance(e, Not):
        for what, na in rewrites(e.arg, fn, None if positive is None else not positive):
            yield what, Not(na)
    elif isinstance(e, Ite):
        for what, nc in rewrites(e.cond, fn, None):
            yield what, Ite(nc, e.then, e.other)
        for what, nt in rewrites(e.then, fn, positive):
            yield what, Ite(e.cond, nt, e.other)
        for what, no in rewrites(e.other, fn, positive):
            yield what, Ite(e.cond, e.then, no)


def _drop_one(e, keep_kind):
    """The junction `e` without each of its arguments in turn."""
    word = "conjunct" if keep_kind is And else "disjunct"
    for i in range(len(e.args)):
        rest = e.args[:i] + e.args[i + 1:]
        yield f"{word} {e.args[i]} dropped", rest[0] if len(rest) == 1 else keep_kind(rest)


def _weaker(e, pos):
    if pos is True and isinstance(e, And):
        yield from _drop_one(e, And)
    elif pos is False and isinstance(e, Or):
        yield from _drop_one(e, Or)


def _stronger(e, pos):
    if pos is True and isinstance(e, Or):
        yield from _drop_one(e, Or)
    elif pos is False and isinstance(e, And):
        yield from _drop_one(e, And)


def _unsigned(e, pos):
    if isinstance(e, Bin) and e.op in ("<", "=<"):
        a, b = e.args
        new = Bin("u<", e.args) if e.op == "<" else Not(Bin("u<", (b, a)))
        yield f"{e} -> {new}", new


def _conjoin(when: Expr, extra: Expr) -> Expr:
    if when == TRUE:
        return extra
    if isinstance(when, And):
        return And(when.args + (extra,))
    return And((when, extra))


# --- the operators, one generator each: yield (operator, row, what, new table) -

def _ctl(flags) -> str:
    return ",".join(f for f in FLAG_ORDER if f in flags)


def _with_flags(em: Emit, flags) -> Emit:
    ack = em.ack if "ACK" in flags and em.ack is not None else (ACK_FIELD if "ACK" in flags else None)
    return Emit(_ctl(flags), em.seq, ack, em.data)


def _emits(table, r, j, new: Emit):
    return changed(table, r.name, emit=r.emit[:j] + (new,) + r.emit[j + 1:])


def _op_delete(table):
    for r in table:
        yield "delete-row", r.name, "row deleted", without(table, r.name)


def _op_goto(table):
    for r in table:
        if r.error is not None:
            continue
        for st in State:
            if st is not r.target:
                yield "goto", r.name, f"goto {r.target} -> {st}", \
                    changed(table, r.name, goto=None if st is r.state else st)


def _op_flags(table):
    for r in table:
        for j, em in enumerate(r.emit):
            have = em.flags
            for f in FLAG_ORDER:
                if f in have:
                    yield "flag-drop", r.name, f"segment {j} {em.ctl} -> {_ctl(have - {f}) or '(none)'}", \
                        _emits(table, r, j, _with_flags(em, have - {f}))
                else:
                    yield "flag-add", r.name, f"segment {j} {em.ctl} -> {_ctl(have | {f})}", \
                        _emits(table, r, j, _with_flags(em, have | {f}))
            for f in FLAG_ORDER:
                for g in FLAG_ORDER:
                    if f in have and g not in have:
                        new = (have - {f}) | {g}
                        yield "flag-swap", r.name, f"segment {j} {em.ctl} -> {_ctl(new)}", \
                            _emits(table, r, j, _with_flags(em, new))
            yield "emit-drop", r.name, f"segment {j} {em} not sent", \
                changed(table, r.name, emit=r.emit[:j] + r.emit[j + 1:])


def _op_ack_request(table):
    for r in table:
        if r.error is None:
            yield "ack-request", r.name, f"ack {r.ack} -> {not r.ack}", changed(table, r.name, ack=not r.ack)


def _op_off_by_one(table):
    for r in table:
        for j, em in enumerate(r.emit):
            for field in ("seq", "ack", "data"):
                e = getattr(em, field)
                if e is None:
                    continue
                for sign, new in (("+1", add(e, 1)), ("-1", sub(e, 1))):
                    yield "off-by-one", r.name, f"segment {j} {field.upper()} {e} -> {e} {sign[0]} 1", \
                        _emits(table, r, j, replace(em, **{field: new}))
        for i, (k, e) in enumerate(r.set):
            news = [("negated", Not(e) if not isinstance(e, Not) else e.arg)] if kind(e) == "bool" \
                else [("+ 1", add(e, 1)), ("- 1", sub(e, 1))]
            for what, new in news:
                yield "off-by-one", r.name, f"{k} <- {e} {what}", \
                    changed(table, r.name, set=r.set[:i] + ((k, new),) + r.set[i + 1:])


def _op_update_drop(table):
    for r in table:
        for i, (k, e) in enumerate(r.set):
            yield "update-drop", r.name, f"{k} <- {e} dropped", changed(table, r.name, set=r.set[:i] + r.set[i + 1:])


def _op_guards(table):
    keys: dict[tuple, list[Row]] = {}
    for r in table:
        keys.setdefault((r.state, r.on), []).append(r)
    by_event: dict[str, list[Row]] = {}
    for r in table:
        by_event.setdefault(r.on, []).append(r)
    for r in table:
        if r.when != TRUE:
            neg = r.when.arg if isinstance(r.when, Not) else Not(r.when)
            yield "guard-negate", r.name, f"when {r.when} -> {neg}", changed(table, r.name, when=neg)
        for what, new in rewrites(r.when, _weaker):
            yield "guard-weaken", r.name, f"when: {what}", changed(table, r.name, when=new)
        for what, new in rewrites(r.when, _stronger):
            yield "guard-strengthen", r.name, f"when: {what}", changed(table, r.name, when=new)
        siblings = keys[(r.state, r.on)] if len(keys[(r.state, r.on)]) > 1 else by_event[r.on]
        mine = set(atoms(r.when))
        extra = dict.fromkeys(a for s in siblings for a in atoms(s.when) if a not in mine)
        for a in extra:
            for cond in (a, Not(a)):
                yield "guard-strengthen", r.name, f"when: ... and {cond}", \
                    changed(table, r.name, when=_conjoin(r.when, cond))


def _op_then(table):
    for r in table:
        if r.on.startswith(SEGMENT + "/") and r.error is None:
            other = STOP if r.then == CONTINUE else CONTINUE
            yield "then", r.name, f"then {r.then} -> {other}", changed(table, r.name, then=other)


def _op_unsigned(table):
    for r in table:
        for what, new in rewrites(r.when, _unsigned):
            yield "unsigned", r.name, f"when: {what}", changed(table, r.name, when=new)
        for j, em in enumerate(r.emit):
            for field in ("seq", "ack", "data"):
                e = getattr(em, field)
                for what, new in rewrites(e, _unsigned) if e is not None else ():
                    yield "unsigned", r.name, f"segment {j} {field.upper()}: {what}", \
                        _emits(table, r, j, replace(em, **{field: new}))
        for i, (k, e) in enumerate(r.set):
            for what, new in rewrites(e, _unsigned):
                yield "unsigned", r.name, f"{k} <- {e}: {what}", \
                    changed(table, r.name, set=r.set[:i] + ((k, new),) + r.set[i + 1:])


def overlapping_pairs(table) -> list[tuple[int, int]]:
    """(i, j), i < j indexes into `table`: rows of one (state, event) whose
    guards both hold for some values allowed in that state (z3, the
    assumptions of `checker.analysis.wellformed.state_facts`)."""
    import z3

    from checker.analysis.wellformed import state_facts, z3_env
    from model.expr import to_z3

    v = z3_env()
    keys: dict[tuple, list[int]] = {}
    for i, r in enumerate(table):
        keys.setdefault((r.state, r.on), []).append(i)
    out = []
    for (state, _on), idx in keys.items():
        facts = state_facts(state, v)
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                ga, gb = (to_z3(table[k].when, v) for k in (idx[a], idx[b]))
                s = z3.Solver()
                s.set("timeout", 5_000)
                s.add(*facts, z3.BoolVal(ga) if isinstance(ga, bool) else ga,
                      z3.BoolVal(gb) if isinstance(gb, bool) else gb)
                if s.check() == z3.sat:
                    out.append((idx[a], idx[b]))
    return out


def _op_swap(table):
    for i, j in overlapping_pairs(table):
        t = list(table)
        t[i], t[j] = t[j], t[i]
        yield "swap-rows", table[i].name, f"{table[i].name} and {table[j].name} swapped", t


GENERATORS = (  # (the operators a generator yields, the generator)
    (("delete-row",), _op_delete), (("goto",), _op_goto),
    (("flag-drop", "flag-add", "flag-swap", "emit-drop"), _op_flags), (("ack-request",), _op_ack_request),
    (("off-by-one",), _op_off_by_one), (("update-drop",), _op_update_drop),
    (("guard-negate", "guard-weaken", "guard-strengthen"), _op_guards), (("then",), _op_then),
    (("swap-rows",), _op_swap), (("unsigned",), _op_unsigned))


def mutants(table, operators=None) -> list[Mutant]:
    """Every mutant of `table` (of the named operators; all by default), in a
    fixed order, without duplicates and without copies of the table."""
    want = set(operators or OPERATORS)
    unknown = want - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown operator(s) {', '.join(sorted(unknown))}; operators are {', '.join(OPERATORS)}")
    seen = {tuple(table)}
    out, ids = [], {}
    for ops, gen in GENERATORS:
        if not want.intersection(ops):
            continue
        for op, row, what, rows in gen(table):
            if op not in want:
                continue
            key = tuple(rows)
            if key in seen:
                continue
            seen.add(key)
            n = ids[(op, row)] = ids.get((op, row), 0) + 1
            out.append(Mutant(f"{op}:{row}#{n}", op, row, what, key))
    return out
