"""Loading the standard table or a variant (a Python module that defines ROWS),
with one-line errors that name the file, line or row at fault."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback

from model.machine import Model, ModelError

VARIANTS_PACKAGE = "model.variants"


def variant_names() -> list[str]:
    here = os.path.join(os.path.dirname(__file__), "..", "model", "variants")
    return sorted(f[:-3] for f in os.listdir(here) if f.endswith(".py") and not f.startswith("_"))


def _where(err: BaseException, path: str) -> str:
    """file:line of the deepest frame inside `path` (or the syntax error)."""
    if isinstance(err, SyntaxError) and err.filename:
        same = os.path.abspath(err.filename) == os.path.abspath(path)
        return f"{path if same else err.filename}:{err.lineno}"
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    if frames:
        return f"{path}:{frames[-1].lineno}"
    return path


def load_model(spec: str | None) -> Model:
    """`spec`: None (the standard table), a path to a .py file, a module name
    (`model.variants.no_time_wait`) or a shipped variant's short name."""
    return load_profile(spec)[0]


def load_profile(spec: str | None) -> tuple[Model, dict[str, str]]:
    """As `load_model`, with the sysctls the variant assumes of a real stack
    (its SYSCTLS, e.g. model/variants/linux.py; {} for the standard table)."""
    if spec is None or spec in ("standard", "model.table"):
        from model.table import ROWS

        return Model(ROWS, "standard", "model/table.py"), {}
    if spec.endswith(".py") or os.path.sep in spec or os.path.exists(spec):
        if os.path.isdir(spec):
            raise ModelError(spec, "is a directory, not a variant (a .py file defining ROWS)")
        if not os.path.isfile(spec):
            raise ModelError(spec, "no such file")
        if not spec.endswith(".py"):
            raise ModelError(spec, "a variant is a Python file (.py) defining ROWS")
        name = "_variant_" + os.path.splitext(os.path.basename(spec))[0]
        mspec = importlib.util.spec_from_file_location(name, spec)
        module = importlib.util.module_from_spec(mspec)
        sys.modules[name] = module
        try:
            mspec.loader.exec_module(module)
        except (Exception, SystemExit) as err:  # a variant is user code: report, don't crash or exit
            del sys.modules[name]
            what = f"calls sys.exit({err.code!r})" if isinstance(err, SystemExit) else f"{type(err).__name__}: {err}"
            raise ModelError(_where(err, spec), what) from None
        source, label = spec, os.path.splitext(os.path.basename(spec))[0]
    else:
        modname = spec if "." in spec else f"{VARIANTS_PACKAGE}.{spec}"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as err:
            if err.name and modname.startswith(err.name):
                raise ModelError(spec, f"no module {modname!r}; shipped variants: "
                                       f"{', '.join(variant_names())}") from None
            raise ModelError(spec, f"{type(err).__name__}: {err}") from None
        except (Exception, SystemExit) as err:
            path = getattr(err, "filename", None) or modname
            raise ModelError(_where(err, path), f"{type(err).__name__}: {err}") from None
        source, label = modname.replace(".", "/") + ".py", modname.rsplit(".", 1)[-1]
    rows = getattr(module, "ROWS", None)
    if rows is None:
        raise ModelError(source, "defines no ROWS (a variant is a module with ROWS = [...])")
    sysctls = getattr(module, "SYSCTLS", {})
    if not isinstance(sysctls, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in sysctls.items()):
        raise ModelError(source, "SYSCTLS must be a dict of sysctl names to string values")
    return Model(list(rows) if isinstance(rows, tuple) else rows, label, source), dict(sysctls)
