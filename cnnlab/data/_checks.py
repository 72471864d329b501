"""Argument checks shared by the data modules: a clear message in the student's language."""

import os
from pathlib import Path

import numpy as np

from ..language import tr


def check_int(name, value, low, high=None):
    """TypeError unless ``value`` is an int (not bool); ValueError unless low <= value <= high."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(tr(ja=f"{name} は整数です（{type(value).__name__} が渡されました）。",
                           en=f"{name} must be an int, got {type(value).__name__}."))
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and <= {high}"
        upper_ja = "" if high is None else f"、{high} 以下"
        raise ValueError(tr(
            ja=f"{name} は {low} 以上{upper_ja}の整数です（{value} が渡されました）。",
            en=f"{name} must be >= {low}{upper}, got {value}."))
    return int(value)


def check_number(name, value, low, high, low_ok=True):
    """A real number (not bool) with low <= value <= high (low < value if not low_ok)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(tr(ja=f"{name} は数値です（{type(value).__name__} が渡されました）。",
                           en=f"{name} must be a number, got {type(value).__name__}."))
    above = value >= low if low_ok else value > low
    if not (above and value <= high):  # also rejects NaN
        sign = ">=" if low_ok else ">"
        sign_ja = "以上" if low_ok else "より大きく"
        raise ValueError(tr(
            ja=f"{name} は {low} {sign_ja} {high} 以下の数値です（{value!r} が渡されました）。",
            en=f"{name} must be {sign} {low} and <= {high}, got {value!r}."))
    return float(value)


def check_path(name, value):
    """A ``Path`` from a str or os.PathLike; TypeError otherwise."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(tr(
            ja=f"{name} はパス（str か os.PathLike）です（{type(value).__name__}）。",
            en=f"{name} must be a path (str or os.PathLike), got {type(value).__name__}."))
    return Path(value).expanduser()


def make_rng(rng):
    """``np.random.Generator`` from None (fresh entropy), an int seed, or a Generator."""
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(tr(
        ja=f"rng は None、整数のシード、または np.random.Generator です（{type(rng).__name__}）。",
        en=f"rng must be None, an int seed or a np.random.Generator, got {type(rng).__name__}."))
