"""Interactive widgets for the lectures: watch a filter slide, see sizes, pooling, softmax, features.

Every widget is built by a function and displays itself in Jupyter (its root ipywidget is
``.widget``). Its state lives in plain attributes that are ipywidgets (``w.position.value = 3``);
each change recomputes the HTML through ``update()``. Grids are drawn as HTML tables and SVG, not
matplotlib figures, so one frame costs a few milliseconds of Python time.

==========================================  ==================================================
``filter_sliding(image, kernel, ...)``      the kernel window sliding over the input, the
  (``sliding.py``)                          product-sum written out, the output filling in;
                                            optionally a student's function checked cell by cell
``padding_stride_explorer(size, ...)``      ``OH = (H + 2P - K) // S + 1`` filled in, drawn
  (``padding_stride.py``)
``pooling_viewer(image, ...)``              MAX / average pooling, the maxima highlighted,
  (``pooling.py``)                          a one-pixel shift of the input
``softmax_explorer(logits, ...)``           logits on sliders -> probabilities, cross-entropy
  (``softmax.py``)
``feature_maps(network, images)``           each layer's output channels for a chosen image
  (``feature_viewer.py``)
==========================================  ==================================================

Shared by all of them: ``core.py`` (argument checks, number formatting, the displayable base) and
``style.py`` (the style sheet, HTML tables, shading). Example inputs: the lectures' worked numbers
(``cnnlab.examples``, re-exported here), ``digit_image`` and ``multichannel_example`` (``inputs.py``).

Conventions as in the course: "convolution" is cross-correlation (the kernel is not flipped),
zero padding, ``OH = (H + 2*pad - KH) // stride + 1``.
"""

from ..examples import POOL_EXAMPLE, WORKED_IMAGE, WORKED_KERNEL
from .core import fmt as _fmt                    # reached by tests/test_widgets.py
from .feature_viewer import FeatureMapViewer, feature_maps
from .inputs import digit_image, multichannel_example
from .padding_stride import PaddingStrideExplorer, padding_stride_explorer
from .pooling import PoolingViewer, pooling_viewer
from .sliding import FilterSliding, filter_sliding
from .sliding import cross_correlate as _cross_correlate   # reached by benchmarks/bench_widgets.py
from .softmax import SoftmaxExplorer, softmax_explorer

__all__ = [
    "WORKED_IMAGE", "WORKED_KERNEL", "POOL_EXAMPLE",
    "digit_image", "multichannel_example",
    "filter_sliding", "FilterSliding",
    "padding_stride_explorer", "PaddingStrideExplorer",
    "pooling_viewer", "PoolingViewer",
    "softmax_explorer", "SoftmaxExplorer",
    "feature_maps", "FeatureMapViewer",
]
