"""`python -m checker mutate`: Measure the power of the checks: generate every
one-change mutant of the table (delete a row, change its next state, drop,
add or swap a control bit of a segment it sends, +1/-1 in a SEQ, ACK,
length or update, negate, weaken or strengthen a guard, swap two
overlapping rows, make a modulo-2^32 comparison unsigned, and more; see
--list-operators), run each through the checks of verify (table checks,
graph checks, z3 proofs; cheapest first, until the first kill) in parallel,
replay the JSON vectors and packetdrill scripts generated from the standard
table through it, and ask z3 whether each survivor is equivalent to the
table. Prints kill-rate tables per operator and per check."""

from __future__ import annotations

import json
import random
import sys
import time

from checker.cli.common import EXIT_FAIL, EXIT_NOT_CHECKED, EXIT_OK, UsageError, add_command, add_model_arg, int_arg




def register(sub) -> None:
    from checker.mutate.operators import OPERATORS

    p = add_command(sub, "mutate", __doc__, help="mutation analysis: what fraction of seeded table bugs the checks catch",
                    epilog="Exit 0 every mutant run is killed, proved equivalent or stillborn; 1 a mutant "
                           "survived; 3 a mutant could not be checked (timeout, inconclusive check); 2 usage.")
    add_model_arg(p)
    p.add_argument("--sample", type=int_arg, default=None, metavar="N",
                   help="run N mutants drawn at random (with --seed) instead of all of them")
    p.add_argument("--seed", type=int_arg, default=0, metavar="S", help="seed of --sample (default 0)")
    p.add_argument("--jobs", "-j", type=int_arg, default=None, metavar="J",
                   help="worker processes (default: the number of cores, at most 2)")
    p.add_argument("--operator", nargs="+", action="extend", default=None, metavar="OP",
                   help=f"only these operators: {', '.join(OPERATORS)}")
    p.add_argument("--id", nargs="+", action="extend", default=None, metavar="ID",
                   help="only the mutants with these ids (as printed, e.g. goto:fin@ESTABLISHED#3)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="per mutant; a mutant still running is stopped and counted not checked (default 300)")
    p.add_argument("--max-states", type=int_arg, default=None, metavar="N",
                   help="cut each graph run of a mutant at N global states (default 200000; a cut run "
                        "decides no liveness check: such a mutant is not checked unless killed)")
    p.add_argument("--all-checks", action="store_true",
                   help="run every check on every mutant instead of stopping at the first kill "
                        "(slower; lists every check that kills each mutant)")
    p.add_argument("--no-oracles", action="store_true", help="skip the replay of the JSON vectors and packetdrill scripts")
    p.add_argument("--no-equivalence", action="store_true", help="skip the z3 equivalence test of survivors")
    p.add_argument("--list-operators", action="store_true", help="print the operators and the number of mutants each makes, and exit")
    p.add_argument("--out", metavar="FILE", default=None, help="also write the JSON document to FILE")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.add_argument("--progress", action="store_true",
                   help="progress on stderr even when it is not a terminal (for long runs in the background)")
    p.add_argument("--journal", metavar="FILE",
                   help="append each verdict to FILE as one JSON line as it comes; when FILE already holds "
                        "verdicts for this table, keep its killed, equivalent and stillborn mutants and run "
                        "only the rest (survivors and not-checked ones run again), so a long run can stop "
                        "and go on")
    p.add_argument("--seeds-out", metavar="FILE",
                   help="write, as oracle seeds (the format of checker/generate/oracle_seeds.json), an input "
                        "that tells the table from every mutant verify killed and the oracles did not (found "
                        "by z3, checked against the mutant's engine)")
    p.set_defaults(func=run)


def run(args) -> int:
    from checker.load import load_model
    from checker.mutate import memo
    from checker.mutate.operators import OPERATORS, mutants
    from checker.mutate.oracles import prepare
    from checker.mutate.report import document, text
    from checker.mutate.run import MAX_STATES, Interrupted, Settings, baseline, cpu_count, run_mutants

    if args.operator:
        bad = [o for o in args.operator if o not in OPERATORS]
        if bad:
            raise UsageError(f"unknown operator {bad[0]!r}; operators are {', '.join(OPERATORS)}")
    jobs = args.jobs if args.jobs is not None else min(2, cpu_count())
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if args.sample is not None and args.sample < 1:
        raise UsageError(f"--sample must be at least 1, got {args.sample}")
    model = load_model(args.model)
    memo.install()
    all_mutants = mutants(model.rows, args.operator)
    if args.list_operators:
        for op in OPERATORS:
            print(f"{op:<18} {sum(1 for m in all_mutants if m.operator == op)}")
        print(f"{'total':<18} {len(all_mutants)}")
        return EXIT_OK
    chosen = all_mutants
    if args.id:
        known = {m.id: m for m in all_mutants}
        missing = [i for i in args.id if i not in known]
        if missing:
            raise UsageError(f"no mutant {missing[0]!r} (python -m checker mutate --list-operators counts them)")
        chosen = [known[i] for i in dict.fromkeys(args.id)]
    if args.sample is not None and args.sample < len(chosen):
        picked = set(random.Random(args.seed).sample(range(len(chosen)), args.sample))
        chosen = [m for k, m in enumerate(chosen) if k in picked]
    settings = Settings(jobs=jobs, timeout=args.timeout, max_states=args.max_states or MAX_STATES,
                        all_checks=args.all_checks, oracles=not args.no_oracles,
                        equivalence=not args.no_equivalence)
    tty = (sys.stderr.isatty() or args.progress) and not args.quiet

    def say(msg):
        if tty:
            print(msg, file=sys.stderr, flush=True)

    journal = None
    if args.journal:  # (opened first: a bad path is told before minutes of baseline)
        from checker.mutate.journal import Journal, JournalError

        try:
            journal = Journal(args.journal, model)
        except JournalError as err:
            raise UsageError(str(err)) from None
    t0 = time.perf_counter()
    say(f"mutate: {len(all_mutants)} mutants of {model.name}, running {len(chosen)} on {jobs} process(es)")
    current = ["start"]

    def at(name):
        current[0] = name
        say(f"  table: {name}")

    try:
        base = baseline(model, settings.max_states, at)
    except Exception as err:  # a check that cannot run on the table itself: nothing can be measured
        print(f"mutate: check {current[0]} raised on {model.name} itself ({type(err).__name__}: {err}); "
              "no mutant can be judged", file=sys.stderr)
        return EXIT_NOT_CHECKED
    if base.failing():
        say(f"  the table itself fails {', '.join(base.failing())}: those checks cannot kill")
    context = prepare(model) if (settings.oracles or settings.equivalence) else None

    def on_result(res, done, total):
        kb = res.get("killed_by")
        how = f" by {kb['check']}" if kb else ""
        say(f"  [{done}/{total}] {res['verdict']}{how}: {res['id']} ({res['seconds']:.1f}s)")

    kept: dict = {}
    if journal:
        kept = {i: r for i, r in journal.kept.items() if i in {m.id for m in chosen}}
        say(f"  journal {args.journal}: {len(kept)} verdicts kept, {len(chosen) - len(kept)} to run")
        if context is not None and settings.oracles:
            _rejudge_oracles(kept, {m.id: m for m in chosen}, context, say)
    todo = [m for m in chosen if m.id not in kept]

    def noted(res, done, total):
        if journal:
            journal.append(res)
        on_result(res, done + len(kept), total + len(kept))

    interrupted = False
    try:
        ran = run_mutants(todo, base, settings, context, noted)
    except Interrupted as stop:
        ran, interrupted = stop.results, True
    finally:
        if journal:
            journal.close()
    by_id = {**kept, **{r["id"]: r for r in ran}}
    results = [by_id[m.id] for m in chosen if m.id in by_id]
    wall = time.perf_counter() - t0
    doc = document(results, wall, jobs, len(all_mutants), settings, base, args.seed, args.sample)
    doc["model"] = {"name": model.name, "source": model.source, "rows": len(model.rows)}
    doc["interrupted"] = interrupted
    if journal:
        doc["journal"] = {"file": args.journal, "kept": len(kept), "ran": len(ran),
                          "seconds_of_kept": round(sum(r.get("seconds") or 0 for r in kept.values()), 1)}
    if args.out:
        try:
            with open(args.out, "w") as f:
                json.dump(doc, f, indent=1)
        except OSError as err:
            raise UsageError(f"--out {args.out}: {err.strerror}") from None
    if args.seeds_out:
        from checker.mutate.seeds import seeds_for

        seeds = seeds_for(model, {m.id: m for m in chosen}, results)
        try:
            with open(args.seeds_out, "w") as f:
                json.dump({"format": "tcpcheck-oracle-seeds", "version": 1, "seeds": seeds}, f, indent=1)
                f.write("\n")
        except OSError as err:
            raise UsageError(f"--seeds-out {args.seeds_out}: {err.strerror}") from None
        say(f"  {len(seeds)} seeds written to {args.seeds_out}")
    if args.json:
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(text(doc))
    s = doc["summary"]
    if s["survived"]:
        return EXIT_FAIL
    return EXIT_NOT_CHECKED if interrupted or s["not checked"] else EXIT_OK


def _rejudge_oracles(kept: dict, by_id: dict, context, say) -> None:
    """The oracles of today for kept verdicts that the journal's oracles
    missed (vectors and seeds added since then may kill them now; the
    oracles only grow, so a kept oracle kill stands)."""
    from checker.mutate.oracles import oracle_verdict
    from checker.mutate.run import KILLED, observable
    from model.machine import Model

    missed = [i for i, r in kept.items() if "oracle" in r and not r["oracle"]["killed"]]
    for i in missed:
        r = kept[i]
        model = Model(list(by_id[i].rows), i, "mutant " + i)
        r["oracle"] = oracle_verdict(model, context)
        if r["verdict"] == KILLED:
            observable(r["oracle"], model, context)
    if missed:
        say(f"  oracles replayed again on the {len(missed)} kept verdicts they had missed: "
            f"{sum(1 for i in missed if kept[i]['oracle']['killed'])} now killed")
