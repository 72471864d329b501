"""The caller that runs INSIDE the sandbox: the student's code cells, and where each test cell
stands the graded functions on that cell's check cases; nothing of cnnlab.

    python -I harness.py TASK.npz NOTEBOOK.ipynb OUT_DIR

This file is copied into the sandbox with ``cnnlab/plaindata.py`` (the plain-data format and
description the checks use), ``cnnlab/checks/given.py`` (numerical_gradient's functions f) and
``fontcache.py`` (matplotlib's font list into HOME) beside it, and imports only those, the
standard library and NumPy (and IPython's input transformer, for ``%magics``): no ``cnnlab``
(the sandbox does not expose the
package for this run, and an import blocker refuses ``cnnlab`` besides, before any student code
runs), so it holds no reference maths and no expected values. An answer that delegates to the
course's reference implementation fails here with ModuleNotFoundError, whatever it did to the
in-kernel detection.

TASK (written by the trusted grader, :mod:`cnnlab.grading.cases`) holds plain data:
{"cell_timeout": s, "blocked": ["cnnlab", ...], "allowed": [...], "skip_cells": [test cell ids],
"idle_cells": [cells not run: :mod:`cnnlab.grading.unneeded`], "calls":
[{"check", "seed", "objects", "keywords", "limit", "strict", "input_rtol", "cell", "cases": [[args, kwargs], ...]}]}:
each call is made where its test cell (``cell``) stands in the notebook, as the notebook's own check is.

07 is the exception (``cnnlab.grading.cases_train``): its calls carry a ``"runner"`` and run by
``harness_train.py``, copied beside this file, and its notebook may import the copy of
``cnnlab.nn`` and the data loaders the grader puts in the working folder (``"allowed"``); the
blocker still refuses the rest of cnnlab.


What comes back, in OUT_DIR: ``r<k>.npz`` per call, written by ``plaindata.save`` as
``cnnlab.checks.save_results`` writes it (read by ``load_results``, allow_pickle=False), and ``calls.json``
({"calls": [status per call: "ran", "undefined" or "not_callable"], "cells": [cell errors]}).
Everything here is the student's process: the trusted grader treats every byte of it as
untrusted (a wrong verdict at worst, never code), and judges it with ``cnnlab.checks``.
"""

import contextlib
import importlib.util
import inspect
import io
import json
import os
import signal
import sys
import time
import traceback
import types
import warnings

import numpy as np

if __package__:        # imported as cnnlab.grading.harness (the grader's own tests)
    from .. import plaindata
    from ..checks import given
    from . import fontcache
else:                  # in the sandbox: the copies the judge put beside this file
    import fontcache
    import given
    import plaindata

#: numerical_gradient's functions f, made as the check makes them (before any student code runs).
GIVEN = given.compiled()

HERE = os.path.abspath(__file__)


# -- no cnnlab here ----------------------------------------------------------------------------

class Blocker:
    """A meta path finder, first on sys.meta_path, that refuses the blocked packages, except the
    ``allowed`` modules (07: the copied part of cnnlab): a name allowed itself, or a submodule of
    an allowed package below the blocked one."""

    def __init__(self, blocked, allowed=()):
        self.blocked, self.allowed = tuple(blocked), tuple(allowed)
        self.cells_running = False   # True while the notebook's cells run (not the graded calls)

    def is_allowed(self, name):
        return any(name == a or (a not in self.blocked and name.startswith(a + ".")) for a in self.allowed)

    def refuse(self, name):
        """Raise as a missing module would, unless the cells are running (then: nothing)."""
        if not self.cells_running:
            raise ModuleNotFoundError(f"No module named {name!r} (not available while grading)", name=name)

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in self.blocked) and not self.is_allowed(name):
            self.refuse(name)
            return importlib.util.spec_from_loader(name, InertLoader(self), is_package=True)
        return None


class Inert(types.ModuleType):
    """A blocked name while the notebook's cells run: ``cnnlab.hint("relu")`` or ``check_relu(relu)``
    in an answer cell does nothing here, so the rest of that cell (its ``def``) still runs, as it
    does in the kernel. Used by a graded call, it raises as the import would have: the graded
    functions still cannot reach cnnlab."""

    def __init__(self, name, blocker):
        super().__init__(name)
        self.__path__ = []          # a package: its submodules come through the Blocker too
        self._blocker = blocker

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._blocker.refuse(f"{self.__name__}.{attr}")
        return Inert(f"{self.__name__}.{attr}", self._blocker)

    def __call__(self, *args, **kwargs):
        self._blocker.refuse(self.__name__)
        return Inert(f"{self.__name__}()", self._blocker)


class InertLoader:
    """Makes the :class:`Inert` module of a blocked name (imported while the cells run)."""

    def __init__(self, blocker):
        self.blocker = blocker

    def create_module(self, spec):
        return Inert(spec.name, self.blocker)

    def exec_module(self, module):
        pass


class LazyPyplot:
    """A meta path finder: while the cells run, ``import matplotlib.pyplot`` gives a module that
    loads on first use (importlib's LazyLoader).

    Why: importing pyplot is ~0.75 s of CPU, and a notebook's setup cell imports it for drawings
    that count for nothing here; every notebook would pay it a second time (the kernel already
    did). A cell or a graded function that draws loads it when it first touches it, well within a
    call's time limit (10 s). Not used for 07, whose training time is measured in CPU time.
    """

    def __init__(self, blocker):
        self.blocker = blocker

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot" or not self.blocker.cells_running:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


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


def run_cell(k, source, namespace, timeout):
    """Execute code cell ``k``: None, or [k, what went wrong] (a raise or a timeout is recorded, not fatal)."""
    try:
        alarm(timeout)
        try:
            exec(compile(cell_code(source), f"<cell {k}>", "exec"), namespace)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except OutOfTime:
        return [k, "timeout"]
    except BaseException as error:   # SystemExit, KeyboardInterrupt too: the next cell runs
        return [k, type(error).__name__]
    return None


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
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            alarm(limit)
            try:
                result = fn(*copies, **kwargs)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except OutOfTime:
        outcome["status"] = "timeout"
    except NotImplementedError:
        outcome["status"] = "not_implemented"
    except Exception as error:
        outcome["status"], outcome["error"] = "raised", describe_error(error)
    outcome["seconds"] = time.perf_counter() - start
    if outcome["status"] != "returned":
        return outcome
    outcome["value"] = plaindata.plain(result)
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


def given_args(args):
    """A case's arguments, each {"given": [name, params, text]} made into the function it names."""
    return tuple(GIVEN["make"](a["given"]) if isinstance(a, dict) and set(a) == {"given"} else a for a in args)


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
            outcome = call_once(call["check"], fn, given_args(args), dict(kwargs), call["limit"],
                                call["strict"], call["input_rtol"])
            results["steps"].append(outcome)
            if outcome["status"] in TERMINAL:
                break
    plaindata.save(results, path)
    return "ran"


def code_cells(notebook_path):
    """[(cell id, source)] of the notebook's code cells, in order."""
    with open(notebook_path, encoding="utf-8") as f:
        notebook = json.load(f)
    return [(c.get("id"), "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in notebook["cells"] if c.get("cell_type") == "code"]


def block(blocked, allowed=()):
    """Refuse the ``blocked`` packages (but the ``allowed`` modules) from here on, and forget any
    already imported. Returns the :class:`Blocker` (main switches ``cells_running``)."""
    blocker = Blocker(blocked, allowed)
    sys.meta_path.insert(0, blocker)
    for name in list(sys.modules):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            del sys.modules[name]
    return blocker


def make_calls(calls, namespace, out_dir, statuses):
    """Run ``calls`` [(k, call)] on the namespace as it is now; statuses[k] says how each went."""
    for k, call in calls:
        try:
            statuses[k] = run_call(call, namespace, os.path.join(out_dir, f"r{k}.npz"))
        except BaseException as error:   # whatever the student's code did to this process
            statuses[k] = f"crashed: {type(error).__name__}"


def write_report(out_dir, statuses, errors):
    """calls.json as it stands: written after every test cell's calls, so that what ran is kept
    if a later cell ends this process."""
    with open(os.path.join(out_dir, "calls.json"), "w", encoding="utf-8") as f:
        json.dump({"calls": statuses, "cells": errors}, f)


def main(task_path, notebook_path, out_dir):
    """Run the code cells in order; where a test cell stands (skipped), make the calls planned for
    it (a call's "cell"), on the functions as they are there: a later cell that redefines a
    graded name (03's conv_forward_im2col cell with an im2col of its own) does not change what
    that test cell's check calls, just as in the notebook. Calls of no test cell run at the end."""
    fontcache.install()   # matplotlib's font list into HOME, before the student's code
    task = plaindata.load(task_path)
    trains = any("runner" in call for call in task["calls"])   # 07: its run steps, timed in CPU
    if trains:
        import harness_train   # noqa: F401  (before the cells: it takes its clocks now)
    blocker = block(task["blocked"], task.get("allowed", []))
    if not trains:
        sys.meta_path.insert(1, LazyPyplot(blocker))
    skip = set(task["skip_cells"])
    idle = set(task.get("idle_cells", []))   # cells whose work no graded call can see (the grader says)
    out_dir = os.path.abspath(out_dir)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    pending = list(enumerate(task["calls"]))
    statuses = ["did_not_finish"] * len(pending)
    errors = []
    for k, (cell_id, source) in enumerate(code_cells(notebook_path)):
        if cell_id in skip:
            here = [(j, call) for j, call in pending if call.get("cell") == cell_id]
            pending = [(j, call) for j, call in pending if call.get("cell") != cell_id]
            make_calls(here, namespace, out_dir, statuses)
            write_report(out_dir, statuses, errors)
            continue
        if cell_id in idle:
            continue
        blocker.cells_running = True    # cnnlab used at cell time is inert, not an error
        error = run_cell(k, source, namespace, task["cell_timeout"])
        blocker.cells_running = False   # (a cell that set it back to True gains nothing: no cnnlab is here)
        if error:
            errors.append(error)
    make_calls(pending, namespace, out_dir, statuses)
    write_report(out_dir, statuses, errors)


if __name__ == "__main__":
    main(*sys.argv[1:4])
