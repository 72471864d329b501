"""A small NumPy layer library: the library version of what the assignments build by hand.

Conventions (as in the curriculum): images ``(N, C, H, W)``, filters ``(F, C, KH, KW)``,
"convolution" is cross-correlation (the kernel is not flipped),
``OH = (H + 2*pad - KH) // stride + 1``, and no function modifies its inputs.

Every layer has ``forward(x)`` and ``backward(dout)``; a layer with weights keeps them in the
dict ``params`` and, after ``backward``, their gradients under the same keys in ``grads``.
Optimisers update ``params`` in place from ``grads``. Example::

    net = Sequential(Conv2D(1, 8, 3, pad=1), ReLU(), MaxPool2D(), Flatten(), Affine(8 * 4 * 4, 10))
    opt = Adam(lr=1e-3)
    loss = net.loss(x_batch, y_batch)    # forward pass + mean cross-entropy
    net.backward()                       # gradients of that loss
    opt.step(net.params(), net.grads())  # one update

``cifar10_cnn()`` builds the CIFAR-10 network of the lecture's Keras example from these layers.
"""

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import ThreadpoolController

from .language import tr

__all__ = [
    "im2col", "col2im",
    "Conv2D", "ReLU", "MaxPool2D", "Flatten", "Affine", "SoftmaxCrossEntropy",
    "SGD", "Momentum", "Adam", "Sequential", "cifar10_cnn",
]


# ----------------------------------------------------------------------------------------------
# Input checks: a clear message in the student's language instead of a NumPy traceback.

def _check_array(x, ndim, name, shape):
    """``x`` must be a real ndarray with ``ndim`` axes (any if None); ``shape`` is for messages."""
    if not isinstance(x, np.ndarray):
        raise TypeError(tr(
            ja=f"{name} は形状 {shape} の NumPy 配列にしてください（{type(x).__name__} が渡されました）",
            en=f"{name} must be a NumPy array of shape {shape}, got {type(x).__name__}"))
    if x.dtype == bool or not (np.issubdtype(x.dtype, np.floating)
                               or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(tr(
            ja=f"{name} は実数（float または int）の配列にしてください（dtype {x.dtype}）",
            en=f"{name} must hold real numbers (float or int), got dtype {x.dtype}"))
    if ndim is not None and x.ndim != ndim:
        raise ValueError(tr(
            ja=f"{name} の形状は {shape}（{ndim} 次元）のはずですが、{x.shape} でした",
            en=f"{name} must have shape {shape} ({ndim} dims), got {x.shape}"))


def _check_int(value, name, minimum):
    """``value`` must be a Python/NumPy int (not bool) and at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(tr(
            ja=f"{name} は整数にしてください（{type(value).__name__} が渡されました）",
            en=f"{name} must be an int, got {type(value).__name__}"))
    if value < minimum:
        raise ValueError(tr(
            ja=f"{name} は {minimum} 以上にしてください（{value} が渡されました）",
            en=f"{name} must be >= {minimum}, got {value}"))
    return int(value)


def _check_shape(got, expected, name):
    if got.shape != expected:
        raise ValueError(tr(
            ja=f"{name} の形状は {expected} のはずですが、{got.shape} でした",
            en=f"{name} must have shape {expected}, got {got.shape}"))


def _output_size(size, k, stride, pad, axis):
    """``(size + 2*pad - k) // stride + 1``, or a ValueError when the window does not fit."""
    if k > size + 2 * pad:
        raise ValueError(tr(
            ja=f"{axis}: ウィンドウの大きさ {k} がパディング後の入力 {size} + 2*{pad} より大きいです",
            en=f"{axis}: window {k} is larger than the padded input {size} + 2*{pad}"))
    return (size + 2 * pad - k) // stride + 1


def _make_rng(rng):
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(tr(
        ja=f"rng は None、整数のシード、または np.random.Generator にしてください（{type(rng).__name__}）",
        en=f"rng must be None, an int seed or a np.random.Generator, got {type(rng).__name__}"))


# ----------------------------------------------------------------------------------------------
# im2col / col2im

def im2col(x, kh, kw, stride=1, pad=0):
    """Unfold every KH x KW window of a batch of images into one row of a matrix.

    Input:  ``x (N, C, H, W)``; kernel height/width ``kh``, ``kw``; ``stride``; zero ``pad``.
    Output: ``(N*OH*OW, C*KH*KW)``: rows ordered by ``(n, oh, ow)``, columns by ``(c, kh, kw)``,
    so a convolution is one matrix product ``im2col(x) @ w.reshape(F, -1).T``.
    """
    _check_array(x, 4, "x", "(N, C, H, W)")
    kh, kw = _check_int(kh, "kh", 1), _check_int(kw, "kw", 1)
    stride, pad = _check_int(stride, "stride", 1), _check_int(pad, "pad", 0)
    N, C, H, W = x.shape
    OH = _output_size(H, kh, stride, pad, "H")
    OW = _output_size(W, kw, stride, pad, "W")

    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # windows: (N, C, OH, OW, KH, KW), a view. Copy it in (c, kh, kw, n, oh, ow) order: that
    # copy reads along image rows and is several times faster than gathering (n, oh, ow, c, kh,
    # kw) directly. Its transpose is the (N*OH*OW, C*KH*KW) matrix, at no extra cost.
    cols_t = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * kh * kw, N * OH * OW)
    return cols_t.T


def col2im(col, x_shape, kh, kw, stride=1, pad=0):
    """The adjoint of :func:`im2col`: fold rows back onto the image, adding where windows overlap.

    Input:  ``col (N*OH*OW, C*KH*KW)`` laid out as im2col returns it; ``x_shape = (N, C, H, W)``.
    Output: ``(N, C, H, W)``; each pixel receives the sum of every entry of ``col`` that came
    from it (this is exactly the gradient of im2col).
    """
    if not (isinstance(x_shape, tuple) and len(x_shape) == 4):
        raise TypeError(tr(ja="x_shape はタプル (N, C, H, W) にしてください",
                           en=f"x_shape must be a tuple (N, C, H, W), got {x_shape!r}"))
    N, C, H, W = (_check_int(s, "x_shape[i]", 1) for s in x_shape)
    kh, kw = _check_int(kh, "kh", 1), _check_int(kw, "kw", 1)
    stride, pad = _check_int(stride, "stride", 1), _check_int(pad, "pad", 0)
    OH = _output_size(H, kh, stride, pad, "H")
    OW = _output_size(W, kw, stride, pad, "W")
    _check_array(col, 2, "col", "(N*OH*OW, C*KH*KW)")
    _check_shape(col, (N * OH * OW, C * kh * kw), "col")

    # Rows of col.T are (c, kh, kw): one kernel offset (i, j) is then one block (C, N, OH, OW).
    cols = col.T.reshape(C, kh, kw, N, OH, OW)
    dtype = np.result_type(col.dtype, np.float32)
    img = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=dtype)
    for i in range(kh):          # a loop over the KH*KW kernel offsets, not over pixels
        for j in range(kw):
            img[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += cols[:, i, j]
    return img[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)


# ----------------------------------------------------------------------------------------------
# Threads: Conv2D splits its batch over the cores

@functools.cache
def _blas():
    """threadpoolctl's handle on the BLAS libraries of this process (NumPy's), found once."""
    return ThreadpoolController().select(user_api="blas")


def _batch_slices(n):
    """Cut a batch of ``n`` images into contiguous slices, one per thread BLAS may use now.

    That count is the number of cores, or the limit a caller set with
    ``threadpoolctl.threadpool_limits``: a program that keeps BLAS on one thread keeps Conv2D
    on one thread too. Example: ``n = 5`` on 2 threads -> ``[slice(0, 2), slice(2, 5)]``.
    """
    threads = min((lib.num_threads for lib in _blas().lib_controllers), default=1)
    parts = max(1, min(threads, n))
    return [slice(n * i // parts, n * (i + 1) // parts) for i in range(parts)]


def _on_threads(fn, *iterables):
    """``list(map(fn, *iterables))``, with each call on a thread of its own when there are several.

    Why: im2col and col2im are NumPy copies, which run on one core, while a matrix product runs
    on all of them. Given one slice of the batch each, the threads run copies and products side
    by side (NumPy releases the GIL in both). Each thread's BLAS gets one thread (a limit that
    holds process-wide until the calls return), so together they use as many cores as BLAS
    alone would have.
    """
    calls = list(zip(*iterables))
    if len(calls) == 1:
        return [fn(*calls[0])]
    with _blas().limit(limits=1), ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(fn, *args) for args in calls]
        return [future.result() for future in futures]


# ----------------------------------------------------------------------------------------------
# Layers

class Conv2D:
    """Convolution (cross-correlation) layer computed with im2col and one matrix product.

    ``Conv2D(in_channels, out_channels, kernel_size, stride=1, pad=0, rng=None, dtype=float32)``;
    ``kernel_size`` is an int or a pair ``(KH, KW)``. Weights use He initialisation
    (std = sqrt(2 / (C*KH*KW)), suited to ReLU); biases start at 0.

    params: ``W (F, C, KH, KW)``, ``b (F,)``.
    forward:  ``x (N, C, H, W)`` -> ``(N, F, OH, OW)``.
    backward: ``dout (N, F, OH, OW)`` -> ``dx (N, C, H, W)``; fills ``grads["W"]``, ``grads["b"]``.

    With several BLAS threads (by default one per core) the batch is cut into one slice per
    thread and each slice runs on a thread of its own (``_on_threads``); the numbers are those
    of the whole batch at once, up to rounding.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad=0, rng=None,
                 dtype=np.float32):
        C = _check_int(in_channels, "in_channels", 1)
        F = _check_int(out_channels, "out_channels", 1)
        if isinstance(kernel_size, (tuple, list)) and len(kernel_size) == 2:
            kh, kw = kernel_size
        else:
            kh = kw = kernel_size
        self.kh, self.kw = _check_int(kh, "kernel_size", 1), _check_int(kw, "kernel_size", 1)
        self.stride = _check_int(stride, "stride", 1)
        self.pad = _check_int(pad, "pad", 0)
        std = np.sqrt(2.0 / (C * self.kh * self.kw))
        W = _make_rng(rng).standard_normal((F, C, self.kh, self.kw)) * std
        self.params = {"W": W.astype(dtype), "b": np.zeros(F, dtype=dtype)}
        self.grads = {}
        self._x_shape = self._slices = self._cols = None

    def forward(self, x):
        """``x (N, C, H, W)`` -> ``(N, F, OH, OW)``."""
        W, b = self.params["W"], self.params["b"]
        F, C = W.shape[:2]
        _check_array(x, 4, "x", f"(N, {C}, H, W)")
        if x.shape[1] != C:
            raise ValueError(tr(ja=f"x のチャネル数は {C} のはずですが {x.shape[1]} でした",
                                en=f"x must have {C} channels, got shape {x.shape}"))
        N, _, H, Wd = x.shape
        OH = _output_size(H, self.kh, self.stride, self.pad, "H")
        OW = _output_size(Wd, self.kw, self.stride, self.pad, "W")
        x = x.astype(W.dtype, copy=False)
        w_rows = W.reshape(F, -1)                        # (F, C*KH*KW)
        # The result, laid out channels-last in memory: row (n, oh, ow) holds the F outputs.
        out = np.empty((N, OH, OW, F), dtype=W.dtype)

        def forward_slice(images):
            col = im2col(x[images], self.kh, self.kw, self.stride, self.pad)
            # (n*OH*OW, CKK) @ (CKK, F), written straight into this slice's rows of out. This
            # orientation, long side first, is the faster one in OpenBLAS.
            out_rows = out[images].reshape(-1, F)
            np.matmul(col, w_rows.T, out=out_rows)
            out_rows += b
            return col

        self._x_shape, self._slices = x.shape, _batch_slices(N)
        self._cols = _on_threads(forward_slice, self._slices)
        # The transpose is a view that shows out as (N, F, OH, OW) without copying (the next
        # layer reads either layout).
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout):
        """``dout (N, F, OH, OW)`` -> ``dx (N, C, H, W)``; stores ``dW``, ``db`` in ``grads``."""
        if self._cols is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        W = self.params["W"]
        F = W.shape[0]
        N, C, H, Wd = self._x_shape
        OH = (H + 2 * self.pad - self.kh) // self.stride + 1
        OW = (Wd + 2 * self.pad - self.kw) // self.stride + 1
        _check_array(dout, 4, "dout", f"({N}, {F}, {OH}, {OW})")
        _check_shape(dout, (N, F, OH, OW), "dout")
        w_rows = W.reshape(F, -1)
        dx = np.empty(self._x_shape, dtype=np.result_type(W.dtype, dout.dtype, np.float32))

        def backward_slice(images, col):
            dout_t = dout[images].transpose(1, 0, 2, 3).reshape(F, -1)   # rows: filters
            # dW = dout_t @ col, computed as (col.T @ dout_t.T).T: the same numbers, but this
            # orientation of the long (n*OH*OW) product runs about twice as fast in OpenBLAS.
            dW = (col.T @ dout_t.T).T
            # dcol = dout_col @ W, computed transposed so col2im reads it without a copy.
            dcol = (w_rows.T @ dout_t).T
            dx[images] = col2im(dcol, dx[images].shape, self.kh, self.kw, self.stride, self.pad)
            return dW, dout_t.sum(axis=1)

        parts = _on_threads(backward_slice, self._slices, self._cols)
        # Each slice's images add their share to the gradients of the shared W and b.
        self.grads["W"] = sum(dW for dW, _ in parts).reshape(W.shape).astype(W.dtype, copy=False)
        self.grads["b"] = sum(db for _, db in parts).astype(W.dtype, copy=False)
        return dx


class ReLU:
    """``max(0, x)`` elementwise. forward: any shape -> same shape; backward: dout -> dx."""

    def __init__(self):
        self.params, self.grads = {}, {}
        self._mask = None

    def forward(self, x):
        """``x`` (any shape) -> ``max(0, x)`` (same shape)."""
        _check_array(x, None, "x", "(...)")
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        """``dout`` (shape of x) -> ``dx``: the gradient passes only where ``x > 0``."""
        if self._mask is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        _check_array(dout, self._mask.ndim, "dout", str(self._mask.shape))
        _check_shape(dout, self._mask.shape, "dout")
        return dout * self._mask


class MaxPool2D:
    """Max pooling over ``size x size`` windows, per channel.

    forward:  ``x (N, C, H, W)`` -> ``(N, C, OH, OW)``, ``OH = (H - size) // stride + 1``.
    backward: ``dout (N, C, OH, OW)`` -> ``dx (N, C, H, W)``: each window's gradient goes to its
    maximum (to the first one when several tie); overlapping windows (stride < size) add up.
    """

    def __init__(self, size=2, stride=2):
        self.size = _check_int(size, "size", 1)
        self.stride = _check_int(stride, "stride", 1)
        self.params, self.grads = {}, {}
        self._x = self._out = None

    def _offsets(self, a, OH, OW):
        """The ``size*size`` views ``(N, C, OH, OW)`` of ``a``: view ``(i, j)`` holds the element at
        row ``i``, column ``j`` of every window (row by row, as argmax would number them)."""
        s, st = self.size, self.stride
        return [a[:, :, i:i + st * OH:st, j:j + st * OW:st] for i in range(s) for j in range(s)]

    def forward(self, x):
        """``x (N, C, H, W)`` -> ``(N, C, OH, OW)``."""
        _check_array(x, 4, "x", "(N, C, H, W)")
        N, C, H, W = x.shape
        s, st = self.size, self.stride
        OH, OW = _output_size(H, s, st, 0, "H"), _output_size(W, s, st, 0, "W")
        # A loop over the size*size positions inside a window, not over windows: each step is
        # one elementwise maximum of whole (N, C, OH, OW) views, and no window is ever copied.
        views = self._offsets(x, OH, OW)
        out = views[0].copy()
        for view in views[1:]:
            np.maximum(out, view, out=out)
        self._x, self._out = x, out
        return out

    def backward(self, dout):
        """``dout (N, C, OH, OW)`` -> ``dx (N, C, H, W)``."""
        if self._out is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        _check_array(dout, 4, "dout", str(self._out.shape))
        _check_shape(dout, self._out.shape, "dout")
        OH, OW = dout.shape[2:]
        dx = np.zeros(self._x.shape, dtype=np.result_type(dout.dtype, np.float32))
        free = np.ones(dout.shape, dtype=bool)      # windows whose maximum is not found yet
        for x_view, dx_view in zip(self._offsets(self._x, OH, OW), self._offsets(dx, OH, OW)):
            hit = (x_view == self._out) & free       # the first maximum of each window only
            free &= ~hit
            dx_view += dout * hit                    # overlapping windows (stride < size) add up
        return dx


class Flatten:
    """``(N, C, H, W)`` (or any ``(N, ...)``) -> ``(N, C*H*W)``; backward reshapes back."""

    def __init__(self):
        self.params, self.grads = {}, {}
        self._x_shape = None

    def forward(self, x):
        """``x (N, ...)`` -> ``(N, D)`` with ``D`` the product of the other axes."""
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise TypeError(tr(ja="x は 2 次元以上の NumPy 配列 (N, ...) にしてください",
                               en="x must be a NumPy array of shape (N, ...) with >= 2 dims"))
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        """``dout (N, D)`` -> ``dx`` with the shape of the forward input."""
        if self._x_shape is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        N = self._x_shape[0]
        _check_array(dout, 2, "dout", f"({N}, D)")
        if dout.size != np.prod(self._x_shape) or dout.shape[0] != N:
            raise ValueError(tr(ja=f"dout は {self._x_shape} に戻せる形状にしてください",
                                en=f"dout of shape {dout.shape} cannot become {self._x_shape}"))
        return dout.reshape(self._x_shape)


class Affine:
    """Fully connected layer ``x @ W + b``.

    ``Affine(in_features, out_features, rng=None, dtype=float32)``; He-initialised weights.
    params: ``W (D, M)``, ``b (M,)``. forward: ``x (N, D)`` -> ``(N, M)``;
    backward: ``dout (N, M)`` -> ``dx (N, D)``; fills ``grads["W"]``, ``grads["b"]``.
    """

    def __init__(self, in_features, out_features, rng=None, dtype=np.float32):
        D = _check_int(in_features, "in_features", 1)
        M = _check_int(out_features, "out_features", 1)
        W = _make_rng(rng).standard_normal((D, M)) * np.sqrt(2.0 / D)
        self.params = {"W": W.astype(dtype), "b": np.zeros(M, dtype=dtype)}
        self.grads = {}
        self._x = None

    def forward(self, x):
        """``x (N, D)`` -> ``x @ W + b`` of shape ``(N, M)``."""
        D = self.params["W"].shape[0]
        _check_array(x, 2, "x", f"(N, {D})")
        if x.shape[1] != D:
            raise ValueError(tr(ja=f"x の形状は (N, {D}) のはずですが {x.shape} でした",
                                en=f"x must have shape (N, {D}), got {x.shape}"))
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        """``dout (N, M)`` -> ``dx (N, D)``; ``dW = x.T @ dout``, ``db = dout.sum(0)``."""
        if self._x is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        W = self.params["W"]
        _check_array(dout, 2, "dout", f"({self._x.shape[0]}, {W.shape[1]})")
        _check_shape(dout, (self._x.shape[0], W.shape[1]), "dout")
        self.grads["W"] = (self._x.T @ dout).astype(W.dtype, copy=False)
        self.grads["b"] = dout.sum(axis=0).astype(W.dtype, copy=False)
        return dout @ W.T


def _one_hot(labels, n, k):
    """Int class ids ``(N,)`` or one-hot ``(N, K)`` -> one-hot float ``(N, K)``."""
    if not isinstance(labels, np.ndarray):
        raise TypeError(tr(
            ja=f"labels は NumPy 配列（整数のクラス番号 ({n},) か one-hot ({n}, {k})）にしてください",
            en=f"labels must be a NumPy array: int class ids ({n},) or one-hot ({n}, {k})"))
    if labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer):
        _check_shape(labels, (n,), "labels")
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= k:
            got = f"{labels.min()}..{labels.max()}"
            raise ValueError(tr(ja=f"クラス番号は 0 以上 {k} 未満にしてください（{got}）",
                                en=f"class ids must lie in [0, {k}), got {got}"))
        return np.eye(k)[labels]
    if labels.ndim == 2:
        _check_shape(labels, (n, k), "labels")
        return labels.astype(np.float64, copy=False)
    got = f"shape {labels.shape}, dtype {labels.dtype}"
    raise ValueError(tr(
        ja=f"labels は整数のクラス番号 ({n},) か one-hot ({n}, {k}) にしてください（{got}）",
        en=f"labels must be int class ids ({n},) or one-hot ({n}, {k}), got {got}"))


class SoftmaxCrossEntropy:
    """Softmax followed by the mean cross-entropy over the batch.

    forward: logits ``z (N, K)`` and ``labels`` (int ids ``(N,)`` or one-hot ``(N, K)``) -> float.
    backward: ``dout`` (scalar, default 1) -> ``dz = dout * (softmax(z) - t) / N``, ``(N, K)``.
    """

    def __init__(self):
        self.params, self.grads = {}, {}
        self.probs = self._t = None

    def forward(self, z, labels):
        """``z (N, K)``, ``labels`` -> mean cross-entropy (a Python float)."""
        _check_array(z, 2, "z", "(N, K)")
        t = _one_hot(labels, *z.shape)
        # Subtracting the row maximum changes nothing mathematically and keeps exp() finite.
        shifted = z - z.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs, self._t = np.exp(log_probs), t
        return float(-(t * log_probs).sum() / z.shape[0])

    def backward(self, dout=1.0):
        """scalar ``dout`` -> ``dz (N, K)``."""
        if self.probs is None:
            raise RuntimeError(tr(ja="backward の前に forward を呼んでください",
                                  en="call forward before backward"))
        if not np.isscalar(dout):
            raise TypeError(tr(ja="dout はスカラー（損失の勾配）にしてください",
                               en="dout must be a scalar (the gradient of the loss)"))
        dz = dout * (self.probs - self._t) / self.probs.shape[0]
        return dz.astype(np.result_type(self.probs.dtype, np.float32), copy=False)


# ----------------------------------------------------------------------------------------------
# Optimisers: step(params, grads) updates every array of params in place.

def _check_step(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError(tr(ja="params と grads は {名前: 配列} の dict にしてください",
                           en="params and grads must be dicts {name: array}"))
    if params.keys() != grads.keys():
        keys = f"{sorted(params)} / {sorted(grads)}"
        raise ValueError(tr(ja=f"params と grads のキーが一致しません: {keys}",
                            en=f"params and grads must have the same keys: {keys}"))
    for key in params:
        p, g = params[key], grads[key]
        if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
            raise TypeError(tr(ja=f"params[{key!r}] と grads[{key!r}] は NumPy 配列にしてください",
                               en=f"params[{key!r}] and grads[{key!r}] must be NumPy arrays"))
        _check_shape(g, p.shape, f"grads[{key!r}]")


def _check_rate(value, name, low, high=np.inf, low_ok=False):
    """A number in ``(low, high)`` (``[low, high)`` when ``low_ok``), returned as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(tr(ja=f"{name} は数値にしてください", en=f"{name} must be a number"))
    if not ((value >= low if low_ok else value > low) and value < high):
        bounds = f"{'[' if low_ok else '('}{low}, {high})"
        raise ValueError(tr(ja=f"{name} は {bounds} の範囲にしてください（{value}）",
                            en=f"{name} must lie in {bounds}, got {value}"))
    return float(value)


class SGD:
    """Plain gradient descent: ``p -= lr * g``."""

    def __init__(self, lr=0.01):
        self.lr = _check_rate(lr, "lr", 0.0)

    def step(self, params, grads):
        """Update every array in ``params`` in place from the same-keyed ``grads``."""
        _check_step(params, grads)
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    """Momentum SGD: ``v = momentum * v - lr * g``; ``p += v`` (v starts at 0)."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = _check_rate(lr, "lr", 0.0)
        self.momentum = _check_rate(momentum, "momentum", 0.0, 1.0, low_ok=True)
        self.v = {}

    def step(self, params, grads):
        """Update every array in ``params`` in place from the same-keyed ``grads``."""
        _check_step(params, grads)
        for key in params:
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key] += v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias-corrected first and second moments.

    At step ``t``: ``m = b1*m + (1-b1)*g``; ``v = b2*v + (1-b2)*g**2``;
    ``p -= lr * (m / (1-b1**t)) / (sqrt(v / (1-b2**t)) + eps)``.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = _check_rate(lr, "lr", 0.0)
        self.beta1 = _check_rate(beta1, "beta1", 0.0, 1.0, low_ok=True)
        self.beta2 = _check_rate(beta2, "beta2", 0.0, 1.0, low_ok=True)
        self.eps = _check_rate(eps, "eps", 0.0)
        self.m, self.v, self.t = {}, {}, 0

    def step(self, params, grads):
        """Update every array in ``params`` in place from the same-keyed ``grads``."""
        _check_step(params, grads)
        self.t += 1
        for key in params:
            g = grads[key]
            m = self.m.setdefault(key, np.zeros_like(params[key]))
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)    # undo the bias towards the zero start
            v_hat = v / (1 - self.beta2 ** self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# ----------------------------------------------------------------------------------------------
# A network: layers in a row, softmax cross-entropy on top.

class Sequential:
    """Layers applied one after another, with a softmax cross-entropy loss on the last output.

    ``forward(x)`` -> logits ``(N, K)``; ``loss(x, labels)`` -> mean cross-entropy;
    ``backward()`` after ``loss`` (or ``backward(dlogits)`` after ``forward``) -> ``dx`` and fills
    every layer's ``grads``; ``params()`` / ``grads()`` -> dicts keyed ``"<layer index>.<name>"``
    whose arrays ARE the layers' arrays (so an optimiser's in-place step updates the network);
    ``predict(x)`` -> class ids ``(N,)``.
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(tr(
                    ja=f"{i} 番目の層 {type(layer).__name__} に forward / backward がありません",
                    en=f"layer {i} ({type(layer).__name__}) has no forward/backward"))
        if not layers:
            raise ValueError(tr(ja="層を 1 つ以上渡してください", en="give at least one layer"))
        self.layers = list(layers)
        self.loss_layer = SoftmaxCrossEntropy()
        self._loss_ready = False

    def forward(self, x):
        """``x`` (input of the first layer) -> output of the last layer (logits ``(N, K)``)."""
        for layer in self.layers:
            x = layer.forward(x)
        self._loss_ready = False
        return x

    def loss(self, x, labels):
        """Mean softmax cross-entropy of ``forward(x)`` against ``labels`` (ids or one-hot)."""
        value = self.loss_layer.forward(self.forward(x), labels)
        self._loss_ready = True
        return value

    def backward(self, dout=None):
        """Backpropagate; with no ``dout``, start from the last ``loss``. Returns ``dx``."""
        if dout is None:
            if not self._loss_ready:
                raise RuntimeError(tr(ja="backward() の前に loss(x, labels) を呼んでください",
                                      en="call loss(x, labels) before backward()"))
            dout = self.loss_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def params(self):
        """``{"<i>.<name>": array}`` of every layer's weights (the arrays themselves)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in getattr(layer, "params", {}).items()}

    def grads(self):
        """``{"<i>.<name>": array}`` of every layer's gradients, same keys as ``params()``."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in getattr(layer, "grads", {}).items()}

    def predict(self, x, batch_size=256):
        """``x`` -> predicted class ids ``(N,)``, computed ``batch_size`` images at a time."""
        _check_int(batch_size, "batch_size", 1)
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise TypeError(tr(ja="x は NumPy 配列 (N, ...) にしてください",
                               en="x must be a NumPy array of shape (N, ...)"))
        return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(x), batch_size)])


# ----------------------------------------------------------------------------------------------
# The lecture's CIFAR-10 network

def cifar10_cnn(rng=None, dtype=np.float32):
    """The CIFAR-10 network of the lecture's Keras code, built from the layers above.

    ``rng``: None, an int seed or a ``np.random.Generator`` (one generator initialises every
    layer, so a seed gives the same network every time). Input ``(N, 3, 32, 32)``, output logits
    ``(N, 10)``; the softmax lives in the loss (``Sequential.loss``), as in the assignments.

    Keras layer                                  cnnlab layers                   output shape
    Conv2D(32, (3, 3), padding='same', relu)  ->  Conv2D(3, 32, 3, pad=1), ReLU   (N, 32, 32, 32)
    MaxPooling2D(pool_size=(2, 2), strides=2) ->  MaxPool2D(2, 2)                 (N, 32, 16, 16)
    Conv2D(64, (3, 3), relu)   (valid, pad 0) ->  Conv2D(32, 64, 3), ReLU        (N, 64, 14, 14)
    MaxPooling2D(pool_size=(2, 2), strides=2) ->  MaxPool2D(2, 2)                 (N, 64, 7, 7)
    Flatten()                                 ->  Flatten()                       (N, 3136)
    Dense(128, relu)                          ->  Affine(3136, 128), ReLU         (N, 128)
    Dense(10, softmax)                        ->  Affine(128, 10); softmax in the loss  (N, 10)

    Parameters: 3*3*3*32 + 32 = 896; 3*3*32*64 + 64 = 18,496; 3136*128 + 128 = 401,536;
    128*10 + 10 = 1,290; in all 422,218. "same" padding for a 3x3 kernel is ``pad=1``:
    ``(32 + 2*1 - 3) // 1 + 1 = 32``. Keras starts from Glorot-uniform weights; these layers use
    He initialisation (suited to ReLU). Train it with ``Adam()``, as the lecture does.
    """
    rng = _make_rng(rng)
    return Sequential(
        Conv2D(3, 32, 3, pad=1, rng=rng, dtype=dtype), ReLU(),
        MaxPool2D(2, 2),
        Conv2D(32, 64, 3, rng=rng, dtype=dtype), ReLU(),
        MaxPool2D(2, 2),
        Flatten(),
        Affine(64 * 7 * 7, 128, rng=rng, dtype=dtype), ReLU(),
        Affine(128, 10, rng=rng, dtype=dtype))
