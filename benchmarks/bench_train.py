"""Train the digits recipe to >= 98% test accuracy: cnnlab.nn against the same network in PyTorch.

Prints wall time per epoch and in total for each, their ratio and the held-out test accuracy;
no asserts. Run:  python benchmarks/bench_train.py [--seeds 3] [--blas-threads 1]  (0: library default)

The recipe (the one notebook 07 uses), on scikit-learn's bundled 8x8 digits, fixed split of
cnnlab.data.load_digits(seed=0) (train 1,079 / validation 359 / test 359):

    Conv2D(1, 16, 3, pad=1) - ReLU - Conv2D(16, 32, 3, pad=1) - ReLU - MaxPool2D(2, 2)
    - Flatten - Affine(32*4*4, 10) - softmax cross-entropy
    Adam, lr 3e-3 with a cosine decay to 0 over 25 epochs, batch 32, He initialisation,
    every training batch shifted at random by up to 1 pixel in each direction (zero fill).
"""

import argparse
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab import nn
from cnnlab.data import load_digits

from _torch import import_torch, limit_threads   # beside this script

EPOCHS, BATCH, LR, MAX_SHIFT = 25, 32, 3e-3, 1


def random_shift(x, rng, max_shift=MAX_SHIFT):
    """Shift each image of ``x (N, C, H, W)`` by its own random (dy, dx) in [-s, s]; zero fill."""
    N, C, H, W = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    crops = sliding_window_view(padded, (H, W), axis=(2, 3))   # (N, C, 2s+1, 2s+1, H, W)
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, N))
    return crops[np.arange(N), :, dy, dx]                      # (N, C, H, W)


def lr_at(epoch):
    """Cosine decay from LR at epoch 0 towards 0 at EPOCHS."""
    return LR * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))


def batches(data, rng):
    """Shuffled, shifted training batches (x float32 (B, 1, 8, 8), y int (B,)) for one epoch."""
    order = rng.permutation(len(data.x_train))
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        yield random_shift(data.x_train[idx], rng), data.y_train[idx]


def build_cnnlab(rng):
    return nn.Sequential(
        nn.Conv2D(1, 16, 3, pad=1, rng=rng), nn.ReLU(),
        nn.Conv2D(16, 32, 3, pad=1, rng=rng), nn.ReLU(),
        nn.MaxPool2D(2, 2), nn.Flatten(), nn.Affine(32 * 4 * 4, 10, rng=rng))


def train_cnnlab(data, seed):
    """Returns (seconds per epoch list, test accuracy)."""
    rng = np.random.default_rng(seed)
    net, opt = build_cnnlab(rng), nn.Adam(lr=LR)
    epoch_times = []
    for epoch in range(EPOCHS):
        start = time.perf_counter()
        opt.lr = lr_at(epoch)
        for xb, yb in batches(data, rng):
            net.loss(xb, yb)
            net.backward()
            opt.step(net.params(), net.grads())
        epoch_times.append(time.perf_counter() - start)
    return epoch_times, float(np.mean(net.predict(data.x_test) == data.y_test))


def train_torch(data, seed, torch):
    """The same network, initialisation scheme, optimiser, schedule and batches in PyTorch."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    tnn = torch.nn
    net = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(),
        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(32 * 4 * 4, 10))
    for m in net:
        if isinstance(m, (tnn.Conv2d, tnn.Linear)):
            tnn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            tnn.init.zeros_(m.bias)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = tnn.CrossEntropyLoss()
    epoch_times = []
    for epoch in range(EPOCHS):
        start = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(epoch)
        for xb, yb in batches(data, rng):
            opt.zero_grad()
            loss_fn(net(torch.from_numpy(np.ascontiguousarray(xb))), torch.from_numpy(yb)).backward()
            opt.step()
        epoch_times.append(time.perf_counter() - start)
    with torch.no_grad():
        pred = net(torch.from_numpy(data.x_test)).argmax(1).numpy()
    return epoch_times, float(np.mean(pred == data.y_test))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds to train (0, 1, ...)")
    # One thread by default: the matrices of an 8x8-digit batch are small, and a second BLAS
    # thread that has to wait for a busy core makes a step many times slower (seen here: 6 s
    # of training became 45 s while other programs ran). 0 keeps the libraries' defaults.
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="threads for NumPy's BLAS and PyTorch (default 1; 0: library default)")
    args = parser.parse_args()

    torch = import_torch()
    limit_threads(args.blas_threads, torch)

    data = load_digits(image_size=8, seed=0)
    print(f"digits: train {len(data.x_train)}, val {len(data.x_val)}, test {len(data.x_test)}; "
          f"{EPOCHS} epochs, batch {BATCH}, Adam lr {LR} cosine, shifts <= {MAX_SHIFT} px; "
          f"threads: {args.blas_threads or 'library default'}")
    print(f"\n{'framework':<10} {'seed':>4} {'s/epoch':>8} {'total s':>8} {'test acc':>9}")
    totals = {"cnnlab": [], "torch": []}
    for seed in range(args.seeds):
        runs = [("cnnlab", train_cnnlab, ())]
        if torch is not None:
            runs.append(("torch", train_torch, (torch,)))
        for name, train, extra in runs:
            epoch_times, acc = train(data, seed, *extra)
            totals[name].append((np.median(epoch_times), sum(epoch_times), acc))
            print(f"{name:<10} {seed:>4} {np.median(epoch_times):>8.3f} {sum(epoch_times):>8.2f} "
                  f"{acc:>9.4f}", flush=True)
    print()
    for name, rows in totals.items():
        if rows:
            per_epoch, total, acc = np.array(rows).T
            print(f"{name:<10} mean: {per_epoch.mean():.3f} s/epoch, {total.mean():.2f} s total, "
                  f"test accuracy {acc.mean():.4f} (min {acc.min():.4f}, "
                  f"{np.sum(acc >= 0.98)}/{len(acc)} runs >= 0.98)")
    if totals["torch"]:
        ratio = np.mean([r[0] for r in totals["cnnlab"]]) / np.mean([r[0] for r in totals["torch"]])
        print(f"cnnlab / torch time per epoch: {ratio:.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
