"""What a check returns: its verdict with figures and evidence, and how a
set of verdicts becomes one exit status.

Three outcomes, everywhere: a check holds, fails (with a counterexample),
or was not checked (z3 answered unknown, a state cap or a time budget was
reached, the run was interrupted) and then carries the reason. "n/a" is a
fourth, informational mark: the property does not apply to the options of
that run (e.g. established-iff under loss); it is neither a proof nor a
failure, and the verdict line says so."""

from __future__ import annotations

from dataclasses import dataclass, field

PASS, FAIL, UNCHECKED, NA = "holds", "FAILED", "not checked", "n/a"
STATUSES = (PASS, FAIL, UNCHECKED, NA)


class NotChecked(Exception):
    """Raised by an analysis that cannot decide what it was asked: the
    message is the reason (printed with the check, never as a pass)."""


@dataclass
class CheckResult:
    name: str
    ref: str  # RFC 9293 sections / requirement labels the check is about
    status: str  # PASS, FAIL, UNCHECKED or NA
    summary: str = ""  # one line of figures, or the reason it was not checked
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)
    counterexample: dict | None = None  # {"kind": "ladder", "steps": [...], "text": str}
    run: str = ""  # the options the check ran under
    assumptions: list[str] = field(default_factory=list)  # bounds the verdict rests on

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def unchecked(self) -> bool:
        return self.status == UNCHECKED

    def as_json(self) -> dict:
        return {"name": self.name, "ref": self.ref, "status": self.status, "run": self.run,
                "summary": self.summary, "seconds": round(self.seconds, 3),
                "assumptions": self.assumptions, "figures": self.figures,
                "counterexample": self.counterexample}


def check(name: str, ref: str):
    """Names a check function: `fn.check_name` (what --check selects) and
    `fn.check_ref` (its RFC 9293 sections), used by its results too."""
    def mark(fn):
        fn.check_name, fn.check_ref = name, ref
        return fn
    return mark


def not_checked(name: str, ref: str, reason: str, seconds: float = 0.0, run: str = "") -> CheckResult:
    return CheckResult(name, ref, UNCHECKED, f"not checked: {reason}", seconds, {"reason": reason}, run=run)


def tally(results) -> dict[str, int]:
    """How many results have each status."""
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r.status] += 1
    return out


def exit_status(results, interrupted: bool = False) -> int:
    """0 everything asked was checked and holds (or does not apply), 1 a
    failure, 3 nothing failed but something was not checked, 130 interrupted."""
    if interrupted:
        return 130
    t = tally(results)
    if t[FAIL]:
        return 1
    return 3 if t[UNCHECKED] else 0


def verdict_line(results, seconds: float, what: str = "checks", interrupted: bool = False) -> str:
    """The last line of a run: every outcome counted, failures named."""
    t = tally(results)
    parts = [f"{t[PASS]} hold"]
    if t[FAIL]:
        parts.append(f"{t[FAIL]} FAILED ({', '.join(sorted({r.name for r in results if r.failed}))})")
    if t[UNCHECKED]:
        parts.append(f"{t[UNCHECKED]} not checked ({', '.join(sorted({r.name for r in results if r.unchecked}))})")
    if t[NA]:
        parts.append(f"{t[NA]} do not apply")
    head = ("INTERRUPTED" if interrupted else "FAILED" if t[FAIL] else "NOT CHECKED" if t[UNCHECKED]
            else "all hold")
    return f"verdict: {head}: {len(results)} {what}: {', '.join(parts)}, in {seconds:.1f}s"
