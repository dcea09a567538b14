"""Running Spin on an export: `spin -a`, gcc, `pan`, and what pan printed.

pan is compiled with -O2 -fwrapv (sequence numbers wrap modulo 2^32, see
`expr`), -DSAFETY -DNOREDUCE (safety checks only; no partial-order
reduction, so every interleaving is stored as the explorer stores it) and
-DNOBOUNDCHECK (array indices are in range by construction; a channel that
would outgrow its slots is reported as `channel-bound`). A breadth-first
search (-DBFS) by default, which stores exactly the explorer's states and
finds shortest counterexamples; -DBITSTATE (hash bits, partial) and
-DNCORE=N (multi-core depth-first) when asked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

MODEL_FILE = "model.pml"


class SpinMissing(Exception):
    """spin or gcc is not installed (the message says which)."""


def tools_missing() -> str:
    """'' when spin and gcc are on PATH, else what is missing."""
    gone = [t for t in ("spin", "gcc") if shutil.which(t) is None]
    return ", ".join(gone)


@dataclass
class PanResult:
    states: int = 0
    matched: int = 0
    transitions: int = 0
    depth: int = 0
    errors: int = 0
    vector: int = 0
    memory_mb: float = 0.0
    bitstate: bool = False
    complete: bool = True
    incomplete_why: str = ""
    trails: list = field(default_factory=list)  # trail numbers (pan -e writes model.pmlN.trail)
    seconds: dict = field(default_factory=dict)  # generate, compile, run
    output: str = ""
    workdir: str = ""


def _num(pattern: str, text: str, cast=int, default=0):
    m = re.search(pattern, text)
    return cast(m.group(1)) if m else default


def parse_pan(text: str) -> PanResult:
    """The figures and the completeness of a pan run, from its output."""
    r = PanResult(output=text)
    r.states = _num(r"(\d+) states, stored", text)
    r.matched = _num(r"(\d+) states, matched", text)
    r.transitions = _num(r"(\d+) transitions \(", text)
    r.depth = _num(r"depth reached (\d+)", text)
    r.errors = _num(r"errors: (\d+)", text)
    r.vector = _num(r"State-vector (\d+) byte", text)
    r.memory_mb = _num(r"([\d.]+)\s+total actual memory usage", text, float, 0.0)
    r.bitstate = "Bit statespace search" in text
    why = []
    if r.bitstate:
        why.append("bitstate hashing (-DBITSTATE) may miss states: the search is partial")
    if "max search depth too small" in text:
        why.append("pan's search depth limit (-m) cut the search")
    if "reached -DMEMLIM bound" in text:
        limit = _num(r"([\d.e+]+) bytes limit", text, float, 0.0)
        why.append(f"pan ran out of memory (its limit, -DMEMLIM: {limit / 2 ** 20:,.0f} MB)")
    elif "out of memory" in text or "memory limit" in text.lower():
        why.append("pan ran out of memory")
    if "Search not completed" in text:
        why.append("pan says: search not completed")
    if "search terminated" in text:
        why.append("multi-core pan stops at its first error")
    elif "State-vector" not in text:
        why.append("pan did not finish")
    r.complete = not why
    r.incomplete_why = "; ".join(why)
    return r


def memory_limit_mb() -> int:
    """pan's -DMEMLIM: 85% of the machine's physical memory, in MB."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        total = 8 << 30
    return max(256, int(total * 0.85) >> 20)


def _run(cmd: list[str], cwd: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def compile_and_run(text: str, workdir: str, bitstate: bool = False, cores: int = 1,
                    time_limit: float | None = None, gen_seconds: float = 0.0, optimize: str = "-O2") -> PanResult:
    """Write `text` to workdir/model.pml, build pan, run it (-c0 -e: every
    check reports once, each with its trail). `optimize` is gcc's -O level
    (verify uses -O2; the tests -O0, which compiles in a third of the time)."""
    missing = tools_missing()
    if missing:
        raise SpinMissing(f"not installed: {missing} (Debian: apt-get install spin gcc)")
    os.makedirs(workdir, exist_ok=True)
    for f in os.listdir(workdir):
        if f.endswith(".trail") or f.startswith("pan"):
            os.remove(os.path.join(workdir, f))
    with open(os.path.join(workdir, MODEL_FILE), "w") as fh:
        fh.write(text)
    t0 = time.perf_counter()
    gen = _run(["spin", "-a", MODEL_FILE], workdir)
    if gen.returncode != 0 or not os.path.exists(os.path.join(workdir, "pan.c")):
        raise RuntimeError(f"spin -a failed: {(gen.stdout + gen.stderr).strip()[-400:]}")
    # pan stops itself, reporting a partial search, before the machine's memory is
    # gone (without a limit the kernel's OOM killer ends it, or something else)
    flags = [optimize, "-w", "-fwrapv", "-DSAFETY", "-DNOREDUCE", "-DNOBOUNDCHECK", f"-DMEMLIM={memory_limit_mb()}"]
    if cores > 1:
        flags.append(f"-DNCORE={cores}")
    else:
        flags.append("-DBFS")
    if bitstate:
        flags.append("-DBITSTATE")
    t1 = time.perf_counter()
    cc = _run(["gcc", *flags, "-o", "pan", "pan.c"], workdir)
    if cc.returncode != 0:
        raise RuntimeError(f"gcc failed on pan.c: {cc.stderr.strip()[-400:]}")
    t2 = time.perf_counter()
    args = ["./pan", "-c0", "-e", "-n"]
    if cores > 1:
        args.append("-m10000000")
    try:
        pan = _run(args, workdir, timeout=time_limit)
        out = pan.stdout + pan.stderr
        if pan.returncode < 0:
            out += f"\nSearch not completed: pan was killed by signal {-pan.returncode} (out of memory?)\n"
    except subprocess.TimeoutExpired as err:
        out = (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        out += "\nSearch not completed: time limit\n"
    t3 = time.perf_counter()
    with open(os.path.join(workdir, "pan.out"), "w") as fh:
        fh.write(out)
    r = parse_pan(out)
    r.workdir = workdir
    r.seconds = {"generate": gen_seconds, "spin": t1 - t0, "compile": t2 - t1, "run": t3 - t2}
    r.trails = sorted(int(m.group(1)) for f in os.listdir(workdir)
                      if (m := re.fullmatch(re.escape(MODEL_FILE) + r"(\d+)\.trail", f)))
    if cores > 1 and not r.trails:
        r.trails = [0] if os.path.exists(os.path.join(workdir, MODEL_FILE + ".trail")) else []
    return r


def replay_output(workdir: str, n: int) -> str:
    """`spin -t<n>`: the printf dumps along trail n (0: the unnumbered trail)."""
    flag = f"-t{n}" if n else "-t"
    out = _run(["spin", flag, MODEL_FILE], workdir, timeout=120)
    return out.stdout
