"""cnnlab.widgets without a browser: drive the widgets through their controls, read their HTML.

Expected values come from the lecture's worked examples or from the plain loops below, never
from cnnlab itself.
"""

import math
import re
from html.parser import HTMLParser

import ipywidgets
import numpy as np
import pytest

import cnnlab
from cnnlab import widgets as W

IMAGE = [[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]]
KERNEL = [[1, 0, 2], [0, 2, 0], [1, 1, -1]]


# ---------------------------------------------------------------------------------------------
# helpers: a reference convolution written as loops, and an HTML table reader

def loop_correlate(image, kernel, stride=1, pad=0):
    """Cross-correlation by the definition: out[i, j] = sum x[i*S + u, j*S + v] * k[u, v]."""
    x = np.pad(np.asarray(image, float), pad)
    k = np.asarray(kernel, float)
    oh = (x.shape[0] - k.shape[0]) // stride + 1
    ow = (x.shape[1] - k.shape[1]) // stride + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for u in range(k.shape[0]):
                for v in range(k.shape[1]):
                    out[i, j] += x[i * stride + u, j * stride + v] * k[u, v]
    return out


class _TableReader(HTMLParser):
    """Every <table> whose class list holds ``css_class``: rows of (set of td classes, td text)."""

    def __init__(self, css_class):
        super().__init__()
        self.css_class, self.tables, self._in_table, self._cell = css_class, [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and self.css_class in (attrs.get("class") or "").split():
            self._in_table = True
            self.tables.append([])
        elif self._in_table and tag == "tr":
            self.tables[-1].append([])
        elif self._in_table and tag == "td":
            self._cell = [set((attrs.get("class") or "").split()), ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.tables[-1][-1].append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "table":
            self._in_table = False


def tables(html, css_class):
    reader = _TableReader(css_class)
    reader.feed(html)
    return reader.tables


def cells_with(table, cls):
    """{(row, col)} of the cells of ``table`` that have class ``cls``."""
    return {(r, c) for r, row in enumerate(table) for c, (classes, _) in enumerate(row) if cls in classes}


def product_sum(w):
    m = re.search(r'<div class="cnnlab-product-sum">(.*?)</div></div>', w.view.value)
    assert m, "no product-sum element"
    return re.sub(r"<[^>]+>", "\n", m.group(1))


def block(top, left, kh, kw):
    return {(r, c) for r in range(top, top + kh) for c in range(left, left + kw)}


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


# ---------------------------------------------------------------------------------------------
# 1. filter sliding

def test_worked_example_first_window():
    w = W.filter_sliding()
    assert w.position.value == 0 and w.position.max == 3        # 2x2 output = 4 positions
    assert "1×1 + 2×0 + 3×2 + 4×0 + 3×2 + 2×0 + 0×1 + 1×1 + 2×(−1) = 12" in product_sum(w)
    (grid,) = tables(w.view.value, "cnnlab-input-grid")
    assert len(grid) == 4 and all(len(row) == 4 for row in grid)
    assert [[text for _, text in row] for row in grid] == [[str(v) for v in row] for row in IMAGE]
    assert cells_with(grid, "window") == block(0, 0, 3, 3)
    assert cells_with(grid, "pad") == set()
    (out,) = tables(w.view.value, "cnnlab-output-map")
    assert cells_with(out, "filled") == {(0, 0)} and cells_with(out, "current") == {(0, 0)}
    assert out[0][0][1] == "12" and out[0][1][1] == out[1][0][1] == out[1][1][1] == ""


def test_output_fills_cell_by_cell():
    w = W.filter_sliding()
    w.position.value = 1
    (out,) = tables(w.view.value, "cnnlab-output-map")
    assert cells_with(out, "filled") == {(0, 0), (0, 1)} and cells_with(out, "current") == {(0, 1)}
    assert cells_with(tables(w.view.value, "cnnlab-input-grid")[0], "window") == block(0, 1, 3, 3)
    assert product_sum(w).count("= 14") == 1
    w.position.value = 3
    assert "3×1 + 2×0 + 1×2 + 1×0 + 2×2 + 3×0 + 2×1 + 1×1 + 2×(−1) = 10" in product_sum(w)
    (out,) = tables(w.view.value, "cnnlab-output-map")
    assert [[t for _, t in row] for row in out] == [["12", "14"], ["14", "10"]]
    assert cells_with(out, "filled") == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert cells_with(out, "current") == {(1, 1)}
    assert cells_with(tables(w.view.value, "cnnlab-input-grid")[0], "window") == block(1, 1, 3, 3)
    np.testing.assert_allclose(w.output, [[12, 14], [14, 10]])


def test_padding_cells_are_marked_and_worked_example_with_pad_1():
    w = W.filter_sliding(pad=1)
    (grid,) = tables(w.view.value, "cnnlab-input-grid")
    assert len(grid) == 6 and all(len(row) == 6 for row in grid)
    border = {(r, c) for r in range(6) for c in range(6) if r in (0, 5) or c in (0, 5)}
    assert cells_with(grid, "pad") == border
    assert all(grid[r][c][1] == "0" for r, c in border)
    # curriculum: padded by 1 the output keeps its 4x4 size and the top-left output is 3
    assert w.position.max == 15
    assert "0×1 + 0×0 + 0×2 + 0×0 + 1×2 + 2×0 + 0×1 + 4×1 + 3×(−1) = 3" in product_sum(w)
    np.testing.assert_allclose(w.output, loop_correlate(IMAGE, KERNEL, pad=1))


def test_stride_2_moves_the_window_two_cells():
    w = W.filter_sliding(pad=1)
    w.stride.value = 2
    assert w.output.shape == (2, 2) and w.position.max == 3
    tops = {}
    for p in range(4):
        w.position.value = p
        window = cells_with(tables(w.view.value, "cnnlab-input-grid")[0], "window")
        tops[p] = (min(r for r, _ in window), min(c for _, c in window))
        assert window == block(*tops[p], 3, 3)
    assert tops == {0: (0, 0), 1: (0, 2), 2: (2, 0), 3: (2, 2)}
    expected = loop_correlate(IMAGE, KERNEL, stride=2, pad=1)
    np.testing.assert_allclose(w.output, expected)
    assert product_sum(w).rstrip().endswith(f"= {int(expected[1, 1])}")


def test_multichannel_sums_channels_adds_bias_applies_activation():
    image, kernel, bias = W.multichannel_example()
    w = W.filter_sliding(image, kernel, bias=bias, activation="relu")
    assert len(tables(w.view.value, "cnnlab-input-grid")) == 2
    # by hand: channel 0 is the worked example (12), channel 1 the checkerboard on the diagonal (0)
    text = product_sum(w)
    assert "channel 0 — 1×1 + 2×0 + 3×2 + 4×0 + 3×2 + 2×0 + 0×1 + 1×1 + 2×(−1) = 12" in text
    assert "channel 1 — 0×1 + 1×0 + 0×0 + 1×0 + 0×1 + 1×0 + 0×0 + 1×0 + 0×1 = 0" in text
    assert "sum over channels: 12 + 0 = 12" in text
    assert "bias: 12 + (−13) = −1" in text
    assert "ReLU(−1) = 0" in text
    w.position.value = 1
    text = product_sum(w)
    assert "sum over channels: 14 + 3 = 17" in text and "ReLU(4) = 4" in text
    np.testing.assert_allclose(w.output, [[0, 4], [4, 0]])


def test_multichannel_random_against_loops():
    rng = np.random.default_rng(0)
    image, kernel = rng.integers(-3, 4, (3, 5, 6)), rng.integers(-2, 3, (3, 2, 3))
    w = W.filter_sliding(image, kernel, stride=2, pad=1, bias=0.5)
    expected = sum(loop_correlate(image[c], kernel[c], stride=2, pad=1) for c in range(3)) + 0.5
    np.testing.assert_allclose(w.output, expected)
    for p in range(expected.size):
        w.position.value = p
        per_channel = [loop_correlate(image[c], kernel[c], stride=2, pad=1).flat[p] for c in range(3)]
        line = [ln for ln in product_sum(w).splitlines() if ln.startswith("sum over channels")][0]
        assert line.endswith(f"= {W._fmt(sum(per_channel))}")


def test_real_digit_image():
    digit = W.digit_image(0)
    assert digit.shape == (8, 8) and digit.max() > 8        # real ink strokes, values 0..16
    w = W.filter_sliding(digit)
    np.testing.assert_allclose(w.output, loop_correlate(digit, KERNEL))
    w.preset.value = "edge"
    np.testing.assert_allclose(w.output, loop_correlate(digit, [[1, 0, -1]] * 3))
    w.position.value = w.position.max
    assert cells_with(tables(w.view.value, "cnnlab-output-map")[0], "filled") == \
        {(r, c) for r in range(6) for c in range(6)}


def test_large_input_is_drawn_compact_but_complete():
    x = np.kron(W.digit_image(1), np.ones((4, 4)))[2:30, 2:30]      # 28x28
    w = W.filter_sliding(x, [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    w.position.value = 26 * 3 + 5
    (grid,) = tables(w.view.value, "cnnlab-input-grid")
    assert len(grid) == 28 and cells_with(grid, "window") == block(3, 5, 3, 3)
    (out,) = tables(w.view.value, "cnnlab-output-map")
    assert len(cells_with(out, "filled")) == 26 * 3 + 6 and cells_with(out, "current") == {(3, 5)}


def test_presets_custom_kernel_and_learned_kernel():
    w = W.filter_sliding()
    assert w.kernel_text.disabled
    w.preset.value = "blur"
    np.testing.assert_allclose(w.output, loop_correlate(IMAGE, np.full((3, 3), 1 / 9)))
    w.preset.value = "custom"
    assert not w.kernel_text.disabled
    w.kernel_text.value = "0 0 0\n0 1 0\n0 0 0"
    np.testing.assert_allclose(w.output, [[3, 2], [1, 2]])            # the centre pixels
    w.kernel_text.value = "1 x 0"                                        # malformed: reported
    assert "numbers" in w.message.value
    np.testing.assert_allclose(w.output, [[3, 2], [1, 2]])            # kernel unchanged
    learned = np.array([[0.5, -0.25], [0.0, 1.0]])
    w2 = W.filter_sliding(kernel=learned)
    assert w2.preset.value == "learned"
    np.testing.assert_allclose(w2.output, loop_correlate(IMAGE, learned))
    assert "1×0.5 + 2×(−0.25) + 4×0 + 3×1 = 3" in product_sum(w2)


def test_kernel_that_does_not_fit_is_a_message_not_a_crash():
    w = W.filter_sliding()
    w.preset.value = "custom"
    w.kernel_text.value = "\n".join(["1 1 1 1 1"] * 5)
    assert w.output is None and "larger than the padded input" in w.message.value
    w.position.value = 0                                                  # still alive
    w.pad.value = 1
    assert w.output.shape == (2, 2) and w.message.value == ""


def test_student_true_convolution_is_caught_where_it_differs():
    def student_flipped(image, kernel):         # a classic mistake: flips the kernel
        return loop_correlate(image, np.asarray(kernel)[::-1, ::-1])

    right, flipped = loop_correlate(IMAGE, KERNEL), loop_correlate(IMAGE, np.array(KERNEL)[::-1, ::-1])
    differs = {(r, c) for r in range(2) for c in range(2) if not np.isclose(right[r, c], flipped[r, c])}
    assert differs                               # the example does tell the two apart
    w = W.filter_sliding(student_fn=student_flipped)
    assert w.student_error is None
    np.testing.assert_allclose(w.student_output, flipped)
    first = min(differs, key=lambda rc: rc[0] * 2 + rc[1])
    for p in range(4):
        w.position.value = p
        (st,) = tables(w.view.value, "cnnlab-student-map")
        shown = {(r, c) for r in range(2) for c in range(2) if r * 2 + c <= p}
        assert cells_with(st, "filled") == shown
        assert cells_with(st, "wrong") == differs & shown
        status = re.search(r'cnnlab-student-status">(.*?)</div>', w.view.value).group(1)
        if divmod(p, 2) == first:
            assert "Here your output differs" in status
        elif p < first[0] * 2 + first[1]:
            assert "All" in status and "right" in status


def test_student_correct_function_and_stride_padding():
    def student(image, kernel):
        return loop_correlate(image, kernel)

    w = W.filter_sliding(student_fn=student, pad=1, stride=2)
    assert not w.mismatch.any()
    w.position.value = w.position.max
    (st,) = tables(w.view.value, "cnnlab-student-map")
    assert cells_with(st, "wrong") == set() and len(cells_with(st, "right")) == 4


def test_student_single_channel_gets_bias_and_activation_added():
    # conv2d_single has no bias: the widget adds the bias and the activation itself
    def student(image, kernel):
        return loop_correlate(image, kernel)

    w = W.filter_sliding(student_fn=student, bias=-13.0, activation="relu")
    np.testing.assert_allclose(w.output, [[0, 1], [1, 0]])
    assert not w.mismatch.any()


def test_student_multichannel_missing_bias():
    image, kernel, bias = W.multichannel_example()

    def student(x, w, b):                       # forgets the bias
        return np.stack([sum(loop_correlate(x[c], w[f, c]) for c in range(x.shape[0]))
                         for f in range(w.shape[0])])

    w = W.filter_sliding(image, kernel, bias=bias, student_fn=student)
    np.testing.assert_allclose(w.student_output, [[12, 17], [17, 10]])
    assert w.mismatch.all()


def test_student_function_that_raises_or_returns_garbage_is_reported():
    def raises(image, kernel):
        raise NotImplementedError("write me")

    w = W.filter_sliding(student_fn=raises)
    assert "NotImplementedError" in w.message.value and "write me" in w.message.value
    assert w.student_output is None
    w.position.value = 2                        # the widget keeps working
    assert "= 14" in product_sum(w)
    w = W.filter_sliding(student_fn=lambda image, kernel: np.zeros((3, 3)))
    assert "(2, 2)" in w.message.value and "(3, 3)" in w.message.value
    w = W.filter_sliding(student_fn=lambda image, kernel: None)
    assert w.student_error is not None


def test_student_function_cannot_change_the_widgets_image():
    def vandal(image, kernel):
        image[...] = 0
        return loop_correlate(image, kernel)

    w = W.filter_sliding(student_fn=vandal)
    np.testing.assert_allclose(w.image[0], IMAGE)
    np.testing.assert_allclose(w.output, [[12, 14], [14, 10]])

    def vandal_multi(x, w, b):
        x[...], w[...] = 0, 0
        return np.zeros((1, 2, 2))

    image, kernel, bias = W.multichannel_example()
    w = W.filter_sliding(image, kernel, bias=bias, student_fn=vandal_multi)
    np.testing.assert_allclose(w.image, image)
    np.testing.assert_allclose(w.kernel, kernel)
    w.position.value = 1
    assert "sum over channels: 14 + 3 = 17" in product_sum(w)


@pytest.mark.parametrize("kwargs, error", [
    (dict(image="abc"), TypeError),
    (dict(image=[1, 2, 3]), ValueError),
    (dict(image=[[1, 2], [3, np.nan]]), ValueError),
    (dict(image=np.zeros((2, 4, 4)), kernel=np.ones((3, 3))), ValueError),
    (dict(image=np.zeros((2, 4, 4)), kernel=np.ones((3, 3, 3))), ValueError),
    (dict(kernel=np.ones((5, 5))), ValueError),
    (dict(stride=0), ValueError),
    (dict(stride=1.5), TypeError),
    (dict(pad=-1), ValueError),
    (dict(bias="1"), TypeError),
    (dict(activation="tanh"), ValueError),
    (dict(student_fn=3), TypeError),
])
def test_filter_sliding_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        W.filter_sliding(**kwargs)


def test_dom_contract_and_display():
    w = W.filter_sliding()
    assert isinstance(w.position, ipywidgets.IntSlider)
    assert "cnnlab-position" in w.position._dom_classes
    assert isinstance(w.play, ipywidgets.Play)
    link = w._play_link
    assert link.source[0] is w.play and link.target[0] is w.position
    assert w.play.max == w.position.max
    assert '<table class="cnnlab-input-grid">' in w.view.value
    assert '<table class="cnnlab-output-map">' in w.view.value
    assert isinstance(w.widget, ipywidgets.Widget)
    bundle = w._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.widget.model_id


# ---------------------------------------------------------------------------------------------
# 2. padding / stride explorer

def positions(size, k, pad, stride):
    """Window start positions along one axis, counted one by one."""
    return list(range(0, size + 2 * pad - k + 1, stride))


def test_explorer_formula_filled_in():
    e = W.padding_stride_explorer(4, 3, pad=1, stride=1)
    assert "OH = (H + 2·P − K) // S + 1 = (4 + 2·1 − 3) // 1 + 1 = 4" in e.view.value
    assert e.output_size == len(positions(4, 3, 1, 1)) == 4
    assert e.problems == [] and e.uncovered == ()
    assert e.view.value.count('class="pad"') == 6 * 6 - 4 * 4
    assert e.view.value.count('class="position"') == 4 * 4
    e.size.value, e.kernel_size.value, e.pad.value, e.stride.value = 7, 3, 0, 2
    assert "(7 + 2·0 − 3) // 2 + 1 = 3" in e.view.value
    assert e.output_size == len(positions(7, 3, 0, 2))


def test_explorer_uncovered_rows():
    e = W.padding_stride_explorer(5, 2, pad=0, stride=2)
    starts = positions(5, 2, 0, 2)
    covered = {s + u for s in starts for u in range(2)}
    assert e.uncovered == tuple(sorted(set(range(5)) - covered)) == (4,)
    assert "not divisible by S = 2" in e.view.value and "input row(s)/column(s) 4" in e.view.value
    e2 = W.padding_stride_explorer(4, 3, pad=1, stride=2)      # only a padding row is missed
    assert e2.uncovered == (5,) and "only padding" in e2.view.value


def test_explorer_combinations_that_do_not_fit():
    e = W.padding_stride_explorer(4, 7, pad=1, stride=1)
    assert e.output_size is None and len(e.problems) == 1
    assert "larger than the padded input H + 2·P = 4 + 2·1 = 6" in e.view.value
    assert 'class="cnnlab-message"' in e.view.value
    e.kernel_size.value = 3
    e.stride.value = 0
    assert e.output_size is None and "at least 1" in e.problems[0]
    with pytest.raises(ValueError):
        W.padding_stride_explorer(0, 3)
    with pytest.raises(TypeError):
        W.padding_stride_explorer(4, "3")


# ---------------------------------------------------------------------------------------------
# 3. pooling

def loop_max_pool(x, size=2, stride=2):
    x = np.asarray(x, float)
    oh, ow = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    return np.array([[x[i * stride:i * stride + size, j * stride:j * stride + size].max()
                      for j in range(ow)] for i in range(oh)])


def test_pooling_worked_examples_and_argmax_highlight():
    v = W.pooling_viewer()
    np.testing.assert_allclose(v.output, [[4, 4], [3, 3]])
    # the first maximum (row by row) of each window: 4 at (1,0), 4 at (0,3), 3 at (3,0), 3 at (2,3)
    assert v.argmax_cells == {(1, 0), (0, 3), (3, 0), (2, 3)}
    (grid,) = tables(v.view.value, "cnnlab-pool-input")
    assert cells_with(grid, "argmax") == v.argmax_cells
    v2 = W.pooling_viewer(W.POOL_EXAMPLE)
    np.testing.assert_allclose(v2.output, [[6, 8], [3, 4]])
    assert cells_with(tables(v2.view.value, "cnnlab-pool-input")[0], "argmax") == \
        {(1, 1), (1, 3), (2, 0), (3, 3)}
    v2.mode.value = "avg"
    np.testing.assert_allclose(v2.output, [[13 / 4, 21 / 4], [8 / 4, 8 / 4]])
    assert cells_with(tables(v2.view.value, "cnnlab-pool-input")[0], "argmax") == set()
    v2.size.value, v2.stride.value = 3, 1
    np.testing.assert_allclose(v2.output, [[28 / 9, 31 / 9], [30 / 9, 33 / 9]])
    v2.size.value = 4
    v2.stride.value = 3                          # 4x4 window on 4x4: a single output
    assert v2.output.shape == (1, 1)


def test_pooling_shift_counts_changed_outputs():
    x = W.digit_image(5)
    v = W.pooling_viewer(x)
    assert v.changed is None
    v.shift.value = True
    shifted = np.zeros_like(x)
    shifted[:, 1:] = x[:, :-1]
    expected = int((loop_max_pool(x) != loop_max_pool(shifted)).sum())
    assert v.changed == expected
    assert f"changed {expected} of the 16 outputs" in v.view.value
    assert len(cells_with(tables(v.view.value, "cnnlab-pool-output")[0], "changed")) == expected
    v.shift.value = False
    assert v.changed is None
    with pytest.raises(ValueError):
        W.pooling_viewer(mode="min")
    with pytest.raises(ValueError):
        W.pooling_viewer(np.zeros((2, 2, 2)))


# ---------------------------------------------------------------------------------------------
# 4. softmax

def bar_widths(html):
    return [float(x) for x in re.findall(r'cnnlab-prob-bar" style="width:([0-9.]+)%', html)]


def test_softmax_bars_and_cross_entropy():
    s = W.softmax_explorer([2.0, 1.0, 0.1], label=0)
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]
    expected = [v / sum(e) for v in e]
    np.testing.assert_allclose(s.probs, expected)
    assert abs(sum(bar_widths(s.view.value)) - 100) < 0.05
    assert s.cross_entropy == pytest.approx(-math.log(expected[0]))
    assert f"= {-math.log(expected[0]):.4g}" in s.view.value
    s.label.value = 2
    assert s.cross_entropy == pytest.approx(-math.log(expected[2]))
    s.logits[2].value = 5.0
    e = [math.exp(2.0), math.exp(1.0), math.exp(5.0)]
    assert s.probs[2] == pytest.approx(e[2] / sum(e))


def test_softmax_default_is_the_lecture_example():
    # Lecture: softmax(2.0, 1.0, 0.1) = (0.659, 0.242, 0.099); answer 0 -> -log 0.659 = 0.417.
    cnnlab.set_language("ja")
    s = W.softmax_explorer()
    np.testing.assert_allclose(s.probs, [0.659, 0.242, 0.099], atol=5e-4)
    assert s.cross_entropy == pytest.approx(0.417, abs=5e-4)
    assert "交差エントロピー誤差: CE = −log p[0] = −log 0.659 = 0.417" in s.view.value


def test_softmax_is_stable_for_huge_logits():
    s = W.softmax_explorer([1000.0, 0.0, -1000.0], label=2)
    assert np.all(np.isfinite(s.probs)) and s.probs.sum() == pytest.approx(1)
    assert s.cross_entropy == pytest.approx(2000.0)        # -log p = 1000 - (-1000) - log(1+...)
    s.label.value = 0
    assert s.cross_entropy == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        W.softmax_explorer([1.0])
    with pytest.raises(ValueError):
        W.softmax_explorer([1.0, 2.0], label=2)


# ---------------------------------------------------------------------------------------------
# 5. feature maps with a tiny duck-typed network

class TinyConv:
    """Two fixed 3x3 filters (vertical edge, its negative), valid, on (N, 1, H, W)."""

    def forward(self, x):
        k = np.array([[1, 0, -1]] * 3, float)
        maps = [loop_correlate(img[0], k) for img in x]
        return np.stack([np.stack([m, -m]) for m in maps])


class TinyRelu:
    def forward(self, x):
        return np.maximum(x, 0)


class TinyFlattenSum:
    def forward(self, x):
        return x.reshape(len(x), x.shape[1], -1).sum(axis=2)      # (N, 2): one score per channel


class TinyNet:
    def __init__(self, *layers):
        self.layers = list(layers)


def test_feature_maps_shows_every_layer():
    images = np.stack([W.digit_image(i) for i in range(3)])            # (3, 8, 8)
    v = W.feature_maps(TinyNet(TinyConv(), TinyRelu(), TinyFlattenSum()), images)
    edge = loop_correlate(images[0], [[1, 0, -1]] * 3)
    np.testing.assert_allclose(v.activations[0], np.stack([edge, -edge]))
    np.testing.assert_allclose(v.activations[1], np.stack([np.maximum(edge, 0), np.maximum(-edge, 0)]))
    np.testing.assert_allclose(v.activations[2], [np.maximum(edge, 0).sum(), np.maximum(-edge, 0).sum()])
    html = v.view.value
    assert html.count('class="cnnlab-layer"') == 4                       # input + 3 layers
    assert html.count('<img class="cnnlab-maps"') == 4
    assert "layer 1: TinyConv (2 × 6 × 6)" in html and "input (1 × 8 × 8)" in html
    expected_class = int(np.argmax(v.activations[2]))
    assert f"predicted class {expected_class}" in html
    v.index.value = 2
    assert v.view.value != html
    edge2 = loop_correlate(images[2], [[1, 0, -1]] * 3)
    np.testing.assert_allclose(v.activations[0][0], edge2)


def test_feature_maps_reports_a_failing_layer_and_rejects_bad_input():
    class Broken:
        def forward(self, x):
            raise ValueError("shapes do not match")

    v = W.feature_maps(TinyNet(TinyConv(), Broken()), np.zeros((2, 1, 8, 8)))
    assert "layer 2 (Broken)" in v.message.value and "shapes do not match" in v.message.value
    assert v.view.value.count('class="cnnlab-layer"') == 2
    with pytest.raises(TypeError):
        W.feature_maps(object(), np.zeros((2, 8, 8)))
    with pytest.raises(ValueError):
        W.feature_maps(TinyNet(TinyRelu()), np.zeros((8, 8)))


# ---------------------------------------------------------------------------------------------
# the package: one module per widget, the old names kept

def test_every_name_is_there_and_each_widget_has_its_own_module():
    import importlib

    from cnnlab.widgets import (POOL_EXAMPLE, WORKED_IMAGE, WORKED_KERNEL, digit_image,  # noqa: F401
                                feature_maps, filter_sliding, multichannel_example,
                                padding_stride_explorer, pooling_viewer, softmax_explorer)

    for builder in (filter_sliding, padding_stride_explorer, pooling_viewer, softmax_explorer, feature_maps):
        assert callable(builder) and not isinstance(builder, type(importlib))   # a function, not a module
    modules = {"filter_sliding": "sliding", "padding_stride_explorer": "padding_stride",
               "pooling_viewer": "pooling", "softmax_explorer": "softmax", "feature_maps": "feature_viewer"}
    for builder, module in modules.items():
        assert getattr(W, builder).__module__ == f"cnnlab.widgets.{module}"
    assert W.WORKED_IMAGE is cnnlab.examples.WORKED_IMAGE and W.POOL_EXAMPLE is cnnlab.examples.POOL_EXAMPLE
    assert W._fmt(-1.5) == "\u22121.5" and W._fmt(12.0) == "12"


# ---------------------------------------------------------------------------------------------
# language

def test_labels_follow_the_language():
    cnnlab.set_language("ja")
    w = W.filter_sliding()
    assert w.position.description == "位置" and w.stride.description == "ストライド"
    assert "積和" in w.view.value
    assert "パディング" in W.padding_stride_explorer(4, 7).view.value
    assert W.pooling_viewer().mode.options[0][0] == "MAXプーリング"
    with pytest.raises(ValueError, match="stride は 1 以上"):
        W.filter_sliding(stride=0)
    cnnlab.set_language("en")
    w = W.filter_sliding()
    assert w.position.description == "position" and "product-sum" in w.view.value
    with pytest.raises(ValueError, match="stride must be >= 1"):
        W.filter_sliding(stride=0)
