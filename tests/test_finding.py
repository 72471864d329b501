"""A wrong answer that no known mistake explains is pointed to the tool that finds it."""

import numpy as np
import pytest

from cnnlab.checks import (CheckFailed, check_conv2d_single, check_conv_forward, check_max_pool_forward,
                           check_relu_backward)


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def off_at_the_corner(fn):
    """``fn`` with its first output value moved by 1.5: wrong in a way no known mistake is."""
    def odd(*args, **kwargs):
        out = np.array(fn(*args, **kwargs), dtype=float)
        out.flat[0] += 1.5
        return out
    return odd


def single(image, kernel):
    kh, kw = kernel.shape
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def conv(x, w, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    F, _, KH, KW = w.shape
    OH, OW = (xp.shape[2] - KH) // stride + 1, (xp.shape[3] - KW) // stride + 1
    out = np.zeros((len(x), F, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def max_pool(x, size=2, stride=2):
    OH, OW = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    return np.array([[x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
                      for j in range(OW)] for i in range(OH)]).transpose(2, 3, 0, 1)


@pytest.mark.parametrize("check, fn, tool", [
    (check_conv2d_single, single, "filter_sliding(student_fn=conv2d_single)"),
    (check_conv_forward, conv, "Recompute the first wrong output by hand"),
    (check_max_pool_forward, max_pool, "take its maximum (mean)"),
    (check_relu_backward, lambda dout, x: dout * (x > 0), "numerical_gradient(lambda x: np.sum(f(x) * dout), x)"),
])
def test_an_unknown_mistake_is_pointed_to_the_tool_that_finds_it(check, fn, tool):
    check(fn)  # the oracle itself is right
    with pytest.raises(CheckFailed, match="No known mistake matches") as failed:
        check(off_at_the_corner(fn))
    assert tool in str(failed.value)
