"""Feedback for the graded exercises: run a student's function, say what is wrong and why.

Every ``check_<name>(fn, seed=None)`` calls the student's function on a ladder of cases, the
lecture's worked example first, then one new difficulty at a time (channels, bias, stride,
padding, batch). On the first wrong answer it raises :class:`CheckFailed` with a message in the
chosen language (:func:`cnnlab.set_language`) that names the mistake when it is a known one
(flipped kernel, bias added once per channel, stride ignored, ...). ``seed=None`` runs the
visible cases; an int adds random cases drawn from that seed (the hidden tests).

Expected values come from the small reference functions at the end of this module. A student
function that calls into cnnlab to get its answer fails the check: the course asks for the
computation, not a call.
"""

import inspect
import operator
import os
import signal
import sys
import threading
import traceback
import types
import warnings
from dataclasses import dataclass, field

import numpy as np

from .language import tr

__all__ = [
    "CheckFailed",
    "check_conv2d_single",
    "check_conv2d_multi",
    "check_relu",
    "check_output_size",
    "check_zero_pad",
    "check_conv_forward",
    "check_im2col",
    "check_conv_forward_im2col",
    "check_max_pool_forward",
    "check_avg_pool_forward",
    "check_softmax",
    "check_cross_entropy",
    "check_relu_backward",
    "check_affine_forward",
    "check_affine_backward",
    "check_softmax_cross_entropy_backward",
    "check_max_pool_backward",
    "check_conv_backward",
    "check_numerical_gradient",
    "check_convnet",
    "check_evaluate",
    "check_train",
    "train_time_limit",
    "TestSplitHidden",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _seconds_from_env(variable, default):
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
    return _seconds_from_env("CNNLAB_TIME_LIMIT", "10")


class CheckFailed(AssertionError):
    """The student's function gave a wrong answer; the message says what and why."""


class _Failure(Exception):
    """Raised inside this module; turned into CheckFailed by the public check."""


class _OutOfTime(BaseException):
    # A BaseException, so that a student's `except Exception:` cannot swallow it.
    pass


# ---------------------------------------------------------------------------------------------
# A case: the arguments of one call and what it is meant to try.


@dataclass
class Case:
    what_ja: str
    what_en: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def describe(self):
        shapes = ", ".join(_short(a) for a in self.args)
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return tr(ja=f"{self.what_ja}（引数: {shapes}{extra}）", en=f"{self.what_en} (arguments: {shapes}{extra})")


@dataclass
class Mistake:
    """A known wrong answer: ``wrong(case)`` computes what a student with this mistake returns."""

    ja: str
    en: str
    wrong: object

    def text(self):
        return tr(ja=self.ja, en=self.en)


def _short(value):
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, separator=", ")
        return tr(ja=f"配列 {value.shape}", en=f"array {value.shape}")
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Calling the student's function safely.


def _require_function(fn, name, keywords=()):
    if not callable(fn):
        raise TypeError(
            tr(ja=f"{name} には関数を渡してください（{type(fn).__name__} が渡されました）。",
               en=f"pass your function {name} (got {type(fn).__name__}).")
        )
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    missing = [k for k in keywords if k not in params and not accepts_kwargs]
    if missing:
        raise _Failure(
            tr(ja=f"{name} の引数名が違います: {', '.join(missing)} がありません。配布されたシグネチャのままにしてください。",
               en=f"{name} has lost its parameter(s) {', '.join(missing)}: keep the signature of the stub.")
        )


def _require_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")


def _call(fn, name, case):
    """Call ``fn`` on fresh copies of the case's arguments; return what it returned.

    Fails with a message when it raises, hangs, calls cnnlab, or changes its inputs.
    """
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
    cnnlab_calls = []

    def watch(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(_PACKAGE_DIR) and code is not _on_alarm.__code__:
            cnnlab_calls.append(f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}")

    limit = time_limit()
    timer = _Timer(limit)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # A warning from a correct answer must not reach stderr: nbgrader scores 0 then.
            warnings.simplefilter("ignore")
            with timer:
                sys.setprofile(watch)
                try:
                    result = fn(*args, **case.kwargs)
                finally:
                    sys.setprofile(None)
    except _OutOfTime:
        raise _Failure(
            tr(ja=f"{name} が {limit:g} 秒たっても終わりません（{case.describe()}）。無限ループになっていませんか？ループの終わる条件を確かめてください。",
               en=f"{name} did not finish within {limit:g} s ({case.describe()}). Is there an endless loop? Check that every loop ends.")
        ) from None
    except NotImplementedError:
        raise _Failure(
            tr(ja=f"{name} はまだ実装されていません: `raise NotImplementedError()` を消して、自分のコードを書いてください。",
               en=f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code.")
        ) from None
    except Exception as error:  # the student's bug, reported, never the checker's crash
        raise _Failure(_describe_exception(name, case, error)) from None
    if cnnlab_calls:
        raise _Failure(
            tr(ja=f"{name} が cnnlab の関数（{cnnlab_calls[0]}）を呼んでいます。計算は NumPy で自分で書いてください。cnnlab を呼ぶ答えには点がつきません。",
               en=f"{name} calls cnnlab ({cnnlab_calls[0]}). Write the computation yourself with NumPy: answers that call cnnlab get no points.")
        )
    for before, after in zip(case.args, args):
        if isinstance(before, np.ndarray) and not _same_array(before, after):
            raise _Failure(
                tr(ja=f"{name} が入力の配列を書き換えています（{case.describe()}）。入力はそのままにして、新しい配列を作って返してください（例: x.copy()、np.zeros(...)）。",
                   en=f"{name} modified its input array in place ({case.describe()}). Leave the inputs untouched and return a new array (x.copy(), np.zeros(...)).")
            )
    return result


def _same_array(a, b):
    return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


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


def _on_alarm(signum, frame):
    raise _OutOfTime()


def _describe_exception(name, case, error):
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.startswith(_PACKAGE_DIR) and "site-packages" not in frame.filename:
            code = f": {frame.line}" if frame.line else ""
            where = tr(ja=f"（{frame.lineno} 行目{code}）", en=f" (line {frame.lineno}{code})")
            break
    hint = ""
    if name == "relu":
        hint = tr(ja=" ReLU はどんな形の配列（1 次元〜4 次元）にも使えるようにします。2 重ループではなく np.maximum(x, 0) を使いましょう。",
                  en=" ReLU must work for arrays of any shape (1-D to 4-D): use np.maximum(x, 0) instead of two nested loops.")
    elif name.startswith(("conv", "im2col", "max_pool", "avg_pool")) and isinstance(error, (IndexError, ValueError)) \
            and ("broadcast" in str(error) or "index" in str(error)):
        hint = tr(
            ja=" ウィンドウが配列の外にはみ出していませんか？出力サイズは OH = (H + 2·pad − KH) // stride + 1 です。パディングは縦横の軸だけに付けます。",
            en=" Does a window run past the edge of the array? The output size is OH = (H + 2·pad − KH) // stride + 1, and padding goes on the height and width axes only.",
        )
    elif isinstance(error, TypeError) and "argument" in str(error):
        hint = tr(ja=" 引数の数や名前は配布されたシグネチャのままにしてください。", en=" Keep the parameters of the stub's signature.")
    return tr(
        ja=f"{name} がエラーを出しました: {type(error).__name__}: {error}{where}。ケース: {case.describe()}。{hint}",
        en=f"{name} raised {type(error).__name__}: {error}{where}. Case: {case.describe()}.{hint}",
    )


# ---------------------------------------------------------------------------------------------
# Comparing an answer with the expected one, and naming the mistake.

RTOL = 1e-4
ATOL = 1e-5


def _close(got, expected):
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return got.shape == expected.shape and np.allclose(got, expected, rtol=RTOL, atol=ATOL * scale)


def _as_float_array(name, case, result):
    """The student's result as a float64 array, or a failure that says what came back instead."""
    if result is None:
        raise _Failure(
            tr(ja=f"{name} が None を返しました。`return` を書き忘れていませんか？",
               en=f"{name} returned None: did you forget `return`?")
        )
    if not isinstance(result, (np.ndarray, np.generic)):
        raise _Failure(
            tr(ja=f"{name} は NumPy 配列を返してください（{type(result).__name__} が返されました）。例: np.array(...) で配列にできます。",
               en=f"{name} must return a NumPy array, not {type(result).__name__}. Wrap it with np.array(...).")
        )
    if not (np.issubdtype(result.dtype, np.floating) or np.issubdtype(result.dtype, np.integer) or result.dtype == bool):
        raise _Failure(
            tr(ja=f"{name} の戻り値の dtype が {result.dtype} です。数値（float）の配列を返してください。",
               en=f"{name} returned an array of dtype {result.dtype}; return numbers (a float array).")
        )
    # np.array, not the student's own methods: an object with a custom __eq__ proves nothing.
    return np.array(result, dtype=np.float64)


def _diagnose(wrong_cases, mistakes):
    """The known mistake that explains the first wrong answer and every later one, if any.

    ``wrong_cases`` holds (case, got, expected) for every case the student got wrong. A mistake
    must reproduce the first one; among those, one that also reproduces the others (where it
    applies) wins, so that two mistakes that agree on one case are told apart by the next.
    """
    case, got, _ = wrong_cases[0]
    matching = [m for m in mistakes(case) if _reproduces(m, case, got)]
    for mistake in matching:
        if all(_reproduces_or_na(mistake, c, g, mistakes) for c, g, _ in wrong_cases[1:]):
            return mistake
    return matching[0] if matching else None


def _reproduces(mistake, case, got):
    wrong = mistake.wrong(case)
    return wrong is not None and _close(got, np.asarray(wrong, dtype=np.float64))


def _reproduces_or_na(mistake, case, got, mistakes):
    same = [m for m in mistakes(case) if m.en == mistake.en]
    return not same or same[0].wrong(case) is None or _reproduces(same[0], case, got)


def _explain(name, wrong_cases, result_dtype, mistakes):
    case, got, expected = wrong_cases[0]
    mistake = _diagnose(wrong_cases, mistakes)
    if mistake is not None:
        return _wrong_message(name, case, got, expected, mistake.text())
    if got.shape != expected.shape:
        return _shape_message(name, case, got.shape, expected.shape)
    if np.issubdtype(result_dtype, np.integer) and not np.allclose(expected, np.round(expected)):
        hint = tr(ja="戻り値が整数の配列なので小数点以下が切り捨てられています。出力は dtype=float で作ってください（np.zeros は float です。np.zeros_like(整数の配列) は整数になります）。",
                  en="Your result is an integer array, so the fractions were cut off. Create the output as floats (np.zeros is float; np.zeros_like of an int array is int).")
        return _wrong_message(name, case, got, expected, hint)
    if not np.all(np.isfinite(got)):
        return _wrong_message(name, case, got, expected, tr(ja="結果に nan か inf が含まれています。", en="Your result contains nan or inf."))
    return _wrong_message(name, case, got, expected, None)


def _shape_message(name, case, got_shape, expected_shape):
    hint = ""
    if len(got_shape) == len(expected_shape) >= 2:
        if tuple(got_shape[:-2]) + tuple(got_shape[-1:-3:-1]) == tuple(expected_shape) and got_shape != expected_shape:
            hint = tr(ja="高さと幅が入れ替わっています（H と W、i と j を取り違えていませんか）。",
                      en="Height and width are swapped (H and W, or i and j, mixed up).")
        else:
            diffs = [g - e for g, e in zip(got_shape[-2:], expected_shape[-2:])]
            if got_shape[:-2] == expected_shape[:-2] and any(abs(d) == 1 for d in diffs) and all(abs(d) <= 1 for d in diffs):
                hint = tr(ja="出力サイズが 1 ずれています。OH = (H + 2·pad − KH) // stride + 1（+1 を忘れていませんか？ループの範囲は range(OH) です）。",
                          en="The output size is off by one: OH = (H + 2·pad − KH) // stride + 1 (is the +1 missing? loop over range(OH)).")
    return tr(
        ja=f"{name} の出力の形が違います: 期待 {tuple(expected_shape)}、あなたの出力 {tuple(got_shape)}。ケース: {case.describe()}。{hint}",
        en=f"{name} returned the wrong shape: expected {tuple(expected_shape)}, got {tuple(got_shape)}. Case: {case.describe()}. {hint}",
    ).rstrip()


def _wrong_message(name, case, got, expected, hint):
    if got.shape == expected.shape and got.size:
        scale = max(1.0, float(np.max(np.abs(expected))))
        bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL * scale)
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
        detail = tr(
            ja=f"位置 {list(where)} で期待 {expected[where]:.6g}、あなたの値 {got[where]:.6g}（{int(bad.sum())} / {bad.size} 個が違います）。",
            en=f"At index {list(where)} expected {expected[where]:.6g}, got {got[where]:.6g} ({int(bad.sum())} of {bad.size} values differ).",
        )
    else:
        detail = tr(ja=f"期待の形 {expected.shape}、あなたの形 {got.shape}。", en=f"Expected shape {expected.shape}, got {got.shape}.")
    small = expected.size <= 16 and got.size <= 16
    arrays = ""
    if small:
        # Tiny expected values (softmax's 4.5e-05) must not print as 0; otherwise hide float noise.
        tiny = bool(np.any((expected != 0) & (np.abs(expected) < 1e-4)))
        arrays = tr(ja=f"\n  期待:       {_fmt(expected, tiny)}\n  あなたの値: {_fmt(got, tiny)}",
                    en=f"\n  expected: {_fmt(expected, tiny)}\n  got:      {_fmt(got, tiny)}")
    head = tr(ja=f"{name} の答えが違います。ケース: {case.describe()}。", en=f"{name} gave a wrong answer. Case: {case.describe()}.")
    return f"{head}\n  {hint + ' ' if hint else ''}{detail}{arrays}"


def _fmt(a, keep_small=False):
    return np.array2string(a, precision=4, suppress_small=not keep_small, separator=", ").replace("\n", " ")


def _run(name, fn, cases, expected, mistakes, keywords=()):
    """The shared loop of every array check: ``expected(case)`` and ``mistakes(case)`` per case.

    Every case runs before the verdict, so the diagnosis can use all the wrong answers; the
    message shows the first one.
    """
    _require_function(fn, name, keywords)
    wrong_cases, first_dtype = [], None
    for case in cases:
        try:
            result = _call(fn, name, case)
        except _Failure:
            if wrong_cases:
                break  # the earlier wrong answer is the more useful thing to explain
            raise
        got = _as_float_array(name, case, result)
        want = np.asarray(expected(case), dtype=np.float64)
        if not _close(got, want):
            first_dtype = first_dtype if wrong_cases else result.dtype
            wrong_cases.append((case, got, want))
    if wrong_cases:
        raise _Failure(_explain(name, wrong_cases, first_dtype, mistakes))
    print(tr(ja=f"✓ {name}: {len(cases)} ケースすべて正解です。", en=f"✓ {name}: all {len(cases)} cases passed."))


def _public(check):
    """Turn internal failures into a CheckFailed raised from the public function itself.

    ``check(student_object, ..., seed)`` becomes ``check_xxx(student_object, ..., seed=None)``;
    wrong arguments get Python's own TypeError from ``Signature.bind``.
    """
    signature = inspect.signature(check)
    signature = signature.replace(parameters=[
        p.replace(default=None) if p.name == "seed" else p for p in signature.parameters.values()])

    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        _require_seed(bound.arguments["seed"])
        try:
            check(*bound.args)
        except _Failure as failure:
            raise CheckFailed(str(failure)) from None

    wrapper.__name__ = check.__name__
    wrapper.__qualname__ = check.__qualname__
    wrapper.__doc__ = check.__doc__
    wrapper.__signature__ = signature
    return wrapper


# ---------------------------------------------------------------------------------------------
# Reference computations: small and direct, independent of cnnlab.nn.

WORKED_IMAGE = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]], dtype=float)
WORKED_KERNEL = np.array([[1, 0, 2], [0, 2, 0], [1, 1, -1]], dtype=float)


def _pad(x, pad, mode="constant", value=0.0, sides=(1, 1)):
    """Pad the last two axes of x; ``sides`` scales the (before, after) amounts."""
    widths = [(0, 0)] * (x.ndim - 2) + [(pad * sides[0], pad * sides[1])] * 2
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=mode)


def _correlate(x, w, b, stride=1, pad=0):
    """x (N, C, H, W), w (F, C, KH, KW), b (F,) -> (N, F, OH, OW), as in the curriculum."""
    x = _pad(np.asarray(x, dtype=np.float64), pad)
    kh, kw = w.shape[-2:]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("ncijuv,fcuv->nfij", windows, w) + np.asarray(b, dtype=np.float64)[None, :, None, None]


def _single(image, kernel):
    return _correlate(image[None, None], kernel[None, None], np.zeros(1))[0, 0]


def _multi(image, kernels, bias):
    return _correlate(image[None], kernels, bias)[0]


def _random_array(rng, shape):
    # Rounded to quarters so a mistake never hides inside the tolerance.
    return np.round(rng.uniform(-2, 2, size=shape) * 4) / 4


# ---------------------------------------------------------------------------------------------
# 01_convolution


def _conv2d_single_cases(seed):
    rng = np.random.default_rng(0)
    cases = [
        Case("講義の計算例（4×4 の入力、3×3 のフィルタ）", "the lecture's worked example (4x4 input, 3x3 kernel)",
             (WORKED_IMAGE, WORKED_KERNEL)),
        Case("縦長の画像と横長のフィルタ", "a tall image and a wide kernel",
             (_random_array(rng, (6, 5)), _random_array(rng, (2, 3)))),
        Case("フィルタが画像と同じ大きさ", "a kernel as big as the image",
             (_random_array(rng, (3, 3)), _random_array(rng, (3, 3)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            h, w = rng.integers(3, 10, size=2)
            kh, kw = rng.integers(1, min(h, w) + 1, size=2)
            cases.append(Case("ランダムな小数の画像とフィルタ", "random float image and kernel",
                              (rng.normal(size=(h, w)), rng.normal(size=(kh, kw)))))
    return cases


def _conv2d_single_mistakes(case):
    image, kernel = case.args
    expected = _single(image, kernel)
    return [
        Mistake("フィルタが上下左右に反転しています（真の畳み込み）。このコースの「畳み込み」は相互相関です: out[i, j] = Σ image[i+u, j+v]·kernel[u, v]。フィルタは反転しません。",
                "Your kernel is flipped: that is true convolution. In this course (and every framework) convolution means cross-correlation: out[i, j] = Σ image[i+u, j+v]·kernel[u, v], no flipping.",
                lambda c: _single(image, kernel[::-1, ::-1])),
        Mistake("高さと幅が入れ替わっています（出力が転置されています）。out[i, j] の i は行（高さ）、j は列（幅）です。",
                "Height and width are swapped (your output is transposed): in out[i, j], i is the row (height), j the column (width).",
                lambda c: expected.T),
        Mistake("フィルタの縦横が入れ替わっています（kernel[v, u] になっています）。",
                "Your kernel is transposed (you used kernel[v, u]): keep kernel[u, v] with u down the rows.",
                lambda c: _single(image, kernel.T) if kernel.shape[0] == kernel.shape[1] else None),
        Mistake("出力サイズが 1 小さいです: 最後の行と列が足りません。OH = H − KH + 1 なので range(H − KH + 1) まで回します。",
                "The output is one row and column short: OH = H − KH + 1, so loop over range(H − KH + 1).",
                lambda c: expected[:-1, :-1]),
    ]


@_public
def check_conv2d_single(conv2d_single, seed=None):
    """Check ``conv2d_single(image (H, W), kernel (KH, KW)) -> (H-KH+1, W-KW+1)``."""
    _run("conv2d_single", conv2d_single, _conv2d_single_cases(seed),
         lambda c: _single(*c.args), _conv2d_single_mistakes)


def _conv2d_multi_cases(seed):
    rng = np.random.default_rng(1)
    cases = [
        Case("1 チャネル・1 フィルタ・バイアス 0（講義の計算例）", "one channel, one filter, bias 0 (the lecture's example)",
             (WORKED_IMAGE[None], WORKED_KERNEL[None, None], np.zeros(1))),
        Case("1 チャネル・1 フィルタ・バイアスあり", "one channel, one filter, with a bias",
             (WORKED_IMAGE[None], WORKED_KERNEL[None, None], np.array([0.5]))),
        Case("3 チャネル・2 フィルタ・バイアスあり", "3 channels, 2 filters, with biases",
             (_random_array(rng, (3, 5, 5)), _random_array(rng, (2, 3, 3, 3)), np.array([1.5, -0.75]))),
        Case("2 チャネル・3 フィルタ、縦長の画像と横長のフィルタ", "2 channels, 3 filters, a tall image and a wide kernel",
             (_random_array(rng, (2, 6, 4)), _random_array(rng, (3, 2, 2, 3)), _random_array(rng, (3,)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            c, f = rng.integers(1, 5, size=2)
            h, w = rng.integers(3, 9, size=2)
            kh, kw = rng.integers(1, min(h, w) + 1, size=2)
            cases.append(Case("ランダムな小数", "random floats",
                              (rng.normal(size=(c, h, w)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f))))
    return cases


def _conv_mistakes(x, w, b, stride=1, pad=0):
    """Mistakes shared by every multi-channel convolution. x (N, C, H, W) -> (N, F, OH, OW)."""
    expected = _correlate(x, w, b, stride, pad)
    no_bias = expected - b[None, :, None, None]
    channels = x.shape[1]
    mistakes = [
        Mistake("フィルタが上下左右に反転しています（真の畳み込み）。このコースの「畳み込み」は相互相関で、フィルタは反転しません。",
                "Your kernel is flipped: that is true convolution. Here convolution means cross-correlation: no flipping.",
                lambda c: _correlate(x, w[..., ::-1, ::-1], b, stride, pad)),
        Mistake("バイアスが足されていません。各フィルタ f の出力に b[f] を 1 回足します。",
                "The bias is missing: add b[f] once to the output of filter f.",
                lambda c: no_bias if np.any(b != 0) else None),
        Mistake(f"バイアスをチャネルごとに足しています（{channels} 回）。バイアスはチャネルの和を取った後に、フィルタごとに 1 回だけ足します。",
                f"The bias is added once per channel ({channels} times): sum over the channels first, then add b[f] once per filter.",
                lambda c: no_bias + channels * b[None, :, None, None] if channels > 1 and np.any(b != 0) else None),
        Mistake("チャネルの和を取っていません: 最後のチャネルの結果で上書きしています。out[f] = Σ_c (image[c] と kernel[f, c] の相互相関) + b[f] です。",
                "The channels are not summed: each channel overwrites the last one. out[f] = Σ_c correlate(image[c], kernel[f, c]) + b[f].",
                lambda c: _correlate(x[:, -1:], w[:, -1:], b, stride, pad) if channels > 1 else None),
        Mistake("チャネルの和を取っていません: 最初のチャネルしか使っていません。out[f] = Σ_c (image[c] と kernel[f, c] の相互相関) + b[f] です。",
                "The channels are not summed: only the first channel is used. out[f] = Σ_c correlate(image[c], kernel[f, c]) + b[f].",
                lambda c: _correlate(x[:, :1], w[:, :1], b, stride, pad) if channels > 1 else None),
        Mistake("高さと幅が入れ替わっています（出力が転置されています）。",
                "Height and width are swapped (your output is transposed).",
                lambda c: np.swapaxes(expected, -1, -2)),
    ]
    return expected, mistakes


def _conv2d_multi_mistakes(case):
    image, kernels, bias = case.args
    _, mistakes = _conv_mistakes(image[None], kernels, bias)
    channels_kept = Mistake(
        "チャネルの和を取っていません: 出力にチャネルの軸が残っています。(F, OH, OW) を返すように、チャネルについて足し合わせてください。",
        "The channels are not summed: your output still has a channel axis. Sum over the channels to return (F, OH, OW).",
        lambda c: _per_channel(image, kernels, bias))
    return [_squeeze_batch(m) for m in mistakes] + [channels_kept]


def _per_channel(image, kernels, bias):
    # What a student gets when the sum over channels is missing: (F, C, OH, OW), bias included.
    return np.stack([_correlate(image[None, c:c + 1], kernels[:, c:c + 1], bias)[0, :, ] for c in range(image.shape[0])], axis=1)


def _squeeze_batch(mistake):
    def wrong(case):
        out = mistake.wrong(case)
        return None if out is None else out[0]
    return Mistake(mistake.ja, mistake.en, wrong)


@_public
def check_conv2d_multi(conv2d_multi, seed=None):
    """Check ``conv2d_multi(image (C, H, W), kernels (F, C, KH, KW), bias (F,)) -> (F, OH, OW)``."""
    _run("conv2d_multi", conv2d_multi, _conv2d_multi_cases(seed),
         lambda c: _multi(*c.args), _conv2d_multi_mistakes)


def _relu_cases(seed):
    rng = np.random.default_rng(2)
    cases = [
        Case("1 次元: [-2, -1, 0, 1, 2]", "1-D: [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("2 次元の特徴マップ", "a 2-D feature map", (_random_array(rng, (3, 4)),)),
        Case("4 次元のバッチ (N, C, H, W)", "a 4-D batch (N, C, H, W)", (_random_array(rng, (2, 3, 4, 5)),)),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな 3 次元", "random 3-D", (rng.normal(size=(4, 3, 5)),)))
        cases.append(Case("float32 の入力", "float32 input", (rng.normal(size=(6, 7)).astype(np.float32),)))
    return cases


def _relu_mistakes(case):
    (x,) = case.args
    return [
        Mistake("絶対値になっています。ReLU は負の値を 0 にします: max(0, x)。",
                "You returned the absolute value; ReLU sets negative values to 0: max(0, x).", lambda c: np.abs(x)),
        Mistake("x > 0 の真偽（0 と 1）を返しています。値そのものを返してください: np.maximum(x, 0)。",
                "You returned the mask x > 0 (zeros and ones); return the values: np.maximum(x, 0).",
                lambda c: (x > 0).astype(float)),
        Mistake("負の側を残しています（min(0, x)）。ReLU は max(0, x) です。",
                "You kept the negative part (min(0, x)); ReLU is max(0, x).", lambda c: np.minimum(x, 0)),
    ]


@_public
def check_relu(relu, seed=None):
    """Check ``relu(x)``: elementwise max(0, x) for any shape."""
    _run("relu", relu, _relu_cases(seed), lambda c: np.maximum(c.args[0], 0), _relu_mistakes)


# ---------------------------------------------------------------------------------------------
# 02_padding_stride


def _output_size_reference(in_size, kernel_size, stride=1, pad=0):
    return (in_size + 2 * pad - kernel_size) // stride + 1


_OUTPUT_SIZE_CASES = [
    # (in_size, kernel_size, stride, pad), why the case is there
    ((4, 3, 1, 0), "講義の例: 4×4 の入力に 3×3 のフィルタ", "the lecture's example: 4x4 input, 3x3 kernel"),
    ((4, 3, 1, 1), "パディング 1 でサイズが保たれる", "pad 1 keeps the size"),
    ((7, 3, 2, 0), "ストライド 2", "stride 2"),
    ((28, 5, 1, 2), "28×28 の画像、5×5 のフィルタ、パディング 2", "a 28x28 image, 5x5 kernel, pad 2"),
    ((7, 3, 3, 1), "ストライド 3 とパディング 1", "stride 3 with pad 1"),
    ((8, 3, 2, 0), "割り切れないとき（切り捨て）", "not divisible: floor"),
    ((5, 5, 1, 0), "フィルタが入力とちょうど同じ大きさ", "kernel exactly as big as the input"),
    ((3, 5, 1, 1), "パディングしてちょうど入る", "fits only thanks to the padding"),
]

_OUTPUT_SIZE_BAD = [
    ((3, 5, 1, 0), "フィルタ (5) がパディングした入力 (3) より大きい", "the kernel (5) is larger than the padded input (3)"),
    ((4, 3, 0, 0), "ストライド 0", "stride 0"),
    ((4, 3, -1, 0), "負のストライド", "a negative stride"),
]


@_public
def check_output_size(output_size, seed=None):
    """Check ``output_size(in_size, kernel_size, stride=1, pad=0)``: int, or ValueError when it cannot fit."""
    name = "output_size"
    _require_function(output_size, name, ("stride", "pad"))
    cases = list(_OUTPUT_SIZE_CASES)
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(20):
            k, s, p = int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(0, 4))
            n = int(rng.integers(max(1, k - 2 * p), 40))
            cases.append(((n, k, s, p), "ランダムな組み合わせ", "a random combination"))
    wrong_cases = []
    for (n, k, s, p), ja, en in cases:
        case = Case(ja, en, (n, k), {"stride": s, "pad": p})
        value = _as_int(name, case, _call(output_size, name, case))
        if value != _output_size_reference(n, k, s, p):
            wrong_cases.append((case, value))
    if wrong_cases:
        raise _Failure(_explain_output_size(name, wrong_cases))
    for (n, k, s, p), ja, en in _OUTPUT_SIZE_BAD:
        _expect_value_error(output_size, name, Case(ja, en, (n, k), {"stride": s, "pad": p}))
    print(tr(ja=f"✓ {name}: すべてのケースで正解です。", en=f"✓ {name}: all cases passed."))


_OUTPUT_SIZE_MISTAKES = [
    (lambda n, k, s, p: (n + 2 * p - k) // s,
     "最後の +1 を忘れています: OH = (H + 2·P − K) // S + 1。最初の位置の分を足します。",
     "The +1 is missing: OH = (H + 2·P − K) // S + 1 — the first window position counts too."),
    (lambda n, k, s, p: (n + p - k) // s + 1,
     "パディングを片側分しか数えていません: 上下（左右）両方に付くので 2·P です。",
     "The padding is counted once: it goes on both sides, so it is 2·P."),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
     "切り上げています。はみ出す位置にはフィルタを置けないので、切り捨て（//）です。",
     "You rounded up: a window that would run past the edge does not count, so use floor division (//)."),
    (lambda n, k, s, p: n + 2 * p - k + 1,
     "ストライドが無視されています: (H + 2·P − K) を S で割ります。",
     "The stride is ignored: divide (H + 2·P − K) by S."),
    (lambda n, k, s, p: (n - 2 * p - k) // s + 1,
     "パディングを引いています。パディングは入力を大きくするので + 2·P です。",
     "You subtracted the padding; padding makes the input larger: + 2·P."),
]


def _explain_output_size(name, wrong_cases):
    def fits(formula, case, value):
        return formula(*case.args, case.kwargs["stride"], case.kwargs["pad"]) == value

    case, value = wrong_cases[0]
    candidates = [m for m in _OUTPUT_SIZE_MISTAKES if fits(m[0], case, value)]
    consistent = [m for m in candidates if all(fits(m[0], c, v) for c, v in wrong_cases[1:])]
    chosen = (consistent or candidates or [None])[0]
    hint = (tr(ja=chosen[1], en=chosen[2]) if chosen else
            tr(ja="式は OH = (H + 2·P − K) // S + 1 です。", en="The formula is OH = (H + 2·P − K) // S + 1."))
    expected = _output_size_reference(*case.args, case.kwargs["stride"], case.kwargs["pad"])
    return tr(
        ja=f"{name} の答えが違います: 期待 {expected}、あなたの値 {value}。ケース: {case.describe()}。\n  {hint}",
        en=f"{name} gave a wrong answer: expected {expected}, got {value}. Case: {case.describe()}.\n  {hint}")


def _as_int(name, case, got):
    if got is None:
        raise _Failure(tr(ja=f"{name} が None を返しました。`return` を書き忘れていませんか？",
                          en=f"{name} returned None: did you forget `return`?"))
    if isinstance(got, (float, np.floating)):
        raise _Failure(tr(
            ja=f"{name} は整数を返してください（{got!r} が返されました）。/ ではなく // を使うと整数になります。ケース: {case.describe()}。",
            en=f"{name} must return an int, got {got!r}: use // instead of /. Case: {case.describe()}."))
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        raise _Failure(tr(ja=f"{name} は整数を返してください（{type(got).__name__} が返されました）。",
                          en=f"{name} must return an int, not {type(got).__name__}."))
    return int(operator.index(got))


def _expect_value_error(fn, name, case):
    args = case.args
    try:
        with _Timer(time_limit()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = fn(*args, **case.kwargs)
    except ValueError:
        return
    except _OutOfTime:
        limit = time_limit()
        raise _Failure(tr(ja=f"{name} が {limit:g} 秒たっても終わりません（{case.describe()}）。",
                          en=f"{name} did not finish within {limit:g} s ({case.describe()}).")) from None
    except NotImplementedError:
        raise _Failure(tr(ja=f"{name} はまだ実装されていません。", en=f"{name} is not implemented yet.")) from None
    except Exception as error:
        raise _Failure(tr(
            ja=f"{name} は ValueError を出すべきところで {type(error).__name__} を出しました（{case.describe()}）。自分で確かめて raise ValueError(\"...\") と書いてください。",
            en=f"{name} raised {type(error).__name__} where it should raise ValueError ({case.describe()}). Check the input yourself and `raise ValueError(\"...\")`.")) from None
    raise _Failure(tr(
        ja=f"{name} は ValueError を出すべきです: {case.describe()}。あなたの関数は {got!r} を返しました。フィルタが入らないとき、ストライドが 1 未満のときは raise ValueError(...) してください。",
        en=f"{name} should raise ValueError: {case.describe()}. Yours returned {got!r}. When the kernel does not fit or the stride is below 1, raise ValueError(...)."))


def _zero_pad_cases(seed):
    rng = np.random.default_rng(3)
    cases = [
        Case("講義の例: 4×4 の入力をパディング 1 で 6×6 に", "the lecture's example: 4x4 padded by 1 to 6x6", (WORKED_IMAGE, 1)),
        Case("3 次元 (C, H, W)、パディング 2", "3-D (C, H, W), pad 2", (_random_array(rng, (2, 3, 4)), 2)),
        Case("4 次元 (N, C, H, W)、パディング 1", "4-D (N, C, H, W), pad 1", (_random_array(rng, (2, 3, 4, 5)), 1)),
        Case("パディング 0（そのまま）", "pad 0 (unchanged)", (_random_array(rng, (3, 2)), 0)),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for ndim in (2, 3, 4):
            shape = tuple(int(s) for s in rng.integers(1, 6, size=ndim))
            cases.append(Case("ランダム", "random", (rng.normal(size=shape).astype(np.float32), int(rng.integers(1, 4)))))
    return cases


def _zero_pad_mistakes(case):
    x, pad = case.args
    wide = [(pad, pad)] * x.ndim
    return [
        Mistake("バッチやチャネルの軸までパディングしています。パディングは最後の 2 軸（H, W）だけ: np.pad(x, [(0, 0)] * (x.ndim − 2) + [(pad, pad), (pad, pad)])。",
                "You padded the batch/channel axes too. Pad only the last two axes (H, W): np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]).",
                lambda c: np.pad(x, wide) if x.ndim > 2 and pad else None),
        Mistake("片側にしかパディングしていません（下と右だけ）。上下左右すべてに pad 個の 0 を付けます。",
                "You padded one side only (bottom and right). Add pad zeros on every side: top, bottom, left and right.",
                lambda c: _pad(x, pad, sides=(0, 1))),
        Mistake("片側にしかパディングしていません（上と左だけ）。上下左右すべてに pad 個の 0 を付けます。",
                "You padded one side only (top and left). Add pad zeros on every side: top, bottom, left and right.",
                lambda c: _pad(x, pad, sides=(1, 0))),
        Mistake("片側にしかパディングしていません（下と右に 2·pad 個）。x は真ん中、out[..., pad:pad+H, pad:pad+W] に置きます。",
                "You padded one side only (2·pad zeros at the bottom and right): x belongs in the middle, out[..., pad:pad+H, pad:pad+W] = x.",
                lambda c: _pad(x, pad, sides=(0, 2)) if pad else None),
        Mistake("パディングの値が 0 ではありません（端の値をコピーしています）。ゼロパディングでは周りを 0 で埋めます。",
                "Your padding is not zeros (it copies the edge values). Zero padding fills the border with 0.",
                lambda c: _pad(x, pad, mode="edge") if pad else None),
        Mistake("パディングの値が 0 ではありません（1 で埋めています）。ゼロパディングでは周りを 0 で埋めます。",
                "Your padding is not zeros (you filled it with 1). Zero padding fills the border with 0.",
                lambda c: _pad(x, pad, value=1.0) if pad else None),
        Mistake("パディングの幅が 2 倍です: 各辺に pad 個（合計で 2·pad）です。",
                "Your padding is twice too wide: pad zeros on each side (2·pad in total per axis).",
                lambda c: _pad(x, 2 * pad) if pad else None),
        Mistake("高さだけパディングしています。幅の方向にも付けてください。",
                "You padded the height only; pad the width too.",
                lambda c: np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (0, 0)]) if pad else None),
        Mistake("幅だけパディングしています。高さの方向にも付けてください。",
                "You padded the width only; pad the height too.",
                lambda c: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)]) if pad else None),
    ]


@_public
def check_zero_pad(zero_pad, seed=None):
    """Check ``zero_pad(x, pad)``: zeros around the last two axes of an array of 2 or more dims."""
    _run("zero_pad", zero_pad, _zero_pad_cases(seed), lambda c: _pad(*c.args), _zero_pad_mistakes)


def _conv_forward_cases(seed):
    rng = np.random.default_rng(4)
    cases = [
        Case("講義の計算例（N=1, C=1, F=1）", "the lecture's worked example (N=1, C=1, F=1)",
             (WORKED_IMAGE[None, None], WORKED_KERNEL[None, None], np.zeros(1))),
        Case("パディング 1（講義の例: 出力は 4×4、左上は 3）", "pad 1 (the lecture's example: 4x4 output, top-left 3)",
             (WORKED_IMAGE[None, None], WORKED_KERNEL[None, None], np.zeros(1)), {"stride": 1, "pad": 1}),
        Case("3 チャネル・2 フィルタ・バイアス", "3 channels, 2 filters, biases",
             (_random_array(rng, (1, 3, 5, 5)), _random_array(rng, (2, 3, 3, 3)), np.array([0.5, -1.25]))),
        Case("ストライド 2", "stride 2",
             (_random_array(rng, (1, 2, 7, 7)), _random_array(rng, (2, 2, 3, 3)), np.array([0.25, 1.0])), {"stride": 2, "pad": 0}),
        Case("バッチ N=3", "a batch of N=3",
             (_random_array(rng, (3, 2, 5, 4)), _random_array(rng, (2, 2, 2, 2)), np.array([1.0, -0.5]))),
        Case("パディング 2 とストライド 3、縦長の画像と横長のフィルタ", "pad 2 and stride 3, a tall image and a wide kernel",
             (_random_array(rng, (2, 2, 8, 5)), _random_array(rng, (3, 2, 2, 3)), np.array([0.5, -0.25, 1.0])), {"stride": 3, "pad": 2}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            n, c, f = rng.integers(1, 4, size=3)
            h, w = rng.integers(4, 10, size=2)
            kh, kw = rng.integers(1, 4, size=2)
            stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
            cases.append(Case("ランダムな小数", "random floats",
                              (rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)),
                              {"stride": stride, "pad": pad}))
    return cases


def _conv_forward_mistakes(case):
    x, w, b = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    expected, mistakes = _conv_mistakes(x, w, b, stride, pad)
    oh, ow = expected.shape[-2:]
    if stride > 1:
        mistakes += [
            Mistake(f"ストライドが無視されています: 窓を 1 ずつずらしています。窓の左上は (i·{stride}, j·{stride}) です。",
                    f"The stride is ignored: your window moves one step at a time. Window (i, j) starts at (i·{stride}, j·{stride}).",
                    lambda c: _correlate(x, w, b, 1, pad)),
            Mistake(f"ストライドを出力の大きさにだけ使っています: 窓の位置にも掛けて、入力の [i·{stride} : i·{stride} + KH] を使います。",
                    f"The stride shrinks the output but not the window's step: window (i, j) starts at input row i·{stride}, column j·{stride}.",
                    lambda c: _correlate(x, w, b, 1, pad)[..., :oh, :ow]),
        ]
    if pad:
        mistakes += [
            Mistake("パディングが無視されています。先に上下左右を 0 で埋めてから畳み込みます。",
                    "The padding is ignored: pad the input with zeros on every side first, then convolve.",
                    lambda c: _correlate(x, w, b, stride, 0)),
            Mistake("片側にしかパディングしていません（下と右に 2·pad）。上下左右に pad 個ずつです。",
                    "You padded one side only (2·pad at the bottom and right). Pad pad zeros on every side.",
                    lambda c: _correlate(_pad(x, pad, sides=(0, 2)), w, b, stride, 0)),
            Mistake("片側にしかパディングしていません（上と左に 2·pad）。上下左右に pad 個ずつです。",
                    "You padded one side only (2·pad at the top and left). Pad pad zeros on every side.",
                    lambda c: _correlate(_pad(x, pad, sides=(2, 0)), w, b, stride, 0)),
            Mistake("パディングの値が 0 ではありません（端の値をコピーしています）。ゼロパディングは 0 で埋めます。",
                    "Your padding is not zeros (it copies the edge values): zero padding fills with 0.",
                    lambda c: _correlate(_pad(x, pad, mode="edge"), w, b, stride, 0)),
            Mistake("パディングの値が 0 ではありません（1 で埋めています）。ゼロパディングは 0 で埋めます。",
                    "Your padding is not zeros (you filled it with 1): zero padding fills with 0.",
                    lambda c: _correlate(_pad(x, pad, value=1.0), w, b, stride, 0)),
            Mistake("バッチやチャネルの軸までパディングしています。パディングは縦横の軸だけ: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))。",
                    "You padded the batch and channel axes too: padding goes on the height and width axes only, np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))).",
                    # Only computable for one channel, where NumPy broadcasts the extra channels.
                    lambda c: _correlate(np.pad(x, pad)[:x.shape[0]].sum(axis=1, keepdims=True), w, b, stride, 0) if x.shape[1] == 1 else None),
        ]
    if x.shape[0] > 1:
        mistakes.append(Mistake(
            "バッチのすべての画像に最初の画像の結果が入っています。n についてもループしてください（x[n]）。",
            "Every image in the batch got the first image's output: loop over n as well (x[n]).",
            lambda c: np.broadcast_to(expected[:1], expected.shape)))
        mistakes.append(Mistake(
            "出力の軸の順番が違います: (F, N, OH, OW) ではなく (N, F, OH, OW) です。",
            "Your output axes are in the wrong order: (N, F, OH, OW), not (F, N, OH, OW).",
            lambda c: np.swapaxes(expected, 0, 1)))
    return mistakes


@_public
def check_conv_forward(conv_forward, seed=None):
    """Check ``conv_forward(x (N, C, H, W), w (F, C, KH, KW), b (F,), stride=1, pad=0) -> (N, F, OH, OW)``."""
    _run("conv_forward", conv_forward, _conv_forward_cases(seed),
         lambda c: _correlate(*c.args, **c.kwargs), _conv_forward_mistakes, keywords=("stride", "pad"))


# ---------------------------------------------------------------------------------------------
# 03_im2col


def _windows(x, kh, kw, stride=1, pad=0):
    """x (N, C, H, W) -> every window as a view (N, C, OH, OW, KH, KW), zero padding first."""
    xp = _pad(np.asarray(x, dtype=np.float64), pad)
    return np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def _im2col(x, kh, kw, stride=1, pad=0):
    """x (N, C, H, W) -> (N*OH*OW, C*KH*KW): rows ordered by (n, oh, ow), columns by (c, kh, kw)."""
    return _table(_windows(x, kh, kw, stride, pad), (0, 2, 3, 1, 4, 5))


def _table(windows, axes):
    """The windows (N, C, OH, OW, KH, KW) laid out as rows x columns in the order of ``axes``:
    the first three make the rows, the last three the columns (the right order is 0, 2, 3, 1, 4, 5)."""
    moved = windows.transpose(axes)
    rows = int(np.prod(moved.shape[:3]))
    return moved.reshape(rows, -1)


def _im2col_cases(seed):
    rng = np.random.default_rng(8)
    cases = [
        Case("講義 01 の例: 4×4 の入力、3×3 の窓 → 4 行 × 9 列", "lecture 01's example: a 4x4 input, 3x3 windows -> 4 rows x 9 columns",
             (WORKED_IMAGE[None, None], 3, 3)),
        Case("講義の形の例: (10, 3, 7, 7)、5×5 の窓 → (90, 75)", "the lecture's shape example: (10, 3, 7, 7), 5x5 windows -> (90, 75)",
             (_random_array(rng, (10, 3, 7, 7)), 5, 5)),
        Case("2 チャネル、横長の 2×3 の窓（列の順番 c, kh, kw）", "2 channels, a wide 2x3 window (column order c, kh, kw)",
             (_random_array(rng, (1, 2, 4, 5)), 2, 3)),
        Case("バッチ N=3、2 チャネル（行の順番 n, oh, ow）", "a batch of N=3, 2 channels (row order n, oh, ow)",
             (_random_array(rng, (3, 2, 4, 5)), 3, 2)),
        Case("ストライド 2", "stride 2", (_random_array(rng, (1, 2, 7, 7)), 3, 3), {"stride": 2, "pad": 0}),
        Case("パディング 1（講義 01 の例: 16 行 × 9 列）", "pad 1 (lecture 01's example: 16 rows x 9 columns)",
             (WORKED_IMAGE[None, None], 3, 3), {"stride": 1, "pad": 1}),
        Case("パディング 2 とストライド 3、N=2・2 チャネル、縦長の画像と横長の窓", "pad 2 and stride 3, N=2, 2 channels, a tall image and a wide window",
             (_random_array(rng, (2, 2, 8, 5)), 2, 3), {"stride": 3, "pad": 2}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            n, c = (int(v) for v in rng.integers(1, 4, size=2))
            h, w = (int(v) for v in rng.integers(4, 10, size=2))
            kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
            stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
            cases.append(Case("ランダムな小数", "random floats", (rng.normal(size=(n, c, h, w)), kh, kw),
                              {"stride": stride, "pad": pad}))
        cases.append(Case("float32 の入力", "float32 input", (rng.normal(size=(2, 3, 6, 5)).astype(np.float32), 3, 3),
                          {"stride": 1, "pad": 1}))
    return cases


def _im2col_mistakes(case):
    x, kh, kw = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    n, channels = x.shape[:2]
    windows = _windows(x, kh, kw, stride, pad)            # (N, C, OH, OW, KH, KW)
    oh, ow = windows.shape[2:4]
    expected = _table(windows, (0, 2, 3, 1, 4, 5))
    zerokara = windows.transpose(0, 1, 4, 5, 2, 3)        # (N, C, KH, KW, OH, OW), as in ゼロから作る
    return [
        Mistake("列の順番が (kh, kw, c) になっています。列は (c, kh, kw) の順: チャネル 0 の窓の KH·KW 個、次にチャネル 1、… です（transpose の軸の順番を確かめてください）。",
                "Your columns are ordered (kh, kw, c): they must be (c, kh, kw), the KH·KW numbers of channel 0's window first, then channel 1, ... (check the axes of your transpose).",
                lambda c: _table(windows, (0, 2, 3, 4, 5, 1)) if channels > 1 and kh * kw > 1 else None),
        Mistake("列の順番が (c, kw, kh) になっています: 窓を列ごとに読んでいます。窓は行ごとに（kh が外側、kw が内側）並べます。",
                "Your columns are ordered (c, kw, kh): you read each window column by column. Read it row by row (kh outer, kw inner).",
                lambda c: _table(windows, (0, 2, 3, 1, 5, 4)) if kh > 1 and kw > 1 else None),
        Mistake("行の順番が (oh, ow, n) になっています。行は (n, oh, ow) の順: 画像 0 のすべての位置、次に画像 1、… です。",
                "Your rows are ordered (oh, ow, n): they must be (n, oh, ow), every position of image 0 first, then image 1, ...",
                lambda c: _table(windows, (2, 3, 0, 1, 4, 5)) if n > 1 and oh * ow > 1 else None),
        Mistake("行の順番が (n, ow, oh) になっています（出力の縦と横が入れ替わっています）。行は (n, oh, ow)、出力の行 oh が外側です。",
                "Your rows are ordered (n, ow, oh) (output height and width swapped): they must be (n, oh, ow), the output row oh outside.",
                lambda c: _table(windows, (0, 3, 2, 1, 4, 5)) if oh > 1 and ow > 1 else None),
        Mistake("transpose をせずに reshape しています: (N, C, OH, OW, KH, KW) をそのまま (N·OH·OW, C·KH·KW) にすると、形は合っても中身が混ざります。先に軸を (N, OH, OW, C, KH, KW) の順に transpose してから reshape します。",
                "reshape without transpose: reshaping (N, C, OH, OW, KH, KW) straight to (N·OH·OW, C·KH·KW) gives the right shape but scrambled values. Move the axes to (N, OH, OW, C, KH, KW) with transpose first, then reshape.",
                lambda c: windows.reshape(n * oh * ow, -1)),
        Mistake("transpose をせずに reshape しています: (N, C, KH, KW, OH, OW) をそのまま (N·OH·OW, C·KH·KW) にすると、形は合っても中身が混ざります。先に transpose(0, 4, 5, 1, 2, 3) で (N, OH, OW, C, KH, KW) にしてから reshape します。",
                "reshape without transpose: reshaping (N, C, KH, KW, OH, OW) straight to (N·OH·OW, C·KH·KW) gives the right shape but scrambled values. transpose(0, 4, 5, 1, 2, 3) to (N, OH, OW, C, KH, KW) first, then reshape.",
                lambda c: zerokara.reshape(n * oh * ow, -1)),
        Mistake("結果が転置されています: 形 (C·KH·KW, N·OH·OW) ではなく (N·OH·OW, C·KH·KW)、窓 1 つが 1 行です。",
                "Your result is transposed: it must be (N·OH·OW, C·KH·KW), one window per row, not (C·KH·KW, N·OH·OW).",
                lambda c: expected.T),
        Mistake(f"ストライドが無視されています: 窓を 1 ずつずらしています。窓 (oh, ow) の左上は (oh·{stride}, ow·{stride}) で、OH = (H + 2·pad − KH) // stride + 1 です。",
                f"The stride is ignored: your window moves one step at a time. Window (oh, ow) starts at (oh·{stride}, ow·{stride}), and OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: _im2col(x, kh, kw, 1, pad) if stride > 1 else None),
        Mistake(f"ストライドを出力の大きさにだけ使っています: 窓の位置にも掛けて、窓 (oh, ow) は入力の (oh·{stride}, ow·{stride}) から始めます。",
                f"The stride shrinks the output but not the window's step: window (oh, ow) starts at input row oh·{stride}, column ow·{stride}.",
                lambda c: _table(_windows(x, kh, kw, 1, pad)[:, :, :oh, :ow], (0, 2, 3, 1, 4, 5)) if stride > 1 else None),
        Mistake("パディングが無視されています。先に縦横の上下左右を pad 個の 0 で埋めてから窓を取り出します。",
                "The padding is ignored: pad the height and width with pad zeros on every side first, then take the windows.",
                lambda c: _im2col(x, kh, kw, stride, 0) if pad else None),
        Mistake("バッチやチャネルの軸までパディングしています。パディングは縦横の軸だけ: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))。",
                "You padded the batch and channel axes too: padding goes on the height and width axes only, np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))).",
                lambda c: _im2col(np.pad(np.asarray(x, dtype=np.float64), pad), kh, kw, stride, 0) if pad else None),
        Mistake("片側にしかパディングしていません（下と右に 2·pad）。上下左右に pad 個ずつです。",
                "You padded one side only (2·pad at the bottom and right). Pad pad zeros on every side.",
                lambda c: _im2col(_pad(np.asarray(x, dtype=np.float64), pad, sides=(0, 2)), kh, kw, stride, 0) if pad else None),
        Mistake("出力サイズが 1 小さく、最後の窓の行と列が足りません。OH = (H + 2·pad − KH) // stride + 1（+1 を忘れていませんか？）。",
                "The output size is off by one: the last row and column of windows are missing. OH = (H + 2·pad − KH) // stride + 1 (is the +1 missing?).",
                lambda c: _table(windows[:, :, :-1, :-1], (0, 2, 3, 1, 4, 5)) if oh > 1 and ow > 1 else None),
    ]


@_public
def check_im2col(im2col, seed=None):
    """Check ``im2col(x (N, C, H, W), kh, kw, stride=1, pad=0) -> (N*OH*OW, C*KH*KW)``: one window
    per row in (n, oh, ow) order, its numbers in (c, kh, kw) order."""
    _run("im2col", im2col, _im2col_cases(seed), lambda c: _im2col(*c.args, **c.kwargs), _im2col_mistakes,
         keywords=("stride", "pad"))


def _conv_forward_im2col_cases(seed):
    rng = np.random.default_rng(9)
    lecture = Case("講義の例: (10, 3, 7, 7) に 5×5 のフィルタ 2 枚 → (90, 75) @ (75, 2) → (10, 2, 3, 3)",
                   "the lecture's example: (10, 3, 7, 7) with two 5x5 filters -> (90, 75) @ (75, 2) -> (10, 2, 3, 3)",
                   (_random_array(rng, (10, 3, 7, 7)), _random_array(rng, (2, 3, 5, 5)), np.array([0.5, -0.5])))
    cases = _conv_forward_cases(seed)
    return cases[:1] + [lecture] + cases[1:]


def _conv_forward_im2col_mistakes(case):
    x, w, b = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    expected, shared = _conv_mistakes(x, w, b, stride, pad)
    n, f = expected.shape[:2]
    oh, ow = expected.shape[2:]
    channels, kh, kw = w.shape[1:]
    rows = expected.transpose(0, 2, 3, 1).reshape(n * oh * ow, f)      # the (N*OH*OW, F) product + b
    mistakes = [
        Mistake("reshape without transpose（transpose をせずに reshape）: 行列積の結果 (N·OH·OW, F) をそのまま (N, F, OH, OW) に reshape すると、形は合っても値が混ざります。"
                "行は (n, oh, ow) なので、まず reshape(N, OH, OW, F)、次に transpose(0, 3, 1, 2) です。",
                "reshape without transpose: reshaping the (N·OH·OW, F) product straight to (N, F, OH, OW) gives the right shape but scrambled values. "
                "Its rows are (n, oh, ow): reshape(N, OH, OW, F) first, then transpose(0, 3, 1, 2).",
                lambda c: rows.reshape(n, f, oh, ow) if f > 1 else None),
        Mistake("reshape without transpose（転置してから reshape）: (F, N·OH·OW) を (N, F, OH, OW) に reshape すると、画像とフィルタが混ざります。"
                "行列積の結果 (N·OH·OW, F) を reshape(N, OH, OW, F) して transpose(0, 3, 1, 2) します。",
                "reshape without transpose: reading the transposed product (F, N·OH·OW) as (N, F, OH, OW) mixes images and filters. "
                "Reshape the (N·OH·OW, F) product to (N, OH, OW, F), then transpose(0, 3, 1, 2).",
                lambda c: rows.T.reshape(n, f, oh, ow) if n > 1 and f > 1 else None),
        Mistake("出力の軸の順番が (N, OH, OW, F) のままです。transpose(0, 3, 1, 2) で (N, F, OH, OW) にします。",
                "Your output axes are (N, OH, OW, F): transpose(0, 3, 1, 2) to get (N, F, OH, OW).",
                lambda c: expected.transpose(0, 2, 3, 1)),
        Mistake("行列積の結果 (N·OH·OW, F) をそのまま返しています。reshape(N, OH, OW, F) して transpose(0, 3, 1, 2) で (N, F, OH, OW) にします。",
                "You returned the (N·OH·OW, F) product as it is: reshape it to (N, OH, OW, F), then transpose(0, 3, 1, 2) to (N, F, OH, OW).",
                lambda c: rows),
        Mistake("フィルタの reshape が違います: w.reshape(-1, F) はフィルタの値を混ぜてしまいます。フィルタ 1 枚を 1 行にする w.reshape(F, -1) を作り、その転置 .T (C·KH·KW, F) を掛けます。",
                "The filters are reshaped wrongly: w.reshape(-1, F) scrambles their numbers. Make one filter per row with w.reshape(F, -1), then multiply by its transpose .T, (C·KH·KW, F).",
                lambda c: _correlate(x, w.reshape(-1, f).T.reshape(w.shape), b, stride, pad) if f > 1 else None),
        Mistake("im2col の列の順番と、w.reshape(F, -1) の順番が合っていません（im2col の列が (kh, kw, c) になっています）。どちらも (c, kh, kw) の順にします: まず check_im2col を通してください。",
                "The columns of your im2col are not in the order of w.reshape(F, -1) (your im2col's columns are (kh, kw, c)). Both must be (c, kh, kw): make check_im2col pass first.",
                lambda c: _correlate(x, w.reshape(f, kh, kw, channels).transpose(0, 3, 1, 2), b, stride, pad)
                if channels > 1 and kh * kw > 1 else None),
        Mistake(f"ストライドが無視されています: im2col に stride={stride} を渡し、OH = (H + 2·pad − KH) // stride + 1 にも使ってください。",
                f"The stride is ignored: pass stride={stride} to im2col, and use it in OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: _correlate(x, w, b, 1, pad) if stride > 1 else None),
        Mistake(f"パディングが無視されています: im2col に pad={pad} を渡し、OH = (H + 2·pad − KH) // stride + 1 にも使ってください。",
                f"The padding is ignored: pass pad={pad} to im2col, and use it in OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: _correlate(x, w, b, stride, 0) if pad else None),
        Mistake("出力の軸の順番が違います: (F, N, OH, OW) ではなく (N, F, OH, OW) です。",
                "Your output axes are in the wrong order: (N, F, OH, OW), not (F, N, OH, OW).",
                lambda c: np.swapaxes(expected, 0, 1) if n > 1 else None),
    ]
    return mistakes + shared


@_public
def check_conv_forward_im2col(conv_forward_im2col, seed=None):
    """Check ``conv_forward_im2col(x (N, C, H, W), w (F, C, KH, KW), b (F,), stride=1, pad=0) -> (N, F, OH, OW)``:
    the result of conv_forward (what is graded is the result; the exercise computes it with the
    student's own im2col and one matrix product)."""
    name = "conv_forward_im2col"
    try:
        _run(name, conv_forward_im2col, _conv_forward_im2col_cases(seed),
             lambda c: _correlate(*c.args, **c.kwargs), _conv_forward_im2col_mistakes, keywords=("stride", "pad"))
    except _Failure as failure:
        hint = ""
        if "cannot reshape" in str(failure):
            hint = tr(ja="im2col の表の行数が N·OH·OW と合っていません: im2col に stride と pad を渡し、OH, OW を同じ式で計算してください。\n  ",
                      en="The rows of the im2col table do not match N·OH·OW: pass stride and pad to im2col, and compute OH and OW with the same formula.\n  ")
        raise _Failure(str(failure) + "\n  " + hint + tr(
            ja="conv_forward_im2col はあなたの im2col を使います: check_im2col が通ることを先に確かめてください。",
            en="conv_forward_im2col uses your im2col: make sure check_im2col passes first.")) from None


# ---------------------------------------------------------------------------------------------
# 04_pooling and 05_softmax_cross_entropy

POOL_IMAGE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
# All windows negative, two of them below -1: a maximum that starts at 0 returns 0 there, and an
# int result (-1.25 -> -1) is told apart from it.
NEGATIVE_IMAGE = np.array([[-1.25, -2.0, -0.5, -1.75, -3.0, -1.5],
                           [-3.5, -1.5, -2.25, -0.75, -2.5, -4.0],
                           [-2.0, -2.75, -1.0, -3.25, -0.25, -1.0],
                           [-1.5, -4.5, -2.0, -1.5, -2.0, -3.75]])


def _pool(x, size=2, stride=2, reduce=np.max):
    """x (N, C, H, W) -> (N, C, OH, OW), ``reduce`` over each size x size window, OH = (H - size) // stride + 1."""
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(x, dtype=np.float64), (size, size), axis=(2, 3))
    return reduce(windows[:, :, ::stride, ::stride], axis=(-2, -1))


def _pool_rounding_up(x, size, stride, reduce):
    """What rounding the output size up gives: the windows at the far edge are cut short."""
    h, w = x.shape[-2:]
    oh, ow = -(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1
    if (oh - 1) * stride >= h or (ow - 1) * stride >= w:
        return None  # a window would start past the edge: such an answer raises instead
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, i * stride:i * stride + size, j * stride:j * stride + size], axis=(-2, -1))
    return out


def _pool_cases(seed):
    rng = np.random.default_rng(5)
    cases = [
        Case("講義の例 1（2×2、ストライド 2）", "the lecture's example 1 (2x2, stride 2)", (WORKED_IMAGE[None, None],)),
        Case("講義の例 2", "the lecture's example 2", (POOL_IMAGE[None, None],)),
        Case("2 チャネル（講義の 2 つの例を重ねたもの）", "2 channels (the lecture's two examples stacked)",
             (np.stack([WORKED_IMAGE, POOL_IMAGE])[None],)),
        Case("負の値だけ、横長の 4×6", "negative values only, a wide 4x6 map", (NEGATIVE_IMAGE[None, None],)),
        Case("バッチ N=2・3 チャネル・5×7（最後の行と列はどの窓にも入らない）",
             "a batch of N=2, 3 channels, 5x7 (the last row and column fall in no window)",
             (_random_array(rng, (2, 3, 5, 7)),)),
        Case("窓 3×3、ストライド 2（窓が重なる）", "3x3 windows, stride 2 (overlapping)",
             (_random_array(rng, (1, 2, 7, 6)),), {"size": 3, "stride": 2}),
        Case("窓 2×2、ストライド 1（窓が重なる）", "2x2 windows, stride 1 (overlapping)",
             (_random_array(rng, (2, 1, 4, 5)),), {"size": 2, "stride": 1}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな小数、N=3・C=2・窓 3・ストライド 3", "random floats, N=3, C=2, size 3, stride 3",
                          (rng.normal(size=(3, 2, 8, 10)),), {"size": 3, "stride": 3}))
        cases.append(Case("float32 の入力", "float32 input", (rng.normal(size=(2, 3, 6, 6)).astype(np.float32),)))
        cases.append(Case("負の値だけ（ランダム）", "negative values only (random)",
                          (-np.abs(rng.normal(size=(1, 2, 5, 4))) - 0.5,), {"size": 2, "stride": 1}))
        for _ in range(3):
            size, stride = int(rng.integers(1, 5)), int(rng.integers(1, 5))
            n, c = (int(v) for v in rng.integers(1, 4, size=2))
            h, w = (int(v) for v in rng.integers(size, size + 8, size=2))
            cases.append(Case("ランダムな組み合わせ", "a random combination",
                              (rng.normal(size=(n, c, h, w)),), {"size": size, "stride": stride}))
    return cases


def _pool_mistakes(case, reduce):
    """Mistakes shared by max and average pooling; ``reduce`` is np.max or np.mean."""
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected = _pool(x, size, stride, reduce)
    oh, ow = expected.shape[-2:]
    n, channels = x.shape[:2]
    mistakes = [
        Mistake(f"ストライドが無視されています: 窓を 1 ずつずらしています。窓 (i, j) の左上は入力の (i·{stride}, j·{stride}) です。",
                f"The stride is ignored: your window moves one step at a time. Window (i, j) starts at input row i·{stride}, column j·{stride}.",
                lambda c: _pool(x, size, 1, reduce) if stride != 1 else None),
        Mistake(f"ストライドが無視されています: 窓を窓の大きさ（{size}）ずつずらしています。ずらす幅は stride = {stride} です。",
                f"The stride is ignored: your windows step by the window size ({size}), not by stride = {stride}.",
                lambda c: _pool(x, size, size, reduce) if stride != size else None),
        Mistake(f"ストライドを出力の大きさにだけ使っています: 窓の位置にも掛けて、入力の [i·{stride} : i·{stride} + size] を使います。",
                f"The stride is ignored where the window starts (it only sets the output size): window (i, j) covers input rows i·{stride} to i·{stride} + size.",
                lambda c: _pool(x, size, 1, reduce)[..., :oh, :ow] if stride != 1 else None),
        Mistake("チャネルが混ざっています: チャネルもまとめてプーリングしています。チャネルごとに別々に、窓の中（縦と横）だけでまとめます。",
                "The channels are mixed: you pooled across the channels too. Pool each channel on its own, over the window's height and width only.",
                lambda c: np.broadcast_to(reduce(_pool(x, size, stride, reduce), axis=1, keepdims=True), expected.shape)
                if channels > 1 else None),
        Mistake("高さと幅が入れ替わっています（出力が転置されています）。out[..., i, j] の i は行（高さ）、j は列（幅）です。",
                "Height and width are swapped (your output is transposed): in out[..., i, j], i is the row (height), j the column (width).",
                lambda c: np.swapaxes(expected, -1, -2) if oh > 1 or ow > 1 else None),
        Mistake("出力サイズが 1 ずれています: 最後の行と列が足りません。OH = (H − size) // stride + 1（+1 を忘れていませんか？）。",
                "The output size is off by one: the last row and column are missing. OH = (H − size) // stride + 1 (is the +1 missing?).",
                lambda c: expected[..., :-1, :-1] if oh > 1 and ow > 1 else None),
        Mistake("出力サイズを切り上げています: 端からはみ出す窓は数えません。OH = (H − size) // stride + 1（切り捨て）です。",
                "You rounded the output size up: a window that runs past the edge does not count. OH = (H − size) // stride + 1 (floor division).",
                lambda c: _pool_rounding_up(x, size, stride, reduce)
                if (x.shape[2] - size) % stride or (x.shape[3] - size) % stride else None),
        Mistake("バッチのすべての画像に最初の画像の結果が入っています。n についてもループしてください（x[n]）。",
                "Every image in the batch got the first image's result: loop over n as well (x[n]).",
                lambda c: np.broadcast_to(expected[:1], expected.shape) if n > 1 else None),
        Mistake("すべてのチャネルに最初のチャネルの結果が入っています。c についてもループしてください（x[n, c]）。",
                "Every channel got the first channel's result: loop over the channels c as well (x[n, c]).",
                lambda c: np.broadcast_to(expected[:, :1], expected.shape) if channels > 1 else None),
    ]
    return expected, mistakes


def _max_pool_mistakes(case):
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected, mistakes = _pool_mistakes(case, np.max)
    return [
        Mistake("最大値ではなく平均を取っています（平均プーリング）。最大プーリングは窓の中の一番大きい値です: window.max()。",
                "You took the mean (average pooling): max pooling keeps the largest value of each window, window.max().",
                lambda c: _pool(x, size, stride, np.mean)),
        Mistake("最大値を 0 から始めています: 窓の値がすべて負だと 0 が残ります。最大値は窓の値から始めてください（window.max() や -np.inf から）。",
                "Your maximum starts at 0, so a window of negative values gives 0: start from the window's own values (window.max(), or -np.inf).",
                lambda c: np.maximum(expected, 0) if np.any(expected < 0) else None),
    ] + mistakes


def _avg_pool_mistakes(case):
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected, mistakes = _pool_mistakes(case, np.mean)
    return [
        Mistake("平均ではなく最大値を取っています（最大プーリング）。平均プーリングは窓の中の平均です: window.mean()。",
                "You took the maximum (max pooling): average pooling keeps the mean of each window, window.mean().",
                lambda c: _pool(x, size, stride, np.max)),
        Mistake(f"平均ではなく合計になっています。窓の要素の数 size·size = {size * size} で割ってください。",
                f"You returned the window's sum, not its mean: divide by the number of elements, size·size = {size * size}.",
                lambda c: expected * size * size if size > 1 else None),
        Mistake(f"size·size = {size * size} ではなく size = {size} で割っています。窓には size·size 個の要素があります。",
                f"You divided by size = {size} instead of size·size = {size * size}: a window holds size·size elements.",
                lambda c: expected * size if size > 1 else None),
    ] + mistakes


@_public
def check_max_pool_forward(max_pool_forward, seed=None):
    """Check ``max_pool_forward(x (N, C, H, W), size=2, stride=2) -> (N, C, OH, OW)``: the maximum of each window, per channel."""
    _run("max_pool_forward", max_pool_forward, _pool_cases(seed),
         lambda c: _pool(*c.args, **c.kwargs, reduce=np.max), _max_pool_mistakes, keywords=("size", "stride"))


@_public
def check_avg_pool_forward(avg_pool_forward, seed=None):
    """Check ``avg_pool_forward(x (N, C, H, W), size=2, stride=2) -> (N, C, OH, OW)``: the mean of each window, per channel."""
    _run("avg_pool_forward", avg_pool_forward, _pool_cases(seed),
         lambda c: _pool(*c.args, **c.kwargs, reduce=np.mean), _avg_pool_mistakes, keywords=("size", "stride"))


def _run_values(name, fn, cases, expected, mistakes, convert, error_hint):
    """``_run`` for answers that may be a number and may be nan or inf.

    ``convert(name, case, result)`` turns the result into a float array; ``error_hint(case,
    message)`` adds to the message of an answer that raised. A mistake that predicts nan or inf
    (overflow) is matched position by position, which ``_close`` cannot do.
    """
    _require_function(fn, name)
    wrong_cases, first_dtype = [], None
    for case in cases:
        try:
            result = _call(fn, name, case)
        except _Failure as failure:
            if wrong_cases:
                break
            raise _Failure(str(failure) + error_hint(case, str(failure))) from None
        got = convert(name, case, result)
        want = np.asarray(expected(case), dtype=np.float64)
        if not _close(got, want):
            first_dtype = first_dtype if wrong_cases else np.asarray(result).dtype
            wrong_cases.append((case, got, want))
    if wrong_cases:
        case, got, want = wrong_cases[0]
        if not np.all(np.isfinite(got)):
            for mistake in mistakes(case):
                if _same_non_finite(got, mistake.wrong(case)):
                    raise _Failure(_value_message(name, case, got, want, mistake.text()))
        if got.ndim == want.ndim == 0:
            mistake = _diagnose(wrong_cases, mistakes)
            raise _Failure(_value_message(name, case, got, want, mistake.text() if mistake else None))
        raise _Failure(_explain(name, wrong_cases, first_dtype, mistakes))
    print(tr(ja=f"✓ {name}: {len(cases)} ケースすべて正解です。", en=f"✓ {name}: all {len(cases)} cases passed."))


def _value_message(name, case, got, want, hint):
    """``_wrong_message``, with a single number said as one (no index, no count)."""
    if got.ndim or want.ndim:
        return _wrong_message(name, case, got, want, hint)
    if hint is None and not np.isfinite(got):
        hint = tr(ja="結果が nan か inf です。", en="Your result is nan or inf.")
    head = tr(ja=f"{name} の答えが違います: 期待 {float(want):.6g}、あなたの値 {float(got):.6g}。ケース: {case.describe()}。",
              en=f"{name} gave a wrong answer: expected {float(want):.6g}, got {float(got):.6g}. Case: {case.describe()}.")
    return head + (f"\n  {hint}" if hint else "")


def _same_non_finite(got, wrong):
    """``got`` is nan/inf exactly where ``wrong`` is, and close to it everywhere else."""
    if wrong is None:
        return False
    wrong = np.asarray(wrong, dtype=np.float64)
    finite = np.isfinite(wrong)
    return (got.shape == wrong.shape and not finite.all() and np.array_equal(np.isfinite(got), finite)
            and _close(got[finite], wrong[finite]))


def _softmax(z):
    shifted = np.asarray(z, dtype=np.float64) - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_cases(seed):
    rng = np.random.default_rng(6)
    cases = [
        Case("講義の例: ロジット (2.0, 1.0, 0.1) → (0.659, 0.242, 0.099)", "the lecture's example: logits (2.0, 1.0, 0.1) -> (0.659, 0.242, 0.099)",
             (np.array([2.0, 1.0, 0.1]),)),
        Case("2 次元: 3 枚の画像 × 3 クラス（行ごとに）", "2-D: 3 images x 3 classes (row by row)", (_random_array(rng, (3, 3)) * 2,)),
        Case("2 次元: 3 枚 × 4 クラス（正方形でない）", "2-D: 3 images x 4 classes (not square)", (_random_array(rng, (3, 4)),)),
        Case("大きなロジット (1010, 1000, 990)", "large logits (1010, 1000, 990)", (np.array([1010.0, 1000.0, 990.0]),)),
        Case("大きさのまったく違う行: (1000, 999, 998) と (−1000, −1001, −1002)", "rows of very different size: (1000, 999, 998) and (-1000, -1001, -1002)",
             (np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]),)),
        Case("1 次元: 10 クラス", "1-D: 10 classes", (_random_array(rng, (10,)),)),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな 2 次元", "random 2-D", (rng.normal(size=(5, 7)) * 3,)))
        cases.append(Case("行ごとに大きくずれたロジット", "logits shifted far per row",
                          (rng.normal(size=(4, 6)) + rng.uniform(-900, 900, size=(4, 1)),)))
        cases.append(Case("float32 の入力", "float32 input", (rng.normal(size=(6, 4)).astype(np.float32) * 4,)))
        cases.append(Case("ランダムな 1 次元（大きなロジット）", "random 1-D (large logits)", (rng.normal(size=8) * 3 + 2000,)))
        cases.append(Case("1 クラス（確率は 1）", "one class (probability 1)", (rng.normal(size=(3, 1)),)))
    return cases


def _softmax_mistakes(case):
    (z,) = case.args
    z = np.asarray(z, dtype=np.float64)

    def naive(c):
        with np.errstate(all="ignore"):  # the overflow is the point
            e = np.exp(z)
            return e / e.sum(axis=-1, keepdims=True)

    def global_max(c):
        with np.errstate(all="ignore"):  # 0 / 0 in the row far below the others
            e = np.exp(z - z.max())
            return e / e.sum(axis=-1, keepdims=True)

    def keepdims_lost(in_max, in_sum):
        def wrong(c):
            if z.ndim != 2 or z.shape[0] != z.shape[1]:
                return None  # other shapes raise a broadcasting error instead
            m = z.max(axis=-1, keepdims=not in_max)
            e = np.exp(z - m)
            return e / e.sum(axis=-1, keepdims=not in_sum)
        return wrong

    return [
        Mistake("softmax がオーバーフローしています（大きなロジット）: exp(1000) は inf になり、inf / inf は nan です。先に各行の最大値を引いてから exp します: np.exp(z − z.max(axis=−1, keepdims=True))。",
                "softmax overflows for large logits: exp(1000) is inf, and inf / inf is nan. Subtract each row's maximum before exp: np.exp(z - z.max(axis=-1, keepdims=True)).",
                naive),
        Mistake("配列全体の最大値を引いています。行ごとの最大値を引いてください: ほかの行よりずっと小さい行は exp がすべて 0 になり、0 / 0 = nan になります（z.max(axis=−1, keepdims=True)）。",
                "You subtracted the maximum of the whole array, not of each row: a row far below the others underflows to 0 / 0 = nan. Subtract z.max(axis=-1, keepdims=True).",
                global_max if z.ndim == 2 else lambda c: None),
        Mistake("正規化していません: exp を合計で割ると、確率（各行の合計が 1）になります。",
                "You did not normalise: divide the exponentials by their sum so that every row adds up to 1.",
                lambda c: np.exp(z - z.max(axis=-1, keepdims=True))),
        Mistake("正規化していません: exp を合計で割ると、確率（各行の合計が 1）になります。",
                "You did not normalise: divide the exponentials by their sum so that every row adds up to 1.",
                lambda c: np.exp(z) if z.max() < 700 else None),
        Mistake("違う軸で正規化しています（axis=0: 列ごと）。確率は最後の軸（axis=−1、クラス）で合計 1 にします。",
                "You normalised over the wrong axis (axis=0, down the columns): the probabilities of each row, the last axis (axis=-1), add up to 1.",
                lambda c: _softmax(z.T).T if z.ndim == 2 else None),
        Mistake("配列全体の合計で割っています。行ごとの合計で割ってください: e.sum(axis=−1, keepdims=True)。",
                "You divided by the sum of the whole array: divide by each row's sum, e.sum(axis=-1, keepdims=True).",
                lambda c: np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(z - z.max(axis=-1, keepdims=True)).sum()
                if z.ndim == 2 else None),
        Mistake("keepdims=True がありません（max）: z.max(axis=1) の形は (N,) なので、z − m は行ではなく列ごとに引かれます。z.max(axis=−1, keepdims=True) で (N, 1) にします。",
                "keepdims=True is missing in the max: z.max(axis=1) has shape (N,), so z - m subtracts along the columns, not the rows. Use z.max(axis=-1, keepdims=True), shape (N, 1).",
                keepdims_lost(True, False)),
        Mistake("keepdims=True がありません（sum）: e.sum(axis=1) の形は (N,) なので、行ではなく列ごとに割られます。e.sum(axis=−1, keepdims=True) で (N, 1) にします。",
                "keepdims=True is missing in the sum: e.sum(axis=1) has shape (N,), so e / s divides along the columns, not the rows. Use e.sum(axis=-1, keepdims=True), shape (N, 1).",
                keepdims_lost(False, True)),
        Mistake("keepdims=True がありません（max と sum）: 形 (N,) の値は列ごとに引かれ、割られます。keepdims=True で (N, 1) にします。",
                "keepdims=True is missing in the max and the sum: values of shape (N,) act along the columns, not the rows. Use keepdims=True, shape (N, 1).",
                keepdims_lost(True, True)),
    ]


def _softmax_error_hint(case, message):
    if "AxisError" in message and case.args[0].ndim == 1:
        return tr(ja=" 1 次元の入力には axis=1 がありません: 最後の軸 axis=−1 を使うと、1 次元でも 2 次元でも動きます。",
                  en=" A 1-D input has no axis 1: use the last axis, axis=-1, and it works for 1-D and 2-D input alike.")
    if "broadcast" in message:
        return tr(ja=" softmax では: keepdims=True を忘れていませんか？z.max(axis=−1, keepdims=True) は (N, 1) の形のまま (N, K) と計算できます。",
                  en=" In softmax: is keepdims=True missing? z.max(axis=-1, keepdims=True) keeps the shape (N, 1), which broadcasts against (N, K).")
    return ""


@_public
def check_softmax(softmax, seed=None):
    """Check ``softmax(z)`` along the last axis, for 1-D and 2-D input, finite for large logits."""
    _run_values("softmax", softmax, _softmax_cases(seed), lambda c: _softmax(c.args[0]), _softmax_mistakes,
                _as_float_array, _softmax_error_hint)


def _cross_entropy(probs, labels):
    """Mean over the batch of -log probs[n, true class]; labels int (N,) or one-hot (N, K)."""
    probs = np.asarray(probs, dtype=np.float64)
    classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
    return -np.mean(np.log(probs[np.arange(len(probs)), classes]))


def _probabilities(rng, n, k):
    """(probs (n, k), labels (n,)): rows add up to 1, no exact zeros, and the true class has at
    least 0.05 (then an epsilon of 1e-7 inside the log moves the loss by less than 2e-6)."""
    probs = rng.dirichlet(np.full(k, 2.0), size=n) * 0.9 + 0.1 / k
    labels = np.array([rng.choice(np.flatnonzero(row >= 0.05)) for row in probs])
    return probs, labels


def _cross_entropy_cases(seed):
    rng = np.random.default_rng(7)
    lecture = np.array([0.1, 0.05, 0.6, 0.01, 0.05, 0.07, 0.01, 0.09, 0.01, 0.01])
    two = np.stack([lecture, lecture])
    probs4, labels4 = _probabilities(rng, 4, 3)
    probs3, labels3 = _probabilities(rng, 3, 5)
    cases = [
        Case("1 枚、3 クラス: softmax(2.0, 1.0, 0.1) で正解は 0 → −log 0.659 = 0.417",
             "one image, 3 classes: softmax(2.0, 1.0, 0.1), answer 0 -> -log 0.659 = 0.417",
             (_softmax(np.array([[2.0, 1.0, 0.1]])), np.array([0]))),
        Case("2 枚、10 クラス、正解は 2 と 0（−log 0.6 と −log 0.1 の平均）",
             "two images, 10 classes, answers 2 and 0 (the mean of -log 0.6 and -log 0.1)",
             (two, np.array([2, 0]))),
        Case("同じ 2 枚、ラベルは one-hot (2, 10)", "the same two images, one-hot labels (2, 10)", (two, np.eye(10)[[2, 0]])),
        Case("4 枚、3 クラス、ラベルはクラス番号", "4 images, 3 classes, labels as class ids", (probs4, labels4)),
        Case("3 枚、5 クラス、ラベルは one-hot", "3 images, 5 classes, one-hot labels", (probs3, np.eye(5)[labels3])),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for one_hot in (False, True, False, True):
            n, k = int(rng.integers(2, 9)), int(rng.integers(2, 11))
            probs, labels = _probabilities(rng, n, k)
            cases.append(Case("ランダム（one-hot）" if one_hot else "ランダム（クラス番号）",
                              "random (one-hot)" if one_hot else "random (class ids)",
                              (probs, np.eye(k)[labels] if one_hot else labels)))
        probs, labels = _probabilities(rng, 6, 4)
        cases.append(Case("float32 の確率", "float32 probabilities", (probs.astype(np.float32), labels)))
    return cases


def _cross_entropy_mistakes(case):
    probs, labels = case.args
    n, k = probs.shape
    expected = _cross_entropy(probs, labels)
    classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
    true_p = probs[np.arange(n), classes]
    rows_by_label = labels.ndim == 1 and labels.max() < n  # else probs[labels] raises IndexError

    def as_one_hot(c):
        # int labels (N,) multiplied like one-hot vectors: NumPy broadcasts them along the classes
        if labels.ndim != 1 or n not in (1, k):
            return None
        return -np.sum(labels * np.log(probs)) / n

    return [
        Mistake(f"損失がバッチの平均ではなく合計です（{n} 倍）。画像の数 N で割ってください。",
                f"Your loss is the sum over the batch ({n} times the mean): divide by the number of images N.",
                lambda c: n * expected if n > 1 else None),
        Mistake(f"クラスについても平均しています（{k} で余計に割っています）。クラスについては合計 −Σ_k t_k log p_k、平均はバッチ（N）についてだけです。",
                f"You averaged over the classes too (an extra division by K = {k}): sum over the classes, −Σ_k t_k log p_k, and take the mean over the batch (N) only.",
                lambda c: expected / k),
        Mistake("符号が逆です（負の損失）。E = −Σ t·log p の先頭のマイナスを忘れていませんか？確率の log は負なので、損失は正になります。",
                "The sign is wrong (a negative loss): E = −Σ t·log p. The log of a probability is negative, so the loss is positive.",
                lambda c: -expected),
        Mistake("常用対数（log10）を使っています。クロスエントロピーは自然対数 np.log です。",
                "You used log10: the cross-entropy uses the natural log, np.log.",
                lambda c: expected / np.log(10)),
        Mistake("log2 を使っています。クロスエントロピーは自然対数 np.log です。",
                "You used log2: the cross-entropy uses the natural log, np.log.",
                lambda c: expected / np.log(2)),
        Mistake("probs[labels] は行を選びます。各画像の正解クラスの確率は probs[np.arange(N), labels] です。",
                "probs[labels] picks whole rows: the probability of each image's true class is probs[np.arange(N), labels].",
                lambda c: -np.mean(np.log(probs[labels])) if rows_by_label else None),
        Mistake("probs[labels] は行を選びます。各画像の正解クラスの確率は probs[np.arange(N), labels] です。",
                "probs[labels] picks whole rows: the probability of each image's true class is probs[np.arange(N), labels].",
                lambda c: -np.sum(np.log(probs[labels])) / n if rows_by_label else None),
        Mistake("クラス番号のラベル (N,) を one-hot のように掛けています。labels.ndim == 1 のときは probs[np.arange(N), labels] を使うか、np.eye(K)[labels] で one-hot にします。",
                "Your answer multiplies class-id labels (N,) as if they were one-hot: when labels.ndim == 1, use probs[np.arange(N), labels], or make them one-hot with np.eye(K)[labels].",
                as_one_hot),
        Mistake("画像ごとの損失を返しています（形 (N,)）。バッチの平均をとって 1 つの数を返してください。",
                "You returned one loss per image (shape (N,)): return a single number, their mean over the batch.",
                lambda c: -np.log(true_p) if n > 1 else None),
        Mistake("最初の画像の損失しか計算していません。すべての画像について平均してください。",
                "Only the first image's loss is computed: take the mean over every image in the batch.",
                lambda c: -np.log(true_p[0]) if n > 1 else None),
    ]


def _as_loss(name, case, result):
    """The student's loss as a 0-d float64 array (an array of several values is kept for the diagnosis)."""
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(())
    if isinstance(result, (bool, np.bool_)) or result is None or \
            not isinstance(result, (int, float, np.integer, np.floating, np.ndarray)):
        if result is None:
            raise _Failure(tr(ja=f"{name} が None を返しました。`return` を書き忘れていませんか？",
                              en=f"{name} returned None: did you forget `return`?"))
        raise _Failure(tr(ja=f"{name} は損失を 1 つの数（float）で返してください（{type(result).__name__} が返されました）。",
                          en=f"{name} must return the loss as one number (a float), not {type(result).__name__}."))
    if isinstance(result, np.ndarray) and not (np.issubdtype(result.dtype, np.floating) or np.issubdtype(result.dtype, np.integer)):
        raise _Failure(tr(ja=f"{name} の戻り値の dtype が {result.dtype} です。数（float）を返してください。",
                          en=f"{name} returned dtype {result.dtype}; return a number (a float)."))
    return np.array(result, dtype=np.float64)


def _one_hot_hint(labels, use_ja, use_en):
    """The hint for an error raised on one-hot labels; '' for class ids."""
    if np.ndim(labels) != 2:
        return ""
    return tr(ja=f" ラベルは one-hot (N, K) で来ることもあります: labels.ndim == 2 なら labels.argmax(axis=1) でクラス番号にするか、{use_ja}",
              en=f" Labels may also come one-hot, (N, K): when labels.ndim == 2, turn them into class ids with labels.argmax(axis=1), or {use_en}")


def _cross_entropy_error_hint(case, message):
    return _one_hot_hint(case.args[1], "−Σ t·log p をそのまま計算します。", "compute −Σ t·log p directly.")


@_public
def check_cross_entropy(cross_entropy, seed=None):
    """Check ``cross_entropy(probs (N, K), labels (N,) int or (N, K) one-hot)``: the mean over the batch of −Σ t·log p."""
    _run_values("cross_entropy", cross_entropy, _cross_entropy_cases(seed),
                lambda c: _cross_entropy(*c.args), _cross_entropy_mistakes, _as_loss, _cross_entropy_error_hint)



# ---------------------------------------------------------------------------------------------
# 06_backprop: gradients. A backward function may return several arrays (dx, dw, db); each one
# is compared and diagnosed on its own, and a student's exception on one case does not hide a
# named mistake on the next (a transposed product raises on one shape and is wrong on another).


@dataclass
class _PartMistake(Mistake):
    """A Mistake in one of the arrays a backward function returns (``part``: "dx", "dw" or "db")."""

    part: str = ""


def _part_label(name, part):
    return tr(ja=f"{name} の {part}", en=f"{part} of {name}")


def _student_raised(failure):
    """The failure is the student's own exception (not a time-out, a stub, a cnnlab call, an in-place change)."""
    cause = failure.__context__
    return isinstance(cause, Exception) and not isinstance(cause, (NotImplementedError, _Failure))


def _results(name, case, result, parts):
    """[(float64 array, its dtype)] for one array, or for each of the tuple's ``parts``."""
    if parts is None:
        return [(_as_float_array(name, case, result), getattr(result, "dtype", None))]
    if result is None:
        _as_float_array(name, case, result)
    names = ", ".join(parts)
    if not isinstance(result, (tuple, list)) or len(result) != len(parts):
        got = f"{len(result)}" if isinstance(result, (tuple, list)) else type(result).__name__
        raise _Failure(tr(ja=f"{name} は {len(parts)} つの配列をタプル ({names}) で返してください（返されたもの: {got}）。",
                          en=f"{name} must return the tuple ({names}) of {len(parts)} arrays (got: {got})."))
    return [(_as_float_array(_part_label(name, p), case, r), getattr(r, "dtype", None)) for p, r in zip(parts, result)]


def _wrong_order(name, got, want, parts, close):
    import itertools

    for order in itertools.permutations(range(len(parts))):
        if list(order) != list(range(len(parts))) and all(close(got[o], w) for o, w in zip(order, want)):
            names = ", ".join(parts)
            raise _Failure(tr(ja=f"{name} の戻り値の順番が違います: ({names}) の順に返してください。",
                              en=f"{name} returns its arrays in the wrong order: return ({names})."))


def _explain_part(label, wrong_cases, dtype, mistakes):
    """(message, named mistake or None) for one returned array."""
    case, got, want = wrong_cases[0]
    if not np.all(np.isfinite(got)):
        for mistake in mistakes(case):
            if _same_non_finite(got, mistake.wrong(case)):
                return _wrong_message(label, case, got, want, mistake.text()), mistake
    mistake = _diagnose(wrong_cases, mistakes)
    if got.shape == want.shape and _close(got, want):
        # Within the usual tolerance but not within a stricter one (numerical_gradient): show the
        # largest difference, in more digits.
        where = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
        detail = tr(ja=f"位置 {[int(i) for i in where]} で期待 {want[where]:.10g}、あなたの値 {got[where]:.10g}。",
                    en=f"At index {[int(i) for i in where]} expected {want[where]:.10g}, got {got[where]:.10g}.")
        head = tr(ja=f"{label} の答えが違います。ケース: {case.describe()}。", en=f"{label} gave a wrong answer. Case: {case.describe()}.")
        return f"{head}\n  {mistake.text() + ' ' if mistake else ''}{detail}", mistake
    return _explain(label, wrong_cases, dtype, mistakes), mistake


def _run_gradient(name, fn, cases, expected, mistakes, parts=None, keywords=(), close=_close, accept=None,
                  error_hint=None):
    """``_run`` for the backward functions: one array, or a tuple of ``parts`` compared one by one.

    ``accept(case, i, got)`` may accept another right answer for part i (max pooling's ties);
    ``error_hint(case, message)`` adds to the message of a failed call.
    """
    _require_function(fn, name, keywords)
    labels = [name] if parts is None else [_part_label(name, p) for p in parts]
    wrong = [[] for _ in labels]   # per part: (case index, case, got, expected)
    dtypes = [None] * len(labels)
    raised = []                    # (case index, message) of the student's exceptions
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # the mistakes overflow on purpose; nothing may reach stderr
        for k, case in enumerate(cases):
            try:
                result = _call(fn, name, case)
            except _Failure as failure:
                message = str(failure) + (error_hint(case, str(failure)) if error_hint else "")
                if _student_raised(failure):
                    raised.append((k, message))
                    continue
                if raised or any(wrong):
                    break  # the earlier wrong answer is the more useful thing to explain
                raise _Failure(message) from None
            got = _results(name, case, result, parts)
            want = expected(case)
            want = [np.asarray(w, dtype=np.float64) for w in ([want] if parts is None else want)]
            good = [close(g, w) or (accept is not None and accept(case, i, g)) for i, ((g, _), w) in enumerate(zip(got, want))]
            if parts is not None and not all(good):
                _wrong_order(name, [g for g, _ in got], want, parts, close)
            for i, ok in enumerate(good):
                if not ok:
                    dtypes[i] = dtypes[i] if wrong[i] else got[i][1]
                    wrong[i].append((k, case, got[i][0], want[i]))
        if not raised and not any(wrong):
            print(tr(ja=f"✓ {name}: {len(cases)} ケースすべて正解です。", en=f"✓ {name}: all {len(cases)} cases passed."))
            return
        found = []  # (first case index, full message, short message)
        if raised:
            k, message = raised[0]
            found.append((k, message, message.split("\n")[0]))
        for i, part_cases in enumerate(wrong):
            if part_cases:
                part = None if parts is None else parts[i]
                part_mistakes = mistakes if part is None else (lambda c, p=part: [m for m in mistakes(c) if m.part == p])
                message, mistake = _explain_part(labels[i], [(c, g, w) for _, c, g, w in part_cases], dtypes[i], part_mistakes)
                short = tr(ja=f"{labels[i]} も違います", en=f"{labels[i]} is wrong too") + (f": {mistake.text()}" if mistake else ".")
                found.append((part_cases[0][0], message, short))
    found.sort(key=lambda f: f[0])
    also = [tr(ja="ほかにも: ", en="Also: ") + short for _, _, short in found[1:]]
    raise _Failure("\n  ".join([found[0][1]] + also))


def _with_shape_hints(hints):
    """An error_hint that adds ``hints`` when NumPy complained about shapes."""
    def error_hint(case, message):
        if any(word in message for word in ("matmul", "shapes", "broadcast", "aligned", "index", "Index")):
            return " " + tr(ja=hints[0], en=hints[1])
        return ""
    return error_hint


def _mixed(rng, shape):
    """Quarters in [-2, 2] without zeros: the sign of every entry is known."""
    values = _random_array(rng, shape)
    return np.where(values == 0, 0.25, values)


# relu_backward(dout, x) ------------------------------------------------------------------------


def _relu_backward_cases(seed):
    rng = np.random.default_rng(60)
    cases = [
        Case("講義の例: x = (−2, −0.5, 0, 1, 3)、上流の勾配 (1, 2, 3, 4, 5) → (0, 0, 0, 4, 5)",
             "the lecture's example: x = (-2, -0.5, 0, 1, 3), upstream gradient (1, 2, 3, 4, 5) -> (0, 0, 0, 4, 5)",
             (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([-2.0, -0.5, 0.0, 1.0, 3.0]))),
        Case("2 次元、上流の勾配にも負の値", "2-D, negative upstream gradients too", (_mixed(rng, (3, 4)), _mixed(rng, (3, 4)))),
        Case("4 次元のバッチ (N, C, H, W)", "a 4-D batch (N, C, H, W)", (_mixed(rng, (2, 3, 4, 5)), _random_array(rng, (2, 3, 4, 5)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな 3 次元", "random 3-D", (rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5)))))
        cases.append(Case("float32 の入力", "float32 input",
                          (rng.normal(size=(6, 7)).astype(np.float32), rng.normal(size=(6, 7)).astype(np.float32))))
    return cases


def _relu_backward_mistakes(case):
    dout, x = (np.asarray(a, dtype=np.float64) for a in case.args)
    return [
        Mistake("x < 0 のところにも勾配を通しています。ReLU の逆伝播は x > 0 のところだけ dout を通し、ほかは 0 です: dx = dout * (x > 0)。",
                "The gradient is passed where x < 0 too: ReLU's backward lets dout through only where x > 0, and gives 0 elsewhere: dx = dout * (x > 0).",
                lambda c: dout),
        Mistake("マスクを dout から作っています（dout > 0）。通すかどうかを決めるのは順伝播の入力 x です: dx = dout * (x > 0)。",
                "Your mask comes from dout (dout > 0): what decides is the forward input x, dx = dout * (x > 0).",
                lambda c: np.maximum(dout, 0)),
        Mistake("マスク (x > 0) だけを返しています。上流の勾配 dout を掛けてください: dx = dout * (x > 0)。",
                "You returned the mask (x > 0) without multiplying by dout: dx = dout * (x > 0).",
                lambda c: (x > 0).astype(float)),
        Mistake("x = 0 のところに勾配を通しています（x >= 0）。x = 0 では慣習で勾配を 0 にします: x > 0 のところだけ通します。",
                "You pass the gradient where x = 0 (x >= 0): by convention it is 0 there, pass it only where x > 0.",
                lambda c: dout * (x >= 0) if np.any(x == 0) else None),
        Mistake("dout に relu(x)（順伝播の出力）を掛けています。掛けるのは 0 か 1 のマスク (x > 0) です。",
                "You multiplied dout by relu(x), the forward output: multiply by the 0/1 mask (x > 0).",
                lambda c: dout * np.maximum(x, 0)),
        Mistake("マスクが逆です: x <= 0 のところに勾配を通しています。通すのは x > 0 のところです。",
                "Your mask is reversed: it passes the gradient where x <= 0. Pass it where x > 0.",
                lambda c: dout * (x <= 0)),
    ]


@_public
def check_relu_backward(relu_backward, seed=None):
    """Check ``relu_backward(dout, x) -> dx = dout * (x > 0)``, any shape."""
    _run_gradient("relu_backward", relu_backward, _relu_backward_cases(seed),
                  lambda c: c.args[0] * (c.args[1] > 0), _relu_backward_mistakes)


# affine_forward(x, w, b), affine_backward(dout, x, w) -------------------------------------------

AFFINE_X = np.array([[1, 2, 3], [4, 5, 6]], dtype=float)
AFFINE_W = np.array([[1, 0], [0, 1], [1, -1]], dtype=float)
AFFINE_DOUT = np.array([[1, -1], [2, 0]], dtype=float)


def _affine_forward_cases(seed):
    rng = np.random.default_rng(61)
    cases = [
        Case("講義の例（N=2, D=3, M=2）、b = (1, 2)", "the lecture's example (N=2, D=3, M=2), b = (1, 2)",
             (AFFINE_X, AFFINE_W, np.array([1.0, 2.0]))),
        Case("N=4, D=5, M=3", "N=4, D=5, M=3", (_random_array(rng, (4, 5)), _random_array(rng, (5, 3)), _mixed(rng, (3,)))),
        Case("N=3, D=2, M=3（N = M）", "N=3, D=2, M=3 (N = M)", (_random_array(rng, (3, 2)), _random_array(rng, (2, 3)), _mixed(rng, (3,)))),
        Case("1 枚だけ（N=1）", "a single example (N=1)", (_random_array(rng, (1, 4)), _random_array(rng, (4, 2)), _mixed(rng, (2,)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(3):
            n, d, m = (int(v) for v in rng.integers(1, 8, size=3))
            cases.append(Case("ランダムな小数", "random floats", (rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m))))
        cases.append(Case("float32 の入力", "float32 input", tuple(a.astype(np.float32) for a in
                                                               (rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)))))
    return cases


def _affine_forward_mistakes(case):
    x, w, b = (np.asarray(a, dtype=np.float64) for a in case.args)
    xw = x @ w
    return [
        Mistake("バイアス b が足されていません: out = x @ w + b。", "The bias is missing: out = x @ w + b.", lambda c: xw),
        Mistake("バイアスを引いています: out = x @ w + b（足します）。", "You subtracted the bias: out = x @ w + b.", lambda c: xw - b),
        Mistake("出力が転置されています: 形は (N, M)（1 行が 1 つの例）です。x @ w の順に掛けてください。",
                "Your output is transposed: it is (N, M), one row per example. Multiply in the order x @ w.",
                lambda c: (xw + b).T),
        Mistake("バイアスを列ではなく行ごとに足しています（b[:, None]）。b (M,) は出力の各行に足します: x @ w + b。",
                "You added the bias down the rows (b[:, None]): b (M,) is added to every row of the output, x @ w + b.",
                lambda c: xw + b[:, None] if xw.shape[0] == xw.shape[1] else None),
    ]


@_public
def check_affine_forward(affine_forward, seed=None):
    """Check ``affine_forward(x (N, D), w (D, M), b (M,)) -> x @ w + b (N, M)``."""
    _run_gradient("affine_forward", affine_forward, _affine_forward_cases(seed),
                  lambda c: np.asarray(c.args[0], np.float64) @ c.args[1] + c.args[2], _affine_forward_mistakes,
                  error_hint=_with_shape_hints(("形: x (N, D) @ w (D, M) → (N, M)、b (M,) は各行に足します。",
                                                "Shapes: x (N, D) @ w (D, M) -> (N, M), and b (M,) is added to every row.")))


def _affine_backward(dout, x, w):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def _affine_backward_cases(seed):
    rng = np.random.default_rng(62)
    cases = [
        Case("講義の例（N=2, D=3, M=2）", "the lecture's example (N=2, D=3, M=2)", (AFFINE_DOUT, AFFINE_X, AFFINE_W)),
        Case("N = D = M = 3（形がすべて同じ）", "N = D = M = 3 (every shape alike)",
             (_random_array(rng, (3, 3)), _random_array(rng, (3, 3)), _random_array(rng, (3, 3)))),
        Case("N=4, D=5, M=3", "N=4, D=5, M=3", (_random_array(rng, (4, 3)), _random_array(rng, (4, 5)), _random_array(rng, (5, 3)))),
        Case("1 枚だけ（N=1）", "a single example (N=1)", (_random_array(rng, (1, 2)), _random_array(rng, (1, 4)), _random_array(rng, (4, 2)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for n, d, m in [(int(v) for v in rng.integers(1, 8, size=3)) for _ in range(3)] + [(4, 4, 4)]:
            cases.append(Case("ランダムな小数", "random floats", (rng.normal(size=(n, m)), rng.normal(size=(n, d)), rng.normal(size=(d, m)))))
        cases.append(Case("float32 の入力", "float32 input", tuple(a.astype(np.float32) for a in
                                                               (rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(4, 3))))))
    return cases


def _affine_backward_mistakes(case):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in case.args)
    dx, dw, db = _affine_backward(dout, x, w)
    n, d = x.shape
    m = w.shape[1]
    return [
        _PartMistake("dx で w を転置していません: dx = dout @ w.T（(N, M)(M, D) → (N, D)）。",
                     "dx needs w transposed: dx = dout @ w.T, (N, M)(M, D) -> (N, D).",
                     lambda c: dout @ w if d == m else None, "dx"),
        _PartMistake("dx が転置されています: 形は x と同じ (N, D) です。dx = dout @ w.T。",
                     "dx is transposed: it has the shape of x, (N, D). dx = dout @ w.T.", lambda c: dx.T, "dx"),
        _PartMistake("dw で x を転置していません: dw = x.T @ dout（(D, N)(N, M) → (D, M)）。バッチの N 枚分が足し合わされます。",
                     "dw needs x transposed: dw = x.T @ dout, (D, N)(N, M) -> (D, M), which sums over the N examples of the batch.",
                     lambda c: x @ dout if d == n else None, "dw"),
        _PartMistake("dw が転置されています: 形は w と同じ (D, M) です。dw = x.T @ dout（dout.T @ x ではありません）。",
                     "dw is transposed: it has the shape of w, (D, M). dw = x.T @ dout, not dout.T @ x.", lambda c: dw.T, "dw"),
        _PartMistake(f"dw を N = {n} で割っています。1/N は損失の逆伝播（dout）にもう入っています: dw = x.T @ dout。",
                     f"You divided dw by N = {n}: the 1/N is already inside dout (the loss's backward). dw = x.T @ dout.",
                     lambda c: dw / n if n > 1 else None, "dw"),
        _PartMistake("db がバッチについて足し合わされていません（形 (N, M)）。b はすべての例で使われる（分岐）ので、db = dout.sum(axis=0)、形 (M,) です。",
                     "db is not summed over the batch (shape (N, M)): b is used by every example (a fork), so db = dout.sum(axis=0), shape (M,).",
                     lambda c: dout, "db"),
        _PartMistake("db を違う軸で足しています（axis=1）。バッチの軸 axis=0 で足して、形 (M,) にします。",
                     "db is summed over the wrong axis (axis=1): sum over the batch, axis=0, to get shape (M,).",
                     lambda c: dout.sum(axis=1), "db"),
        _PartMistake("db が平均になっています。和です: db = dout.sum(axis=0)。",
                     "db is a mean: it is the sum, db = dout.sum(axis=0).", lambda c: db / n if n > 1 else None, "db"),
        _PartMistake("db の形が (1, M) です（keepdims=True）。b と同じ形 (M,) にしてください。",
                     "db has shape (1, M) (keepdims=True): give it the shape of b, (M,).", lambda c: db[None, :], "db"),
    ]


@_public
def check_affine_backward(affine_backward, seed=None):
    """Check ``affine_backward(dout (N, M), x (N, D), w (D, M)) -> (dx (N, D), dw (D, M), db (M,))``."""
    _run_gradient("affine_backward", affine_backward, _affine_backward_cases(seed),
                  lambda c: _affine_backward(*c.args), _affine_backward_mistakes, parts=("dx", "dw", "db"),
                  error_hint=_with_shape_hints((
                      "形をそろえます: dx = dout @ w.T は (N, M)(M, D) → (N, D)、dw = x.T @ dout は (D, N)(N, M) → (D, M)、db = dout.sum(axis=0) は (M,)。",
                      "Let the shapes guide you: dx = dout @ w.T is (N, M)(M, D) -> (N, D), dw = x.T @ dout is (D, N)(N, M) -> (D, M), db = dout.sum(axis=0) is (M,).")))


# softmax_cross_entropy_backward(z, labels) ------------------------------------------------------


def _one_hot(labels, k):
    labels = np.asarray(labels)
    return labels.astype(np.float64) if labels.ndim == 2 else np.eye(k)[labels]


def _softmax_ce_backward(z, labels):
    z = np.asarray(z, dtype=np.float64)
    return (_softmax(z) - _one_hot(labels, z.shape[1])) / z.shape[0]


def _softmax_ce_backward_cases(seed):
    rng = np.random.default_rng(63)
    lecture = np.array([[2.0, 1.0, 0.1]])
    cases = [
        Case("講義の例: z = (2.0, 1.0, 0.1)、正解 0 → (−0.341, 0.242, 0.099)",
             "the lecture's example: z = (2.0, 1.0, 0.1), label 0 -> (-0.341, 0.242, 0.099)", (lecture, np.array([0]))),
        Case("同じ例を 2 行（N=2: 平均なので各行は半分）", "the same example twice (N=2: a mean, so each row halves)",
             (np.vstack([lecture, lecture]), np.array([0, 0]))),
        Case("4 枚、5 クラス、ラベルはクラス番号", "4 examples, 5 classes, labels as class ids",
             (_random_array(rng, (4, 5)) * 2, np.array([3, 0, 4, 1]))),
        Case("3 枚、4 クラス、ラベルは one-hot", "3 examples, 4 classes, one-hot labels", (_random_array(rng, (3, 4)) * 2, np.eye(4)[[1, 3, 0]])),
        Case("3 枚、3 クラス、クラス番号", "3 examples, 3 classes, class ids", (_random_array(rng, (3, 3)) * 2, np.array([2, 2, 0]))),
        Case("大きなロジット: (1010, 1000, 990) と (−1000, −1001, −1002)", "large logits: (1010, 1000, 990) and (-1000, -1001, -1002)",
             (np.array([[1010.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]]), np.array([1, 0]))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for one_hot in (False, True, False, True):
            n, k = int(rng.integers(2, 9)), int(rng.integers(2, 11))
            labels = rng.integers(0, k, size=n)
            cases.append(Case("ランダム（one-hot）" if one_hot else "ランダム（クラス番号）", "random (one-hot)" if one_hot else "random (class ids)",
                              (rng.normal(size=(n, k)) * 3, np.eye(k)[labels] if one_hot else labels)))
        cases.append(Case("行ごとに大きくずれたロジット", "logits shifted far per row",
                          (rng.normal(size=(4, 6)) + rng.uniform(-900, 900, size=(4, 1)), rng.integers(0, 6, size=4))))
        cases.append(Case("float32 のロジット", "float32 logits", (rng.normal(size=(5, 4)).astype(np.float32), rng.integers(0, 4, size=5))))
    return cases


def _softmax_ce_backward_mistakes(case):
    z, labels = case.args
    z = np.asarray(z, dtype=np.float64)
    n, k = z.shape
    t = _one_hot(labels, k)
    y = _softmax(z)
    expected = (y - t) / n

    def naive(c):
        with np.errstate(all="ignore"):  # the overflow is the point
            e = np.exp(z)
            return (e / e.sum(axis=1, keepdims=True) - t) / n

    def columns(c):
        if labels.ndim != 1:
            return None
        g = y.copy()
        g[:, labels] -= 1
        return g / n

    return [
        Mistake(f"N = {n} で割っていません。損失はバッチの平均なので、勾配も N で割ります: dz = (softmax(z) − t) / N。",
                f"You did not divide by N = {n}: the loss is a mean over the batch, so its gradient is divided by N too, dz = (softmax(z) − t) / N.",
                lambda c: expected * n if n > 1 else None),
        Mistake("符号が逆です（t − y）。勾配は softmax(z) − t の順です: 正解のクラスでは負になります。",
                "The sign is flipped (t − y): the gradient is softmax(z) − t, negative at the correct class.", lambda c: -expected),
        Mistake("softmax がオーバーフローしています（大きなロジット）: 各行の最大値を引いてから exp します: np.exp(z − z.max(axis=1, keepdims=True))。",
                "softmax overflows for large logits: subtract each row's maximum before exp, np.exp(z - z.max(axis=1, keepdims=True)).",
                naive),
        Mistake("softmax を通していません: ロジット z から t を引いています。dz = (softmax(z) − t) / N です。",
                "You skipped the softmax: you subtracted t from the logits z. dz = (softmax(z) − t) / N.", lambda c: (z - t) / n),
        Mistake(f"N·K = {n * k} で割っています（すべての要素の平均）。割るのはバッチの大きさ N = {n} だけです。",
                f"You divided by N·K = {n * k} (a mean over every entry): divide by the batch size N = {n} only.", lambda c: expected / k),
        Mistake(f"N で 2 回割っています（N = {n}）。", f"You divided by N twice (N = {n}).", lambda c: expected / n if n > 1 else None),
        Mistake("y[:, labels] は列全体を選びます。各行の正解クラスだけから 1 を引きます: y[np.arange(N), labels] −= 1。",
                "y[:, labels] picks whole columns: subtract 1 at each row's own class only, y[np.arange(N), labels] -= 1.", columns),
        Mistake("クラス番号のラベル (N,) を one-hot のように引いています。labels.ndim == 1 なら np.eye(K)[labels] で one-hot にするか、y[np.arange(N), labels] −= 1 とします。",
                "Your answer subtracts class-id labels (N,) as if they were one-hot: when labels.ndim == 1, make them one-hot with np.eye(K)[labels], or use y[np.arange(N), labels] -= 1.",
                lambda c: (y - np.asarray(labels, dtype=np.float64)) / n if np.ndim(labels) == 1 and n == k else None),
        Mistake("softmax を違う軸（axis=0）で取っています。確率はクラスの軸（axis=1）で合計 1 です。",
                "Your softmax runs over the wrong axis (axis=0): each row's probabilities (axis=1) add up to 1.",
                lambda c: (_softmax(z.T).T - t) / n if n > 1 else None),
    ]


def _softmax_ce_backward_error_hint(case, message):
    return _one_hot_hint(case.args[1], "そのまま t として (softmax(z) − t) / N を計算します。",
                         "use them as t directly in (softmax(z) − t) / N.")


@_public
def check_softmax_cross_entropy_backward(softmax_cross_entropy_backward, seed=None):
    """Check ``softmax_cross_entropy_backward(z (N, K), labels (N,) int or (N, K) one-hot) -> (softmax(z) − t) / N``."""
    _run_gradient("softmax_cross_entropy_backward", softmax_cross_entropy_backward, _softmax_ce_backward_cases(seed),
                  lambda c: _softmax_ce_backward(*c.args), _softmax_ce_backward_mistakes,
                  error_hint=_softmax_ce_backward_error_hint)


# max_pool_backward(dout, x, size=2, stride=2) --------------------------------------------------

# Ties in every window: any one maximum may take the window's gradient.
TIES_IMAGE = np.array([[1, 3, 0, 0], [3, 2, 0, 0], [5, 5, -1, 2], [5, 1, 2, -3]], dtype=float)


def _pool_windows(dout, size, stride):
    """(i, j, rows, cols) of every pooling window."""
    oh, ow = dout.shape[-2:]
    return [(i, j, slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)) for i in range(oh) for j in range(ow)]


def _max_pool_backward(dout, x, size=2, stride=2, route="first", step=None, mode="add"):
    """Each window's gradient to its first maximum (row by row), accumulated where windows overlap.

    ``route``: "first", "all" (every tied maximum), "every" (every cell), "mean" (every cell / size²),
    "one" (the mask without dout), "transposed" (row and column of the maximum swapped);
    ``step``: where window (i, j) starts (the stride by default); ``mode`` "add", "set" (dx[r, c] = ...)
    or "window" (dx[window] = ...).
    """
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    step = stride if step is None else step
    dx = np.zeros(x.shape)
    n_, c_ = x.shape[:2]
    nn_, cc_ = np.indices((n_, c_))
    for i, j, _, _ in _pool_windows(dout, size, stride):
        rows, cols = slice(i * step, i * step + size), slice(j * step, j * step + size)
        window = x[:, :, rows, cols]
        g = (np.ones_like if route == "one" else np.asarray)(dout[:, :, i, j])[:, :, None, None]
        if route in ("first", "one", "transposed"):
            k = window.reshape(n_, c_, -1).argmax(axis=2)
            u, v = np.divmod(k, window.shape[3]) if route != "transposed" else np.divmod(k, window.shape[2])[::-1]
            part = np.zeros(window.shape)
            part[nn_, cc_, u, v] = g[:, :, 0, 0]
        elif route == "all":
            part = (window == window.max(axis=(2, 3), keepdims=True)) * g
        else:
            part = np.broadcast_to(g / (size * size if route == "mean" else 1), window.shape).copy()
        target = dx[:, :, rows, cols]
        if mode == "add":
            target += part
        elif mode == "window":
            target[...] = part
        else:
            target[part != 0] = part[part != 0]
    return dx


def _distinct(rng, shape):
    """Distinct quarters: no ties anywhere, so the maximum of every window is unique."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size // 2) / 4


def _max_pool_backward_cases(seed):
    rng = np.random.default_rng(64)
    cases = [
        Case("講義の例（2×2、ストライド 2）、上流の勾配 [[1, 2], [3, 4]]", "the lecture's example (2x2, stride 2), upstream gradient [[1, 2], [3, 4]]",
             (np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), POOL_IMAGE[None, None])),
        Case("2 チャネル、上流の勾配にも負の値", "2 channels, negative upstream gradients too",
             (_mixed(rng, (1, 2, 2, 2)), np.stack([WORKED_IMAGE, POOL_IMAGE])[None])),
        Case("窓の中で最大値が同じ（どれか 1 つに勾配を送れば正解）", "equal maxima in a window (any one of them may take the gradient)",
             (np.array([[[[1.0, -2.0], [3.0, 0.5]]]]), TIES_IMAGE[None, None])),
        Case("バッチ N=2・3 チャネル・5×7（最後の行と列はどの窓にも入らない）",
             "a batch of N=2, 3 channels, 5x7 (the last row and column fall in no window)",
             (_mixed(rng, (2, 3, 2, 3)), _distinct(rng, (2, 3, 5, 7)))),
        Case("窓 3×3、ストライド 2（窓が重なる）", "3x3 windows, stride 2 (overlapping)",
             (_mixed(rng, (1, 2, 3, 2)), _distinct(rng, (1, 2, 7, 6))), {"size": 3, "stride": 2}),
        Case("窓 2×2、ストライド 1（窓が重なる）", "2x2 windows, stride 1 (overlapping)",
             (_mixed(rng, (2, 1, 3, 4)), _distinct(rng, (2, 1, 4, 5))), {"size": 2, "stride": 1}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        combos = [(3, 3), (3, 1), (2, 2)] + [(int(rng.integers(1, 5)), int(rng.integers(1, 5))) for _ in range(2)]
        for size, stride in combos:
            n, c = (int(v) for v in rng.integers(1, 4, size=2))
            h, w = (int(v) for v in rng.integers(size, size + 7, size=2))
            oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
            cases.append(Case("ランダムな小数", "random floats",
                              (rng.normal(size=(n, c, oh, ow)), rng.normal(size=(n, c, h, w))), {"size": size, "stride": stride}))
        cases.append(Case("float32 の入力", "float32 input",
                          (rng.normal(size=(2, 3, 3, 3)).astype(np.float32), rng.normal(size=(2, 3, 6, 6)).astype(np.float32))))
    return cases


def _pool_args(case):
    dout, x = case.args
    return dout, x, case.kwargs.get("size", 2), case.kwargs.get("stride", 2)


def _max_pool_backward_mistakes(case):
    dout, x, size, stride = _pool_args(case)
    x64 = np.asarray(x, dtype=np.float64)
    expected = _max_pool_backward(dout, x, size, stride)
    ties = not np.allclose(_max_pool_backward(dout, x, size, stride, route="all"), expected)
    return [
        Mistake("窓のすべてのマスに勾配を送っています。最大プーリングでは、順伝播で最大だったマスだけが勾配を受け取ります（ほかは 0）。",
                "You sent the gradient to every cell of the window: in max pooling only the cell that was the maximum in the forward pass receives it (the others get 0).",
                lambda c: _max_pool_backward(dout, x, size, stride, route="every")),
        Mistake(f"勾配を窓の大きさ {size * size} で割って全部のマスに配っています（平均プーリングの逆伝播）。最大プーリングでは最大値のマスにそのまま送ります。",
                f"You spread the gradient over the window divided by its size {size * size}: that is average pooling's backward. Max pooling sends it, unchanged, to the maximum's cell.",
                lambda c: _max_pool_backward(dout, x, size, stride, route="mean")),
        Mistake("窓が重なるとき、勾配を上書きしています。同じマスが複数の窓の最大値なら、勾配を足し合わせます（dx[...] += ...）。",
                "Where windows overlap you overwrite the gradient: a cell that is the maximum of several windows gets the sum of their gradients (dx[...] += ...).",
                lambda c: _max_pool_backward(dout, x, size, stride, mode="set") if stride < size else None),
        Mistake("窓が重なるとき、勾配を上書きしています（dx[窓] = ... で前の窓の勾配が消えます）。勾配は足し合わせます: dx[窓] += ...。",
                "Where windows overlap you overwrite the gradient (dx[window] = ... erases what earlier windows put there): add it up, dx[window] += ....",
                lambda c: _max_pool_backward(dout, x, size, stride, mode="window") if stride < size else None),
        Mistake("同じ最大値が複数あるとき、そのすべてに勾配を送っています（マスク window == max）。勾配は 1 つのマスにだけ送ります（たとえば最初の最大値、np.argmax）。",
                "Where several cells tie for the maximum you send the gradient to all of them (the mask window == max): send it to one cell only (for example the first maximum, np.argmax).",
                lambda c: _max_pool_backward(dout, x, size, stride, route="all") if ties else None),
        Mistake("上流の勾配 dout を掛けていません: 最大値のマスに 1 を入れています。送るのは dout の値です。",
                "You did not use dout: the maximum's cell gets 1. It must get the upstream gradient dout[n, c, i, j].",
                lambda c: _max_pool_backward(dout, x, size, stride, route="one")),
        Mistake(f"ストライドが無視されています: 窓 (i, j) の左上は (i·{stride}, j·{stride}) です。",
                f"The stride is ignored: window (i, j) starts at row i·{stride}, column j·{stride}.",
                lambda c: _max_pool_backward(dout, x, size, stride, step=1) if stride != 1 else None),
        Mistake("窓の中の最大値の位置で、行と列が入れ替わっています。np.argmax の番号 k は divmod(k, 窓の幅) で (行, 列) になります（np.unravel_index）。",
                "Row and column of the maximum inside the window are swapped: np.argmax's index k is (row, column) = divmod(k, window width) (np.unravel_index).",
                lambda c: _max_pool_backward(dout, x, size, stride, route="transposed") if size > 1 else None),
    ] + ([] if x64.shape[0] < 2 else [
        Mistake("バッチのすべての画像で最初の画像の最大値の位置を使っています。n についてもループしてください。",
                "Every image uses the first image's maxima: loop over n as well.",
                lambda c: _max_pool_backward(dout, np.broadcast_to(x64[:1], x64.shape), size, stride)),
    ])


def _max_pool_backward_accepts(case, part, got):
    """Right too: each window's gradient on one of its maxima, where windows do not overlap (ties)."""
    dout, x, size, stride = _pool_args(case)
    x = np.asarray(x, dtype=np.float64)
    if stride < size or got.shape != x.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(dout))))
    covered = np.zeros(x.shape, dtype=bool)
    for i, j, rows, cols in _pool_windows(dout, size, stride):
        window, g = x[:, :, rows, cols], got[:, :, rows, cols]
        covered[:, :, rows, cols] = True
        carries = np.abs(g) > ATOL * scale
        at_maximum = window == window.max(axis=(2, 3), keepdims=True)
        if np.any(carries & ~at_maximum) or np.any(carries.sum(axis=(2, 3)) > 1):
            return False
        if not np.allclose(g.sum(axis=(2, 3)), dout[:, :, i, j], rtol=RTOL, atol=ATOL * scale):
            return False
    return bool(np.all(np.abs(got[~covered]) <= ATOL * scale))


@_public
def check_max_pool_backward(max_pool_backward, seed=None):
    """Check ``max_pool_backward(dout (N, C, OH, OW), x (N, C, H, W), size=2, stride=2) -> dx (N, C, H, W)``:
    each window's gradient to its maximum (any one of tied maxima), summed where windows overlap."""
    _run_gradient("max_pool_backward", max_pool_backward, _max_pool_backward_cases(seed),
                  lambda c: _max_pool_backward(*_pool_args(c)), _max_pool_backward_mistakes, keywords=("size", "stride"),
                  accept=_max_pool_backward_accepts)


# conv_backward(dout, x, w, stride=1, pad=0) ----------------------------------------------------

CONV_DOUT = np.array([[1.0, 2.0], [0.0, -1.0]])


def _conv_backward(dout, x, w, stride=1, pad=0, step=None):
    """(dx, dw, db) of out = x ⋆ w + b: every window's dout times the window (dw) and times w (dx).

    ``step``: where window (i, j) starts (the stride by default); the padding is cut off dx.
    """
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    step = stride if step is None else step
    xp = _pad(x, pad)
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    kh, kw = w.shape[-2:]
    oh, ow = dout.shape[-2:]
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * step, i * step + kh), slice(j * step, j * step + kw)
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    h, wd = x.shape[-2:]
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3)), dxp


def _conv_backward_cases(seed):
    rng = np.random.default_rng(65)

    def case(ja, en, n, c, f, h, w, kh, kw, stride=1, pad=0, random=None):
        random = random or (lambda shape: _random_array(rng, shape))
        oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
        kwargs = {} if (stride, pad) == (1, 0) else {"stride": stride, "pad": pad}
        return Case(ja, en, (random((n, f, oh, ow)), random((n, c, h, w)), random((f, c, kh, kw))), kwargs)

    cases = [
        Case("講義の例: 4×4 の入力、3×3 のフィルタ、上流の勾配 [[1, 2], [0, −1]]",
             "the lecture's example: 4x4 input, 3x3 kernel, upstream gradient [[1, 2], [0, -1]]",
             (CONV_DOUT[None, None], WORKED_IMAGE[None, None], WORKED_KERNEL[None, None])),
        case("3 チャネル・2 フィルタ", "3 channels, 2 filters", 1, 3, 2, 5, 5, 3, 3),
        case("バッチ N=3、縦長の画像と横長のフィルタ", "a batch of N=3, a tall image and a wide kernel", 3, 2, 2, 5, 4, 2, 3),
        case("ストライド 2", "stride 2", 1, 2, 2, 7, 7, 3, 3, stride=2),
        case("パディング 1、バッチ N=2", "pad 1, a batch of N=2", 2, 1, 2, 4, 4, 3, 3, pad=1),
        case("パディング 2 とストライド 3、バッチ N=2", "pad 2 and stride 3, a batch of N=2", 2, 2, 3, 8, 5, 2, 3, stride=3, pad=2),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
            kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
            h, w = (int(v) for v in rng.integers(4, 9, size=2))
            cases.append(case("ランダムな小数", "random floats", n, c, f, h, w, kh, kw, int(rng.integers(1, 4)), int(rng.integers(0, 3)),
                              random=lambda shape: rng.normal(size=shape)))
        cases.append(case("float32 の入力", "float32 input", 2, 2, 2, 6, 6, 3, 3, 1, 1,
                          random=lambda shape: rng.normal(size=shape).astype(np.float32)))
    return cases


def _conv_backward_mistakes(case):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in case.args)
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    dx, dw, db, dxp = _conv_backward(dout, x, w, stride, pad)
    n, f = dout.shape[:2]
    h, wd = x.shape[-2:]
    oh, ow = dout.shape[-2:]
    return [
        _PartMistake("dx で使うフィルタの向きが違います: 入力の勾配は、dout を（フル）パディングして 180° 回したフィルタで相互相関したもの、つまり各窓に dout[n, f, i, j]·w[f] を足し戻したものです（順伝播で掛けたのと同じ w[f, c, u, v] の位置）。",
                     "dx uses the kernel turned the wrong way: the input gradient is dout (fully padded) correlated with the kernel turned by 180°, that is, each window gets dout[n, f, i, j]·w[f] added back, every w[f, c, u, v] at the position it multiplied in the forward pass.",
                     lambda c: _conv_backward(dout, x, w[..., ::-1, ::-1], stride, pad)[0], "dx"),
        _PartMistake(f"dx でストライドが無視されています: 窓 (i, j) は入力の (i·{stride}, j·{stride}) から始まるので、勾配もそこへ足し戻します。",
                     f"dx ignores the stride: window (i, j) starts at input row i·{stride}, column j·{stride}, so its gradient goes back there.",
                     lambda c: _conv_backward(dout, x, w, stride, pad, step=1)[0] if stride > 1 else None, "dx"),
        _PartMistake(f"dx からパディングを取り除いていません（形 {dxp.shape}）。パディングした入力の勾配から、縦横 pad = {pad} 個ずつ切り取って x と同じ形にします: dxp[:, :, pad:pad+H, pad:pad+W]。",
                     f"The padding is not removed from dx (shape {dxp.shape}): cut pad = {pad} rows and columns off every side of the padded input's gradient so that dx has the shape of x, dxp[:, :, pad:pad+H, pad:pad+W].",
                     lambda c: dxp if pad else None, "dx"),
        _PartMistake("dx のパディングを片側から切り取っています（dxp[:, :, :H, :W]）。上下左右から pad 個ずつ取り除きます: dxp[:, :, pad:pad+H, pad:pad+W]。",
                     "You cut the padding off one side of dx (dxp[:, :, :H, :W]): remove pad from every side, dxp[:, :, pad:pad+H, pad:pad+W].",
                     lambda c: dxp[:, :, :h, :wd] if pad else None, "dx"),
        _PartMistake("dx がフィルタについて足し合わされていません。入力の画素はすべてのフィルタで使われるので、すべての f の勾配を足します（最後のフィルタの分で上書きしていませんか？）。",
                     "dx is not summed over the filters: every filter uses the input pixels, so the gradients of all f add up (did the last filter overwrite the others?).",
                     lambda c: _conv_backward(dout[:, -1:], x, w[-1:], stride, pad)[0] if f > 1 else None, "dx"),
        _PartMistake("dw がバッチについて足し合わされていません（最後の画像の分だけです）。重みはすべての画像で使われる（分岐）ので、N 枚分を足します。",
                     "dw is not summed over the batch (only the last image counts): the weights are used by every image (a fork), so the N images' gradients add up.",
                     lambda c: _conv_backward(dout[-1:], x[-1:], w, stride, pad)[1] if n > 1 else None, "dw"),
        _PartMistake("dw がバッチについて足し合わされていません（最初の画像の分だけです）。重みはすべての画像で使われる（分岐）ので、N 枚分を足します。",
                     "dw is not summed over the batch (only the first image counts): the weights are used by every image (a fork), so the N images' gradients add up.",
                     lambda c: _conv_backward(dout[:1], x[:1], w, stride, pad)[1] if n > 1 else None, "dw"),
        _PartMistake(f"dw を N = {n} で割っています。1/N は損失の逆伝播（dout）にもう入っています。",
                     f"You divided dw by N = {n}: the 1/N is already inside dout (the loss's backward).",
                     lambda c: dw / n if n > 1 else None, "dw"),
        _PartMistake("dw が上下左右に反転しています。順伝播は相互相関なので、dw[f, c, u, v] = Σ dout[n, f, i, j]·x[n, c, i·s+u, j·s+v] です（フィルタは反転しません）。",
                     "dw is flipped: the forward pass is a cross-correlation, so dw[f, c, u, v] = Σ dout[n, f, i, j]·x[n, c, i·s+u, j·s+v], no flipping.",
                     lambda c: dw[..., ::-1, ::-1], "dw"),
        _PartMistake(f"dw でストライドが無視されています: 窓 (i, j) の入力は (i·{stride}, j·{stride}) から始まります。",
                     f"dw ignores the stride: window (i, j) reads the input from row i·{stride}, column j·{stride}.",
                     lambda c: _conv_backward(dout, x, w, stride, pad, step=1)[1] if stride > 1 else None, "dw"),
        _PartMistake("db が出力の位置 (i, j) について足し合わされていません（形 (F, OH, OW)）。バイアスは出力のすべての位置で使われるので、db = dout.sum(axis=(0, 2, 3))、形 (F,) です。",
                     "db is missing the sum over the output positions (shape (F, OH, OW)): the bias is used at every position, so db = dout.sum(axis=(0, 2, 3)), shape (F,).",
                     lambda c: dout.sum(axis=0), "db"),
        _PartMistake("db がバッチについて足し合わされていません（形 (N, F)）。db = dout.sum(axis=(0, 2, 3))、形 (F,) です。",
                     "db is not summed over the batch (shape (N, F)): db = dout.sum(axis=(0, 2, 3)), shape (F,).",
                     lambda c: dout.sum(axis=(2, 3)), "db"),
        _PartMistake("db が和ではなく平均です。db = dout.sum(axis=(0, 2, 3))。",
                     "db is a mean, not a sum: db = dout.sum(axis=(0, 2, 3)).",
                     lambda c: db / (oh * ow) if oh * ow > 1 else None, "db"),
        _PartMistake("db の形が違います（keepdims=True）。b と同じ (F,) にしてください。",
                     "db has the wrong shape (keepdims=True): give it the shape of b, (F,).",
                     lambda c: db.reshape(1, f, 1, 1), "db"),
        _PartMistake("db をフィルタについても足しています（1 つの数）。フィルタごとに 1 つ: db = dout.sum(axis=(0, 2, 3))、形 (F,)。",
                     "db is summed over the filters too (a single number): one per filter, db = dout.sum(axis=(0, 2, 3)), shape (F,).",
                     lambda c: np.array(db.sum()) if f > 1 else None, "db"),
    ]


@_public
def check_conv_backward(conv_backward, seed=None):
    """Check ``conv_backward(dout (N, F, OH, OW), x (N, C, H, W), w (F, C, KH, KW), stride=1, pad=0) -> (dx, dw, db)``."""
    _run_gradient("conv_backward", conv_backward, _conv_backward_cases(seed),
                  lambda c: _conv_backward(*c.args, **c.kwargs)[:3], _conv_backward_mistakes, parts=("dx", "dw", "db"),
                  keywords=("stride", "pad"), error_hint=_with_shape_hints((
                      "dout の形は (N, F, OH, OW) です。窓 (i, j) はパディングした入力の (i·stride, j·stride) から始まります。dx はパディングした入力について計算してから、パディングを切り取ります。",
                      "dout has shape (N, F, OH, OW); window (i, j) starts at (i·stride, j·stride) of the padded input. Compute dx on the padded input, then cut the padding off.")))


# numerical_gradient(f, x, h=1e-5) --------------------------------------------------------------

# The functions handed to the student's numerical_gradient. Compiled here from source under a
# name outside the package, so that calling them does not count as calling cnnlab.
_FUNCTIONS_SOURCE = '''
import numpy as np


class Function:
    """A scalar function of an array: what numerical_gradient differentiates."""

    def __init__(self, text, value):
        self.text, self.value = text, value

    def __call__(self, x):
        return float(self.value(np.asarray(x, dtype=np.float64)))

    def __repr__(self):
        return self.text


def polynomial(c, d):
    return lambda x: np.sum(c * x ** 3 + d * x)


def squares(scale):
    return lambda x: scale * np.sum(x ** 2)


def network_loss(inputs, labels):
    def loss(w):
        s = inputs @ w
        s = s - s.max(axis=1, keepdims=True)
        log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -log_p[np.arange(len(labels)), labels].mean()
    return loss
'''
_FUNCTIONS = {}
exec(compile(_FUNCTIONS_SOURCE, "<the function f given to numerical_gradient>", "exec"), _FUNCTIONS)

#: numerical_gradient is right when it is this close to the exact gradient: a centred difference
#: with h = 1e-5 is within about 1e-10; a one-sided one is off by about h·f''/2, some 1e-5 here.
NUMERICAL_RTOL = 1e-6


def _polynomial(c, d, text):
    """(f, its exact gradient) for f(x) = Σ c·x³ + d·x."""
    return _FUNCTIONS["Function"](text, _FUNCTIONS["polynomial"](c, d)), lambda x: 3 * c * np.asarray(x, np.float64) ** 2 + d


def _squares(scale, text):
    """(f, its exact gradient) for f(x) = scale·Σ x²."""
    return _FUNCTIONS["Function"](text, _FUNCTIONS["squares"](scale)), lambda x: 2 * scale * np.asarray(x, np.float64)


def _network(inputs, labels, text):
    """(f, its exact gradient) for the mean cross-entropy of softmax(inputs @ w) as a function of w."""
    def gradient(w):
        return inputs.T @ _softmax_ce_backward(inputs @ np.asarray(w, np.float64), labels)
    return _FUNCTIONS["Function"](text, _FUNCTIONS["network_loss"](inputs, labels)), gradient


def _numerical_gradient_cases(seed):
    rng = np.random.default_rng(66)
    cube = _polynomial(1.0, 0.0, "f(x) = sum(x**3)")
    inputs, labels = _random_array(rng, (5, 3)), np.array([0, 3, 1, 2, 3])
    specs = [
        ("講義の例: f(x) = x²、x = 3 → 6", "the lecture's example: f(x) = x², x = 3 -> 6",
         _squares(1.0, "f(x) = sum(x**2)"), np.array([3.0]), {}),
        ("f(x) = Σ x³、x = (1, −2, 0.5, 0.1) → 3x² = (3, 12, 0.75, 0.03)", "f(x) = Σ x³, x = (1, -2, 0.5, 0.1) -> 3x² = (3, 12, 0.75, 0.03)",
         cube, np.array([1.0, -2.0, 0.5, 0.1]), {}),
        ("小さなネットワークの損失を重み w (3, 4) で微分", "a tiny network's loss, differentiated by its weights w (3, 4)",
         _network(inputs, labels, "f(w) = mean cross-entropy of softmax(X @ w), X (5, 3), w (3, 4)"), rng.normal(size=(3, 4)), {}),
        ("整数の x = (1, 2, 3)、f(x) = Σ x² / 4 → x / 2", "an int x = (1, 2, 3), f(x) = Σ x² / 4 -> x / 2",
         _squares(0.25, "f(x) = sum(x**2) / 4"), np.array([1, 2, 3]), {}),
        ("h = 1e-4 を指定、3 次元の x", "h = 1e-4 given, a 3-D x", cube, rng.normal(size=(2, 3, 2)) * 0.5, {"h": 1e-4}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for shape in [(int(rng.integers(2, 7)),), tuple(int(v) for v in rng.integers(1, 4, size=2)), tuple(int(v) for v in rng.integers(1, 3, size=4))]:
            c, d = rng.normal(size=shape), rng.normal(size=shape)
            specs.append(("ランダムな 3 次多項式", "a random cubic polynomial", _polynomial(c, d, "f(x) = sum(c * x**3 + d * x), random c, d"),
                          rng.normal(size=shape), {}))
        inputs, labels = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
        specs.append(("ランダムな小さなネットワーク", "a random tiny network",
                      _network(inputs, labels, "f(w) = mean cross-entropy of softmax(X @ w), X (6, 4), w (4, 3)"), rng.normal(size=(4, 3)), {}))
    cases = []
    for ja, en, (f, gradient), x, kwargs in specs:
        case = Case(ja, en, (f, x), kwargs)
        case.gradient = gradient  # the exact gradient, for the expected answer
        cases.append(case)
    return cases


def _differences(f, x, h, how):
    """What a student's loop computes: ``how`` "centred", "forward", "no-restore-between" (f(x+h) − f(x)) / 2h,
    "int" (x kept int: x[i] ± h rounded), "all" (every entry moved at once), "rows" (a whole row at once)."""
    x = np.array(x) if how == "int" else np.array(x, dtype=np.float64)
    if how == "all":
        return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))
    grad = np.zeros(x.shape)
    index = [(i,) for i in range(x.shape[0])] if how == "rows" else list(np.ndindex(x.shape))
    for i in index:
        old = np.copy(x[i])
        x[i] = old + h
        plus = f(x)
        x[i] = old - h if how not in ("forward", "no-restore-between") else old
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (h if how == "forward" else 2 * h)
    return grad


def _numerical_gradient_mistakes(case):
    f, x = case.args
    h = case.kwargs.get("h", 1e-5)
    centred = _differences(f, x, h, "centred")
    return [
        Mistake("片側の差分 (f(x+h) − f(x)) / h を使っています: 誤差が h に比例して残ります。中心差分 (f(x+h) − f(x−h)) / 2h を使ってください（誤差は h² に比例）。",
                "You used a one-sided (forward) difference (f(x+h) − f(x)) / h: its error shrinks only like h. Use the centred difference (f(x+h) − f(x−h)) / 2h, whose error shrinks like h².",
                lambda c: _differences(f, x, h, "forward")),
        Mistake("h ではなく 2h で割ってください: 中心差分は (f(x+h) − f(x−h)) / (2h) です（x+h と x−h の間は 2h）。",
                "Divide by 2h, not by h: the centred difference is (f(x+h) − f(x−h)) / (2h), since x+h and x−h are 2h apart.",
                lambda c: 2 * centred),
        Mistake("/ 2 * h は (… / 2) · h の意味になります。かっこを付けて / (2 * h) と書いてください。",
                "/ 2 * h means (… / 2) · h: write / (2 * h) with the parentheses.",
                lambda c: centred * h * h),
        Mistake("h をすべての要素に一度に足しています: x + h はすべての要素を動かすので、得られるのは 1 つの数（方向微分）です。要素を 1 つずつ、x[i] だけを ±h 動かしてください。",
                "You applied h to every element at once: x + h moves all the entries, which gives a single number (a directional derivative). Move one entry at a time, only x[i] by ±h.",
                lambda c: _differences(f, x, h, "all") if np.size(x) > 1 else None),
        Mistake("h を行全体に足しています（x[i] は 2 次元の x では 1 行です）。要素を 1 つずつ動かします: np.ndindex(x.shape) や np.nditer で、すべての添字を回ってください。",
                "You moved a whole row at once (x[i] is a row of a 2-D x): move one element at a time, visiting every index with np.ndindex(x.shape) or np.nditer.",
                lambda c: _differences(f, x, h, "rows") if np.ndim(x) >= 2 and np.shape(x)[1] > 1 else None),
        Mistake("f(x−h) を x で計算しています: x[i] += h の後に x[i] −= h とすると x に戻るだけです。x − h にするには 2h 引くか、元の値 old を使って x[i] = old − h とします。",
                "You evaluated f(x−h) at x: after x[i] += h, x[i] -= h only brings x back. Subtract 2h, or set x[i] = old − h from the saved old value.",
                lambda c: _differences(f, x, h, "no-restore-between")),
        Mistake("差の順番が逆です（符号が反対）: (f(x+h) − f(x−h)) / 2h です。",
                "The difference is the wrong way round (the sign is flipped): (f(x+h) − f(x−h)) / 2h.", lambda c: -centred),
        Mistake("x が整数の配列なので、x[i] + h が整数に丸められています。float のコピーを作ってから動かしてください: x = x.astype(float)（元の x は変えずに）。",
                "x is an int array, so x[i] + h is rounded back to an int: work on a float copy, x = x.astype(float) (leaving the caller's x alone).",
                lambda c: _differences(f, x, h, "int") if np.issubdtype(np.asarray(x).dtype, np.integer) else None),
        Mistake("x が整数の配列なので、x[i] + h が整数に丸められています（勾配の配列も整数です）。float のコピーを作ってから動かしてください: x = x.astype(float)（元の x は変えずに）。",
                "x is an int array, so x[i] + h is rounded back to an int (and so is your gradient array): work on a float copy, x = x.astype(float) (leaving the caller's x alone).",
                lambda c: np.trunc(_differences(f, x, h, "int")) if np.issubdtype(np.asarray(x).dtype, np.integer) else None),
    ]


def _numerical_close(got, want):
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return got.shape == want.shape and np.allclose(got, want, rtol=NUMERICAL_RTOL, atol=NUMERICAL_RTOL * 0.1 * scale)


def _numerical_gradient_error_hint(case, message):
    in_place = tr(ja="numerical_gradient が入力の配列を書き換えています", en="numerical_gradient modified its input array in place")
    if in_place in message:
        return " " + tr(
            ja="numerical_gradient は計算の途中で x を動かしてかまいませんが、呼び出しが終わったとき x は元のままでなければなりません。各要素の 2 回の計算の後で、保存しておいた元の値に戻してください（old = x[i] … x[i] = old）。x[i] += h の後に x[i] −= h とする戻し方は、浮動小数点の丸めでぴったり元に戻らないことがあります。",
            en="numerical_gradient may move x while it computes, but when it returns x must be as it was: after the two evaluations of each entry, put x[i] back to its saved old value (old = x[i] … x[i] = old). x is not restored otherwise; undoing x[i] += h with x[i] -= h does not always give the same float back (rounding).")
    if "IndexError" in message or "index" in message:
        return " " + tr(ja="x はどんな形でもかまいません: np.ndindex(x.shape) や np.nditer(x, flags=['multi_index']) で、すべての要素の添字を回ってください。",
                        en="x may have any shape: visit the index of every element with np.ndindex(x.shape) or np.nditer(x, flags=['multi_index']).")
    return ""


@_public
def check_numerical_gradient(numerical_gradient, seed=None):
    """Check ``numerical_gradient(f, x, h=1e-5)`` against exact gradients of known functions f:
    centred differences for every element of x, and x left as it was."""
    _run_gradient("numerical_gradient", numerical_gradient, _numerical_gradient_cases(seed),
                  lambda c: c.gradient(c.args[1]), _numerical_gradient_mistakes, keywords=("h",), close=_numerical_close,
                  error_hint=_numerical_gradient_error_hint)


class _Sealed(types.ModuleType):
    """The checks cannot be replaced from a notebook: a test cell must run the real ones."""

    def __setattr__(self, name, value):
        raise AttributeError(_sealed_message())

    def __delattr__(self, name):
        raise AttributeError(_sealed_message())


def _sealed_message():
    return tr(ja="cnnlab.checks はノートブックから書き換えられません。", en="cnnlab.checks cannot be changed from a notebook.")


sys.modules[__name__].__class__ = _Sealed


# =============================================================================================
# 07_train_cnn: the student's network class, evaluate() and train().
#
# Here students may build on cnnlab.nn (the library version of what 01-06 teach), so these
# checks do not refuse calls into cnnlab. They never trust a number the student reports: the
# gradient check computes centred differences itself, and the training check measures the wall
# time and evaluates the trained network on the test split, which train() never gets to see.
#
# The graded API (documented in the notebook):
#   net = ConvNet(rng=0, dtype=np.float32)   net.params: {name: array}, the arrays the layers use
#   net.forward(x (N, 1, 8, 8)) -> scores (N, 10);  net.loss(x, y) -> mean cross-entropy (float)
#   net.gradient(x, y) -> {name: d loss / d params[name]} with the keys and shapes of net.params
#   evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy in [0, 1])
#   train(net, data, epochs=..., ..., rng=0, progress=True)
#       -> {"train_loss": [...], "train_acc": [...], "val_loss": [...], "val_acc": [...]}, per epoch

TARGET_ACCURACY = 0.98
NUM_CLASSES = 10


def train_time_limit():
    """Seconds the graded training run may take: 15 by default, ``CNNLAB_TRAIN_TIME_LIMIT`` to change.

    A grader on a slow machine sets a larger value (and nbgrader's ``Execute.timeout`` above
    three times that: the run is stopped at three times the limit).
    """
    return _seconds_from_env("CNNLAB_TRAIN_TIME_LIMIT", "15")


class TestSplitHidden(AttributeError):
    """Raised when train() reads ``data.x_test`` / ``data.y_test``: the check keeps them for itself."""

    __test__ = False  # not a pytest test class


def _run_student(what, fn, *args, seconds=None, **kwargs):
    """``fn(*args, **kwargs)`` with a time limit, warnings ignored and stderr swallowed.

    nbgrader scores a test cell 0 when anything reaches stderr (a warning, a progress bar), so
    neither may escape from here. Raises _Failure with a message naming ``what`` when the call
    raises or runs out of time.
    """
    import contextlib
    import io

    seconds = time_limit() if seconds is None else seconds
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            with _Timer(seconds):
                return fn(*args, **kwargs)
    except _OutOfTime:
        raise _Failure(tr(
            ja=f"{what} が {seconds:g} 秒たっても終わりません。無限ループや大きすぎる計算になっていませんか？",
            en=f"{what} did not finish within {seconds:g} s. Is there an endless loop, or far too much work?")) from None
    except NotImplementedError:
        raise _Failure(tr(
            ja=f"{what} はまだ実装されていません: `raise NotImplementedError()` を消して、自分のコードを書いてください。",
            en=f"{what} is not implemented yet: replace `raise NotImplementedError()` with your code.")) from None
    except TestSplitHidden:
        raise _Failure(tr(
            ja="train が data.x_test / data.y_test を使っています。テスト用データは最後の評価のためだけのもので、採点では train に渡されません。学習中の確認には検証用データ（data.x_val, data.y_val）を使ってください。",
            en="train reads data.x_test / data.y_test. The test split is only for the final evaluation, and the check does not give it to train: use the validation split (data.x_val, data.y_val) while training.")) from None
    except Exception as error:  # the student's bug, reported, never the checker's crash
        raise _Failure(_student_error(what, error)) from None


def _student_error(what, error):
    """``what`` raised ``error``: the message, with the student's line that led to it."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.startswith(_PACKAGE_DIR) and "site-packages" not in frame.filename:
            code = f": {frame.line}" if frame.line else ""
            where = tr(ja=f"（{frame.lineno} 行目{code}）", en=f" (line {frame.lineno}{code})")
            break
    return tr(ja=f"{what} がエラーを出しました: {type(error).__name__}: {error}{where}",
              en=f"{what} raised {type(error).__name__}: {error}{where}")


def _require_parameters(fn, name, keywords):
    """``fn`` is callable and accepts the keyword arguments the checks pass to it."""
    if not callable(fn):
        raise TypeError(tr(ja=f"{name} を渡してください（{type(fn).__name__} が渡されました）。",
                           en=f"pass your {name} (got {type(fn).__name__})."))
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    missing = [k for k in keywords if k not in params]
    if missing:
        raise _Failure(tr(
            ja=f"{name} の引数 {', '.join(missing)} がありません。配布されたシグネチャのままにしてください（チェックはこの名前で渡します）。",
            en=f"{name} has lost its parameter(s) {', '.join(missing)}: keep the signature of the stub (the check passes them by name)."))


def _mean_cross_entropy(scores, labels):
    """scores (N, K) float64, labels int (N,) -> mean of -log softmax(scores)[n, labels[n]]."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def _as_scores(result, n, what):
    """The student's scores as float64 (n, 10), or a failure that says what came back instead."""
    if not isinstance(result, np.ndarray):
        raise _Failure(tr(ja=f"{what} は NumPy 配列 (N, 10) を返してください（{type(result).__name__} が返されました）。",
                          en=f"{what} must return a NumPy array (N, 10), not {type(result).__name__}."))
    if result.shape != (n, NUM_CLASSES):
        raise _Failure(tr(
            ja=f"{what} の出力の形が違います: 期待 ({n}, {NUM_CLASSES})、あなたの出力 {result.shape}。画像 1 枚につき 10 クラスのスコアを返します。",
            en=f"{what} returned the wrong shape: expected ({n}, {NUM_CLASSES}), got {result.shape}: one score per class (10) for each image."))
    if not (np.issubdtype(result.dtype, np.floating) or np.issubdtype(result.dtype, np.integer)):
        raise _Failure(tr(ja=f"{what} は数値の配列を返してください（dtype {result.dtype}）。",
                          en=f"{what} must return numbers, got dtype {result.dtype}."))
    return np.array(result, dtype=np.float64)


def _as_number(result, what):
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(())[()]
    if isinstance(result, bool) or not isinstance(result, (int, float, np.integer, np.floating)):
        raise _Failure(tr(ja=f"{what} は数（float）を 1 つ返してください（{type(result).__name__} が返されました）。",
                          en=f"{what} must return one number (a float), not {type(result).__name__}."))
    return float(result)


# ---------------------------------------------------------------------------------------------
# ConvNet: forward, loss and the gradient check.

GRADIENT_STEP = 1e-5       # h of the centred difference, in float64
GRADIENT_TOLERANCE = 1e-4  # relative error above which a gradient is wrong
ENTRIES_PER_PARAMETER = 8  # gradient entries compared per parameter array


def _make_network(ConvNet, dtype=None, rng=0, methods=("forward", "loss", "gradient")):
    """``ConvNet(rng=..., dtype=...)`` with the given methods; with ``gradient`` also a params dict."""
    kwargs = {"rng": rng} if dtype is None else {"rng": rng, "dtype": dtype}
    args = ", ".join(f"{k}=" + ("np.float64" if v is np.float64 else repr(v)) for k, v in kwargs.items())
    net = _run_student(f"ConvNet({args})", ConvNet, **kwargs)
    for method in methods:
        if not callable(getattr(net, method, None)):
            raise _Failure(tr(ja=f"ConvNet にメソッド {method} がありません。", en=f"ConvNet has no method {method}."))
    if "gradient" not in methods:
        return net
    params = getattr(net, "params", None)
    if not isinstance(params, dict) or not params or \
            not all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in params.items()):
        raise _Failure(tr(
            ja="net.params は {名前（文字列）: NumPy 配列} の dict にしてください（層が計算に使う配列そのもの）。",
            en="net.params must be a dict {name (str): NumPy array}: the very arrays the layers compute with."))
    return net


def _gradient_batches(seed):
    """(x, y) batches for the gradient check: smooth random images (no exact zeros, so no ReLU
    sits on its kink) of the digits' shape (N, 1, 8, 8), labels 0..9."""
    rng = np.random.default_rng(70 if seed is None else seed)
    sizes = (5,) if seed is None else (5, 3)
    return [(rng.uniform(0.05, 1.0, size=(n, 1, 8, 8)), rng.integers(0, NUM_CLASSES, size=n)) for n in sizes]


def _check_loss(net, x, y):
    """forward gives (N, 10) scores and loss is their mean softmax cross-entropy."""
    n = len(x)
    scores = _as_scores(_run_student("net.forward(x)", net.forward, x.copy()), n, "net.forward(x)")
    if not np.all(np.isfinite(scores)):
        raise _Failure(tr(ja="net.forward(x) の出力に nan か inf があります（初期の重みが大きすぎませんか）。",
                          en="net.forward(x) returned nan or inf (are the initial weights far too large?)."))
    got = _as_number(_run_student("net.loss(x, y)", net.loss, x.copy(), y.copy()), "net.loss(x, y)")
    want = _mean_cross_entropy(scores, y)
    if np.isclose(got, want, rtol=1e-6, atol=1e-9):
        return
    if np.isclose(got, n * want, rtol=1e-6):
        hint = tr(ja=f"損失がバッチの和になっています（{n} 倍）。平均（1/N）にしてください: バッチの大きさで結果が変わらないように。",
                  en=f"Your loss is the sum over the batch ({n} times the mean): divide by N, so that it does not grow with the batch size.")
    else:
        hint = tr(ja="損失は softmax(スコア) の正解クラスの確率の −log の、バッチ平均です。",
                  en="The loss is the batch mean of −log of the softmax probability of the right class.")
    raise _Failure(tr(
        ja=f"net.loss(x, y) が forward のスコアの交差エントロピーと合いません: 期待 {want:.6g}、あなたの値 {got:.6g}（N = {n}）。{hint}",
        en=f"net.loss(x, y) does not match the cross-entropy of forward's scores: expected {want:.6g}, got {got:.6g} (N = {n}). {hint}"))


def _analytic_gradients(net, x, y):
    """net.gradient(x, y) as float64 copies, with the keys and shapes of net.params checked."""
    before = {k: v.copy() for k, v in net.params.items()}
    grads = _run_student("net.gradient(x, y)", net.gradient, x.copy(), y.copy())
    if any(not np.array_equal(before[k], v) for k, v in net.params.items()):
        raise _Failure(tr(
            ja="net.gradient が net.params を書き換えています。gradient は勾配を返すだけにして、重みの更新は train の中で行ってください。",
            en="net.gradient changed net.params. gradient only computes the gradients; the update belongs in train."))
    if grads is None:
        raise _Failure(tr(ja="net.gradient が None を返しました。`return grads` を忘れていませんか？",
                          en="net.gradient returned None: did you forget `return grads`?"))
    if not isinstance(grads, dict):
        raise _Failure(tr(ja=f"net.gradient は params と同じキーの dict を返してください（{type(grads).__name__} が返されました）。",
                          en=f"net.gradient must return a dict with the keys of net.params, not {type(grads).__name__}."))
    missing = [k for k in net.params if k not in grads]
    if missing:
        raise _Failure(tr(
            ja=f"勾配が足りません: {', '.join(repr(k) for k in missing)} の勾配がありません。net.params のすべてのパラメータについて勾配を返してください。",
            en=f"A parameter gradient is missing: no gradient for {', '.join(repr(k) for k in missing)}. Return a gradient for every parameter in net.params."))
    extra = [k for k in grads if k not in net.params]
    if extra:
        raise _Failure(tr(ja=f"net.params にないキーの勾配があります: {', '.join(repr(k) for k in extra)}。キーは params と同じ名前にします。",
                          en=f"gradients for keys that are not in net.params: {', '.join(repr(k) for k in extra)}. Use the keys of params."))
    result = {}
    for key, p in net.params.items():
        g = grads[key]
        if not isinstance(g, np.ndarray):
            raise _Failure(tr(ja=f"勾配 {key!r} が NumPy 配列ではありません（{type(g).__name__}）。",
                              en=f"the gradient {key!r} is not a NumPy array ({type(g).__name__})."))
        if g.shape != p.shape:
            hint = ""
            if g.ndim == p.ndim == 2 and g.shape == p.shape[::-1]:
                hint = tr(ja="転置になっていませんか（dW = x.T @ dout）？", en="Is it transposed (dW = x.T @ dout)?")
            elif g.size == p.size:
                hint = tr(ja="要素の数は合っています: reshape を忘れていませんか？", en="The size is right: a missing reshape?")
            raise _Failure(tr(
                ja=f"勾配 {key!r} の形が違います: params[{key!r}] は {p.shape}、勾配は {g.shape}。勾配はパラメータと同じ形です。{hint}",
                en=f"the gradient {key!r} has the wrong shape: params[{key!r}] is {p.shape}, the gradient {g.shape}. A gradient has the shape of its parameter. {hint}").rstrip())
        result[key] = np.array(g, dtype=np.float64)
    return result


def _numerical_gradients(net, x, y, entries):
    """Centred differences (L(p + h) - L(p - h)) / 2h at the chosen entries of every parameter."""
    h = GRADIENT_STEP

    def differences():
        out = {}
        for key, idx in entries.items():
            p = net.params[key]
            values = []
            for i in idx:
                old = p.flat[i]
                p.flat[i] = old + h
                plus = float(net.loss(x, y))
                p.flat[i] = old - h
                minus = float(net.loss(x, y))
                p.flat[i] = old        # leave the network as it was
                values.append((plus - minus) / (2 * h))
            out[key] = np.array(values)
        return out

    return _run_student("net.loss(x, y)", differences, seconds=max(time_limit(), 30))


def _relative_error(a, n):
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if scale < 1e-10 else float(np.linalg.norm(a - n) / scale)


def _gradient_mistake(a, n, batch):
    """Name what turns the right gradient n into a: a sign, a factor N, zeros; else None."""
    if np.linalg.norm(n) < 1e-10:
        return None
    if np.linalg.norm(a) == 0:
        return "zero"
    for label, factor in (("sign", -1.0), ("no-mean", float(batch)), ("twice-mean", 1.0 / batch), ("no-mean-sign", -float(batch))):
        if _relative_error(a, factor * n) < GRADIENT_TOLERANCE * 10:
            return label
    return None


def _gradient_message(bad, batch):
    """bad: [(key, relative error, mistake label)] for every parameter whose gradient is wrong."""
    labels = {label for _, _, label in bad}
    keys = ", ".join(repr(k) for k, _, _ in bad)
    common = labels.pop() if len(labels) == 1 else None
    whole = tr(ja="（すべてのパラメータで同じなので、最後の損失の層の逆伝播 dscores = (softmax − 正解の one-hot) / N が怪しいです）",
               en=" (the same for every parameter, so look at the loss layer's backward: dscores = (softmax − one-hot labels) / N)")
    where = whole if common and len(bad) > 1 else ""
    texts = {
        "sign": tr(ja=f"勾配の符号が逆です（{keys}）{where}。勾配は損失が増える向きです: softmax − 正解、の順に引きます。符号が逆だと学習で損失が増えていきます。",
                   en=f"The gradient sign is flipped ({keys}){where}. The gradient points to where the loss grows: softmax minus the one-hot labels, not the other way round. With the sign flipped, training makes the loss larger."),
        "no-mean": tr(ja=f"勾配がちょうど N = {batch} 倍です（{keys}）: 1/N（バッチの平均）が抜けています{where}。損失はバッチの平均なので、勾配も N で割ります。",
                      en=f"The gradient is exactly N = {batch} times too large ({keys}): the 1/N of the batch mean is missing{where}. The loss is a mean over the batch, so its gradient is divided by N too."),
        "twice-mean": tr(ja=f"勾配が 1/N = 1/{batch} 倍です（{keys}）: N で 2 回割っています。",
                         en=f"The gradient is 1/N = 1/{batch} of the right one ({keys}): you divided by N twice."),
        "no-mean-sign": tr(ja=f"勾配の符号が逆で、さらに N = {batch} 倍です（{keys}）: softmax − 正解 の順に引き、N で割ってください。",
                           en=f"The gradient sign is flipped and it is N = {batch} times too large ({keys}): use (softmax − one-hot) / N."),
        "zero": tr(ja=f"勾配がすべて 0 です（{keys}）: そのパラメータまで逆伝播が届いていないか、勾配が抜けています。",
                   en=f"The gradient is zero everywhere ({keys}): a parameter gradient is missing, or backpropagation does not reach that layer."),
    }
    if common in texts:
        return texts[common]
    worst = max(bad, key=lambda b: b[1])
    named = [texts[label] for _, _, label in bad if label in texts]
    return tr(
        ja=f"数値微分と合わない勾配があります: {keys}（相対誤差 最大 {worst[1]:.2g}、許容 {GRADIENT_TOLERANCE:g}）。その層の逆伝播を確かめてください（dW、db、dx の式、転置、reshape）。" + ("".join(" " + t for t in named)),
        en=f"Some gradients do not match the numerical ones: {keys} (relative error up to {worst[1]:.2g}, tolerance {GRADIENT_TOLERANCE:g}). Check that layer's backward pass (the dW, db, dx formulas, transposes, reshapes)." + ("".join(" " + t for t in named)))


@_public
def check_convnet(ConvNet, seed=None):
    """Check ``ConvNet``: forward's shape, loss = mean cross-entropy, and every parameter's gradient
    against centred differences (float64, ``ConvNet(rng=0, dtype=np.float64)``, a tiny batch)."""
    _require_parameters(ConvNet, "ConvNet", ("rng", "dtype"))
    net = _make_network(ConvNet, dtype=np.float64)
    not64 = {k: v.dtype for k, v in net.params.items() if v.dtype != np.float64}
    if not64:
        key, dtype = next(iter(not64.items()))
        raise _Failure(tr(
            ja=f"ConvNet(dtype=np.float64) のパラメータ {key!r} が {dtype} です。dtype をすべての層に渡してください（数値微分には float64 の精度が要ります: float32 は約 7 桁しかありません）。",
            en=f"ConvNet(dtype=np.float64) made parameter {key!r} of dtype {dtype}: pass dtype on to every layer (the numerical gradient needs float64; float32 has only about 7 digits)."))
    rng = np.random.default_rng(71 if seed is None else seed)
    worst = 0.0
    for x, y in _gradient_batches(seed):
        _check_loss(net, x, y)
        analytic = _analytic_gradients(net, x, y)
        entries = {k: rng.choice(p.size, size=min(p.size, ENTRIES_PER_PARAMETER), replace=False)
                   for k, p in net.params.items()}
        numeric = _numerical_gradients(net, x, y, entries)
        if all(np.linalg.norm(n) == 0 for n in numeric.values()):
            raise _Failure(tr(
                ja="net.params の値を変えても net.loss が変わりません。params には、層が計算に使っている配列そのものを入れてください（コピーではなく）。",
                en="Changing the arrays in net.params does not change net.loss: params must hold the very arrays the layers compute with (not copies)."))
        bad = []
        for key, idx in entries.items():
            a, n = analytic[key].ravel()[idx], numeric[key]
            error = _relative_error(a, n)
            worst = max(worst, error)
            if error > GRADIENT_TOLERANCE:
                bad.append((key, error, _gradient_mistake(a, n, len(x))))
        if bad:
            raise _Failure(tr(ja=f"勾配チェック（バッチ N = {len(x)}）: ", en=f"gradient check (batch N = {len(x)}): ")
                           + _gradient_message(bad, len(x)))
    print(tr(
        ja=f"✓ ConvNet: forward は (N, 10)、loss は交差エントロピーの平均、{len(net.params)} 個のパラメータの勾配が数値微分と一致しました（相対誤差 最大 {worst:.1g}）。",
        en=f"✓ ConvNet: forward gives (N, 10), loss is the mean cross-entropy, and the gradients of all {len(net.params)} parameters match centred differences (relative error at most {worst:.1g})."))


# ---------------------------------------------------------------------------------------------
# evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy)


class _ScoreNet:
    """Stands in for a trained network in check_evaluate: fixed scores x.reshape(N, 64) @ M.

    Remembers the largest batch it was given, so the check can tell whether evaluate went
    batch by batch.
    """

    def __init__(self, rng):
        self.M = rng.normal(size=(64, NUM_CLASSES)) * 3.0
        self.params, self.layers = {}, []
        self.largest_batch = 0

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.largest_batch = max(self.largest_batch, len(x))
        return x.reshape(len(x), -1) @ self.M

    def loss(self, x, y):
        return _mean_cross_entropy(self.forward(x), np.asarray(y))

    def gradient(self, x, y):
        raise RuntimeError("evaluate only measures the network: it does not need gradients")


def _evaluate_cases(seed):
    """[(what_ja, what_en, net, x, y, batch_size or None)]: uneven last batch, one batch, random."""
    rng = np.random.default_rng(72)
    shapes = [(10, 4, "10 枚をバッチ 4 で（4 + 4 + 2 枚、最後のバッチが小さい）", "10 images in batches of 4 (4 + 4 + 2: the last batch is smaller)"),
              (7, None, "7 枚を 1 つのバッチで（batch_size は既定の 256）", "7 images in one batch (the default batch_size 256)")]
    if seed is not None:
        rng = np.random.default_rng(seed)
        shapes.append((int(rng.integers(20, 60)), int(rng.integers(3, 9)), "ランダムな枚数とバッチの大きさ", "a random number of images and batch size"))
    cases = []
    for n, batch, ja, en in shapes:
        net = _ScoreNet(rng)
        x = rng.uniform(0, 1, size=(n, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, NUM_CLASSES, size=n)
        right = rng.permutation(n)[: n // 2]       # about half right, so accuracy is not 0 or 1
        y[right] = net.forward(x[right]).argmax(axis=1)
        net.largest_batch = 0
        cases.append((ja, en, net, x, y, batch))
    return cases


def _evaluate_mistakes(net, x, y, batch):
    scores = net.forward(x)
    net.largest_batch = 0
    n = len(x)
    loss, acc = _mean_cross_entropy(scores, y), float(np.mean(scores.argmax(axis=1) == y))
    starts = range(0, n, batch)
    batch_losses = [_mean_cross_entropy(scores[s:s + batch], y[s:s + batch]) for s in starts]
    batch_accs = [float(np.mean(scores[s:s + batch].argmax(axis=1) == y[s:s + batch])) for s in starts]
    mistakes = [
        ((loss, 100 * acc), "正解率を百分率（%）で返しています。0 から 1 の割合にしてください（グラフの縦軸もそろいます）。",
         "You return the accuracy in percent: return a fraction between 0 and 1."),
        ((loss, acc * n), "正解率ではなく正解の数を返しています。画像の数で割ってください。",
         "You return the number of correct images, not the accuracy: divide by the number of images."),
        ((acc, loss), "(損失, 正解率) の順番が逆です。", "Your pair is in the wrong order: return (loss, accuracy)."),
        ((loss * n, acc), "損失が平均ではなく合計になっています。画像の数で割ってください。",
         "Your loss is the total, not the mean: divide by the number of images."),
    ]
    if len(batch_losses) > 1 and len(x) % batch:
        mistakes += [
            ((float(np.mean(batch_losses)), float(np.mean(batch_accs))),
             "バッチごとの平均をそのまま平均しています。最後のバッチは小さいので、バッチの大きさで重みを付けてください（合計を足して最後に N で割る）。",
             "You averaged the per-batch means, but the last batch is smaller: weight each batch by its size (sum the totals, divide by N once at the end)."),
            ((float(np.mean(batch_losses)), acc),
             "損失で、バッチごとの平均をそのまま平均しています。最後のバッチは小さいので、バッチの大きさで重みを付けてください（合計を足して最後に N で割る）。",
             "Your loss averages the per-batch means, but the last batch is smaller: weight each batch by its size (sum the totals, divide by N once at the end)."),
            ((loss, float(np.mean(batch_accs))),
             "正解率で、バッチごとの値をそのまま平均しています。最後のバッチは小さいので、正解の数を足して最後に N で割ってください。",
             "Your accuracy averages the per-batch accuracies, but the last batch is smaller: count the correct images and divide by N once at the end."),
            ((batch_losses[0], batch_accs[0]), "最初のバッチしか評価していません。すべてのバッチについてループしてください。",
             "Only the first batch is evaluated: loop over all the batches."),
        ]
    if n == NUM_CLASSES:
        mistakes.append(((loss, float(np.mean(scores.argmax(axis=0) == y))),
                         "予測の argmax の軸が違います: クラスの軸（axis=1）で取ります。",
                         "The prediction's argmax runs over the wrong axis: take it over the classes, axis=1."))
    return (loss, acc), mistakes


@_public
def check_evaluate(evaluate, seed=None):
    """Check ``evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy)`` on stand-in networks
    with known scores: batch by batch, the smaller last batch weighted right."""
    name = "evaluate"
    _require_parameters(evaluate, name, ("batch_size",))
    for ja, en, net, x, y, batch in _evaluate_cases(seed):
        kwargs = {} if batch is None else {"batch_size": batch}
        call = tr(ja=f"evaluate（{ja}）", en=f"evaluate ({en})")
        result = _run_student(call, evaluate, net, x.copy(), y.copy(), **kwargs)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise _Failure(tr(ja=f"{call} は (損失, 正解率) の 2 つを返してください（{type(result).__name__} が返されました）。",
                              en=f"{call} must return the pair (loss, accuracy), not {type(result).__name__}."))
        got = (_as_number(result[0], call), _as_number(result[1], call))
        largest = net.largest_batch                  # before the check's own forward passes
        (loss, acc), mistakes = _evaluate_mistakes(net, x, y, batch or 256)
        if np.allclose(got, (loss, acc), rtol=1e-6, atol=1e-9):
            if batch is not None and largest > batch:
                raise _Failure(tr(
                    ja=f"{call}: net.forward に {largest} 枚をまとめて渡しています。batch_size = {batch} 枚ずつに分けてください（大きなデータでもメモリに収まるように）。",
                    en=f"{call}: net.forward got {largest} images at once. Go batch_size = {batch} images at a time (so that a large data set fits in memory)."))
            continue
        hint = next((tr(ja=ja_text, en=en_text) for wrong, ja_text, en_text in mistakes
                     if np.allclose(got, wrong, rtol=1e-6, atol=1e-9)), "")
        raise _Failure(tr(
            ja=f"{call} の答えが違います: 期待 (損失 {loss:.6g}, 正解率 {acc:.6g})、あなたの値 ({got[0]:.6g}, {got[1]:.6g})。{hint}",
            en=f"{call} gave a wrong answer: expected (loss {loss:.6g}, accuracy {acc:.6g}), got ({got[0]:.6g}, {got[1]:.6g}). {hint}").rstrip())
    print(tr(ja=f"✓ {name}: すべてのケースで正解です。", en=f"✓ {name}: all cases passed."))


# ---------------------------------------------------------------------------------------------
# train(net, data, ...) -> history: trained honestly, timed, evaluated on the hidden test split.

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")
#: After the graded training the training loss must be below this fraction of where it started
#: (a network that learned, from ln 10 ≈ 2.3 to below 0.1, passes with room to spare; one that
#: diverged or died at a constant output, near ln 10, does not).
LOSS_DROP = 0.5


def _training_data():
    """(the full digits split, the same split with x_test / y_test hidden from train)."""
    from .data import Digits, load_digits

    class TrainingData(Digits):
        """The digits split as train() gets it: the test split is kept back for the check."""

        __slots__ = ()

        @property
        def x_test(self):
            raise TestSplitHidden("x_test")

        @property
        def y_test(self):
            raise TestSplitHidden("y_test")

    data = load_digits()
    return data, TrainingData(data.x_train, data.y_train, data.x_val, data.y_val, None, None)


def _measure(net, x, y):
    """(mean cross-entropy, accuracy) of the student's network on x, y, computed by the check."""
    scores = []
    for start in range(0, len(x), 256):
        batch = x[start:start + 256].copy()
        scores.append(_as_scores(_run_student("net.forward(x)", net.forward, batch), len(batch), "net.forward(x)"))
    scores = np.concatenate(scores)
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(scores)):
            return float("nan"), float(np.mean(np.nan_to_num(scores).argmax(axis=1) == y))
        return _mean_cross_entropy(scores, y), float(np.mean(scores.argmax(axis=1) == y))


def _check_history(history, epochs=None):
    """The history train returned has the four per-epoch lists of finite numbers."""
    keys = ", ".join(f'"{k}"' for k in HISTORY_KEYS)
    if not isinstance(history, dict) or any(k not in history for k in HISTORY_KEYS):
        got = "None" if history is None else (sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__)
        raise _Failure(tr(
            ja=f"train は {keys} をキーに持つ dict（エポックごとの値のリスト）を返してください（返されたもの: {got}）。`return history` を忘れていませんか？",
            en=f"train must return a dict with the keys {keys}, each a list with one value per epoch (got: {got}). Did you forget `return history`?"))
    lengths = set()
    for key in HISTORY_KEYS:
        try:
            values = np.asarray(history[key], dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.ndim != 1 or values.size == 0:
            raise _Failure(tr(ja=f"history[\"{key}\"] はエポックごとの数のリストにしてください。",
                              en=f"history[\"{key}\"] must be a list of numbers, one per epoch."))
        if key.endswith("acc") and np.any((values < 0) | (values > 1)):
            raise _Failure(tr(ja=f"history[\"{key}\"] の正解率は 0 から 1 の割合にしてください（{values.max():.4g} があります）。",
                              en=f"history[\"{key}\"] must hold accuracies as fractions between 0 and 1 (found {values.max():.4g})."))
        lengths.add(values.size)
    if len(lengths) > 1 or (epochs is not None and lengths != {epochs}):
        raise _Failure(tr(
            ja=f"history の 4 つのリストは、どれもエポックごとに 1 つずつの値（{epochs or 'エポック数'} 個）にしてください（長さ {sorted(lengths)}）。",
            en=f"each of the four history lists needs one value per epoch ({epochs or 'the number of epochs'}); got lengths {sorted(lengths)}."))


def _loss_message(before, after):
    if not np.isfinite(after):
        return tr(
            ja=f"損失が減っていません: 学習の前 {before:.3f} → 学習の後 {after}（発散しました）。学習率が大きすぎないか、勾配の符号（params -= lr * grad）を確かめてください。",
            en=f"The loss is not decreasing: {before:.3f} before training, {after} after (it diverged). Check your learning rate (is it far too high?) and the gradient sign (params -= lr * grad).")
    return tr(
        ja=f"損失が減っていません: 訓練データの損失が学習の前 {before:.3f} → 学習の後 {after:.3f}。学習率（大きすぎ・小さすぎ）と勾配の符号（params -= lr * grad）を確かめてください。",
        en=f"The loss is not decreasing: the training loss went from {before:.3f} before training to {after:.3f} after. Check your learning rate (far too high, or too low?) and the gradient sign (params -= lr * grad).")


def _train_once(ConvNet, train, given, seconds, **kwargs):
    """A fresh ConvNet(rng=...) trained by the student's train; returns (net, history, seconds, loss before)."""
    import time

    from threadpoolctl import threadpool_limits

    # Only forward is used here: the check measures the loss and the accuracy from the scores.
    net = _make_network(ConvNet, rng=kwargs.get("rng", 0), methods=("forward",))
    with threadpool_limits(limits=1, user_api="blas"):
        # One BLAS thread: the time then does not depend on what else the machine is running
        # (two OpenBLAS threads on two busy cores can be several times slower than one).
        before = _measure(net, given.x_train, given.y_train)[0]
        start = time.perf_counter()
        history = _run_student("train(net, data, ...)", train, net, given, seconds=seconds, progress=False, **kwargs)
        elapsed = time.perf_counter() - start
    return net, history, elapsed, before


@_public
def check_train(ConvNet, train, seed=None):
    """Check ``train(net, data, ...)``.

    ``seed=None`` (the visible test): one epoch, ``train(ConvNet(rng=0), data, epochs=1,
    progress=False)``: the history's form and a falling loss. An int (the graded run): a fresh
    ``ConvNet(rng=seed)`` trained by ``train(net, data, rng=seed, progress=False)`` with the
    student's own defaults, timed (``train_time_limit()`` seconds, one BLAS thread), then
    evaluated by this check on the test split, which ``data`` does not contain: it must reach
    ``TARGET_ACCURACY``.
    """
    _require_parameters(ConvNet, "ConvNet", ("rng",))
    _require_parameters(train, "train", ("epochs", "rng", "progress"))
    data, given = _training_data()
    limit = train_time_limit()
    if seed is None:
        net, history, elapsed, before = _train_once(ConvNet, train, given, 3 * limit, epochs=1)
        _check_history(history, epochs=1)
        after = _measure(net, data.x_train, data.y_train)[0]
        if not after < before:
            raise _Failure(_loss_message(before, after))
        print(tr(
            ja=f"✓ train: 1 エポック {elapsed:.2f} 秒、訓練データの損失 {before:.3f} → {after:.3f}、history の形も正しいです。"
               f"採点ではあなたの既定のエポック数で学習し、{limit:g} 秒以内にテスト用データで {TARGET_ACCURACY:.0%} 以上が必要です。",
            en=f"✓ train: one epoch in {elapsed:.2f} s, training loss {before:.3f} → {after:.3f}, and the history has the right form. "
               f"The graded run trains with your default number of epochs and needs {TARGET_ACCURACY:.0%} test accuracy within {limit:g} s."))
        return
    net, history, elapsed, before = _train_once(ConvNet, train, given, 3 * limit, rng=int(seed))
    _check_history(history)
    after, train_acc = _measure(net, data.x_train, data.y_train)
    val_acc = _measure(net, data.x_val, data.y_val)[1]
    test_acc = _measure(net, data.x_test, data.y_test)[1]
    n_test = len(data.y_test)
    problems = []
    if not after < LOSS_DROP * before:
        problems.append(_loss_message(before, after))
    if test_acc < TARGET_ACCURACY:
        problems.append(tr(
            ja=f"テスト用データの正解率 {test_acc:.1%}（{round(test_acc * n_test)} / {n_test}）が {TARGET_ACCURACY:.0%} に届きません。"
               "エポック数を増やす、学習率を調整する、2 つ目の畳み込み層を足す、random_shift で訓練画像を少しずらす（データ拡張）などを試してください。"
               "検証用データの正解率の曲線を見て決めます（テスト用データでは決めません）。",
            en=f"Test accuracy {test_acc:.1%} ({round(test_acc * n_test)} of {n_test}) < {TARGET_ACCURACY:.0%}. "
               "Train for more epochs, tune the learning rate, add a second convolution layer, or shift the training images a little "
               "with random_shift (data augmentation). Decide by the validation accuracy curve, never by the test split."))
    if elapsed > limit:
        problems.append(tr(
            ja=f"学習に {elapsed:.1f} 秒かかりました（制限 {limit:g} 秒、BLAS 1 スレッド）。エポック数やフィルタの数を減らす、ループを NumPy の行列計算（im2col）にする、毎エポックの評価を軽くする、などで速くしてください。",
            en=f"Training took {elapsed:.1f} s > {limit:g} s (one BLAS thread). Fewer epochs or filters, NumPy matrix products (im2col) instead of Python loops, or a lighter evaluation per epoch will make it faster."))
    reported = float(np.asarray(history["val_acc"], dtype=np.float64)[-1])
    slack = 2.0 / len(data.y_val)
    if abs(reported - val_acc) > slack:
        on_train = abs(reported - train_acc) <= slack
        problems.append(tr(
            ja=f"history[\"val_acc\"] の最後の値 {reported:.4f} が、学習後のネットワークの検証用データでの正解率 {val_acc:.4f} と合いません。"
               + ("訓練データで評価しているようです（訓練データの正解率は " + f"{train_acc:.4f}）。" if on_train else "")
               + "各エポックの後で data.x_val, data.y_val を使って評価してください。",
            en=f"history[\"val_acc\"] ends at {reported:.4f}, but the trained network's accuracy on the validation split is {val_acc:.4f}. "
               + (f"It looks like you evaluated on the training data (training accuracy {train_acc:.4f}). " if on_train else "")
               + "Evaluate on data.x_val, data.y_val after every epoch."))
    if problems:
        raise _Failure("\n  ".join(problems))
    print(tr(
        ja=f"✓ train: テスト用データの正解率 {test_acc:.1%}（{round(test_acc * n_test)} / {n_test}）≥ {TARGET_ACCURACY:.0%}、学習時間 {elapsed:.1f} 秒 ≤ {limit:g} 秒。",
        en=f"✓ train: test accuracy {test_acc:.1%} ({round(test_acc * n_test)} of {n_test}) ≥ {TARGET_ACCURACY:.0%}, trained in {elapsed:.1f} s ≤ {limit:g} s."))
