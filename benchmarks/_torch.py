"""What the PyTorch comparisons share: import PyTorch if it is installed, and set thread counts.

Used by bench_conv.py, bench_train.py and bench_cifar10.py (run from the repository root as
``python benchmarks/bench_X.py``: Python then finds this module beside the script).
"""

INSTALL_HINT = ("`pip install -e .[bench]` installs the pinned CPU build torch==2.13.0 (never an "
                "unpinned torch: that pulls a multi-GB CUDA build).")


def import_torch(without="timing cnnlab.nn only"):
    """The ``torch`` module, or None after printing what the script does ``without`` it."""
    try:
        import torch
    except ImportError:
        print(f"PyTorch is not installed: {without}. {INSTALL_HINT}")
        return None
    return torch


def limit_threads(threads, torch=None):
    """Run NumPy's BLAS (and PyTorch, if given) on ``threads`` threads; 0 keeps their defaults.

    cnnlab.nn.Conv2D follows the BLAS limit too: it cuts its batch into one slice per BLAS thread.
    The limit holds for the rest of the process (these are scripts).
    """
    if not threads:
        return
    from threadpoolctl import threadpool_limits   # a dependency of cnnlab
    threadpool_limits(threads)
    if torch is not None:
        torch.set_num_threads(threads)
