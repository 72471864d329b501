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
    from cnnlab.checks import reference
    return reference.single(image, kernel)
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
    wrong("output_size", "round() of a true division", """
def output_size(in_size, kernel_size, stride=1, pad=0):
    if stride < 1 or kernel_size > in_size + 2 * pad:
        raise ValueError("does not fit")
    return round((in_size + 2 * pad - kernel_size) / stride) + 1
""", "round()", "四捨五入"),
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
    wrong("conv_forward", "output size by round(): passes every divisible size", """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = round((H + 2 * pad - KH) / stride) + 1
    OW = round((W + 2 * pad - KW) / stride) + 1
    out = np.zeros((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
""", "run past the edge", "はみ出して"),
    wrong("conv_forward", "output size rounded up, windows cut short by the padding of zeros", """
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH = -(-(H + 2 * pad - KH) // stride) + 1
    OW = -(-(W + 2 * pad - KW) // stride) + 1
    xp = np.zeros((N, C, (OH - 1) * stride + KH, (OW - 1) * stride + KW))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    out = np.zeros((N, F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
""", "did you round the output size up", "切り上げるか四捨五入"),
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
        window="window = xp[n, :, i:i + KH, j:j + KW]"), "not the window's step", "ウィンドウの位置にも"),
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
# 03_im2col: im2col, conv_forward_im2col

IM2COL = [
    right("im2col", "np.pad and loops over the windows", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    col = np.zeros((N * OH * OW, C * kh * kw))
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                col[row] = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].ravel()
                row += 1
    return col
"""),
    right("im2col", "loops over the kernel offsets (the ゼロから作る version)", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, kh, kw, OH, OW))
    for y in range(kh):
        y_max = y + stride * OH
        for x_ in range(kw):
            x_max = x_ + stride * OW
            col[:, :, y, x_, :, :] = img[:, :, y:y_max:stride, x_:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)
"""),
    right("im2col", "sliding_window_view + transpose + reshape", """
def im2col(x, kh, kw, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)
"""),
    right("im2col", "manual padding, one loop per output position over the whole batch", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W] = x
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    cols = np.empty((N, OH, OW, C * kh * kw))
    for i in range(OH):
        for j in range(OW):
            cols[:, i, j, :] = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(N, -1)
    return cols.reshape(-1, C * kh * kw)
"""),
    right("im2col", "float32 result, list of windows stacked", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x.astype(np.float32), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    rows = [xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(-1)
            for n in range(N) for i in range(OH) for j in range(OW)]
    return np.stack(rows).astype(np.float32)
"""),
    wrong("im2col", "columns ordered (kh, kw, c)", """
def im2col(x, kh, kw, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 4, 5, 1).reshape(N * OH * OW, -1)
""", "columns are ordered (kh, kw, c)", "(kh, kw, c)"),
    wrong("im2col", "rows ordered (oh, ow, n): the batch loop innermost", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    rows = []
    for i in range(OH):
        for j in range(OW):
            for n in range(N):
                rows.append(xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].ravel())
    return np.array(rows)
""", "rows are ordered (oh, ow, n)", "(oh, ow, n)"),
    wrong("im2col", "reshape without transpose (ゼロから作る version)", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, kh, kw, OH, OW))
    for y in range(kh):
        for x_ in range(kw):
            col[:, :, y, x_, :, :] = img[:, :, y:y + stride * OH:stride, x_:x_ + stride * OW:stride]
    return col.reshape(N * OH * OW, -1)
""", "reshape without transpose", "transpose をせずに reshape"),
    wrong("im2col", "transposed result (C*KH*KW, N*OH*OW)", """
def im2col(x, kh, kw, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * OH * OW)
""", "Your result is transposed", "転置されています"),
    wrong("im2col", "stride ignored", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = H + 2 * pad - kh + 1
    OW = W + 2 * pad - kw + 1
    col = np.zeros((N * OH * OW, C * kh * kw))
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                col[row] = xp[n, :, i:i + kh, j:j + kw].ravel()
                row += 1
    return col
""", "stride is ignored", "ストライドが無視"),
    wrong("im2col", "padding ignored", """
def im2col(x, kh, kw, stride=1, pad=0):
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)
""", "padding is ignored", "パディングが無視"),
    wrong("im2col", "pads the batch and channel axes too", """
def im2col(x, kh, kw, stride=1, pad=0):
    xp = np.pad(x, pad)
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)
""", "padded the batch and channel axes", "バッチやチャネルの軸まで"),
    wrong("im2col", "off by one: OH without the +1", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride
    OW = (W + 2 * pad - kw) // stride
    cols = np.empty((N, OH, OW, C * kh * kw))
    for i in range(OH):
        for j in range(OW):
            cols[:, i, j, :] = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(N, -1)
    return cols.reshape(-1, C * kh * kw)
""", "off by one", "1 小さく"),
    wrong("im2col", "zeroes the border of x in place instead of padding", """
def im2col(x, kh, kw, stride=1, pad=0):
    if pad:
        x[:, :, :pad, :] = 0
        x[:, :, -pad:, :] = 0
        x[:, :, :, :pad] = 0
        x[:, :, :, -pad:] = 0
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * kh * kw)
""", "modified its input array in place", "書き換えて"),
    wrong("im2col", "returns a list of rows", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    return [list(xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].ravel())
            for n in range(N) for i in range(OH) for j in range(OW)]
""", "must return a NumPy array, not list", "NumPy 配列を返して"),
    wrong("im2col", "NotImplementedError left in place", """
def im2col(x, kh, kw, stride=1, pad=0):
    # YOUR CODE HERE / ここにコードを書く
    raise NotImplementedError()
""", "not implemented yet", "まだ実装されていません"),
    wrong("im2col", "calls cnnlab.nn.im2col", """
from cnnlab.nn import im2col as library_im2col

def im2col(x, kh, kw, stride=1, pad=0):
    return library_im2col(x, kh, kw, stride=stride, pad=pad)
""", "calls cnnlab (cnnlab.nn.im2col)", "cnnlab の関数"),
]

# conv_forward_im2col uses the student's own im2col from the cell above. Every answer here
# repeats one (right unless said otherwise), so that it stands alone: in the graded notebook of
# the corpus the im2col cell holds another answer of the same row, which may be a wrong one.
_OWN_IM2COL = """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, kh, kw, OH, OW))
    for y in range(kh):
        for x_ in range(kw):
            col[:, :, y, x_, :, :] = img[:, :, y:y + stride * OH:stride, x_:x_ + stride * OW:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)
"""

_IM2COL_KH_KW_C = """
def im2col(x, kh, kw, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 4, 5, 1).reshape(N * OH * OW, -1)
"""

_CONV_IM2COL = """
def conv_forward_im2col(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    col = im2col(x, KH, KW, {im2col_args})
    {product}
    return {result}
"""


def _conv_im2col(im2col_source=_OWN_IM2COL, im2col_args="stride=stride, pad=pad",
                 product="out = col @ w.reshape(F, -1).T + b", result="out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)"):
    return im2col_source + _CONV_IM2COL.format(im2col_args=im2col_args, product=product, result=result)


CONV_FORWARD_IM2COL = [
    right("conv_forward_im2col", "im2col, one matrix product, reshape then transpose", _conv_im2col()),
    right("conv_forward_im2col", "einsum instead of @", _conv_im2col(
        product='out = np.einsum("rk,fk->rf", col, w.reshape(F, -1)) + b')),
    right("conv_forward_im2col", "tensordot, loop-based im2col of its own", """
def im2col(x, kh, kw, stride=1, pad=0):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    return np.array([xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].ravel()
                     for n in range(N) for i in range(OH) for j in range(OW)])
""" + _CONV_IM2COL.format(im2col_args="stride, pad", product="out = np.tensordot(col, w.reshape(F, -1), axes=([1], [1])) + b",
                          result="out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)")),
    right("conv_forward_im2col", "float32 throughout", _conv_im2col(
        product="out = col.astype(np.float32) @ w.reshape(F, -1).T.astype(np.float32) + b.astype(np.float32)")),
    right("conv_forward_im2col", "filters on the left: (F, CKK) @ col.T", _conv_im2col(
        product="out = w.reshape(F, -1) @ col.T + b[:, None]", result="out.reshape(F, N, OH, OW).transpose(1, 0, 2, 3)")),
    wrong("conv_forward_im2col", "reshape without transpose", _conv_im2col(result="out.reshape(N, F, OH, OW)"),
          "reshape without transpose", "transpose をせずに reshape"),
    wrong("conv_forward_im2col", "filters reshaped with w.reshape(-1, F)", _conv_im2col(product="out = col @ w.reshape(-1, F) + b"),
          "w.reshape(-1, F) scrambles", "w.reshape(-1, F) はフィルタの値を混ぜて"),
    wrong("conv_forward_im2col", "output left as (N, OH, OW, F)", _conv_im2col(result="out.reshape(N, OH, OW, F)"),
          "Your output axes are (N, OH, OW, F)", "(N, OH, OW, F) のまま"),
    wrong("conv_forward_im2col", "bias missing", _conv_im2col(product="out = col @ w.reshape(F, -1).T"),
          "bias is missing", "バイアスが足されていません"),
    wrong("conv_forward_im2col", "one product per channel, bias added in each", _conv_im2col(product="""out = np.zeros((N * OH * OW, F))
    k = KH * KW
    for c in range(C):
        out += col[:, c * k:(c + 1) * k] @ w[:, c].reshape(F, -1).T + b"""),
          "added once per channel", "チャネルごと"),
    wrong("conv_forward_im2col", "stride not passed to im2col (nor used in OH)", _OWN_IM2COL + _conv_im2col(
        im2col_source="", im2col_args="pad=pad").replace("// stride + 1", "+ 1"), "stride is ignored", "ストライドが無視"),
    wrong("conv_forward_im2col", "pad not passed to im2col", _conv_im2col(im2col_args="stride=stride"),
          "pass stride and pad to im2col", "stride と pad を渡し"),
    wrong("conv_forward_im2col", "filters laid out (kh, kw, c) against im2col's (c, kh, kw) columns",
          _conv_im2col(product="out = col @ w.transpose(0, 2, 3, 1).reshape(F, -1).T + b"),
          "laid out in the order (kh, kw, c)", "(kh, kw, c) の順に並べて"),
    wrong("conv_forward_im2col", "w.T.reshape(-1, F): every axis reversed", _conv_im2col(product="out = col @ w.T.reshape(-1, F) + b"),
          "w.T reverses all four axes", "w.T は軸を逆順"),
    wrong("conv_forward_im2col", "flipped kernel", _conv_im2col(product="out = col @ w[:, :, ::-1, ::-1].reshape(F, -1).T + b"),
          "kernel is flipped", "反転"),
    wrong("conv_forward_im2col", "own im2col with (kh, kw, c) columns against w.reshape(F, -1)", _conv_im2col(_IM2COL_KH_KW_C),
          "columns of your im2col are not in the order", "im2col の列の順番"),
    wrong("conv_forward_im2col", "calls cnnlab.nn.im2col", "from cnnlab.nn import im2col\n" + _conv_im2col(im2col_source=""),
          "calls cnnlab (cnnlab.nn.im2col)", "cnnlab の関数"),
    wrong("conv_forward_im2col", "returns the (N*OH*OW, F) table", _conv_im2col(result="out"),
          "as it is", "そのまま返して"),
    wrong("conv_forward_im2col", "transposed product reshaped to (N, F, OH, OW)", _conv_im2col(result="out.T.reshape(N, F, OH, OW)"),
          "reshape without transpose", "reshape without transpose"),
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
        "step by the window size", "ウィンドウの大きさ"),
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
    wrong("cross_entropy", "probs[:, labels]: an N x N table of columns", """
def cross_entropy(probs, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return -np.mean(np.log(probs[:, labels]))
""", "probs[:, labels] picks whole columns", "probs[:, labels] は列を選び"),
    wrong("cross_entropy", "float() of a (1,) array (NumPy 2 refuses it)", """
def cross_entropy(probs, labels):
    if labels.ndim == 1:
        labels = np.eye(probs.shape[1])[labels]
    loss = np.mean(-np.sum(labels * np.log(probs), axis=1, keepdims=True), axis=0)
    return float(loss)
""", ".item()", ".item()"),
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

# ---------------------------------------------------------------------------------------------
# 06_backprop: relu_backward, affine_forward, affine_backward, softmax_cross_entropy_backward,
# max_pool_backward, conv_backward, numerical_gradient

RELU_BACKWARD = [
    right("relu_backward", "dout times the mask x > 0", """
def relu_backward(dout, x):
    return dout * (x > 0)
"""),
    right("relu_backward", "copy, then zero where x <= 0 (the ゼロから作る version)", """
def relu_backward(dout, x):
    mask = (x <= 0)
    dx = dout.copy()
    dx[mask] = 0
    return dx
"""),
    right("relu_backward", "np.where", """
def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)
"""),
    right("relu_backward", "a loop over the flattened entries", """
def relu_backward(dout, x):
    flat_x, flat_d = x.ravel(), dout.ravel()
    dx = np.zeros(flat_x.size)
    for i in range(flat_x.size):
        if flat_x[i] > 0:
            dx[i] = flat_d[i]
    return dx.reshape(x.shape)
"""),
    right("relu_backward", "float32 result", """
def relu_backward(dout, x):
    return (dout * (x > 0)).astype(np.float32)
"""),
    wrong("relu_backward", "gradient passed everywhere", """
def relu_backward(dout, x):
    return dout.copy()
""", "passed where x < 0", "x < 0 のところにも"),
    wrong("relu_backward", "mask made from dout", """
def relu_backward(dout, x):
    return dout * (dout > 0)
""", "mask comes from dout", "dout から作って"),
    wrong("relu_backward", "the mask without dout", """
def relu_backward(dout, x):
    return (x > 0).astype(float)
""", "without multiplying by dout", "dout を掛けてください"),
    right("relu_backward", "x >= 0 lets the gradient through at 0 (a valid subgradient)", """
def relu_backward(dout, x):
    return dout * (x >= 0)
"""),
    wrong("relu_backward", "modifies dout in place", """
def relu_backward(dout, x):
    dout[x <= 0] = 0
    return dout
""", "modified its input array in place", "書き換えて"),
    wrong("relu_backward", "times relu(x) instead of the mask", """
def relu_backward(dout, x):
    return dout * np.maximum(x, 0)
""", "multiplied dout by relu(x)", "relu(x)（順伝播の出力）"),
]

AFFINE_FORWARD = [
    right("affine_forward", "x @ w + b", """
def affine_forward(x, w, b):
    return x @ w + b
"""),
    right("affine_forward", "np.dot (the ゼロから作る version, x flattened first)", """
def affine_forward(x, w, b):
    x = x.reshape(x.shape[0], -1)
    return np.dot(x, w) + b
"""),
    right("affine_forward", "einsum", """
def affine_forward(x, w, b):
    return np.einsum("nd,dm->nm", x, w) + b[None, :]
"""),
    right("affine_forward", "three loops", """
def affine_forward(x, w, b):
    N, D = x.shape
    M = w.shape[1]
    out = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            total = b[m]
            for d in range(D):
                total += x[n, d] * w[d, m]
            out[n, m] = total
    return out
"""),
    right("affine_forward", "float32 result", """
def affine_forward(x, w, b):
    return (x @ w + b).astype(np.float32)
"""),
    wrong("affine_forward", "bias forgotten", """
def affine_forward(x, w, b):
    return x @ w
""", "The bias is missing", "バイアス b が足されていません"),
    wrong("affine_forward", "w.T @ x.T: the output transposed", """
def affine_forward(x, w, b):
    return w.T @ x.T + b[:, None]
""", "output is transposed", "転置されています"),
    wrong("affine_forward", "bias subtracted", """
def affine_forward(x, w, b):
    return x @ w - b
""", "subtracted the bias", "バイアスを引いています"),
    wrong("affine_forward", "bias added down the rows", """
def affine_forward(x, w, b):
    return x @ w + b[:, None]
""", "down the rows", "行ごとに足して"),
]

AFFINE_BACKWARD = [
    right("affine_backward", "the three products", """
def affine_backward(dout, x, w):
    dx = dout @ w.T
    dw = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
"""),
    right("affine_backward", "np.dot and np.sum (the ゼロから作る version), as a list", """
def affine_backward(dout, x, w):
    dx = np.dot(dout, w.T)
    dw = np.dot(x.T, dout)
    db = np.sum(dout, axis=0)
    return [dx, dw, db]
"""),
    right("affine_backward", "einsum", """
def affine_backward(dout, x, w):
    return (np.einsum("nm,dm->nd", dout, w), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout))
"""),
    right("affine_backward", "a loop over the batch, outer products", """
def affine_backward(dout, x, w):
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(w.shape[1])
    for n in range(x.shape[0]):
        dx[n] = w @ dout[n]
        dw += np.outer(x[n], dout[n])
        db += dout[n]
    return dx, dw, db
"""),
    right("affine_backward", "float32 results", """
def affine_backward(dout, x, w):
    f = np.float32
    return (dout @ w.T).astype(f), (x.T @ dout).astype(f), dout.sum(axis=0).astype(f)
"""),
    wrong("affine_backward", "dw = x @ dout (x not transposed)", """
def affine_backward(dout, x, w):
    return dout @ w.T, x @ dout, dout.sum(axis=0)
""", "dw needs x transposed", "dw で x を転置していません"),
    wrong("affine_backward", "db not summed over the batch", """
def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, dout
""", "db is not summed over the batch", "db がバッチについて足し合わされていません"),
    wrong("affine_backward", "dx = dout @ w (w not transposed)", """
def affine_backward(dout, x, w):
    return dout @ w, x.T @ dout, dout.sum(axis=0)
""", "dx needs w transposed", "dx で w を転置していません"),
    wrong("affine_backward", "dw = dout.T @ x (transposed)", """
def affine_backward(dout, x, w):
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)
""", "dw is transposed", "dw が転置されています"),
    wrong("affine_backward", "dw divided by N", """
def affine_backward(dout, x, w):
    N = x.shape[0]
    return dout @ w.T, x.T @ dout / N, dout.sum(axis=0)
""", "You divided dw by N", "dw を N ="),
    wrong("affine_backward", "returned as (dw, dx, db)", """
def affine_backward(dout, x, w):
    return x.T @ dout, dout @ w.T, dout.sum(axis=0)
""", "wrong order", "順番が違います"),
    wrong("affine_backward", "db with keepdims", """
def affine_backward(dout, x, w):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0, keepdims=True)
""", "db has shape (1, M)", "(1, M)"),
]

SOFTMAX_CROSS_ENTROPY_BACKWARD = [
    right("softmax_cross_entropy_backward", "one-hot via np.eye", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    return (y - t) / N
"""),
    right("softmax_cross_entropy_backward", "subtract 1 at the true class (the ゼロから作る version)", """
def softmax_cross_entropy_backward(z, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    N = z.shape[0]
    y = np.exp(z - np.max(z, axis=1, keepdims=True))
    y /= np.sum(y, axis=1, keepdims=True)
    dz = y.copy()
    dz[np.arange(N), labels] -= 1
    return dz / N
"""),
    right("softmax_cross_entropy_backward", "a loop over the rows", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    dz = np.zeros((N, K))
    for n in range(N):
        e = np.exp(z[n] - z[n].max())
        dz[n] = e / e.sum()
        k = int(np.argmax(labels[n])) if labels.ndim == 2 else int(labels[n])
        dz[n, k] -= 1
    return dz / N
"""),
    right("softmax_cross_entropy_backward", "log-sum-exp", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    m = z.max(axis=1, keepdims=True)
    log_y = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    t = np.eye(K)[labels] if labels.ndim == 1 else labels
    return (np.exp(log_y) - t) / N
"""),
    right("softmax_cross_entropy_backward", "float32 result", """
def softmax_cross_entropy_backward(z, labels):
    z = z.astype(np.float32)
    N, K = z.shape
    t = (labels if labels.ndim == 2 else np.eye(K)[labels]).astype(np.float32)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return ((e / e.sum(axis=1, keepdims=True) - t) / N).astype(np.float32)
"""),
    wrong("softmax_cross_entropy_backward", "not divided by N", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True) - t
""", "did not divide by N", "で割っていません"),
    wrong("softmax_cross_entropy_backward", "sign flipped (t - y)", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (t - e / e.sum(axis=1, keepdims=True)) / N
""", "sign is flipped", "符号が逆"),
    wrong("softmax_cross_entropy_backward", "no maximum subtracted (overflows)", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True) - t) / N
""", "overflows for large logits", "オーバーフロー"),
    wrong("softmax_cross_entropy_backward", "one-hot labels not handled", """
def softmax_cross_entropy_backward(z, labels):
    N = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = e / e.sum(axis=1, keepdims=True)
    dz[np.arange(N), labels] -= 1
    return dz / N
""", "Labels may also come one-hot", "one-hot (N, K) で来ることもあります"),
    wrong("softmax_cross_entropy_backward", "logits used as probabilities", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    return (z - t) / N
""", "skipped the softmax", "softmax を通していません"),
    wrong("softmax_cross_entropy_backward", "y[:, labels] picks columns", """
def softmax_cross_entropy_backward(z, labels):
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = e / e.sum(axis=1, keepdims=True)
    dz[:, labels] -= 1
    return dz / z.shape[0]
""", "picks whole columns", "列全体"),
    wrong("softmax_cross_entropy_backward", "np.mean style: divided by N*K", """
def softmax_cross_entropy_backward(z, labels):
    N, K = z.shape
    t = labels if labels.ndim == 2 else np.eye(K)[labels]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - t) / z.size
""", "divided by N·K", "N·K"),
]


def _max_pool_backward_loops(update="dx[n, c, i * stride + u, j * stride + v] += dout[n, c, i, j]",
                             find="u, v = np.unravel_index(np.argmax(window), window.shape)",
                             start="i * stride:i * stride + size, j * stride:j * stride + size"):
    return f"""
def max_pool_backward(dout, x, size=2, stride=2):
    N, C, OH, OW = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, {start}]
                    {find}
                    {update}
    return dx
"""


MAX_POOL_BACKWARD = [
    right("max_pool_backward", "loops, np.argmax and unravel_index (first maximum)", _max_pool_backward_loops()),
    right("max_pool_backward", "loops, the last of tied maxima", _max_pool_backward_loops(
        find="rows, cols = np.nonzero(window == window.max()); u, v = rows[-1], cols[-1]")),
    right("max_pool_backward", "sliding_window_view, argmax and np.add.at", """
def max_pool_backward(dout, x, size=2, stride=2):
    N, C, OH, OW = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :OH, :OW]
    k = windows.reshape(N, C, OH, OW, size * size).argmax(axis=-1)
    u, v = np.divmod(k, size)
    n, c, i, j = np.indices((N, C, OH, OW))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + u, j * stride + v), dout)
    return dx
"""),
    right("max_pool_backward", "a mask that keeps only the first maximum", _max_pool_backward_loops(
        find="mask = (window == window.max()); mask &= np.cumsum(mask).reshape(mask.shape) == 1",
        update="dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += mask * dout[n, c, i, j]")),
    right("max_pool_backward", "float32 result", """
def max_pool_backward(dout, x, size=2, stride=2):
    N, C, OH, OW = dout.shape
    dx = np.zeros(x.shape, dtype=np.float32)
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
            k = window.argmax(axis=2)
            for n in range(N):
                for c in range(C):
                    dx[n, c, i * stride + k[n, c] // size, j * stride + k[n, c] % size] += dout[n, c, i, j]
    return dx
"""),
    wrong("max_pool_backward", "gradient to every cell of the window", _max_pool_backward_loops(
        find="pass", update="dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += dout[n, c, i, j]"),
        "every cell of the window", "ウィンドウのすべてのマス"),
    wrong("max_pool_backward", "overlapping windows overwrite (= instead of +=)", _max_pool_backward_loops(
        update="dx[n, c, i * stride + u, j * stride + v] = dout[n, c, i, j]"),
        "overwrite the gradient", "上書き"),
    wrong("max_pool_backward", "the mask window == max (every tied maximum)", _max_pool_backward_loops(
        find="mask = (window == np.max(window))",
        update="dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += mask * dout[n, c, i, j]"),
        "tie for the maximum", "同じ最大値が複数"),
    wrong("max_pool_backward", "divided by the window size (average pooling)", _max_pool_backward_loops(
        find="pass", update="dx[n, c, i * stride:i * stride + size, j * stride:j * stride + size] += dout[n, c, i, j] / (size * size)"),
        "average pooling's backward", "平均プーリングの逆伝播"),
    wrong("max_pool_backward", "stride ignored", _max_pool_backward_loops(
        start="i:i + size, j:j + size", update="dx[n, c, i + u, j + v] += dout[n, c, i, j]"),
        "The stride is ignored", "ストライドが無視"),
    wrong("max_pool_backward", "1 at the maximum, dout forgotten", _max_pool_backward_loops(
        update="dx[n, c, i * stride + u, j * stride + v] += 1"),
        "You did not use dout", "dout を掛けていません"),
]


def _conv_backward_loops(dw_line="dw[f] += dout[n, f, i, j] * xp[n, :, r:r + KH, c:c + KW]",
                         dx_line="dxp[n, :, r:r + KH, c:c + KW] += dout[n, f, i, j] * w[f]",
                         db_line="db = dout.sum(axis=(0, 2, 3))",
                         ret="dxp[:, :, pad:pad + H, pad:pad + W], dw, db",
                         where="r, c = i * stride, j * stride"):
    return f"""
def conv_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, OH, OW = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    {where}
                    {dw_line}
                    {dx_line}
    {db_line}
    return {ret}
"""


CONV_BACKWARD = [
    right("conv_backward", "loops over n, f and the output positions", _conv_backward_loops()),
    right("conv_backward", "loops over the kernel offsets with tensordot", """
def conv_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH, OW = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp, dtype=float)
    dw = np.zeros(w.shape)
    for u in range(KH):
        for v in range(KW):
            rows = slice(u, u + stride * (OH - 1) + 1, stride)
            cols = slice(v, v + stride * (OW - 1) + 1, stride)
            dw[:, :, u, v] = np.tensordot(dout, xp[:, :, rows, cols], axes=([0, 2, 3], [0, 2, 3]))
            dxp[:, :, rows, cols] += np.einsum("nfij,fc->ncij", dout, w[:, :, u, v])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))
"""),
    right("conv_backward", "im2col and col2im by hand", """
def conv_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH, OW = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, OH, OW, C * KH * KW))
    for i in range(OH):
        for j in range(OW):
            col[:, i, j] = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW].reshape(N, -1)
    col = col.reshape(N * OH * OW, -1)
    d = dout.transpose(0, 2, 3, 1).reshape(N * OH * OW, F)
    dw = (col.T @ d).T.reshape(w.shape)
    dcol = (d @ w.reshape(F, -1)).reshape(N, OH, OW, C, KH, KW)
    dxp = np.zeros(xp.shape)
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW] += dcol[:, i, j]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, d.sum(axis=0)
"""),
    right("conv_backward", "einsum per window, np.add.at for dx", """
def conv_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH, OW = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :OH, :OW]
    dw = np.einsum("nfij,ncijuv->fcuv", dout, windows)
    dxp = np.zeros(xp.shape)
    contrib = np.einsum("nfij,fcuv->ncijuv", dout, w)
    for u in range(KH):
        for v in range(KW):
            rows = np.arange(OH)[:, None] * stride + u
            cols = np.arange(OW)[None, :] * stride + v
            np.add.at(dxp, (slice(None), slice(None), rows, cols), contrib[:, :, :, :, u, v])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, np.einsum("nfij->f", dout)
"""),
    right("conv_backward", "float32 results", _conv_backward_loops(
        ret="dxp[:, :, pad:pad + H, pad:pad + W].astype(np.float32), dw.astype(np.float32), db.astype(np.float32)")),
    wrong("conv_backward", "dw restarted for every image (not summed over the batch)", _conv_backward_loops().replace(
        "    for n in range(N):\n", "    for n in range(N):\n        dw = np.zeros(w.shape)\n"),
        "dw is not summed over the batch", "dw がバッチについて足し合わされていません"),
    wrong("conv_backward", "db without the sum over positions", _conv_backward_loops(db_line="db = dout.sum(axis=0)"),
          "missing the sum over the output positions", "位置 (i, j) について足し合わされていません"),
    wrong("conv_backward", "dx with the kernel flipped", _conv_backward_loops(
        dx_line="dxp[n, :, r:r + KH, c:c + KW] += dout[n, f, i, j] * w[f, :, ::-1, ::-1]"),
        "dx uses the kernel turned the wrong way", "dx で使うフィルタの向きが違います"),
    wrong("conv_backward", "stride ignored in dx", _conv_backward_loops(
        dx_line="dxp[n, :, i:i + KH, j:j + KW] += dout[n, f, i, j] * w[f]"),
        "dx ignores the stride", "dx でストライドが無視"),
    wrong("conv_backward", "padding left on dx", _conv_backward_loops(ret="dxp, dw, db"),
          "padding is not removed from dx", "パディングを取り除いていません"),
    wrong("conv_backward", "dw flipped", _conv_backward_loops(ret="dxp[:, :, pad:pad + H, pad:pad + W], dw[:, :, ::-1, ::-1], db"),
          "dw is flipped", "dw が上下左右に反転"),
    wrong("conv_backward", "db not summed over the batch", _conv_backward_loops(db_line="db = dout.sum(axis=(2, 3))"),
          "db is not summed over the batch", "db がバッチについて足し合わされていません"),
]

NUMERICAL_GRADIENT = [
    right("numerical_gradient", "np.ndindex on a float copy, the old value put back", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad
"""),
    right("numerical_gradient", "np.nditer (the ゼロから作る version) on a float copy", """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad
"""),
    right("numerical_gradient", "a step vector e_i, x never touched", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad.reshape(x.shape)
"""),
    right("numerical_gradient", "moves the caller's x and puts every value back", """
def numerical_gradient(f, x, h=1e-5):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(float)
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad.reshape(x.shape)
"""),
    right("numerical_gradient", "float32 result", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(np.float64)
    grad = np.zeros(x.shape, dtype=np.float32)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad
"""),
    wrong("numerical_gradient", "forward difference", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    fx = f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = old
    return grad
""", "one-sided (forward) difference", "片側の差分"),
    wrong("numerical_gradient", "x not restored", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        grad[idx] = (plus - minus) / (2 * h)
    return grad
""", "put x[i] back", "元の値に戻して"),
    wrong("numerical_gradient", "h added to every element at once", """
def numerical_gradient(f, x, h=1e-5):
    return np.ones(x.shape) * (f(x + h) - f(x - h)) / (2 * h)
""", "applied h to every element at once", "すべての要素に一度に"),
    wrong("numerical_gradient", "divided by h instead of 2h", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / h
    return grad
""", "Divide by 2h, not by h", "2h で割ってください"),
    wrong("numerical_gradient", "int x modified in place (the ゼロから作る version without a float copy)", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad
""", "x is an int array", "整数の配列"),
    right("numerical_gradient", "x restored by arithmetic (+h, -2h, +h): equal within rounding", """
def numerical_gradient(f, x, h=1e-5):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        plus = f(x)
        x[idx] -= 2 * h
        minus = f(x)
        x[idx] += h
        grad[idx] = (plus - minus) / (2 * h)
    return grad
"""),
    wrong("numerical_gradient", "x restored by arithmetic, but an int x is rounded and moved", """
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        plus = f(x)
        x[idx] -= 2 * h
        minus = f(x)
        x[idx] += h
        grad[idx] = (plus - minus) / (2 * h)
    return grad
""", "x is an int array", "整数の配列"),
    wrong("numerical_gradient", "/ 2 * h without parentheses", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / 2 * h
    return grad
""", "write / (2 * h)", "かっこ"),
    wrong("numerical_gradient", "f(x - h) evaluated at x", """
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        plus = f(x)
        x[idx] -= h
        minus = f(x)
        grad[idx] = (plus - minus) / (2 * h)
    return grad
""", "evaluated f(x−h) at x", "f(x−h) を x で計算"),
]


ALL = {
    "01_convolution": {"conv2d_single": CONV2D_SINGLE, "conv2d_multi": CONV2D_MULTI, "relu": RELU},
    "02_padding_stride": {"output_size": OUTPUT_SIZE, "zero_pad": ZERO_PAD, "conv_forward": CONV_FORWARD},
    "03_im2col": {"im2col": IM2COL, "conv_forward_im2col": CONV_FORWARD_IM2COL},
    "04_pooling": {"max_pool_forward": MAX_POOL_FORWARD, "avg_pool_forward": AVG_POOL_FORWARD},
    "05_softmax_cross_entropy": {"softmax": SOFTMAX, "cross_entropy": CROSS_ENTROPY},
    "06_backprop": {"relu_backward": RELU_BACKWARD, "affine_forward": AFFINE_FORWARD, "affine_backward": AFFINE_BACKWARD,
                    "softmax_cross_entropy_backward": SOFTMAX_CROSS_ENTROPY_BACKWARD, "max_pool_backward": MAX_POOL_BACKWARD,
                    "conv_backward": CONV_BACKWARD, "numerical_gradient": NUMERICAL_GRADIENT},
}
