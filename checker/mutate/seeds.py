"""Oracle seeds (issue: the oracles must kill what verify kills): for a
table mutant that `verify` killed and the generated vectors did not, z3
finds a configuration within the endpoint invariant and an input on which
the mutant's observable outcome differs from the table's
(`checker.mutate.equivalence.first_difference`); kept only if the
mutant's engine really answers it differently (the vector comparison of
`checker.mutate.oracles`). `checker.generate.oracle` turns each seed into
a vector whose expected outcome the table computes (RFC 9293 3.10)."""

from __future__ import annotations

from checker.generate.oracle import Case, _vector, config_from_json, config_json, event_from_json, event_json
from checker.mutate.equivalence import first_difference
from checker.mutate.oracles import vector_mismatch
from model.machine import IllegalEvent, Model


def seeds_for(standard: Model, by_id: dict, results: list[dict]) -> list[dict]:
    out = []
    for res in results:
        if res["verdict"] != "killed" or (res.get("oracle") or {}).get("killed", True):
            continue
        mutant = Model(list(by_id[res["id"]].rows), res["id"], "mutant " + res["id"])
        verdict, _, _, found = first_difference(standard, mutant, wire=True)
        if verdict != "differs":
            continue
        # as the oracle will read it back (JSON does not carry every field of an event, e.g. the
        # ISS an OPEN was given): a seed must tell the mutant apart after the round trip
        cfg, ev = found
        cfg, ev = config_from_json(config_json(cfg)), event_from_json(event_json(ev))
        try:
            expect = _vector("seed", None, Case(cfg, ev, standard.step(cfg, ev), ()))["expect"]
        except IllegalEvent:
            expect = {"illegal": True}
        if vector_mismatch(mutant, cfg, ev, expect) is None:
            continue  # z3's difference is not one the vectors compare
        kb = res["killed_by"]
        out.append({"before": config_json(cfg), "input": event_json(ev),
                    "why": f"mutant {res['id']} ({res['change']}), killed by {kb['check']}: {kb['why']}"})
    return out
