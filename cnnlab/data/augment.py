"""Data augmentation: random shifts, small rotations and zooms of a whole batch at once.

A shifted, slightly turned or slightly larger "3" is still a "3". Showing the network such
variants of the training images, a new random draw in every mini-batch, teaches it to ignore
them, which is what Keras's ``ImageDataGenerator(rotation_range=..., width_shift_range=...,
zoom_range=...)`` does. Everything here is one geometric idea, :func:`affine_transform`: each
output pixel ``o = (row, col)`` looks up where it came from in the input,

    source = centre + R(-angle) (o - centre - shift) / zoom,       centre = ((H-1)/2, (W-1)/2)

and interpolates bilinearly between the four input pixels around that point; points outside
the image read ``fill`` (0: black, the background of the digits). One vectorised lookup serves
the whole batch, each image with its own angle, shift and zoom. The ``random_*`` functions only
draw those numbers from a seeded generator, so a seed gives the same augmented batch every time.

Horizontal flips are deliberately missing: a mirrored "2" or "く" is not a character any more
(see course notebook 10).
"""

import numpy as np

from ..language import tr
from ._checks import check_int, check_number, make_rng

__all__ = ["affine_transform", "random_shift", "random_rotation", "random_zoom",
           "random_augment"]


def affine_transform(x, angle=0.0, shift=(0.0, 0.0), zoom=1.0, fill=0.0):
    """Rotate, zoom and shift every image of a batch about its centre (bilinear).

    Inputs:
    - x: float array ``(N, C, H, W)``; all channels of an image move together.
    - angle: degrees, counter-clockwise as seen on screen; a number or one per image ``(N,)``.
    - shift: ``(dy, dx)`` pixels, applied after rotating and zooming: the content moves down by
      dy and right by dx; ``(2,)`` or one pair per image ``(N, 2)``.
    - zoom: size factor > 0 (2: twice as large, 0.5: half); a number or ``(N,)``.
    - fill: value of the pixels that come from outside the image.

    Returns an array of the shape and dtype of ``x``.

    Worked example: a 4x4 image with a 1 at (row 1, col 1) and shift ``(0, 1)`` has its 1 at
    (1, 2); ``angle=90`` turns ``[[1, 2], [3, 4]]`` into ``[[2, 4], [1, 3]]`` (``np.rot90``).
    """
    x = _check_batch(x)
    N, _, H, W = x.shape
    angle = _per_image("angle", angle, N, ())
    zoom = _per_image("zoom", zoom, N, ())
    shift = _per_image("shift", shift, N, (2,))
    if np.any(zoom <= 0):
        raise ValueError(tr(ja=f"zoom は 0 より大きい倍率です（最小 {zoom.min()}）。",
                            en=f"zoom must be a factor > 0, got {zoom.min()}."))
    fill = check_number("fill", fill, -np.inf, np.inf)

    cy, cx = (H - 1) / 2, (W - 1) / 2
    rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")      # (H, W)
    theta = np.deg2rad(angle)[:, None, None]                                  # (N, 1, 1)
    dr = (rows - cy - shift[:, 0, None, None]) / zoom[:, None, None]          # (N, H, W)
    dc = (cols - cx - shift[:, 1, None, None]) / zoom[:, None, None]
    src_r = cy + np.cos(theta) * dr + np.sin(theta) * dc                      # R(-angle)
    src_c = cx - np.sin(theta) * dr + np.cos(theta) * dc
    # cos(90 deg) is 6e-17, not 0: rounding makes whole-pixel moves land exactly on pixels
    src_r, src_c = np.round(src_r, 9), np.round(src_c, 9)
    return _bilinear_sample(x, src_r, src_c, fill)


def _bilinear_sample(x, src_r, src_c, fill):
    """``out[n, :, i, j]`` = x[n] interpolated at (src_r[n, i, j], src_c[n, i, j]).

    Each output pixel is the weighted sum of the 4 input pixels around its source point,
    weights ``(1 - fr)(1 - fc), (1 - fr) fc, fr (1 - fc), fr fc`` for the fractional parts
    fr, fc; a neighbour outside the image counts as ``fill``.
    """
    N, C, H, W = x.shape
    r0, c0 = np.floor(src_r).astype(np.int64), np.floor(src_c).astype(np.int64)
    fr, fc = src_r - r0, src_c - c0
    channels_last = x.transpose(0, 2, 3, 1)                     # (N, H, W, C): gather pixels
    n = np.arange(N)[:, None, None]
    out = np.zeros((N, H, W, C))
    for dr, weight_r in ((0, 1 - fr), (1, fr)):
        for dc, weight_c in ((0, 1 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
            value = channels_last[n, np.clip(r, 0, H - 1), np.clip(c, 0, W - 1)]
            value = np.where(inside[..., None], value, fill)
            out += (weight_r * weight_c)[..., None] * value
    return out.transpose(0, 3, 1, 2).astype(x.dtype)


def random_shift(x, max_shift, rng=None, fill=0.0):
    """Shift each image by its own whole number of pixels, dy and dx in [-max_shift, max_shift].

    Inputs: x float ``(N, C, H, W)``; max_shift int >= 0, smaller than H and W; rng None, an
    int seed or a ``np.random.Generator``; fill as in :func:`affine_transform`.
    Returns the shifted batch, same shape and dtype. Whole pixels: no blur. The shifts are
    ``rng.integers(-max_shift, max_shift + 1, size=(N, 2))``.
    """
    x = _check_batch(x)
    max_shift = check_int("max_shift", max_shift, 0, min(x.shape[2:]) - 1)
    shifts = make_rng(rng).integers(-max_shift, max_shift + 1, size=(len(x), 2))
    return affine_transform(x, shift=shifts, fill=fill)


def random_rotation(x, max_degrees, rng=None, fill=0.0):
    """Rotate each image about its centre by its own angle, uniform in [-max_degrees, max_degrees].

    Inputs: x float ``(N, C, H, W)``; max_degrees number in [0, 180]; rng, fill as in
    :func:`random_shift`. The angles are ``rng.uniform(-max_degrees, max_degrees, size=N)``.
    """
    x = _check_batch(x)
    max_degrees = check_number("max_degrees", max_degrees, 0, 180)
    angles = make_rng(rng).uniform(-max_degrees, max_degrees, size=len(x))
    return affine_transform(x, angle=angles, fill=fill)


def random_zoom(x, max_zoom, rng=None, fill=0.0):
    """Zoom each image about its centre by its own factor, uniform in [1 - max_zoom, 1 + max_zoom].

    Inputs: x float ``(N, C, H, W)``; max_zoom number in [0, 1); rng, fill as in
    :func:`random_shift`. The shape is kept: zooming in crops the border, zooming out adds
    ``fill`` around. The factors are ``rng.uniform(1 - max_zoom, 1 + max_zoom, size=N)``.
    """
    x = _check_batch(x)
    max_zoom = check_number("max_zoom", max_zoom, 0, 0.999)
    zooms = make_rng(rng).uniform(1 - max_zoom, 1 + max_zoom, size=len(x))
    return affine_transform(x, zoom=zooms, fill=fill)


def random_augment(x, max_shift=0, max_degrees=0.0, max_zoom=0.0, rng=None, fill=0.0):
    """Random rotation, zoom and whole-pixel shift together, in one interpolation.

    One lookup instead of three in a row blurs the image once, not three times. The numbers
    are drawn in this order: angles ``uniform(-max_degrees, max_degrees, N)``, zooms
    ``uniform(1 - max_zoom, 1 + max_zoom, N)``, shifts ``integers(-max_shift, max_shift + 1,
    (N, 2))``. Arguments as in the single ``random_*`` functions.
    """
    x = _check_batch(x)
    max_shift = check_int("max_shift", max_shift, 0, min(x.shape[2:]) - 1)
    max_degrees = check_number("max_degrees", max_degrees, 0, 180)
    max_zoom = check_number("max_zoom", max_zoom, 0, 0.999)
    rng = make_rng(rng)
    angles = rng.uniform(-max_degrees, max_degrees, size=len(x))
    zooms = rng.uniform(1 - max_zoom, 1 + max_zoom, size=len(x))
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
    return affine_transform(x, angle=angles, shift=shifts, zoom=zooms, fill=fill)


def _check_batch(x):
    """``x`` must be a float ndarray ``(N, C, H, W)``."""
    if not isinstance(x, np.ndarray):
        raise TypeError(tr(
            ja=f"x は形状 (N, C, H, W) の NumPy 配列です（{type(x).__name__} が渡されました）。",
            en=f"x must be a NumPy array of shape (N, C, H, W), got {type(x).__name__}."))
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(tr(
            ja=f"x は浮動小数点の配列です（dtype {x.dtype}）。uint8 の画像なら "
               f"x.astype(np.float32) / 255 で [0, 1] にしてください。",
            en=f"x must be a floating-point array, got dtype {x.dtype}. For uint8 images use "
               f"x.astype(np.float32) / 255 to get values in [0, 1]."))
    if x.ndim != 4:
        raise ValueError(tr(
            ja=f"x の形状は (N, C, H, W) の 4 次元です（{x.shape} が渡されました）。"
               f"1 枚なら x[None] で (1, C, H, W) にします。",
            en=f"x must have shape (N, C, H, W), 4 axes, got {x.shape}. For one image use "
               f"x[None] to get (1, C, H, W)."))
    return x


def _per_image(name, value, n, shape):
    """``value`` as float64 ``(n, *shape)``: one value for every image, or one per image."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(tr(ja=f"{name} は数値か数値の配列です（{value!r}）。",
                           en=f"{name} must be a number or an array of numbers, got {value!r}."
                           )) from err
    if array.shape == shape:
        array = np.broadcast_to(array, (n, *shape))
    if array.shape != (n, *shape):
        raise ValueError(tr(
            ja=f"{name} の形状は {shape} か、画像ごとに {(n, *shape)} です（{array.shape}）。",
            en=f"{name} must have shape {shape} or one per image {(n, *shape)}, "
               f"got {array.shape}."))
    if not np.all(np.isfinite(array)):
        raise ValueError(tr(ja=f"{name} に有限でない値（nan か inf）があります。",
                            en=f"{name} holds a value that is not finite (nan or inf)."))
    return array
