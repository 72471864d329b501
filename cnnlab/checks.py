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
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def time_limit():
    """Seconds one call of a student's function may take before it counts as hanging.

    10 by default; the ``CNNLAB_TIME_LIMIT`` environment variable sets another.
    """
    value = os.environ.get("CNNLAB_TIME_LIMIT", "10")
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"CNNLAB_TIME_LIMIT must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"CNNLAB_TIME_LIMIT must be positive, got {value!r}")
    return seconds


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
    elif isinstance(error, (IndexError, ValueError)) and ("broadcast" in str(error) or "index" in str(error)):
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
        arrays = tr(ja=f"\n  期待:       {_fmt(expected)}\n  あなたの値: {_fmt(got)}",
                    en=f"\n  expected: {_fmt(expected)}\n  got:      {_fmt(got)}")
    head = tr(ja=f"{name} の答えが違います。ケース: {case.describe()}。", en=f"{name} gave a wrong answer. Case: {case.describe()}.")
    return f"{head}\n  {hint + ' ' if hint else ''}{detail}{arrays}"


def _fmt(a):
    return np.array2string(a, precision=4, suppress_small=True, separator=", ").replace("\n", " ")


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
    """Turn internal failures into a CheckFailed raised from the public function itself."""

    def wrapper(fn, seed=None):
        __tracebackhide__ = True
        _require_seed(seed)
        try:
            check(fn, seed)
        except _Failure as failure:
            raise CheckFailed(str(failure)) from None

    wrapper.__name__ = check.__name__
    wrapper.__qualname__ = check.__qualname__
    wrapper.__doc__ = check.__doc__
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


class _Sealed(types.ModuleType):
    """The checks cannot be replaced from a notebook: a test cell must run the real ones."""

    def __setattr__(self, name, value):
        raise AttributeError(_sealed_message())

    def __delattr__(self, name):
        raise AttributeError(_sealed_message())


def _sealed_message():
    return tr(ja="cnnlab.checks はノートブックから書き換えられません。", en="cnnlab.checks cannot be changed from a notebook.")


sys.modules[__name__].__class__ = _Sealed
