"""06_backprop: numerical_gradient(f, x, h=1e-5), checked against the exact gradients of known
functions f: centred differences for every element of x, and x left as it was.
"""

import numpy as np

from ..language import tr
from . import given
from . import reference as ref
from .a06_backprop import backward
from .core import Case, Mistake, quarters

# numerical_gradient(f, x, h=1e-5) --------------------------------------------------------------

# The functions handed to the student's numerical_gradient: cnnlab.checks.given, compiled under a
# name outside the package (calling them is not calling cnnlab). A case holds them by name and plain
# parameters, so the grading sandbox makes the same ones (cnnlab.grading.cases).
_GIVEN = given.compiled()

#: numerical_gradient is right when it is this close to the exact gradient: a centred difference
#: with h = 1e-5 is within about 1e-10; a one-sided one is off by about h·f''/2, some 1e-5 here.
NUMERICAL_RTOL = 1e-6


def _polynomial(c, d, text):
    """(f, its exact gradient) for f(x) = Σ c·x³ + d·x."""
    return _GIVEN["make"](["polynomial", [c, d], text]), lambda x: 3 * c * np.asarray(x, np.float64) ** 2 + d


def _squares(scale, text):
    """(f, its exact gradient) for f(x) = scale·Σ x²."""
    return _GIVEN["make"](["squares", [scale], text]), lambda x: 2 * scale * np.asarray(x, np.float64)


def _network(inputs, labels, text):
    """(f, its exact gradient) for the mean cross-entropy of softmax(inputs @ w) as a function of w."""
    def gradient(w):
        return inputs.T @ ref.softmax_ce_backward(inputs @ np.asarray(w, np.float64), labels)
    return _GIVEN["make"](["network_loss", [inputs, labels], text]), gradient


def numerical_gradient_cases(seed):
    rng = np.random.default_rng(66)
    cube = _polynomial(1.0, 0.0, "f(x) = sum(x**3)")
    inputs, labels = quarters(rng, (5, 3)), np.array([0, 3, 1, 2, 3])
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
        cases.append(Case(ja, en, (f, x), kwargs, extra={"gradient": gradient}))  # the exact gradient
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


def numerical_gradient_mistakes(case):
    f, x = case.args
    h = case.kwargs.get("h", 1e-5)
    centred = _differences(f, x, h, "centred")
    return [
        Mistake("forward_difference", "片側の差分 (f(x+h) − f(x)) / h を使っています: 誤差が h に比例して残ります。中心差分 (f(x+h) − f(x−h)) / 2h を使ってください（誤差は h² に比例）。",
                "You used a one-sided (forward) difference (f(x+h) − f(x)) / h: its error shrinks only like h. Use the centred difference (f(x+h) − f(x−h)) / 2h, whose error shrinks like h².",
                lambda c: _differences(f, x, h, "forward")),
        Mistake("divided_by_h", "h ではなく 2h で割ってください: 中心差分は (f(x+h) − f(x−h)) / (2h) です（x+h と x−h の間は 2h）。",
                "Divide by 2h, not by h: the centred difference is (f(x+h) − f(x−h)) / (2h), since x+h and x−h are 2h apart.",
                lambda c: 2 * centred),
        Mistake("precedence", "/ 2 * h は (… / 2) · h の意味になります。かっこを付けて / (2 * h) と書いてください。",
                "/ 2 * h means (… / 2) · h: write / (2 * h) with the parentheses.",
                lambda c: centred * h * h),
        Mistake("all_at_once", "h をすべての要素に一度に足しています: x + h はすべての要素を動かすので、得られるのは 1 つの数（方向微分）です。要素を 1 つずつ、x[i] だけを ±h 動かしてください。",
                "You applied h to every element at once: x + h moves all the entries, which gives a single number (a directional derivative). Move one entry at a time, only x[i] by ±h.",
                lambda c: _differences(f, x, h, "all") if np.size(x) > 1 else None),
        Mistake("rows_at_once", "h を行全体に足しています（x[i] は 2 次元の x では 1 行です）。要素を 1 つずつ動かします: np.ndindex(x.shape) や np.nditer で、すべての添字を回ってください。",
                "You moved a whole row at once (x[i] is a row of a 2-D x): move one element at a time, visiting every index with np.ndindex(x.shape) or np.nditer.",
                lambda c: _differences(f, x, h, "rows") if np.ndim(x) >= 2 and np.shape(x)[1] > 1 else None),
        Mistake("minus_at_x", "f(x−h) を x で計算しています: x[i] += h の後に x[i] −= h とすると x に戻るだけです。x − h にするには 2h 引くか、元の値 old を使って x[i] = old − h とします。",
                "You evaluated f(x−h) at x: after x[i] += h, x[i] -= h only brings x back. Subtract 2h, or set x[i] = old − h from the saved old value.",
                lambda c: _differences(f, x, h, "no-restore-between")),
        Mistake("sign_flipped", "差の順番が逆です（符号が反対）: (f(x+h) − f(x−h)) / 2h です。",
                "The difference is the wrong way round (the sign is flipped): (f(x+h) − f(x−h)) / 2h.", lambda c: -centred),
        Mistake("int_x", "x が整数の配列なので、x[i] + h が整数に丸められています。float のコピーを作ってから動かしてください（元の x は変えずに、dtype を float に変えたコピー）。",
                "x is an int array, so x[i] + h is rounded back to an int: work on a float copy (a copy with the dtype float, leaving the caller's x alone).",
                lambda c: _differences(f, x, h, "int") if np.issubdtype(np.asarray(x).dtype, np.integer) else None),
        Mistake("int_x", "x が整数の配列なので、x[i] + h が整数に丸められています（勾配の配列も整数です）。float のコピーを作ってから動かしてください（元の x は変えずに、dtype を float に変えたコピー）。",
                "x is an int array, so x[i] + h is rounded back to an int (and so is your gradient array): work on a float copy (a copy with the dtype float, leaving the caller's x alone).",
                lambda c: np.trunc(_differences(f, x, h, "int")) if np.issubdtype(np.asarray(x).dtype, np.integer) else None),
    ]


def numerical_close(got, want):
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return got.shape == want.shape and np.allclose(got, want, rtol=NUMERICAL_RTOL, atol=NUMERICAL_RTOL * 0.1 * scale)


def numerical_gradient_hint(case, outcome):
    if outcome.kind == "modified_input" and not np.issubdtype(np.asarray(case.args[1]).dtype, np.floating):
        return " " + tr(
            ja="x が整数の配列なので、x[i] += h が整数に丸められ、x が動いたままになります。float のコピー（dtype を float に変えたコピー）を作ってから動かしてください。",
            en="x is an int array, so x[i] += h is rounded to an int and x is left moved: work on a float copy (a copy with the dtype float).")
    if outcome.kind == "modified_input":
        return " " + tr(
            ja="numerical_gradient は計算の途中で x を動かしてかまいませんが、呼び出しが終わったとき x は元のままでなければなりません。各要素の 2 回の計算の後で、x[i] を元の値に戻してください（保存しておいた old を入れ直すのが確実です）。",
            en="numerical_gradient may move x while it computes, but when it returns x must be as it was: after the two evaluations of each entry, put x[i] back (setting it to the saved old value is the sure way).")
    if outcome.kind == "index":
        return " " + tr(ja="x はどんな形でもかまいません: np.ndindex(x.shape) や np.nditer(x, flags=['multi_index']) で、すべての要素の添字を回ってください。",
                        en="x may have any shape: visit the index of every element with np.ndindex(x.shape) or np.nditer(x, flags=['multi_index']).")
    return ""


NUMERICAL_GRADIENT = backward(
    "numerical_gradient",
    "Check ``numerical_gradient(f, x, h=1e-5)`` against exact gradients of known functions f:\n"
    "    centred differences for every element of x, and x left as it was.",
    numerical_gradient_cases, lambda c: c.extra["gradient"](c.args[1]), numerical_gradient_mistakes,
    keywords=("h",), close=numerical_close, hint=numerical_gradient_hint,
    input_rtol=1e-12)   # x put back by arithmetic (x[i] += h ... x[i] -= h) may differ in the last bit

CHECKS = [NUMERICAL_GRADIENT]
