"""Feature-map viewer: every layer's output channels for an image picked with a slider.

Each channel is scaled to [0, 1] on its own and drawn as a small grayscale PNG mosaic; 1-D
outputs (affine layers, logits) are drawn as a strip and the last one names the predicted class.
"""

import base64
import html
import io

import ipywidgets as widgets
import numpy as np

from ..language import tr
from .core import Displayable, check_int, real_array
from .style import style_widget, unit_range


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
        out[r * (H + 1):r * (H + 1) + H, q * (W + 1):q * (W + 1) + W] = unit_range(maps[c])
    return out


class FeatureMapViewer(Displayable):
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
        x = real_array(images, "images", (3, 4), "(N, C, H, W) / (N, H, W)")
        self.images = x[:, None] if x.ndim == 3 else x
        self.network = network
        self.max_channels = check_int(max_channels, "max_channels", 1)
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.images) - 1,
                                       description=tr(ja="画像", en="image"))
        self.view = widgets.HTML()
        self.message = widgets.HTML()
        self.widget = widgets.VBox([style_widget(), self.index, self.view, self.message])
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
                img = unit_range(a)[None, :]
                extra = ""
                if k == len(stages) - 1 and not message:
                    best = int(np.argmax(a))
                    extra = tr(ja=f" — 予測クラス {best}", en=f" — predicted class {best}")
                cell = max(1, min(12, 480 // a.size))    # long vectors stay on screen
            else:
                maps = a.reshape((-1,) + a.shape[-2:])[:self.max_channels]
                img = _mosaic(maps)
                extra = "" if len(a.reshape((-1,) + a.shape[-2:])) <= self.max_channels else \
                    tr(ja=f"（最初の {self.max_channels} チャネル）", en=f" (first {self.max_channels} channels)")
                cell = max(1, 48 // max(a.shape[-2:]))
            style = f"width:{img.shape[1] * cell}px;height:{img.shape[0] * cell}px"
            parts.append(f'<div class="cnnlab-layer"><div class="cnnlab-caption">{html.escape(title)} '
                         f'({shape}){html.escape(extra)}</div><img class="cnnlab-maps" '
                         f'style="{style}" src="{_png_data_url(img)}"/></div>')
        return activations, "".join(parts), message
