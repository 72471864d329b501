"""Run a notebook as nbgrader's Execute preprocessor does; this runs INSIDE the sandbox.

    python -m cnnlab.grading.execute_inside IN.ipynb OUT.ipynb TIMEOUT

The executed notebook is the student's: the grader takes only its outputs back, as feedback
text, and never its verdicts (:mod:`cnnlab.grading.nbgrader_preprocessors`).

Why nbclient and not ``nbgrader.preprocessors.Execute`` itself: nbgrader 0.9.6's Execute is
nbclient's NotebookClient with the settings below and one hook (:func:`record_reply_error`), but
importing it imports all of nbgrader (its server extensions, the exchange, SQLAlchemy) and
nbconvert: 5 s of CPU per notebook on the course machine, more than running 01's cells.
"""

import sys

#: nbgrader 0.9.6's Execute settings (nbgrader/preprocessors/execute.py).
TIMEOUT_ERROR = {"ename": "CellTimeoutError", "evalue": "",
                 "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"]}


def record_reply_error(cell, cell_index, execute_reply):
    """nbgrader's Execute.on_cell_executed: an error reply no output shows (a timeout) becomes an
    error output of the cell, so the feedback says why the cell failed."""
    from nbformat.notebooknode import NotebookNode

    content = (execute_reply or {}).get("content", {})
    if content.get("status") != "error":
        return
    if any(o.output_type == "error" and o.ename == content["ename"] for o in cell.outputs):
        return
    error = NotebookNode(output_type="error", ename=content["ename"], evalue=content["evalue"],
                         traceback=content["traceback"] or ["ERROR: An error occurred while showtraceback was disabled"])
    cell.outputs.append(error)


def skip_iri_checker():
    """Call before importing nbformat: jsonschema (which nbformat imports) imports rfc3987_syntax
    for its two IRI format checkers, which no notebook schema uses, and that import builds ~35
    parsers (~2 s of CPU on an idle machine). Blocked, jsonschema skips those two checkers: it
    treats the package as optional."""
    sys.modules.setdefault("rfc3987_syntax", None)


#: ``python -m nbgrader`` with :func:`skip_iri_checker` first (argv: ``[*NBGRADER, "autograde", ...]``).
NBGRADER = [sys.executable, "-c", "import sys; sys.modules.setdefault('rfc3987_syntax', None); "
            "from nbgrader.apps.nbgraderapp import main; main()"]


def this_python_kernel():
    """A kernel manager for the one kernel a sandbox has: this Python's ipykernel.

    jupyter_client finds a kernel by its kernel spec, and finding ipykernel's imports ipykernel
    and IPython into the client just to read the argv of its kernel.json: 0.5 s of CPU per
    notebook, in a process that never runs a cell. The argv is ipykernel's own
    (``ipykernel.kernelspec.make_ipkernel_cmd``), with this Python.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (ipykernel)", language="python", metadata={"debugger": True})

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


def main(src, dest, timeout):
    from cnnlab.grading.fontcache import install

    install()   # before the kernel, so before any of the student's code
    skip_iri_checker()
    from nbclient import NotebookClient
    from nbformat import v4

    # The grader wrote the notebook and reads back only cleaned outputs: nbformat's validation
    # (a JSON schema compiled per process) would check nothing the grader does not.
    with open(src, encoding="utf-8") as f:
        notebook = v4.reads(f.read())
    # shutdown_kernel="immediate": the kernel is killed after the last cell, not asked to stop:
    # the sandbox ends with it anyway, and a notebook that broke its own interpreter's imports
    # (hostile.py's builtins_import) makes a polite shutdown wait for jupyter_client's kill.
    client = NotebookClient(notebook, km=this_python_kernel(), timeout=int(float(timeout)),
                            interrupt_on_timeout=True, allow_errors=True, raise_on_iopub_timeout=True,
                            error_on_timeout=TIMEOUT_ERROR, on_cell_executed=record_reply_error,
                            shutdown_kernel="immediate", resources={"metadata": {"path": "."}})
    try:
        client.execute()
    finally:   # a dead kernel still leaves the outputs so far
        with open(dest, "w", encoding="utf-8") as f:
            f.write(v4.writes(notebook))


if __name__ == "__main__":
    main(*sys.argv[1:4])
