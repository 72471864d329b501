"""One training epoch of the lecture's CIFAR-10 network: cnnlab.nn against the same network in PyTorch.

Prints seconds per epoch for each and their ratio; no asserts.
Run:  python benchmarks/bench_cifar10.py [--images 2000] [--rounds 3] [--threads 1]  (0: library default)

The network (lecture 003's Keras code, ``cnnlab.nn.cifar10_cnn``), 422,218 parameters:

    Conv2D(3, 32, 3, pad=1) - ReLU - MaxPool2D(2, 2) - Conv2D(32, 64, 3) - ReLU - MaxPool2D(2, 2)
    - Flatten - Affine(3136, 128) - ReLU - Affine(128, 10) - softmax cross-entropy
    Adam, lr 1e-3 (Keras' default), batch 32 (Keras' default), float32.

Data: synthetic CIFAR-shaped images made here (no download): ``--images`` float32 images
(N, 3, 32, 32) in [0, 1] and int labels 0..9. Speed does not depend on what the pixels show.
PyTorch starts from cnnlab's initial weights and sees the same batches in the same order; the
script checks that both give the same first loss. The two frameworks take turns, epoch by epoch
(``--rounds`` epochs each); the ratio is the median of the per-round ratios.
"""

import argparse
import time

import numpy as np

from cnnlab import nn

from _torch import import_torch, limit_threads   # beside this script

BATCH, LR = 32, 1e-3


def synthetic_cifar(n, seed=0):
    """``n`` random images ``(n, 3, 32, 32)`` float32 in [0, 1] and labels ``(n,)`` int64 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, n)


def batch_order(n, seed):
    """The shuffled index batches of one epoch (the same for both frameworks)."""
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + BATCH] for i in range(0, n, BATCH)]


def epoch_cnnlab(net, opt, x, y, batches):
    """One epoch; returns the mean training loss."""
    losses = []
    for idx in batches:
        losses.append(net.loss(x[idx], y[idx]))
        net.backward()
        opt.step(net.params(), net.grads())
    return float(np.mean(losses))


def torch_copy(net, torch):
    """The same network in PyTorch, starting from ``net``'s current weights."""
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(3, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Linear(128, 10))
    p = net.params()
    with torch.no_grad():
        for i in (0, 3):                         # conv weights: the same (F, C, KH, KW) layout
            model[i].weight.copy_(torch.from_numpy(p[f"{i}.W"]))
            model[i].bias.copy_(torch.from_numpy(p[f"{i}.b"]))
        for i in (7, 9):                         # Affine keeps W as (D, M), Linear as (M, D)
            model[i].weight.copy_(torch.from_numpy(p[f"{i}.W"].T.copy()))
            model[i].bias.copy_(torch.from_numpy(p[f"{i}.b"]))
    return model


def epoch_torch(model, opt, loss_fn, x, y, batches, torch):
    losses = []
    for idx in batches:
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="synthetic training images")
    parser.add_argument("--rounds", type=int, default=3, help="epochs per framework, taking turns")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and PyTorch (default 1; 0: library default)")
    args = parser.parse_args()

    torch = import_torch()
    limit_threads(args.threads, torch)

    x, y = synthetic_cifar(args.images)
    net, opt = nn.cifar10_cnn(rng=0), nn.Adam(lr=LR)
    n_params = sum(p.size for p in net.params().values())
    print(f"CIFAR-10 network ({n_params:,} parameters), {args.images} synthetic images, batch "
          f"{BATCH}, Adam lr {LR}, float32; threads: {args.threads or 'library default'}")

    if torch is not None:
        model = torch_copy(net, torch)
        t_opt, loss_fn = torch.optim.Adam(model.parameters(), lr=LR), torch.nn.CrossEntropyLoss()
        first = batch_order(args.images, 0)[0]
        with torch.no_grad():
            t_loss = loss_fn(model(torch.from_numpy(x[first])), torch.from_numpy(y[first])).item()
        c_loss = net.loss(x[first], y[first])
        print(f"same network: first-batch loss cnnlab {c_loss:.6f}, PyTorch {t_loss:.6f} "
              f"(agree: {abs(c_loss - t_loss) < 1e-4})")

    print(f"\n{'epoch':>5} {'cnnlab s':>9} {'loss':>7} {'torch s':>9} {'loss':>7} {'ratio':>6}")
    times = {"cnnlab": [], "torch": []}
    for epoch in range(args.rounds):
        batches = batch_order(args.images, epoch)
        start = time.perf_counter()
        c_loss = epoch_cnnlab(net, opt, x, y, batches)
        times["cnnlab"].append(time.perf_counter() - start)
        row = f"{epoch:>5} {times['cnnlab'][-1]:>9.2f} {c_loss:>7.4f}"
        if torch is not None:
            time.sleep(0.3)        # let the previous library's spinning worker threads stop
            start = time.perf_counter()
            t_loss = epoch_torch(model, t_opt, loss_fn, x, y, batches, torch)
            times["torch"].append(time.perf_counter() - start)
            row += f" {times['torch'][-1]:>9.2f} {t_loss:>7.4f} " \
                   f"{times['cnnlab'][-1] / times['torch'][-1]:>6.2f}"
        print(row, flush=True)
        time.sleep(0.3)

    c = np.array(times["cnnlab"])
    print(f"\ncnnlab.nn: {np.median(c):.2f} s per epoch (median; best {c.min():.2f} s), "
          f"{args.images / np.median(c):.0f} images/s")
    if torch is not None:
        t = np.array(times["torch"])
        print(f"PyTorch {torch.__version__}: {np.median(t):.2f} s per epoch (median; best "
              f"{t.min():.2f} s)")
        print(f"cnnlab / PyTorch time per epoch: {np.median(c / t):.2f}x (median of per-round "
              f"ratios; best times: {c.min() / t.min():.2f}x)")


if __name__ == "__main__":
    main()
