"""Interactive widgets for the lectures: watch a filter slide, see sizes, pooling, softmax, features.

Every widget is built by a function and displays itself in Jupyter (its root ipywidget is
``.widget``). Its state lives in plain attributes that are ipywidgets (``w.position.value = 3``);
each change recomputes the HTML through ``update()``. Grids are drawn as HTML tables and SVG, not
matplotlib figures, so one frame costs a few milliseconds of Python time.

==========================================  ==================================================
``filter_sliding(image, kernel, ...)``      the kernel window sliding over the input, the
                                            product-sum written out, the output filling in;
                                            optionally a student's function checked cell by cell
``padding_stride_explorer(size, ...)``      ``OH = (H + 2P - K) // S + 1`` filled in, drawn
``pooling_viewer(image, ...)``              max / average pooling, the maxima highlighted,
                                            a one-pixel shift of the input
``softmax_explorer(logits, ...)``           logits on sliders -> probabilities, cross-entropy
``feature_maps(network, images)``           each layer's output channels for a chosen image
==========================================  ==================================================

Conventions as in the course: "convolution" is cross-correlation (the kernel is not flipped),
zero padding, ``OH = (H + 2*pad - KH) // stride + 1``.
"""

import base64
import functools
import html
import io
import math

import ipywidgets as widgets
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .examples import POOL_EXAMPLE, WORKED_IMAGE, WORKED_KERNEL
from .language import tr

__all__ = [
    "WORKED_IMAGE", "WORKED_KERNEL", "POOL_EXAMPLE",
    "digit_image", "multichannel_example",
    "filter_sliding", "FilterSliding",
    "padding_stride_explorer", "PaddingStrideExplorer",
    "pooling_viewer", "PoolingViewer",
    "softmax_explorer", "SoftmaxExplorer",
    "feature_maps", "FeatureMapViewer",
]

# ----------------------------------------------------------------------------------------------
# Worked examples: the lecture's numbers live in cnnlab.examples (the checks use them too).


def digit_image(index=0):
    """A real handwritten digit from scikit-learn's bundled set (no network).

    Returns a float array ``(8, 8)`` with values 0 (paper) to 16 (ink).
    """
    images = _digit_images()
    index = _check_int(index, "index", 0)
    if index >= len(images):
        raise ValueError(tr(ja=f"index は 0 から {len(images) - 1} の整数にしてください（{index}）",
                            en=f"index must be in 0..{len(images) - 1}, got {index}"))
    return images[index].astype(float)


@functools.lru_cache(maxsize=1)
def _digit_images():
    from .data import _bundled_digits

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


# ----------------------------------------------------------------------------------------------
# Input checks and small helpers

def _check_int(value, name, minimum):
    """``value`` must be an int (not bool) and at least ``minimum``; returns it as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(tr(ja=f"{name} は整数にしてください（{type(value).__name__} が渡されました）",
                           en=f"{name} must be an int, got {type(value).__name__}"))
    if value < minimum:
        raise ValueError(tr(ja=f"{name} は {minimum} 以上にしてください（{value} が渡されました）",
                            en=f"{name} must be >= {minimum}, got {value}"))
    return int(value)


def _check_number(value, name):
    """``value`` must be a finite real number; returns it as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(tr(ja=f"{name} は数値にしてください（{type(value).__name__} が渡されました）",
                           en=f"{name} must be a number, got {type(value).__name__}"))
    if not np.isfinite(value):
        raise ValueError(tr(ja=f"{name} は有限の数にしてください（{value}）",
                            en=f"{name} must be finite, got {value}"))
    return float(value)


def _real_array(x, name, ndims, shape_text):
    """``x`` as a float64 copy; it must hold finite real numbers and have one of ``ndims`` axes."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(tr(ja=f"{name} は形状 {shape_text} の数値配列にしてください（{type(x).__name__}）",
                           en=f"{name} must be an array of numbers of shape {shape_text}, "
                              f"got {type(x).__name__}"))
    try:
        arr = np.asarray(x)
    except ValueError as err:   # ragged nested lists
        raise ValueError(tr(ja=f"{name} の行の長さがそろっていません: {err}",
                            en=f"{name} has rows of different lengths: {err}")) from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer)
                                 or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(tr(ja=f"{name} は実数の配列にしてください（dtype {arr.dtype}）",
                           en=f"{name} must hold real numbers, got dtype {arr.dtype}"))
    if arr.ndim not in ndims:
        raise ValueError(tr(ja=f"{name} の形状は {shape_text} のはずですが {arr.shape} でした",
                            en=f"{name} must have shape {shape_text}, got {arr.shape}"))
    if arr.size == 0:
        raise ValueError(tr(ja=f"{name} が空です（形状 {arr.shape}）",
                            en=f"{name} is empty (shape {arr.shape})"))
    if not np.all(np.isfinite(arr)):
        raise ValueError(tr(ja=f"{name} に NaN か無限大が含まれています",
                            en=f"{name} contains NaN or infinity"))
    return arr.astype(float)   # a copy: the caller's array is never touched


def _fmt(value):
    """A number as the lecture writes it: ``12``, ``0.5``, ``−1`` (3 decimals at most)."""
    value = round(float(value), 3)
    if value == 0:
        return "0"          # also turns -0.0 into 0
    if value == int(value) and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.replace("-", "\u2212")


def _term(value):
    """A factor in a product: negatives in parentheses, ``2×(−1)``."""
    text = _fmt(value)
    return f"({text})" if text.startswith("\u2212") else text


def _gray(t, darkest):
    """Background colour for ``t`` in [0, 1]: white at 0, gray level ``darkest`` at 1."""
    g = int(round(255 - (255 - darkest) * t))
    return f"background:rgb({g},{g},{g})"


def _unit_range(values):
    """Map ``values`` linearly onto [0, 1] (all 0 when they are all equal)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo < 1e-12:
        return np.zeros_like(values, dtype=float)
    return (values - lo) / (hi - lo)


def _cross_correlate(padded, kernel, stride):
    """Multi-channel cross-correlation summed over channels (no bias).

    padded ``(C, Hp, Wp)``, kernel ``(C, KH, KW)`` -> ``(OH, OW)``, ``OH = (Hp - KH) // stride + 1``.
    """
    windows = sliding_window_view(padded, kernel.shape[1:], axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("cijkl,ckl->ij", windows, kernel)


def _sigmoid(x):
    # exp(-logaddexp(0, -x)) = 1 / (1 + exp(-x)) without overflow for large |x|.
    return np.exp(-np.logaddexp(0.0, -x))


_ACTIVATIONS = {"none": None, "relu": ("ReLU", lambda x: np.maximum(x, 0.0)),
                "sigmoid": ("sigmoid", _sigmoid)}

_CSS = """<style>
.cnnlab-input-grid, .cnnlab-output-map, .cnnlab-student-map, .cnnlab-kernel, .cnnlab-products,
.cnnlab-pool-input, .cnnlab-pool-output, .cnnlab-pool-original
  {border-collapse:collapse; margin:2px 10px 4px 0; font-family:monospace; font-size:12px}
.cnnlab-input-grid td, .cnnlab-output-map td, .cnnlab-student-map td, .cnnlab-kernel td,
.cnnlab-products td, .cnnlab-pool-input td, .cnnlab-pool-output td, .cnnlab-pool-original td
  {border:1px solid #bbb; width:2.4em; height:1.9em; padding:0; text-align:center; color:#000}
table[data-compact] td {width:9px; height:9px; font-size:0; border-color:#eee}
.cnnlab-input-grid td.pad {background:repeating-linear-gradient(45deg,#fff,#fff 3px,#e3e3e3 3px,#e3e3e3 6px);
  color:#999; border-style:dashed}
.cnnlab-input-grid td.window {box-shadow:inset 0 0 0 2px #e8710a; font-weight:bold}
table[data-compact].cnnlab-input-grid td.window {box-shadow:inset 0 0 0 9px rgba(232,113,10,0.6)}
.cnnlab-output-map td.filled, .cnnlab-student-map td.filled {background:#e6f4ea}
.cnnlab-student-map td.wrong {background:#fbd3d0; color:#a50e0e; font-weight:bold}
.cnnlab-output-map td.current, .cnnlab-student-map td.current {box-shadow:inset 0 0 0 2px #e8710a}
.cnnlab-products td {background:#fef7e0}
.cnnlab-kernel td {background:#e8f0fe}
.cnnlab-pool-input td.argmax {box-shadow:inset 0 0 0 2px #d93025; font-weight:bold}
.cnnlab-pool-input td.unused {color:#aaa;
  background:repeating-linear-gradient(45deg,#fff,#fff 3px,#eee 3px,#eee 6px)}
.cnnlab-pool-output td.changed {background:#fbd3d0}
.cnnlab-box {display:inline-block; vertical-align:top; margin-right:14px}
.cnnlab-caption {font-size:12px; color:#444; margin-top:4px}
.cnnlab-product-sum, .cnnlab-formula, .cnnlab-ce {font-family:monospace; font-size:13px;
  margin:6px 0; line-height:1.6}
.cnnlab-message {color:#a50e0e; margin:4px 0}
.cnnlab-note {color:#8a4b00; margin:4px 0}
.cnnlab-prob-row {display:flex; align-items:center; font-family:monospace; font-size:13px; margin:2px 0}
.cnnlab-prob-row .name {width:6em}
.cnnlab-prob-track {width:260px; height:14px; background:#eee; margin-right:8px}
.cnnlab-prob-bar {height:14px; background:#1a73e8}
.cnnlab-prob-row.label .cnnlab-prob-bar {background:#e8710a}
.cnnlab-layer {display:inline-block; vertical-align:top; margin:4px 12px 8px 0}
.cnnlab-maps {image-rendering:pixelated; border:1px solid #ccc}
</style>"""


class _Displayable:
    """Shows ``self.widget`` (the root ipywidget) when the object is the value of a cell."""

    widget = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _style_widget():
    return widgets.HTML(_CSS)


def _table(css_class, rows, compact=False):
    """``<table class="css_class">`` from row strings of ``<td>`` cells."""
    attr = " data-compact" if compact else ""
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f'<table class="{css_class}"{attr}>{body}</table>'


def _box(content, caption):
    return f'<div class="cnnlab-box"><div class="cnnlab-caption">{caption}</div>{content}</div>'


# ----------------------------------------------------------------------------------------------
# 1. Filter sliding

def _preset_kernels(channels):
    """The 3x3 preset kernels, the same kernel on every channel: ``{key: (C, 3, 3)}``."""
    base = {
        "edge": np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float),   # vertical edges
        "blur": np.full((3, 3), 1 / 9),
        "diagonal": np.array([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]], dtype=float),  # "\" lines
    }
    return {key: np.repeat(k[None], channels, axis=0) for key, k in base.items()}


def _kernel_to_text(kernel):
    """``(C, KH, KW)`` -> rows of numbers, channels separated by a blank line."""
    return "\n\n".join("\n".join(" ".join(_fmt(v).replace("\u2212", "-") for v in row)
                                 for row in channel) for channel in kernel)


def _parse_kernel(text, channels):
    """Text written like ``_kernel_to_text`` -> ``(channels, KH, KW)``; ValueError when malformed."""
    blocks = [b for b in text.replace(";", "\n").split("\n\n") if b.strip()]
    if len(blocks) != channels:
        raise ValueError(tr(
            ja=f"カーネルは {channels} チャンネル分（空行で区切る）が必要ですが {len(blocks)} 個でした",
            en=f"the kernel needs {channels} channel(s) separated by blank lines, got {len(blocks)}"))
    parsed = []
    for block in blocks:
        rows = [line.replace(",", " ").split() for line in block.splitlines() if line.strip()]
        try:
            parsed.append(np.array([[float(v) for v in row] for row in rows]))
        except ValueError:
            raise ValueError(tr(ja="カーネルには数値だけを書いてください（例: 1 0 -1）",
                                en="write only numbers in the kernel (e.g. 1 0 -1)")) from None
        if len({len(r) for r in rows}) != 1:
            raise ValueError(tr(ja="カーネルの各行は同じ個数の数にしてください",
                                en="every kernel row must have the same number of values"))
    if len({p.shape for p in parsed}) != 1:
        raise ValueError(tr(ja="すべてのチャンネルのカーネルを同じ形にしてください",
                            en="every channel's kernel must have the same shape"))
    kernel = np.stack(parsed)
    if not np.all(np.isfinite(kernel)):
        raise ValueError(tr(ja="カーネルに NaN か無限大が含まれています",
                            en="the kernel contains NaN or infinity"))
    return kernel


def filter_sliding(image=None, kernel=None, *, stride=1, pad=0, bias=0.0, activation=None,
                   student_fn=None):
    """Watch a kernel slide over an image: window, products, product-sum, output map.

    image: ``(H, W)`` or ``(C, H, W)`` numbers; default the worked example 4x4 input.
    kernel: ``(KH, KW)`` for a 2-D image, ``(C, KH, KW)`` for a ``(C, H, W)`` image; default the
        worked example 3x3 kernel (the same on every channel). A kernel passed in is offered as
        the "given kernel" preset (key ``"learned"``) next to edge, blur, diagonal and custom.
    stride (int >= 1), pad (int >= 0), bias (number), activation (None, "relu" or "sigmoid").
    student_fn: optional student function checked against the right answer, cell by cell.
        For a 2-D image it is called like ``conv2d_single(image, kernel)`` on the padded image
        (valid cross-correlation, ``(Hp-KH+1, Wp-KW+1)``); for a ``(C, H, W)`` image like
        ``conv2d_multi(image, kernels, bias)`` with ``kernels (1, C, KH, KW)`` and ``bias (1,)``,
        returning ``(1, OH', OW')``. Stride is applied by taking every stride-th cell, then the
        activation is applied, so the student's cells compare with the output map.

    Returns a :class:`FilterSliding` (it displays itself in Jupyter).
    """
    return FilterSliding(image, kernel, stride=stride, pad=pad, bias=bias, activation=activation,
                         student_fn=student_fn)


class FilterSliding(_Displayable):
    """The filter-sliding widget; see :func:`filter_sliding` for the arguments.

    Widgets (set ``.value`` to drive it): ``position`` (IntSlider, CSS class
    ``cnnlab-position``), ``play`` (Play, linked to ``position`` in the browser), ``stride``,
    ``pad``, ``preset``, ``kernel_text`` (editable for the custom preset), ``bias``,
    ``activation``. Results: ``output (OH, OW)`` (None when the kernel does not fit),
    ``student_output``, ``mismatch`` (bool ``(OH, OW)``), ``student_error`` (text or None),
    ``window`` ``(top, left, KH, KW)`` in padded coordinates.
    HTML: ``view.value`` holds ``table.cnnlab-input-grid`` (one per channel, padding cells
    ``td.pad``, window cells ``td.window``), ``.cnnlab-product-sum`` and
    ``table.cnnlab-output-map`` (``td.filled``, ``td.current``); with a student function also
    ``table.cnnlab-student-map`` (``td.wrong``).
    """

    def __init__(self, image=None, kernel=None, *, stride=1, pad=0, bias=0.0, activation=None,
                 student_fn=None):
        image = WORKED_IMAGE if image is None else image
        img = _real_array(image, "image", (2, 3), "(H, W) / (C, H, W)")
        self._single = img.ndim == 2
        self.image = img[None] if self._single else img          # (C, H, W)
        C, H, W = self.image.shape
        learned = kernel is not None
        if kernel is None:
            k = np.repeat(WORKED_KERNEL[None], C, axis=0)
        else:
            want = "(KH, KW)" if C == 1 else f"({C}, KH, KW)"
            k = _real_array(kernel, "kernel", (2, 3), want)
            if k.ndim == 2 and C > 1:
                raise ValueError(tr(
                    ja=f"画像が {C} チャンネルなので kernel は形状 ({C}, KH, KW) にしてください（{k.shape}）",
                    en=f"the image has {C} channels, so kernel must have shape ({C}, KH, KW), "
                       f"got {k.shape}"))
            k = k[None] if k.ndim == 2 else k
            if k.shape[0] != C:
                raise ValueError(tr(
                    ja=f"kernel のチャンネル数 {k.shape[0]} が画像のチャンネル数 {C} と違います",
                    en=f"kernel has {k.shape[0]} channels but the image has {C}"))
        stride = _check_int(stride, "stride", 1)
        pad = _check_int(pad, "pad", 0)
        bias = _check_number(bias, "bias")
        activation = "none" if activation is None else activation
        if activation not in _ACTIVATIONS:
            raise ValueError(tr(ja=f"activation は None, 'relu', 'sigmoid' のどれかです（{activation!r}）",
                                en=f"activation must be None, 'relu' or 'sigmoid', got {activation!r}"))
        if student_fn is not None and not callable(student_fn):
            raise TypeError(tr(ja=f"student_fn は関数にしてください（{type(student_fn).__name__}）",
                               en=f"student_fn must be a function, got {type(student_fn).__name__}"))
        if k.shape[1] > H + 2 * pad or k.shape[2] > W + 2 * pad:
            raise ValueError(tr(
                ja=f"カーネル {k.shape[1:]} がパディング後の入力 ({H + 2 * pad}, {W + 2 * pad}) に入りません",
                en=f"kernel {k.shape[1:]} does not fit the padded input ({H + 2 * pad}, {W + 2 * pad})"))
        self.student_fn = student_fn
        self.kernel = k
        self._presets = _preset_kernels(C)
        self._presets["learned" if learned else "example"] = k

        self.position = widgets.IntSlider(value=0, min=0, max=0, description=tr(ja="位置", en="position"),
                                          continuous_update=True)
        self.position.add_class("cnnlab-position")
        self.play = widgets.Play(value=0, min=0, max=0, interval=700, show_repeat=False,
                                 description=tr(ja="再生", en="play"))
        # Linked in the browser: playing stays smooth and each step reaches Python as a slider move.
        self._play_link = widgets.jslink((self.play, "value"), (self.position, "value"))
        self.stride = widgets.IntSlider(value=stride, min=1, max=max(3, stride),
                                        description=tr(ja="ストライド", en="stride"))
        self.pad = widgets.IntSlider(value=pad, min=0, max=max(2, pad),
                                     description=tr(ja="パディング", en="padding"))
        first = ("learned", tr(ja="渡したカーネル", en="given kernel")) if learned \
            else ("example", tr(ja="講義の例", en="worked example"))
        self.preset = widgets.Dropdown(
            options=[(first[1], first[0]),
                     (tr(ja="縦のエッジ", en="edge (vertical)"), "edge"),
                     (tr(ja="ぼかし", en="blur"), "blur"),
                     (tr(ja="斜めの線 ＼", en="diagonal line ＼"), "diagonal"),
                     (tr(ja="自分で入力", en="custom (edit below)"), "custom")],
            value=first[0], description=tr(ja="カーネル", en="kernel"))
        self.kernel_text = widgets.Textarea(value=_kernel_to_text(k), disabled=True,
                                            continuous_update=False,
                                            placeholder="1 0 -1\n1 0 -1\n1 0 -1",
                                            layout=widgets.Layout(width="16em", height="7em"))
        self.bias = widgets.FloatText(value=bias, description=tr(ja="バイアス", en="bias"),
                                      layout=widgets.Layout(width="14em"))
        self.activation = widgets.Dropdown(
            options=[(tr(ja="なし", en="none"), "none"), ("ReLU", "relu"), ("sigmoid", "sigmoid")],
            value=activation, description=tr(ja="活性化関数", en="activation"))
        self.view = widgets.HTML()
        self.message = widgets.HTML()
        self.widget = widgets.VBox([
            _style_widget(),
            widgets.HBox([self.play, self.position]),
            widgets.HBox([self.stride, self.pad]),
            widgets.HBox([self.bias, self.activation]),
            widgets.HBox([self.preset, self.kernel_text]),
            self.view, self.message])

        self._quiet = False     # True while we move slider limits ourselves
        self.position.observe(lambda change: self._quiet or self.update(), "value")
        for control in (self.stride, self.pad, self.bias, self.activation):
            control.observe(lambda change: self._quiet or self.reconfigure(), "value")
        self.preset.observe(self._on_preset, "value")
        self.kernel_text.observe(self._on_kernel_text, "value")
        self.reconfigure()

    # -- state changes ------------------------------------------------------------------------

    def _on_preset(self, change):
        key = change["new"]
        self.kernel_text.disabled = key != "custom"
        if key != "custom":
            self.kernel = self._presets[key]
            self._quiet = True
            self.kernel_text.value = _kernel_to_text(self.kernel)
            self._quiet = False
            self.reconfigure()

    def _on_kernel_text(self, change):
        if self._quiet or self.preset.value != "custom":
            return
        try:
            self.kernel = _parse_kernel(change["new"], self.image.shape[0])
        except ValueError as err:
            self.message.value = f'<div class="cnnlab-message">{html.escape(str(err))}</div>'
            return
        self.reconfigure()

    def reconfigure(self):
        """Recompute everything that depends on stride, padding, kernel, bias and activation."""
        P, S = self.pad.value, self.stride.value
        C, KH, KW = self.kernel.shape
        self.padded = np.pad(self.image, ((0, 0), (P, P), (P, P)))
        Hp, Wp = self.padded.shape[1:]
        self.output = self.student_output = self.mismatch = self.student_error = None
        self._problem = None
        if KH > Hp or KW > Wp:
            self._problem = tr(
                ja=f"カーネル ({KH}, {KW}) がパディング後の入力 ({Hp}, {Wp}) より大きく、窓が入りません。"
                   f"パディングを増やすかカーネルを小さくしてください。",
                en=f"The kernel ({KH}, {KW}) is larger than the padded input ({Hp}, {Wp}): the window "
                   f"does not fit. Add padding or use a smaller kernel.")
            n = 1
        else:
            raw = _cross_correlate(self.padded, self.kernel, S)
            self.output = self._activate(raw + self.bias.value)
            n = self.output.size
            if self.student_fn is not None:
                self._check_student()
        self._quiet = True
        self.position.max = self.play.max = n - 1   # clamps value; the update below redraws
        self._quiet = False
        self._prepare_cells()
        self.message.value = "" if self._problem is None else \
            f'<div class="cnnlab-message">{html.escape(self._problem)}</div>'
        if self.student_error is not None:
            self.message.value += f'<div class="cnnlab-message">{html.escape(self.student_error)}</div>'
        self.update()

    def _activate(self, z):
        act = _ACTIVATIONS[self.activation.value]
        return z if act is None else act[1](z)

    def _check_student(self):
        """Run the student's function once per configuration; never let it raise."""
        S = self.stride.value
        C, KH, KW = self.kernel.shape
        Hp, Wp = self.padded.shape[1:]
        full = (Hp - KH + 1, Wp - KW + 1)       # what a stride-1 valid correlation returns
        try:
            if self._single:
                got = self.student_fn(self.padded[0].copy(), self.kernel[0].copy())
                want_shape = full
            else:
                got = self.student_fn(self.padded.copy(), self.kernel[None].copy(),
                                      np.array([self.bias.value]))
                want_shape = (1,) + full
        except Exception as err:   # any student error becomes a message in the widget
            self.student_error = tr(ja=f"あなたの関数がエラーを出しました: {type(err).__name__}: {err}",
                                    en=f"Your function raised {type(err).__name__}: {err}")
            return
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            self.student_error = tr(
                ja=f"あなたの関数は数値の配列ではなく {type(got).__name__} を返しました",
                en=f"Your function returned {type(got).__name__}, not an array of numbers")
            return
        if got.shape != want_shape:
            self.student_error = tr(
                ja=f"あなたの関数の出力の形状は {want_shape} のはずですが {got.shape} でした",
                en=f"Your function should return shape {want_shape}, but returned {got.shape}")
            return
        got = got.reshape(full)[::S, ::S]
        if self._single:
            got = got + self.bias.value     # conv2d_single has no bias; conv2d_multi added it
        self.student_output = self._activate(got)
        scale = max(1.0, float(np.max(np.abs(self.output))))
        self.mismatch = ~np.isclose(self.student_output, self.output, rtol=1e-4, atol=1e-6 * scale)

    def _prepare_cells(self):
        """Per-configuration HTML pieces, so a frame only assembles strings."""
        P = self.pad.value
        C, Hp, Wp = self.padded.shape
        H, W = self.image.shape[1:]
        self._compact_in = Wp > 12
        shade = _unit_range(self.image)
        darkest = 0 if self._compact_in else 150
        self._in_cells = []      # [c][r][col] -> (class, style, text)
        for c in range(C):
            rows = []
            for r in range(Hp):
                row = []
                for col in range(Wp):
                    if P <= r < P + H and P <= col < P + W:
                        v = self.image[c, r - P, col - P]
                        row.append(("", _gray(shade[c, r - P, col - P], darkest),
                                    "" if self._compact_in else _fmt(v)))
                    else:
                        row.append(("pad", "", "" if self._compact_in else "0"))
                rows.append(row)
            self._in_cells.append(rows)
        self._in_rows_plain = [[self._input_row(c, r, -1, -1) for r in range(Hp)] for c in range(C)]
        if self.output is None:
            return
        OH, OW = self.output.shape
        self._compact_out = OW > 12
        out_shade = _unit_range(self.output)
        self._out_cells = [("" if not self._compact_out else _gray(out_shade.flat[k], 0),
                            "" if self._compact_out else _fmt(self.output.flat[k]), "")
                           for k in range(self.output.size)]
        if self.student_output is not None:
            st_shade = _unit_range(self.student_output)
            self._st_cells = [("" if not self._compact_out else _gray(st_shade.flat[k], 0),
                               "" if self._compact_out else _fmt(self.student_output.flat[k]),
                               " wrong" if self.mismatch.flat[k] else " right")
                              for k in range(self.output.size)]

    def _input_row(self, c, r, left, right):
        """One ``<tr>`` body of channel ``c``, cells ``left <= col < right`` in the window."""
        cells = []
        for col, (cls, style, text) in enumerate(self._in_cells[c][r]):
            if left <= col < right:
                cls = f"{cls} window" if cls else "window"
            cells.append(f'<td class="{cls}" style="{style}">{text}</td>')
        return "".join(cells)

    # -- one frame -----------------------------------------------------------------------------

    @property
    def window(self):
        """``(top, left, KH, KW)`` of the current window in padded coordinates (None if no fit)."""
        if self.output is None:
            return None
        i, j = divmod(self.position.value, self.output.shape[1])
        S = self.stride.value
        return i * S, j * S, self.kernel.shape[1], self.kernel.shape[2]

    def update(self):
        """Redraw the current position: window, products, product-sum, output (and student) map."""
        if self.output is None:
            self.view.value = "".join(
                _box(_table("cnnlab-input-grid", rows, self._compact_in),
                     self._channel(c) + tr(ja="入力（斜線 = パディング）", en="input (hatched = padding)"))
                for c, rows in enumerate(self._in_rows_plain))
            return
        top, left, KH, KW = self.window
        OH, OW = self.output.shape
        p = self.position.value
        parts = ["<div>"]
        for c in range(self.image.shape[0]):
            rows = list(self._in_rows_plain[c])
            for r in range(top, top + KH):     # only the window's rows change from frame to frame
                rows[r] = self._input_row(c, r, left, left + KW)
            parts.append(_box(_table("cnnlab-input-grid", rows, self._compact_in),
                              self._channel(c) + tr(ja="入力（斜線 = パディング、枠 = 窓）",
                                                    en="input (hatched = padding, outlined = window)")))
        parts.append("</div>")
        parts.append(self._products_html(top, left))
        parts.append("<div>")
        parts.append(_box(self._map_table("cnnlab-output-map", self._out_cells, p, OW),
                          tr(ja=f"出力 ({OH}×{OW})", en=f"output ({OH}×{OW})")))
        if self.student_output is not None:
            parts.append(_box(self._map_table("cnnlab-student-map", self._st_cells, p, OW),
                              tr(ja="あなたの関数の出力（赤 = 違う）", en="your function's output (red = differs)")))
        parts.append("</div>")
        if self.mismatch is not None:
            parts.append(self._student_status(p))
        self.view.value = "".join(parts)

    def _channel(self, c):
        """Caption prefix naming the channel (nothing for a single channel)."""
        if self.image.shape[0] == 1:
            return ""
        return tr(ja=f"チャンネル {c}", en=f"channel {c}") + " — "

    def _products_html(self, top, left):
        """Kernel, element-wise products and the product-sum written out, for the window at (top, left)."""
        C, KH, KW = self.kernel.shape
        boxes, lines, sums = [], [], []
        for c in range(C):
            x = self.padded[c, top:top + KH, left:left + KW]
            k = self.kernel[c]
            sums.append(float((x * k).sum()))
            boxes.append(_box(_table("cnnlab-kernel",
                                     ["".join(f"<td>{_fmt(v)}</td>" for v in row) for row in k]),
                              self._channel(c) + tr(ja="カーネル", en="kernel")))
            boxes.append(_box(_table("cnnlab-products",
                                     ["".join(f'<td title="{_term(a)}×{_term(b)}">{_fmt(a * b)}</td>'
                                              for a, b in zip(xr, kr)) for xr, kr in zip(x, k)]),
                              self._channel(c) + tr(ja="要素ごとの積", en="element-wise products")))
            terms = " + ".join(f"{_term(a)}×{_term(b)}" for a, b in zip(x.ravel(), k.ravel()))
            lines.append(f"{self._channel(c)}{terms} = {_fmt(sums[-1])}")
        total = sum(sums)
        if C > 1:
            lines.append(tr(ja="チャンネルの和: ", en="sum over channels: ")
                         + " + ".join(_term(s) for s in sums) + f" = {_fmt(total)}")
        b = self.bias.value
        if b != 0:
            lines.append(tr(ja="バイアス: ", en="bias: ") + f"{_fmt(total)} + {_term(b)} = {_fmt(total + b)}")
        act = _ACTIVATIONS[self.activation.value]
        if act is not None:
            lines.append(f"{act[0]}({_fmt(total + b)}) = {_fmt(act[1](np.float64(total + b)))}")
        p = self.position.value
        i, j = divmod(p, self.output.shape[1])
        head = tr(ja=f"位置 {p}（行 {i}, 列 {j}）の積和:", en=f"product-sum at position {p} (row {i}, col {j}):")
        return ("<div>" + "".join(boxes) + '</div><div class="cnnlab-product-sum">'
                + f"<div><b>{head}</b></div>" + "".join(f"<div>{ln}</div>" for ln in lines) + "</div>")

    def _map_table(self, css_class, cells, p, OW):
        """An output-like map: cells ``0..p`` (row-major) filled, cell ``p`` current, the rest empty.

        ``cells[k]`` is ``(style, text, extra class)`` of cell ``k`` when it is filled.
        """
        OH = len(cells) // OW
        empty_row = '<td class="empty"></td>' * OW
        last = p // OW                      # rows after this one are all empty
        rows = []
        for r in range(last + 1):
            tds = []
            for col in range(OW):
                k = r * OW + col
                if k > p:
                    tds.append('<td class="empty"></td>')
                else:
                    style, text, extra = cells[k]
                    cls = "filled current" if k == p else "filled"
                    tds.append(f'<td class="{cls}{extra}" style="{style}">{text}</td>')
            rows.append("".join(tds))
        rows.extend([empty_row] * (OH - last - 1))
        return _table(css_class, rows, self._compact_out)

    def _student_status(self, p):
        shown = self.mismatch.ravel()[:p + 1]
        OW = self.output.shape[1]
        if self.mismatch.ravel()[p]:
            i, j = divmod(p, OW)
            text = tr(ja=f"ここが違います（行 {i}, 列 {j}）: 正しくは {_fmt(self.output[i, j])}、"
                         f"あなたの関数は {_fmt(self.student_output[i, j])}。",
                      en=f"Here your output differs (row {i}, col {j}): expected "
                         f"{_fmt(self.output[i, j])}, your function gave {_fmt(self.student_output[i, j])}.")
            cls = "cnnlab-message"
        elif shown.any():
            text = tr(ja=f"ここまでに {int(shown.sum())} 個のセルが違います（赤）。",
                      en=f"{int(shown.sum())} cell(s) so far differ (red).")
            cls = "cnnlab-message"
        else:
            text = tr(ja=f"ここまでの {p + 1} 個のセルはすべて正しいです。",
                      en=f"All {p + 1} cell(s) so far are right.")
            cls = "cnnlab-note"
        return f'<div class="{cls} cnnlab-student-status">{text}</div>'


# ----------------------------------------------------------------------------------------------
# 2. Padding / stride explorer

def padding_stride_explorer(size=4, kernel_size=3, pad=1, stride=1):
    """Output size ``OH = (H + 2·P − K) // S + 1`` filled in and drawn, for one axis.

    size H (int >= 1), kernel_size K (int >= 1), pad P (int >= 0), stride S (int >= 0; 0 is
    allowed so that the explorer can say why it does not work). The same formula holds for the
    width. Returns a :class:`PaddingStrideExplorer`.
    """
    return PaddingStrideExplorer(size, kernel_size, pad, stride)


class PaddingStrideExplorer(_Displayable):
    """Widgets ``size``, ``kernel_size``, ``pad``, ``stride`` (IntSliders).

    Results: ``output_size`` (int, None when it does not fit), ``problems`` (list of texts),
    ``uncovered`` (padded indices the window never reaches). HTML in ``view.value``:
    ``.cnnlab-formula``, ``.cnnlab-message`` (does not fit), ``.cnnlab-note`` (uncovered rows),
    an SVG drawing (``rect.pad``, ``rect.uncovered``, ``circle.position``).
    """

    def __init__(self, size=4, kernel_size=3, pad=1, stride=1):
        size = _check_int(size, "size", 1)
        kernel_size = _check_int(kernel_size, "kernel_size", 1)
        pad = _check_int(pad, "pad", 0)
        stride = _check_int(stride, "stride", 0)
        self.size = widgets.IntSlider(value=size, min=1, max=max(12, size),
                                      description=tr(ja="入力 H", en="input H"))
        self.kernel_size = widgets.IntSlider(value=kernel_size, min=1, max=max(7, kernel_size),
                                             description=tr(ja="カーネル K", en="kernel K"))
        self.pad = widgets.IntSlider(value=pad, min=0, max=max(4, pad),
                                     description=tr(ja="パディング P", en="padding P"))
        self.stride = widgets.IntSlider(value=stride, min=0, max=max(4, stride),
                                        description=tr(ja="ストライド S", en="stride S"))
        self.view = widgets.HTML()
        self.widget = widgets.VBox([_style_widget(),
                                    widgets.HBox([self.size, self.kernel_size]),
                                    widgets.HBox([self.pad, self.stride]), self.view])
        for control in (self.size, self.kernel_size, self.pad, self.stride):
            control.observe(lambda change: self.update(), "value")
        self.update()

    def update(self):
        """Recompute the output size, the messages and the drawing."""
        H, K, P, S = self.size.value, self.kernel_size.value, self.pad.value, self.stride.value
        Hp = H + 2 * P
        symbolic = "OH = (H + 2·P − K) // S + 1"
        self.problems, self.uncovered, self.output_size = [], (), None
        if S < 1:
            self.problems.append(tr(
                ja=f"ストライド S = {S} は 1 以上にしてください。S = 0 では窓が動きません。",
                en=f"The stride S = {S} must be at least 1: with S = 0 the window never moves."))
        if K > Hp:
            self.problems.append(tr(
                ja=f"カーネル K = {K} がパディング後の入力 H + 2·P = {H} + 2·{P} = {Hp} より大きいので、"
                   f"窓が 1 か所にも入りません。",
                en=f"The kernel K = {K} is larger than the padded input H + 2·P = {H} + 2·{P} = {Hp}: "
                   f"the window fits nowhere."))
        notes = []
        if self.problems:
            formula = f"{symbolic} = ({H} + 2·{P} − {K}) // {S} + 1 → " + \
                tr(ja="計算できません", en="does not fit")
        else:
            self.output_size = (Hp - K) // S + 1
            formula = f"{symbolic} = ({H} + 2·{P} − {K}) // {S} + 1 = {self.output_size}"
            rest = (Hp - K) % S
            if rest:
                self.uncovered = tuple(range(Hp - rest, Hp))
                notes.append(self._uncovered_note(H, K, P, S, rest))
        same = tr(ja="幅 OW も同じ式です。", en="The width OW follows the same formula.")
        parts = [f'<div class="cnnlab-formula">{formula}</div>', f'<div class="cnnlab-caption">{same}</div>']
        parts += [f'<div class="cnnlab-message">{html.escape(m)}</div>' for m in self.problems]
        parts += [f'<div class="cnnlab-note">{html.escape(m)}</div>' for m in notes]
        parts.append(self._drawing(H, K, P, S))
        self.view.value = "".join(parts)

    def _uncovered_note(self, H, K, P, S, rest):
        Hp = H + 2 * P
        lost = [i - P for i in self.uncovered if 0 <= i - P < H]
        padded = ", ".join(str(i) for i in self.uncovered)
        if lost:
            which_ja = "入力の行/列 " + ", ".join(str(i) for i in lost) + " が出力に使われません"
            which_en = "input row(s)/column(s) " + ", ".join(str(i) for i in lost) + " never reach the output"
        else:
            which_ja, which_en = "パディングだけなので入力は失われません", "only padding, so no input is lost"
        return tr(
            ja=f"(H + 2·P − K) = {Hp - K} は S = {S} で割り切れません: パディング後の最後の {rest} 行/列"
               f"（パディング後の番号 {padded}）には窓が届きません。{which_ja}。",
            en=f"(H + 2·P − K) = {Hp - K} is not divisible by S = {S}: the last {rest} row(s)/column(s) "
               f"of the padded input (padded index {padded}) are never covered by the window; {which_en}.")

    def _drawing(self, H, K, P, S):
        """SVG: the padded input (square), window positions as dots, first/last window outlined."""
        Hp = H + 2 * P
        cs = max(8, min(26, 260 // Hp))
        side = Hp * cs
        out = [f'<svg class="cnnlab-padding-drawing" width="{side + 4}" height="{side + 4}" '
               f'xmlns="http://www.w3.org/2000/svg"><g transform="translate(2,2)">']
        uncovered = set(self.uncovered)
        for r in range(Hp):
            for c in range(Hp):
                if r in uncovered or c in uncovered:
                    cls, fill = "uncovered", "#fbd3d0"
                elif not (P <= r < P + H and P <= c < P + H):
                    cls, fill = "pad", "#e3e3e3"
                else:
                    cls, fill = "input", "#ffffff"
                out.append(f'<rect class="{cls}" x="{c * cs}" y="{r * cs}" width="{cs}" height="{cs}" '
                           f'fill="{fill}" stroke="#999" stroke-width="0.5"/>')
        if self.output_size is not None:
            n = self.output_size
            for i in range(n):
                for j in range(n):
                    cx, cy = (j * S + K / 2) * cs, (i * S + K / 2) * cs
                    out.append(f'<circle class="position" cx="{cx}" cy="{cy}" r="{max(2, cs // 6)}" '
                               f'fill="#1a73e8"/>')
            last = (n - 1) * S * cs
            out.append(f'<rect class="window" x="0" y="0" width="{K * cs}" height="{K * cs}" '
                       f'fill="none" stroke="#e8710a" stroke-width="3"/>')
            out.append(f'<rect class="window last" x="{last}" y="{last}" width="{K * cs}" '
                       f'height="{K * cs}" fill="none" stroke="#1a73e8" stroke-width="2" '
                       f'stroke-dasharray="5,3"/>')
        out.append("</g></svg>")
        caption = tr(ja="灰色 = パディング、赤 = 窓が届かない、点 = 窓の中心、橙 = 最初の窓、青の破線 = 最後の窓",
                     en="gray = padding, red = never covered, dots = window centres, "
                        "orange = first window, dashed blue = last window")
        return f'<div class="cnnlab-caption">{caption}</div>' + "".join(out)


# ----------------------------------------------------------------------------------------------
# 3. Pooling viewer

def pooling_viewer(image=None, *, mode="max", size=2, stride=2, shift=False):
    """Max or average pooling of a 2-D image, each window's maximum highlighted.

    image ``(H, W)`` (default the lecture's 4x4 example: max pooling -> [[4, 4], [3, 3]]),
    mode ``"max"`` or ``"avg"``, size and stride (ints >= 1), shift: start with the input shifted
    one pixel to the right (zeros enter on the left) to count how many outputs change.
    Returns a :class:`PoolingViewer`.
    """
    return PoolingViewer(image, mode=mode, size=size, stride=stride, shift=shift)


def _pool(x, size, stride, mode):
    """``x (H, W)`` -> pooled ``(OH, OW)`` and, for max, the argmax cells ``(OH, OW, 2)``."""
    windows = sliding_window_view(x, (size, size))[::stride, ::stride]   # (OH, OW, s, s)
    OH, OW = windows.shape[:2]
    flat = windows.reshape(OH, OW, size * size)
    if mode == "avg":
        return flat.mean(axis=-1), None
    a = flat.argmax(axis=-1)            # the first maximum when several tie
    rows = np.arange(OH)[:, None] * stride + a // size
    cols = np.arange(OW)[None, :] * stride + a % size
    return flat.max(axis=-1), np.stack([rows, cols], axis=-1)


class PoolingViewer(_Displayable):
    """Widgets ``mode`` (ToggleButtons "max"/"avg"), ``size``, ``stride``, ``shift`` (Checkbox).

    Results: ``output (OH, OW)`` of the input as shown (shifted when ``shift`` is on),
    ``argmax_cells`` (set of input cells holding a window's maximum, max mode), ``changed``
    (how many outputs the shift changed, None when not shifted), ``problem`` (text or None).
    HTML: ``table.cnnlab-pool-input`` (``td.argmax``, ``td.unused``),
    ``table.cnnlab-pool-output`` (``td.changed``), ``table.cnnlab-pool-original``.
    """

    def __init__(self, image=None, *, mode="max", size=2, stride=2, shift=False):
        image = WORKED_IMAGE if image is None else image
        self.image = _real_array(image, "image", (2,), "(H, W)")
        if mode not in ("max", "avg"):
            raise ValueError(tr(ja=f"mode は 'max' か 'avg' です（{mode!r}）",
                                en=f"mode must be 'max' or 'avg', got {mode!r}"))
        size = _check_int(size, "size", 1)
        stride = _check_int(stride, "stride", 1)
        if not isinstance(shift, (bool, np.bool_)):
            raise TypeError(tr(ja="shift は True か False です", en="shift must be True or False"))
        self.mode = widgets.ToggleButtons(options=[(tr(ja="最大値", en="max"), "max"),
                                                   (tr(ja="平均値", en="average"), "avg")],
                                          value=mode, description=tr(ja="プーリング", en="pooling"))
        self.size = widgets.IntSlider(value=size, min=1, max=max(4, size),
                                      description=tr(ja="窓の大きさ", en="window"))
        self.stride = widgets.IntSlider(value=stride, min=1, max=max(4, stride),
                                        description=tr(ja="ストライド", en="stride"))
        self.shift = widgets.Checkbox(value=bool(shift),
                                      description=tr(ja="入力を右へ 1 ピクセルずらす",
                                                     en="shift the input one pixel right"))
        self.view = widgets.HTML()
        self.widget = widgets.VBox([_style_widget(), self.mode,
                                    widgets.HBox([self.size, self.stride]), self.shift, self.view])
        for control in (self.mode, self.size, self.stride, self.shift):
            control.observe(lambda change: self.update(), "value")
        self.update()

    def shifted_image(self):
        """The input moved one pixel right: column 0 becomes 0, the last column drops out."""
        out = np.zeros_like(self.image)
        out[:, 1:] = self.image[:, :-1]
        return out

    def update(self):
        """Pool the (possibly shifted) input and redraw."""
        s, st, mode = self.size.value, self.stride.value, self.mode.value
        H, W = self.image.shape
        x = self.shifted_image() if self.shift.value else self.image
        self.output, self.argmax_cells, self.changed, self.problem = None, set(), None, None
        if s > H or s > W:
            self.problem = tr(ja=f"窓の大きさ {s} が入力 ({H}, {W}) より大きいです",
                              en=f"the window {s} is larger than the input ({H}, {W})")
            self.view.value = f'<div class="cnnlab-message">{html.escape(self.problem)}</div>'
            return
        self.output, arg = _pool(x, s, st, mode)
        OH, OW = self.output.shape
        if arg is not None:
            self.argmax_cells = {(int(r), int(c)) for r, c in arg.reshape(-1, 2)}
        # which window a cell belongs to (the last one when windows overlap): a checkerboard of tints
        owner = np.full((H, W), -1)
        for i in range(OH):
            for j in range(OW):
                owner[i * st:i * st + s, j * st:j * st + s] = (i + j) % 2
        shade = ("#e8f0fe", "#fef7e0")
        rows = []
        for r in range(H):
            tds = []
            for c in range(W):
                cls = ["argmax"] if (r, c) in self.argmax_cells else []
                style = ""
                if owner[r, c] < 0:
                    cls.append("unused")
                else:
                    style = f"background:{shade[owner[r, c]]}"
                tds.append(f'<td class="{" ".join(cls)}" style="{style}">{_fmt(x[r, c])}</td>')
            rows.append("".join(tds))
        parts = [_box(_table("cnnlab-pool-input", rows),
                      tr(ja="入力（赤枠 = 各窓の最大値）", en="input (red outline = each window's maximum)")
                      if mode == "max" else tr(ja="入力", en="input"))]
        changed = None
        if self.shift.value:
            original, _ = _pool(self.image, s, st, mode)
            changed = ~np.isclose(original, self.output)
            self.changed = int(changed.sum())
            parts.append(_box(_table("cnnlab-pool-original",
                                     ["".join(f"<td>{_fmt(v)}</td>" for v in row) for row in original]),
                              tr(ja="ずらす前の出力", en="output before the shift")))
        out_rows = ["".join(f'<td class="{"changed" if changed is not None and changed[i, j] else ""}">'
                            f"{_fmt(self.output[i, j])}</td>" for j in range(OW)) for i in range(OH)]
        parts.append(_box(_table("cnnlab-pool-output", out_rows),
                          tr(ja=f"出力 ({OH}×{OW})", en=f"output ({OH}×{OW})")))
        if self.changed is not None:
            n = self.output.size
            parts.append('<div class="cnnlab-note">' + tr(
                ja=f"1 ピクセルずらすと、出力 {n} 個のうち {self.changed} 個が変わりました"
                   f"（{n - self.changed} 個は同じ）。",
                en=f"Shifting by one pixel changed {self.changed} of the {n} outputs "
                   f"({n - self.changed} stayed the same).") + "</div>")
        self.view.value = "".join(parts)


# ----------------------------------------------------------------------------------------------
# 4. Softmax explorer

def softmax_explorer(logits=(2.0, 1.0, 0.1), *, label=0, names=None):
    """Logits on sliders -> softmax probabilities as bars, and the cross-entropy ``−log p[label]``.

    logits: 2 to 20 finite numbers (any size: the softmax subtracts the maximum first, so logits
    of 1000 are fine); label: the correct class (int index); names: class names (default 0, 1, …).
    Returns a :class:`SoftmaxExplorer`.
    """
    return SoftmaxExplorer(logits, label=label, names=names)


class SoftmaxExplorer(_Displayable):
    """Widgets ``logits`` (list of FloatSliders) and ``label`` (Dropdown).

    Results: ``probs (K,)``, ``log_probs (K,)``, ``cross_entropy`` (float).
    HTML: one ``.cnnlab-prob-row`` per class (``.label`` for the chosen one) holding a
    ``.cnnlab-prob-bar`` whose width is the probability; ``.cnnlab-ce`` the cross-entropy.
    """

    def __init__(self, logits=(2.0, 1.0, 0.1), *, label=0, names=None):
        z = _real_array(logits, "logits", (1,), "(K,)")
        K = z.size
        if not 2 <= K <= 20:
            raise ValueError(tr(ja=f"logits は 2 個から 20 個にしてください（{K} 個）",
                                en=f"give between 2 and 20 logits, got {K}"))
        label = _check_int(label, "label", 0)
        if label >= K:
            raise ValueError(tr(ja=f"label は 0 から {K - 1} のクラス番号です（{label}）",
                                en=f"label must be a class index in 0..{K - 1}, got {label}"))
        names = [str(k) for k in range(K)] if names is None else names
        if isinstance(names, str) or len(names) != K or not all(isinstance(n, str) for n in names):
            raise TypeError(tr(ja=f"names は {K} 個の文字列のリストにしてください",
                               en=f"names must be a list of {K} strings"))
        limit = max(10.0, math.ceil(float(np.max(np.abs(z)))))
        self.names = list(names)
        self.logits = [widgets.FloatSlider(value=float(v), min=-limit, max=limit, step=0.1,
                                           description=f"z[{html.escape(n)}]")
                       for v, n in zip(z, self.names)]
        self.label = widgets.Dropdown(options=[(n, k) for k, n in enumerate(self.names)], value=label,
                                      description=tr(ja="正解ラベル", en="true label"))
        self.view = widgets.HTML()
        self.widget = widgets.VBox([_style_widget(), *self.logits, self.label, self.view])
        for control in (*self.logits, self.label):
            control.observe(lambda change: self.update(), "value")
        self.update()

    def update(self):
        """Recompute probabilities and cross-entropy from the sliders and redraw the bars."""
        z = np.array([s.value for s in self.logits], dtype=float)
        shifted = z - z.max()                 # exp never overflows: the largest term is exp(0)
        total = np.exp(shifted).sum()
        self.log_probs = shifted - np.log(total)
        self.probs = np.exp(self.log_probs)
        t = self.label.value
        self.cross_entropy = float(-self.log_probs[t])   # finite even when p[t] underflows to 0
        rows = []
        for k, (name, p) in enumerate(zip(self.names, self.probs)):
            cls = "cnnlab-prob-row label" if k == t else "cnnlab-prob-row"
            rows.append(f'<div class="{cls}"><span class="name">{html.escape(name)}</span>'
                        f'<div class="cnnlab-prob-track"><div class="cnnlab-prob-bar" '
                        f'style="width:{100 * p:.2f}%"></div></div><span>p = {p:.3g}</span></div>')
        name = html.escape(self.names[t])
        formula = ("p<sub>k</sub> = exp(z<sub>k</sub> − max z) / Σ<sub>j</sub> exp(z<sub>j</sub> − max z)")
        ce = (f"CE = −log p[{name}] = −log {self.probs[t]:.3g} = {self.cross_entropy:.4g}"
              if self.probs[t] > 1e-300 else
              f"CE = −log p[{name}] = −(z[{name}] − max z − log Σ exp(z − max z)) = {self.cross_entropy:.4g}")
        caption = tr(ja="ソフトマックス（最大値を引いてから exp するので、大きなロジットでもあふれません）:",
                     en="softmax (the maximum is subtracted before exp, so large logits never overflow):")
        self.view.value = (f'<div class="cnnlab-caption">{caption}</div>'
                           f'<div class="cnnlab-formula">{formula}</div>' + "".join(rows)
                           + f'<div class="cnnlab-ce">{ce}</div>'
                           + '<div class="cnnlab-caption">'
                           + tr(ja="橙 = 正解ラベル", en="orange = the true label") + "</div>")


# ----------------------------------------------------------------------------------------------
# 5. Feature-map viewer

def feature_maps(network, images, *, max_channels=16):
    """Each layer's output channels, as small grayscale images, for an image picked with a slider.

    network: any object with a list ``layers`` of objects with ``forward(x)`` (a
    ``cnnlab.nn.Sequential`` or the network of assignment 07); images ``(N, C, H, W)`` or
    ``(N, H, W)``; max_channels: at most this many channels are drawn per layer.
    Returns a :class:`FeatureMapViewer`.
    """
    return FeatureMapViewer(network, images, max_channels=max_channels)


def _png_data_url(image):
    """A 2-D array in [0, 1] (NaN = gap) as a grayscale PNG ``data:`` URL."""
    import matplotlib
    import matplotlib.image

    cmap = matplotlib.colormaps["gray"].with_extremes(bad="white")
    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, image, cmap=cmap, vmin=0.0, vmax=1.0, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _mosaic(maps, per_row=8):
    """``(C, H, W)`` -> one 2-D image: each channel scaled to [0, 1] on its own, 1-pixel gaps (NaN)."""
    C, H, W = maps.shape
    cols = min(C, per_row)
    rows = -(-C // cols)
    out = np.full((rows * (H + 1) - 1, cols * (W + 1) - 1), np.nan)
    for c in range(C):
        r, q = divmod(c, cols)
        out[r * (H + 1):r * (H + 1) + H, q * (W + 1):q * (W + 1) + W] = _unit_range(maps[c])
    return out


class FeatureMapViewer(_Displayable):
    """Widget ``index`` (IntSlider picking the image).

    Results: ``activations`` (list, one array per layer, for the picked image without the batch
    axis). HTML: one ``.cnnlab-layer`` per stage (input first) with a title and an
    ``<img class="cnnlab-maps">`` mosaic of its channels; 1-D outputs (affine layers, logits)
    are drawn as a strip, and the last one names the predicted class.
    """

    def __init__(self, network, images, *, max_channels=16):
        layers = getattr(network, "layers", None)
        if not isinstance(layers, (list, tuple)) or not layers or \
                not all(callable(getattr(layer, "forward", None)) for layer in layers):
            raise TypeError(tr(ja="network には forward(x) を持つ層のリスト layers が必要です",
                               en="network must have a non-empty list `layers` of objects with forward(x)"))
        x = _real_array(images, "images", (3, 4), "(N, C, H, W) / (N, H, W)")
        self.images = x[:, None] if x.ndim == 3 else x
        self.network = network
        self.max_channels = _check_int(max_channels, "max_channels", 1)
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.images) - 1,
                                       description=tr(ja="画像", en="image"))
        self.view = widgets.HTML()
        self.message = widgets.HTML()
        self.widget = widgets.VBox([_style_widget(), self.index, self.view, self.message])
        self._cache = {}
        self.index.observe(lambda change: self.update(), "value")
        self.update()

    def refresh(self):
        """Forget the drawn images (call after the network was trained further) and redraw."""
        self._cache.clear()
        self.update()

    def update(self):
        """Run the picked image through the layers (once per image) and show every stage."""
        i = self.index.value
        if i not in self._cache:
            if len(self._cache) >= 64:     # keep memory bounded for large image sets
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = self._render(i)
        self.activations, self.view.value, self.message.value = self._cache[i]

    def _render(self, i):
        x = self.images[i:i + 1]
        stages = [(tr(ja="入力", en="input"), x[0])]
        message = ""
        activations = []
        for n, layer in enumerate(self.network.layers, start=1):
            try:
                x = layer.forward(x)
                activations.append(np.asarray(x, dtype=float)[0])
            except Exception as err:   # show the failure, keep the widget alive
                message = ('<div class="cnnlab-message">' + html.escape(tr(
                    ja=f"層 {n}（{type(layer).__name__}）でエラー: {type(err).__name__}: {err}",
                    en=f"layer {n} ({type(layer).__name__}) raised {type(err).__name__}: {err}"))
                           + "</div>")
                break
            stages.append((f"{tr(ja='層', en='layer')} {n}: {type(layer).__name__}", activations[-1]))
        parts = []
        for k, (title, a) in enumerate(stages):
            shape = " × ".join(str(d) for d in a.shape)
            if a.ndim == 1:
                img = _unit_range(a)[None, :]
                extra = ""
                if k == len(stages) - 1 and not message:
                    best = int(np.argmax(a))
                    extra = tr(ja=f" — 予測クラス {best}", en=f" — predicted class {best}")
                cell = max(1, min(12, 480 // a.size))    # long vectors stay on screen
            else:
                maps = a.reshape((-1,) + a.shape[-2:])[:self.max_channels]
                img = _mosaic(maps)
                extra = "" if len(a.reshape((-1,) + a.shape[-2:])) <= self.max_channels else \
                    tr(ja=f"（最初の {self.max_channels} チャンネル）", en=f" (first {self.max_channels} channels)")
                cell = max(1, 48 // max(a.shape[-2:]))
            style = f"width:{img.shape[1] * cell}px;height:{img.shape[0] * cell}px"
            parts.append(f'<div class="cnnlab-layer"><div class="cnnlab-caption">{html.escape(title)} '
                         f'({shape}){html.escape(extra)}</div><img class="cnnlab-maps" '
                         f'style="{style}" src="{_png_data_url(img)}"/></div>')
        return activations, "".join(parts), message
