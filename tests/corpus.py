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

ALL = {
    "01_convolution": {"conv2d_single": CONV2D_SINGLE, "conv2d_multi": CONV2D_MULTI, "relu": RELU},
    "02_padding_stride": {"output_size": OUTPUT_SIZE, "zero_pad": ZERO_PAD, "conv_forward": CONV_FORWARD},
}
