"""Judging outside the student's process: the grader's verdict for every test cell.

The trusted grader (this process) never runs student code. For one notebook it

1. reads which checks grade each test cell (:func:`cases.planned_calls`),
2. makes the cases there and writes them as plain data (:func:`cases.task`),
3. runs ``harness.py`` in a sandbox without cnnlab (:func:`run_harness`): the student's code
   cells run (not the test cells, nor the cells whose work no graded call can see:
   :mod:`cnnlab.grading.unneeded`), and where each test cell stands its graded functions are
   called on its cases (as the notebook's own check calls them there),
4. reads the results back as plain data (``cnnlab.checks.load_results``, allow_pickle=False)
   and judges them with ``cnnlab.checks.judge`` (:func:`judge_notebook`).

A :class:`Verdict` per test cell: passed, the judge's message, and ``outside`` (False where the
check cannot run outside and the kernel's verdict stands). 07's checks run outside by run
steps of their own (:mod:`cases_train`, ``harness_train.py``).
"""

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import checks, plaindata
from ..checks.calling import kind_of
from ..language import tr
from . import cases, cases_train, fontcache
from .unneeded import unneeded_cells
from .sandbox import Limits, run_sandboxed

HARNESS = Path(__file__).with_name("harness.py")
#: What the harness needs beside it in the sandbox: {name there: the file here}.
HARNESS_FILES = {"harness.py": HARNESS, "plaindata.py": Path(plaindata.__file__),
                 "given.py": Path(checks.__file__).with_name("given.py"),
                 "fontcache.py": Path(fontcache.__file__)}


@dataclass
class Verdict:
    """The judge's word on one test cell."""

    passed: bool
    message: str = ""
    outside: bool = True
    keys: list = field(default_factory=list)   # known-mistake keys of the failures


def test_cells(notebook):
    """{cell id: source} of the autograded test cells (grade, not solution)."""
    found = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            found[cell.get("id") or meta.get("grade_id")] = cell.source
    return found


def run_harness(notebook, calls, *, cell_timeout, cells=None, limits=None, unsafe=False, release=None):
    """Run ``calls`` [(name, objects, seed)] on the student's ``notebook`` in a sandbox, each where
    its test cell (``cells``, see :func:`cases.task`) stands. ``release``: the released notebook
    (the instructor's cells nothing graded reads are then left out, :mod:`.unneeded`), or None.

    Returns (list with one entry per call: Results, or a str saying why there are none,
    :class:`SandboxResult`).
    """
    skip = list(test_cells(notebook))
    with tempfile.TemporaryDirectory(prefix="cnnlab-judge-") as tmp:
        tmp = Path(tmp)
        nbformat.write(notebook, str(tmp / "notebook.ipynb"))
        idle = unneeded_cells(notebook, {o for _, objects, _ in calls for o in objects}, release)
        plaindata.save(cases.task(calls, cell_timeout, skip, cells, idle), tmp / "task.npz")
        for name, path in HARNESS_FILES.items():
            shutil.copy(path, tmp / name)
        inputs = {name: tmp / name for name in ("notebook.ipynb", "task.npz", *HARNESS_FILES)}
        inputs.update(_train_inputs(calls, tmp))
        inputs.update(fontcache.inputs(notebook, unsafe=unsafe))
        out = tmp / "out"
        result = run_sandboxed(
            [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, '.'); import harness; "
             "harness.main('task.npz', 'notebook.ipynb', '.')"],
            inputs=inputs,
            output_dir=out, outputs=["calls.json"] + [f"r{k}.npz" for k in range(len(calls))],
            limits=limits or Limits(), unsafe=unsafe, expose_cnnlab=False)
        statuses = _read_statuses(out / "calls.json", len(calls))
        found = []
        for k, status in enumerate(statuses):
            if status == "ran":
                try:
                    found.append(checks.load_results(out / f"r{k}.npz"))
                except (OSError, ValueError, KeyError, TypeError) as error:
                    found.append(f"unreadable results: {error}")
            else:
                found.append(status)
    return found, result


def _train_inputs(calls, tmp):
    """07's extra inputs: its run steps and the part of cnnlab a 07 notebook may import."""
    if not any(cases_train.runs_outside(name) for name, _, _ in calls):
        return {}
    shutil.copy(cases_train.HARNESS_TRAIN, tmp / "harness_train.py")
    shutil.copy(cases_train.STEPS, tmp / "steps07.py")
    return {"harness_train.py": tmp / "harness_train.py", "steps07.py": tmp / "steps07.py",
            "cnnlab": cases_train.copy_library(tmp / "library")}


def runs_outside(name, seed):
    """The check ``name`` runs in the sandbox: from plain cases (01-06) or by 07's run steps."""
    return cases.runs_outside(name, seed) or cases_train.runs_outside(name)


def _read_statuses(path, n):
    try:
        statuses = json.loads(Path(path).read_text(encoding="utf-8"))["calls"]
        statuses = [s if isinstance(s, str) else "?" for s in statuses][:n]
    except (OSError, ValueError, KeyError, TypeError):
        statuses = []
    return statuses + ["did_not_finish"] * (n - len(statuses))


def _with_kinds(results):
    """The error kinds (the hints' keys), computed here from the plain type names and text."""
    for outcome in results.steps:
        if outcome.error:
            outcome.error["kind"] = kind_of(list(outcome.error.get("mro", [])), str(outcome.error.get("message", "")))
    return results


def judge_one(name, objects, found):
    """(passed, message, key) for one call's results (or the reason it has none)."""
    if isinstance(found, str):
        what = objects[0] if objects else name
        if found == "undefined":
            text = tr(ja=f"{what} が定義されていません（セルを実行したか、名前が正しいか確かめてください）。",
                      en=f"{what} is not defined (did its cell run? is the name right?).")
        elif found == "not_callable":
            text = tr(ja=f"{what} が関数ではありません。", en=f"{what} is not a function.")
        else:
            text = tr(ja=f"{name} のチェックが最後まで実行できませんでした（{found}）。",
                      en=f"the check of {name} could not run to the end ({found}).")
        return False, text, None
    if found.check != name:
        return False, f"results for {found.check!r}, expected {name!r}", None
    try:
        return True, checks.judge(_with_kinds(found)), None
    except checks.CheckFailed as failure:
        return False, str(failure), failure.key
    except (ValueError, TypeError, KeyError, IndexError) as error:   # results the student's process forged badly
        return False, tr(ja=f"{name} の結果が読めません: {error}", en=f"the results of {name} are unreadable: {error}"), None


def judge_notebook(notebook, *, cell_timeout=120, limits=None, unsafe=False, release=None):
    """{test cell id: Verdict} for ``notebook`` (its test cells as the gradebook has them);
    ``release``: the released notebook, see :func:`run_harness`.

    Returns (verdicts, SandboxResult or None when nothing ran outside).
    """
    planned = {cell_id: cases.planned_calls(source) for cell_id, source in test_cells(notebook).items()}
    outside = [(cell_id, call) for cell_id, calls in planned.items() for call in calls
               if runs_outside(call[0], call[2])]
    found, result = ([], None)
    if outside:
        found, result = run_harness(notebook, [call for _, call in outside], cell_timeout=cell_timeout,
                                    cells=[cell_id for cell_id, _ in outside], limits=limits, unsafe=unsafe,
                                    release=release)
    verdicts = {}
    for cell_id, calls in planned.items():
        mine = [(call, f) for (c, call), f in zip(outside, found) if c == cell_id]
        if not calls or len(mine) < len(calls):
            verdicts[cell_id] = Verdict(passed=False, outside=False)
            continue
        messages, keys, passed = [], [], True
        for (name, objects, seed), f in mine:
            ok, text, key = judge_one(name, objects, cases_train.settle(f, name, seed))
            messages.append(text)
            keys.append(key)
            passed = passed and ok
            if not ok:
                break
        verdicts[cell_id] = Verdict(passed, "\n".join(messages), True, keys)
    return verdicts, result
