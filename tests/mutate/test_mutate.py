"""`python -m checker mutate`: the operators make one change each, the oracle
replay and the equivalence proof tell what they should, the runner counts
stillborn and timed-out mutants apart, and a small fixed sample of mutants
is every one killed or proved equivalent (the CI's measure of the checks'
power; the full set is `python -m checker mutate`, see the README)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from checker.mutate.equivalence import equivalent
from checker.mutate.operators import OPERATORS, Mutant, mutants
from checker.mutate.oracles import oracle_verdict, parse_script, prepare
from checker.mutate.run import NOT_CHECKED, STILLBORN, Baseline, Settings, run_mutants
from model.expr import V
from model.machine import Model, standard
from model.rows import Emit, changed, without
from model.table import ROWS, SEG_SEQ

STANDARD = standard()
# The CI sample: a few minutes on 2 cores. Every mutant in it must be killed
# or proved equivalent; a survivor means a check is missing (or an
# equivalence argument: checker/mutate/arguments.py).
CI_SAMPLE, CI_SEED = 12, 2026


@pytest.fixture(scope="module")
def all_mutants():
    return mutants(ROWS)


@pytest.fixture(scope="module")
def context():
    return prepare(STANDARD)


def by_id(ms, mid):
    return next(m for m in ms if m.id == mid)


# --- operators ------------------------------------------------------------------------

def test_every_operator_makes_mutants_with_unique_ids(all_mutants):
    counts = Counter(m.operator for m in all_mutants)
    assert set(counts) == set(OPERATORS) and all(counts[o] > 0 for o in OPERATORS)
    assert len({m.id for m in all_mutants}) == len(all_mutants)
    assert len({m.rows for m in all_mutants}) == len(all_mutants)  # no two the same table
    assert tuple(ROWS) not in {m.rows for m in all_mutants}


def test_each_mutant_is_one_change(all_mutants):
    names = [r.name for r in ROWS]
    for m in all_mutants:
        if m.operator == "delete-row":
            assert [r.name for r in m.rows] == [n for n in names if n != m.row]
        elif m.operator == "swap-rows":
            moved = [i for i, (a, b) in enumerate(zip(ROWS, m.rows)) if a != b]
            assert len(moved) == 2 and m.rows[moved[0]] == ROWS[moved[1]] and m.rows[moved[1]] == ROWS[moved[0]]
        else:
            diff = [(a, b) for a, b in zip(ROWS, m.rows) if a != b]
            assert len(m.rows) == len(ROWS) and len(diff) == 1 and diff[0][0].name == m.row, m.id


def test_operators_read_whatever_rows_a_table_has():
    """Generic: a variant table (TIME-WAIT gone) gets its own mutants, none of a missing row."""
    from checker.load import load_model

    table = load_model("no_time_wait").rows
    ms = mutants(table, ["delete-row", "goto"])
    assert {m.row for m in ms if m.operator == "delete-row"} == {r.name for r in table}
    assert all(m.rows != tuple(table) for m in ms)


def test_unknown_operator_is_refused():
    with pytest.raises(ValueError, match="unknown operator"):
        mutants(ROWS, ["nonsense"])


# --- oracles --------------------------------------------------------------------------

def test_the_oracles_pass_the_standard_table(context):
    v = oracle_verdict(STANDARD, context)
    assert not v["killed"] and v["vectors"]["of"] > 100 and v["packetdrill"]["of"] >= 20


def test_the_oracles_kill_a_wrong_ack_of_the_syn(context):
    """Negative: a listener acknowledging SEG.SEQ instead of SEG.SEQ+1."""
    bad = Model(changed(ROWS, "listen-syn@LISTEN", emit=Emit("SYN,ACK", seq=V("ISS"), ack=SEG_SEQ)))
    v = oracle_verdict(bad, context)
    assert v["vectors"]["killed"] and v["vectors"]["first"][0].startswith("listen-syn@LISTEN")
    name, why = v["packetdrill"]["first"]
    assert name == "passive-open" and "expected '> S. 0:0(0) ack 1 <...>'" in why


def test_packetdrill_replay_reads_every_generated_line(context):
    assert all(acts for _, acts in context.scripts)
    with pytest.raises(ValueError, match="not understood"):
        parse_script("+0 sendto(3, ..., 10) = 10\n")


# --- equivalence -----------------------------------------------------------------------

def test_equivalence_proves_an_equivalent_mutant(all_mutants):
    """ack-old in ESTABLISHED only sees segments with ACK (ack-off came first)."""
    m = next(m for m in all_mutants if m.row == "ack-old@ESTABLISHED" and m.change == "when: ... and CTL.ACK")
    eq = equivalent(STANDARD, Model(list(m.rows)))
    assert eq["equivalent"] and eq["checked"] == ["ESTABLISHED SEGMENT"]


def test_equivalence_finds_where_a_mutant_differs():
    mut = Model(without(ROWS, "ack-dup@FIN-WAIT-2"))
    eq = equivalent(STANDARD, mut)
    assert not eq["equivalent"] and eq["differs"]["fields"] == ["SND.WND"]


# --- the runner ------------------------------------------------------------------------

def test_stillborn_and_timeout_are_not_kills():
    bad = Mutant("test:stillborn#1", "test", "listen-syn@LISTEN", "no RFC reference",
                 tuple(changed(ROWS, "listen-syn@LISTEN", ref="")))
    slow = Mutant("test:slow#1", "test", "listen-syn@LISTEN", "unchanged copy", tuple(ROWS))
    res = run_mutants([bad, slow], Baseline(), Settings(jobs=2, timeout=0.5, oracles=False, equivalence=False))
    assert [r["verdict"] for r in res] == [STILLBORN, NOT_CHECKED]
    assert "no RFC reference" in res[0]["why"] and "timeout after 0.5s" in res[1]["errors"][0]


def test_journal_keeps_kills_and_reruns_survivors(tmp_path):
    from checker.mutate.journal import Journal, JournalError, table_hash

    path = str(tmp_path / "j.jsonl")
    j = Journal(path, STANDARD)
    for mid, verdict in (("a", "killed"), ("b", "survived"), ("c", "equivalent"), ("d", "not checked")):
        j.append({"id": mid, "verdict": verdict})
    j.close()
    with open(path, "a") as f:
        f.write('{"id": "e", "verd')  # a run killed mid-write
    assert sorted(Journal(path, STANDARD).kept) == ["a", "c"]
    other = Model(list(without(ROWS, "listen-syn@LISTEN")), "other", "other")
    assert table_hash(other) != table_hash(STANDARD)
    with pytest.raises(JournalError, match="another table"):
        Journal(path, other)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "checker", "mutate", *args], capture_output=True, text=True)


def test_cli_usage_errors_are_one_line():
    for args in (["--operator", "nonsense"], ["--id", "nonsense"], ["--sample", "0"]):
        p = run_cli(*args)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, args


def test_ci_sample_every_mutant_killed_or_equivalent():
    p = run_cli("--sample", str(CI_SAMPLE), "--seed", str(CI_SEED), "--json", "--quiet")
    doc = json.loads(p.stdout)
    verdicts = {m["id"]: (m["verdict"], m.get("equivalence", {}).get("differs")) for m in doc["mutants"]}
    assert len(verdicts) == CI_SAMPLE
    assert all(v in ("killed", "equivalent", "stillborn") for v, _ in verdicts.values()), verdicts
    assert p.returncode == 0, p.stderr
    killed = [m for m in doc["mutants"] if m["verdict"] == "killed"]
    assert killed and all(m["killed_by"]["check"] for m in killed)


# --- oracle seeds (checker/generate/oracle_seeds.json) -------------------------------------

def test_every_oracle_seed_tells_its_mutant_from_the_table():
    """Each seed was found by z3 for a mutant verify killed and the vectors
    did not (`mutate --seeds-out`); the oracle now carries it as a vector,
    and that vector kills the mutant, replayed through its engine."""
    import re

    from checker.generate.oracle import build, config_from_json, event_from_json, load_seeds
    from checker.mutate.oracles import vector_mismatch

    seeds = load_seeds()
    assert seeds, "checker/generate/oracle_seeds.json holds no seeds"
    vectors = {v["id"]: v for v in build(STANDARD)["vectors"] if v["id"].startswith("seed/")}
    assert len(vectors) == len(seeds)
    by_id = {m.id: m for m in mutants(STANDARD.rows)}
    for i, sd in enumerate(seeds):
        mid = re.match(r"mutant (\S+) ", sd["why"]).group(1)
        v = vectors[f"seed/{i}"]
        assert "seed" in v["tags"] and v["why"] == sd["why"]
        mutant = Model(list(by_id[mid].rows), mid, "test")
        before, ev = config_from_json(v["before"]), event_from_json(v["input"])
        assert vector_mismatch(mutant, before, ev, v["expect"]) is not None, mid
        assert vector_mismatch(STANDARD, before, ev, v["expect"]) is None


def test_seeds_out_writes_only_what_the_oracles_missed(tmp_path):
    """Negative: a mutant the vectors already kill gives no seed."""
    out = tmp_path / "seeds.json"
    p = subprocess.run([sys.executable, "-m", "checker", "mutate", "--id", "goto:ack-dup@TIME-WAIT#9",
                        "--seeds-out", str(out), "-q"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(out.read_text())["seeds"] == []
