"""Slow, obvious definitions the tests compare fast code with: one number at a time, no NumPy tricks."""

import numpy as np


def loops_correlate(x, w, b, stride=1, pad=0):
    """out[n, f, i, j] = b[f] + sum over c, u, v of xp[n, c, i*S + u, j*S + v] * w[f, c, u, v] (xp: x zero-padded)."""
    n_, c_, h, wd = x.shape
    f_, _, kh, kw = w.shape
    xp = np.zeros((n_, c_, h + 2 * pad, wd + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n_, f_, oh, ow))
    for n in range(n_):
        for f in range(f_):
            for i in range(oh):
                for j in range(ow):
                    total = b[f]
                    for c in range(c_):
                        for u in range(kh):
                            for v in range(kw):
                                total += xp[n, c, i * stride + u, j * stride + v] * w[f, c, u, v]
                    out[n, f, i, j] = total
    return out


def loops_im2col(x, kh, kw, stride=1, pad=0):
    """The definition, one number at a time: col[(n*OH + i)*OW + j, (c*KH + u)*KW + v] = xp[n, c, i*S + u, j*S + v]."""
    n_, c_, h, w = x.shape
    xp = np.zeros((n_, c_, h + 2 * pad, w + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + w] = x
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    col = np.zeros((n_ * oh * ow, c_ * kh * kw))
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for c in range(c_):
                    for u in range(kh):
                        for v in range(kw):
                            col[(n * oh + i) * ow + j, (c * kh + u) * kw + v] = xp[n, c, i * stride + u, j * stride + v]
    return col
