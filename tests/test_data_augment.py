"""cnnlab.data.augment on small hand-worked images; loops as the oracle for random shifts."""

import numpy as np
import pytest

from cnnlab.data import (affine_transform, random_augment, random_rotation, random_shift,
                         random_zoom)


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def one_pixel(h=4, w=4, r=1, c=1):
    x = np.zeros((1, 1, h, w))
    x[0, 0, r, c] = 1.0
    return x


def shifted_by_loops(img, dy, dx):
    """``img (H, W)`` moved dy down and dx right, zeros coming in: one pixel at a time."""
    H, W = img.shape
    out = np.zeros_like(img)
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[r, c] = img[r - dy, c - dx]
    return out


# ---------------------------------------------------------------------------------------------
# affine_transform: hand-worked cases

@pytest.mark.parametrize("shift, where", [((0, 1), (1, 2)), ((1, 0), (2, 1)), ((2, -1), (3, 0)),
                                          ((-1, -1), (0, 0)), ((0, 0), (1, 1))])
def test_a_one_pixel_shift_moves_the_pixel(shift, where):
    out = affine_transform(one_pixel(), shift=shift)
    want = np.zeros((4, 4))
    want[where] = 1.0
    np.testing.assert_array_equal(out[0, 0], want)


def test_a_shift_out_of_the_frame_leaves_fill():
    np.testing.assert_array_equal(affine_transform(one_pixel(), shift=(0, 3))[0, 0], 0)
    out = affine_transform(np.ones((1, 1, 3, 3)), shift=(0, 1), fill=0.5)
    np.testing.assert_array_equal(out[0, 0], [[0.5, 1, 1]] * 3)


def test_half_a_pixel_splits_the_value():
    out = affine_transform(one_pixel(), shift=(0, 0.5))
    np.testing.assert_allclose(out[0, 0, 1], [0, 0.5, 0.5, 0])


def test_rotation_by_90_degrees_hand_worked():
    img = np.array([[1, 2, 3],
                    [4, 5, 6],
                    [7, 8, 9]], dtype=float)
    ccw = affine_transform(img[None, None], angle=90)[0, 0]
    np.testing.assert_array_equal(ccw, [[3, 6, 9],
                                        [2, 5, 8],
                                        [1, 4, 7]])        # the top row is now the left column
    cw = affine_transform(img[None, None], angle=-90)[0, 0]
    np.testing.assert_array_equal(cw, [[7, 4, 1],
                                       [8, 5, 2],
                                       [9, 6, 3]])
    np.testing.assert_array_equal(affine_transform(img[None, None], angle=180)[0, 0],
                                  img[::-1, ::-1])


def test_rotation_of_an_even_sized_image_and_several_channels():
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    out = affine_transform(x, angle=90)
    assert out.dtype == np.float32
    for n in range(2):
        for ch in range(3):
            np.testing.assert_array_equal(out[n, ch], np.rot90(x[n, ch]))


def test_zoom_hand_worked_and_keeps_the_shape():
    # zoom 2 about the centre (2, 2): output o reads source 2 + (o - 2) / 2, so the row
    # through the centre is [0, 0.5, 1, 0.5, 0] and the image is its outer product
    out = affine_transform(one_pixel(5, 5, 2, 2), zoom=2)
    row = np.array([0, 0.5, 1, 0.5, 0])
    assert out.shape == (1, 1, 5, 5)
    np.testing.assert_allclose(out[0, 0], np.outer(row, row))
    # zoom 0.5: output o reads 2 + 2 (o - 2); the border reads outside -> 0
    shrunk = affine_transform(np.ones((1, 1, 5, 5)), zoom=0.5)[0, 0]
    want = np.zeros((5, 5))
    want[1:4, 1:4] = 1
    np.testing.assert_array_equal(shrunk, want)


def test_each_image_gets_its_own_parameters():
    x = np.concatenate([one_pixel()] * 3)
    out = affine_transform(x, shift=[(0, 1), (1, 0), (0, 0)], angle=[0, 0, 90], zoom=[1, 1, 1])
    assert out[0, 0, 1, 2] == 1 and out[1, 0, 2, 1] == 1
    np.testing.assert_array_equal(out[2, 0], np.rot90(x[2, 0]))


def test_empty_batch():
    assert affine_transform(np.zeros((0, 1, 4, 4)), angle=10).shape == (0, 1, 4, 4)


# ---------------------------------------------------------------------------------------------
# random_*: ranges and determinism

def test_random_shift_gives_whole_pixel_shifts_within_the_range():
    rng = np.random.default_rng(1)
    x = rng.random((200, 2, 5, 5))
    out = random_shift(x, 1, rng=7)
    seen = set()
    for n in range(len(x)):
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if all(np.array_equal(out[n, ch], shifted_by_loops(x[n, ch], dy, dx))
                          for ch in range(2))]
        assert len(matches) == 1, n       # exactly one of the 9 shifts, both channels together
        seen.add(matches[0])
    assert len(seen) == 9                 # 200 draws: every shift appears


def test_same_seed_same_batch_other_seed_other_batch():
    x = np.random.default_rng(0).random((8, 1, 8, 8)).astype(np.float32)
    for f, arg in [(random_shift, 2), (random_rotation, 20), (random_zoom, 0.2)]:
        a, b, c = f(x, arg, rng=3), f(x, arg, rng=3), f(x, arg, rng=4)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c), f.__name__
        assert a.dtype == np.float32 and a.shape == x.shape
    np.testing.assert_array_equal(random_augment(x, 1, 10, 0.1, rng=5),
                                  random_augment(x, 1, 10, 0.1, rng=5))


def test_a_generator_moves_on_between_batches():
    x = np.ones((4, 1, 6, 6))
    rng = np.random.default_rng(0)
    assert not np.array_equal(random_rotation(x, 30, rng=rng), random_rotation(x, 30, rng=rng))


def test_random_rotation_and_zoom_draw_the_documented_numbers():
    x = np.random.default_rng(0).random((5, 1, 7, 7))
    angles = np.random.default_rng(11).uniform(-15, 15, size=5)
    np.testing.assert_array_equal(random_rotation(x, 15, rng=11), affine_transform(x, angle=angles))
    zooms = np.random.default_rng(12).uniform(0.9, 1.1, size=5)
    np.testing.assert_array_equal(random_zoom(x, 0.1, rng=12), affine_transform(x, zoom=zooms))
    assert np.all(np.abs(angles) <= 15) and np.all(np.abs(zooms - 1) <= 0.1)


def test_zero_ranges_change_nothing():
    x = np.random.default_rng(0).random((3, 2, 5, 6))
    for out in (random_shift(x, 0, rng=1), random_rotation(x, 0, rng=1), random_zoom(x, 0, rng=1),
                random_augment(x, rng=1)):
        np.testing.assert_array_equal(out, x)


def test_input_is_not_modified():
    x = np.random.default_rng(0).random((3, 1, 5, 5))
    before = x.copy()
    random_augment(x, 1, 30, 0.2, rng=0)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("call, error, message", [
    (lambda: affine_transform([[1.0]]), TypeError, "NumPy array"),
    (lambda: affine_transform(np.zeros((1, 1, 4, 4), np.uint8)), TypeError, "floating-point"),
    (lambda: affine_transform(np.zeros((4, 4))), ValueError, r"\(N, C, H, W\)"),
    (lambda: affine_transform(np.zeros((2, 1, 4, 4)), angle=[1, 2, 3]), ValueError, "angle"),
    (lambda: affine_transform(np.zeros((2, 1, 4, 4)), shift=(1, 2, 3)), ValueError, "shift"),
    (lambda: affine_transform(np.zeros((1, 1, 4, 4)), zoom=0), ValueError, "zoom"),
    (lambda: affine_transform(np.zeros((1, 1, 4, 4)), angle=np.nan), ValueError, "angle"),
    (lambda: affine_transform(np.zeros((1, 1, 4, 4)), angle="big"), TypeError, "angle"),
    (lambda: affine_transform(np.zeros((1, 1, 4, 4)), fill="x"), TypeError, "fill"),
    (lambda: random_shift(np.zeros((1, 1, 4, 4)), 1.5), TypeError, "max_shift"),
    (lambda: random_shift(np.zeros((1, 1, 4, 4)), -1), ValueError, "max_shift"),
    (lambda: random_shift(np.zeros((1, 1, 4, 4)), 4), ValueError, "max_shift"),
    (lambda: random_rotation(np.zeros((1, 1, 4, 4)), 200), ValueError, "max_degrees"),
    (lambda: random_zoom(np.zeros((1, 1, 4, 4)), 1.0), ValueError, "max_zoom"),
    (lambda: random_zoom(np.zeros((1, 1, 4, 4)), 0.1, rng="seed"), TypeError, "rng"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
