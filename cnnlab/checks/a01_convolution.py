"""01_convolution: conv2d_single, conv2d_multi, relu.

Each check is data: the case ladder (the lecture's worked example first, then one new difficulty
at a time), the reference answer, and the known mistakes as computations under stable keys.
"""

from dataclasses import replace

import numpy as np

from . import finding
from ..examples import WORKED_IMAGE, WORKED_KERNEL
from ..language import tr
from . import reference as ref
from .core import Case, Mistake, quarters
from .function_check import FunctionCheck


def window_hint(case, outcome):
    """For the window-sliding functions: NumPy complained about a window or an index."""
    if outcome.kind in ("broadcast", "index", "shapes"):
        return tr(
            ja=" ウィンドウが配列の外にはみ出していませんか？出力サイズは OH = (H + 2·pad − KH) // stride + 1 です。パディングは縦横の軸だけに付けます。",
            en=" Does a window run past the edge of the array? The output size is OH = (H + 2·pad − KH) // stride + 1, and padding goes on the height and width axes only.")
    return ""


# conv2d_single(image, kernel) -----------------------------------------------------------------


def conv2d_single_cases(seed):
    rng = np.random.default_rng(0)
    cases = [
        Case("講義の計算例（4×4 の入力、3×3 のフィルタ）", "the lecture's worked example (4x4 input, 3x3 kernel)",
             (WORKED_IMAGE, WORKED_KERNEL)),
        Case("縦長の画像と横長のフィルタ", "a tall image and a wide kernel",
             (quarters(rng, (6, 5)), quarters(rng, (2, 3)))),
        Case("フィルタが画像と同じ大きさ", "a kernel as big as the image",
             (quarters(rng, (3, 3)), quarters(rng, (3, 3)))),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(4):
            h, w = rng.integers(3, 10, size=2)
            kh, kw = rng.integers(1, min(h, w) + 1, size=2)
            cases.append(Case("ランダムな小数の画像とフィルタ", "random float image and kernel",
                              (rng.normal(size=(h, w)), rng.normal(size=(kh, kw)))))
    return cases


def conv2d_single_mistakes(case):
    image, kernel = case.args
    expected = ref.single(image, kernel)
    return [
        Mistake("flipped_kernel",
                "フィルタが上下左右に反転しています（真の畳み込み）。このコースの「畳み込み」は相互相関です: out[i, j] = Σ image[i+u, j+v]·kernel[u, v]。フィルタは反転しません。",
                "Your kernel is flipped: that is true convolution. In this course (and every framework) convolution means cross-correlation: out[i, j] = Σ image[i+u, j+v]·kernel[u, v], no flipping.",
                lambda c: ref.single(image, kernel[::-1, ::-1])),
        Mistake("output_transposed",
                "高さと幅が入れ替わっています（出力が転置されています）。out[i, j] の i は行（高さ）、j は列（幅）です。",
                "Height and width are swapped (your output is transposed): in out[i, j], i is the row (height), j the column (width).",
                lambda c: expected.T),
        Mistake("kernel_transposed",
                "フィルタの縦横が入れ替わっています（kernel[v, u] になっています）。",
                "Your kernel is transposed (you used kernel[v, u]): keep kernel[u, v] with u down the rows.",
                lambda c: ref.single(image, kernel.T) if kernel.shape[0] == kernel.shape[1] else None),
        Mistake("output_one_short",
                "出力サイズが 1 小さいです: 最後の行と列が足りません。OH = H − KH + 1 なので range(H − KH + 1) まで回します。",
                "The output is one row and column short: OH = H − KH + 1, so loop over range(H − KH + 1).",
                lambda c: expected[:-1, :-1]),
    ]


CONV2D_SINGLE = FunctionCheck(
    "conv2d_single", "Check ``conv2d_single(image (H, W), kernel (KH, KW)) -> (H-KH+1, W-KW+1)``.",
    conv2d_single_cases, lambda c: ref.single(*c.args), conv2d_single_mistakes, hint=window_hint,
    default_hint=finding.slide_beside("conv2d_single"))


# conv2d_multi(image, kernels, bias) -----------------------------------------------------------


def conv2d_multi_cases(seed):
    rng = np.random.default_rng(1)
    cases = [
        Case("1 チャネル・1 フィルタ・バイアス 0（講義の計算例）", "one channel, one filter, bias 0 (the lecture's example)",
             (WORKED_IMAGE[None], WORKED_KERNEL[None, None], np.zeros(1))),
        Case("1 チャネル・1 フィルタ・バイアスあり", "one channel, one filter, with a bias",
             (WORKED_IMAGE[None], WORKED_KERNEL[None, None], np.array([0.5]))),
        Case("3 チャネル・2 フィルタ・バイアスあり", "3 channels, 2 filters, with biases",
             (quarters(rng, (3, 5, 5)), quarters(rng, (2, 3, 3, 3)), np.array([1.5, -0.75]))),
        Case("2 チャネル・3 フィルタ、縦長の画像と横長のフィルタ", "2 channels, 3 filters, a tall image and a wide kernel",
             (quarters(rng, (2, 6, 4)), quarters(rng, (3, 2, 2, 3)), quarters(rng, (3,)))),
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


def conv_mistakes(x, w, b, stride=1, pad=0):
    """Mistakes shared by every multi-channel convolution. x (N, C, H, W) -> (N, F, OH, OW)."""
    expected = ref.correlate(x, w, b, stride, pad)
    no_bias = expected - b[None, :, None, None]
    channels = x.shape[1]
    mistakes = [
        Mistake("flipped_kernel",
                "フィルタが上下左右に反転しています（真の畳み込み）。このコースの「畳み込み」は相互相関で、フィルタは反転しません。",
                "Your kernel is flipped: that is true convolution. Here convolution means cross-correlation: no flipping.",
                lambda c: ref.correlate(x, w[..., ::-1, ::-1], b, stride, pad)),
        Mistake("bias_missing", "バイアスが足されていません。各フィルタ f の出力に b[f] を 1 回足します。",
                "The bias is missing: add b[f] once to the output of filter f.",
                lambda c: no_bias if np.any(b != 0) else None),
        Mistake("bias_per_channel",
                f"バイアスをチャネルごとに足しています（{channels} 回）。バイアスはチャネルの和を取った後に、フィルタごとに 1 回だけ足します。",
                f"The bias is added once per channel ({channels} times): sum over the channels first, then add b[f] once per filter.",
                lambda c: no_bias + channels * b[None, :, None, None] if channels > 1 and np.any(b != 0) else None),
        Mistake("channels_overwritten",
                "チャネルの和を取っていません: 最後のチャネルの結果で上書きしています。out[f] = Σ_c (image[c] と kernel[f, c] の相互相関) + b[f] です。",
                "The channels are not summed: each channel overwrites the last one. out[f] = Σ_c correlate(image[c], kernel[f, c]) + b[f].",
                lambda c: ref.correlate(x[:, -1:], w[:, -1:], b, stride, pad) if channels > 1 else None),
        Mistake("first_channel_only",
                "チャネルの和を取っていません: 最初のチャネルしか使っていません。out[f] = Σ_c (image[c] と kernel[f, c] の相互相関) + b[f] です。",
                "The channels are not summed: only the first channel is used. out[f] = Σ_c correlate(image[c], kernel[f, c]) + b[f].",
                lambda c: ref.correlate(x[:, :1], w[:, :1], b, stride, pad) if channels > 1 else None),
        Mistake("output_transposed", "高さと幅が入れ替わっています（出力が転置されています）。",
                "Height and width are swapped (your output is transposed).",
                lambda c: np.swapaxes(expected, -1, -2)),
    ]
    return expected, mistakes


def _per_channel(image, kernels, bias):
    # What a student gets when the sum over channels is missing: (F, C, OH, OW), bias included.
    return np.stack([ref.correlate(image[None, c:c + 1], kernels[:, c:c + 1], bias)[0] for c in range(image.shape[0])], axis=1)


def _without_batch(mistake):
    def wrong(case):
        out = mistake.wrong(case)
        return None if out is None else out[0]
    return replace(mistake, wrong=wrong)


def conv2d_multi_mistakes(case):
    image, kernels, bias = case.args
    _, mistakes = conv_mistakes(image[None], kernels, bias)
    channels_kept = Mistake(
        "channel_axis_kept",
        "チャネルの和を取っていません: 出力にチャネルの軸が残っています。(F, OH, OW) を返すように、チャネルについて足し合わせてください。",
        "The channels are not summed: your output still has a channel axis. Sum over the channels to return (F, OH, OW).",
        lambda c: _per_channel(image, kernels, bias))
    return [_without_batch(m) for m in mistakes] + [channels_kept]


CONV2D_MULTI = FunctionCheck(
    "conv2d_multi", "Check ``conv2d_multi(image (C, H, W), kernels (F, C, KH, KW), bias (F,)) -> (F, OH, OW)``.",
    conv2d_multi_cases, lambda c: ref.multi(*c.args), conv2d_multi_mistakes, hint=window_hint,
    default_hint=finding.CONVOLVE)


# relu(x) ------------------------------------------------------------------------------------


def relu_cases(seed):
    rng = np.random.default_rng(2)
    cases = [
        Case("1 次元: [-2, -1, 0, 1, 2]", "1-D: [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("2 次元の特徴マップ", "a 2-D feature map", (quarters(rng, (3, 4)),)),
        Case("4 次元のバッチ (N, C, H, W)", "a 4-D batch (N, C, H, W)", (quarters(rng, (2, 3, 4, 5)),)),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな 3 次元", "random 3-D", (rng.normal(size=(4, 3, 5)),)))
        cases.append(Case("float32 の入力", "float32 input", (rng.normal(size=(6, 7)).astype(np.float32),)))
    return cases


def relu_mistakes(case):
    (x,) = case.args
    return [
        Mistake("absolute_value", "絶対値になっています。ReLU は負の値を 0 にします: max(0, x)。",
                "You returned the absolute value; ReLU sets negative values to 0: max(0, x).", lambda c: np.abs(x)),
        Mistake("mask_returned", "x > 0 の真偽（0 と 1）を返しています。値そのものを返してください: 正の値はそのまま、負の値は 0 です。",
                "You returned the mask x > 0 (zeros and ones); return the values: positive values unchanged, negative ones 0.",
                lambda c: (x > 0).astype(float)),
        Mistake("negative_part", "負の側を残しています（min(0, x)）。ReLU は max(0, x) です。",
                "You kept the negative part (min(0, x)); ReLU is max(0, x).", lambda c: np.minimum(x, 0)),
    ]


def relu_hint(case, outcome):
    if outcome.status != "raised":
        return ""
    return tr(ja=" ReLU はどんな形の配列（1 次元〜4 次元）にも使えるようにします。2 重ループではなく、どんな形にも要素ごとに働く NumPy の関数を 1 つ使いましょう。",
              en=" ReLU must work for arrays of any shape (1-D to 4-D): instead of two nested loops, use one NumPy function that works element by element on any shape.")


RELU = FunctionCheck("relu", "Check ``relu(x)``: elementwise max(0, x) for any shape.",
                     relu_cases, lambda c: np.maximum(c.args[0], 0), relu_mistakes, hint=relu_hint)

CHECKS = [CONV2D_SINGLE, CONV2D_MULTI, RELU]
