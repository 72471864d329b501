"""Run a notebook with nbgrader's own Execute preprocessor; this runs INSIDE the sandbox.

    python -m cnnlab.grading.execute_inside IN.ipynb OUT.ipynb TIMEOUT

The executed notebook is the student's: the grader takes only its outputs back, as feedback
text, and never its verdicts (:mod:`cnnlab.grading.nbgrader_preprocessors`).
"""

import sys

import nbformat


def main(src, dest, timeout):
    from nbgrader.preprocessors import Execute

    notebook = nbformat.read(src, as_version=nbformat.NO_CONVERT)
    try:
        Execute(timeout=int(float(timeout))).preprocess(notebook, {"metadata": {"path": "."}})
    finally:   # a dead kernel still leaves the outputs so far
        nbformat.write(notebook, dest)


if __name__ == "__main__":
    main(*sys.argv[1:4])
