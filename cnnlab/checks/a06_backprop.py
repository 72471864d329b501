"""06_backprop: the backward passes (relu, affine, softmax with cross-entropy, max pooling,
convolution) and affine_forward.

A backward function may return several arrays (dx, dw, db): each one is compared and diagnosed on
its own (a Mistake's ``part``), and a student's exception on one case does not hide a named
mistake on the next (a transposed product raises on one shape and is wrong on another).
"""

import numpy as np

from . import finding
from ..examples import AFFINE_DOUT, AFFINE_W, AFFINE_X, CONV_DOUT, POOL_EXAMPLE, WORKED_IMAGE, WORKED_KERNEL
from ..language import tr
from . import reference as ref
from .a05_softmax_cross_entropy import one_hot_hint
from .core import Case, Mistake, distinct, mixed, quarters
from .function_check import FunctionCheck
from .judging import ATOL, RTOL


def shape_hint(ja, en):
    """A hint for when NumPy complained about shapes, keyed on the error's kind."""
    def hint(case, outcome):
        return " " + tr(ja=ja, en=en) if outcome.kind in ("shapes", "broadcast", "index") else ""
    return hint


def backward(name, doc, cases, expected, mistakes, **options):
    """A FunctionCheck that keeps going after the student's exception (see the module's docstring).
    A backward pass with no known mistake is pointed to the numerical gradient."""
    if name.endswith("_backward"):
        options.setdefault("default_hint", finding.numerically(name))
    return FunctionCheck(name, doc, cases, expected, mistakes, keep_going=True, **options)


# relu_backward(dout, x) ------------------------------------------------------------------------


def relu_backward_cases(seed):
    rng = np.random.default_rng(60)
    cases = [
        Case("講義の例: x = (−2, −0.5, 0, 1, 3)、上流の勾配 (1, 2, 3, 4, 5) → (0, 0, 0, 4, 5)",
             "the lecture's example: x = (-2, -0.5, 0, 1, 3), upstream gradient (1, 2, 3, 4, 5) -> (0, 0, 0, 4, 5)",
             (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([-2.0, -0.5, 0.0, 1.0, 3.0]))),
        Case("2 次元、上流の勾配にも負の値", "2-D, negative upstream gradients too", (mixed(rng, (3, 4)), mixed(rng, (3, 4)))),
        Case("4 次元のバッチ (N, C, H, W)", "a 4-D batch (N, C, H, W)", (mixed(rng, (2, 3, 4, 5)), quarters(rng, (2, 3, 4, 5)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな 3 次元", "random 3-D", (rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5)))))
        cases.append(Case("float32 の入力", "float32 input",
                          (rng.normal(size=(6, 7)).astype(np.float32), rng.normal(size=(6, 7)).astype(np.float32))))
    return cases


def relu_backward_mistakes(case):
    dout, x = (np.asarray(a, dtype=np.float64) for a in case.args)
    return [
        Mistake("passes_negative", "x < 0 のところにも勾配を通しています。ReLU の逆伝播は、順伝播の入力 x が正のところだけ dout を通し、ほかは 0 です。",
                "The gradient is passed where x < 0 too: ReLU's backward lets dout through only where the forward input x was positive, and gives 0 elsewhere.",
                lambda c: dout),
        Mistake("mask_from_dout", "マスクを dout から作っています（dout > 0）。通すかどうかを決めるのは順伝播の入力 x です。",
                "Your mask comes from dout (dout > 0): what decides is the forward input x.",
                lambda c: np.maximum(dout, 0)),
        Mistake("mask_only", "マスク (x > 0) だけを返しています。上流の勾配 dout を掛けてください: 通すのは dout の値です。",
                "You returned the mask (x > 0) without multiplying by dout: what passes is dout's value.",
                lambda c: (x > 0).astype(float)),
        Mistake("times_relu_output", "dout に relu(x)（順伝播の出力）を掛けています。掛けるのは 0 か 1 のマスク (x > 0) です。",
                "You multiplied dout by relu(x), the forward output: multiply by the 0/1 mask (x > 0).",
                lambda c: dout * np.maximum(x, 0)),
        Mistake("mask_reversed", "マスクが逆です: x <= 0 のところに勾配を通しています。通すのは x > 0 のところです。",
                "Your mask is reversed: it passes the gradient where x <= 0. Pass it where x > 0.",
                lambda c: dout * (x <= 0)),
    ]


def relu_backward_accepts(case, part, got):
    """Right too: at x = 0 any subgradient, between 0 (x > 0) and dout (x >= 0), entry by entry."""
    dout, x = (np.asarray(a, dtype=np.float64) for a in case.args)
    if got.shape != x.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(dout)))) if dout.size else 1.0
    kink = x == 0
    low, high = np.minimum(dout, 0) - ATOL * scale, np.maximum(dout, 0) + ATOL * scale
    return bool(np.allclose(got[~kink], (dout * (x > 0))[~kink], rtol=RTOL, atol=ATOL * scale)
                and np.all((got[kink] >= low[kink]) & (got[kink] <= high[kink])))


RELU_BACKWARD = backward("relu_backward", "Check ``relu_backward(dout, x) -> dx = dout * (x > 0)``, any shape (at x = 0 any\n"
                         "    subgradient, so dout * (x >= 0) is right too).",
                         relu_backward_cases, lambda c: c.args[0] * (c.args[1] > 0), relu_backward_mistakes,
                         accept=relu_backward_accepts)


# affine_forward(x, w, b), affine_backward(dout, x, w) -------------------------------------------


def affine_forward_cases(seed):
    rng = np.random.default_rng(61)
    cases = [
        Case("講義の例（N=2, D=3, M=2）、b = (1, 2)", "the lecture's example (N=2, D=3, M=2), b = (1, 2)",
             (AFFINE_X, AFFINE_W, np.array([1.0, 2.0]))),
        Case("N=4, D=5, M=3", "N=4, D=5, M=3", (quarters(rng, (4, 5)), quarters(rng, (5, 3)), mixed(rng, (3,)))),
        Case("N=3, D=2, M=3（N = M）", "N=3, D=2, M=3 (N = M)", (quarters(rng, (3, 2)), quarters(rng, (2, 3)), mixed(rng, (3,)))),
        Case("1 枚だけ（N=1）", "a single example (N=1)", (quarters(rng, (1, 4)), quarters(rng, (4, 2)), mixed(rng, (2,)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(3):
            n, d, m = (int(v) for v in rng.integers(1, 8, size=3))
            cases.append(Case("ランダムな小数", "random floats", (rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m))))
        cases.append(Case("float32 の入力", "float32 input", tuple(a.astype(np.float32) for a in
                                                               (rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)))))
    return cases


def affine_forward_mistakes(case):
    x, w, b = (np.asarray(a, dtype=np.float64) for a in case.args)
    xw = x @ w
    return [
        Mistake("bias_missing", "バイアス b が足されていません: out = x @ w + b。", "The bias is missing: out = x @ w + b.", lambda c: xw),
        Mistake("bias_subtracted", "バイアスを引いています: out = x @ w + b（足します）。", "You subtracted the bias: out = x @ w + b.", lambda c: xw - b),
        Mistake("output_transposed", "出力が転置されています: 形は (N, M)（1 行が 1 つの例）です。x @ w の順に掛けてください。",
                "Your output is transposed: it is (N, M), one row per example. Multiply in the order x @ w.",
                lambda c: (xw + b).T),
        Mistake("bias_down_rows", "バイアスを列ではなく行ごとに足しています（b[:, None]）。b (M,) は出力の各行に足します: x @ w + b。",
                "You added the bias down the rows (b[:, None]): b (M,) is added to every row of the output, x @ w + b.",
                lambda c: xw + b[:, None] if xw.shape[0] == xw.shape[1] else None),
    ]


AFFINE_FORWARD = backward(
    "affine_forward", "Check ``affine_forward(x (N, D), w (D, M), b (M,)) -> x @ w + b (N, M)``.",
    affine_forward_cases, lambda c: np.asarray(c.args[0], np.float64) @ c.args[1] + c.args[2], affine_forward_mistakes,
    hint=shape_hint("形: x (N, D) @ w (D, M) → (N, M)、b (M,) は各行に足します。",
                    "Shapes: x (N, D) @ w (D, M) -> (N, M), and b (M,) is added to every row."))


def affine_backward_cases(seed):
    rng = np.random.default_rng(62)
    cases = [
        Case("講義の例（N=2, D=3, M=2）", "the lecture's example (N=2, D=3, M=2)", (AFFINE_DOUT, AFFINE_X, AFFINE_W)),
        Case("N = D = M = 3（形がすべて同じ）", "N = D = M = 3 (every shape alike)",
             (quarters(rng, (3, 3)), quarters(rng, (3, 3)), quarters(rng, (3, 3)))),
        Case("N=4, D=5, M=3", "N=4, D=5, M=3", (quarters(rng, (4, 3)), quarters(rng, (4, 5)), quarters(rng, (5, 3)))),
        Case("1 枚だけ（N=1）", "a single example (N=1)", (quarters(rng, (1, 2)), quarters(rng, (1, 4)), quarters(rng, (4, 2)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for n, d, m in [(int(v) for v in rng.integers(1, 8, size=3)) for _ in range(3)] + [(4, 4, 4)]:
            cases.append(Case("ランダムな小数", "random floats", (rng.normal(size=(n, m)), rng.normal(size=(n, d)), rng.normal(size=(d, m)))))
        cases.append(Case("float32 の入力", "float32 input", tuple(a.astype(np.float32) for a in
                                                               (rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(4, 3))))))
    return cases


def affine_backward_mistakes(case):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in case.args)
    dx, dw, db = ref.affine_backward(dout, x, w)
    n, d = x.shape
    m = w.shape[1]
    return [
        Mistake("dx_w_not_transposed", "dx で w を転置していません: dx は x と同じ (N, D)、dout は (N, M)、w は (D, M) です。内側の M がそろう掛け方にします。",
                     "dx needs w transposed: dx is (N, D) like x, dout is (N, M) and w is (D, M); multiply so that the inner M meet.",
                     lambda c: dout @ w if d == m else None, "dx"),
        Mistake("dx_transposed", "dx が転置されています: 形は x と同じ (N, D) です。",
                     "dx is transposed: it has the shape of x, (N, D).", lambda c: dx.T, "dx"),
        Mistake("dw_x_not_transposed", "dw で x を転置していません: dw は w と同じ (D, M)、x は (N, D)、dout は (N, M) です。内側の N がそろう掛け方にすると、バッチの N 枚分が足し合わされます。",
                     "dw needs x transposed: dw is (D, M) like w, x is (N, D) and dout is (N, M); multiply so that the inner N meet, which sums over the N examples of the batch.",
                     lambda c: x @ dout if d == n else None, "dw"),
        Mistake("dw_transposed", "dw が転置されています: 形は w と同じ (D, M) です（(M, D) ではありません）。",
                     "dw is transposed: it has the shape of w, (D, M), not (M, D).", lambda c: dw.T, "dw"),
        Mistake("dw_divided_by_n", f"dw を N = {n} で割っています。1/N は損失の逆伝播（dout）にもう入っています。",
                     f"You divided dw by N = {n}: the 1/N is already inside dout (the loss's backward).",
                     lambda c: dw / n if n > 1 else None, "dw"),
        Mistake("db_not_summed", "db がバッチについて足し合わされていません（形 (N, M)）。b はすべての例で使われる（分岐）ので、dout をバッチについて足して、形 (M,) にします。",
                     "db is not summed over the batch (shape (N, M)): b is used by every example (a fork), so sum dout over the batch, shape (M,).",
                     lambda c: dout, "db"),
        Mistake("db_wrong_axis", "db を違う軸で足しています（axis=1）。バッチの軸 axis=0 で足して、形 (M,) にします。",
                     "db is summed over the wrong axis (axis=1): sum over the batch, axis=0, to get shape (M,).",
                     lambda c: dout.sum(axis=1), "db"),
        Mistake("db_mean", "db が平均になっています。バッチについての和です。",
                     "db is a mean: it is the sum over the batch.", lambda c: db / n if n > 1 else None, "db"),
        Mistake("db_keepdims", "db の形が (1, M) です（keepdims=True）。b と同じ形 (M,) にしてください。",
                     "db has shape (1, M) (keepdims=True): give it the shape of b, (M,).", lambda c: db[None, :], "db"),
    ]


AFFINE_BACKWARD = backward(
    "affine_backward", "Check ``affine_backward(dout (N, M), x (N, D), w (D, M)) -> (dx (N, D), dw (D, M), db (M,))``.",
    affine_backward_cases, lambda c: ref.affine_backward(*c.args), affine_backward_mistakes, parts=("dx", "dw", "db"),
    hint=shape_hint(
        "形をそろえます: dx は x と同じ (N, D)、dw は w と同じ (D, M)、db は b と同じ (M,)。掛ける 2 つの配列の内側の長さがそろうように、どちらかを転置します。",
        "Let the shapes guide you: dx is (N, D) like x, dw is (D, M) like w, db is (M,) like b. Transpose one factor so that the inner lengths of each product meet."))


# softmax_cross_entropy_backward(z, labels) ------------------------------------------------------


def softmax_ce_backward_cases(seed):
    rng = np.random.default_rng(63)
    lecture = np.array([[2.0, 1.0, 0.1]])
    cases = [
        Case("講義の例: z = (2.0, 1.0, 0.1)、正解 0 → (−0.341, 0.242, 0.099)",
             "the lecture's example: z = (2.0, 1.0, 0.1), label 0 -> (-0.341, 0.242, 0.099)", (lecture, np.array([0]))),
        Case("同じ例を 2 行（N=2: 平均なので各行は半分）", "the same example twice (N=2: a mean, so each row halves)",
             (np.vstack([lecture, lecture]), np.array([0, 0]))),
        Case("4 枚、5 クラス、ラベルはクラス番号", "4 examples, 5 classes, labels as class ids",
             (quarters(rng, (4, 5)) * 2, np.array([3, 0, 4, 1]))),
        Case("3 枚、4 クラス、ラベルは one-hot", "3 examples, 4 classes, one-hot labels", (quarters(rng, (3, 4)) * 2, np.eye(4)[[1, 3, 0]])),
        Case("3 枚、3 クラス、クラス番号", "3 examples, 3 classes, class ids", (quarters(rng, (3, 3)) * 2, np.array([2, 2, 0]))),
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


def softmax_ce_backward_mistakes(case):
    z, labels = case.args
    z = np.asarray(z, dtype=np.float64)
    n, k = z.shape
    t = ref.one_hot(labels, k)
    y = ref.softmax(z)
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
        Mistake("not_divided_by_n", f"N = {n} で割っていません。損失はバッチの平均なので、勾配も N で割ります: dz = (softmax(z) − t) / N。",
                f"You did not divide by N = {n}: the loss is a mean over the batch, so its gradient is divided by N too, dz = (softmax(z) − t) / N.",
                lambda c: expected * n if n > 1 else None),
        Mistake("sign_flipped", "符号が逆です（t − y）。勾配は softmax(z) − t の順です: 正解のクラスでは負になります。",
                "The sign is flipped (t − y): the gradient is softmax(z) − t, negative at the correct class.", lambda c: -expected),
        Mistake("overflow", "softmax がオーバーフローしています（大きなロジット）: 各行の最大値を引いてから exp します（答えは変わりません）。",
                "softmax overflows for large logits: subtract each row's maximum before exp (the answer does not change).",
                naive),
        Mistake("softmax_skipped", "softmax を通していません: ロジット z から t を引いています。dz = (softmax(z) − t) / N です。",
                "You skipped the softmax: you subtracted t from the logits z. dz = (softmax(z) − t) / N.", lambda c: (z - t) / n),
        Mistake("divided_by_nk", f"N·K = {n * k} で割っています（すべての要素の平均）。割るのはバッチの大きさ N = {n} だけです。",
                f"You divided by N·K = {n * k} (a mean over every entry): divide by the batch size N = {n} only.", lambda c: expected / k),
        Mistake("divided_by_n_twice", f"N で 2 回割っています（N = {n}）。", f"You divided by N twice (N = {n}).", lambda c: expected / n if n > 1 else None),
        Mistake("columns_picked", "y[:, labels] は列全体を選びます。各行の正解クラスだけ（行 n の列 labels[n]）から 1 を引きます。",
                "y[:, labels] picks whole columns: subtract 1 at each row's own class only (row n, column labels[n]).", columns),
        Mistake("labels_as_one_hot", "クラス番号のラベル (N,) を one-hot のように引いています。labels.ndim == 1 なら、先に one-hot の行に直すか（np.eye(K) の行が one-hot です）、各行の正解クラスからだけ 1 を引きます。",
                "Your answer subtracts class-id labels (N,) as if they were one-hot: when labels.ndim == 1, make them one-hot rows first (the rows of np.eye(K) are one-hot), or subtract 1 at each row's own class only.",
                lambda c: (y - np.asarray(labels, dtype=np.float64)) / n if np.ndim(labels) == 1 and n == k else None),
        Mistake("softmax_wrong_axis", "softmax を違う軸（axis=0）で取っています。確率はクラスの軸（axis=1）で合計 1 です。",
                "Your softmax runs over the wrong axis (axis=0): each row's probabilities (axis=1) add up to 1.",
                lambda c: (ref.softmax(z.T).T - t) / n if n > 1 else None),
    ]


def softmax_ce_backward_hint(case, outcome):
    return one_hot_hint(outcome, case.args[1], "そのまま t として (softmax(z) − t) / N を計算します。",
                         "use them as t directly in (softmax(z) − t) / N.")


SOFTMAX_CROSS_ENTROPY_BACKWARD = backward(
    "softmax_cross_entropy_backward",
    "Check ``softmax_cross_entropy_backward(z (N, K), labels (N,) int or (N, K) one-hot) -> (softmax(z) − t) / N``.",
    softmax_ce_backward_cases, lambda c: ref.softmax_ce_backward(*c.args), softmax_ce_backward_mistakes,
    hint=softmax_ce_backward_hint)


# max_pool_backward(dout, x, size=2, stride=2) --------------------------------------------------

# Ties in every window: any one maximum may take the window's gradient.
TIES_IMAGE = np.array([[1, 3, 0, 0], [3, 2, 0, 0], [5, 5, -1, 2], [5, 1, 2, -3]], dtype=float)


def max_pool_backward_cases(seed):
    rng = np.random.default_rng(64)
    cases = [
        Case("講義の例（2×2、ストライド 2）、上流の勾配 [[1, 2], [3, 4]]", "the lecture's example (2x2, stride 2), upstream gradient [[1, 2], [3, 4]]",
             (np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), POOL_EXAMPLE[None, None])),
        Case("2 チャネル、上流の勾配にも負の値", "2 channels, negative upstream gradients too",
             (mixed(rng, (1, 2, 2, 2)), np.stack([WORKED_IMAGE, POOL_EXAMPLE])[None])),
        Case("ウィンドウの中で最大値が同じ（どれか 1 つに勾配を送れば正解）", "equal maxima in a window (any one of them may take the gradient)",
             (np.array([[[[1.0, -2.0], [3.0, 0.5]]]]), TIES_IMAGE[None, None])),
        Case("バッチ N=2・3 チャネル・5×7（最後の行と列はどのウィンドウにも入らない）",
             "a batch of N=2, 3 channels, 5x7 (the last row and column fall in no window)",
             (mixed(rng, (2, 3, 2, 3)), distinct(rng, (2, 3, 5, 7)))),
        Case("ウィンドウ 3×3、ストライド 2（ウィンドウが重なる）", "3x3 windows, stride 2 (overlapping)",
             (mixed(rng, (1, 2, 3, 2)), distinct(rng, (1, 2, 7, 6))), {"size": 3, "stride": 2}),
        Case("ウィンドウ 2×2、ストライド 1（ウィンドウが重なる）", "2x2 windows, stride 1 (overlapping)",
             (mixed(rng, (2, 1, 3, 4)), distinct(rng, (2, 1, 4, 5))), {"size": 2, "stride": 1}),
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


def pool_args(case):
    dout, x = case.args
    return dout, x, case.kwargs.get("size", 2), case.kwargs.get("stride", 2)


def max_pool_backward_mistakes(case):
    dout, x, size, stride = pool_args(case)
    x64 = np.asarray(x, dtype=np.float64)
    expected = ref.max_pool_backward(dout, x, size, stride)
    ties = not np.allclose(ref.max_pool_backward(dout, x, size, stride, route="all"), expected)
    return [
        Mistake("every_cell", "ウィンドウのすべてのマスに勾配を送っています。MAXプーリングでは、順伝播で最大だったマスだけが勾配を受け取ります（ほかは 0）。",
                "You sent the gradient to every cell of the window: in max pooling only the cell that was the maximum in the forward pass receives it (the others get 0).",
                lambda c: ref.max_pool_backward(dout, x, size, stride, route="every")),
        Mistake("spread_as_mean", f"勾配をウィンドウの大きさ {size * size} で割って全部のマスに配っています（平均プーリングの逆伝播）。MAXプーリングでは最大値のマスにそのまま送ります。",
                f"You spread the gradient over the window divided by its size {size * size}: that is average pooling's backward. Max pooling sends it, unchanged, to the maximum's cell.",
                lambda c: ref.max_pool_backward(dout, x, size, stride, route="mean")),
        Mistake("overlap_overwritten", "ウィンドウが重なるとき、勾配を上書きしています。同じマスが複数のウィンドウの最大値なら、勾配を足し合わせます（dx[...] += ...）。",
                "Where windows overlap you overwrite the gradient: a cell that is the maximum of several windows gets the sum of their gradients (dx[...] += ...).",
                lambda c: ref.max_pool_backward(dout, x, size, stride, mode="set") if stride < size else None),
        Mistake("overlap_overwritten", "ウィンドウが重なるとき、勾配を上書きしています（dx[ウィンドウ] = ... で前のウィンドウの勾配が消えます）。勾配は足し合わせます: dx[ウィンドウ] += ...。",
                "Where windows overlap you overwrite the gradient (dx[window] = ... erases what earlier windows put there): add it up, dx[window] += ....",
                lambda c: ref.max_pool_backward(dout, x, size, stride, mode="window") if stride < size else None),
        Mistake("all_tied_maxima", "同じ最大値が複数あるとき、そのすべてに勾配を送っています（マスク window == max）。勾配は 1 つのマスにだけ送ります（たとえば最初の最大値、np.argmax）。",
                "Where several cells tie for the maximum you send the gradient to all of them (the mask window == max): send it to one cell only (for example the first maximum, np.argmax).",
                lambda c: ref.max_pool_backward(dout, x, size, stride, route="all") if ties else None),
        Mistake("dout_missing", "上流の勾配 dout を掛けていません: 最大値のマスに 1 を入れています。送るのは dout の値です。",
                "You did not use dout: the maximum's cell gets 1. It must get the upstream gradient dout[n, c, i, j].",
                lambda c: ref.max_pool_backward(dout, x, size, stride, route="one")),
        Mistake("stride_ignored", f"ストライドが無視されています: ウィンドウ (i, j) の左上は (i·{stride}, j·{stride}) です。",
                f"The stride is ignored: window (i, j) starts at row i·{stride}, column j·{stride}.",
                lambda c: ref.max_pool_backward(dout, x, size, stride, step=1) if stride != 1 else None),
        Mistake("argmax_transposed", "ウィンドウの中の最大値の位置で、行と列が入れ替わっています。np.argmax の番号 k は divmod(k, ウィンドウの幅) で (行, 列) になります（np.unravel_index）。",
                "Row and column of the maximum inside the window are swapped: np.argmax's index k is (row, column) = divmod(k, window width) (np.unravel_index).",
                lambda c: ref.max_pool_backward(dout, x, size, stride, route="transposed") if size > 1 else None),
    ] + ([] if x64.shape[0] < 2 else [
        Mistake("first_image_maxima", "バッチのすべての画像で最初の画像の最大値の位置を使っています。n についてもループしてください。",
                "Every image uses the first image's maxima: loop over n as well.",
                lambda c: ref.max_pool_backward(dout, np.broadcast_to(x64[:1], x64.shape), size, stride)),
    ])


def max_pool_backward_accepts(case, part, got):
    """Right too: each window's gradient on one of its maxima, where windows do not overlap (ties)."""
    dout, x, size, stride = pool_args(case)
    x = np.asarray(x, dtype=np.float64)
    if stride < size or got.shape != x.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(dout))))
    covered = np.zeros(x.shape, dtype=bool)
    for i, j, rows, cols in ref.pool_windows(dout, size, stride):
        window, g = x[:, :, rows, cols], got[:, :, rows, cols]
        covered[:, :, rows, cols] = True
        carries = np.abs(g) > ATOL * scale
        at_maximum = window == window.max(axis=(2, 3), keepdims=True)
        if np.any(carries & ~at_maximum) or np.any(carries.sum(axis=(2, 3)) > 1):
            return False
        if not np.allclose(g.sum(axis=(2, 3)), dout[:, :, i, j], rtol=RTOL, atol=ATOL * scale):
            return False
    return bool(np.all(np.abs(got[~covered]) <= ATOL * scale))


MAX_POOL_BACKWARD = backward(
    "max_pool_backward",
    "Check ``max_pool_backward(dout (N, C, OH, OW), x (N, C, H, W), size=2, stride=2) -> dx (N, C, H, W)``:\n"
    "    each window's gradient to its maximum (any one of tied maxima), summed where windows overlap.",
    max_pool_backward_cases, lambda c: ref.max_pool_backward(*pool_args(c)), max_pool_backward_mistakes,
    keywords=("size", "stride"), accept=max_pool_backward_accepts)


# conv_backward(dout, x, w, stride=1, pad=0) ----------------------------------------------------


def conv_backward_cases(seed):
    rng = np.random.default_rng(65)

    def case(ja, en, n, c, f, h, w, kh, kw, stride=1, pad=0, random=None):
        random = random or (lambda shape: quarters(rng, shape))
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


def conv_backward_mistakes(case):
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in case.args)
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    dx, dw, db, dxp = ref.conv_backward(dout, x, w, stride, pad)
    n, f = dout.shape[:2]
    h, wd = x.shape[-2:]
    oh, ow = dout.shape[-2:]
    return [
        Mistake("dx_kernel_turned", "dx で使うフィルタの向きが違います: 入力の勾配は、dout を（フル）パディングして 180° 回したフィルタで相互相関したもの、つまり各ウィンドウに dout[n, f, i, j]·w[f] を足し戻したものです（順伝播で掛けたのと同じ w[f, c, u, v] の位置）。",
                     "dx uses the kernel turned the wrong way: the input gradient is dout (fully padded) correlated with the kernel turned by 180°, that is, each window gets dout[n, f, i, j]·w[f] added back, every w[f, c, u, v] at the position it multiplied in the forward pass.",
                     lambda c: ref.conv_backward(dout, x, w[..., ::-1, ::-1], stride, pad)[0], "dx"),
        Mistake("dx_stride_ignored", f"dx でストライドが無視されています: ウィンドウ (i, j) は入力の (i·{stride}, j·{stride}) から始まるので、勾配もそこへ足し戻します。",
                     f"dx ignores the stride: window (i, j) starts at input row i·{stride}, column j·{stride}, so its gradient goes back there.",
                     lambda c: ref.conv_backward(dout, x, w, stride, pad, step=1)[0] if stride > 1 else None, "dx"),
        Mistake("dx_padding_kept", f"dx からパディングを取り除いていません（形 {dxp.shape}）。パディングした入力の勾配から、縦横 pad = {pad} 個ずつ切り取って x と同じ形にします: dxp[:, :, pad:pad+H, pad:pad+W]。",
                     f"The padding is not removed from dx (shape {dxp.shape}): cut pad = {pad} rows and columns off every side of the padded input's gradient so that dx has the shape of x, dxp[:, :, pad:pad+H, pad:pad+W].",
                     lambda c: dxp if pad else None, "dx"),
        Mistake("dx_padding_cut_one_side", "dx のパディングを片側から切り取っています（dxp[:, :, :H, :W]）。上下左右から pad 個ずつ取り除きます: dxp[:, :, pad:pad+H, pad:pad+W]。",
                     "You cut the padding off one side of dx (dxp[:, :, :H, :W]): remove pad from every side, dxp[:, :, pad:pad+H, pad:pad+W].",
                     lambda c: dxp[:, :, :h, :wd] if pad else None, "dx"),
        Mistake("dx_not_summed_over_filters", "dx がフィルタについて足し合わされていません。入力の画素はすべてのフィルタで使われるので、すべての f の勾配を足します（最後のフィルタの分で上書きしていませんか？）。",
                     "dx is not summed over the filters: every filter uses the input pixels, so the gradients of all f add up (did the last filter overwrite the others?).",
                     lambda c: ref.conv_backward(dout[:, -1:], x, w[-1:], stride, pad)[0] if f > 1 else None, "dx"),
        Mistake("dw_not_summed_over_batch", "dw がバッチについて足し合わされていません（最後の画像の分だけです）。重みはすべての画像で使われる（分岐）ので、N 枚分を足します。",
                     "dw is not summed over the batch (only the last image counts): the weights are used by every image (a fork), so the N images' gradients add up.",
                     lambda c: ref.conv_backward(dout[-1:], x[-1:], w, stride, pad)[1] if n > 1 else None, "dw"),
        Mistake("dw_not_summed_over_batch", "dw がバッチについて足し合わされていません（最初の画像の分だけです）。重みはすべての画像で使われる（分岐）ので、N 枚分を足します。",
                     "dw is not summed over the batch (only the first image counts): the weights are used by every image (a fork), so the N images' gradients add up.",
                     lambda c: ref.conv_backward(dout[:1], x[:1], w, stride, pad)[1] if n > 1 else None, "dw"),
        Mistake("dw_divided_by_n", f"dw を N = {n} で割っています。1/N は損失の逆伝播（dout）にもう入っています。",
                     f"You divided dw by N = {n}: the 1/N is already inside dout (the loss's backward).",
                     lambda c: dw / n if n > 1 else None, "dw"),
        Mistake("dw_flipped", "dw が上下左右に反転しています。順伝播は相互相関なので、dw[f, c, u, v] = Σ dout[n, f, i, j]·x[n, c, i·s+u, j·s+v] です（フィルタは反転しません）。",
                     "dw is flipped: the forward pass is a cross-correlation, so dw[f, c, u, v] = Σ dout[n, f, i, j]·x[n, c, i·s+u, j·s+v], no flipping.",
                     lambda c: dw[..., ::-1, ::-1], "dw"),
        Mistake("dw_stride_ignored", f"dw でストライドが無視されています: ウィンドウ (i, j) の入力は (i·{stride}, j·{stride}) から始まります。",
                     f"dw ignores the stride: window (i, j) reads the input from row i·{stride}, column j·{stride}.",
                     lambda c: ref.conv_backward(dout, x, w, stride, pad, step=1)[1] if stride > 1 else None, "dw"),
        Mistake("db_positions_not_summed", "db が出力の位置 (i, j) について足し合わされていません（形 (F, OH, OW)）。バイアスは出力のすべての位置で使われるので、バッチとすべての位置について足して、フィルタごとに 1 つ、形 (F,) にします。",
                     "db is missing the sum over the output positions (shape (F, OH, OW)): the bias is used at every position, so sum over the batch and every position: one number per filter, shape (F,).",
                     lambda c: dout.sum(axis=0), "db"),
        Mistake("db_batch_not_summed", "db がバッチについて足し合わされていません（形 (N, F)）。フィルタごとに 1 つ、形 (F,) です。",
                     "db is not summed over the batch (shape (N, F)): one number per filter, shape (F,).",
                     lambda c: dout.sum(axis=(2, 3)), "db"),
        Mistake("db_mean", "db が和ではなく平均です。バッチとすべての位置についての和です。",
                     "db is a mean, not a sum over the batch and every position.",
                     lambda c: db / (oh * ow) if oh * ow > 1 else None, "db"),
        Mistake("db_keepdims", "db の形が違います（keepdims=True）。b と同じ (F,) にしてください。",
                     "db has the wrong shape (keepdims=True): give it the shape of b, (F,).",
                     lambda c: db.reshape(1, f, 1, 1), "db"),
        Mistake("db_summed_over_filters", "db をフィルタについても足しています（1 つの数）。フィルタごとに 1 つ、形 (F,) です。",
                     "db is summed over the filters too (a single number): one per filter, shape (F,).",
                     lambda c: np.array(db.sum()) if f > 1 else None, "db"),
    ]


CONV_BACKWARD = backward(
    "conv_backward",
    "Check ``conv_backward(dout (N, F, OH, OW), x (N, C, H, W), w (F, C, KH, KW), stride=1, pad=0) -> (dx, dw, db)``.",
    conv_backward_cases, lambda c: ref.conv_backward(*c.args, **c.kwargs)[:3], conv_backward_mistakes,
    parts=("dx", "dw", "db"), keywords=("stride", "pad"), hint=shape_hint(
        "dout の形は (N, F, OH, OW) です。ウィンドウ (i, j) はパディングした入力の (i·stride, j·stride) から始まります。dx はパディングした入力について計算してから、パディングを切り取ります。",
        "dout has shape (N, F, OH, OW); window (i, j) starts at (i·stride, j·stride) of the padded input. Compute dx on the padded input, then cut the padding off."))

CHECKS = [RELU_BACKWARD, AFFINE_FORWARD, AFFINE_BACKWARD, SOFTMAX_CROSS_ENTROPY_BACKWARD, MAX_POOL_BACKWARD, CONV_BACKWARD]
