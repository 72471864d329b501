"""04_pooling: max_pool_forward and avg_pool_forward, one case ladder and the mistakes they share."""

import numpy as np

from . import finding
from ..examples import POOL_EXAMPLE, WORKED_IMAGE
from . import reference as ref
from .a01_convolution import window_hint
from .core import Case, Mistake, quarters
from .function_check import FunctionCheck

# All windows negative, two of them below -1: a maximum that starts at 0 returns 0 there, and an
# int result (-1.25 -> -1) is told apart from it.
NEGATIVE_IMAGE = np.array([[-1.25, -2.0, -0.5, -1.75, -3.0, -1.5],
                           [-3.5, -1.5, -2.25, -0.75, -2.5, -4.0],
                           [-2.0, -2.75, -1.0, -3.25, -0.25, -1.0],
                           [-1.5, -4.5, -2.0, -1.5, -2.0, -3.75]])


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


def pool_cases(seed):
    rng = np.random.default_rng(5)
    cases = [
        Case("講義の例 1（2×2、ストライド 2）", "the lecture's example 1 (2x2, stride 2)", (WORKED_IMAGE[None, None],)),
        Case("講義の例 2", "the lecture's example 2", (POOL_EXAMPLE[None, None],)),
        Case("2 チャネル（講義の 2 つの例を重ねたもの）", "2 channels (the lecture's two examples stacked)",
             (np.stack([WORKED_IMAGE, POOL_EXAMPLE])[None],)),
        Case("負の値だけ、横長の 4×6", "negative values only, a wide 4x6 map", (NEGATIVE_IMAGE[None, None],)),
        Case("バッチ N=2・3 チャネル・5×7（最後の行と列はどのウィンドウにも入らない）",
             "a batch of N=2, 3 channels, 5x7 (the last row and column fall in no window)",
             (quarters(rng, (2, 3, 5, 7)),)),
        Case("ウィンドウ 3×3、ストライド 2（ウィンドウが重なる）", "3x3 windows, stride 2 (overlapping)",
             (quarters(rng, (1, 2, 7, 6)),), {"size": 3, "stride": 2}),
        Case("ウィンドウ 2×2、ストライド 1（ウィンドウが重なる）", "2x2 windows, stride 1 (overlapping)",
             (quarters(rng, (2, 1, 4, 5)),), {"size": 2, "stride": 1}),
    ]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases.append(Case("ランダムな小数、N=3・C=2・ウィンドウ 3・ストライド 3", "random floats, N=3, C=2, size 3, stride 3",
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


def pool_mistakes(case, reduce):
    """Mistakes shared by max and average pooling; ``reduce`` is np.max or np.mean."""
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected = ref.pool(x, size, stride, reduce)
    oh, ow = expected.shape[-2:]
    n, channels = x.shape[:2]
    mistakes = [
        Mistake("stride_ignored", f"ストライドが無視されています: ウィンドウを 1 ずつずらしています。ウィンドウ (i, j) の左上は入力の (i·{stride}, j·{stride}) です。",
                f"The stride is ignored: your window moves one step at a time. Window (i, j) starts at input row i·{stride}, column j·{stride}.",
                lambda c: ref.pool(x, size, 1, reduce) if stride != 1 else None),
        Mistake("stride_as_size", f"ストライドが無視されています: ウィンドウをウィンドウの大きさ（{size}）ずつずらしています。ずらす幅は stride = {stride} です。",
                f"The stride is ignored: your windows step by the window size ({size}), not by stride = {stride}.",
                lambda c: ref.pool(x, size, size, reduce) if stride != size else None),
        Mistake("stride_only_in_size", f"ストライドを出力の大きさにだけ使っています: ウィンドウの位置にも掛けて、入力の [i·{stride} : i·{stride} + size] を使います。",
                f"The stride is ignored where the window starts (it only sets the output size): window (i, j) covers input rows i·{stride} to i·{stride} + size.",
                lambda c: ref.pool(x, size, 1, reduce)[..., :oh, :ow] if stride != 1 else None),
        Mistake("channels_mixed", "チャネルが混ざっています: チャネルもまとめてプーリングしています。チャネルごとに別々に、ウィンドウの中（縦と横）だけでまとめます。",
                "The channels are mixed: you pooled across the channels too. Pool each channel on its own, over the window's height and width only.",
                lambda c: np.broadcast_to(reduce(ref.pool(x, size, stride, reduce), axis=1, keepdims=True), expected.shape)
                if channels > 1 else None),
        Mistake("output_transposed", "高さと幅が入れ替わっています（出力が転置されています）。out[..., i, j] の i は行（高さ）、j は列（幅）です。",
                "Height and width are swapped (your output is transposed): in out[..., i, j], i is the row (height), j the column (width).",
                lambda c: np.swapaxes(expected, -1, -2) if oh > 1 or ow > 1 else None),
        Mistake("output_one_short", "出力サイズが 1 ずれています: 最後の行と列が足りません。OH = (H − size) // stride + 1（+1 を忘れていませんか？）。",
                "The output size is off by one: the last row and column are missing. OH = (H − size) // stride + 1 (is the +1 missing?).",
                lambda c: expected[..., :-1, :-1] if oh > 1 and ow > 1 else None),
        Mistake("rounded_up", "出力サイズを切り上げています: 端からはみ出すウィンドウは数えません。OH = (H − size) // stride + 1（切り捨て）です。",
                "You rounded the output size up: a window that runs past the edge does not count. OH = (H − size) // stride + 1 (floor division).",
                lambda c: _pool_rounding_up(x, size, stride, reduce)
                if (x.shape[2] - size) % stride or (x.shape[3] - size) % stride else None),
        Mistake("first_image_everywhere", "バッチのすべての画像に最初の画像の結果が入っています。n についてもループしてください（x[n]）。",
                "Every image in the batch got the first image's result: loop over n as well (x[n]).",
                lambda c: np.broadcast_to(expected[:1], expected.shape) if n > 1 else None),
        Mistake("first_channel_everywhere", "すべてのチャネルに最初のチャネルの結果が入っています。c についてもループしてください（x[n, c]）。",
                "Every channel got the first channel's result: loop over the channels c as well (x[n, c]).",
                lambda c: np.broadcast_to(expected[:, :1], expected.shape) if channels > 1 else None),
    ]
    return expected, mistakes


def max_pool_mistakes(case):
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected, mistakes = pool_mistakes(case, np.max)
    return [
        Mistake("mean_instead_of_max", "最大値ではなく平均を取っています（平均プーリング）。MAXプーリングはウィンドウの中の一番大きい値です: window.max()。",
                "You took the mean (average pooling): max pooling keeps the largest value of each window, window.max().",
                lambda c: ref.pool(x, size, stride, np.mean)),
        Mistake("max_starts_at_zero", "最大値を 0 から始めています: ウィンドウの値がすべて負だと 0 が残ります。最大値はウィンドウの値から始めてください（window.max() や -np.inf から）。",
                "Your maximum starts at 0, so a window of negative values gives 0: start from the window's own values (window.max(), or -np.inf).",
                lambda c: np.maximum(expected, 0) if np.any(expected < 0) else None),
    ] + mistakes


def avg_pool_mistakes(case):
    (x,) = case.args
    size, stride = case.kwargs.get("size", 2), case.kwargs.get("stride", 2)
    expected, mistakes = pool_mistakes(case, np.mean)
    return [
        Mistake("max_instead_of_mean", "平均ではなく最大値を取っています（MAXプーリング）。平均プーリングはウィンドウの中の平均です: window.mean()。",
                "You took the maximum (max pooling): average pooling keeps the mean of each window, window.mean().",
                lambda c: ref.pool(x, size, stride, np.max)),
        Mistake("sum_not_mean", f"平均ではなく合計になっています。ウィンドウの要素の数 size·size = {size * size} で割ってください。",
                f"You returned the window's sum, not its mean: divide by the number of elements, size·size = {size * size}.",
                lambda c: expected * size * size if size > 1 else None),
        Mistake("divided_by_size", f"size·size = {size * size} ではなく size = {size} で割っています。ウィンドウには size·size 個の要素があります。",
                f"You divided by size = {size} instead of size·size = {size * size}: a window holds size·size elements.",
                lambda c: expected * size if size > 1 else None),
    ] + mistakes


MAX_POOL_FORWARD = FunctionCheck(
    "max_pool_forward",
    "Check ``max_pool_forward(x (N, C, H, W), size=2, stride=2) -> (N, C, OH, OW)``: the maximum of each window, per channel.",
    pool_cases, lambda c: ref.pool(*c.args, **c.kwargs, reduce=np.max), max_pool_mistakes,
    keywords=("size", "stride"), hint=window_hint, default_hint=finding.POOL)

AVG_POOL_FORWARD = FunctionCheck(
    "avg_pool_forward",
    "Check ``avg_pool_forward(x (N, C, H, W), size=2, stride=2) -> (N, C, OH, OW)``: the mean of each window, per channel.",
    pool_cases, lambda c: ref.pool(*c.args, **c.kwargs, reduce=np.mean), avg_pool_mistakes,
    keywords=("size", "stride"), hint=window_hint, default_hint=finding.POOL)

CHECKS = [MAX_POOL_FORWARD, AVG_POOL_FORWARD]
