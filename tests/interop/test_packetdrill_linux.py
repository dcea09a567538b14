"""The generated packetdrill scripts against this machine's kernel (root and
packetdrill; skipped with the reason otherwise): every script of the linux
profile passes; the standard table's scripts fail exactly where the profile
names a difference, each failure showing it; the evidence scripts show the
differences rows cannot express; every shipped variant is told apart from
the table by at least one script the kernel fails (RFC 9293 3.5, 3.6, 3.10;
RFC 5961)."""

from __future__ import annotations

import importlib
import json

import pytest

from checker.cli import main
from checker.generate.packetdrill import evidence_scripts, scripts
from checker.interop.kills import differing, over
from checker.interop.packetdrill_run import run_script
from checker.load import load_model, load_profile, variant_names
from model.variants import linux as LINUX
from tests.interop.kernel import need_packetdrill

pytestmark = pytest.mark.kernel

# standard script -> (the profile's difference, what the kernel's failure shows)
STANDARD_FAILS = {
    "abort-established": ("rst-ack-on-abort", "R. 1:1(0) ack 1"),
    "abort-close-wait": ("rst-ack-on-abort", "R. 1:1(0) ack 2"),
    "simultaneous-open": ("simultaneous-open-ack", "timing error"),
    "syn-received-active-ack-of-iss": ("ack-of-iss-accepted", "S. 0:0(0) ack 1"),
    "rst-challenge-time-wait": ("no-challenge-in-time-wait", "Timed out waiting for packet"),
}
EVIDENCE_FAILS = {
    "close-unread-data": ("half-duplex-close", "R. 1:1(0) ack 11"),
    "data-after-close": ("half-duplex-close", "R 2:2(0)"),
    "challenge-ack-rate-limit": ("challenge-ack-rate-limit", "Timed out waiting for packet"),
    "tfo-syn-data": ("tcp-fast-open", "S. 0:0(0) ack 11"),
    "time-wait-assassination-off": ("time-wait-assassination", "Timed out waiting for packet"),
}


@pytest.fixture(scope="module")
def packetdrill():
    return need_packetdrill()


@pytest.fixture(scope="module")
def linux():
    model, sysctls = load_profile("linux")
    return model, sysctls, {s.name: s for s in scripts(model)}


def _run(packetdrill, script, sysctls, where):
    path = where / f"{script.name}.pkt"
    path.write_text(script.text)
    return run_script(packetdrill, str(path), {**sysctls, **dict(script.sysctls)})


def test_every_script_of_the_linux_profile_passes(packetdrill, monkeypatch, capsys):
    monkeypatch.setenv("PACKETDRILL", packetdrill)
    code = main(["oracle", "--format", "packetdrill", "--profile", "linux", "--run", "--json"])
    doc = json.loads(capsys.readouterr().out)
    failed = {s["name"]: s["detail"] for s in doc["scripts"] if not s["passed"]}
    assert not failed and code == 0, failed
    assert doc["passed"] == len(scripts(load_model("linux"))) >= 30
    assert doc["sysctls"] == LINUX.SYSCTLS


def test_standard_scripts_fail_exactly_where_the_profile_names_a_difference(packetdrill, linux, tmp_path):
    _, sysctls, mine = linux
    std = scripts(load_model(None))
    names = differing(std, list(mine.values()))
    by = {s.name: s for s in std}
    results = {n: _run(packetdrill, by[n], sysctls, tmp_path) for n in names}
    failed = {n for n, r in results.items() if not r.passed}
    assert failed == set(STANDARD_FAILS), {n: results[n].detail for n in failed ^ set(STANDARD_FAILS)}
    for n, (diff, shows) in STANDARD_FAILS.items():
        assert shows in results[n].detail, (n, results[n].detail)
    # every difference the profile expresses as rows has its evidence among them, and the rows exist
    named = {d[0]: d for d in LINUX.DIFFERENCES}
    row_diffs = {d[0] for d in LINUX.DIFFERENCES if d[1]}
    assert {d for d, _ in STANDARD_FAILS.values()} == row_diffs
    rows = {r.name for r in load_model("linux").rows}
    for d in row_diffs:
        assert set(named[d][1]) <= rows, d
        assert any(n in named[d][3] for n, (x, _) in STANDARD_FAILS.items() if x == d), d


def test_evidence_scripts_show_what_rows_cannot_express(packetdrill, linux, tmp_path):
    model, sysctls, _ = linux
    made = {s.name: s for s in evidence_scripts(model)}
    assert set(made) == set(EVIDENCE_FAILS)
    named = {d[0]: d for d in LINUX.DIFFERENCES}
    for n, (diff, shows) in EVIDENCE_FAILS.items():
        r = _run(packetdrill, made[n], sysctls, tmp_path)
        assert not r.passed and shows in r.detail, (n, r.detail)
        assert named[diff][1] is None and n in named[diff][3], diff


def test_the_rfc1337_profile_is_what_linux_does_with_the_sysctl(packetdrill, linux, tmp_path):
    _, _, mine = linux
    model, sysctls = load_profile("linux_rfc1337")
    theirs = {s.name: s for s in scripts(model)}
    names = differing(list(theirs.values()), list(mine.values()))
    assert names == ["rst-time-wait"]
    (tmp_path / "rfc1337").mkdir()
    assert _run(packetdrill, theirs["rst-time-wait"], sysctls, tmp_path / "rfc1337").passed
    r = _run(packetdrill, mine["rst-time-wait"], sysctls, tmp_path)  # linux rows, rfc1337 sysctl
    assert not r.passed, r.detail  # TIME-WAIT is still there: no RST answers the probe


def test_every_shipped_variant_fails_on_linux_where_its_scripts_differ(packetdrill, linux, tmp_path):
    """Discrimination: the variant's changes applied over the linux profile;
    the scripts that differ run on the kernel; at least one fails, and the
    failure is the variant's (the profile's own script passes: first test)."""
    lin, sysctls, mine = linux
    std = load_model(None)
    kills = {}
    for name in variant_names():
        model, own = load_profile(name)
        if own:  # a profile of a real stack, not a broken table
            continue
        composed = scripts(over(model, lin, std))
        by = {s.name: s for s in composed}
        names = differing(composed, list(mine.values()))
        mod = importlib.import_module(f"model.variants.{name}")
        if getattr(mod, "RFC_ALLOWS", None):  # what the RFC allows (a MAY), not a broken table
            continue
        blind = getattr(mod, "PACKETDRILL_BLIND", None)
        if blind:  # the variant says why scripts cannot see it; hold it to that
            assert not names, f"{name} claims {blind!r}, yet scripts {names} differ"
            continue
        assert names, f"{name}: no script tells it from the table"
        dead = [n for n in names if not _run(packetdrill, by[n], sysctls, tmp_path).passed]
        kills[name] = (len(dead), len(names))
        assert dead, f"{name}: none of its {len(names)} differing scripts fails on Linux"
    assert set(kills) >= {"no_time_wait", "two_way_handshake", "rfc793_syn_ack_check"}
    print("kills (failing / differing scripts):", kills)
