"""scikit-learn's bundled handwritten digits: a fixed, stratified split, optionally upsampled.

The 1,797 real handwritten digits (8x8, values 0..16) that ship inside scikit-learn
(``sklearn.datasets.load_digits``), so the course runs with no network.
"""

import functools
import importlib.util
from collections import namedtuple
from pathlib import Path

import numpy as np

from ._checks import check_int

__all__ = ["Digits", "load_digits"]

Digits = namedtuple("Digits", "x_train y_train x_val y_val x_test y_test")
Digits.__doc__ = ("The digits split: images float32 ``(N, 1, S, S)`` in [0, 1], "
                  "labels int64 ``(N,)``.")

#: Fraction of every class that goes to validation and to test; the rest is training data.
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
#: Largest ``image_size`` load_digits accepts (64x64 already holds 8x8 = 64 times the pixels).
MAX_IMAGE_SIZE = 64


def load_digits(image_size=8, seed=0):
    """Load scikit-learn's bundled handwritten digits with a fixed, stratified split.

    The 1,797 images of ``sklearn.datasets.load_digits`` (8x8 pixels, values 0..16, ten
    classes) are divided class by class: in every class, ``round(0.2 * n)`` images go to
    validation, as many to test, and the rest to training. With the class sizes of the bundled
    set (174..183 images per class) that makes exactly

        train 1,079 · validation 359 · test 359   (about 60 / 20 / 20 %)

    for every seed. The seed only chooses *which* images land in which split; each split is
    shuffled (classes mixed). The split depends only on the raw bit stream of NumPy's seeded
    PCG64 generator, which NumPy keeps identical across machines and versions.

    Inputs:
    - image_size: int, 8 <= image_size <= 64. 8 gives the original pixels; larger sizes (e.g.
      16 or 28, the size of MNIST) are upsampled bilinearly, pixel centres aligned as in PIL
      and OpenCV: smooth strokes, values stay in [0, 1]. The split is the same for every size.
    - seed: int >= 0, chooses the split.

    Returns a ``Digits`` named tuple ``(x_train, y_train, x_val, y_val, x_test, y_test)``:
    - x_*: float32 ``(N, 1, image_size, image_size)``, pixel values scaled to [0, 1].
    - y_*: int64 ``(N,)``, the digit 0..9.

    The arrays are fresh copies: changing them does not change what the next call returns.
    """
    check_int("image_size", image_size, low=8, high=MAX_IMAGE_SIZE)
    check_int("seed", seed, low=0)
    cached = _digits_split(int(image_size), int(seed))
    return Digits(*(a.copy() for a in cached))


@functools.lru_cache(maxsize=8)
def _digits_split(image_size, seed):
    """The split for one (image_size, seed), computed once per process; arrays read-only."""
    images, labels = _bundled_digits()
    if image_size != images.shape[-1]:
        images = _resize_bilinear(images, image_size)
    x = images[:, None, :, :].astype(np.float32)
    parts = []
    for idx in _stratified_split(labels, seed):
        parts += [x[idx], labels[idx]]
    for a in parts:
        a.setflags(write=False)  # a caller can't even reach these, but be sure
    return Digits(*parts)


@functools.lru_cache(maxsize=1)
def _bundled_digits():
    """scikit-learn's digits as float64 ``(1797, 8, 8)`` in [0, 1] and int64 labels ``(1797,)``."""
    raw = _read_bundled_digits_file()
    if raw is None:
        from sklearn.datasets import load_digits as sklearn_load_digits

        bunch = sklearn_load_digits()
        raw = np.column_stack([bunch.data, bunch.target])
    images = raw[:, :64].reshape(-1, 8, 8) / 16.0  # raw values are 0..16
    labels = raw[:, 64].astype(np.int64)
    return images, labels


def _read_bundled_digits_file():
    """The rows ``64 pixels, label`` of scikit-learn's ``datasets/data/digits.csv.gz``, or None.

    Read directly because importing ``sklearn.datasets`` takes 1-2 s, paid again by every kernel
    that grades or runs a notebook; None (then sklearn's own loader is used) if a scikit-learn
    release moves the file.
    """
    spec = importlib.util.find_spec("sklearn")   # finds the package without importing it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        return None
    raw = np.loadtxt(path, delimiter=",")
    return raw if raw.shape == (1797, 65) else None


def _stratified_split(labels, seed):
    """Split sample indices class by class into (train, val, test).

    Inputs:
    - labels: int array ``(N,)``.
    - seed: int >= 0.

    Returns three int64 index arrays that together hold every index exactly once. Per class of
    size n: ``round(VAL_FRACTION * n)`` validation, ``round(TEST_FRACTION * n)`` test (halves
    rounded up), the rest training. Each split is then shuffled, so classes are mixed in
    mini-batches even if the student forgets to shuffle.
    """
    bits = np.random.PCG64(seed)
    train, val, test = [], [], []
    for c in np.unique(labels):  # sorted: the classes are always visited in the same order
        idx = np.flatnonzero(labels == c)
        idx = idx[_shuffled_order(bits, len(idx))]
        n_val = int(np.floor(VAL_FRACTION * len(idx) + 0.5))
        n_test = int(np.floor(TEST_FRACTION * len(idx) + 0.5))
        test.append(idx[:n_test])
        val.append(idx[n_test:n_test + n_val])
        train.append(idx[n_test + n_val:])
    splits = [np.concatenate(part) for part in (train, val, test)]
    return tuple(s[_shuffled_order(bits, len(s))].astype(np.int64) for s in splits)


def _shuffled_order(bits, n):
    """A random permutation of ``range(n)`` drawn from the bit generator ``bits``.

    Why not ``Generator.permutation``: NumPy promises that a seeded bit generator's raw stream
    never changes between versions, but not that the algorithms of ``Generator`` methods stay
    the same. Sorting raw 64-bit draws relies only on that promise (a tie between two 64-bit
    draws is practically impossible, and a stable sort settles it the same way everywhere).
    """
    return np.argsort(bits.random_raw(n), kind="stable")


def _resize_bilinear(images, size):
    """Resize square images bilinearly.

    Inputs:
    - images: float ``(N, H, H)``.
    - size: int, the new side length.

    Returns float64 ``(N, size, size)``.

    Why bilinear and not nearest: 8 -> 28 is a factor of 3.5, so nearest neighbour would copy
    some source pixels 3 times and others 4, making strokes uneven; bilinear keeps strokes
    smooth and every output pixel a weighted average of source pixels, so values stay in
    [0, 1]. Output pixel centres are mapped onto source pixel centres (``src = (i + 0.5) * H /
    size - 0.5``, clamped at the border) — the convention of PIL and OpenCV — so the image is
    not shifted. Resizing is separable: ``A @ image @ A.T`` with a ``(size, H)`` weight matrix.
    """
    a = _bilinear_weights(images.shape[-1], size)
    return a @ images @ a.T


def _bilinear_weights(n_in, n_out):
    """``(n_out, n_in)`` matrix: row i holds the two linear-interpolation weights of output i."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    weights = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(weights, (rows, lo), 1.0 - frac)  # add.at: lo == hi at the border
    np.add.at(weights, (rows, hi), frac)
    return weights
