"""Do the scripts tell a wrong table from the right one? A variant's changes
(row by row, against the standard table) applied over a profile of a real
stack, the scripts of both, and which of them differ.

A variant of model/variants/ is the standard table with rows changed, added
or removed (`model.rows.changed`, `without`). `over(variant, profile)`
applies the same changes to the profile's rows (model/variants/linux.py),
so that every difference between the profile's scripts and the composed
ones is the variant's alone: a profile script passes on the kernel, and a
composed script that differs and fails there is a kill (the kernel behaves
as the standard rows say, not as the variant's). A change to a row the
profile changed too is refused: the kill could not be told apart.
"""

from __future__ import annotations

import re

from model.machine import Model, ModelError
from model.rows import Row


def over(variant: Model, profile: Model, standard: Model) -> Model:
    """The variant's changes to `standard`, applied to `profile`'s rows."""
    std = {r.name: r for r in standard.rows}
    var = {r.name: r for r in variant.rows}
    prof = {r.name: r for r in profile.rows}
    changed = {n: r for n, r in var.items() if n in std and r != std[n]}
    removed = set(std) - set(var)
    clash = sorted(n for n in set(changed) | removed if n in prof and prof[n] != std[n])
    if clash:
        raise ModelError(variant.source, f"changes row {clash[0]}, which profile {profile.name} "
                                         "changes too: the difference could not be attributed")
    out: list[Row] = [changed.get(r.name, r) for r in profile.rows if r.name not in removed]
    # rows the variant adds go where the variant put them: before its next standard row
    pending: list[Row] = []
    for r in variant.rows:
        if r.name in std:
            if pending:
                at = next(i for i, x in enumerate(out) if x.name == r.name)
                out[at:at] = pending
                pending = []
        elif r.name not in prof:
            pending.append(r)
    out += pending
    return Model(out, f"{variant.name}+{profile.name}", f"{variant.source} over {profile.source}")


_EVENT = re.compile(r"^(?!//)\S")


def wire_lines(text: str) -> list[str]:
    """A script's events without comments: what packetdrill does and checks."""
    return [ln.split("   //")[0].rstrip() for ln in text.splitlines() if _EVENT.match(ln)]


def differing(mine: list, theirs: list) -> list[str]:
    """Names of the scripts (`Script`s, paired by name) whose events differ."""
    other = {s.name: s for s in theirs}
    return [s.name for s in mine if s.name in other and wire_lines(s.text) != wire_lines(other[s.name].text)]


def first_difference(a: str, b: str) -> str:
    """The first event line where two scripts part, as `a | b`."""
    x, y = wire_lines(a), wire_lines(b)
    for i, (p, q) in enumerate(zip(x, y)):
        if p != q:
            return f"event {i + 1}: {p.strip()}  vs  {q.strip()}"
    return f"event {min(len(x), len(y)) + 1}: one script ends ({len(x)} vs {len(y)} events)"
