"""How a check's verdict is printed on a terminal: one line per check, the
counterexample ladder indented under a failure."""

from __future__ import annotations

from checker.result import FAIL, NA, PASS, CheckResult


def format_check(c: CheckResult, verbose_cex: bool = True) -> str:
    mark = {PASS: "ok  ", FAIL: "FAIL", NA: "n/a "}[c.status]
    line = f"  {mark} {c.name:<22} {c.summary}  [{c.seconds:.2f}s]  ({c.ref})"
    if c.failed and c.counterexample and verbose_cex:
        line += "\n       counterexample: " + c.counterexample.get("why", "")
        text = c.counterexample.get("text", "")
        if text:
            line += "\n" + "\n".join("       " + t for t in text.splitlines())
    return line
