"""Running the student's code: the one way every check calls it, and what comes back as plain data.

``call`` runs one call with a time limit, warnings and stderr swallowed, and (for 01-06) calls
into cnnlab and changed inputs watched. It returns an :class:`Outcome` (plain: status, the value
as :func:`plain` data, the exception's type, text and the student's line, the time taken) and
the raw result, which only the run step itself may use (a network object to call next).
"""

import contextlib
import inspect
import io
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..language import tr
from ..plaindata import plain
from .core import Failure

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

#: Statuses after which a run stops: nothing later can change the verdict.
TERMINAL = ("timeout", "not_implemented", "calls_cnnlab", "reads_test_split")


@dataclass
class Outcome:
    """One call of the student's code, as plain data.

    status: "returned", "raised", "timeout", "not_implemented", "calls_cnnlab",
    "modified_input" or "reads_test_split"; value: :func:`plain` of what it returned; error:
    {"type", "mro", "message", "kind", "line", "code"} when it raised; detail: the cnnlab function
    it called; seen: what the run step observed besides (plain); limit and seconds: the wall
    time; cpu_seconds: the process's CPU time, which other work on the machine does not inflate.
    """

    step: str
    status: str
    value: object = None
    error: dict | None = None
    detail: str = ""
    seen: dict = field(default_factory=dict)
    limit: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def kind(self):
        """What a hint is keyed on: the error's kind when the call raised, else the status."""
        return self.error["kind"] if self.status == "raised" else self.status


@dataclass
class Results:
    """What a run step hands to its judge: plain data only (see ``cnnlab.checks.files``)."""

    check: str
    seed: int | None
    steps: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)


class TestSplitHidden(AttributeError):
    """Raised when train() reads ``data.x_test`` / ``data.y_test``: the check keeps them for itself."""

    __test__ = False  # not a pytest test class


class _OutOfTime(BaseException):
    # A BaseException, so that a student's `except Exception:` cannot swallow it.
    pass


def _on_alarm(signum, frame):
    raise _OutOfTime()


class _Timer:
    """SIGALRM after ``seconds`` (main thread on Unix only; elsewhere no limit)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.active = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def call(step, fn, args=(), kwargs=None, *, limit, refuse_cnnlab=True, guard_inputs=True, input_rtol=0.0):
    """``fn(*args, **kwargs)`` on fresh copies of the array arguments: (Outcome, raw result).

    nbgrader scores a test cell 0 when anything reaches stderr (a warning, a progress bar), so
    neither escapes from here. ``refuse_cnnlab`` records a call into cnnlab (the course asks for
    the computation, not a call); ``guard_inputs`` records an input array changed in place (by
    more than ``input_rtol`` relative to its size: rounding when a value was put back by arithmetic).
    """
    kwargs = kwargs or {}
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    cnnlab_calls = []

    def watch(frame, event, arg):
        # Entries into cnnlab only: the function the student's code called, not what it calls.
        code, caller = frame.f_code, frame.f_back
        if event == "call" and code.co_filename.startswith(PACKAGE_DIR) and code is not _on_alarm.__code__ \
                and not (caller and caller.f_code.co_filename.startswith(PACKAGE_DIR)):
            cnnlab_calls.append(f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}")

    outcome = Outcome(step, "returned", limit=limit)
    result = None
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            with _Timer(limit):
                if refuse_cnnlab:
                    sys.setprofile(watch)
                try:
                    result = fn(*copies, **kwargs)
                finally:
                    sys.setprofile(None)
    except _OutOfTime:
        outcome.status = "timeout"
    except NotImplementedError:
        outcome.status = "not_implemented"
    except TestSplitHidden:
        outcome.status = "reads_test_split"
    except Exception as error:  # the student's bug, reported, never the checker's crash
        outcome.status, outcome.error = "raised", describe_error(error)
    outcome.seconds = time.perf_counter() - start
    outcome.cpu_seconds = time.process_time() - cpu_start
    if outcome.status != "returned":
        return outcome, None
    outcome.value = plain(result)
    if cnnlab_calls:   # named by the first function called, not by an import that ran a module
        named = [c for c in cnnlab_calls if not c.endswith("<module>")] or cnnlab_calls
        outcome.status, outcome.detail = "calls_cnnlab", named[0]
    elif guard_inputs and any(isinstance(a, np.ndarray) and not _same_array(a, c, input_rtol) for a, c in zip(args, copies)):
        outcome.status = "modified_input"
    return outcome, result


def _same_array(a, b, rtol=0.0):
    if not (isinstance(b, np.ndarray) and a.shape == b.shape):
        return False
    if rtol == 0 or not (np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)):
        return np.array_equal(a, b, equal_nan=True)
    scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
    return np.allclose(b, a, rtol=rtol, atol=rtol * scale, equal_nan=True)


def describe_error(error):
    """The student's exception as plain data, with the line of their code that raised it."""
    line, code = None, None
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.startswith(PACKAGE_DIR) and "site-packages" not in frame.filename:
            line, code = frame.lineno, frame.line or None
            break
    return {"type": type(error).__name__, "mro": [c.__name__ for c in type(error).__mro__],
            "message": str(error), "kind": error_kind(error), "line": line, "code": code}


def error_kind(error):
    """The key the hints use for an exception: "axis", "reshape", "broadcast", "shapes",
    "index", "arguments", "number" or "other". The one place that reads NumPy's wording."""
    return kind_of([c.__name__ for c in type(error).__mro__], str(error))


def kind_of(mro, text):
    """:func:`error_kind` from an exception's class names (``mro``) and text: what a run step in
    another process (the grading sandbox) reports as plain data."""
    if "AxisError" in mro:
        return "axis"
    if "cannot reshape" in text:
        return "reshape"
    if "broadcast" in text:
        return "broadcast"
    if any(word in text for word in ("matmul", "shapes", "aligned", "mismatch")):
        return "shapes"
    if "IndexError" in mro or "index" in text:
        return "index"
    if "TypeError" in mro and "only 0-dimensional arrays can be converted" in text:   # NumPy 2's float(a)
        return "number"
    if "TypeError" in mro and "argument" in text:
        return "arguments"
    return "other"


def missing_keywords(fn, name, keywords, noun=("関数", "function")):
    """The keyword parameters of ``keywords`` that ``fn`` no longer accepts; TypeError when ``fn``
    is not callable at all (a wrong argument to the check, not a wrong answer)."""
    if not callable(fn):
        raise TypeError(tr(ja=f"{name} には{noun[0]}を渡してください（{type(fn).__name__} が渡されました）。",
                           en=f"pass your {noun[1]} {name} (got {type(fn).__name__})."))
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return []
    return [k for k in keywords if k not in params]


def lost_parameters(name, missing):
    return Failure(tr(
        ja=f"{name} の引数 {', '.join(missing)} がありません。配布されたシグネチャのままにしてください（チェックはこの名前で渡します）。",
        en=f"{name} has lost its parameter(s) {', '.join(missing)}: keep the signature of the stub (the check passes them by name)."))


# ---------------------------------------------------------------------------------------------
# Plain data: what a student's function returned, without the object itself
# (described by cnnlab.plaindata.plain, which the grading sandbox's harness uses too).

def rebuild(value):
    """Python objects back from :func:`~cnnlab.plaindata.plain` data (containers become lists and dicts; what
    was not plain becomes an :class:`Opaque` that keeps its type's name)."""
    kind = value["kind"]
    if kind in ("bool", "int", "float", "str"):
        return value["value"]
    if kind == "none":
        return None
    if kind in ("array", "scalar") and value["array"] is not None:
        return value["array"] if kind == "array" else value["array"][()]
    if kind == "sequence":
        return [rebuild(item) for item in value["items"]]
    if kind == "mapping":
        return {rebuild(k): rebuild(v) for k, v in value["items"]}
    return Opaque(value["type"])


@dataclass(frozen=True)
class Opaque:
    """Something the student returned that is not plain data; only its type's name is known."""

    type: str
