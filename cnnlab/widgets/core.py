"""What every widget shares: argument checks, numbers written as the lecture writes them, display.

- ``check_int`` / ``check_number`` / ``real_array``: bad arguments raise a clear TypeError or
  ValueError (Japanese or English, ``cnnlab.language.tr``) before any widget is built.
- ``fmt`` / ``term``: ``12``, ``0.5``, ``−1`` and the factor ``(−1)`` of a written-out product.
- ``Displayable``: a widget object shows its root ipywidget ``.widget`` when it ends a cell.
"""

import numpy as np

from ..language import tr


def check_int(value, name, minimum):
    """``value`` must be an int (not bool) and at least ``minimum``; returns it as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(tr(ja=f"{name} は整数にしてください（{type(value).__name__} が渡されました）",
                           en=f"{name} must be an int, got {type(value).__name__}"))
    if value < minimum:
        raise ValueError(tr(ja=f"{name} は {minimum} 以上にしてください（{value} が渡されました）",
                            en=f"{name} must be >= {minimum}, got {value}"))
    return int(value)


def check_number(value, name):
    """``value`` must be a finite real number; returns it as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(tr(ja=f"{name} は数値にしてください（{type(value).__name__} が渡されました）",
                           en=f"{name} must be a number, got {type(value).__name__}"))
    if not np.isfinite(value):
        raise ValueError(tr(ja=f"{name} は有限の数にしてください（{value}）",
                            en=f"{name} must be finite, got {value}"))
    return float(value)


def real_array(x, name, ndims, shape_text):
    """``x`` as a float64 copy; it must hold finite real numbers and have one of ``ndims`` axes."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(tr(ja=f"{name} は形状 {shape_text} の数値配列にしてください（{type(x).__name__}）",
                           en=f"{name} must be an array of numbers of shape {shape_text}, "
                              f"got {type(x).__name__}"))
    try:
        arr = np.asarray(x)
    except ValueError as err:   # ragged nested lists
        raise ValueError(tr(ja=f"{name} の行の長さがそろっていません: {err}",
                            en=f"{name} has rows of different lengths: {err}")) from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer)
                                 or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(tr(ja=f"{name} は実数の配列にしてください（dtype {arr.dtype}）",
                           en=f"{name} must hold real numbers, got dtype {arr.dtype}"))
    if arr.ndim not in ndims:
        raise ValueError(tr(ja=f"{name} の形状は {shape_text} のはずですが {arr.shape} でした",
                            en=f"{name} must have shape {shape_text}, got {arr.shape}"))
    if arr.size == 0:
        raise ValueError(tr(ja=f"{name} が空です（形状 {arr.shape}）",
                            en=f"{name} is empty (shape {arr.shape})"))
    if not np.all(np.isfinite(arr)):
        raise ValueError(tr(ja=f"{name} に NaN か無限大が含まれています",
                            en=f"{name} contains NaN or infinity"))
    return arr.astype(float)   # a copy: the caller's array is never touched


def fmt(value):
    """A number as the lecture writes it: ``12``, ``0.5``, ``−1`` (3 decimals at most)."""
    value = round(float(value), 3)
    if value == 0:
        return "0"          # also turns -0.0 into 0
    if value == int(value) and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.replace("-", "\u2212")


def term(value):
    """A factor in a product: negatives in parentheses, ``2×(−1)``."""
    text = fmt(value)
    return f"({text})" if text.startswith("\u2212") else text


class Displayable:
    """Shows ``self.widget`` (the root ipywidget) when the object is the value of a cell."""

    widget = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
