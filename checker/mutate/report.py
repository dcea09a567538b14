"""The mutation report: per mutant the check that killed it and the length
of its counterexample; tables of kill rate per operator and per check
(RFC 9293 sections: those of the checks), and of what the oracles
generated from the standard table kill; the survivors with what z3 found.

Kill rate of an operator = killed / (killed + survived): stillborn
mutants (the table does not load), mutants proved equivalent and mutants
not checked are counted apart, never as kills or survivals.
"""

from __future__ import annotations

import statistics

from checker.mutate.run import EQUIVALENT, KILLED, NOT_CHECKED, STILLBORN, SURVIVED, VERDICTS


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def _observable(r: dict) -> bool:
    """Killed by verify with an outcome some input shows (`observable` is
    False when z3 proves the mutant answers every input within the
    invariant as the table does: a proof read an internal value, e.g. the
    trimmed SEG.LEN; no black-box oracle can tell it)."""
    return r["oracle"].get("observable", True)


def per_operator(results: list[dict]) -> list[dict]:
    ops: dict[str, list[dict]] = {}
    for r in results:
        ops.setdefault(r["operator"], []).append(r)
    out = []
    for op, rs in ops.items():
        n = {v: sum(1 for r in rs if r["verdict"] == v) for v in VERDICTS}
        loaded = [r for r in rs if r["verdict"] != STILLBORN and "oracle" in r]
        vkilled = [r for r in loaded if r["verdict"] == KILLED and _observable(r)]
        out.append({"operator": op, "mutants": len(rs), **n,
                    "kill_rate": _pct(n[KILLED], n[KILLED] + n[SURVIVED]),
                    "oracle_killed": sum(1 for r in loaded if r["oracle"]["killed"]),
                    "oracle_of_loaded": len(loaded),
                    "vectors_killed": sum(1 for r in loaded if r["oracle"]["vectors"]["killed"]),
                    "packetdrill_killed": sum(1 for r in loaded if r["oracle"]["packetdrill"]["killed"]),
                    "oracle_of_verify": _pct(sum(1 for r in vkilled if r["oracle"]["killed"]), len(vkilled))})
    return out


def per_check(results: list[dict]) -> list[dict]:
    checks: dict[str, list[dict]] = {}
    for r in results:
        if r["verdict"] == KILLED:
            checks.setdefault(r["killed_by"]["check"], []).append(r)
    killed = sum(len(v) for v in checks.values())
    out = []
    for name, rs in sorted(checks.items(), key=lambda kv: -len(kv[1])):
        lengths = [r["killed_by"]["length"] for r in rs if r["killed_by"]["length"]]
        static = sum(1 for r in rs if r["killed_by"]["length"] == 0)
        out.append({"check": name, "first_kills": len(rs), "share": _pct(len(rs), killed), "static": static,
                    "median_cex": statistics.median(lengths) if lengths else None,
                    "max_cex": max(lengths) if lengths else None})
    return out


def summary(results: list[dict], wall: float, jobs: int, generated: int) -> dict:
    n = {v: sum(1 for r in results if r["verdict"] == v) for v in VERDICTS}
    loaded = [r for r in results if "oracle" in r]
    vkilled = [r for r in loaded if r["verdict"] == KILLED and _observable(r)]
    return {"generated": generated, "run": len(results), **n,
            "kill_rate": _pct(n[KILLED], n[KILLED] + n[SURVIVED]),
            "oracle_killed": sum(1 for r in loaded if r["oracle"]["killed"]),
            "oracle_of_verify": _pct(sum(1 for r in vkilled if r["oracle"]["killed"]), len(vkilled)),
            "unobservable": sum(1 for r in loaded if r["verdict"] == KILLED and not _observable(r)),
            "wall_seconds": round(wall, 1), "jobs": jobs}


def document(results, wall, jobs, generated, settings, base, seed, sample) -> dict:
    return {"format": "tcpcheck-mutate", "version": 1,
            "summary": summary(results, wall, jobs, generated),
            "settings": {"jobs": jobs, "timeout": settings.timeout, "max_states": settings.max_states,
                         "all_checks": settings.all_checks, "sample": sample, "seed": seed},
            "baseline": {"seconds": round(base.seconds, 1), "failing": base.failing()},
            "per_operator": per_operator(results), "per_check": per_check(results), "mutants": results}


def _table(rows: list[dict], cols: list[tuple[str, str]]) -> list[str]:
    head = "| " + " | ".join(t for _, t in cols) + " |"
    sep = "|" + "|".join("---" for _ in cols) + "|"
    body = ["| " + " | ".join("" if r.get(k) is None else str(r.get(k)) for k, _ in cols) + " |" for r in rows]
    return [head, sep] + body


OPERATOR_COLUMNS = [("operator", "operator"), ("mutants", "mutants"), (STILLBORN, "stillborn"),
                    (KILLED, "killed"), (EQUIVALENT, "equivalent"), (SURVIVED, "survived"),
                    (NOT_CHECKED, "not checked"), ("kill_rate", "kill rate"),
                    ("vectors_killed", "vectors kill"), ("packetdrill_killed", "packetdrill kill"),
                    ("oracle_of_verify", "oracles kill of verify's")]
CHECK_COLUMNS = [("check", "check"), ("first_kills", "first kills"), ("share", "share"),
                 ("static", "findings about the table"), ("median_cex", "median counterexample (steps)"),
                 ("max_cex", "longest")]


def text(doc: dict) -> str:
    s = doc["summary"]
    lines = [f"mutate: {s['generated']} mutants generated, {s['run']} run: {s[KILLED]} killed, "
             f"{s[EQUIVALENT]} equivalent, {s[SURVIVED]} survived, {s[STILLBORN]} stillborn, "
             f"{s[NOT_CHECKED]} not checked; kill rate {s['kill_rate']} (killed / killed + survived); "
             f"oracles kill {s['oracle_of_verify']} of what verify kills"
             + (f" (not counting {s['unobservable']} no input can show: they differ only inside a step)"
                if s.get("unobservable") else "") + "; "
             f"{s['wall_seconds']}s on {s['jobs']} process(es)",
             f"checks: those of verify on its default runs, cheapest first, until the first kill; "
             f"graph runs cut at {doc['settings']['max_states']} states; "
             f"{doc['settings']['timeout']:g}s per mutant", "", "per operator:"]
    lines += _table(doc["per_operator"], OPERATOR_COLUMNS)
    lines += ["", "per check (the check that killed first):"]
    lines += _table(doc["per_check"], CHECK_COLUMNS)
    surv = [r for r in doc["mutants"] if r["verdict"] == SURVIVED]
    if surv:
        lines += ["", "survivors (non-equivalent on some configuration of the invariant, not killed):"]
        for r in surv:
            d = (r.get("equivalence") or {}).get("differs") or {}
            why = (f": differs on {', '.join(d.get('fields', []))} in {d.get('config')} on {d.get('event')}"
                   if d else "")
            lines.append(f"  {r['id']}  [{r['change']}]{why}")
    nc = [r for r in doc["mutants"] if r["verdict"] == NOT_CHECKED]
    if nc:
        lines += ["", "not checked:"]
        lines += [f"  {r['id']}: {'; '.join(r['errors'] or [i['check'] + ' ' + i['why'] for i in r['inconclusive']])}"
                  for r in nc]
    return "\n".join(lines)
