"""What every check is made of: cases, known mistakes, the failure, the time limits, and the
public ``check_<name>(fn, seed=None)`` built from a check object.

A check object has ``name``, ``params`` (the public function's parameters before ``seed``),
``doc`` (the public function's docstring), and two steps (see ``cnnlab.checks`` for the whole picture):

- ``run(*student_objects, seed) -> Results``: call the student's code, collect plain data;
- ``judge(results) -> str``: compare, diagnose; the success line, or raise :class:`Failure`.
"""

import inspect
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from .hints import pointer
from ..language import tr


class CheckFailed(AssertionError):
    """The student's function gave a wrong answer; the message says what and why, and ``key``
    names the known mistake (None when no known mistake explains it)."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


class Failure(Exception):
    """Raised by a judge; the public check turns it into CheckFailed."""

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


def seconds_from_env(variable, default):
    value = os.environ.get(variable, default)
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"{variable} must be positive, got {value!r}")
    return seconds


def time_limit():
    """Seconds one call of a student's function may take before it counts as hanging.

    10 by default; the ``CNNLAB_TIME_LIMIT`` environment variable sets another.
    """
    return seconds_from_env("CNNLAB_TIME_LIMIT", "10")


def train_time_limit():
    """Seconds the graded training run may take: 15 by default, ``CNNLAB_TRAIN_TIME_LIMIT`` to change.

    A grader on a slow machine sets a larger value (and nbgrader's ``Execute.timeout`` above
    three times that: the run is stopped at three times the limit).
    """
    return seconds_from_env("CNNLAB_TRAIN_TIME_LIMIT", "15")


# ---------------------------------------------------------------------------------------------
# A case: the arguments of one call and what it is meant to try. A known mistake: what a
# student with that mistake returns, computed, under a stable key.


@dataclass
class Case:
    what_ja: str
    what_en: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)   # what the check needs besides the arguments

    def describe(self):
        shapes = ", ".join(short(a) for a in self.args)
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return tr(ja=f"{self.what_ja}（引数: {shapes}{extra}）", en=f"{self.what_en} (arguments: {shapes}{extra})")


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``wrong(case)`` computes what a student with this mistake returns
    (None where the mistake makes no difference). ``key`` names the mistake for the diagnosis;
    variants of one mistake share it. ``part`` is "dx", "dw" or "db" for one array of a tuple."""

    key: str
    ja: str
    en: str
    wrong: object
    part: str | None = None

    def text(self, **fill):
        """The explanation in the chosen language; ``fill`` fills {placeholders} when given."""
        ja, en = (self.ja.format(**fill), self.en.format(**fill)) if fill else (self.ja, self.en)
        return tr(ja=ja, en=en)


def short(value):
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, separator=", ")
        return tr(ja=f"配列 {value.shape}", en=f"array {value.shape}")
    return repr(value)


# Inputs for the case ladders.

def quarters(rng, shape):
    """Rounded to quarters in [-2, 2], so a mistake never hides inside the tolerance."""
    return np.round(rng.uniform(-2, 2, size=shape) * 4) / 4


def mixed(rng, shape):
    """Quarters in [-2, 2] without zeros: the sign of every entry is known."""
    values = quarters(rng, shape)
    return np.where(values == 0, 0.25, values)


def distinct(rng, shape):
    """Distinct quarters: no ties anywhere, so the maximum of every window is unique."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size // 2) / 4


# ---------------------------------------------------------------------------------------------
# The public function.


def require_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")


def judge_quietly(check, results):
    """``check.judge(results)`` with NumPy's warnings off: the mistakes overflow on purpose, and
    nothing may reach stderr (nbgrader scores a cell 0 then). A failure ends with where the hints are."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return check.judge(results)
        except Failure as failure:
            raise Failure(f"{failure}\n  {pointer(check.name)}", failure.key) from None


def public(check):
    """``check_<name>(*student_objects, seed=None)``: run, judge, print the success line or raise
    CheckFailed. Wrong arguments get Python's own TypeError from ``Signature.bind``."""
    parameters = [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in check.params]
    signature = inspect.Signature(parameters + [inspect.Parameter("seed", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)])

    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        seed = bound.arguments.pop("seed")
        require_seed(seed)
        results = check.run(*bound.arguments.values(), seed=seed)
        try:
            message = judge_quietly(check, results)
        except Failure as failure:
            raise CheckFailed(str(failure), failure.key) from None
        print(message)

    wrapper.__name__ = wrapper.__qualname__ = f"check_{check.name}"
    wrapper.__doc__ = check.doc
    wrapper.__signature__ = signature
    return wrapper
