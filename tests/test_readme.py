"""The README's output excerpts are real: `docs/excerpts.py --check` reruns
each command and fails when the README no longer shows what it prints
(timings and z3's choice of witness values masked)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_excerpts_match_real_runs():
    p = subprocess.run([sys.executable, "docs/excerpts.py", "--check"], cwd=ROOT, capture_output=True,
                       text=True, timeout=1200)
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_drift_check_can_fail(tmp_path, monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import excerpts
    finally:
        sys.path.pop(0)
    readme = tmp_path / "README.md"
    readme.write_text("<!-- excerpt verify-exit-3 -->\n```\nverdict: all hold\n```\n<!-- /excerpt -->\n")
    monkeypatch.setattr(excerpts, "README", str(readme))
    assert excerpts.main(["--check"]) == 1
