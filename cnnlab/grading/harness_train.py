"""The run steps of 07_train_cnn, INSIDE the sandbox: copied next to ``harness.py``, which calls
:func:`run_call` for a task entry with a ``"runner"`` (made by ``cnnlab.grading.cases_train``).

Each runner does what the run step of the in-kernel check does (``ConvNetCheck.run``, the
FunctionCheck run of ``evaluate``, ``TrainCheck.run`` in ``cnnlab.checks.a07_*``), on the plain
inputs of the task, and writes the same Results (``r<k>.npz``) for ``cnnlab.checks.judge``: the
outcome of every call, the centred differences of the network's own loss, the network's scores
on the digits. No expected values and no labels of the test split are here; the judge computes
losses and accuracies in the grader.

The CPU time of the training is this process's (``time.process_time``, taken when this module
is imported, before the student's cells run), one BLAS thread. Like ``harness.py``, this imports
the standard library and NumPy only (threadpoolctl if installed); the student's notebook may
import the part of cnnlab the grader copied in (``cases_train.LIBRARY``).
"""

import contextlib
import io
import os
import sys
import time
import traceback
import warnings
from collections import namedtuple

import numpy as np

try:
    from harness import OutOfTime, alarm, missing_keywords   # in the sandbox
    from plaindata import plain, save as save_results
    from steps07 import differences, usable
except ModuleNotFoundError:   # imported as cnnlab.grading.harness_train (the grader's tests)
    from ..checks.steps07 import differences, usable
    from ..plaindata import plain, save as save_results
    from .harness import OutOfTime, alarm, missing_keywords

HERE_DIR = os.path.dirname(os.path.abspath(__file__))
NUM_CLASSES = 10
ENTRIES_PER_PARAMETER = 8
MEASURE_BATCH = 256
TERMINAL = ("timeout", "not_implemented", "calls_cnnlab", "reads_test_split")

# Taken now, before any cell runs: a cell that replaces time.process_time does not time this.
_process_time = time.process_time
_perf_counter = time.perf_counter
_setitimer, _ITIMER_REAL = __import__("signal").setitimer, __import__("signal").ITIMER_REAL


# -- calling the student's code, as cnnlab.checks.calling.call does for 07 ----------------------

class TestSplitHidden(AttributeError):
    """Raised when train() reads ``data.x_test`` / ``data.y_test`` (as in cnnlab.checks)."""


Digits = namedtuple("Digits", "x_train y_train x_val y_val x_test y_test")


class TrainingData(Digits):
    """The digits split as train() gets it: the test split is kept back for the check."""

    __slots__ = ()

    @property
    def x_test(self):
        raise TestSplitHidden("x_test")

    @property
    def y_test(self):
        raise TestSplitHidden("y_test")


def describe_error(error):
    """The exception as plain data, with the line of the student's code (not this folder's files:
    the harness, the copied cnnlab; not site-packages)."""
    line, code = None, None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        # A cell's code is "<cell k>"; a file in this folder is the harness's or the copied cnnlab.
        ours = not frame.filename.startswith("<") and os.path.abspath(frame.filename).startswith(HERE_DIR + os.sep)
        if not ours and "site-packages" not in frame.filename:
            line, code = frame.lineno, frame.line or None
            break
    return {"type": type(error).__name__, "mro": [c.__name__ for c in type(error).__mro__],
            "message": str(error)[:2000], "kind": "", "line": line, "code": code}


def call(step, fn, args=(), kwargs=None, *, limit):
    """``fn(*args, **kwargs)`` on copies of the array arguments: (outcome dict, raw result).
    cnnlab allowed and inputs not guarded (07's rules); wall and CPU time recorded."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    outcome = {"step": step, "status": "returned", "value": None, "error": None, "detail": "", "seen": {},
               "limit": float(limit), "seconds": 0.0, "cpu_seconds": 0.0}
    result = None
    start, cpu_start = _perf_counter(), _process_time()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            alarm(limit)
            try:
                result = fn(*copies, **(kwargs or {}))
            finally:
                _setitimer(_ITIMER_REAL, 0)
    except OutOfTime:
        outcome["status"] = "timeout"
    except NotImplementedError:
        outcome["status"] = "not_implemented"
    except TestSplitHidden:
        outcome["status"] = "reads_test_split"
    except Exception as error:
        outcome["status"], outcome["error"] = "raised", describe_error(error)
    outcome["seconds"] = _perf_counter() - start
    outcome["cpu_seconds"] = _process_time() - cpu_start
    if outcome["status"] != "returned":
        return outcome, None
    outcome["value"] = plain(result)
    return outcome, result


def construct(results, ConvNet, kwargs, methods, limit):
    """``ConvNet(**kwargs)`` as a step: the network, or None when the run cannot go on."""
    args = ", ".join(f"{k}=" + ("np.float64" if v is np.float64 else repr(v)) for k, v in kwargs.items())
    outcome, net = call(f"ConvNet({args})", ConvNet, (), kwargs, limit=limit)
    results["steps"].append(outcome)
    if outcome["status"] != "returned":
        return None
    results["facts"]["methods"] = [m for m in methods if callable(getattr(net, m, None))]
    return net if len(results["facts"]["methods"]) == len(methods) else None


def new_results(check):
    return {"check": check, "seed": None, "steps": [], "facts": {}}


# -- convnet: forward, loss, gradient and the centred differences --------------------------------

def run_convnet(task, ConvNet):
    """ConvNetCheck.run on the task's batches; the entries drawn from the task's generator state."""
    results = new_results("convnet")
    results["facts"]["missing"] = missing_keywords(ConvNet, ["rng", "dtype"])
    if results["facts"]["missing"]:
        return results
    limit = task["limit"]
    net = construct(results, ConvNet, {"rng": 0, "dtype": np.float64}, ("forward", "loss", "gradient"), limit)
    if net is None:
        return results
    params = getattr(net, "params", None)
    results["facts"]["params"] = plain(params)
    if not usable(params):
        return results
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = task["picker"]
    for x, y in task["batches"]:
        for step, fn, args in (("net.forward(x)", net.forward, (x,)), ("net.loss(x, y)", net.loss, (x, y))):
            outcome, _ = call(step, fn, args, limit=limit)
            results["steps"].append(outcome)
            if outcome["status"] != "returned":
                return results
        before = {k: v.copy() for k, v in params.items()}
        outcome, _ = call("net.gradient(x, y)", net.gradient, (x, y), limit=limit)
        outcome["seen"] = {"params_changed": any(not np.array_equal(before[k], v) for k, v in params.items())}
        results["steps"].append(outcome)
        if outcome["status"] != "returned" or outcome["seen"]["params_changed"]:
            return results
        entries = {k: rng.choice(p.size, size=min(p.size, ENTRIES_PER_PARAMETER), replace=False) for k, p in params.items()}
        outcome, _ = call("net.loss(x, y)", differences, (net, x, y, entries), limit=max(limit, 30))
        outcome["seen"] = {"entries": entries}
        results["steps"].append(outcome)
        if outcome["status"] != "returned":
            return results
    return results


# -- evaluate: stand-in networks with known scores -------------------------------------------------

class ScoreNet:
    """Stands in for a trained network (as in cnnlab.checks.a07_train_cnn): fixed scores
    x.reshape(N, 64) @ M; remembers the largest batch it was given."""

    def __init__(self, M):
        self.M = M
        self.params, self.layers = {}, []
        self.largest_batch = 0

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.largest_batch = max(self.largest_batch, len(x))
        return x.reshape(len(x), -1) @ self.M

    def loss(self, x, y):
        scores = self.forward(x)
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(y)), np.asarray(y)].mean())

    def gradient(self, x, y):
        raise RuntimeError("evaluate only measures the network: it does not need gradients")


def run_evaluate(task, evaluate):
    """The FunctionCheck run of ``evaluate``: one call per stand-in, its largest batch seen."""
    results = new_results("evaluate")
    results["facts"]["missing"] = missing_keywords(evaluate, task["keywords"])
    if results["facts"]["missing"]:
        return results
    for M, x, y, kwargs in task["cases"]:
        net = ScoreNet(M)
        outcome, _ = call("evaluate", evaluate, (net, x, y), dict(kwargs), limit=task["limit"])
        outcome["seen"] = {"largest_batch": int(net.largest_batch)}
        results["steps"].append(outcome)
        if outcome["status"] in TERMINAL:
            break
    return results


# -- train: the timed training, then the network's scores on every split ------------------------

def is_scores(value, n):
    """``cnnlab.checks.convert.to_scores`` accepts ``value``: an array (n, 10) of numbers."""
    return value["kind"] == "array" and tuple(value["shape"]) == (n, NUM_CLASSES) \
        and value["array"] is not None and value["array"].dtype.kind in "iuf"


def measure(net, x, limit):
    """The scores of net.forward on x, 256 images at a time, as one outcome (``seen["n"]``: the
    images of the call it describes), as ``a07_training.measure`` makes it."""
    scores, seconds = [], 0.0
    for start in range(0, len(x), MEASURE_BATCH):
        batch = x[start:start + MEASURE_BATCH]
        outcome, _ = call("net.forward(x)", net.forward, (batch,), limit=limit)
        seconds += outcome["seconds"]
        outcome["seen"] = {"n": len(batch)}
        if outcome["status"] != "returned" or not is_scores(outcome["value"], len(batch)):
            return outcome   # the judge says what is wrong with it
        scores.append(outcome["value"]["array"].astype(np.float64))
    return {"step": "net.forward(x)", "status": "returned", "value": plain(np.concatenate(scores)), "error": None,
            "detail": "", "seen": {"n": len(x)}, "limit": 0.0, "seconds": seconds, "cpu_seconds": 0.0}


def one_blas_thread():
    """One BLAS thread while training (the sandbox sets one already; threadpoolctl makes sure)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_train(task, ConvNet, train):
    """TrainCheck.run: a fresh network, trained by the student's train, timed in CPU seconds,
    then measured on the training, validation and test images."""
    results = new_results("train")
    results["facts"] = {"missing_convnet": missing_keywords(ConvNet, ["rng"]),
                        "missing": missing_keywords(train, ["epochs", "rng", "progress"]),
                        "limit": task["train_limit"]}
    if results["facts"]["missing_convnet"] or results["facts"]["missing"]:
        return results
    d = task["digits"]
    given = TrainingData(d["x_train"], d["y_train"], d["x_val"], d["y_val"], None, None)
    kwargs = {"epochs": 1} if task["rng"] is None else {"rng": int(task["rng"])}
    limit = task["limit"]
    net = construct(results, ConvNet, {"rng": kwargs.get("rng", 0)}, ("forward",), limit)
    if net is None:
        return results
    with one_blas_thread():
        results["steps"].append(measure(net, given.x_train, limit))
        if results["steps"][-1]["status"] != "returned":
            return results
        outcome, _ = call("train(net, data, ...)", train, (net, given), {"progress": False, **kwargs},
                          limit=3 * task["train_limit"])
        results["steps"].append(outcome)
    if outcome["status"] != "returned":
        return results
    for x in [d["x_train"]] + ([] if task["rng"] is None else [d["x_val"], d["x_test"]]):
        results["steps"].append(measure(net, x, limit))
        if results["steps"][-1]["status"] != "returned":
            break
    return results


RUNNERS = {"convnet": run_convnet, "evaluate": run_evaluate, "train": run_train}


def run_call(call_task, namespace, path):
    """Run one 07 task entry on the student's objects in ``namespace``; write ``path``; the status."""
    if any(name not in namespace for name in call_task["objects"]):
        return "undefined"
    objects = [namespace[name] for name in call_task["objects"]]
    if not all(callable(obj) for obj in objects):
        return "not_callable"
    save_results(RUNNERS[call_task["runner"]](call_task, *objects), path)
    return "ran"


if __name__ == "__main__":
    sys.exit("harness_train.py is imported by harness.py")
