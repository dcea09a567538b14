"""The README's output excerpts, regenerated from real runs.

    python docs/excerpts.py          rewrite README.md's excerpt blocks
    python docs/excerpts.py --check  exit 1 when README.md has drifted

An excerpt block in README.md sits between `<!-- excerpt NAME -->` and
`<!-- /excerpt -->`; NAME is a key of EXCERPTS: the command run and which of
its lines are kept (the rest is elided with "..."). The check compares with
run-dependent figures (seconds, z3's choice of witnesses: every 32-bit
value and data length) masked, so it
fails on a changed verdict, check, count or ladder, not on timing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
BLOCK = re.compile(r"(<!-- excerpt (?P<name>[\w-]+) -->\n```\n)(?P<body>.*?)(```\n<!-- /excerpt -->)", re.S)


def keep_first_run(lines: list[str]) -> list[str]:
    """The table checks, the first composed run, coverage and the proofs;
    the other runs become one '...' line."""
    out, runs, skipping = [], 0, False
    for line in lines:
        if line.startswith("run "):
            runs += 1
            skipping = runs > 1
            if runs == 2:
                out.append("  ... (the other runs of the default set: reliable/lossy, with and without ABORT)")
        elif not line.startswith(" "):
            skipping = False
        if not skipping:
            out.append(line)
    return out


def failures_only(lines: list[str]) -> list[str]:
    return lines


EXCERPTS = {
    "verify-standard": (["verify", "--color", "never"], keep_first_run),
    "verify-no-time-wait": (["verify", "--model", "no_time_wait", "--quiet", "--color", "never"], failures_only),
    "verify-exit-3": (["verify", "--no-proofs", "--max-states", "1000", "--check", "no-deadlock,no-livelock",
                       "--no-abort", "--color", "never"], failures_only),
    "faq-three-way": (["faq", "three-way", "--color", "never"], failures_only),
    "faq-three-way-zh": (["faq", "three-way", "--lang", "zh", "--color", "never"], failures_only),
}


def run(argv: list[str]) -> str:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", PYTHONHASHSEED="0")  # z3 sees the same query order
    p = subprocess.run([sys.executable, "-m", "checker", *argv], cwd=ROOT, capture_output=True, text=True,
                       env=env, timeout=600)
    return p.stdout


def excerpt(name: str) -> str:
    argv, select = EXCERPTS[name]
    lines = select(run(argv).rstrip("\n").splitlines())
    return "$ python -m checker " + " ".join(a for a in argv if a not in ("--color", "never")) + "\n" \
        + "\n".join(lines) + "\n"


def masked(text: str) -> str:
    """Timings and z3's witnesses masked, and the wrapping undone (a
    longer duration may move a word to the next line)."""
    text = re.sub(r"\d+\.\d+s\b", "#s", text)
    # z3's witnesses (sequence numbers, windows, lengths) depend on what the
    # worker solved before; flags, rows, states and verdicts are compared
    text = re.sub(r"0x[0-9a-f]{8}", "0x#", text)
    text = re.sub(r"DATA=\d+", "DATA=#", text)
    return " ".join(text.split())


def main(argv: list[str]) -> int:
    check = "--check" in argv
    readme = open(README).read()
    drifted = []

    def replace(m):
        new = excerpt(m.group("name"))
        if masked(new) != masked(m.group("body")):
            drifted.append(m.group("name"))
        return m.group(1) + new + m.group(4)

    text = BLOCK.sub(replace, readme)
    if check:
        for name in drifted:
            print(f"README.md: excerpt {name} no longer matches `python -m checker "
                  f"{' '.join(EXCERPTS[name][0])}` (run python docs/excerpts.py)")
        return 1 if drifted else 0
    with open(README, "w") as f:
        f.write(text)
    print(f"README.md: {len(BLOCK.findall(readme))} excerpts regenerated ({', '.join(drifted) or 'none changed'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
