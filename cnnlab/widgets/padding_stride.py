"""Padding / stride explorer: ``OH = (H + 2·P − K) // S + 1`` filled in and drawn, for one axis.

Example: H = 4, K = 3, P = 1, S = 1 -> (4 + 2 − 3) // 1 + 1 = 4 (the "same" size); with S = 2,
(4 + 2 − 3) // 2 + 1 = 2 and the last padded row is never covered (3 is not divisible by 2).
"""

import html

import ipywidgets as widgets

from ..language import tr
from .core import Displayable, check_int
from .style import style_widget


def padding_stride_explorer(size=4, kernel_size=3, pad=1, stride=1):
    """Output size ``OH = (H + 2·P − K) // S + 1`` filled in and drawn, for one axis.

    size H (int >= 1), kernel_size K (int >= 1), pad P (int >= 0), stride S (int >= 0; 0 is
    allowed so that the explorer can say why it does not work). The same formula holds for the
    width. Returns a :class:`PaddingStrideExplorer`.
    """
    return PaddingStrideExplorer(size, kernel_size, pad, stride)


class PaddingStrideExplorer(Displayable):
    """Widgets ``size``, ``kernel_size``, ``pad``, ``stride`` (IntSliders).

    Results: ``output_size`` (int, None when it does not fit), ``problems`` (list of texts),
    ``uncovered`` (padded indices the window never reaches). HTML in ``view.value``:
    ``.cnnlab-formula``, ``.cnnlab-message`` (does not fit), ``.cnnlab-note`` (uncovered rows),
    an SVG drawing (``rect.pad``, ``rect.uncovered``, ``circle.position``).
    """

    def __init__(self, size=4, kernel_size=3, pad=1, stride=1):
        size = check_int(size, "size", 1)
        kernel_size = check_int(kernel_size, "kernel_size", 1)
        pad = check_int(pad, "pad", 0)
        stride = check_int(stride, "stride", 0)
        self.size = widgets.IntSlider(value=size, min=1, max=max(12, size),
                                      description=tr(ja="入力 H", en="input H"))
        self.kernel_size = widgets.IntSlider(value=kernel_size, min=1, max=max(7, kernel_size),
                                             description=tr(ja="カーネル K", en="kernel K"))
        self.pad = widgets.IntSlider(value=pad, min=0, max=max(4, pad),
                                     description=tr(ja="パディング P", en="padding P"))
        self.stride = widgets.IntSlider(value=stride, min=0, max=max(4, stride),
                                        description=tr(ja="ストライド S", en="stride S"))
        self.view = widgets.HTML()
        self.widget = widgets.VBox([style_widget(),
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
                ja=f"ストライド S = {S} は 1 以上にしてください。S = 0 ではウィンドウが動きません。",
                en=f"The stride S = {S} must be at least 1: with S = 0 the window never moves."))
        if K > Hp:
            self.problems.append(tr(
                ja=f"カーネル K = {K} がパディング後の入力 H + 2·P = {H} + 2·{P} = {Hp} より大きいので、"
                   f"ウィンドウが 1 か所にも入りません。",
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
               f"（パディング後の番号 {padded}）にはウィンドウが届きません。{which_ja}。",
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
        caption = tr(ja="灰色 = パディング、赤 = ウィンドウが届かない、点 = ウィンドウの中心、橙 = 最初のウィンドウ、青の破線 = 最後のウィンドウ",
                     en="gray = padding, red = never covered, dots = window centres, "
                        "orange = first window, dashed blue = last window")
        return f'<div class="cnnlab-caption">{caption}</div>' + "".join(out)
