"""The caller that runs INSIDE the sandbox: the student's code cells, then the graded functions on
the check cases, and nothing of cnnlab.

    python -I harness.py TASK.npz NOTEBOOK.ipynb OUT_DIR

This file is copied into the sandbox on its own and imports only the standard library and NumPy
(and IPython's input transformer, for ``%magics``): no ``cnnlab`` (the sandbox does not expose the
package for this run, and an import blocker refuses ``cnnlab`` besides, before any student code
runs), so it holds no reference maths and no expected values. An answer that delegates to the
course's reference implementation fails here with ModuleNotFoundError, whatever it did to the
in-kernel detection.

TASK (written by the trusted grader, :mod:`cnnlab.grading.cases`) holds plain data:
{"cell_timeout": s, "blocked": ["cnnlab", ...], "allowed": [...], "calls": [{"check", "seed",
"objects", "keywords", "limit", "strict", "input_rtol", "cases": [[args, kwargs], ...]}]}.

07 is the exception (``cnnlab.grading.cases_train``): its calls carry a ``"runner"`` and run by
``harness_train.py``, copied beside this file, and its notebook may import the copy of
``cnnlab.nn`` and the data loaders the grader puts in the working folder (``"allowed"``); the
blocker still refuses the rest of cnnlab.

What comes back, in OUT_DIR: ``r<k>.npz`` per call, in the format of
``cnnlab.checks.save_results`` (read by ``load_results``, allow_pickle=False), and ``calls.json``
({"calls": [status per call: "ran", "undefined" or "not_callable"], "cells": [cell errors]}).
Everything here is the student's process: the trusted grader treats every byte of it as
untrusted (a wrong verdict at worst, never code), and judges it with ``cnnlab.checks``.
"""

import inspect
import json
import os
import signal
import sys
import time
import traceback
import warnings

import numpy as np

_NUMERIC = "biufc"
_DEPTH = 4
HERE = os.path.abspath(__file__)


# -- plain data in and out (the formats of cnnlab.grading.plaintree and cnnlab.checks.files) ----

def load_tree(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    text = arrays.pop("__json__")

    def lower(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                return arrays[value["__array__"]]
            if set(value) == {"__tuple__"}:
                return tuple(lower(v) for v in value["__tuple__"])
            return {k: lower(v) for k, v in value.items()}
        if isinstance(value, list):
            return [lower(v) for v in value]
        return value

    return lower(json.loads(str(text)))


def save_results(results, path):
    arrays = {}

    def lift(value):
        if isinstance(value, np.ndarray):
            name = f"a{len(arrays)}"
            arrays[name] = value
            return {"__array__": name}
        if isinstance(value, dict):
            return {str(k): lift(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [lift(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    np.savez(path, __json__=np.array(json.dumps(lift(results))), **arrays)


def plain(obj, depth=0):
    """The same tagged description as ``cnnlab.checks.calling.plain``."""
    name = type(obj).__name__
    if obj is None:
        return {"kind": "none", "type": name}
    if isinstance(obj, bool):
        return {"kind": "bool", "type": name, "value": bool(obj)}
    if isinstance(obj, int):
        return {"kind": "int", "type": name, "value": int(obj)}
    if isinstance(obj, float):
        return {"kind": "float", "type": name, "value": float(obj)}
    if isinstance(obj, str):
        return {"kind": "str", "type": name, "value": str(obj)[:1000]}
    if isinstance(obj, (np.ndarray, np.generic)):
        dtype = obj.dtype
        data = np.array(obj) if dtype.kind in _NUMERIC else None
        kind = "array" if isinstance(obj, np.ndarray) else "scalar"
        return {"kind": kind, "type": name, "dtype": str(dtype), "shape": list(np.shape(obj)), "array": data}
    if isinstance(obj, (tuple, list)) and depth < _DEPTH:
        return {"kind": "sequence", "type": name, "items": [plain(item, depth + 1) for item in obj]}
    if isinstance(obj, dict) and depth < _DEPTH:
        return {"kind": "mapping", "type": name, "items": [[plain(k, _DEPTH), plain(v, depth + 1)] for k, v in obj.items()]}
    return {"kind": "other", "type": name}


# -- no cnnlab here ----------------------------------------------------------------------------

class Blocker:
    """A meta path finder, first on sys.meta_path, that refuses the blocked packages, except the
    ``allowed`` modules (07: the copied part of cnnlab): a name allowed itself, or a submodule of
    an allowed package below the blocked one."""

    def __init__(self, blocked, allowed=()):
        self.blocked, self.allowed = tuple(blocked), tuple(allowed)

    def is_allowed(self, name):
        return any(name == a or (a not in self.blocked and name.startswith(a + ".")) for a in self.allowed)

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in self.blocked) and not self.is_allowed(name):
            raise ModuleNotFoundError(f"No module named {name!r} (not available while grading)", name=name)
        return None


# -- running the student's code ------------------------------------------------------------------

class OutOfTime(BaseException):
    pass


def on_alarm(signum, frame):
    raise OutOfTime()


def alarm(seconds):
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def cell_code(source):
    """The cell as Python: IPython's magics turned into calls (which fail here, harmlessly)."""
    lines = source.splitlines(keepends=True)
    while lines and not lines[0].strip():   # as IPython's leading_empty_lines: same line numbers
        lines.pop(0)
    try:   # plain Python needs no transforming; importing IPython costs ~0.6 s of CPU per notebook
        compile("".join(lines), "<cell>", "exec")
        return "".join(lines)
    except (SyntaxError, ValueError):
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def run_cells(sources, namespace, timeout):
    """Execute the code cells in order; a cell that raises or runs too long is recorded, not fatal."""
    errors = []
    for k, source in enumerate(sources):
        try:
            alarm(timeout)
            try:
                exec(compile(cell_code(source), f"<cell {k}>", "exec"), namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except OutOfTime:
            errors.append([k, "timeout"])
        except BaseException as error:   # SystemExit, KeyboardInterrupt too: the next cell runs
            errors.append([k, type(error).__name__])
    return errors


def describe_error(error):
    line, code = None, None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename != HERE and "site-packages" not in frame.filename:
            line, code = frame.lineno, frame.line or None
            break
    return {"type": type(error).__name__, "mro": [c.__name__ for c in type(error).__mro__],
            "message": str(error)[:2000], "kind": "", "line": line, "code": code}


def same_array(a, b, rtol):
    if not (isinstance(b, np.ndarray) and a.shape == b.shape):
        return False
    if rtol == 0 or not (np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)):
        return np.array_equal(a, b, equal_nan=True)
    scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
    return np.allclose(b, a, rtol=rtol, atol=rtol * scale, equal_nan=True)


def call_once(name, fn, args, kwargs, limit, guard, rtol):
    """One call, as ``cnnlab.checks.calling.call`` does it (an Outcome as a dict)."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    outcome = {"step": name, "status": "returned", "value": None, "error": None, "detail": "",
               "seen": {}, "limit": float(limit), "seconds": 0.0}
    start = time.perf_counter()
    result = None
    devnull = open(os.devnull, "w")
    stderr = sys.stderr
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sys.stderr = devnull
            alarm(limit)
            try:
                result = fn(*copies, **kwargs)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                sys.stderr = stderr
    except OutOfTime:
        outcome["status"] = "timeout"
    except NotImplementedError:
        outcome["status"] = "not_implemented"
    except Exception as error:
        outcome["status"], outcome["error"] = "raised", describe_error(error)
    outcome["seconds"] = time.perf_counter() - start
    if outcome["status"] != "returned":
        return outcome
    outcome["value"] = plain(result)
    if guard and any(isinstance(a, np.ndarray) and not same_array(a, c, rtol) for a, c in zip(args, copies)):
        outcome["status"] = "modified_input"
    return outcome


def missing_keywords(fn, keywords):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return []
    return [k for k in keywords if k not in params]


TERMINAL = ("timeout", "not_implemented", "calls_cnnlab", "reads_test_split")


def run_call(call, namespace, path):
    """The run step of one check: every case, stopping where a verdict cannot change."""
    if "runner" in call:   # 07: a run step of its own (harness_train.py)
        return sys.modules["harness_train"].run_call(call, namespace, path)
    objects = [namespace.get(name, None) for name in call["objects"]]
    if any(name not in namespace for name in call["objects"]):
        return "undefined"
    fn = objects[0]
    if not callable(fn):
        return "not_callable"
    missing = missing_keywords(fn, call["keywords"])
    results = {"check": call["check"], "seed": call["seed"], "steps": [], "facts": {"missing": missing}}
    if not missing:
        for args, kwargs in call["cases"]:
            outcome = call_once(call["check"], fn, tuple(args), dict(kwargs), call["limit"],
                                call["strict"], call["input_rtol"])
            results["steps"].append(outcome)
            if outcome["status"] in TERMINAL:
                break
    save_results(results, path)
    return "ran"


def code_cells(notebook_path, skip):
    with open(notebook_path, encoding="utf-8") as f:
        notebook = json.load(f)
    return [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in notebook["cells"] if c.get("cell_type") == "code" and c.get("id") not in skip]


def main(task_path, notebook_path, out_dir):
    task = load_tree(task_path)
    if any("runner" in call for call in task["calls"]):
        import harness_train   # noqa: F401  (before the cells: it takes its clocks now)
    sys.meta_path.insert(0, Blocker(task["blocked"], task.get("allowed", [])))
    for name in list(sys.modules):   # nothing of the blocked packages stays imported either
        if any(name == b or name.startswith(b + ".") for b in task["blocked"]):
            del sys.modules[name]
    sources = code_cells(notebook_path, set(task["skip_cells"]))
    out_dir = os.path.abspath(out_dir)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    report = {"calls": [], "cells": []}
    report["cells"] = run_cells(sources, namespace, task["cell_timeout"])
    for k, call in enumerate(task["calls"]):
        try:
            status = run_call(call, namespace, os.path.join(out_dir, f"r{k}.npz"))
        except BaseException as error:   # whatever the student's code did to this process
            status = f"crashed: {type(error).__name__}"
        report["calls"].append(status)
    with open(os.path.join(out_dir, "calls.json"), "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
