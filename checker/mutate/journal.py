"""A journal of mutant verdicts, one JSON line each, so that a run over the
full set (hours on 2 cores) can stop and go on.

The first line names the table (a hash of its rows): a journal of another
table is refused, since its mutants are other mutants. A kept verdict is
one that a later run cannot overturn by adding checks: killed (the check
that failed still fails on the same rows), equivalent (z3 proved the same
step relation) and stillborn (`Model()` refuses the rows). Survivors and
not-checked mutants run again.
"""

from __future__ import annotations

import hashlib
import json
import os

KEPT = ("killed", "equivalent", "stillborn")
FORMAT = "tcpcheck-mutate-journal"


class JournalError(Exception):
    pass


def table_hash(model) -> str:
    return hashlib.sha256(repr(list(model.rows)).encode()).hexdigest()[:16]


class Journal:
    def __init__(self, path: str, model):
        self.kept: dict = {}
        want = table_hash(model)
        try:
            self._f = self._read(path, want) if os.path.exists(path) and os.path.getsize(path) \
                else self._start(path, want)
        except OSError as err:
            raise JournalError(f"--journal {path}: {err.strerror}") from None

    def _read(self, path: str, want: str):
        """The kept verdicts of a journal of this table; then append to it."""
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    if n > 1 and not line.endswith("\n"):
                        break  # the last line of a run that was killed mid-write
                    raise JournalError(f"{path}: line {n} is not JSON") from None
                if n == 1:
                    if rec.get("format") != FORMAT:
                        raise JournalError(f"{path}: line 1 is not a mutate journal header")
                    if rec.get("table") != want:
                        raise JournalError(f"{path}: written for another table ({rec.get('table')}, "
                                           f"this one is {want}); use a new journal file")
                    continue
                if rec.get("verdict") in KEPT and "id" in rec:
                    self.kept[rec["id"]] = rec
        return open(path, "a")

    @staticmethod
    def _start(path: str, want: str):
        f = open(path, "w")
        f.write(json.dumps({"format": FORMAT, "version": 1, "table": want}) + "\n")
        f.flush()
        return f

    def append(self, res: dict) -> None:
        self._f.write(json.dumps(res) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()
