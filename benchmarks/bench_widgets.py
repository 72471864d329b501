"""Python time of one frame update of each cnnlab widget, against one matplotlib redraw to PNG.

Prints a table; no asserts. Run:  python benchmarks/bench_widgets.py
A "frame" is what one slider step costs in the kernel: setting the control's value runs the
widget's observer, which recomputes its HTML and assigns it to an ipywidgets.HTML (outside a
running kernel the message is not sent, so JSON encoding and the socket are not counted).
Target (issue 4): <= 30 ms per frame at the default sizes. The baseline, measured in the same
run, is the naive alternative: redraw a matplotlib figure of the same frame and save it as PNG.
"""

import io
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cnnlab import nn  # noqa: E402
from cnnlab import widgets as W  # noqa: E402

FRAMES = 50
TARGET_MS = 30.0


def frame_times(step, frames=FRAMES):
    """Median and worst time in ms of ``step(k)`` for k = 1..frames (after one warm-up)."""
    step(0)
    times = []
    for k in range(1, frames + 1):
        start = time.perf_counter()
        step(k)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times), 1e3 * max(times)


def slider_steps(control, values):
    """A step function that moves ``control`` through ``values`` cyclically."""
    return lambda k: setattr(control, "value", values[k % len(values)])


def matplotlib_redraw(image, kernel, frames=15):
    """The naive frame: input with the window drawn, kernel, partial output, title; to PNG."""
    out = W._cross_correlate(image[None], kernel[None], 1)
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    annotate = image.shape[1] <= 12

    def draw(k):
        i, j = divmod(k % out.size, out.shape[1])
        for ax in axes:
            ax.clear()
        axes[0].imshow(image, cmap="gray_r")
        axes[0].add_patch(plt.Rectangle((j - 0.5, i - 0.5), kernel.shape[1], kernel.shape[0],
                                        fill=False, edgecolor="orange", linewidth=2))
        axes[1].imshow(kernel, cmap="coolwarm")
        partial = np.full(out.shape, np.nan)
        partial.flat[:k % out.size + 1] = out.flat[:k % out.size + 1]
        axes[2].imshow(partial, cmap="viridis")
        if annotate:       # numbers in the cells, as the HTML grid shows them
            for (r, c), v in np.ndenumerate(image):
                axes[0].text(c, r, f"{v:g}", ha="center", va="center", fontsize=8)
            for (r, c), v in np.ndenumerate(kernel):
                axes[1].text(c, r, f"{v:g}", ha="center", va="center", fontsize=8)
        fig.suptitle(f"position {k % out.size}: sum = {out.flat[k % out.size]:g}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)

    median, worst = frame_times(draw, frames)
    plt.close(fig)
    return median, worst


def digit_28():
    """A real 8x8 digit enlarged to 28x28 (nearest neighbour), as an MNIST-sized input."""
    rows = np.arange(28) * 8 // 28
    return W.digit_image(0)[np.ix_(rows, rows)]


def main():
    digit = digit_28()
    rows = []

    w = W.filter_sliding()
    rows.append(("filter sliding, worked example 4x4 (position step)",
                 frame_times(slider_steps(w.position, [0, 1, 2, 3]))))

    w = W.filter_sliding(student_fn=lambda x, k: W._cross_correlate(x[None], k[None], 1))
    rows.append(("filter sliding, 4x4 + student function (position step)",
                 frame_times(slider_steps(w.position, [0, 1, 2, 3]))))

    image, kernel, bias = W.multichannel_example()
    w = W.filter_sliding(image, kernel, bias=bias, activation="relu")
    rows.append(("filter sliding, 2-channel example + bias + ReLU (position step)",
                 frame_times(slider_steps(w.position, [0, 1, 2, 3]))))

    w = W.filter_sliding(digit, W.WORKED_KERNEL)
    rows.append(("filter sliding, 28x28 digit, 3x3 kernel (position step)",
                 frame_times(slider_steps(w.position, list(range(0, 676, 7))))))
    rows.append(("filter sliding, 28x28 digit (stride 1<->2: recompute all)",
                 frame_times(slider_steps(w.stride, [1, 2]))))
    w = W.filter_sliding(digit, W.WORKED_KERNEL, pad=1,
                         student_fn=lambda x, k: W._cross_correlate(x[None], k[None], 1))
    rows.append(("filter sliding, 28x28 digit, pad 1 + student function (position step)",
                 frame_times(slider_steps(w.position, list(range(0, 784, 7))))))

    e = W.padding_stride_explorer()
    rows.append(("padding/stride explorer, default (padding step)",
                 frame_times(slider_steps(e.pad, [0, 1, 2, 3]))))

    p = W.pooling_viewer()
    rows.append(("pooling viewer, default (shift on/off)", frame_times(slider_steps(p.shift, [True, False]))))
    p = W.pooling_viewer(digit)
    rows.append(("pooling viewer, 28x28 digit (shift on/off)",
                 frame_times(slider_steps(p.shift, [True, False]))))

    s = W.softmax_explorer()
    rows.append(("softmax explorer, 3 logits (logit slider step)",
                 frame_times(slider_steps(s.logits[0], [2.0, 2.5, 3.0, -1.0]))))

    net = nn.Sequential(nn.Conv2D(1, 8, 3, pad=1, rng=0), nn.ReLU(), nn.MaxPool2D(),
                        nn.Conv2D(8, 16, 3, pad=1, rng=1), nn.ReLU(), nn.MaxPool2D(),
                        nn.Flatten(), nn.Affine(16 * 7 * 7, 10, rng=2))
    images = np.stack([digit] * 4)[:, None]
    f = W.feature_maps(net, images)

    def new_image(k):
        f._cache.clear()          # every step draws a not-yet-seen image: the costly path
        f.index.value = k % len(images)

    rows.append(("feature maps, 28x28, 8 + 16 channels (new image, 5 PNGs)", frame_times(new_image)))
    rows.append(("feature maps, same (image seen before: cached)",
                 frame_times(slider_steps(f.index, [0, 1, 2, 3]))))

    base_small = matplotlib_redraw(W.WORKED_IMAGE, W.WORKED_KERNEL)
    base_digit = matplotlib_redraw(digit, W.WORKED_KERNEL)

    print(f"Python time per frame update, median (worst) of {FRAMES} updates; target <= {TARGET_MS:g} ms")
    print(f"baseline: one matplotlib redraw to PNG (3 panels), median of 15: "
          f"4x4 annotated {base_small[0]:.1f} ms, 28x28 {base_digit[0]:.1f} ms\n")
    head = f"{'widget':<72} {'median ms':>9} {'worst ms':>9} {'mpl/this':>9} {'<=30ms':>7}"
    print(head)
    print("-" * len(head))
    for name, (median, worst) in rows:
        base = base_digit[0] if "28x28" in name else base_small[0]
        print(f"{name:<72} {median:9.2f} {worst:9.2f} {base / median:8.0f}x "
              f"{'yes' if median <= TARGET_MS else 'NO':>7}")
    print("\nmpl/this: how many widget frames fit in one matplotlib redraw of the same size.")


if __name__ == "__main__":
    main()
