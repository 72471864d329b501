"""07_train_cnn judged outside: its cases as plain data, made in the TRUSTED grader.

07's checks hand the student's code objects, not arrays (a network the check builds with the
student's class, stand-in networks for ``evaluate``, the digits split for ``train``), so the
harness runs them with its own small run steps (``harness_train.py``, next to ``harness.py`` in
the sandbox) from the plain data made here:

- ``convnet``: the gradient batches (x, y) and the state of the generator that picks the
  compared gradient entries (the seed itself stays here);
- ``evaluate``: each stand-in network as its matrix ``M`` (scores = x.reshape(N, 64) @ M), x, y
  and the keyword arguments;
- ``train``: the time limits, ``rng`` of the graded run, and the digits split WITHOUT the test
  labels: the harness sends back the trained network's scores on the test images, and the judge
  (``cnnlab.checks``, this process) computes the accuracy with the labels only it holds.

The results come back in the format of ``cnnlab.checks.save_results``; :func:`settle` puts the
grader's own seed and training time limit in them before ``cnnlab.checks.judge`` applies exactly
the rules of the in-kernel checks (same messages, same mistake keys).

07 may build on ``cnnlab.nn`` (the documented fallback, and the notebook's Adam): the sandbox gets
:func:`copy_library`, a copy of the few modules a 07 notebook imports, and the harness's import
blocker lets exactly those through (:data:`ALLOWED`). ``cnnlab.checks`` (the reference maths),
``cnnlab.grading`` and the widgets are neither copied nor importable.
"""

import shutil
from pathlib import Path

import numpy as np

from ..checks import time_limit, train_time_limit
from ..checks.a07_train_cnn import EVALUATE, gradient_batches

#: The checks of 07, each run in the sandbox by the runner of the same name in harness_train.py.
RUNNERS = ("convnet", "evaluate", "train")

#: What a 07 notebook may import from cnnlab in the sandbox: the package itself (set_language),
#: the layer library, the data loaders and load_functions. A name matches itself and, below the
#: top package, its submodules (cnnlab.data.digits). Everything else of cnnlab stays blocked.
ALLOWED = ("cnnlab", "cnnlab.language", "cnnlab.nn", "cnnlab.data", "cnnlab.notebook_functions")

#: The files of :data:`ALLOWED`, relative to the package directory.
LIBRARY = ("__init__.py", "language.py", "nn.py", "notebook_functions.py", "data")

#: The harness's own file for these run steps.
HARNESS_TRAIN = Path(__file__).with_name("harness_train.py")
#: The gradient-check step it shares with the in-kernel check (NumPy only), copied beside it.
STEPS = Path(__file__).resolve().parent.parent / "checks" / "steps07.py"


def runs_outside(name):
    """The 07 check ``name`` runs in the sandbox by harness_train.py."""
    return name in RUNNERS


def copy_library(dest):
    """Copy the importable part of cnnlab (:data:`LIBRARY`) to ``dest``/cnnlab; returns that folder."""
    source = Path(__file__).resolve().parent.parent
    folder = Path(dest) / "cnnlab"
    folder.mkdir(parents=True)
    for name in LIBRARY:
        if (source / name).is_dir():
            shutil.copytree(source / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source / name, folder / name)
    return folder


def entry(name, objects, seed):
    """The harness's plain task entry for the 07 check ``name`` called on ``objects`` with ``seed``."""
    if name not in RUNNERS:
        raise ValueError(f"not a check of 07: {name!r} (expected one of {', '.join(RUNNERS)})")
    base = {"runner": name, "objects": list(objects), "limit": float(time_limit())}
    return {**base, **{"convnet": convnet_task, "evaluate": evaluate_task, "train": train_task}[name](seed)}


def convnet_task(seed):
    """The gradient batches and the generator state ConvNetCheck.run draws the entries from."""
    picker = np.random.default_rng(71 if seed is None else seed)
    return {"batches": [[x, y] for x, y in gradient_batches(seed)], "picker": picker.bit_generator.state}


def evaluate_task(seed):
    """Each stand-in network of ``evaluate_cases`` as [M, x, y, kwargs]."""
    return {"keywords": list(EVALUATE.keywords),
            "cases": [[c.args[0].M, c.args[1], c.args[2], dict(c.kwargs)] for c in EVALUATE.all_cases(seed)]}


def train_task(seed):
    """The digits split without the test labels, the training time limit and the graded ``rng``."""
    from ..data import load_digits

    data = load_digits()
    return {"train_limit": float(train_time_limit()), "rng": None if seed is None else int(seed),
            "digits": {"x_train": data.x_train, "y_train": data.y_train, "x_val": data.x_val,
                       "y_val": data.y_val, "x_test": data.x_test}}


def settle(results, name, seed):
    """``results`` read back from the sandbox, with what only the grader may say put in: the seed
    of the call and, for ``train``, the time limit."""
    if isinstance(results, str) or name not in RUNNERS:
        return results
    results.seed = seed
    if name == "train":
        results.facts["limit"] = float(train_time_limit())
    return results
