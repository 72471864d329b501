"""Writing a collected notebook into nbgrader's ``submitted/`` folder.

``submitted/`` may already hold earlier collections, and anything in it may be a link; the
notebook is written only where its folder really is inside ``submitted/``, and atomically (a
partial file renamed into place), so an interrupted collection never leaves half a notebook
for ``nbgrader autograde``.
"""

import os

import nbformat


def write_notebook(notebook, submitted, student, assignment):
    """Write ``submitted/<student>/<assignment>/<assignment>.ipynb`` atomically.

    Inputs:
    - notebook: nbformat NotebookNode (repaired)
    - submitted: Path of nbgrader's ``submitted`` folder
    - student: str, a folder name from :func:`~.naming.student_folder`
    - assignment: str, the checked assignment name
    Raises ValueError when the folder resolves outside ``submitted`` (a planted link), OSError
    when it cannot be written.
    """
    folder = submitted / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    root = submitted.resolve()
    if not folder.resolve().is_relative_to(root):  # a link planted inside submitted/
        raise ValueError(f"{folder} resolves outside {root}")
    target = folder / f"{assignment}.ipynb"
    partial = folder / f".{assignment}.ipynb.partial"
    partial.write_text(nbformat.writes(notebook), encoding="utf-8")
    os.replace(partial, target)
