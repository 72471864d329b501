"""What the grading sandbox costs: the same work run sandboxed and as a plain child process.

The plain side is the sandbox module's own unsandboxed path (what ``unsafe=True`` runs where no
sandbox can be made): same scrubbed environment, empty HOME, rlimits, copying of inputs and
outputs; only bubblewrap, the launcher and the memory watch are missing.

Two rows, each timed in alternating rounds (sandboxed, plain, sandboxed, plain, ...) so a burst
of load on a shared machine hits both sides; the ratio is the median of the per-round ratios.

  start-up   ``python -c pass``: the fixed cost of making a sandbox (namespaces, mounts,
             the launcher) over starting Python
  nbclient   nbclient executes a 3-cell notebook (numpy, cnnlab) in a fresh Jupyter kernel and
             writes the executed notebook: one grading run in miniature

    python benchmarks/bench_sandbox.py            # ~1-2 minutes; --rounds N for more
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from cnnlab.grading import sandbox
from cnnlab.grading.sandbox import Limits, run_sandboxed, sandbox_available

EXECUTE = """
import nbclient, nbformat
nb = nbformat.read("nb.ipynb", 4)
nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
nbformat.write(nb, "executed.ipynb")
"""


def make_notebook(folder):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nx = np.arange(12.0).reshape(3, 4)", id="a"),
        nbformat.v4.new_code_cell("print((x @ x.T).sum())", id="b"),
        nbformat.v4.new_code_cell("from cnnlab import nn\nprint(nn.__name__)", id="c"),
    ]
    path = Path(folder) / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def sandboxed(code, inputs, outputs):
    start = time.perf_counter()
    result = run_sandboxed([sys.executable, "-c", code], inputs=inputs,
                           output_dir=tempfile.mkdtemp(), outputs=outputs)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"sandboxed run failed:\n{result.stderr}")
    return elapsed


def plain(code, inputs, outputs):
    """The same run through the unsandboxed path."""
    start = time.perf_counter()
    result = sandbox._run_unsafe([sys.executable, "-c", code], inputs=inputs,
                                 output_dir=Path(tempfile.mkdtemp()), outputs=outputs,
                                 limits=Limits(), env={}, expose_cnnlab=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"plain run failed:\n{result.stderr}")
    return elapsed


def compare(label, code, inputs, outputs, rounds):
    boxed, bare = [], []
    for _ in range(rounds):
        boxed.append(sandboxed(code, inputs, outputs))
        bare.append(plain(code, inputs, outputs))
    ratio = statistics.median(b / p for b, p in zip(boxed, bare))
    print(f"{label:<10} sandboxed {statistics.median(boxed):7.3f} s   "
          f"plain {statistics.median(bare):7.3f} s   "
          f"ratio {ratio:5.2f}x   (+{statistics.median(boxed) - statistics.median(bare):.3f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    available, reason = sandbox_available()
    if not available:
        raise SystemExit(f"no sandbox here: {reason}")
    with tempfile.TemporaryDirectory() as folder:
        notebook = Path(make_notebook(folder))
        print(f"medians of {args.rounds} alternating rounds")
        compare("start-up", "pass", {}, [], args.rounds)
        compare("nbclient", EXECUTE, {"nb.ipynb": notebook}, ["executed.ipynb"], args.rounds)


if __name__ == "__main__":
    main()
