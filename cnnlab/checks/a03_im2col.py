"""03_im2col: im2col and conv_forward_im2col."""

import numpy as np

from . import finding
from ..examples import WORKED_IMAGE
from ..language import tr
from . import reference as ref
from .a01_convolution import conv_mistakes, window_hint
from .a02_padding_stride import conv_forward_cases
from .core import Case, Mistake, quarters
from .function_check import FunctionCheck

# im2col(x, kh, kw, stride=1, pad=0) ----------------------------------------------------------


def im2col_cases(seed):
    rng = np.random.default_rng(8)
    cases = [
        Case("講義 01 の例: 4×4 の入力、3×3 のウィンドウ → 4 行 × 9 列", "lecture 01's example: a 4x4 input, 3x3 windows -> 4 rows x 9 columns",
             (WORKED_IMAGE[None, None], 3, 3)),
        Case("講義の形の例: (10, 3, 7, 7)、5×5 のウィンドウ → (90, 75)", "the lecture's shape example: (10, 3, 7, 7), 5x5 windows -> (90, 75)",
             (quarters(rng, (10, 3, 7, 7)), 5, 5)),
        Case("2 チャネル、横長の 2×3 のウィンドウ（列の順番 c, kh, kw）", "2 channels, a wide 2x3 window (column order c, kh, kw)",
             (quarters(rng, (1, 2, 4, 5)), 2, 3)),
        Case("バッチ N=3、2 チャネル（行の順番 n, oh, ow）", "a batch of N=3, 2 channels (row order n, oh, ow)",
             (quarters(rng, (3, 2, 4, 5)), 3, 2)),
        Case("ストライド 2", "stride 2", (quarters(rng, (1, 2, 7, 7)), 3, 3), {"stride": 2, "pad": 0}),
        Case("ストライド 3、割り切れない大きさ 8×7: 2×2 の位置 → 4 行（切り捨て。四捨五入なら 3×2、切り上げなら 3×3）",
             "stride 3, sizes 8x7 not divisible: 2x2 positions -> 4 rows (floor; round() gives 3x2, ceil 3x3)",
             (quarters(rng, (1, 1, 8, 7)), 3, 3), {"stride": 3, "pad": 0}),
        Case("パディング 1（講義 01 の例: 16 行 × 9 列）", "pad 1 (lecture 01's example: 16 rows x 9 columns)",
             (WORKED_IMAGE[None, None], 3, 3), {"stride": 1, "pad": 1}),
        Case("パディング 2 とストライド 3、N=2・2 チャネル、縦長の画像と横長のウィンドウ", "pad 2 and stride 3, N=2, 2 channels, a tall image and a wide window",
             (quarters(rng, (2, 2, 8, 5)), 2, 3), {"stride": 3, "pad": 2}),
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


def im2col_mistakes(case):
    x, kh, kw = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    n, channels = x.shape[:2]
    windows = ref.windows(x, kh, kw, stride, pad)            # (N, C, OH, OW, KH, KW)
    oh, ow = windows.shape[2:4]
    expected = ref.table(windows, (0, 2, 3, 1, 4, 5))
    zerokara = windows.transpose(0, 1, 4, 5, 2, 3)        # (N, C, KH, KW, OH, OW), as in ゼロから作る
    return [
        Mistake("columns_kh_kw_c", "列の順番が (kh, kw, c) になっています。列は (c, kh, kw) の順: チャネル 0 のウィンドウの KH·KW 個、次にチャネル 1、… です（transpose の軸の順番を確かめてください）。",
                "Your columns are ordered (kh, kw, c): they must be (c, kh, kw), the KH·KW numbers of channel 0's window first, then channel 1, ... (check the axes of your transpose).",
                lambda c: ref.table(windows, (0, 2, 3, 4, 5, 1)) if channels > 1 and kh * kw > 1 else None),
        Mistake("columns_c_kw_kh", "列の順番が (c, kw, kh) になっています: ウィンドウを列ごとに読んでいます。ウィンドウは行ごとに（kh が外側、kw が内側）並べます。",
                "Your columns are ordered (c, kw, kh): you read each window column by column. Read it row by row (kh outer, kw inner).",
                lambda c: ref.table(windows, (0, 2, 3, 1, 5, 4)) if kh > 1 and kw > 1 else None),
        Mistake("rows_oh_ow_n", "行の順番が (oh, ow, n) になっています。行は (n, oh, ow) の順: 画像 0 のすべての位置、次に画像 1、… です。",
                "Your rows are ordered (oh, ow, n): they must be (n, oh, ow), every position of image 0 first, then image 1, ...",
                lambda c: ref.table(windows, (2, 3, 0, 1, 4, 5)) if n > 1 and oh * ow > 1 else None),
        Mistake("rows_n_ow_oh", "行の順番が (n, ow, oh) になっています（出力の縦と横が入れ替わっています）。行は (n, oh, ow)、出力の行 oh が外側です。",
                "Your rows are ordered (n, ow, oh) (output height and width swapped): they must be (n, oh, ow), the output row oh outside.",
                lambda c: ref.table(windows, (0, 3, 2, 1, 4, 5)) if oh > 1 and ow > 1 else None),
        Mistake("reshape_without_transpose", "transpose をせずに reshape しています: (N, C, OH, OW, KH, KW) をそのまま (N·OH·OW, C·KH·KW) にすると、形は合っても中身が混ざります。先に軸を (N, OH, OW, C, KH, KW) の順に transpose してから reshape します。",
                "reshape without transpose: reshaping (N, C, OH, OW, KH, KW) straight to (N·OH·OW, C·KH·KW) gives the right shape but scrambled values. Move the axes to (N, OH, OW, C, KH, KW) with transpose first, then reshape.",
                lambda c: windows.reshape(n * oh * ow, -1)),
        Mistake("reshape_without_transpose", "transpose をせずに reshape しています: (N, C, KH, KW, OH, OW) をそのまま (N·OH·OW, C·KH·KW) にすると、形は合っても中身が混ざります。先に transpose(0, 4, 5, 1, 2, 3) で (N, OH, OW, C, KH, KW) にしてから reshape します。",
                "reshape without transpose: reshaping (N, C, KH, KW, OH, OW) straight to (N·OH·OW, C·KH·KW) gives the right shape but scrambled values. transpose(0, 4, 5, 1, 2, 3) to (N, OH, OW, C, KH, KW) first, then reshape.",
                lambda c: zerokara.reshape(n * oh * ow, -1)),
        Mistake("result_transposed", "結果が転置されています: 形 (C·KH·KW, N·OH·OW) ではなく (N·OH·OW, C·KH·KW)、ウィンドウ 1 つが 1 行です。",
                "Your result is transposed: it must be (N·OH·OW, C·KH·KW), one window per row, not (C·KH·KW, N·OH·OW).",
                lambda c: expected.T),
        Mistake("stride_ignored", f"ストライドが無視されています: ウィンドウを 1 ずつずらしています。ウィンドウ (oh, ow) の左上は (oh·{stride}, ow·{stride}) で、OH = (H + 2·pad − KH) // stride + 1 です。",
                f"The stride is ignored: your window moves one step at a time. Window (oh, ow) starts at (oh·{stride}, ow·{stride}), and OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: ref.im2col(x, kh, kw, 1, pad) if stride > 1 else None),
        Mistake("stride_only_in_size", f"ストライドを出力の大きさにだけ使っています: ウィンドウの位置にも掛けて、ウィンドウ (oh, ow) は入力の (oh·{stride}, ow·{stride}) から始めます。",
                f"The stride shrinks the output but not the window's step: window (oh, ow) starts at input row oh·{stride}, column ow·{stride}.",
                lambda c: ref.table(ref.windows(x, kh, kw, 1, pad)[:, :, :oh, :ow], (0, 2, 3, 1, 4, 5)) if stride > 1 else None),
        Mistake("padding_ignored", "パディングが無視されています。先に縦横の上下左右を pad 個の 0 で埋めてからウィンドウを取り出します。",
                "The padding is ignored: pad the height and width with pad zeros on every side first, then take the windows.",
                lambda c: ref.im2col(x, kh, kw, stride, 0) if pad else None),
        Mistake("padded_every_axis", "バッチやチャネルの軸までパディングしています。パディングは縦横の軸だけです: バッチとチャネルの軸の幅は (0, 0) にします。",
                "You padded the batch and channel axes too: padding goes on the height and width axes only: the batch and channel axes get the width (0, 0).",
                lambda c: ref.im2col(np.pad(np.asarray(x, dtype=np.float64), pad), kh, kw, stride, 0) if pad else None),
        Mistake("one_side_after", "片側にしかパディングしていません（下と右に 2·pad）。上下左右に pad 個ずつです。",
                "You padded one side only (2·pad at the bottom and right). Pad pad zeros on every side.",
                lambda c: ref.im2col(ref.pad_hw(np.asarray(x, dtype=np.float64), pad, sides=(0, 2)), kh, kw, stride, 0) if pad else None),
        Mistake("output_one_short", "出力サイズが 1 小さく、最後のウィンドウの行と列が足りません。OH = (H + 2·pad − KH) // stride + 1（+1 を忘れていませんか？）。",
                "The output size is off by one: the last row and column of windows are missing. OH = (H + 2·pad − KH) // stride + 1 (is the +1 missing?).",
                lambda c: ref.table(windows[:, :, :-1, :-1], (0, 2, 3, 1, 4, 5)) if oh > 1 and ow > 1 else None),
    ]


IM2COL = FunctionCheck(
    "im2col", "Check ``im2col(x (N, C, H, W), kh, kw, stride=1, pad=0) -> (N*OH*OW, C*KH*KW)``: one window\n"
    "    per row in (n, oh, ow) order, its numbers in (c, kh, kw) order.",
    im2col_cases, lambda c: ref.im2col(*c.args, **c.kwargs), im2col_mistakes, keywords=("stride", "pad"), hint=window_hint,
    default_hint=finding.UNFOLD)


# conv_forward_im2col(x, w, b, stride=1, pad=0) -------------------------------------------------


def conv_forward_im2col_cases(seed):
    rng = np.random.default_rng(9)
    lecture = Case("講義の例: (10, 3, 7, 7) に 5×5 のフィルタ 2 枚 → (90, 75) @ (75, 2) → (10, 2, 3, 3)",
                   "the lecture's example: (10, 3, 7, 7) with two 5x5 filters -> (90, 75) @ (75, 2) -> (10, 2, 3, 3)",
                   (quarters(rng, (10, 3, 7, 7)), quarters(rng, (2, 3, 5, 5)), np.array([0.5, -0.5])))
    cases = conv_forward_cases(seed)
    return cases[:1] + [lecture] + cases[1:]


def conv_forward_im2col_mistakes(case):
    x, w, b = case.args
    stride, pad = case.kwargs.get("stride", 1), case.kwargs.get("pad", 0)
    expected, shared = conv_mistakes(x, w, b, stride, pad)
    n, f = expected.shape[:2]
    oh, ow = expected.shape[2:]
    channels, kh, kw = w.shape[1:]
    rows = expected.transpose(0, 2, 3, 1).reshape(n * oh * ow, f)      # the (N*OH*OW, F) product + b
    mistakes = [
        Mistake("product_reshaped_without_transpose", "reshape without transpose（transpose をせずに reshape）: 行列積の結果 (N·OH·OW, F) をそのまま (N, F, OH, OW) に reshape すると、形は合っても値が混ざります。"
                "行は (n, oh, ow) なので、まず reshape(N, OH, OW, F)、次に transpose(0, 3, 1, 2) です。",
                "reshape without transpose: reshaping the (N·OH·OW, F) product straight to (N, F, OH, OW) gives the right shape but scrambled values. "
                "Its rows are (n, oh, ow): reshape(N, OH, OW, F) first, then transpose(0, 3, 1, 2).",
                lambda c: rows.reshape(n, f, oh, ow) if f > 1 else None),
        Mistake("product_reshaped_without_transpose", "reshape without transpose（転置してから reshape）: (F, N·OH·OW) を (N, F, OH, OW) に reshape すると、画像とフィルタが混ざります。"
                "行列積の結果 (N·OH·OW, F) を reshape(N, OH, OW, F) して transpose(0, 3, 1, 2) します。",
                "reshape without transpose: reading the transposed product (F, N·OH·OW) as (N, F, OH, OW) mixes images and filters. "
                "Reshape the (N·OH·OW, F) product to (N, OH, OW, F), then transpose(0, 3, 1, 2).",
                lambda c: rows.T.reshape(n, f, oh, ow) if n > 1 and f > 1 else None),
        Mistake("axes_n_oh_ow_f", "出力の軸の順番が (N, OH, OW, F) のままです。transpose(0, 3, 1, 2) で (N, F, OH, OW) にします。",
                "Your output axes are (N, OH, OW, F): transpose(0, 3, 1, 2) to get (N, F, OH, OW).",
                lambda c: expected.transpose(0, 2, 3, 1)),
        Mistake("product_returned", "行列積の結果 (N·OH·OW, F) をそのまま返しています。reshape(N, OH, OW, F) して transpose(0, 3, 1, 2) で (N, F, OH, OW) にします。",
                "You returned the (N·OH·OW, F) product as it is: reshape it to (N, OH, OW, F), then transpose(0, 3, 1, 2) to (N, F, OH, OW).",
                lambda c: rows),
        Mistake("filters_reshaped_wrongly", "フィルタの reshape が違います: w.reshape(-1, F) はフィルタの値を混ぜてしまいます。フィルタ 1 枚を 1 行にする w.reshape(F, -1) を作り、その転置 .T (C·KH·KW, F) を掛けます。",
                "The filters are reshaped wrongly: w.reshape(-1, F) scrambles their numbers. Make one filter per row with w.reshape(F, -1), then multiply by its transpose .T, (C·KH·KW, F).",
                lambda c: ref.correlate(x, w.reshape(-1, f).T.reshape(w.shape), b, stride, pad) if f > 1 else None),
        Mistake("im2col_column_order", "im2col の列の順番と、w.reshape(F, -1) の順番が合っていません（im2col の列が (kh, kw, c) になっています）。どちらも (c, kh, kw) の順にします: まず check_im2col を通してください。",
                "The columns of your im2col are not in the order of w.reshape(F, -1) (your im2col's columns are (kh, kw, c)). Both must be (c, kh, kw): make check_im2col pass first.",
                lambda c: ref.correlate(x, w.reshape(f, kh, kw, channels).transpose(0, 3, 1, 2), b, stride, pad)
                if channels > 1 and kh * kw > 1 else None),
        Mistake("filter_order", "フィルタの値の並び順が im2col の列の順番 (c, kh, kw) と違います（(kh, kw, c) の順に並べています）。フィルタは w の軸の順 (C, KH, KW) のまま、transpose せずに 1 枚を 1 行にします。",
                "Your filters' numbers are laid out in the order (kh, kw, c), but the im2col columns are (c, kh, kw): keep w's own axis order (C, KH, KW) when you lay a filter out as one row, no transpose before the reshape.",
                lambda c: _effective(x, w.transpose(0, 2, 3, 1).reshape(f, -1).T, w.shape, b, stride, pad)
                if channels > 1 and kh * kw > 1 else None),
        Mistake("filter_order", "フィルタの値の並び順が im2col の列の順番 (c, kh, kw) と違います（w.T は軸を逆順 (KW, KH, C, F) にします）。フィルタは w の軸の順 (C, KH, KW) のまま 1 枚を 1 行にし、その行列を転置します。",
                "Your filters' numbers are not in the im2col columns' order (c, kh, kw): w.T reverses all four axes, to (KW, KH, C, F). Lay each filter out as one row in w's own axis order (C, KH, KW), then transpose that matrix.",
                lambda c: _effective(x, w.T.reshape(-1, f), w.shape, b, stride, pad) if kh * kw > 1 or channels > 1 else None),
        Mistake("stride_ignored", f"ストライドが無視されています: im2col に stride={stride} を渡し、OH = (H + 2·pad − KH) // stride + 1 にも使ってください。",
                f"The stride is ignored: pass stride={stride} to im2col, and use it in OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: ref.correlate(x, w, b, 1, pad) if stride > 1 else None),
        Mistake("padding_ignored", f"パディングが無視されています: im2col に pad={pad} を渡し、OH = (H + 2·pad − KH) // stride + 1 にも使ってください。",
                f"The padding is ignored: pass pad={pad} to im2col, and use it in OH = (H + 2·pad − KH) // stride + 1.",
                lambda c: ref.correlate(x, w, b, stride, 0) if pad else None),
        Mistake("batch_axes_swapped", "出力の軸の順番が違います: (F, N, OH, OW) ではなく (N, F, OH, OW) です。",
                "Your output axes are in the wrong order: (N, F, OH, OW), not (F, N, OH, OW).",
                lambda c: np.swapaxes(expected, 0, 1) if n > 1 else None),
    ]
    return mistakes + shared


def _effective(x, matrix, shape, b, stride, pad):
    """What im2col's table @ ``matrix`` (C·KH·KW, F) + b computes: a convolution with the filters
    that matrix holds, read back in the (c, kh, kw) order of the table's columns (``shape``: w's)."""
    return ref.correlate(x, matrix.T.reshape(shape), b, stride, pad)


def conv_forward_im2col_hint(case, outcome):
    if outcome.kind == "reshape":
        return "\n  " + tr(ja="im2col の表の行数が N·OH·OW と合っていません: im2col に stride と pad を渡し、OH, OW を同じ式で計算してください。",
                           en="The rows of the im2col table do not match N·OH·OW: pass stride and pad to im2col, and compute OH and OW with the same formula.")
    return window_hint(case, outcome)


CONV_FORWARD_IM2COL = FunctionCheck(
    "conv_forward_im2col",
    "Check ``conv_forward_im2col(x (N, C, H, W), w (F, C, KH, KW), b (F,), stride=1, pad=0) -> (N, F, OH, OW)``:\n"
    "    the result of conv_forward (what is graded is the result; the exercise computes it with the\n"
    "    student's own im2col and one matrix product).",
    conv_forward_im2col_cases, lambda c: ref.correlate(*c.args, **c.kwargs), conv_forward_im2col_mistakes,
    keywords=("stride", "pad"), hint=conv_forward_im2col_hint, default_hint=finding.CONVOLVE,
    footer=lambda: tr(ja="conv_forward_im2col はあなたの im2col を使います: check_im2col が通ることを先に確かめてください。",
                      en="conv_forward_im2col uses your im2col: make sure check_im2col passes first."))

CHECKS = [IM2COL, CONV_FORWARD_IM2COL]
