"""The reference maths the checks compare against: small and direct, independent of cnnlab.nn.

Shapes follow the curriculum: images (N, C, H, W), filters (F, C, KH, KW), outputs (N, F, OH, OW),
scores and probabilities (N, K). Some functions take extra arguments (``sides``, ``step``,
``route``, ``mode``) that compute what a known mistake gives; their defaults are the right answer.
"""

import numpy as np


def output_size(in_size, kernel_size, stride=1, pad=0):
    """OH = (H + 2·pad − KH) // stride + 1: the windows that fit, the first one included."""
    return (in_size + 2 * pad - kernel_size) // stride + 1


def pad_hw(x, pad, mode="constant", value=0.0, sides=(1, 1)):
    """Pad the last two axes of x; ``sides`` scales the (before, after) amounts."""
    widths = [(0, 0)] * (x.ndim - 2) + [(pad * sides[0], pad * sides[1])] * 2
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=mode)


def windows(x, kh, kw, stride=1, pad=0):
    """x (N, C, H, W) -> every window as a view (N, C, OH, OW, KH, KW), zero padding first."""
    xp = pad_hw(np.asarray(x, dtype=np.float64), pad)
    return np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def correlate(x, w, b, stride=1, pad=0):
    """x (N, C, H, W), w (F, C, KH, KW), b (F,) -> (N, F, OH, OW), as in the curriculum."""
    kh, kw = w.shape[-2:]
    out = np.einsum("ncijuv,fcuv->nfij", windows(x, kh, kw, stride, pad), w)
    return out + np.asarray(b, dtype=np.float64)[None, :, None, None]


def single(image, kernel):
    """image (H, W) ⋆ kernel (KH, KW) -> (H − KH + 1, W − KW + 1)."""
    return correlate(image[None, None], kernel[None, None], np.zeros(1))[0, 0]


def multi(image, kernels, bias):
    """image (C, H, W), kernels (F, C, KH, KW), bias (F,) -> (F, OH, OW)."""
    return correlate(image[None], kernels, bias)[0]


def table(windows_, axes):
    """The windows (N, C, OH, OW, KH, KW) laid out as rows x columns in the order of ``axes``:
    the first three make the rows, the last three the columns (the right order is 0, 2, 3, 1, 4, 5)."""
    moved = windows_.transpose(axes)
    rows = int(np.prod(moved.shape[:3]))
    return moved.reshape(rows, -1)


def im2col(x, kh, kw, stride=1, pad=0):
    """x (N, C, H, W) -> (N*OH*OW, C*KH*KW): rows ordered by (n, oh, ow), columns by (c, kh, kw)."""
    return table(windows(x, kh, kw, stride, pad), (0, 2, 3, 1, 4, 5))


def pool(x, size=2, stride=2, reduce=np.max):
    """x (N, C, H, W) -> (N, C, OH, OW), ``reduce`` over each size x size window, OH = (H - size) // stride + 1."""
    windows_ = np.lib.stride_tricks.sliding_window_view(np.asarray(x, dtype=np.float64), (size, size), axis=(2, 3))
    return reduce(windows_[:, :, ::stride, ::stride], axis=(-2, -1))


def softmax(z):
    """Probabilities along the last axis; the maximum is subtracted first, so large logits stay finite."""
    shifted = np.asarray(z, dtype=np.float64) - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(labels, k):
    """labels int (N,) or one-hot (N, K) -> one-hot float64 (N, K)."""
    labels = np.asarray(labels)
    return labels.astype(np.float64) if labels.ndim == 2 else np.eye(k)[labels]


def cross_entropy(probs, labels):
    """Mean over the batch of -log probs[n, true class]; labels int (N,) or one-hot (N, K)."""
    probs = np.asarray(probs, dtype=np.float64)
    classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
    return -np.mean(np.log(probs[np.arange(len(probs)), classes]))


def scores_cross_entropy(scores, labels):
    """scores (N, K), labels int (N,) -> mean of -log softmax(scores)[n, labels[n]], computed in logs."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def true_class_probabilities(scores, labels):
    """scores (N, K), labels int (N,) -> softmax(scores)[n, labels[n]], (N,) float64."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return np.exp(log_probs[np.arange(len(labels)), labels])


def softmax_ce_backward(z, labels):
    """z (N, K), labels -> d mean-cross-entropy / dz = (softmax(z) − t) / N."""
    z = np.asarray(z, dtype=np.float64)
    return (softmax(z) - one_hot(labels, z.shape[1])) / z.shape[0]


def affine_backward(dout, x, w):
    """dout (N, M), x (N, D), w (D, M) -> dx = dout @ w.T (N, D), dw = x.T @ dout (D, M), db (M,)."""
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def pool_windows(dout, size, stride):
    """(i, j, rows, cols) of every pooling window."""
    oh, ow = dout.shape[-2:]
    return [(i, j, slice(i * stride, i * stride + size), slice(j * stride, j * stride + size))
            for i in range(oh) for j in range(ow)]


def max_pool_backward(dout, x, size=2, stride=2, route="first", step=None, mode="add"):
    """Each window's gradient to its first maximum (row by row), accumulated where windows overlap.

    ``route``: "first", "all" (every tied maximum), "every" (every cell), "mean" (every cell / size²),
    "one" (the mask without dout), "transposed" (row and column of the maximum swapped);
    ``step``: where window (i, j) starts (the stride by default); ``mode`` "add", "set" (dx[r, c] = ...)
    or "window" (dx[window] = ...).
    """
    dout, x = np.asarray(dout, dtype=np.float64), np.asarray(x, dtype=np.float64)
    step = stride if step is None else step
    dx = np.zeros(x.shape)
    n_, c_ = x.shape[:2]
    nn_, cc_ = np.indices((n_, c_))
    for i, j, _, _ in pool_windows(dout, size, stride):
        rows, cols = slice(i * step, i * step + size), slice(j * step, j * step + size)
        window = x[:, :, rows, cols]
        g = (np.ones_like if route == "one" else np.asarray)(dout[:, :, i, j])[:, :, None, None]
        if route in ("first", "one", "transposed"):
            k = window.reshape(n_, c_, -1).argmax(axis=2)
            u, v = np.divmod(k, window.shape[3]) if route != "transposed" else np.divmod(k, window.shape[2])[::-1]
            part = np.zeros(window.shape)
            part[nn_, cc_, u, v] = g[:, :, 0, 0]
        elif route == "all":
            part = (window == window.max(axis=(2, 3), keepdims=True)) * g
        else:
            part = np.broadcast_to(g / (size * size if route == "mean" else 1), window.shape).copy()
        target = dx[:, :, rows, cols]
        if mode == "add":
            target += part
        elif mode == "window":
            target[...] = part
        else:
            target[part != 0] = part[part != 0]
    return dx


def conv_backward(dout, x, w, stride=1, pad=0, step=None):
    """(dx, dw, db, dxp) of out = x ⋆ w + b: every window's dout times the window (dw) and times w (dx).

    ``step``: where window (i, j) starts (the stride by default); dxp is the padded input's
    gradient, dx the same with the padding cut off.
    """
    dout, x, w = (np.asarray(a, dtype=np.float64) for a in (dout, x, w))
    step = stride if step is None else step
    xp = pad_hw(x, pad)
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    kh, kw = w.shape[-2:]
    oh, ow = dout.shape[-2:]
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * step, i * step + kh), slice(j * step, j * step + kw)
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    h, wd = x.shape[-2:]
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3)), dxp
