"""Which cells the judge's harness leaves out (cnnlab.grading.unneeded): read, never run.

A cell is left out only when it is the release's own (same id, same source), nothing that runs
after it reads what it binds, and it changes no object in place; what answers read inside their
functions counts, their parameters do not.
"""

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cnnlab.grading.unneeded import cell_names, unneeded_cells
from course import ROOT, read, source_notebook


def unneeded(nb, graded):
    """What is left out when the release is the notebook itself (every given cell unchanged)."""
    return unneeded_cells(nb, graded, release=nb)


def notebook(*cells):
    """cells: (id, source, kind) with kind "answer", "test" or "" (a given cell)."""
    made = []
    for cell_id, source, kind in cells:
        cell = new_code_cell(source, id=cell_id)
        if kind:
            cell.metadata["nbgrader"] = {"solution": kind == "answer", "grade": kind == "test",
                                         "grade_id": cell_id, "locked": kind == "test"}
        made.append(cell)
    return new_notebook(cells=made)


def test_a_cell_that_only_uses_the_answers_is_left_out():
    nb = notebook(("setup", "import numpy as np", ""),
                  ("answer", "def relu(x):\n    return np.maximum(x, 0)", "answer"),
                  ("try", "y = relu(np.arange(-2, 3))\nprint(y)", ""),
                  ("test", "check_relu(relu)", "test"))
    assert unneeded(nb, {"relu"}) == {"try"}


def test_a_name_an_answer_reads_inside_its_function_keeps_the_cell_that_binds_it():
    nb = notebook(("scale", "SCALE = 2.0", ""),
                  ("answer", "def relu(x):\n    return SCALE * x", "answer"),
                  ("test", "check_relu(relu)", "test"))
    assert unneeded(nb, {"relu"}) == set()


def test_a_parameter_of_an_answer_does_not_keep_a_cell_binding_that_name():
    nb = notebook(("answer", "def evaluate(net, x):\n    return net.forward(x)", "answer"),
                  ("run", "net = object()", ""),
                  ("test", "check_evaluate(evaluate)", "test"))
    assert unneeded(nb, {"evaluate"}) == {"run"}


def test_a_cell_read_by_a_kept_cell_is_kept_and_so_is_what_it_reads():
    nb = notebook(("a", "k = 3", ""), ("b", "K = k + 1", ""),
                  ("answer", "def f(x):\n    return x * K", "answer"), ("test", "check_f(f)", "test"))
    assert unneeded(nb, {"f"}) == set()


def test_a_cell_the_student_changed_or_added_always_runs_and_without_a_release_every_cell_does():
    release = notebook(("try", "y = 1", ""), ("answer", "def f(x):\n    return x", "answer"), ("test", "check_f(f)", "test"))
    changed = notebook(("try", "y = 2", ""), ("mine", "z = 3", ""), ("answer", "def f(x):\n    return x", "answer"),
                       ("test", "check_f(f)", "test"))
    assert unneeded_cells(release, {"f"}, release=release) == {"try"}
    assert unneeded_cells(changed, {"f"}, release=release) == set()
    assert unneeded_cells(release, {"f"}, release=None) == set()


@pytest.mark.parametrize("source", [
    "data.x = 0",                       # changes an object a later cell may read
    "table['k'] = 1",
    "del K",
    "from numpy import *",              # binds names nobody can list
    "globals()['K'] = 1",               # hidden bindings
    "exec('K = 1')",
    "def f():\n    global K\n    K = 1\nf()",
    "%timeit 1 + 1",                    # not Python: cannot be read
])
def test_a_cell_that_can_change_what_others_read_without_a_name_is_never_left_out(source):
    assert cell_names(source) is None
    nb = notebook(("first", "K = 2", ""), ("odd", source, ""),
                  ("answer", "def f(x):\n    return x", "answer"), ("test", "check_f(f)", "test"))
    assert "odd" not in unneeded(nb, {"f"})
    assert "first" not in unneeded(nb, {"f"})   # the unreadable cell may read anything above it


def test_an_answer_that_cannot_be_read_leaves_every_cell_in():
    nb = notebook(("try", "y = 1", ""), ("answer", "def f(x)\n    return x", "answer"), ("test", "check_f(f)", "test"))
    assert unneeded(nb, {"f"}) == set()


def test_the_graded_objects_keep_the_cell_that_defines_them():
    nb = notebook(("helper", "def f(x):\n    return x", ""), ("test", "check_f(f)", "test"))
    assert unneeded(nb, {"f"}) == set()


# The course's own notebooks: the demonstration and run cells go, the rest stays.
EXPECTED = {
    "01_convolution": {"single-try", "single-watch", "together-run"},
    "05_softmax_cross_entropy": {"softmax-try", "ce-try"},
    "07_train_cnn": {"convnet-try", "gradcheck-run", "overfit", "train-run", "curves", "confusion", "filters",
                     "feature-maps"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_course_notebooks_leave_out_their_demonstrations_and_runs(name):
    nb = source_notebook(name)
    graded = {"01_convolution": {"conv2d_single", "conv2d_multi", "relu"},
              "05_softmax_cross_entropy": {"softmax", "cross_entropy"},
              "07_train_cnn": {"ConvNet", "evaluate", "train"}}[name]
    release = read(ROOT / "assignments" / name / f"{name}.ipynb")
    assert unneeded_cells(nb, graded, release) == EXPECTED[name]
