"""Plain data through a file: nested dicts, lists, tuples, str, numbers, None and NumPy arrays of
numbers, as one ``.npz`` (arrays ``a0``, ``a1``, ...; the rest as JSON text in ``__json__``).

The trusted grader writes the check cases with :func:`save_tree` and the sandbox's harness reads
them; reading uses ``allow_pickle=False`` and accepts numeric arrays only. ``harness.py`` carries
its own copy of :func:`load_tree` (it runs where ``cnnlab`` cannot be imported); the two are
kept the same by ``tests/test_grading_engine.py``.
"""

import json

import numpy as np

_NUMERIC = "biufc"


def save_tree(tree, path):
    """Write ``tree`` to the ``.npz`` file ``path``; TypeError for anything not plain."""
    arrays = {}

    def lift(value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _NUMERIC:
                raise TypeError(f"only arrays of numbers are plain data, got dtype {value.dtype}")
            name = f"a{len(arrays)}"
            arrays[name] = value
            return {"__array__": name}
        if isinstance(value, np.generic):
            return lift(np.asarray(value)) if value.dtype.kind in _NUMERIC else value.item()
        if isinstance(value, tuple):
            return {"__tuple__": [lift(v) for v in value]}
        if isinstance(value, list):
            return [lift(v) for v in value]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError("plain data: dict keys must be str")
            return {k: lift(v) for k, v in value.items()}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"not plain data: {type(value).__name__}")

    text = json.dumps(lift(tree))
    np.savez(path, __json__=np.array(text), **arrays)


def is_plain(value):
    """True when :func:`save_tree` can write ``value``."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in _NUMERIC
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return value is None or isinstance(value, (bool, int, float, str, np.generic))
