"""Results to a file and back: the run step may happen in another process (a sandbox) than the
judge, and only plain data crosses.

One ``.npz`` file: the NumPy arrays as ``a0``, ``a1``, ... and everything else as JSON text in
``__json__`` (each array replaced by {"__array__": "a0"}). Reading uses ``allow_pickle=False``,
accepts arrays of numbers only and checks the structure, so a file written by untrusted code can
at worst give a wrong verdict, never run code.
"""

import json
from dataclasses import asdict

import numpy as np

from .calling import Outcome, Results

_NUMERIC = "biufc"
_FIELDS = {"step", "status", "value", "error", "detail", "seen", "limit", "seconds", "cpu_seconds"}
_STATUSES = {"returned", "raised", "timeout", "not_implemented", "calls_cnnlab", "modified_input", "reads_test_split"}


def save_results(results, path):
    """Write ``results`` (:class:`Results`) to the ``.npz`` file ``path``."""
    arrays = {}

    def lift(value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _NUMERIC:
                raise TypeError(f"only arrays of numbers are plain data, got dtype {value.dtype}")
            name = f"a{len(arrays)}"
            arrays[name] = value
            return {"__array__": name}
        if isinstance(value, dict):
            return {str(k): lift(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [lift(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"not plain data: {type(value).__name__}")

    text = json.dumps(lift(asdict(results)))
    np.savez(path, __json__=np.array(text), **arrays)


def load_results(path):
    """Read a file written by :func:`save_results`: :class:`Results` of plain data."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    text = arrays.pop("__json__")
    if text.dtype.kind != "U" or text.ndim != 0:
        raise ValueError("not a results file: __json__ must be one string")

    def lower(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                array = arrays.get(value["__array__"])
                if array is None or array.dtype.kind not in _NUMERIC:
                    raise ValueError(f"results file: missing or non-numeric array {value['__array__']!r}")
                return array
            return {k: lower(v) for k, v in value.items()}
        if isinstance(value, list):
            return [lower(v) for v in value]
        return value

    tree = lower(json.loads(str(text)))
    if not isinstance(tree, dict) or set(tree) != {"check", "seed", "steps", "facts"}:
        raise ValueError("not a results file: expected check, seed, steps and facts")
    steps = []
    for step in tree["steps"]:
        if not isinstance(step, dict) or step.get("status") not in _STATUSES or not set(step) <= _FIELDS:
            raise ValueError(f"results file: a step that is not an outcome: {step!r:.200}")
        steps.append(Outcome(**step))
    seed = tree["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"results file: seed must be an int or null, got {seed!r}")
    return Results(str(tree["check"]), seed, steps, dict(tree["facts"]))
