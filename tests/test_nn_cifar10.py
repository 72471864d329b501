"""The lecture's CIFAR-10 network (``cnnlab.nn.cifar10_cnn``): counts and shapes worked by hand,
and its gradients against centred differences in float64."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cnnlab import nn

# Parameters per layer with weights, worked out from the Keras listing:
#   conv 3x3, 3 -> 32 channels:   3*3*3*32 + 32   =     896
#   conv 3x3, 32 -> 64 channels:  3*3*32*64 + 64  =  18,496
#   dense 64*7*7 = 3136 -> 128:   3136*128 + 128  = 401,536
#   dense 128 -> 10:              128*10 + 10     =   1,290
PARAMS_PER_LAYER = {0: 896, 3: 18_496, 7: 401_536, 9: 1_290}
TOTAL_PARAMS = 422_218

# Output shape after each layer for a batch of N = 2 images (2, 3, 32, 32):
# 'same' 3x3 conv keeps 32x32; pool halves; 'valid' 3x3 conv loses 2; pool halves (14 -> 7).
SHAPES = [
    ("Conv2D", (2, 32, 32, 32)), ("ReLU", (2, 32, 32, 32)), ("MaxPool2D", (2, 32, 16, 16)),
    ("Conv2D", (2, 64, 14, 14)), ("ReLU", (2, 64, 14, 14)), ("MaxPool2D", (2, 64, 7, 7)),
    ("Flatten", (2, 3136)), ("Affine", (2, 128)), ("ReLU", (2, 128)), ("Affine", (2, 10)),
]


def test_parameter_count_matches_the_hand_count():
    assert sum(PARAMS_PER_LAYER.values()) == TOTAL_PARAMS
    net = nn.cifar10_cnn(rng=0)
    per_layer = {i: sum(p.size for p in layer.params.values())
                 for i, layer in enumerate(net.layers) if layer.params}
    assert per_layer == PARAMS_PER_LAYER
    assert sum(p.size for p in net.params().values()) == TOTAL_PARAMS
    assert net.params()["0.W"].shape == (32, 3, 3, 3) and net.params()["3.W"].shape == (64, 32, 3, 3)
    assert net.params()["7.W"].shape == (3136, 128) and net.params()["9.W"].shape == (128, 10)


def test_shapes_layer_by_layer():
    net = nn.cifar10_cnn(rng=1)
    x = np.random.default_rng(1).random((2, 3, 32, 32), dtype=np.float32)
    for layer, (name, shape) in zip(net.layers, SHAPES, strict=True):
        x = layer.forward(x)
        assert (type(layer).__name__, x.shape) == (name, shape)
        assert x.dtype == np.float32


def test_same_seed_same_network_and_dtype_option():
    a, b = nn.cifar10_cnn(rng=3), nn.cifar10_cnn(rng=np.random.default_rng(3))
    for key, p in a.params().items():
        np.testing.assert_array_equal(p, b.params()[key])
    assert not np.array_equal(a.params()["0.W"], nn.cifar10_cnn(rng=4).params()["0.W"])
    assert all(p.dtype == np.float64 for p in nn.cifar10_cnn(dtype=np.float64).params().values())
    with pytest.raises(TypeError):
        nn.cifar10_cnn(rng="seed")


def test_gradients_match_numerical_on_a_tiny_batch():
    # Every weight array and the input, checked at 12 random entries each (the whole network
    # has 422,218 weights; two forward passes per entry), in float64 on 2 images. One BLAS
    # thread: these matrices are tiny, and on a busy 2-core machine a second OpenBLAS thread
    # made each float64 product wait ~0.4 s instead of taking 1 ms.
    rng = np.random.default_rng(5)
    net = nn.cifar10_cnn(rng=rng, dtype=np.float64)
    for key, p in net.params().items():
        if key.endswith(".b"):
            p[...] = 0.1 * rng.standard_normal(p.shape)   # non-zero biases: every path is used
    x, labels = rng.random((2, 3, 32, 32)), np.array([3, 7])

    def check(array, grad, name, h=1e-5):
        for flat in rng.choice(array.size, size=min(12, array.size), replace=False):
            i = np.unravel_index(flat, array.shape)
            old = array[i]                      # centred difference (L(p + h) - L(p - h)) / 2h
            array[i] = old + h
            plus = net.loss(x, labels)
            array[i] = old - h
            minus = net.loss(x, labels)
            array[i] = old
            assert grad[i] == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-9), (name, i)

    with threadpool_limits(limits=1, user_api="blas"):
        net.loss(x, labels)
        dx = net.backward()
        analytic = {k: g.copy() for k, g in net.grads().items()}
        assert analytic.keys() == net.params().keys() == {
            "0.W", "0.b", "3.W", "3.b", "7.W", "7.b", "9.W", "9.b"}
        for key, p in net.params().items():
            check(p, analytic[key], key)
        check(x, dx, "x")
