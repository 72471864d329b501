"""The lectures' worked numbers, in one place: the checks start their case ladders from them and
the widgets show them.

The arrays are read-only, so that a notebook cannot change what the checks compare against.
"""

import numpy as np

__all__ = [
    "WORKED_IMAGE", "WORKED_KERNEL", "POOL_EXAMPLE", "SOFTMAX_LOGITS", "CROSS_ENTROPY_PROBS",
    "AFFINE_X", "AFFINE_W", "AFFINE_DOUT", "CONV_DOUT",
]


def _constant(rows):
    array = np.array(rows, dtype=float)
    array.flags.writeable = False
    return array


#: 4x4 input of the product-sum example; with WORKED_KERNEL -> [[12, 14], [14, 10]].
WORKED_IMAGE = _constant([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]])
WORKED_KERNEL = _constant([[1, 0, 2], [0, 2, 0], [1, 1, -1]])
#: Second pooling example: 2x2 max pooling, stride 2 -> [[6, 8], [3, 4]].
POOL_EXAMPLE = _constant([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
#: softmax(2.0, 1.0, 0.1) = (0.659, 0.242, 0.099); with the answer 0 the loss is -log 0.659 = 0.417.
SOFTMAX_LOGITS = _constant([2.0, 1.0, 0.1])
#: Ten class probabilities of one image: -log 0.6 = 0.51 when the answer is 2, -log 0.1 = 2.30 when it is 0.
CROSS_ENTROPY_PROBS = _constant([0.1, 0.05, 0.6, 0.01, 0.05, 0.07, 0.01, 0.09, 0.01, 0.01])
#: Affine layer, N=2, D=3, M=2: x @ w = [[4, -1], [10, -1]]; backward with AFFINE_DOUT gives
#: dx = [[1, -1, 2], [2, 0, 2]], dw = [[9, -1], [12, -2], [15, -3]], db = [3, -1].
AFFINE_X = _constant([[1, 2, 3], [4, 5, 6]])
AFFINE_W = _constant([[1, 0], [0, 1], [1, -1]])
AFFINE_DOUT = _constant([[1, -1], [2, 0]])
#: Upstream gradient of the worked convolution's 2x2 output: dw[0, 0] = 2, dx[1, 1] = 1.
CONV_DOUT = _constant([[1.0, 2.0], [0.0, -1.0]])
