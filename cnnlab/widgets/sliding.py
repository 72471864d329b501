"""Filter sliding: the kernel's window moving over the input, the product-sum written out.

``filter_sliding(image, kernel, stride=, pad=, bias=, activation=, student_fn=)`` draws the
(padded) input with the current window outlined, the kernel, the element-wise products, the
product-sum ``Σ x·k (+ bias, activation)`` and the output map filling in cell by cell. With a
student's function, its output is compared cell by cell and the first differing cell is named.

"Convolution" is cross-correlation as in the course (the kernel is not flipped), zero padding,
``OH = (H + 2·pad − KH) // stride + 1``. Worked example (the default):
``WORKED_IMAGE (4, 4)`` with ``WORKED_KERNEL (3, 3)`` -> ``[[12, 14], [14, 10]]``.
"""

import html

import ipywidgets as widgets
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..examples import WORKED_IMAGE, WORKED_KERNEL
from ..language import tr
from .core import Displayable, check_int, check_number, fmt, real_array, term
from .style import box, gray, style_widget, table, unit_range


def cross_correlate(padded, kernel, stride):
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
    return "\n\n".join("\n".join(" ".join(fmt(v).replace("\u2212", "-") for v in row)
                                 for row in channel) for channel in kernel)


def _parse_kernel(text, channels):
    """Text written like ``_kernel_to_text`` -> ``(channels, KH, KW)``; ValueError when malformed."""
    blocks = [b for b in text.replace(";", "\n").split("\n\n") if b.strip()]
    if len(blocks) != channels:
        raise ValueError(tr(
            ja=f"カーネルは {channels} チャネル分（空行で区切る）が必要ですが {len(blocks)} 個でした",
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
        raise ValueError(tr(ja="すべてのチャネルのカーネルを同じ形にしてください",
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


class FilterSliding(Displayable):
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
        img = real_array(image, "image", (2, 3), "(H, W) / (C, H, W)")
        self._single = img.ndim == 2
        self.image = img[None] if self._single else img          # (C, H, W)
        C, H, W = self.image.shape
        learned = kernel is not None
        if kernel is None:
            k = np.repeat(WORKED_KERNEL[None], C, axis=0)
        else:
            want = "(KH, KW)" if C == 1 else f"({C}, KH, KW)"
            k = real_array(kernel, "kernel", (2, 3), want)
            if k.ndim == 2 and C > 1:
                raise ValueError(tr(
                    ja=f"画像が {C} チャネルなので kernel は形状 ({C}, KH, KW) にしてください（{k.shape}）",
                    en=f"the image has {C} channels, so kernel must have shape ({C}, KH, KW), "
                       f"got {k.shape}"))
            k = k[None] if k.ndim == 2 else k
            if k.shape[0] != C:
                raise ValueError(tr(
                    ja=f"kernel のチャネル数 {k.shape[0]} が画像のチャネル数 {C} と違います",
                    en=f"kernel has {k.shape[0]} channels but the image has {C}"))
        stride = check_int(stride, "stride", 1)
        pad = check_int(pad, "pad", 0)
        bias = check_number(bias, "bias")
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
            style_widget(),
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
                ja=f"カーネル ({KH}, {KW}) がパディング後の入力 ({Hp}, {Wp}) より大きく、ウィンドウが入りません。"
                   f"パディングを増やすかカーネルを小さくしてください。",
                en=f"The kernel ({KH}, {KW}) is larger than the padded input ({Hp}, {Wp}): the window "
                   f"does not fit. Add padding or use a smaller kernel.")
            n = 1
        else:
            raw = cross_correlate(self.padded, self.kernel, S)
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
        shade = unit_range(self.image)
        darkest = 0 if self._compact_in else 150
        self._in_cells = []      # [c][r][col] -> (class, style, text)
        for c in range(C):
            rows = []
            for r in range(Hp):
                row = []
                for col in range(Wp):
                    if P <= r < P + H and P <= col < P + W:
                        v = self.image[c, r - P, col - P]
                        row.append(("", gray(shade[c, r - P, col - P], darkest),
                                    "" if self._compact_in else fmt(v)))
                    else:
                        row.append(("pad", "", "" if self._compact_in else "0"))
                rows.append(row)
            self._in_cells.append(rows)
        self._in_rows_plain = [[self._input_row(c, r, -1, -1) for r in range(Hp)] for c in range(C)]
        if self.output is None:
            return
        OH, OW = self.output.shape
        self._compact_out = OW > 12
        out_shade = unit_range(self.output)
        self._out_cells = [("" if not self._compact_out else gray(out_shade.flat[k], 0),
                            "" if self._compact_out else fmt(self.output.flat[k]), "")
                           for k in range(self.output.size)]
        if self.student_output is not None:
            st_shade = unit_range(self.student_output)
            self._st_cells = [("" if not self._compact_out else gray(st_shade.flat[k], 0),
                               "" if self._compact_out else fmt(self.student_output.flat[k]),
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
                box(table("cnnlab-input-grid", rows, self._compact_in),
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
            parts.append(box(table("cnnlab-input-grid", rows, self._compact_in),
                              self._channel(c) + tr(ja="入力（斜線 = パディング、枠 = ウィンドウ）",
                                                    en="input (hatched = padding, outlined = window)")))
        parts.append("</div>")
        parts.append(self._products_html(top, left))
        parts.append("<div>")
        parts.append(box(self._map_table("cnnlab-output-map", self._out_cells, p, OW),
                          tr(ja=f"出力 ({OH}×{OW})", en=f"output ({OH}×{OW})")))
        if self.student_output is not None:
            parts.append(box(self._map_table("cnnlab-student-map", self._st_cells, p, OW),
                              tr(ja="あなたの関数の出力（赤 = 違う）", en="your function's output (red = differs)")))
        parts.append("</div>")
        if self.mismatch is not None:
            parts.append(self._student_status(p))
        self.view.value = "".join(parts)

    def _channel(self, c):
        """Caption prefix naming the channel (nothing for a single channel)."""
        if self.image.shape[0] == 1:
            return ""
        return tr(ja=f"チャネル {c}", en=f"channel {c}") + " — "

    def _products_html(self, top, left):
        """Kernel, element-wise products and the product-sum written out, for the window at (top, left)."""
        C, KH, KW = self.kernel.shape
        boxes, lines, sums = [], [], []
        for c in range(C):
            x = self.padded[c, top:top + KH, left:left + KW]
            k = self.kernel[c]
            sums.append(float((x * k).sum()))
            boxes.append(box(table("cnnlab-kernel",
                                     ["".join(f"<td>{fmt(v)}</td>" for v in row) for row in k]),
                              self._channel(c) + tr(ja="カーネル", en="kernel")))
            boxes.append(box(table("cnnlab-products",
                                     ["".join(f'<td title="{term(a)}×{term(b)}">{fmt(a * b)}</td>'
                                              for a, b in zip(xr, kr)) for xr, kr in zip(x, k)]),
                              self._channel(c) + tr(ja="要素ごとの積", en="element-wise products")))
            terms = " + ".join(f"{term(a)}×{term(b)}" for a, b in zip(x.ravel(), k.ravel()))
            lines.append(f"{self._channel(c)}{terms} = {fmt(sums[-1])}")
        total = sum(sums)
        if C > 1:
            lines.append(tr(ja="チャネルの和: ", en="sum over channels: ")
                         + " + ".join(term(s) for s in sums) + f" = {fmt(total)}")
        b = self.bias.value
        if b != 0:
            lines.append(tr(ja="バイアス: ", en="bias: ") + f"{fmt(total)} + {term(b)} = {fmt(total + b)}")
        act = _ACTIVATIONS[self.activation.value]
        if act is not None:
            lines.append(f"{act[0]}({fmt(total + b)}) = {fmt(act[1](np.float64(total + b)))}")
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
        return table(css_class, rows, self._compact_out)

    def _student_status(self, p):
        shown = self.mismatch.ravel()[:p + 1]
        OW = self.output.shape[1]
        if self.mismatch.ravel()[p]:
            i, j = divmod(p, OW)
            text = tr(ja=f"ここが違います（行 {i}, 列 {j}）: 正しくは {fmt(self.output[i, j])}、"
                         f"あなたの関数は {fmt(self.student_output[i, j])}。",
                      en=f"Here your output differs (row {i}, col {j}): expected "
                         f"{fmt(self.output[i, j])}, your function gave {fmt(self.student_output[i, j])}.")
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
