"""Tests of cnnlab.nn: each layer against the maths, written out independently here.

Gradients are checked against centred differences in float64; forward passes against explicit
loops and the lecture's hand-computed numbers. Runs in a few seconds.
"""

import numpy as np
import pytest

from cnnlab import nn
from oracles import loops_correlate, loops_im2col

LECTURE_X = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]], dtype=float)
LECTURE_K = np.array([[1, 0, 2], [0, 2, 0], [1, 1, -1]], dtype=float)


# ----------------------------------------------------------------------------------------------
# Helpers written from the definitions, independent of cnnlab.nn

def numerical_gradient(f, x, h=1e-5):
    """Centred differences (f(x + h e_i) - f(x - h e_i)) / 2h for every element of x."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def conv_layer(w, b, stride=1, pad=0):
    """A float64 Conv2D holding the given weights."""
    F, C, KH, KW = w.shape
    layer = nn.Conv2D(C, F, (KH, KW), stride=stride, pad=pad, dtype=np.float64)
    layer.params["W"][...] = w
    layer.params["b"][...] = b
    return layer


def check_layer_gradients(layer, x, rng):
    """Compare dx and every grads[k] with centred differences of L = sum(forward(x) * R)."""
    R = rng.standard_normal(layer.forward(x).shape)
    loss = lambda: float(np.sum(layer.forward(x) * R))
    layer.forward(x)
    dx = layer.backward(R.copy())
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-9)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for k, p in layer.params.items():
        np.testing.assert_allclose(analytic[k], numerical_gradient(loss, p), rtol=1e-6, atol=1e-9,
                                   err_msg=f"gradient of {k}")


CONV_CASES = [  # (x shape, w shape, stride, pad)
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 2, 6, 5), (3, 2, 3, 2), 1, 1),   # non-square image and kernel
    ((1, 2, 7, 7), (2, 2, 3, 3), 2, 1),
    ((2, 1, 8, 9), (2, 1, 2, 3), 3, 2),
    ((1, 3, 4, 6), (2, 3, 4, 4), 2, 2),
]


# ----------------------------------------------------------------------------------------------
# im2col / col2im

def test_im2col_worked_example_shape():
    assert nn.im2col(np.random.rand(10, 3, 7, 7), 5, 5).shape == (90, 75)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_im2col_matches_loop_over_windows(x_shape, w_shape, stride, pad):
    x = np.random.default_rng(0).standard_normal(x_shape)
    kh, kw = w_shape[2:]
    np.testing.assert_array_equal(nn.im2col(x, kh, kw, stride, pad), loops_im2col(x, kh, kw, stride, pad))


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_col2im_is_the_adjoint_of_im2col(x_shape, w_shape, stride, pad):
    # <im2col(x), y> == <x, col2im(y)> for all x, y: col2im is im2col transposed.
    rng = np.random.default_rng(1)
    kh, kw = w_shape[2:]
    x = rng.standard_normal(x_shape)
    y = rng.standard_normal(nn.im2col(x, kh, kw, stride, pad).shape)
    lhs = np.sum(nn.im2col(x, kh, kw, stride, pad) * y)
    rhs = np.sum(x * nn.col2im(y, x_shape, kh, kw, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_col2im_adds_overlapping_windows():
    # 3x3 image, 2x2 windows, stride 1: the centre pixel lies in all 4 windows, corners in 1.
    ones = np.ones((4, 4))
    counts = nn.col2im(ones, (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ----------------------------------------------------------------------------------------------
# Conv2D

def test_conv_lecture_example():
    layer = conv_layer(LECTURE_K[None, None], np.zeros(1))
    np.testing.assert_allclose(layer.forward(LECTURE_X[None, None])[0, 0], [[12, 14], [14, 10]])


def test_conv_lecture_example_with_pad_1():
    layer = conv_layer(LECTURE_K[None, None], np.zeros(1), pad=1)
    out = layer.forward(LECTURE_X[None, None])
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 3   # 0x1+0x0+0x2+0x0+1x2+2x0+0x1+4x1+3x(-1)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv_forward_matches_naive_loops(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out = conv_layer(w, b, stride, pad).forward(x)
    np.testing.assert_allclose(out, loops_correlate(x, w, b, stride, pad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv_backward_matches_numerical_gradient(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(3)
    layer = conv_layer(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), stride, pad)
    check_layer_gradients(layer, rng.standard_normal(x_shape), rng)


def test_conv_float32_stays_float32_and_he_init():
    layer = nn.Conv2D(16, 32, 3, pad=1, rng=0)
    assert layer.params["W"].dtype == np.float32 and layer.params["W"].shape == (32, 16, 3, 3)
    # He initialisation: std sqrt(2 / (C*KH*KW)) = sqrt(2/144).
    assert layer.params["W"].std() == pytest.approx(np.sqrt(2 / 144), rel=0.1)
    out = layer.forward(np.random.rand(2, 16, 8, 8).astype(np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 32, 8, 8)
    dx = layer.backward(np.ones(out.shape, dtype=np.float32))
    assert dx.dtype == np.float32 and layer.grads["W"].dtype == np.float32


# ----------------------------------------------------------------------------------------------
# ReLU, MaxPool2D, Flatten, Affine, SoftmaxCrossEntropy

def test_relu_forward_and_gradient():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5        # keep away from the kink at 0
    np.testing.assert_array_equal(nn.ReLU().forward(x), np.where(x > 0, x, 0))
    check_layer_gradients(nn.ReLU(), x, rng)


@pytest.mark.parametrize("image, expected", [
    (LECTURE_X, [[4, 4], [3, 3]]),
    ([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], [[6, 8], [3, 4]]),
])
def test_max_pool_worked_examples(image, expected):
    x = np.array(image, dtype=float)[None, None]
    np.testing.assert_array_equal(nn.MaxPool2D(2, 2).forward(x)[0, 0], expected)


@pytest.mark.parametrize("x_shape, size, stride", [
    ((2, 3, 4, 4), 2, 2), ((1, 2, 6, 5), 3, 2), ((2, 1, 5, 5), 3, 1), ((1, 2, 7, 7), 2, 3)])
def test_max_pool_gradient(x_shape, size, stride):
    rng = np.random.default_rng(5)
    # Distinct values 0.1 apart: no ties, no kink within h of any point.
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.1
    check_layer_gradients(nn.MaxPool2D(size, stride), x, rng)


def test_max_pool_overlapping_windows_accumulate_and_ties_pick_one():
    x = np.array([[0, 0, 0], [0, 9, 0], [0, 0, 0]], dtype=float)[None, None]
    pool = nn.MaxPool2D(2, 1)          # the 9 is the max of all four overlapping windows
    pool.forward(x)
    dx = pool.backward(np.array([[1.0, 2.0], [3.0, 4.0]])[None, None])
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 10, 0], [0, 0, 0]])
    pool.forward(np.ones((1, 1, 2, 2)))  # a four-way tie: the gradient goes to exactly one place
    dx = pool.backward(np.full((1, 1, 1, 1), 5.0))
    assert np.count_nonzero(dx) == 1 and dx.sum() == 5.0


def test_flatten_round_trip():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    layer = nn.Flatten()
    np.testing.assert_array_equal(layer.forward(x), x.reshape(2, 12))
    np.testing.assert_array_equal(layer.backward(np.arange(24.0).reshape(2, 12)), x)


def test_affine_forward_and_gradient():
    rng = np.random.default_rng(6)
    layer = nn.Affine(5, 3, rng=rng, dtype=np.float64)
    layer.params["b"][...] = rng.standard_normal(3)
    x = rng.standard_normal((4, 5))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["W"] + layer.params["b"])
    check_layer_gradients(layer, x, rng)


def test_softmax_cross_entropy_hand_values():
    loss = nn.SoftmaxCrossEntropy()
    # Equal logits over 4 classes: p = 1/4 each, loss = log 4.
    assert loss.forward(np.zeros((2, 4)), np.array([0, 3])) == pytest.approx(np.log(4))
    # Mean over the batch: -(log(e^2/(e^2+1)) + log(1/(e^2+1))) / 2.
    expected = -(np.log(np.e**2 / (np.e**2 + 1)) + np.log(1 / (np.e**2 + 1))) / 2
    assert loss.forward(np.array([[2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])) == pytest.approx(expected)


def test_softmax_cross_entropy_is_finite_for_logits_of_1000():
    loss = nn.SoftmaxCrossEntropy()
    z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 0.0]])
    value = loss.forward(z, np.array([0, 1]))
    assert np.isfinite(value) and value == pytest.approx(np.log(2) / 2)
    assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy_gradient(one_hot):
    rng = np.random.default_rng(7)
    z, labels = rng.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    if one_hot:
        labels = np.eye(5)[labels]
    layer = nn.SoftmaxCrossEntropy()
    layer.forward(z, labels)
    dz = layer.backward()
    np.testing.assert_allclose(dz, numerical_gradient(lambda: layer.forward(z, labels), z),
                               rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------------------------
# Optimisers: one or two steps worked by hand

def test_sgd_step():
    p = {"w": np.array([1.0, 2.0])}
    nn.SGD(lr=0.1).step(p, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(p["w"], [0.95, 2.1])


def test_momentum_two_steps():
    p, g = {"w": np.array([1.0])}, {"w": np.array([2.0])}
    opt = nn.Momentum(lr=0.1, momentum=0.9)
    opt.step(p, g)                 # v = -0.2, w = 0.8
    np.testing.assert_allclose(p["w"], [0.8])
    opt.step(p, g)                 # v = 0.9 * -0.2 - 0.2 = -0.38, w = 0.42
    np.testing.assert_allclose(p["w"], [0.42])


def test_adam_two_steps():
    p = {"w": np.array([1.0, 2.0])}
    opt = nn.Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    # Step 1: m_hat = g, v_hat = g^2, so each weight moves by lr * sign(g).
    opt.step(p, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(p["w"], [0.9, 2.1], rtol=1e-7)
    # Step 2 with g = [1, 1]: m = [0.9*0.05+0.1, 0.9*-0.1+0.1] = [0.145, 0.01],
    # v = [0.999*0.00025+0.001, 0.999*0.001+0.001] = [0.00124975, 0.001999].
    opt.step(p, {"w": np.array([1.0, 1.0])})
    m_hat = np.array([0.145, 0.01]) / (1 - 0.9**2)
    v_hat = np.array([0.00124975, 0.001999]) / (1 - 0.999**2)
    np.testing.assert_allclose(p["w"], [0.9, 2.1] - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-7)


# ----------------------------------------------------------------------------------------------
# Sequential

def small_net(rng):
    return nn.Sequential(
        nn.Conv2D(1, 3, 3, pad=1, rng=rng, dtype=np.float64), nn.ReLU(), nn.MaxPool2D(2, 2),
        nn.Flatten(), nn.Affine(3 * 2 * 2, 2, rng=rng, dtype=np.float64))


def bars(n, rng):
    """4x4 images of one vertical (label 0) or horizontal (label 1) bar, plus noise."""
    labels = rng.integers(0, 2, n)
    x = 0.1 * rng.random((n, 1, 4, 4))
    where = rng.integers(0, 4, n)
    for k in range(n):               # test data, not the code under test
        if labels[k] == 0:
            x[k, 0, :, where[k]] += 1
        else:
            x[k, 0, where[k], :] += 1
    return x, labels


def test_sequential_gradients_match_numerical():
    rng = np.random.default_rng(8)
    net = small_net(rng)
    x, y = bars(3, rng)
    net.loss(x, y)
    net.backward()
    analytic = {k: g.copy() for k, g in net.grads().items()}
    assert analytic.keys() == net.params().keys() == {"0.W", "0.b", "4.W", "4.b"}
    for k, p in net.params().items():
        np.testing.assert_allclose(analytic[k], numerical_gradient(lambda: net.loss(x, y), p),
                                   rtol=1e-6, atol=1e-9, err_msg=k)


def test_sequential_learns_bars():
    rng = np.random.default_rng(9)
    net, opt = small_net(rng), nn.Adam(lr=0.05)
    x, y = bars(64, rng)
    first = net.loss(x, y)
    for _ in range(60):
        net.loss(x, y)
        net.backward()
        opt.step(net.params(), net.grads())
    x_new, y_new = bars(200, rng)
    assert net.loss(x, y) < first / 5
    assert np.mean(net.predict(x_new) == y_new) == 1.0


# ----------------------------------------------------------------------------------------------
# Inputs are left alone; bad input is refused

def test_no_layer_modifies_its_inputs():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 1, 4, 4))
    labels = np.array([0, 1])
    x_copy = x.copy()
    net = small_net(rng)
    net.loss(x, labels)
    dout_copies = []
    grad = net.loss_layer.backward()
    for layer in reversed(net.layers):
        dout_copies.append((grad, grad.copy()))
        grad = layer.backward(grad)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(labels, [0, 1])
    for dout, copy in dout_copies:
        np.testing.assert_array_equal(dout, copy)
    col = rng.standard_normal((16, 9))
    col_copy = col.copy()
    nn.col2im(col, (1, 1, 4, 4), 3, 3, 1, 1)
    np.testing.assert_array_equal(col, col_copy)
    grads = {"w": np.array([0.5])}
    nn.Adam().step({"w": np.array([1.0])}, grads)
    np.testing.assert_array_equal(grads["w"], [0.5])


@pytest.mark.parametrize("call, error", [
    (lambda: nn.im2col([[1, 2], [3, 4]], 1, 1), TypeError),
    (lambda: nn.im2col(np.zeros((3, 4, 4)), 2, 2), ValueError),
    (lambda: nn.im2col(np.zeros((1, 1, 4, 4)), 5, 5), ValueError),
    (lambda: nn.im2col(np.zeros((1, 1, 4, 4)), 2, 2, stride=0), ValueError),
    (lambda: nn.im2col(np.zeros((1, 1, 4, 4)), 2.0, 2), TypeError),
    (lambda: nn.im2col(np.zeros((1, 1, 4, 4), dtype=complex), 2, 2), TypeError),
    (lambda: nn.col2im(np.zeros((5, 4)), (1, 1, 3, 3), 2, 2), ValueError),
    (lambda: nn.Conv2D(3, 4, 3).forward(np.zeros((1, 2, 5, 5))), ValueError),
    (lambda: nn.Conv2D(3, 4, 0), ValueError),
    (lambda: nn.Conv2D(3, 4, 3, rng="seed"), TypeError),
    (lambda: nn.MaxPool2D(2, 2).forward(np.zeros((4, 4))), ValueError),
    (lambda: nn.Affine(5, 3).forward(np.zeros((2, 4))), ValueError),
    (lambda: nn.ReLU().forward([1.0, -1.0]), TypeError),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3])), ValueError),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), [0, 1]), TypeError),
    (lambda: nn.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.0, 1.0])), ValueError),
    (lambda: nn.SGD(lr=-1), ValueError),
    (lambda: nn.SGD().step({"w": np.zeros(2)}, {"v": np.zeros(2)}), ValueError),
    (lambda: nn.Adam().step({"w": np.zeros(2)}, {"w": np.zeros(3)}), ValueError),
    (lambda: nn.Sequential(nn.ReLU(), "not a layer"), TypeError),
    (lambda: nn.Sequential(nn.ReLU()).backward(), RuntimeError),
])
def test_bad_input_raises_a_clear_error(call, error):
    with pytest.raises(error):
        call()


def test_backward_with_wrong_shape_names_the_expected_shape():
    layer = nn.Conv2D(1, 2, 3, rng=0)
    layer.forward(np.zeros((1, 1, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(1, 2, 3, 3\)"):
        layer.backward(np.zeros((1, 2, 2, 2), dtype=np.float32))
