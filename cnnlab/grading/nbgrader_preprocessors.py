"""Stock ``nbgrader autograde``, sandboxed and judged outside the student's process.

``nbgrader_config.py`` puts these two in ``Autograde.autograde_preprocessors`` where nbgrader's
own ``Execute`` was (after the sanitize step, whose OverwriteCells has put the gradebook's test
cells back):

- :class:`SandboxedExecute` runs the notebook with nbgrader's Execute INSIDE a sandbox
  (``cnnlab.grading.execute_inside``): no course folder, no gradebook, no network, no HOME, no
  instructor's environment, capped memory/processes/disk/CPU, and every process gone after.
  Only the outputs come back, into the trusted copy of the notebook (cell sources stay the
  gradebook's): they are the feedback text.
- :class:`JudgeOutside` runs the graded functions on the check cases in a second sandbox
  without cnnlab and judges the plain results here (:mod:`cnnlab.grading.judge`). The judge's
  verdict sets each test cell's outcome, so nbgrader's SaveAutoGrades records the judge's
  points: a failed check leaves an error output, a passed one none (nor stderr, nor a number
  nbgrader would read as partial credit). Where the kernel's text said otherwise, the cell
  gets a note (the kernel's failure kept as text) and the student is flagged as possibly
  tampering: a warning in nbgrader's log and ``grading/judge/<assignment>/<student>.json``.

Where no sandbox can be made, grading stops with SandboxUnavailable naming what is missing,
unless ``SandboxedExecute.unsafe_no_sandbox = True``; then every judge file says
``"sandboxed": false``.
"""

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from . import fontcache
from .judge import Verdict, judge_notebook
from .sandbox import Limits, run_sandboxed

ENV_PASSED = ("CNNLAB_TIME_LIMIT", "CNNLAB_TRAIN_TIME_LIMIT")
# The notes a student reads in the feedback where the notebook's own check and the judge disagree;
# both languages, since the grader does not know which one the student chose.
JUDGE_PASSED = ("[cnnlab judge] ノートブックの外で実行したチェックは合格です。ノートブック自身のチェックは"
                "不合格で、次のように出力しました / The check, run outside the notebook, passed; the "
                "notebook's own check failed, and said:")
JUDGE_FAILED = ("[cnnlab judge] ノートブックの外で実行したチェックは不合格です（上のノートブック自身の出力とは"
                "違います） / The check, run outside the notebook, failed (the notebook's own output above "
                "said otherwise):")
_OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}


def _env():
    import os
    return {k: os.environ[k] for k in ENV_PASSED if k in os.environ}


def _text(value):
    """Notebook JSON stores text as one string or a list of lines."""
    if isinstance(value, list):
        return "".join(str(line) for line in value)
    return str(value)


def _clean_output(output):
    """A fresh output node from the student's process's output, or None if it is malformed."""
    try:
        kind = output["output_type"]
        if kind not in _OUTPUT_TYPES:
            return None
        if kind == "stream":
            if output["name"] not in ("stdout", "stderr"):
                return None
            return new_output("stream", name=output["name"], text=_text(output["text"]))
        if kind == "error":
            return new_output("error", ename=str(output["ename"]), evalue=str(output["evalue"]),
                              traceback=[str(t) for t in output["traceback"]])
        data = {str(k): (v if isinstance(v, dict) else _text(v)) for k, v in dict(output["data"]).items()}
        if kind == "execute_result":
            return new_output("execute_result", data=data, execution_count=None)
        return new_output("display_data", data=data)
    except (KeyError, TypeError, ValueError):
        return None


def _is_failure(output):
    """What nbgrader scores 0: an error, or anything on stderr."""
    return output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr")


def _kernel_failed(cell):
    return any(map(_is_failure, cell.outputs))


def notebook_key(nb):
    """What the sandboxes were given, as a hash: the cells' types, ids, sources and nbgrader
    metadata (a cached run is used only for the very notebook it ran)."""
    cells = [[c.cell_type, c.get("id"), c.source, c.get("metadata", {}).get("nbgrader", {})] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def execute_sandboxed(nb, *, timeout, memory_bytes=2 * 1024 ** 3, unsafe=False):
    """Run ``nb`` with nbgrader's Execute in a sandbox: (the executed notebook as untrusted JSON
    or None, whether it was sandboxed)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    seconds = min(3600, 60 + timeout * max(1, len(code)))
    limits = Limits(memory_bytes=memory_bytes, cpu_seconds=int(seconds), wall_seconds=float(seconds))
    with tempfile.TemporaryDirectory(prefix="cnnlab-exec-") as tmp:
        src = Path(tmp) / "notebook.ipynb"
        nbformat.write(nb, str(src))
        result = run_sandboxed(
            [sys.executable, "-m", "cnnlab.grading.execute_inside", "notebook.ipynb", "executed.ipynb", str(timeout)],
            inputs={"notebook.ipynb": src, **fontcache.inputs(nb, unsafe=unsafe)},
            output_dir=Path(tmp) / "out", outputs=["executed.ipynb"],
            limits=limits, env=_env(), unsafe=unsafe, expose_cnnlab=True)
        executed = None
        if "executed.ipynb" in result.outputs:
            try:
                executed = json.loads(result.outputs["executed.ipynb"].read_text(encoding="utf-8"))
            except (OSError, ValueError):
                executed = None
    return executed, result.sandboxed


def read_cache(cache_dir, student, kind, key):
    """The cached entry ``kind`` ("execute" or "judge") of ``student`` for the notebook ``key``."""
    if not cache_dir:
        return None
    try:
        entry = json.loads((Path(cache_dir) / f"{student}.{kind}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and entry.get("key") == key else None


def write_cache(cache_dir, student, kind, entry):
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    (Path(cache_dir) / f"{student}.{kind}.json").write_text(json.dumps(entry), encoding="utf-8")


class SandboxedExecute(Execute):
    """nbgrader's Execute, run inside the sandbox; ``timeout`` (``Execute.timeout``) per cell.

    ``cache_dir``: where ``cnnlab grade`` left the runs it made in parallel beforehand; a run is
    taken from there only for the identical notebook (:func:`notebook_key`), else made here.
    """

    unsafe_no_sandbox = Bool(False, help="Grade without a sandbox where none can be made (every result says so).").tag(config=True)
    memory_bytes = Integer(2 * 1024 ** 3, help="Memory cap of the sandbox.").tag(config=True)
    cache_dir = Unicode("", help="Runs made beforehand by cnnlab grade.").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        cached = read_cache(self.cache_dir, student, "execute", notebook_key(nb))
        if cached is not None:
            executed, sandboxed = cached["executed"], bool(cached["sandboxed"])
        else:
            executed, sandboxed = execute_sandboxed(nb, timeout=self.timeout, memory_bytes=self.memory_bytes,
                                                    unsafe=self.unsafe_no_sandbox)
        self._take_outputs(nb, executed)
        resources.setdefault("cnnlab", {})["sandboxed"] = sandboxed
        return nb, resources

    def _take_outputs(self, nb, executed):
        cells = executed.get("cells", []) if isinstance(executed, dict) else []
        if not isinstance(cells, list) or len(cells) != len(nb.cells):
            cells = [None] * len(nb.cells)
        for trusted, theirs in zip(nb.cells, cells):
            if trusted.cell_type != "code":
                continue
            trusted.outputs, trusted.execution_count = [], None
            if isinstance(theirs, dict) and theirs.get("id") == trusted.get("id") and isinstance(theirs.get("outputs"), list):
                trusted.outputs = [o for o in map(_clean_output, theirs["outputs"][:100]) if o is not None]
                count = theirs.get("execution_count")
                trusted.execution_count = count if isinstance(count, int) and not isinstance(count, bool) else None


def judge_sandboxed(nb, *, cell_timeout, unsafe=False, release=None):
    """{cell id: Verdict} for ``nb`` and whether the harness ran sandboxed; ``release``: the path
    of the released notebook (its cells that nothing graded reads are not run again), or None."""
    n_cells = sum(c.cell_type == "code" for c in nb.cells)
    seconds = min(3600, 120 + cell_timeout * max(1, n_cells))
    limits = Limits(cpu_seconds=int(seconds), wall_seconds=float(seconds))
    released = nbformat.read(str(release), as_version=4) if release and Path(release).is_file() else None
    verdicts, result = judge_notebook(nb, cell_timeout=cell_timeout, limits=limits, unsafe=unsafe, release=released)
    return verdicts, result is None or result.sandboxed


def release_path(release_directory, resources):
    """The released notebook of the notebook nbgrader is grading: ``<release>/<assignment>/<notebook>.ipynb``."""
    meta = resources["nbgrader"]
    return Path(release_directory) / meta["assignment"] / f"{meta['notebook']}.ipynb"


class JudgeOutside(NbGraderPreprocessor):
    """The judge's verdict becomes each test cell's outcome (see the module docstring)."""

    cell_timeout = Integer(120, help="Seconds a code cell may run in the judging sandbox.").tag(config=True)
    report_dir = Unicode("grading/judge", help="Where the per-student judge reports go (relative to the course).").tag(config=True)
    unsafe_no_sandbox = Bool(False, help="Judge without a sandbox where none can be made.").tag(config=True)
    cache_dir = Unicode("", help="Verdicts made beforehand by cnnlab grade.").tag(config=True)
    release_directory = Unicode("assignments", help="The release folder, relative to the course.").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        cached = read_cache(self.cache_dir, student, "judge", notebook_key(nb))
        if cached is not None:
            verdicts = {k: Verdict(**v) for k, v in cached["verdicts"].items()}
            sandboxed = bool(cached["sandboxed"])
        else:
            verdicts, sandboxed = judge_sandboxed(nb, cell_timeout=self.cell_timeout, unsafe=self.unsafe_no_sandbox,
                                                  release=release_path(self.release_directory, resources))
        report = {"student": student, "assignment": resources["nbgrader"]["assignment"],
                  "notebook": resources["nbgrader"]["notebook"],
                  "sandboxed": bool(resources.get("cnnlab", {}).get("sandboxed", True)) and sandboxed,
                  "cells": {}}
        for cell in nb.cells:
            verdict = verdicts.get(cell.get("id"))
            if verdict is None:
                continue
            kernel_passed = not _kernel_failed(cell)
            entry = {"judge": verdict.passed, "kernel": kernel_passed, "outside": verdict.outside,
                     "disagree": verdict.outside and verdict.passed != kernel_passed, "keys": verdict.keys,
                     "message": verdict.message}
            if verdict.outside:
                self._set_outcome(cell, verdict, kernel_passed)
            report["cells"][cell.get("id")] = entry
            if entry["disagree"]:
                self.log.warning("cnnlab judge: %s / %s cell %s: the kernel said %s, the judge %s: possibly tampering",
                                 report["student"], report["assignment"], cell.get("id"),
                                 "pass" if kernel_passed else "fail", "pass" if verdict.passed else "fail")
        report["flagged"] = any(e["disagree"] for e in report["cells"].values())
        folder = Path(self.report_dir) / report["assignment"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{report['student']}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        resources.setdefault("cnnlab", {})["judge"] = report
        return nb, resources

    @staticmethod
    def _set_outcome(cell, verdict, kernel_passed):
        # The judge decides: the grade comes from the process student code never ran in; the
        # kernel's output is feedback. On the whole corpus of 01-06 the two agree
        # (tests/test_grading_engine.py), so a disagreement means the notebook's own check was
        # tampered with (or broken): the points are the judge's, and the report flags it.
        # A number as the last result would be read as partial credit.
        outputs = [o for o in cell.outputs if o.output_type != "execute_result"]
        if verdict.passed:
            failed = [o for o in outputs if _is_failure(o)]
            outputs = [o for o in outputs if not _is_failure(o)]
            if failed:
                outputs.append(new_output("stream", name="stdout", text=(
                    JUDGE_PASSED + "\n" + "\n".join(_failure_text(o) for o in failed) + "\n")))
        elif kernel_passed:
            outputs.append(new_output("error", ename="CheckFailed", evalue=verdict.message, traceback=[
                JUDGE_FAILED, "CheckFailed: " + verdict.message]))
        cell.outputs = outputs


def _failure_text(output):
    """An error or stderr output as plain text (what the student's kernel said)."""
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return _text(output.text).rstrip("\n")


class RestoreTestCells(NbGraderPreprocessor):
    """Sanitize step: the test cells a student deleted are put back from the release
    (:func:`cnnlab.grading.repair.restore_test_cells`), so OverwriteCells checks them and they are
    graded (nbgrader 0.9.6 alone grades a deleted test cell 0, or fails the notebook)."""

    release_directory = Unicode("assignments", help="The release folder, relative to the course.").tag(config=True)

    def preprocess(self, nb, resources):
        from .repair import restore_test_cells

        meta = resources["nbgrader"]
        path = Path(self.release_directory) / meta["assignment"] / f"{meta['notebook']}.ipynb"
        if path.is_file():
            for repair in restore_test_cells(nb, nbformat.read(str(path), as_version=4)):
                self.log.warning("%s: %s", meta["student"], repair)
        return nb, resources
