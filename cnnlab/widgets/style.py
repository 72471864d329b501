"""How the widgets look: one style sheet, HTML tables and boxes, gray shading.

Grids are HTML tables (not matplotlib figures) so that one frame costs a few milliseconds. The
CSS classes named here are the ones the tests and the browser test read.
"""

import ipywidgets as widgets
import numpy as np


def gray(t, darkest):
    """Background colour for ``t`` in [0, 1]: white at 0, gray level ``darkest`` at 1."""
    g = int(round(255 - (255 - darkest) * t))
    return f"background:rgb({g},{g},{g})"


def unit_range(values):
    """Map ``values`` linearly onto [0, 1] (all 0 when they are all equal)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi - lo < 1e-12:
        return np.zeros_like(values, dtype=float)
    return (values - lo) / (hi - lo)


CSS = """<style>
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


def style_widget():
    return widgets.HTML(CSS)


def table(css_class, rows, compact=False):
    """``<table class="css_class">`` from row strings of ``<td>`` cells."""
    attr = " data-compact" if compact else ""
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f'<table class="{css_class}"{attr}>{body}</table>'


def box(content, caption):
    return f'<div class="cnnlab-box"><div class="cnnlab-caption">{caption}</div>{content}</div>'
