"""Plain data: what crosses between the student's process and the grader's, never pickled.

Plain data is nested dicts (str keys), lists, tuples, str, bool, int, float, None, NumPy
scalars and NumPy arrays of numbers (bool, int, unsigned, float, complex). :func:`save` writes
it as one ``.npz`` file: the arrays and NumPy scalars as ``a0``, ``a1``, ... and the rest as JSON
text in ``__json__``, where an array is {"__array__": "a0"}, a NumPy scalar {"__scalar__": "a1"}
and a tuple {"__tuple__": [...]}. :func:`load` reads it back as it was, with
``allow_pickle=False``, arrays of numbers only and every tag checked: a file written by
untrusted code gives at worst wrong data, never code.

:func:`plain` describes ANY value as plain data (what a student's function returned).

This file imports NumPy and the standard library only. ``cnnlab.checks`` uses it in-process,
and the grading sandbox's harness, which runs without cnnlab, gets a copy of this very file
beside it (``cnnlab.grading.judge``): one format and one description on both sides.
"""

import json

import numpy as np

NUMERIC = "biufc"   # bool, int, unsigned, float, complex: stored without pickle
DEPTH = 4           # how deep plain() describes nested containers
_TAGS = ("__array__", "__scalar__", "__tuple__")


# ---------------------------------------------------------------------------------------------
# Through a file.

def save(tree, path):
    """Write the plain data ``tree`` to the ``.npz`` file ``path``; TypeError for anything else."""
    arrays = {}

    def stored(array, tag):
        name = f"a{len(arrays)}"
        arrays[name] = array
        return {tag: name}

    def lift(value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in NUMERIC:
                raise TypeError(f"only arrays of numbers are plain data, got dtype {value.dtype}")
            return stored(value, "__array__")
        if isinstance(value, np.generic):
            return stored(np.asarray(value), "__scalar__") if value.dtype.kind in NUMERIC else lift(value.item())
        if isinstance(value, tuple):
            return {"__tuple__": [lift(v) for v in value]}
        if isinstance(value, list):
            return [lift(v) for v in value]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError("plain data: dict keys must be str")
            if len(value) == 1 and next(iter(value)) in _TAGS:
                raise TypeError(f"plain data: a dict with the single key {next(iter(value))!r} would read as a tag")
            return {k: lift(v) for k, v in value.items()}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"not plain data: {type(value).__name__}")

    text = json.dumps(lift(tree))
    np.savez(path, __json__=np.array(text), **arrays)


def load(path):
    """The plain data in the file ``path`` (written by :func:`save`); ValueError if malformed."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    text = arrays.pop("__json__", None)
    if text is None or text.dtype.kind != "U" or text.ndim != 0:
        raise ValueError("not a plain-data file: __json__ must be one string")

    def array(name, ndim=None):
        found = arrays.get(name) if isinstance(name, str) else None
        if found is None or found.dtype.kind not in NUMERIC or (ndim is not None and found.ndim != ndim):
            raise ValueError(f"plain-data file: missing or non-numeric array {name!r:.50}")
        return found

    def lower(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                return array(value["__array__"])
            if set(value) == {"__scalar__"}:
                return array(value["__scalar__"], ndim=0)[()]
            if set(value) == {"__tuple__"}:
                if not isinstance(value["__tuple__"], list):
                    raise ValueError("plain-data file: a tuple must hold a list")
                return tuple(lower(v) for v in value["__tuple__"])
            return {k: lower(v) for k, v in value.items()}
        if isinstance(value, list):
            return [lower(v) for v in value]
        return value

    return lower(json.loads(str(text)))


def is_plain(value):
    """True when :func:`save` can write ``value``."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in NUMERIC
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) for k in value) and all(is_plain(v) for v in value.values()) \
            and not (len(value) == 1 and next(iter(value)) in _TAGS)
    if isinstance(value, np.generic):
        return value.dtype.kind in NUMERIC or is_plain(value.item())
    return value is None or isinstance(value, (bool, int, float, str))


# ---------------------------------------------------------------------------------------------
# Any value, described.

def plain(obj, depth=0):
    """A tagged description of ``obj`` made of dicts, lists, str, numbers and NumPy arrays of
    numbers only: {"kind": "none" | "bool" | "int" | "float" | "str" | "scalar" | "array" |
    "sequence" | "mapping" | "other", "type": the type's name, ...}."""
    name = type(obj).__name__
    if obj is None:
        return {"kind": "none", "type": name}
    if isinstance(obj, bool):
        return {"kind": "bool", "type": name, "value": bool(obj)}
    if isinstance(obj, int):
        return {"kind": "int", "type": name, "value": int(obj)}
    if isinstance(obj, float):
        return {"kind": "float", "type": name, "value": float(obj)}
    if isinstance(obj, str):
        return {"kind": "str", "type": name, "value": str(obj)[:1000]}
    if isinstance(obj, (np.ndarray, np.generic)):
        dtype = obj.dtype
        data = np.array(obj) if dtype.kind in NUMERIC else None   # np.array: a plain ndarray copy
        kind = "array" if isinstance(obj, np.ndarray) else "scalar"
        return {"kind": kind, "type": name, "dtype": str(dtype), "shape": list(np.shape(obj)), "array": data}
    if isinstance(obj, (tuple, list)) and depth < DEPTH:
        return {"kind": "sequence", "type": name, "items": [plain(item, depth + 1) for item in obj]}
    if isinstance(obj, dict) and depth < DEPTH:
        return {"kind": "mapping", "type": name, "items": [[plain(k, DEPTH), plain(v, depth + 1)] for k, v in obj.items()]}
    return {"kind": "other", "type": name}
