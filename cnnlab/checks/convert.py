"""From what the student returned (:func:`~cnnlab.checks.calling.plain` data) to the float64
numbers a judge compares, or a Failure that says what came back instead.

Every converter takes a ``label`` (how the message names the function) and the plain value.
"""

import numpy as np

from ..language import tr
from .calling import rebuild
from .core import Failure

NUM_CLASSES = 10


def _returned_none(label, fix="`return`"):
    return Failure(tr(ja=f"{label} が None を返しました。{fix} を書き忘れていませんか？",
                      en=f"{label} returned None: did you forget {fix}?"))


def _is_numeric(value, kinds="iuf"):
    return value["kind"] in ("array", "scalar") and value["array"] is not None and value["array"].dtype.kind in kinds


def dtype_of(value):
    """The NumPy dtype of an array or NumPy scalar the student returned, else None."""
    return np.dtype(value["dtype"]) if value["kind"] in ("array", "scalar") and value["array"] is not None else None


def show(value):
    """A short text for what was returned: the number itself, or the type's name."""
    if value["kind"] in ("bool", "int", "float", "str"):
        return repr(value["value"])
    if value["kind"] == "scalar" and value["array"] is not None:
        return repr(value["array"][()])
    return value["type"]


def to_array(label, case, value):
    """A NumPy array of numbers (or bools), as float64."""
    if value["kind"] == "none":
        raise _returned_none(label)
    if value["kind"] not in ("array", "scalar"):
        raise Failure(tr(
            ja=f"{label} は NumPy 配列を返してください（{value['type']} が返されました）。例: np.array(...) で配列にできます。",
            en=f"{label} must return a NumPy array, not {value['type']}. Wrap it with np.array(...)."))
    if not _is_numeric(value, "biuf"):
        raise Failure(tr(ja=f"{label} の戻り値の dtype が {value['dtype']} です。数値（float）の配列を返してください。",
                         en=f"{label} returned an array of dtype {value['dtype']}; return numbers (a float array)."))
    return value["array"].astype(np.float64)


def to_int(label, case, value):
    """A Python or NumPy int (not a float, not a bool), as a 0-d float64 array."""
    if value["kind"] == "none":
        raise _returned_none(label)
    if value["kind"] == "float" or (value["kind"] == "scalar" and _is_numeric(value, "f")):
        raise Failure(tr(
            ja=f"{label} は整数を返してください（{show(value)} が返されました）。/ ではなく // を使うと整数になります。ケース: {case.describe()}。",
            en=f"{label} must return an int, got {show(value)}: use // instead of /. Case: {case.describe()}."))
    if not (value["kind"] == "int" or (value["kind"] == "scalar" and _is_numeric(value, "iu"))):
        raise Failure(tr(ja=f"{label} は整数を返してください（{value['type']} が返されました）。",
                         en=f"{label} must return an int, not {value['type']}."))
    return np.array(float(value["value"] if value["kind"] == "int" else value["array"]))


def to_loss(label, case, value):
    """One number as a 0-d float64 array; an array of several numbers is kept for the diagnosis."""
    if value["kind"] == "none":
        raise _returned_none(label)
    if value["kind"] in ("int", "float"):
        return np.array(float(value["value"]))
    if value["kind"] == "array" and value["array"] is not None and value["array"].size == 1:
        value = {**value, "array": value["array"].reshape(())}
    if value["kind"] == "array" and not _is_numeric(value):
        raise Failure(tr(ja=f"{label} の戻り値の dtype が {value['dtype']} です。数（float）を返してください。",
                         en=f"{label} returned dtype {value['dtype']}; return a number (a float)."))
    if not _is_numeric(value):
        raise Failure(tr(ja=f"{label} は損失を 1 つの数（float）で返してください（{value['type']} が返されました）。",
                         en=f"{label} must return the loss as one number (a float), not {value['type']}."))
    return value["array"].astype(np.float64)


def to_parts(label, case, value, parts, part_label):
    """A tuple of len(parts) arrays -> [(float64 array, its dtype)], each named by ``part_label``."""
    if value["kind"] == "none":
        raise _returned_none(label)
    names = ", ".join(parts)
    items = value.get("items", []) if value["kind"] == "sequence" else None
    if items is None or len(items) != len(parts):
        got = f"{len(items)}" if items is not None else value["type"]
        raise Failure(tr(ja=f"{label} は {len(parts)} つの配列をタプル ({names}) で返してください（返されたもの: {got}）。",
                         en=f"{label} must return the tuple ({names}) of {len(parts)} arrays (got: {got})."))
    return [(to_array(part_label(p), case, item), dtype_of(item)) for p, item in zip(parts, items)]


def to_number(label, value):
    """One number (a size-1 array too) as a Python float."""
    if value["kind"] in ("int", "float"):
        return float(value["value"])
    if _is_numeric(value) and value["array"].size == 1:
        return float(value["array"].reshape(()))
    raise Failure(tr(ja=f"{label} は数（float）を 1 つ返してください（{value['type']} が返されました）。",
                     en=f"{label} must return one number (a float), not {value['type']}."))


def to_scores(label, value, n):
    """A network's scores: a NumPy array (n, 10) of numbers, as float64."""
    if value["kind"] != "array":
        raise Failure(tr(ja=f"{label} は NumPy 配列 (N, 10) を返してください（{value['type']} が返されました）。",
                         en=f"{label} must return a NumPy array (N, 10), not {value['type']}."))
    if tuple(value["shape"]) != (n, NUM_CLASSES):
        raise Failure(tr(
            ja=f"{label} の出力の形が違います: 期待 ({n}, {NUM_CLASSES})、あなたの出力 {tuple(value['shape'])}。画像 1 枚につき 10 クラスのスコアを返します。",
            en=f"{label} returned the wrong shape: expected ({n}, {NUM_CLASSES}), got {tuple(value['shape'])}: one score per class (10) for each image."))
    if not _is_numeric(value):
        raise Failure(tr(ja=f"{label} は数値の配列を返してください（dtype {value['dtype']}）。",
                         en=f"{label} must return numbers, got dtype {value['dtype']}."))
    return value["array"].astype(np.float64)


def to_gradients(value, params):
    """net.gradient's dict -> {key: float64 array}, with the keys and shapes of ``params``
    ({key: shape})."""
    label = "net.gradient"
    if value["kind"] == "none":
        raise _returned_none(label, "`return grads`")
    if value["kind"] != "mapping":
        raise Failure(tr(ja=f"{label} は params と同じキーの dict を返してください（{value['type']} が返されました）。",
                         en=f"{label} must return a dict with the keys of net.params, not {value['type']}."))
    grads = {rebuild_key(k): v for k, v in value["items"]}
    missing = [k for k in params if k not in grads]
    if missing:
        raise Failure(tr(
            ja=f"勾配が足りません: {', '.join(repr(k) for k in missing)} の勾配がありません。net.params のすべてのパラメータについて勾配を返してください。",
            en=f"A parameter gradient is missing: no gradient for {', '.join(repr(k) for k in missing)}. Return a gradient for every parameter in net.params."))
    extra = [k for k in grads if k not in params]
    if extra:
        raise Failure(tr(ja=f"net.params にないキーの勾配があります: {', '.join(repr(k) for k in extra)}。キーは params と同じ名前にします。",
                         en=f"gradients for keys that are not in net.params: {', '.join(repr(k) for k in extra)}. Use the keys of params."))
    result = {}
    for key, shape in params.items():
        g = grads[key]
        if g["kind"] != "array":
            raise Failure(tr(ja=f"勾配 {key!r} が NumPy 配列ではありません（{g['type']}）。",
                             en=f"the gradient {key!r} is not a NumPy array ({g['type']})."))
        got = tuple(g["shape"])
        if got != shape:
            hint = ""
            if len(got) == len(shape) == 2 and got == shape[::-1]:
                hint = tr(ja="転置になっていませんか？", en="Is it transposed?")
            elif np.prod(got) == np.prod(shape):
                hint = tr(ja="要素の数は合っています: reshape を忘れていませんか？", en="The size is right: a missing reshape?")
            raise Failure(tr(
                ja=f"勾配 {key!r} の形が違います: params[{key!r}] は {shape}、勾配は {got}。勾配はパラメータと同じ形です。{hint}",
                en=f"the gradient {key!r} has the wrong shape: params[{key!r}] is {shape}, the gradient {got}. A gradient has the shape of its parameter. {hint}").rstrip())
        result[key] = to_array(f"{label} {key!r}", None, g)
    return result


def rebuild_key(value):
    """A dict key of plain data: the str itself, else a stand-in that prints like the key's type."""
    return value["value"] if value["kind"] in ("str", "int", "bool", "float") else f"<{value['type']}>"


HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


def to_history(value, epochs=None):
    """train's history: {key: 1-D float64 array} for the four keys, one finite value per epoch."""
    keys = ", ".join(f'"{k}"' for k in HISTORY_KEYS)
    history = {rebuild_key(k): v for k, v in value["items"]} if value["kind"] == "mapping" else None
    if history is None or any(k not in history for k in HISTORY_KEYS):
        got = "None" if value["kind"] == "none" else (sorted(map(str, history)) if history is not None else value["type"])
        raise Failure(tr(
            ja=f"train は {keys} をキーに持つ dict（エポックごとの値のリスト）を返してください（返されたもの: {got}）。`return history` を忘れていませんか？",
            en=f"train must return a dict with the keys {keys}, each a list with one value per epoch (got: {got}). Did you forget `return history`?"))
    result, lengths = {}, set()
    for key in HISTORY_KEYS:
        try:
            values = np.asarray(rebuild(history[key]), dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 1 or values.size == 0:
            raise Failure(tr(ja=f"history[\"{key}\"] はエポックごとの数のリストにしてください。",
                             en=f"history[\"{key}\"] must be a list of numbers, one per epoch."))
        if key.endswith("acc") and np.any((values < 0) | (values > 1)):
            raise Failure(tr(ja=f"history[\"{key}\"] の正解率は 0 から 1 の割合にしてください（{values.max():.4g} があります）。",
                             en=f"history[\"{key}\"] must hold accuracies as fractions between 0 and 1 (found {values.max():.4g})."))
        result[key] = values
        lengths.add(values.size)
    if len(lengths) > 1 or (epochs is not None and lengths != {epochs}):
        raise Failure(tr(
            ja=f"history の 4 つのリストは、どれもエポックごとに 1 つずつの値（{epochs or 'エポック数'} 個）にしてください（長さ {sorted(lengths)}）。",
            en=f"each of the four history lists needs one value per epoch ({epochs or 'the number of epochs'}); got lengths {sorted(lengths)}."))
    return result
