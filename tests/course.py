"""Drive the real nbgrader course in a scratch copy: generate, submit, autograde, read grades."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["01_convolution", "02_padding_stride", "03_im2col", "04_pooling", "05_softmax_cross_entropy", "06_backprop", "07_train_cnn", "08_transfer_learning"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def nbgrader(course_dir, *args, env=None, check=True):
    """Run the nbgrader command line in ``course_dir``; return the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=full_env,
                          capture_output=True, text=True, timeout=1800)
    if check and done.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def make_course(tmp_path, assignments=ASSIGNMENTS):
    """A fresh course folder: the repository's config and sources, with the release generated."""
    course = Path(tmp_path)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for name in assignments:
        shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
        nbgrader(course, "generate_assignment", name, "--force")
    return course


def read(path):
    return nbformat.read(str(path), as_version=4)


def source_notebook(name):
    return read(ROOT / "solutions" / name / f"{name}.ipynb")


def release_notebook(course, name):
    return read(Path(course) / "assignments" / name / f"{name}.ipynb")


def submit(course, student, name, notebook=None, raw_text=None):
    folder = Path(course) / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    if raw_text is not None:
        path.write_text(raw_text, encoding="utf-8")
    else:
        nbformat.write(notebook, str(path))


def cell(notebook, cell_id):
    for c in notebook.cells:
        if c.get("id") == cell_id:
            return c
    raise KeyError(cell_id)


def answer(notebook, cell_ids_to_source, language=None):
    """A copy of ``notebook`` with the student's code in the given cells."""
    nb = nbformat.from_dict(notebook)
    for cell_id, source in cell_ids_to_source.items():
        cell(nb, cell_id).source = source.strip("\n")
    if language is not None:
        setup = cell(nb, "setup")
        setup.source = re.sub(r'set_language\("\w+"\)', f'set_language("{language}")', setup.source)
    return nb


def scores(course, name):
    """{student: {grade_id: score}} from the gradebook."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(name):
            grades = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grades[grade.name] = grade.score
            result[submission.student_id] = grades
    return result


def max_points(notebook):
    return {c.id: float(c.metadata["nbgrader"]["points"]) for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def feedback_text(course, student, name, cell_id):
    """What the autograded notebook shows under a test cell: stdout, stderr and the error.

    Consecutive stream outputs are one text, as Jupyter shows them: how the kernel happened to
    chunk its output (one message or two) is not part of the feedback.
    """
    nb = read(Path(course) / "autograded" / student / name / f"{name}.ipynb")
    parts = []
    stream = False
    for output in cell(nb, cell_id).get("outputs", []):
        if output.output_type == "stream":
            if stream:
                parts[-1] += output.text
            else:
                parts.append(output.text)
            stream = True
        elif output.output_type == "error":
            parts.append(_ANSI.sub("", "\n".join(output.traceback)))
            stream = False
    return "\n".join(parts)
