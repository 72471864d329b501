"""Results to a file and back: the run step may happen in another process (a sandbox) than the
judge, and only plain data crosses (:mod:`cnnlab.plaindata`: one ``.npz``, JSON and arrays of
numbers, never pickle). Reading checks the structure too, so a file written by untrusted code can
at worst give a wrong verdict, never run code.
"""

from dataclasses import asdict

from .. import plaindata
from .calling import Outcome, Results

_FIELDS = {"step", "status", "value", "error", "detail", "seen", "limit", "seconds", "cpu_seconds"}
_STATUSES = {"returned", "raised", "timeout", "not_implemented", "calls_cnnlab", "modified_input", "reads_test_split"}


def save_results(results, path):
    """Write ``results`` (:class:`Results`) to the ``.npz`` file ``path``."""
    plaindata.save(asdict(results), path)


def load_results(path):
    """Read a file written by :func:`save_results`: :class:`Results` of plain data."""
    tree = plaindata.load(path)
    if not isinstance(tree, dict) or set(tree) != {"check", "seed", "steps", "facts"}:
        raise ValueError("not a results file: expected check, seed, steps and facts")
    if not isinstance(tree["steps"], list) or not isinstance(tree["facts"], dict):
        raise ValueError("not a results file: steps must be a list and facts a dict")
    steps = []
    for step in tree["steps"]:
        if not isinstance(step, dict) or step.get("status") not in _STATUSES or not set(step) <= _FIELDS:
            raise ValueError(f"results file: a step that is not an outcome: {step!r:.200}")
        steps.append(Outcome(**step))
    seed = tree["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"results file: seed must be an int or null, got {seed!r}")
    return Results(str(tree["check"]), seed, steps, dict(tree["facts"]))
