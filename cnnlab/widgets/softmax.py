"""Softmax explorer: logits on sliders -> probabilities as bars, and the cross-entropy loss.

``p_k = exp(z_k − max z) / Σ_j exp(z_j − max z)``, ``CE = −log p[label]``. Worked example (the
default): ``softmax(2.0, 1.0, 0.1) = (0.659, 0.242, 0.099)``; with the label 0,
``CE = −log 0.659 = 0.417``.
"""

import html
import math

import ipywidgets as widgets
import numpy as np

from ..examples import SOFTMAX_LOGITS
from ..language import tr
from .core import Displayable, check_int, real_array
from .style import style_widget


def softmax_explorer(logits=None, *, label=0, names=None):
    """Logits on sliders -> softmax probabilities as bars, and the cross-entropy ``−log p[label]``.

    logits: 2 to 20 finite numbers (any size: the softmax subtracts the maximum first, so logits
    of 1000 are fine); default the lecture's ``SOFTMAX_LOGITS`` (2.0, 1.0, 0.1).
    label: the correct class (int index); names: class names (default 0, 1, …).
    Returns a :class:`SoftmaxExplorer`.
    """
    return SoftmaxExplorer(logits, label=label, names=names)


class SoftmaxExplorer(Displayable):
    """Widgets ``logits`` (list of FloatSliders) and ``label`` (Dropdown).

    Results: ``probs (K,)``, ``log_probs (K,)``, ``cross_entropy`` (float).
    HTML: one ``.cnnlab-prob-row`` per class (``.label`` for the chosen one) holding a
    ``.cnnlab-prob-bar`` whose width is the probability; ``.cnnlab-ce`` the cross-entropy.
    """

    def __init__(self, logits=None, *, label=0, names=None):
        logits = SOFTMAX_LOGITS if logits is None else logits
        z = real_array(logits, "logits", (1,), "(K,)")
        K = z.size
        if not 2 <= K <= 20:
            raise ValueError(tr(ja=f"logits は 2 個から 20 個にしてください（{K} 個）",
                                en=f"give between 2 and 20 logits, got {K}"))
        label = check_int(label, "label", 0)
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
        self.widget = widgets.VBox([style_widget(), *self.logits, self.label, self.view])
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
        ce = tr(ja="交差エントロピー誤差", en="cross-entropy") + f": {ce}"
        caption = tr(ja="ソフトマックス（最大値を引いてから exp するので、大きなロジットでもあふれません）:",
                     en="softmax (the maximum is subtracted before exp, so large logits never overflow):")
        self.view.value = (f'<div class="cnnlab-caption">{caption}</div>'
                           f'<div class="cnnlab-formula">{formula}</div>' + "".join(rows)
                           + f'<div class="cnnlab-ce">{ce}</div>'
                           + '<div class="cnnlab-caption">'
                           + tr(ja="橙 = 正解ラベル", en="orange = the true label") + "</div>")
