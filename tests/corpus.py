"""Realistic student answers, right and wrong, for every graded function.

Each answer is the source a student might type into the solution cell. ``named`` is None for a
correct answer (full marks); for a wrong one it is a phrase the English feedback must contain,
and ``named_ja`` the phrase the Japanese feedback must contain. Keep this list growing: every
mistake seen in a real submission belongs here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    function: str
    label: str
    source: str
    named: str | None = None
    named_ja: str | None = None

    @property
    def correct(self):
        return self.named is None


def right(function, label, source):
    return Answer(function, label, source)


def wrong(function, label, source, named, named_ja):
    return Answer(function, label, source, named, named_ja)


# ---------------------------------------------------------------------------------------------
# 01_convolution: conv2d_single

CONV2D_SINGLE = [
    right("conv2d_single", "two loops and np.sum", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(H - KH + 1):
        for j in range(W - KW + 1):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
"""),
    right("conv2d_single", "four loops, pure Python sums", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = 0.0
            for u in range(KH):
                for v in range(KW):
                    total += image[i + u, j + v] * kernel[u, v]
            out[i, j] = total
    return out
"""),
    right("conv2d_single", "sliding_window_view + einsum", """
def conv2d_single(image, kernel):
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.einsum("ijuv,uv->ij", windows, kernel)
"""),
    right("conv2d_single", "float32 result", """
def conv2d_single(image, kernel):
    KH, KW = kernel.shape
    OH, OW = image.shape[0] - KH + 1, image.shape[1] - KW + 1
    out = np.empty((OH, OW), dtype=np.float32)
    for i in range(OH):
        for j in range(OW):
            out[i, j] = (image[i:i + KH, j:j + KW] * kernel).sum()
    return out
"""),
    right("conv2d_single", "loop over kernel offsets (shift and add)", """
def conv2d_single(image, kernel):
    KH, KW = kernel.shape
    OH, OW = image.shape[0] - KH + 1, image.shape[1] - KW + 1
    out = np.zeros((OH, OW))
    for u in range(KH):
        for v in range(KW):
            out += kernel[u, v] * image[u:u + OH, v:v + OW]
    return out
"""),
    wrong("conv2d_single", "flipped kernel (true convolution)", """
def conv2d_single(image, kernel):
    kernel = np.flip(kernel)
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(H - KH + 1):
        for j in range(W - KW + 1):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
""", "kernel is flipped", "反転"),
    wrong("conv2d_single", "off by one: range(H - KH)", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH, W - KW))
    for i in range(H - KH):
        for j in range(W - KW):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
""", "one row and column short", "1 小さい"),
    wrong("conv2d_single", "height and width swapped in the output", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((W - KW + 1, H - KH + 1))
    for i in range(H - KH + 1):
        for j in range(W - KW + 1):
            out[j, i] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
""", "Height and width are swapped", "高さと幅"),
    wrong("conv2d_single", "returns a list", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    return [[float(np.sum(image[i:i + KH, j:j + KW] * kernel)) for j in range(W - KW + 1)]
            for i in range(H - KH + 1)]
""", "must return a NumPy array, not list", "NumPy 配列を返して"),
    wrong("conv2d_single", "forgot return", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(H - KH + 1):
        for j in range(W - KW + 1):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
""", "forget `return`", "return"),
    wrong("conv2d_single", "integer output (zeros_like of an int image)", """
def conv2d_single(image, kernel):
    image = image.astype(int)
    KH, KW = kernel.shape
    out = np.zeros_like(image)[:image.shape[0] - KH + 1, :image.shape[1] - KW + 1]
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
""", "integer array", "整数の配列"),
    wrong("conv2d_single", "modifies the input in place", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(H - KH + 1):
        for j in range(W - KW + 1):
            window = image[i:i + KH, j:j + KW]
            window *= kernel
            out[i, j] = window.sum()
    return out
""", "modified its input array in place", "書き換えて"),
    wrong("conv2d_single", "calls the cnnlab reference instead of computing", """
def conv2d_single(image, kernel):
    from cnnlab import checks
    return checks._single(image, kernel)
""", "calls cnnlab", "cnnlab の関数"),
    wrong("conv2d_single", "an endless while loop", """
def conv2d_single(image, kernel):
    i = 0
    out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1))
    while i < out.shape[0]:
        out[i] = 0
    return out
""", "did not finish", "終わりません"),
    wrong("conv2d_single", "returns an object that claims to equal everything", """
class Sneaky:
    def __eq__(self, other):
        return True
    shape = (2, 2)

def conv2d_single(image, kernel):
    return Sneaky()
""", "must return a NumPy array, not Sneaky", "Sneaky"),
    wrong("conv2d_single", "raises an IndexError (window past the edge)", """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    out = np.zeros((H - KH + 1, W - KW + 1))
    for i in range(H):
        for j in range(W):
            out[i, j] = np.sum(image[i:i + KH, j:j + KW] * kernel)
    return out
""", "run past the edge", "はみ出して"),
    wrong("conv2d_single", "stub left in place", """
def conv2d_single(image, kernel):
    # YOUR CODE HERE
    raise NotImplementedError()
""", "not implemented yet", "まだ実装されていません"),
]

# ---------------------------------------------------------------------------------------------
# 01_convolution: conv2d_multi

CONV2D_MULTI = [
    right("conv2d_multi", "loops over filters and positions, sum over (C, KH, KW)", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        for i in range(H - KH + 1):
            for j in range(W - KW + 1):
                out[f, i, j] = np.sum(image[:, i:i + KH, j:j + KW] * kernels[f]) + bias[f]
    return out
"""),
    right("conv2d_multi", "explicit loop over channels, bias after the sum", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    OH, OW = H - KH + 1, W - KW + 1
    out = np.zeros((F, OH, OW))
    for f in range(F):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    out[f, i, j] += np.sum(image[c, i:i + KH, j:j + KW] * kernels[f, c])
        out[f] += bias[f]
    return out
"""),
    right("conv2d_multi", "sliding_window_view + einsum, float32", """
def conv2d_multi(image, kernels, bias):
    KH, KW = kernels.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(image, (KH, KW), axis=(1, 2))
    out = np.einsum("cijuv,fcuv->fij", windows, kernels) + bias[:, None, None]
    return out.astype(np.float32)
"""),
    right("conv2d_multi", "tensordot per position", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.empty((F, H - KH + 1, W - KW + 1))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = np.tensordot(kernels, image[:, i:i + KH, j:j + KW], axes=3) + bias
    return out
"""),
    wrong("conv2d_multi", "bias forgotten", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        for i in range(H - KH + 1):
            for j in range(W - KW + 1):
                out[f, i, j] = np.sum(image[:, i:i + KH, j:j + KW] * kernels[f])
    return out
""", "bias is missing", "バイアスが足されていません"),
    wrong("conv2d_multi", "bias added inside the channel loop", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        for c in range(C):
            for i in range(H - KH + 1):
                for j in range(W - KW + 1):
                    out[f, i, j] += np.sum(image[c, i:i + KH, j:j + KW] * kernels[f, c]) + bias[f]
    return out
""", "added once per channel", "チャネルごと"),
    wrong("conv2d_multi", "channels overwrite instead of summing", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        for c in range(C):
            for i in range(H - KH + 1):
                for j in range(W - KW + 1):
                    out[f, i, j] = np.sum(image[c, i:i + KH, j:j + KW] * kernels[f, c]) + bias[f]
    return out
""", "channels are not summed", "チャネルの和"),
    wrong("conv2d_multi", "keeps a channel axis (F, C, OH, OW)", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, C, H - KH + 1, W - KW + 1))
    for f in range(F):
        for c in range(C):
            for i in range(H - KH + 1):
                for j in range(W - KW + 1):
                    out[f, c, i, j] = np.sum(image[c, i:i + KH, j:j + KW] * kernels[f, c]) + bias[f]
    return out
""", "channels are not summed", "チャネルの和"),
    wrong("conv2d_multi", "only the first channel", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        for i in range(H - KH + 1):
            for j in range(W - KW + 1):
                out[f, i, j] = np.sum(image[0, i:i + KH, j:j + KW] * kernels[f, 0]) + bias[f]
    return out
""", "only the first channel", "最初のチャネル"),
    wrong("conv2d_multi", "flipped kernels", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, H - KH + 1, W - KW + 1))
    for f in range(F):
        k = kernels[f, :, ::-1, ::-1]
        for i in range(H - KH + 1):
            for j in range(W - KW + 1):
                out[f, i, j] = np.sum(image[:, i:i + KH, j:j + KW] * k) + bias[f]
    return out
""", "kernel is flipped", "反転"),
    wrong("conv2d_multi", "height and width swapped", """
def conv2d_multi(image, kernels, bias):
    C, H, W = image.shape
    F, _, KH, KW = kernels.shape
    out = np.zeros((F, W - KW + 1, H - KH + 1))
    for f in range(F):
        for i in range(H - KH + 1):
            for j in range(W - KW + 1):
                out[f, j, i] = np.sum(image[:, i:i + KH, j:j + KW] * kernels[f]) + bias[f]
    return out
""", "Height and width are swapped", "高さと幅"),
]

# ---------------------------------------------------------------------------------------------
# 01_convolution: relu

RELU = [
    right("relu", "np.maximum", """
def relu(x):
    return np.maximum(x, 0)
"""),
    right("relu", "np.where", """
def relu(x):
    return np.where(x > 0, x, 0.0)
"""),
    right("relu", "multiply by the mask", """
def relu(x):
    return x * (x > 0)
"""),
    right("relu", "copy then clip", """
def relu(x):
    out = x.copy()
    out[out < 0] = 0
    return out
"""),
    wrong("relu", "sets negatives to zero in place", """
def relu(x):
    x[x < 0] = 0
    return x
""", "modified its input array in place", "書き換えて"),
    wrong("relu", "returns the mask", """
def relu(x):
    return (x > 0).astype(float)
""", "returned the mask", "真偽"),
    wrong("relu", "absolute value", """
def relu(x):
    return np.abs(x)
""", "absolute value", "絶対値"),
    wrong("relu", "two loops: only works in 2-D", """
def relu(x):
    out = np.zeros_like(x, dtype=float)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = max(0, x[i, j])
    return out
""", "any shape", "どんな形"),
    wrong("relu", "builtin max on an array", """
def relu(x):
    return max(0, x)
""", "raised ValueError", "エラー"),
]

# ---------------------------------------------------------------------------------------------
# 02_padding_stride: output_size

OUTPUT_SIZE = [
    right("output_size", "the formula with checks", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if kernel_size > in_size + 2 * pad:
        raise ValueError("the kernel does not fit")
    return (in_size + 2 * pad - kernel_size) // stride + 1
"""),
    right("output_size", "int() of a true division, combined check", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    span = in_size + 2 * pad - kernel_size
    if stride <= 0 or span < 0:
        raise ValueError(f"cannot fit a {kernel_size} kernel with stride {stride}")
    return int(span / stride) + 1
"""),
    right("output_size", "math.floor", """
import math

def output_size(in_size, kernel_size, stride=1, pad=0):
    if not stride >= 1 or in_size + 2 * pad < kernel_size:
        raise ValueError("bad sizes")
    return math.floor((in_size + 2 * pad - kernel_size) / stride) + 1
"""),
    wrong("output_size", "forgot the +1", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return (in_size + 2 * pad - kernel_size) // stride
""", "+1 is missing", "+1 を忘れて"),
    wrong("output_size", "padding counted once", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return (in_size + pad - kernel_size) // stride + 1
""", "counted once", "片側分"),
    wrong("output_size", "true division", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return (in_size + 2 * pad - kernel_size) / stride + 1
""", "use // instead of /", "// を使う"),
    wrong("output_size", "rounds up", """
import math

def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return math.ceil((in_size + 2 * pad - kernel_size) / stride) + 1
""", "rounded up", "切り上げ"),
    wrong("output_size", "stride ignored", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return in_size + 2 * pad - kernel_size + 1
""", "stride is ignored", "ストライドが無視"),
    wrong("output_size", "never raises", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    return (in_size + 2 * pad - kernel_size) // stride + 1
""", "should raise ValueError", "ValueError を出すべき"),
    wrong("output_size", "raises the wrong error for stride 0", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return (in_size + 2 * pad - kernel_size) // stride + 1
""", "raised ZeroDivisionError where it should raise ValueError", "ZeroDivisionError"),
    wrong("output_size", "renamed the keyword parameters", """
def output_size(in_size, kernel_size, s=1, p=0):
    if s < 1 or kernel_size > in_size + 2 * p:
        raise ValueError("does not fit")
    return (in_size + 2 * p - kernel_size) // s + 1
""", "keep the signature", "シグネチャ"),
]

# ---------------------------------------------------------------------------------------------
# 02_padding_stride: zero_pad

ZERO_PAD = [
    right("zero_pad", "np.pad on the last two axes", """
def zero_pad(x, pad):
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(x, widths, mode="constant")
"""),
    right("zero_pad", "manual: zeros and a slice", """
def zero_pad(x, pad):
    H, W = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    out[..., pad:pad + H, pad:pad + W] = x
    return out
"""),
    right("zero_pad", "concatenate zero strips", """
def zero_pad(x, pad):
    rows = np.zeros(x.shape[:-2] + (pad, x.shape[-1]))
    x = np.concatenate([rows, x, rows], axis=-2)
    cols = np.zeros(x.shape[:-1] + (pad,))
    return np.concatenate([cols, x, cols], axis=-1)
"""),
    wrong("zero_pad", "pads every axis", """
def zero_pad(x, pad):
    return np.pad(x, pad)
""", "padded the batch/channel axes", "バッチやチャネル"),
    wrong("zero_pad", "one side only", """
def zero_pad(x, pad):
    widths = [(0, 0)] * (x.ndim - 2) + [(0, pad), (0, pad)]
    return np.pad(x, widths)
""", "one side only", "片側"),
    wrong("zero_pad", "edge padding", """
def zero_pad(x, pad):
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(x, widths, mode="edge")
""", "not zeros", "0 ではありません"),
    wrong("zero_pad", "2-D only", """
def zero_pad(x, pad):
    H, W = x.shape
    out = np.zeros((H + 2 * pad, W + 2 * pad))
    out[pad:pad + H, pad:pad + W] = x
    return out
""", "raised ValueError", "エラー"),
    wrong("zero_pad", "x not centred", """
def zero_pad(x, pad):
    H, W = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (H + 2 * pad, W + 2 * pad))
    out[..., :H, :W] = x
    return out
""", "one side only", "片側"),
]

# ---------------------------------------------------------------------------------------------
# 02_padding_stride: conv_forward

_LOOPS = """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    {pad_line}
    OH = {oh}
    OW = {ow}
    out = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    {window}
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out
"""


def _loops(pad_line="xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
           oh="(H + 2 * pad - KH) // stride + 1", ow="(W + 2 * pad - KW) // stride + 1",
           window="window = xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]"):
    return _LOOPS.format(pad_line=pad_line, oh=oh, ow=ow, window=window)


CONV_FORWARD = [
    right("conv_forward", "four loops with np.pad", _loops()),
    right("conv_forward", "manual padding, loops over positions, tensordot over (C, KH, KW)", """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    out = np.zeros((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
"""),
    right("conv_forward", "sliding_window_view + einsum, float32", """
def conv_forward(x, w, b, stride=1, pad=0):
    KH, KW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))).astype(np.float32)
    win = np.lib.stride_tricks.sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("ncijuv,fcuv->nfij", win, w.astype(np.float32)) + b.astype(np.float32)[None, :, None, None]
"""),
    right("conv_forward", "im2col-style with reshape and one matrix product", """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    cols = np.empty((N, OH, OW, C * KH * KW))
    for i in range(OH):
        for j in range(OW):
            cols[:, i, j] = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW].reshape(N, -1)
    out = cols.reshape(-1, C * KH * KW) @ w.reshape(F, -1).T + b
    return out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)
"""),
    wrong("conv_forward", "stride ignored", _loops(oh="H + 2 * pad - KH + 1", ow="W + 2 * pad - KW + 1",
                                                   window="window = xp[n, :, i:i + KH, j:j + KW]"),
          "stride is ignored", "ストライドが無視"),
    wrong("conv_forward", "stride applied to the output size, not to the window", _loops(
        window="window = xp[n, :, i:i + KH, j:j + KW]"), "not the window's step", "窓の位置にも"),
    wrong("conv_forward", "padding ignored", _loops(pad_line="xp = x", oh="(H - KH) // stride + 1", ow="(W - KW) // stride + 1"),
          "padding is ignored", "パディングが無視"),
    wrong("conv_forward", "pads batch and channel axes too", _loops(pad_line="xp = np.pad(x, pad)"),
          "padding goes on the height and width axes only", "縦横の軸だけ"),
    wrong("conv_forward", "one-sided padding", _loops(pad_line="xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))"),
          "one side only", "片側"),
    wrong("conv_forward", "non-zero (edge) padding", _loops(pad_line="xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='edge')"),
          "not zeros", "0 ではありません"),
    wrong("conv_forward", "flipped kernel", _loops(window="window = xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW][:, ::-1, ::-1]"),
          "kernel is flipped", "反転"),
    wrong("conv_forward", "bias added once per channel", """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    out = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        window = xp[n, c, i * stride:i * stride + KH, j * stride:j * stride + KW]
                        out[n, f, i, j] += np.sum(window * w[f, c]) + b[f]
    return out
""", "added once per channel", "チャネルごと"),
    wrong("conv_forward", "only the first image of the batch", _loops(
        window="window = xp[0, :, i * stride:i * stride + KH, j * stride:j * stride + KW]"),
        "first image's output", "最初の画像"),
    wrong("conv_forward", "off by one output size", _loops(oh="(H + 2 * pad - KH) // stride", ow="(W + 2 * pad - KW) // stride"),
          "off by one", "1 ずれて"),
]


# ---------------------------------------------------------------------------------------------
# 04_pooling: max_pool_forward, avg_pool_forward

_POOL_LOOPS = """
def {name}(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH = {oh}
    OW = {ow}
    out = {init}
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = {window}
                    out[{target}] = {reduce}
    return out
"""


def _pool_loops(name="max_pool_forward", oh="(H - size) // stride + 1", ow="(W - size) // stride + 1",
                init="np.zeros((N, C, OH, OW))", window="x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]",
                target="n, c, i, j", reduce="window.max()"):
    return _POOL_LOOPS.format(name=name, oh=oh, ow=ow, init=init, window=window, target=target, reduce=reduce)


MAX_POOL_FORWARD = [
    right("max_pool_forward", "four loops and window.max()", _pool_loops()),
    right("max_pool_forward", "sliding_window_view, max over the window axes", """
def max_pool_forward(x, size=2, stride=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride].max(axis=(-2, -1))
"""),
    right("max_pool_forward", "reshape trick when size == stride, loops otherwise", """
def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    if size == stride:
        cropped = x[:, :, :OH * size, :OW * size]
        return cropped.reshape(N, C, OH, size, OW, size).max(axis=(3, 5))
    out = np.empty((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
    return out
"""),
    right("max_pool_forward", "float32 result, running maximum from -inf", """
def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.full((N, C, OH, OW), -np.inf, dtype=np.float32)
    for u in range(size):
        for v in range(size):
            out = np.maximum(out, x[:, :, u:u + stride * (OH - 1) + 1:stride, v:v + stride * (OW - 1) + 1:stride])
    return out
"""),
    right("max_pool_forward", "argmax of each window (ties: the first)", """
def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
            k = window.argmax(axis=2)
            out[:, :, i, j] = np.take_along_axis(window, k[:, :, None], axis=2)[:, :, 0]
    return out
"""),
    wrong("max_pool_forward", "running maximum that starts at 0", _pool_loops(reduce="best").replace(
        "                    out[n, c, i, j] = best", "                    best = 0.0\n"
        "                    for value in window.ravel():\n"
        "                        if value > best:\n"
        "                            best = value\n"
        "                    out[n, c, i, j] = best"),
        "maximum starts at 0", "0 から始めて"),
    wrong("max_pool_forward", "stride ignored (window moves by 1)", _pool_loops(
        oh="H - size + 1", ow="W - size + 1", window="x[n, c, i:i + size, j:j + size]"),
        "stride is ignored", "ストライドが無視"),
    wrong("max_pool_forward", "mean instead of max", _pool_loops(reduce="window.mean()"),
          "You took the mean", "平均を取っています"),
    wrong("max_pool_forward", "pools across the channels", _pool_loops(
        window="x[n, :, i * stride:i * stride + size, j * stride:j * stride + size]"),
        "channels are mixed", "チャネルが混ざって"),
    wrong("max_pool_forward", "off by one: no +1 in the output size", _pool_loops(
        oh="(H - size) // stride", ow="(W - size) // stride"), "off by one", "1 ずれて"),
    wrong("max_pool_forward", "height and width swapped", _pool_loops(
        init="np.zeros((N, C, OW, OH))", target="n, c, j, i"), "Height and width are swapped", "高さと幅"),
    wrong("max_pool_forward", "only the first channel", _pool_loops(
        window="x[n, 0, i * stride:i * stride + size, j * stride:j * stride + size]"),
        "first channel's result", "最初のチャネル"),
    wrong("max_pool_forward", "window steps by size, not stride", _pool_loops(
        oh="(H - size) // size + 1", ow="(W - size) // size + 1",
        window="x[n, c, i * size:i * size + size, j * size:j * size + size]"),
        "step by the window size", "窓の大きさ"),
    wrong("max_pool_forward", "modifies the input in place", """
def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            window.sort(axis=3)
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out
""", "modified its input array in place", "書き換えて"),
    wrong("max_pool_forward", "integer output (int truncation)", _pool_loops(init="np.zeros((N, C, OH, OW), dtype=int)"),
          "integer array", "整数の配列"),
    wrong("max_pool_forward", "returns a list", """
def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    return [[[[float(x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].max()) for j in range(OW)]
              for i in range(OH)] for c in range(C)] for n in range(N)]
""", "must return a NumPy array, not list", "NumPy 配列を返して"),
    wrong("max_pool_forward", "NotImplementedError left in place", """
def max_pool_forward(x, size=2, stride=2):
    out = np.zeros(x.shape)
    raise NotImplementedError()
""", "not implemented yet", "まだ実装されていません"),
    wrong("max_pool_forward", "only the first image of the batch", _pool_loops(
        window="x[0, c, i * stride:i * stride + size, j * stride:j * stride + size]"),
        "first image's result", "最初の画像"),
]

AVG_POOL_FORWARD = [
    right("avg_pool_forward", "four loops and window.mean()", _pool_loops("avg_pool_forward", reduce="window.mean()")),
    right("avg_pool_forward", "sliding_window_view, mean over the window axes", """
def avg_pool_forward(x, size=2, stride=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride].mean(axis=(-2, -1))
"""),
    right("avg_pool_forward", "einsum with a kernel of 1 / size**2", """
def avg_pool_forward(x, size=2, stride=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    kernel = np.full((size, size), 1.0 / size ** 2)
    return np.einsum("ncijuv,uv->ncij", windows, kernel)
"""),
    right("avg_pool_forward", "reshape trick when size == stride, loops otherwise", """
def avg_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    if size == stride:
        return x[:, :, :OH * size, :OW * size].reshape(N, C, OH, size, OW, size).mean(axis=(3, 5))
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].mean(axis=(2, 3))
    return out
"""),
    right("avg_pool_forward", "float32 result, sum then divide", _pool_loops(
        "avg_pool_forward", init="np.zeros((N, C, OH, OW), dtype=np.float32)", reduce="window.sum() / (size * size)")),
    wrong("avg_pool_forward", "max instead of mean", _pool_loops("avg_pool_forward"),
          "You took the maximum", "最大値を取っています"),
    wrong("avg_pool_forward", "sum instead of mean", _pool_loops("avg_pool_forward", reduce="window.sum()"),
          "sum, not its mean", "合計になっています"),
    wrong("avg_pool_forward", "stride ignored (window moves by 1)", _pool_loops(
        "avg_pool_forward", oh="H - size + 1", ow="W - size + 1", window="x[n, c, i:i + size, j:j + size]",
        reduce="window.mean()"), "stride is ignored", "ストライドが無視"),
    wrong("avg_pool_forward", "averages across the channels", _pool_loops(
        "avg_pool_forward", window="x[n, :, i * stride:i * stride + size, j * stride:j * stride + size]",
        reduce="window.mean()"), "channels are mixed", "チャネルが混ざって"),
    wrong("avg_pool_forward", "integer output (int truncation)", _pool_loops(
        "avg_pool_forward", init="np.zeros((N, C, OH, OW), dtype=int)", reduce="window.mean()"),
        "integer array", "整数の配列"),
    wrong("avg_pool_forward", "divides by size, not size * size", _pool_loops(
        "avg_pool_forward", reduce="window.sum() / size"), "instead of size·size", "size·size"),
    wrong("avg_pool_forward", "output size rounded up", _pool_loops(
        "avg_pool_forward", oh="-(-(H - size) // stride) + 1", ow="-(-(W - size) // stride) + 1", reduce="window.mean()"),
        "rounded the output size up", "切り上げ"),
    wrong("avg_pool_forward", "height and width swapped", _pool_loops(
        "avg_pool_forward", init="np.zeros((N, C, OW, OH))", target="n, c, j, i", reduce="window.mean()"),
        "Height and width are swapped", "高さと幅"),
    wrong("avg_pool_forward", "only the first image of the batch", _pool_loops(
        "avg_pool_forward", window="x[0, c, i * stride:i * stride + size, j * stride:j * stride + size]", reduce="window.mean()"),
        "first image's result", "最初の画像"),
    wrong("avg_pool_forward", "modifies the input in place", """
def avg_pool_forward(x, size=2, stride=2):
    x /= size * size
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride].sum(axis=(-2, -1))
""", "modified its input array in place", "書き換えて"),
    wrong("avg_pool_forward", "returns a list", """
def avg_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    return [[[[float(x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].mean()) for j in range(OW)]
              for i in range(OH)] for c in range(C)] for n in range(N)]
""", "must return a NumPy array, not list", "NumPy 配列を返して"),
]


# ---------------------------------------------------------------------------------------------
# 05_softmax_cross_entropy: softmax, cross_entropy

SOFTMAX = [
    right("softmax", "maximum subtracted along the last axis, keepdims", """
def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""),
    right("softmax", "1-D made 2-D and back", """
def softmax(z):
    if z.ndim == 1:
        return softmax(z[None, :])[0]
    shifted = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
"""),
    right("softmax", "log-sum-exp", """
def softmax(z):
    m = np.max(z, axis=-1, keepdims=True)
    log_sum = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return np.exp(z - log_sum)
"""),
    right("softmax", "a loop over the rows", """
def softmax(z):
    rows = np.atleast_2d(np.asarray(z, dtype=float))
    out = np.empty_like(rows)
    for n in range(rows.shape[0]):
        e = np.exp(rows[n] - rows[n].max())
        out[n] = e / e.sum()
    return out.reshape(np.shape(z))
"""),
    right("softmax", "float32 result", """
def softmax(z):
    z = z.astype(np.float32)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
"""),
    wrong("softmax", "no maximum subtracted (overflows)", """
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
""", "softmax overflows for large logits", "オーバーフロー"),
    wrong("softmax", "normalised over axis 0", """
def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""", "wrong axis", "違う軸"),
    wrong("softmax", "maximum of the whole array subtracted", """
def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=-1, keepdims=True)
""", "maximum of the whole array", "配列全体の最大値"),
    wrong("softmax", "exp without normalising", """
def softmax(z):
    return np.exp(z - z.max(axis=-1, keepdims=True))
""", "did not normalise", "正規化していません"),
    wrong("softmax", "keepdims forgotten", """
def softmax(z):
    e = np.exp(z - z.max(axis=-1))
    return e / e.sum(axis=-1)
""", "keepdims=True is missing", "keepdims=True がありません"),
    wrong("softmax", "axis=1 breaks 1-D input", """
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""", "A 1-D input has no axis 1", "axis=1 がありません"),
    wrong("softmax", "modifies the input in place", """
def softmax(z):
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
""", "modified its input array in place", "書き換えて"),
    wrong("softmax", "divided by the sum of the whole array", """
def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum()
""", "sum of the whole array", "配列全体の合計"),
]

CROSS_ENTROPY = [
    right("cross_entropy", "arange indexing, one-hot turned into ids", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    N = probs.shape[0]
    return -np.mean(np.log(probs[np.arange(N), labels]))
"""),
    right("cross_entropy", "one-hot via np.eye, epsilon 1e-7", """
def cross_entropy(probs, labels):
    N, K = probs.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    return -np.sum(t * np.log(probs + 1e-7)) / N
"""),
    right("cross_entropy", "take_along_axis", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=1)
    p = np.take_along_axis(probs, labels[:, None].astype(int), axis=1)
    return float(-np.log(p).mean())
"""),
    right("cross_entropy", "clipped with epsilon 1e-12", """
def cross_entropy(probs, labels):
    N, K = probs.shape
    if labels.ndim == 1:
        labels = np.eye(K)[labels]
    return np.mean(-np.sum(labels * np.log(np.clip(probs, 1e-12, 1.0)), axis=1))
"""),
    right("cross_entropy", "a loop over the batch", """
def cross_entropy(probs, labels):
    total = 0.0
    for n in range(len(probs)):
        k = int(np.argmax(labels[n])) if np.ndim(labels) == 2 else int(labels[n])
        total += -np.log(probs[n, k])
    return total / len(probs)
"""),
    wrong("cross_entropy", "sum over the batch, not the mean", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.sum(np.log(probs[np.arange(len(probs)), labels]))
""", "sum over the batch", "合計です"),
    wrong("cross_entropy", "log10", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.mean(np.log10(probs[np.arange(len(probs)), labels]))
""", "You used log10", "log10"),
    wrong("cross_entropy", "minus sign forgotten", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return np.mean(np.log(probs[np.arange(len(probs)), labels]))
""", "The sign is wrong", "符号が逆"),
    wrong("cross_entropy", "mean over the classes too", """
def cross_entropy(probs, labels):
    N, K = probs.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    return -np.mean(t * np.log(probs + 1e-7))
""", "averaged over the classes", "クラスについても平均"),
    wrong("cross_entropy", "probs[labels] instead of probs[arange(N), labels]", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.mean(np.log(probs[labels]))
""", "picks whole rows", "行を選びます"),
    wrong("cross_entropy", "one-hot labels not handled", """
def cross_entropy(probs, labels):
    N = probs.shape[0]
    return -np.mean(np.log(probs[np.arange(N), labels]))
""", "Labels may also come one-hot", "one-hot (N, K) で来ることもあります"),
    wrong("cross_entropy", "class-id labels not handled (one-hot assumed)", """
def cross_entropy(probs, labels):
    return -np.sum(labels * np.log(probs)) / probs.shape[0]
""", "as if they were one-hot", "one-hot のように掛けて"),
    wrong("cross_entropy", "one loss per image, no mean", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.log(probs[np.arange(len(probs)), labels])
""", "one loss per image", "画像ごとの損失"),
    wrong("cross_entropy", "modifies the input in place (epsilon added to probs)", """
def cross_entropy(probs, labels):
    probs += 1e-7
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.mean(np.log(probs[np.arange(len(probs)), labels]))
""", "modified its input array in place", "書き換えて"),
    wrong("cross_entropy", "log2", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.mean(np.log2(probs[np.arange(len(probs)), labels]))
""", "You used log2", "log2"),
]

ALL = {
    "01_convolution": {"conv2d_single": CONV2D_SINGLE, "conv2d_multi": CONV2D_MULTI, "relu": RELU},
    "02_padding_stride": {"output_size": OUTPUT_SIZE, "zero_pad": ZERO_PAD, "conv_forward": CONV_FORWARD},
    "04_pooling": {"max_pool_forward": MAX_POOL_FORWARD, "avg_pool_forward": AVG_POOL_FORWARD},
    "05_softmax_cross_entropy": {"softmax": SOFTMAX, "cross_entropy": CROSS_ENTROPY},
}
