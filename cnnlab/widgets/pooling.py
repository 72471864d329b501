"""Pooling viewer: MAX or average pooling of a 2-D image, each window's maximum outlined.

Turning on the one-pixel shift counts how many outputs change: MAX pooling keeps most of them
(平行移動不変性, invariance to small shifts). Worked example: ``POOL_EXAMPLE`` with 2×2 windows,
stride 2 -> ``[[6, 8], [3, 4]]``; the default ``WORKED_IMAGE`` -> ``[[4, 4], [3, 3]]``.
"""

import html

import ipywidgets as widgets
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..examples import WORKED_IMAGE
from ..language import tr
from .core import Displayable, check_int, fmt, real_array
from .style import box, style_widget, table


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


class PoolingViewer(Displayable):
    """Widgets ``mode`` (ToggleButtons "max"/"avg"), ``size``, ``stride``, ``shift`` (Checkbox).

    Results: ``output (OH, OW)`` of the input as shown (shifted when ``shift`` is on),
    ``argmax_cells`` (set of input cells holding a window's maximum, max mode), ``changed``
    (how many outputs the shift changed, None when not shifted), ``problem`` (text or None).
    HTML: ``table.cnnlab-pool-input`` (``td.argmax``, ``td.unused``),
    ``table.cnnlab-pool-output`` (``td.changed``), ``table.cnnlab-pool-original``.
    """

    def __init__(self, image=None, *, mode="max", size=2, stride=2, shift=False):
        image = WORKED_IMAGE if image is None else image
        self.image = real_array(image, "image", (2,), "(H, W)")
        if mode not in ("max", "avg"):
            raise ValueError(tr(ja=f"mode は 'max' か 'avg' です（{mode!r}）",
                                en=f"mode must be 'max' or 'avg', got {mode!r}"))
        size = check_int(size, "size", 1)
        stride = check_int(stride, "stride", 1)
        if not isinstance(shift, (bool, np.bool_)):
            raise TypeError(tr(ja="shift は True か False です", en="shift must be True or False"))
        self.mode = widgets.ToggleButtons(options=[(tr(ja="MAXプーリング", en="max pooling"), "max"),
                                                   (tr(ja="平均プーリング", en="average pooling"), "avg")],
                                          value=mode, description=tr(ja="方式", en="pooling"))
        self.size = widgets.IntSlider(value=size, min=1, max=max(4, size),
                                      description=tr(ja="ウィンドウ", en="window"))
        self.stride = widgets.IntSlider(value=stride, min=1, max=max(4, stride),
                                        description=tr(ja="ストライド", en="stride"))
        self.shift = widgets.Checkbox(value=bool(shift),
                                      description=tr(ja="入力を右へ 1 ピクセルずらす",
                                                     en="shift the input one pixel right"))
        self.view = widgets.HTML()
        self.widget = widgets.VBox([style_widget(), self.mode,
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
            self.problem = tr(ja=f"ウィンドウの大きさ {s} が入力 ({H}, {W}) より大きいです",
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
                tds.append(f'<td class="{" ".join(cls)}" style="{style}">{fmt(x[r, c])}</td>')
            rows.append("".join(tds))
        parts = [box(table("cnnlab-pool-input", rows),
                      tr(ja="入力（赤枠 = 各ウィンドウの最大値）", en="input (red outline = each window's maximum)")
                      if mode == "max" else tr(ja="入力", en="input"))]
        changed = None
        if self.shift.value:
            original, _ = _pool(self.image, s, st, mode)
            changed = ~np.isclose(original, self.output)
            self.changed = int(changed.sum())
            parts.append(box(table("cnnlab-pool-original",
                                     ["".join(f"<td>{fmt(v)}</td>" for v in row) for row in original]),
                              tr(ja="ずらす前の出力", en="output before the shift")))
        out_rows = ["".join(f'<td class="{"changed" if changed is not None and changed[i, j] else ""}">'
                            f"{fmt(self.output[i, j])}</td>" for j in range(OW)) for i in range(OH)]
        parts.append(box(table("cnnlab-pool-output", out_rows),
                          tr(ja=f"出力 ({OH}×{OW})", en=f"output ({OH}×{OW})")))
        if self.changed is not None:
            n = self.output.size
            parts.append('<div class="cnnlab-note">' + tr(
                ja=f"1 ピクセルずらすと、出力 {n} 個のうち {self.changed} 個が変わりました"
                   f"（{n - self.changed} 個は同じ）。",
                en=f"Shifting by one pixel changed {self.changed} of the {n} outputs "
                   f"({n - self.changed} stayed the same).") + "</div>")
        self.view.value = "".join(parts)
