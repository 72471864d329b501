"""05_softmax_cross_entropy: softmax and cross_entropy, answers that may be a number, nan or inf."""

import numpy as np

from ..examples import CROSS_ENTROPY_PROBS, SOFTMAX_LOGITS
from ..language import tr
from . import reference as ref
from .convert import to_loss
from .core import Case, Mistake, quarters
from .function_check import FunctionCheck

# softmax(z) -------------------------------------------------------------------------------------


def softmax_cases(seed):
    rng = np.random.default_rng(6)
    cases = [
        Case("講義の例: ロジット (2.0, 1.0, 0.1) → (0.659, 0.242, 0.099)", "the lecture's example: logits (2.0, 1.0, 0.1) -> (0.659, 0.242, 0.099)",
             (SOFTMAX_LOGITS,)),
        Case("2 次元: 3 枚の画像 × 3 クラス（行ごとに）", "2-D: 3 images x 3 classes (row by row)", (quarters(rng, (3, 3)) * 2,)),
        Case("2 次元: 3 枚 × 4 クラス（正方形でない）", "2-D: 3 images x 4 classes (not square)", (quarters(rng, (3, 4)),)),
        Case("大きなロジット (1010, 1000, 990)", "large logits (1010, 1000, 990)", (np.array([1010.0, 1000.0, 990.0]),)),
        Case("大きさのまったく違う行: (1000, 999, 998) と (−1000, −1001, −1002)", "rows of very different size: (1000, 999, 998) and (-1000, -1001, -1002)",
             (np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]),)),
        Case("1 次元: 10 クラス", "1-D: 10 classes", (quarters(rng, (10,)),)),
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


def softmax_mistakes(case):
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
        Mistake("overflow", "softmax がオーバーフローしています（大きなロジット）: exp(1000) は inf になり、inf / inf は nan です。先に各行の最大値を引いてから exp します（答えは変わらず、exp の引数は 0 以下になります）。",
                "softmax overflows for large logits: exp(1000) is inf, and inf / inf is nan. Subtract each row's maximum before exp (the answer does not change, and exp never sees more than 0).",
                naive),
        Mistake("global_max", "配列全体の最大値を引いています。行ごとの最大値を引いてください: ほかの行よりずっと小さい行は exp がすべて 0 になり、0 / 0 = nan になります（z.max(axis=−1, keepdims=True)）。",
                "You subtracted the maximum of the whole array, not of each row: a row far below the others underflows to 0 / 0 = nan. Subtract z.max(axis=-1, keepdims=True).",
                global_max if z.ndim == 2 else lambda c: None),
        Mistake("not_normalised", "正規化していません: exp を合計で割ると、確率（各行の合計が 1）になります。",
                "You did not normalise: divide the exponentials by their sum so that every row adds up to 1.",
                lambda c: np.exp(z - z.max(axis=-1, keepdims=True))),
        Mistake("not_normalised", "正規化していません: exp を合計で割ると、確率（各行の合計が 1）になります。",
                "You did not normalise: divide the exponentials by their sum so that every row adds up to 1.",
                lambda c: np.exp(z) if z.max() < 700 else None),
        Mistake("wrong_axis", "違う軸で正規化しています（axis=0: 列ごと）。確率は最後の軸（axis=−1、クラス）で合計 1 にします。",
                "You normalised over the wrong axis (axis=0, down the columns): the probabilities of each row, the last axis (axis=-1), add up to 1.",
                lambda c: ref.softmax(z.T).T if z.ndim == 2 else None),
        Mistake("divided_by_total", "配列全体の合計で割っています。行ごとの合計で割ってください: e.sum(axis=−1, keepdims=True)。",
                "You divided by the sum of the whole array: divide by each row's sum, e.sum(axis=-1, keepdims=True).",
                lambda c: np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(z - z.max(axis=-1, keepdims=True)).sum()
                if z.ndim == 2 else None),
        Mistake("keepdims_max", "keepdims=True がありません（max）: z.max(axis=1) の形は (N,) なので、z − m は行ではなく列ごとに引かれます。z.max(axis=−1, keepdims=True) で (N, 1) にします。",
                "keepdims=True is missing in the max: z.max(axis=1) has shape (N,), so z - m subtracts along the columns, not the rows. Use z.max(axis=-1, keepdims=True), shape (N, 1).",
                keepdims_lost(True, False)),
        Mistake("keepdims_sum", "keepdims=True がありません（sum）: e.sum(axis=1) の形は (N,) なので、行ではなく列ごとに割られます。e.sum(axis=−1, keepdims=True) で (N, 1) にします。",
                "keepdims=True is missing in the sum: e.sum(axis=1) has shape (N,), so e / s divides along the columns, not the rows. Use e.sum(axis=-1, keepdims=True), shape (N, 1).",
                keepdims_lost(False, True)),
        Mistake("keepdims_both", "keepdims=True がありません（max と sum）: 形 (N,) の値は列ごとに引かれ、割られます。keepdims=True で (N, 1) にします。",
                "keepdims=True is missing in the max and the sum: values of shape (N,) act along the columns, not the rows. Use keepdims=True, shape (N, 1).",
                keepdims_lost(True, True)),
    ]


def softmax_hint(case, outcome):
    if outcome.kind == "axis" and case.args[0].ndim == 1:
        return tr(ja=" 1 次元の入力には axis=1 がありません: 最後の軸 axis=−1 を使うと、1 次元でも 2 次元でも動きます。",
                  en=" A 1-D input has no axis 1: use the last axis, axis=-1, and it works for 1-D and 2-D input alike.")
    if outcome.kind == "broadcast":
        return tr(ja=" softmax では: keepdims=True を忘れていませんか？z.max(axis=−1, keepdims=True) は (N, 1) の形のまま (N, K) と計算できます。",
                  en=" In softmax: is keepdims=True missing? z.max(axis=-1, keepdims=True) keeps the shape (N, 1), which broadcasts against (N, K).")
    return ""


SOFTMAX = FunctionCheck(
    "softmax", "Check ``softmax(z)`` along the last axis, for 1-D and 2-D input, finite for large logits.",
    softmax_cases, lambda c: ref.softmax(c.args[0]), softmax_mistakes, hint=softmax_hint)


# cross_entropy(probs, labels) -------------------------------------------------------------------


def _probabilities(rng, n, k):
    """(probs (n, k), labels (n,)): rows add up to 1, no exact zeros, and the true class has at
    least 0.05 (then an epsilon of 1e-7 inside the log moves the loss by less than 2e-6)."""
    probs = rng.dirichlet(np.full(k, 2.0), size=n) * 0.9 + 0.1 / k
    labels = np.array([rng.choice(np.flatnonzero(row >= 0.05)) for row in probs])
    return probs, labels


def cross_entropy_cases(seed):
    rng = np.random.default_rng(7)
    two = np.stack([CROSS_ENTROPY_PROBS, CROSS_ENTROPY_PROBS])
    probs4, labels4 = _probabilities(rng, 4, 3)
    probs3, labels3 = _probabilities(rng, 3, 5)
    cases = [
        Case("1 枚、3 クラス: softmax(2.0, 1.0, 0.1) で正解は 0 → −log 0.659 = 0.417",
             "one image, 3 classes: softmax(2.0, 1.0, 0.1), answer 0 -> -log 0.659 = 0.417",
             (ref.softmax(SOFTMAX_LOGITS[None]), np.array([0]))),
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


def cross_entropy_mistakes(case):
    probs, labels = case.args
    n, k = probs.shape
    expected = ref.cross_entropy(probs, labels)
    classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
    true_p = probs[np.arange(n), classes]
    rows_by_label = labels.ndim == 1 and labels.max() < n  # else probs[labels] raises IndexError
    columns = labels.ndim == 1 and n > 1                   # probs[:, labels]: an (N, N) table

    def as_one_hot(c):
        # int labels (N,) multiplied like one-hot vectors: NumPy broadcasts them along the classes
        if labels.ndim != 1 or n not in (1, k):
            return None
        return -np.sum(labels * np.log(probs)) / n

    return [
        Mistake("sum_not_mean", f"損失がバッチの平均ではなく合計です（{n} 倍）。画像の数 N で割ってください。",
                f"Your loss is the sum over the batch ({n} times the mean): divide by the number of images N.",
                lambda c: n * expected if n > 1 else None),
        Mistake("averaged_over_classes", f"クラスについても平均しています（{k} で余計に割っています）。クラスについては合計 −Σ_k t_k log p_k、平均はバッチ（N）についてだけです。",
                f"You averaged over the classes too (an extra division by K = {k}): sum over the classes, −Σ_k t_k log p_k, and take the mean over the batch (N) only.",
                lambda c: expected / k),
        Mistake("sign_flipped", "符号が逆です（負の損失）。E = −Σ t·log p の先頭のマイナスを忘れていませんか？確率の log は負なので、損失は正になります。",
                "The sign is wrong (a negative loss): E = −Σ t·log p. The log of a probability is negative, so the loss is positive.",
                lambda c: -expected),
        Mistake("log10", "常用対数（log10）を使っています。交差エントロピー誤差は自然対数 np.log です。",
                "You used log10: the cross-entropy uses the natural log, np.log.",
                lambda c: expected / np.log(10)),
        Mistake("log2", "log2 を使っています。交差エントロピー誤差は自然対数 np.log です。",
                "You used log2: the cross-entropy uses the natural log, np.log.",
                lambda c: expected / np.log(2)),
        Mistake("probs_rows_picked", "probs[labels] は行を選びます。各画像の正解クラスの確率は、行ごとに 1 つ: 行 n の列 labels[n] です（行の番号の配列と列の番号の配列で、1 つずつ選べます）。",
                "probs[labels] picks whole rows: each image's true class is one entry per row, row n at column labels[n] (an array of row numbers and an array of column numbers pick one entry each).",
                lambda c: -np.mean(np.log(probs[labels])) if rows_by_label else None),
        Mistake("probs_rows_picked", "probs[labels] は行を選びます。各画像の正解クラスの確率は、行ごとに 1 つ: 行 n の列 labels[n] です（行の番号の配列と列の番号の配列で、1 つずつ選べます）。",
                "probs[labels] picks whole rows: each image's true class is one entry per row, row n at column labels[n] (an array of row numbers and an array of column numbers pick one entry each).",
                lambda c: -np.sum(np.log(probs[labels])) / n if rows_by_label else None),
        Mistake("probs_columns_picked",
                "probs[:, labels] は列を選び、N × N の表になります（各画像にすべての画像の正解クラスの確率）。各画像の正解クラスの確率は、行ごとに 1 つずつ選びます。",
                "probs[:, labels] picks whole columns, an N x N table (every image's probability of every image's class): pick one probability per row, each image's own class.",
                lambda c: -np.mean(np.log(probs[:, labels])) if columns else None),
        Mistake("probs_columns_picked",
                "probs[:, labels] は列を選び、N × N の表になります（各画像にすべての画像の正解クラスの確率）。各画像の正解クラスの確率は、行ごとに 1 つずつ選びます。",
                "probs[:, labels] picks whole columns, an N x N table (every image's probability of every image's class): pick one probability per row, each image's own class.",
                lambda c: -np.sum(np.log(probs[:, labels])) / n if columns else None),
        Mistake("labels_as_one_hot", "クラス番号のラベル (N,) を one-hot のように掛けています。labels.ndim == 1 のときは、行ごとに正解クラスの確率を 1 つ選ぶか、先に one-hot の行に直します（np.eye(K) の行が one-hot です）。",
                "Your answer multiplies class-id labels (N,) as if they were one-hot: when labels.ndim == 1, pick the true class's probability in each row, or make them one-hot rows first (the rows of np.eye(K) are one-hot).",
                as_one_hot),
        Mistake("loss_per_image", "画像ごとの損失を返しています（形 (N,)）。バッチの平均をとって 1 つの数を返してください。",
                "You returned one loss per image (shape (N,)): return a single number, their mean over the batch.",
                lambda c: -np.log(true_p) if n > 1 else None),
        Mistake("first_image_only", "最初の画像の損失しか計算していません。すべての画像について平均してください。",
                "Only the first image's loss is computed: take the mean over every image in the batch.",
                lambda c: -np.log(true_p[0]) if n > 1 else None),
    ]


def one_hot_hint(outcome, labels, use_ja, use_en):
    """The hint for an error raised on one-hot labels; '' for class ids."""
    if outcome.status != "raised" or np.ndim(labels) != 2:
        return ""
    return tr(ja=f" ラベルは one-hot (N, K) で来ることもあります: labels.ndim == 2 なら各行の 1 の位置（クラス番号）に直すか、{use_ja}",
              en=f" Labels may also come one-hot, (N, K): when labels.ndim == 2, turn them into class ids (where each row's 1 is), or {use_en}")


def cross_entropy_hint(case, outcome):
    return one_hot_hint(outcome, case.args[1], "−Σ t·log p をそのまま計算します。", "compute −Σ t·log p directly.")


CROSS_ENTROPY = FunctionCheck(
    "cross_entropy",
    "Check ``cross_entropy(probs (N, K), labels (N,) int or (N, K) one-hot)``: the mean over the batch of −Σ t·log p.",
    cross_entropy_cases, lambda c: ref.cross_entropy(*c.args), cross_entropy_mistakes, convert=to_loss,
    hint=cross_entropy_hint)

CHECKS = [SOFTMAX, CROSS_ENTROPY]
