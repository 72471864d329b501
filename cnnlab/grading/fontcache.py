"""matplotlib's font list, built once per grading process and copied into each sandbox's HOME.

matplotlib writes ``~/.cache/matplotlib/fontlist-v*.json`` the first time it is imported under
a HOME, and every sandbox starts with an empty HOME: 0.4 s of CPU per sandbox, twice per
notebook that imports it (01, 07, 08: the kernel and the judge's harness each run the import).
So the grader builds the list once, in a sandbox of its own with no student code (it names only
fonts every sandbox sees, never the instructor's), and hands each sandbox a copy as an input;
the sandbox's first code, before any of the student's, moves it into HOME (:func:`install`).

A student's code can change its own copy, which only that student's run reads. Where the list
cannot be built, nothing is handed over and each sandbox builds its own, as before.

:func:`install` runs inside the sandbox and uses the standard library only: the judge's harness
copies this file in beside itself.
"""

import os
import shutil
import threading

INPUT = "matplotlib-cache"   # the input's name in the sandbox's working directory


def install():
    """Inside a sandbox: move the input ``matplotlib-cache/`` to ``$HOME/.cache/matplotlib``."""
    if os.path.isdir(INPUT):
        target = os.path.join(os.environ["HOME"], ".cache", "matplotlib")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.move(INPUT, target)


def needed(notebook):
    """Whether a notebook's code (a NotebookNode) may import matplotlib: its own import or
    cnnlab's widgets, which draw with it."""
    return any(c.cell_type == "code" and ("matplotlib" in c.source or "widgets" in c.source)
               for c in notebook.cells)


_LOCK = threading.Lock()   # the grader's worker threads ask at once; the list is built once
_BUILT = []                # [folder or None] once built


def inputs(notebook, *, unsafe=False):
    """``{INPUT: folder}`` to add to a sandbox's inputs, or ``{}`` (the notebook does not need
    it, or no list could be built). The list is built at the first call that needs it."""
    if not needed(notebook):
        return {}
    with _LOCK:
        if not _BUILT:
            _BUILT.append(_build(unsafe))
    return {INPUT: _BUILT[0]} if _BUILT[0] is not None else {}


def _build(unsafe):
    """Import matplotlib in a fresh sandbox with ``MPLCONFIGDIR`` in its working directory and
    bring the font list back; the folder holding it (removed when the grader exits), or None."""
    import atexit
    import sys
    import tempfile
    from pathlib import Path

    from .sandbox import Limits, SandboxUnavailable, run_sandboxed

    folder = Path(tempfile.mkdtemp(prefix="cnnlab-matplotlib-"))
    atexit.register(shutil.rmtree, folder, True)
    try:
        result = run_sandboxed([sys.executable, "-c", "import matplotlib.font_manager"],
                               env={"MPLCONFIGDIR": INPUT}, output_dir=folder, outputs=None,
                               limits=Limits(cpu_seconds=120, wall_seconds=120), unsafe=unsafe,
                               expose_cnnlab=False)
    except SandboxUnavailable:
        return None
    lists = sorted((folder / INPUT).glob("fontlist-v*.json"))
    if result.returncode != 0 or not lists:
        return None
    return folder / INPUT
