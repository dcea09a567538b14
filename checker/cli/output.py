"""How verdicts look on a terminal: one line per check wrapped to the
terminal's width, colour when stdout is a terminal (`--color`, NO_COLOR),
each counterexample printed once and then referred to, and a progress line
on stderr for runs longer than about two seconds."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time

from checker.result import FAIL, NA, PASS, UNCHECKED, CheckResult

MARK = {PASS: "ok  ", FAIL: "FAIL", UNCHECKED: "skip", NA: "n/a "}
COLOUR = {PASS: "32", FAIL: "1;31", UNCHECKED: "33", NA: "2"}
NAME_WIDTH = 22
INDENT = " " * (2 + 4 + 1 + NAME_WIDTH + 1)


def use_colour(choice: str, stream) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def width_of(stream) -> int:
    """The terminal's width; 100 columns when not a terminal (COLUMNS wins)."""
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def fit(line: str, width: int) -> str:
    """A line no longer than `width`: the middle of a long line (a list of
    segments in flight, say) is elided."""
    if len(line) <= width:
        return line
    keep = width - 5
    return line[: keep * 2 // 3] + " ... " + line[len(line) - (keep - keep * 2 // 3):]


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


class Printer:
    """Formats CheckResults for one run of a command."""

    def __init__(self, stream=None, colour: str = "auto", width: int | None = None):
        self.stream = stream or sys.stdout
        self.colour = use_colour(colour, self.stream)
        self.width = width or width_of(self.stream)
        self._seen: dict[str, str] = {}  # counterexample text -> where it was printed first

    def paint(self, text: str, status: str) -> str:
        return f"\033[{COLOUR[status]}m{text}\033[0m" if self.colour else text

    def check(self, c: CheckResult, counterexample: bool = True, assumptions: bool = True) -> str:
        head = f"  {self.paint(MARK[c.status], c.status)} {c.name:<{NAME_WIDTH}} "
        # the RFC sections only: what the property says is in --list-checks and --json
        body = f"{c.summary}  [{c.seconds:.2f}s]  ({c.ref.split(' (')[0]})"
        lines = textwrap.wrap(body, self.width - len(INDENT), break_on_hyphens=False) or [""]
        out = [head + lines[0]] + [INDENT + x for x in lines[1:]]
        for a in (c.assumptions if assumptions else ()):
            out += textwrap.wrap(f"assumes: {a}", self.width, initial_indent=INDENT,
                                 subsequent_indent=INDENT + "  ", break_on_hyphens=False)
        if c.failed and c.counterexample and counterexample:
            out += self._counterexample(c)
        return "\n".join(out)

    def _counterexample(self, c: CheckResult) -> list[str]:
        cex = c.counterexample
        pad = "    "
        why = textwrap.wrap("counterexample: " + cex.get("why", ""), self.width - len(pad),
                            break_on_hyphens=False)
        text = cex.get("text", "")
        where = f"{c.name}" + (f" in run {c.run}" if c.run else "")
        first = self._seen.get(text) if text else None
        if first is not None:
            return [pad + w for w in why] + textwrap.wrap(
                f"(the same ladder as {first}, printed above)", self.width - len(pad) - 2,
                initial_indent=pad + "  ", subsequent_indent=pad + "   ")
        if text:
            self._seen[text] = where
        # a ladder line too long keeps its columns: its note at the end is cut, not its middle
        return [pad + w for w in why] + [_cut(pad + t, self.width) for t in text.splitlines()]

    def wrapped(self, text: str) -> str:
        """A line of prose wrapped to the width, continuation lines indented."""
        out = []
        for line in text.splitlines():
            lead = " " * (len(line) - len(line.lstrip()))
            out += textwrap.wrap(line, self.width, subsequent_indent=lead + "    ", break_on_hyphens=False) or [""]
        return "\n".join(out)

    def emit(self, text: str) -> None:
        print(text, file=self.stream)
        self.stream.flush()


class Progress:
    """One self-overwriting line on stderr, shown only on a terminal, not
    with --quiet, and only once a run has taken about two seconds."""

    DELAY = 2.0

    def __init__(self, enabled: bool, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.shown = False
        self.done = 0
        self.total = 0

    def tick(self, running: dict, news: dict) -> None:
        if not self.enabled or time.perf_counter() - self.t0 < self.DELAY:
            return
        parts = []
        for key, label in running.items():
            info = news.get(key)
            if info and "states" in info:
                label += (f" ({info['states']:,} states, {info['rate']:,.0f}/s, queue {info['queue']:,}"
                          + (f", {info['rss_mb']:,.0f} MB" if "rss_mb" in info else "") + ")")
            parts.append(label)
        line = f"[{time.perf_counter() - self.t0:5.1f}s] {self.done}/{self.total} done; running: " + "; ".join(parts)
        self.stream.write("\r\033[K" + fit(line, width_of(self.stream) - 1))
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def format_check(c: CheckResult, verbose_cex: bool = True) -> str:
    """One check as plain text (no colour, 100 columns)."""
    return Printer(colour="never", width=100).check(c, verbose_cex)
