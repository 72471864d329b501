"""Inputs the lectures show besides the worked numbers of ``cnnlab.examples``: a real digit and
a two-channel example built from the worked example.
"""

import functools

import numpy as np

from ..examples import WORKED_IMAGE, WORKED_KERNEL
from ..language import tr
from .core import check_int


def digit_image(index=0):
    """A real handwritten digit from scikit-learn's bundled set (no network).

    Returns a float array ``(8, 8)`` with values 0 (paper) to 16 (ink).
    """
    images = _digit_images()
    index = check_int(index, "index", 0)
    if index >= len(images):
        raise ValueError(tr(ja=f"index は 0 から {len(images) - 1} の整数にしてください（{index}）",
                            en=f"index must be in 0..{len(images) - 1}, got {index}"))
    return images[index].astype(float)


@functools.lru_cache(maxsize=1)
def _digit_images():
    from ..data import _bundled_digits

    images = _bundled_digits()[0] * 16.0       # back to the raw 0..16 scale
    images.flags.writeable = False             # shared by every call
    return images


def multichannel_example():
    """A two-channel example: ``image (2, 4, 4)``, ``kernel (2, 3, 3)``, ``bias`` (float).

    Channel 0 is the worked example (-> [[12, 14], [14, 10]]); channel 1 is a checkerboard seen
    through a diagonal kernel (-> [[0, 3], [3, 0]]). Summed: [[12, 17], [17, 10]]; with the bias
    -13: [[-1, 4], [4, -3]]; after ReLU: [[0, 4], [4, 0]].
    """
    checker = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], dtype=float)
    image = np.stack([WORKED_IMAGE, checker])
    kernel = np.stack([WORKED_KERNEL, np.eye(3)])
    return image, kernel, -13.0
