"""How runs against the kernel are printed (`oracle --run`, `interop`): one line
per script or scenario as it ends, then a summary line naming the model and
the sysctls it assumed, or one JSON document."""

from __future__ import annotations

import json
import sys

from checker.cli.common import EXIT_FAIL, EXIT_OK


def run_line(passed: bool, name: str, width: int, middle: str, detail: str) -> str:
    return f"{'passed' if passed else 'FAILED':<7} {name:<{width}} {middle}" + (f"  {detail}" if detail else "")


def finish(results: list, as_json: bool, model, sysctls: dict, key: str, what: str, where: str,
           extra: dict | None = None, bounds: str = "") -> int:
    """`what`: "COMMAND: NOUN ... MODEL-WORDS", e.g. "interop: scenarios: judged with"."""
    """The summary (or the JSON document) and the exit status: 0 when every
    run passed, 1 otherwise."""
    passed = sum(r.passed for r in results)
    if as_json:
        json.dump({"model": {"name": model.name, "source": model.source}, "sysctls": sysctls,
                   **(extra or {}), "bounds": bounds, "passed": passed, "failed": len(results) - passed,
                   key: [r.as_json() for r in results]}, sys.stdout, indent=1)
        print()
    else:
        tail = f"; sysctls: {', '.join(f'{k}={v}' for k, v in sysctls.items())}" if sysctls else ""
        cmd, noun, how = what.split(": ")
        if bounds:
            print(f"{cmd}: bounds: {bounds}")
        print(f"{cmd}: {passed} of {len(results)} {noun} passed against {where}; {how} model "
              f"{model.name}{tail}")
    return EXIT_OK if passed == len(results) else EXIT_FAIL
