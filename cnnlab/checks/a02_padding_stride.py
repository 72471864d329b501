"""02_padding_stride: output_size, zero_pad, conv_forward."""

import numpy as np

from . import finding
from ..examples import WORKED_IMAGE, WORKED_KERNEL
from ..language import tr
from . import reference as ref
from .a01_convolution import conv_mistakes, window_hint
from .convert import to_int
from .core import Case, Mistake, quarters
from .function_check import FunctionCheck

# output_size(in_size, kernel_size, stride=1, pad=0) -------------------------------------------

_OUTPUT_SIZE_CASES = [
    # (in_size, kernel_size, stride, pad), why the case is there
    ((4, 3, 1, 0), "講義の例: 4×4 の入力に 3×3 のフィルタ", "the lecture's example: 4x4 input, 3x3 kernel"),
    ((4, 3, 1, 1), "パディング 1 でサイズが保たれる", "pad 1 keeps the size"),
    ((7, 3, 2, 0), "ストライド 2", "stride 2"),
    ((28, 5, 1, 2), "28×28 の画像、5×5 のフィルタ、パディング 2", "a 28x28 image, 5x5 kernel, pad 2"),
    ((7, 3, 3, 1), "ストライド 3 とパディング 1", "stride 3 with pad 1"),
    ((8, 3, 2, 0), "割り切れないとき（切り捨て）", "not divisible: floor"),
    ((9, 3, 3, 1), "割り切れないとき: 8 / 3 = 2.67（切り捨てで 2。四捨五入や切り上げなら 3）", "not divisible: 8 / 3 = 2.67 (floor 2; round() or ceil would give 3)"),
    ((5, 5, 1, 0), "フィルタが入力とちょうど同じ大きさ", "kernel exactly as big as the input"),
    ((3, 5, 1, 1), "パディングしてちょうど入る", "fits only thanks to the padding"),
]

_OUTPUT_SIZE_BAD = [
    ((3, 5, 1, 0), "フィルタ (5) がパディングした入力 (3) より大きい", "the kernel (5) is larger than the padded input (3)"),
    ((4, 3, 0, 0), "ストライド 0", "stride 0"),
    ((4, 3, -1, 0), "負のストライド", "a negative stride"),
]


def _sizes_case(sizes, ja, en):
    n, k, s, p = sizes
    return Case(ja, en, (n, k), {"stride": s, "pad": p})


def output_size_cases(seed):
    cases = [_sizes_case(*c) for c in _OUTPUT_SIZE_CASES]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(20):
            k, s, p = int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(0, 4))
            n = int(rng.integers(max(1, k - 2 * p), 40))
            cases.append(_sizes_case((n, k, s, p), "ランダムな組み合わせ", "a random combination"))
    return cases


def _formula(f):
    """A Mistake's ``wrong`` from a formula of (in_size, kernel_size, stride, pad)."""
    return lambda c: f(*c.args, c.kwargs["stride"], c.kwargs["pad"])


def output_size_mistakes(case):
    return [
        Mistake("plus_one_missing",
                "最後の +1 を忘れています: OH = (H + 2·P − K) // S + 1。最初の位置の分を足します。",
                "The +1 is missing: OH = (H + 2·P − K) // S + 1 — the first window position counts too.",
                _formula(lambda n, k, s, p: (n + 2 * p - k) // s)),
        Mistake("padding_once",
                "パディングを片側分しか数えていません: 上下（左右）両方に付くので 2·P です。",
                "The padding is counted once: it goes on both sides, so it is 2·P.",
                _formula(lambda n, k, s, p: (n + p - k) // s + 1)),
        Mistake("rounded_to_nearest",
                "四捨五入しています（round()）。はみ出す位置にはフィルタを置けないので、切り捨て（//）です。",
                "You rounded to the nearest whole number (round()): a window that would run past the edge does not count, so use floor division (//).",
                _formula(lambda n, k, s, p: round((n + 2 * p - k) / s) + 1)),
        Mistake("rounded_up",
                "切り上げています。はみ出す位置にはフィルタを置けないので、切り捨て（//）です。",
                "You rounded up: a window that would run past the edge does not count, so use floor division (//).",
                _formula(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1)),
        Mistake("stride_ignored",
                "ストライドが無視されています: (H + 2·P − K) を S で割ります。",
                "The stride is ignored: divide (H + 2·P − K) by S.",
                _formula(lambda n, k, s, p: n + 2 * p - k + 1)),
        Mistake("padding_subtracted",
                "パディングを引いています。パディングは入力を大きくするので + 2·P です。",
                "You subtracted the padding; padding makes the input larger: + 2·P.",
                _formula(lambda n, k, s, p: (n - 2 * p - k) // s + 1)),
    ]


OUTPUT_SIZE = FunctionCheck(
    "output_size", "Check ``output_size(in_size, kernel_size, stride=1, pad=0)``: int, or ValueError when it cannot fit.",
    output_size_cases, lambda c: ref.output_size(*c.args, **c.kwargs), output_size_mistakes,
    keywords=("stride", "pad"), convert=to_int,
    raising=lambda seed: [_sizes_case(*c) for c in _OUTPUT_SIZE_BAD],
    raising_hint=("フィルタが入らないとき、ストライドが 1 未満のときは raise ValueError(...) してください。",
                  "When the kernel does not fit or the stride is below 1, raise ValueError(...)."),
    default_hint=lambda: tr(ja="式は OH = (H + 2·P − K) // S + 1 です。", en="The formula is OH = (H + 2·P − K) // S + 1."))


# zero_pad(x, pad) -----------------------------------------------------------------------------


def zero_pad_cases(seed):
    rng = np.random.default_rng(3)
    cases = [
        Case("講義の例: 4×4 の入力をパディング 1 で 6×6 に", "the lecture's example: 4x4 padded by 1 to 6x6", (WORKED_IMAGE, 1)),
        Case("3 次元 (C, H, W)、パディング 2", "3-D (C, H, W), pad 2", (quarters(rng, (2, 3, 4)), 2)),
        Case("4 次元 (N, C, H, W)、パディング 1", "4-D (N, C, H, W), pad 1", (quarters(rng, (2, 3, 4, 5)), 1)),
        Case("パディング 0（そのまま）", "pad 0 (unchanged)", (quarters(rng, (3, 2)), 0)),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for ndim in (2, 3, 4):
            shape = tuple(int(s) for s in rng.integers(1, 6, size=ndim))
            cases.append(Case("ランダム", "random", (rng.normal(size=shape).astype(np.float32), int(rng.integers(1, 4)))))
    return cases


def zero_pad_mistakes(case):
    x, pad = case.args
    wide = [(pad, pad)] * x.ndim
    return [
        Mistake("padded_every_axis",
                "バッチやチャネルの軸までパディングしています。パディングは最後の 2 軸（H, W）だけです: ほかの軸の幅は (0, 0) にします。",
                "You padded the batch/channel axes too. Pad only the last two axes (H, W): every other axis gets the width (0, 0).",
                lambda c: np.pad(x, wide) if x.ndim > 2 and pad else None),
        Mistake("one_side_after", "片側にしかパディングしていません（下と右だけ）。上下左右すべてに pad 個の 0 を付けます。",
                "You padded one side only (bottom and right). Add pad zeros on every side: top, bottom, left and right.",
                lambda c: ref.pad_hw(x, pad, sides=(0, 1))),
        Mistake("one_side_before", "片側にしかパディングしていません（上と左だけ）。上下左右すべてに pad 個の 0 を付けます。",
                "You padded one side only (top and left). Add pad zeros on every side: top, bottom, left and right.",
                lambda c: ref.pad_hw(x, pad, sides=(1, 0))),
        Mistake("one_side_double",
                "片側にしかパディングしていません（下と右に 2·pad 個）。x は真ん中、out[..., pad:pad+H, pad:pad+W] に置きます。",
                "You padded one side only (2·pad zeros at the bottom and right): x belongs in the middle, out[..., pad:pad+H, pad:pad+W] = x.",
                lambda c: ref.pad_hw(x, pad, sides=(0, 2)) if pad else None),
        Mistake("edge_values", "パディングの値が 0 ではありません（端の値をコピーしています）。ゼロパディングでは周りを 0 で埋めます。",
                "Your padding is not zeros (it copies the edge values). Zero padding fills the border with 0.",
                lambda c: ref.pad_hw(x, pad, mode="edge") if pad else None),
        Mistake("filled_with_ones", "パディングの値が 0 ではありません（1 で埋めています）。ゼロパディングでは周りを 0 で埋めます。",
                "Your padding is not zeros (you filled it with 1). Zero padding fills the border with 0.",
                lambda c: ref.pad_hw(x, pad, value=1.0) if pad else None),
        Mistake("twice_too_wide", "パディングの幅が 2 倍です: 各辺に pad 個（合計で 2·pad）です。",
                "Your padding is twice too wide: pad zeros on each side (2·pad in total per axis).",
                lambda c: ref.pad_hw(x, 2 * pad) if pad else None),
        Mistake("height_only", "高さだけパディングしています。幅の方向にも付けてください。",
                "You padded the height only; pad the width too.",
                lambda c: np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (0, 0)]) if pad else None),
        Mistake("width_only", "幅だけパディングしています。高さの方向にも付けてください。",
                "You padded the width only; pad the height too.",
                lambda c: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)]) if pad else None),
    ]


ZERO_PAD = FunctionCheck(
    "zero_pad", "Check ``zero_pad(x, pad)``: zeros around the last two axes of an array of 2 or more dims.",
    zero_pad_cases, lambda c: ref.pad_hw(*c.args), zero_pad_mistakes)


# conv_forward(x, w, b, stride=1, pad=0) --------------------------------------------------------


def conv_forward_cases(seed):
    rng = np.random.default_rng(4)
    cases = [
        Case("講義の計算例（N=1, C=1, F=1）", "the lecture's worked example (N=1, C=1, F=1)",
             (WORKED_IMAGE[None, None], WORKED_KERNEL[None, None], np.zeros(1))),
        Case("パディング 1（講義の例: 出力は 4×4、左上は 3）", "pad 1 (the lecture's example: 4x4 output, top-left 3)",
             (WORKED_IMAGE[None, None], WORKED_KERNEL[None, None], np.zeros(1)), {"stride": 1, "pad": 1}),
        Case("3 チャネル・2 フィルタ・バイアス", "3 channels, 2 filters, biases",
             (quarters(rng, (1, 3, 5, 5)), quarters(rng, (2, 3, 3, 3)), np.array([0.5, -1.25]))),
        Case("ストライド 2", "stride 2",
             (quarters(rng, (1, 2, 7, 7)), quarters(rng, (2, 2, 3, 3)), np.array([0.25, 1.0])), {"stride": 2, "pad": 0}),
        Case("バッチ N=3", "a batch of N=3",
             (quarters(rng, (3, 2, 5, 4)), quarters(rng, (2, 2, 2, 2)), np.array([1.0, -0.5]))),
        Case("ストライド 3、割り切れない大きさ 8×7: 出力は 2×2（切り捨て。四捨五入なら 3×2、切り上げなら 3×3）",
             "stride 3, sizes 8x7 not divisible: a 2x2 output (floor; round() gives 3x2, ceil 3x3)",
             (quarters(rng, (1, 1, 8, 7)), quarters(rng, (1, 1, 3, 3)), np.array([0.5])), {"stride": 3, "pad": 0}),
        Case("パディング 2 とストライド 3、縦長の画像と横長のフィルタ", "pad 2 and stride 3, a tall image and a wide kernel",
             (quarters(rng, (2, 2, 8, 5)), quarters(rng, (3, 2, 2, 3)), np.array([0.5, -0.25, 1.0])), {"stride": 3, "pad": 2}),
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


def conv_forward_mistakes(case):
    x, w, b = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    expected, mistakes = conv_mistakes(x, w, b, stride, pad)
    oh, ow = expected.shape[-2:]
    if stride > 1:
        mistakes += [
            Mistake("stride_ignored", f"ストライドが無視されています: ウィンドウを 1 ずつずらしています。ウィンドウの左上は (i·{stride}, j·{stride}) です。",
                    f"The stride is ignored: your window moves one step at a time. Window (i, j) starts at (i·{stride}, j·{stride}).",
                    lambda c: ref.correlate(x, w, b, 1, pad)),
            Mistake("stride_only_in_size", f"ストライドを出力の大きさにだけ使っています: ウィンドウの位置にも掛けて、入力の [i·{stride} : i·{stride} + KH] を使います。",
                    f"The stride shrinks the output but not the window's step: window (i, j) starts at input row i·{stride}, column j·{stride}.",
                    lambda c: ref.correlate(x, w, b, 1, pad)[..., :oh, :ow]),
        ]
    if pad:
        mistakes += [
            Mistake("padding_ignored", "パディングが無視されています。先に上下左右を 0 で埋めてから畳み込みます。",
                    "The padding is ignored: pad the input with zeros on every side first, then convolve.",
                    lambda c: ref.correlate(x, w, b, stride, 0)),
            Mistake("one_side_after", "片側にしかパディングしていません（下と右に 2·pad）。上下左右に pad 個ずつです。",
                    "You padded one side only (2·pad at the bottom and right). Pad pad zeros on every side.",
                    lambda c: ref.correlate(ref.pad_hw(x, pad, sides=(0, 2)), w, b, stride, 0)),
            Mistake("one_side_before", "片側にしかパディングしていません（上と左に 2·pad）。上下左右に pad 個ずつです。",
                    "You padded one side only (2·pad at the top and left). Pad pad zeros on every side.",
                    lambda c: ref.correlate(ref.pad_hw(x, pad, sides=(2, 0)), w, b, stride, 0)),
            Mistake("edge_values", "パディングの値が 0 ではありません（端の値をコピーしています）。ゼロパディングは 0 で埋めます。",
                    "Your padding is not zeros (it copies the edge values): zero padding fills with 0.",
                    lambda c: ref.correlate(ref.pad_hw(x, pad, mode="edge"), w, b, stride, 0)),
            Mistake("filled_with_ones", "パディングの値が 0 ではありません（1 で埋めています）。ゼロパディングは 0 で埋めます。",
                    "Your padding is not zeros (you filled it with 1): zero padding fills with 0.",
                    lambda c: ref.correlate(ref.pad_hw(x, pad, value=1.0), w, b, stride, 0)),
            Mistake("padded_every_axis", "バッチやチャネルの軸までパディングしています。パディングは縦横の軸だけです: バッチとチャネルの軸の幅は (0, 0) にします。",
                    "You padded the batch and channel axes too: padding goes on the height and width axes only: the batch and channel axes get the width (0, 0).",
                    # Only computable for one channel, where NumPy broadcasts the extra channels.
                    lambda c: ref.correlate(np.pad(x, pad)[:x.shape[0]].sum(axis=1, keepdims=True), w, b, stride, 0)
                    if x.shape[1] == 1 else None),
        ]
    if x.shape[0] > 1:
        mistakes.append(Mistake(
            "first_image_everywhere", "バッチのすべての画像に最初の画像の結果が入っています。n についてもループしてください（x[n]）。",
            "Every image in the batch got the first image's output: loop over n as well (x[n]).",
            lambda c: np.broadcast_to(expected[:1], expected.shape)))
        mistakes.append(Mistake(
            "batch_axes_swapped", "出力の軸の順番が違います: (F, N, OH, OW) ではなく (N, F, OH, OW) です。",
            "Your output axes are in the wrong order: (N, F, OH, OW), not (F, N, OH, OW).",
            lambda c: np.swapaxes(expected, 0, 1)))
    return mistakes


CONV_FORWARD = FunctionCheck(
    "conv_forward", "Check ``conv_forward(x (N, C, H, W), w (F, C, KH, KW), b (F,), stride=1, pad=0) -> (N, F, OH, OW)``.",
    conv_forward_cases, lambda c: ref.correlate(*c.args, **c.kwargs), conv_forward_mistakes,
    keywords=("stride", "pad"), hint=window_hint, default_hint=finding.CONVOLVE)

CHECKS = [OUTPUT_SIZE, ZERO_PAD, CONV_FORWARD]
