"""Convolution forward + backward: naive Python loops vs cnnlab.nn (im2col) vs PyTorch (CPU).

Prints a table; no asserts. Run:  python benchmarks/bench_conv.py [--threads N]
``--threads 0`` (default) keeps the libraries' own thread counts and times wall-clock seconds;
``--threads 1`` limits NumPy's BLAS and PyTorch to one thread and times CPU seconds of this
process, which other programs on a busy machine disturb far less.
Shapes (issue 3): x (64, 16, 28, 28), w (32, 16, 3, 3), stride 1, pad 1, float32.
Targets: cnnlab >= 50x faster than loops; within 2x of PyTorch (issue 10; issue 3 said 3x);
conv GFLOP/s >= 40% of the machine's float32 matrix-product GFLOP/s (measured in the same run
as the practical ceiling).
"""

import argparse
import os
import time

import numpy as np

from cnnlab import nn

from _torch import import_torch, limit_threads   # beside this script

N, C, H, W, F, K, PAD = 64, 16, 28, 28, 32, 3, 1
OH, OW = H + 2 * PAD - K + 1, W + 2 * PAD - K + 1
# Forward, dW and dx are each one multiply-add per (n, f, oh, ow, c, kh, kw).
FLOPS = 3 * 2 * N * F * OH * OW * C * K * K


def time_rounds(fns, rounds=9, min_time=0.15, pause=0.3, clock=time.perf_counter):
    """Seconds per call of each function in ``fns`` (name -> callable), one list per name.

    The functions take turns, round after round, so that every ratio below compares timings
    taken under the same load (this machine may be shared); each round repeats a call for at
    least ``min_time`` seconds. The pause before each turn lets the previous library's worker
    threads stop spinning (OpenBLAS and OpenMP threads busy-wait for a while after a call),
    which would otherwise steal a core from the next library.
    """
    for fn in fns.values():
        fn()                                    # warm up: allocations, thread pools
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(pause)
            calls, start = 0, clock()
            while clock() - start < min_time:
                fn()
                calls += 1
            times[name].append((clock() - start) / calls)
    return {name: np.array(t) for name, t in times.items()}


def loops_forward_backward(x, w, b, dout):
    """What a first implementation looks like: a Python loop over every output pixel."""
    n_img = x.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    out = np.empty((n_img, F, OH, OW), dtype=x.dtype)
    for n in range(n_img):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    out[n, f, i, j] = np.sum(xp[n, :, i:i + K, j:j + K] * w[f]) + b[f]
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), dout.sum(axis=(0, 2, 3))
    for n in range(n_img):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    dw[f] += dout[n, f, i, j] * xp[n, :, i:i + K, j:j + K]
                    dxp[n, :, i:i + K, j:j + K] += dout[n, f, i, j] * w[f]
    return out, dxp[:, :, PAD:PAD + H, PAD:PAD + W], dw, db


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0,
                        help="0: the libraries' default threads, wall-clock time (default); "
                             "1: one thread, CPU time; N > 1: N threads, wall-clock time")
    args = parser.parse_args()
    clock = time.process_time if args.threads == 1 else time.perf_counter
    torch = import_torch(without="skipping its row")
    limit_threads(args.threads, torch)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    dout = rng.standard_normal((N, F, OH, OW), dtype=np.float32)
    layer = nn.Conv2D(C, F, K, pad=PAD, rng=rng)
    w, b = layer.params["W"], layer.params["b"]

    print(f"conv forward+backward  x {x.shape}  w {w.shape}  pad {PAD}  float32  "
          f"({FLOPS / 1e9:.2f} GFLOP per call)  cores: {os.cpu_count()}  threads: "
          f"{args.threads or 'library default'}  clock: "
          f"{'CPU time' if clock is time.process_time else 'wall'}")

    # Naive loops: time a slice of the batch and scale linearly (the loops do the same work
    # for every image), because the whole batch would take minutes.
    n_slice = 2
    start = clock()
    out_s, dx_s, _, _ = loops_forward_backward(x[:n_slice], w, b, dout[:n_slice])
    t_loops = (clock() - start) * N / n_slice
    loops_name = f"naive loops (timed on {n_slice} of {N} images, scaled x{N // n_slice})"

    def cnnlab_step():
        layer.forward(x)
        return layer.backward(dout)
    out = layer.forward(x)
    dx = layer.backward(dout)
    agree = np.allclose(out[:n_slice], out_s, atol=1e-4) and np.allclose(dx[:n_slice], dx_s, atol=1e-4)

    # The practical ceiling: a large square float32 matrix product, through the same BLAS.
    M = 2048
    a = rng.standard_normal((M, M), dtype=np.float32)
    b2 = rng.standard_normal((M, M), dtype=np.float32)
    # Where cnnlab's time goes: its three matrix products alone (forward, dW, dx columns) in
    # Conv2D's orientation, on the whole batch's im2col matrix with BLAS's own threads (Conv2D
    # runs them per slice of the batch, one thread each); the rest is im2col/col2im copying.
    col, w_mat = nn.im2col(x, K, K, 1, PAD), w.reshape(F, -1)
    dout_t = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(F, -1)

    def gemms_only():
        return col @ w_mat.T, (col.T @ dout_t.T).T, w_mat.T @ dout_t
    fns = {"cnnlab": cnnlab_step, "gemms": gemms_only, "matmul": lambda: a @ b2}
    flops = {"cnnlab": FLOPS, "gemms": FLOPS, "matmul": 2 * M**3}
    names = {"cnnlab": "cnnlab.nn Conv2D (im2col + matmul)",
             "gemms": "  of which its 3 matrix products alone",
             "matmul": f"float32 matrix product {M}x{M} @ {M}x{M} (ceiling)"}

    if torch is not None:
        xt = torch.from_numpy(x).requires_grad_(True)
        wt = torch.from_numpy(w.copy()).requires_grad_(True)
        bt = torch.from_numpy(b.copy()).requires_grad_(True)
        dt = torch.from_numpy(dout)

        def torch_step():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, padding=PAD).backward(dt)
        fns["torch"], flops["torch"] = torch_step, FLOPS
        names["torch"] = f"PyTorch {torch.__version__} CPU ({torch.get_num_threads()} threads)"
        torch_step()
        agree = agree and np.allclose(xt.grad.numpy(), dx, atol=1e-3) \
            and np.allclose(wt.grad.numpy(), layer.grads["W"], rtol=1e-3, atol=1e-2)

    times = time_rounds(fns, clock=clock)
    print(f"\n{'method':<58} {'best ms':>8} {'median ms':>10} {'GFLOP/s':>8}")
    print(f"{loops_name:<58} {t_loops * 1e3:>8.0f} {'':>10} {FLOPS / t_loops / 1e9:>8.2f}")
    for key in ("cnnlab", "gemms", "torch", "matmul"):
        if key in times:
            t = times[key]
            print(f"{names[key]:<58} {t.min() * 1e3:>8.1f} {np.median(t) * 1e3:>10.1f} "
                  f"{flops[key] / t.min() / 1e9:>8.1f}")

    # Ratios: median over rounds of the ratio within each round (same load on both sides).
    conv_rate = FLOPS / times["cnnlab"]
    mm_rate = flops["matmul"] / times["matmul"]
    print(f"\nresults agree (loops slice / cnnlab / torch): {agree}")
    print(f"cnnlab vs loops:  {t_loops / times['cnnlab'].min():8.1f}x faster   (target >= 50x)")
    # Two views: the median of per-round ratios, and the ratio of the best times (the quietest
    # moments); far apart means the machine was busy during the run.
    if "torch" in times:
        print(f"cnnlab vs torch:  {np.median(times['cnnlab'] / times['torch']):8.2f}x the time "
              f"(median of {len(times['torch'])} interleaved rounds; best times: "
              f"{times['cnnlab'].min() / times['torch'].min():.2f}x)   (target <= 2x)")
    best_share = (FLOPS / times["cnnlab"].min()) / (flops["matmul"] / times["matmul"].min())
    print(f"conv GFLOP/s as % of matmul GFLOP/s: {100 * np.median(conv_rate / mm_rate):5.1f}%"
          f" (median of rounds; best times: {100 * best_share:.1f}%)   (target >= 40%)")


if __name__ == "__main__":
    main()
