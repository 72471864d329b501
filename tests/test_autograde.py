"""The real pipeline: nbgrader generates, students submit, nbgrader autogrades with real kernels.

One autograde run per assignment in ``corpus.ALL`` grades a class at once (every notebook costs a
kernel and two sandboxes): the solution, the untouched release, three rows of the corpus of
student answers (a row gives every function one answer: a row of correct alternatives, and two
rows of mistakes, one of them in Japanese too), and (for 01) submissions that are broken, hang or
were tampered with.

Where every corpus answer is graded: the judge decides the points, and
tests/test_grading_engine.py runs every answer of 01-06 through the judge in a real sandbox (one
notebook of all rows per assignment) with the verdict and mistake key of the checks in-process;
tests/test_checks.py names every mistake in both languages. This file proves the whole pipeline
(nbgrader, the kernel's feedback, the judge, the gradebook) on the rows below.
"""

import pytest

import corpus
from course import (answer, feedback_text, make_course, max_points, nbgrader, release_notebook, scores,
                    source_notebook, submit)

TIME_LIMIT = "3"  # seconds a student function may run before the checks call it hanging
AUTOGRADED_ROWS = (1, 5, 7)  # correct alternatives; two rows of mistakes
JAPANESE_ROWS = (5,)  # a row where every answer is wrong; test_checks.py names every answer in both languages in-process


def grade_cell(function):
    return "test-" + function.replace("_", "-")


def corpus_rows(functions):
    """Row k gives every function its k-th answer (the solution where a list is shorter)."""
    return max(len(answers) for answers in functions.values())


def row_answers(functions, k):
    return {name: answers[k] for name, answers in functions.items() if k < len(answers)}


class Graded:
    def __init__(self, course, name):
        self.course, self.name = course, name
        self.scores = scores(course, name)
        self.points = max_points(source_notebook(name))

    def feedback(self, student, function):
        return feedback_text(self.course, student, self.name, grade_cell(function))


def grade_class(tmp_path_factory, name, extra_students=()):
    course = make_course(tmp_path_factory.mktemp(name), [name])
    release = release_notebook(course, name)
    solution = source_notebook(name)
    functions = corpus.ALL[name]

    submit(course, "solution", name, solution)
    submit(course, "untouched", name, release)
    for k in (k for k in AUTOGRADED_ROWS if k < corpus_rows(functions)):
        chosen = row_answers(functions, k)
        filled = {f: a.source for f, a in chosen.items()}
        filled.update({f: cell_source(solution, f) for f in functions if f not in chosen})
        submit(course, f"en{k:02d}", name, answer(release, filled, language="en"))
        if k in JAPANESE_ROWS:
            submit(course, f"ja{k:02d}", name, answer(release, filled, language="ja"))
    for student, make in extra_students:
        make(course, student, release, solution)
    nbgrader(course, "autograde", name, "--Execute.timeout=20", "--JudgeOutside.cell_timeout=20", env={"CNNLAB_TIME_LIMIT": TIME_LIMIT},
             check=not extra_students)
    return Graded(course, name)


def cell_source(notebook, cell_id):
    for c in notebook.cells:
        if c.get("id") == cell_id:
            return c.source
    raise KeyError(cell_id)


# ---------------------------------------------------------------------------------------------
# 01_convolution, with the broken, hanging and tampered submissions.


def broken_json(course, student, release, solution):
    submit(course, student, "01_convolution", raw_text='{"cells": [ this is not JSON')


def hangs_at_top_level(course, student, release, solution):
    filled = {f: cell_source(solution, f) for f in ("conv2d_single", "conv2d_multi")}
    filled["relu"] = "while True:\n    pass"
    submit(course, student, "01_convolution", answer(release, filled))


def tampered_test_cell(course, student, release, solution):
    filled = {f: cell_source(solution, f) for f in ("conv2d_multi", "relu")}
    flipped = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped")
    filled["conv2d_single"] = flipped.source
    nb = answer(release, filled, language="en")
    for c in nb.cells:
        if c.get("id") == "test-conv2d-single":
            c.source = "pass  # all good!"
            c.metadata["nbgrader"]["points"] = 100
    submit(course, student, "01_convolution", nb)


def deleted_test_cell(course, student, release, solution):
    nb = answer(release, {f: cell_source(solution, f) for f in ("conv2d_single", "conv2d_multi", "relu")})
    nb.cells = [c for c in nb.cells if c.get("id") != "test-relu"]
    submit(course, student, "01_convolution", nb)


def patches_the_checks(course, student, release, solution):
    filled = {f: cell_source(solution, f) for f in ("conv2d_multi", "relu")}
    filled["conv2d_single"] = "import cnnlab.checks\ncnnlab.checks.check_conv2d_single = lambda *a, **k: None\n" + \
        "def conv2d_single(image, kernel):\n    return image[:2, :2] * 0"
    submit(course, student, "01_convolution", answer(release, filled))


EXTRA_01 = [("broken", broken_json), ("hangs", hangs_at_top_level), ("tampered", tampered_test_cell),
            ("deleted", deleted_test_cell), ("patcher", patches_the_checks)]


EXTRA_STUDENTS = {"01_convolution": EXTRA_01}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """``graded_class(name)``: the graded class of that assignment, autograded once, on first use."""
    done = {}

    def get(name):
        if name not in done:
            done[name] = grade_class(tmp_path_factory, name, EXTRA_STUDENTS.get(name, ()))
        return done[name]
    return get


@pytest.fixture(scope="module")
def graded01(graded_class):
    return graded_class("01_convolution")


@pytest.fixture(scope="module")
def graded02(graded_class):
    return graded_class("02_padding_stride")


def by_assignment(name, *values, id=None):
    """A parameter graded with its assignment's class: one xdist group per assignment, so two
    workers grade two assignments at once and each class is graded once."""
    return pytest.param(*(values or (name,)), id=id, marks=pytest.mark.xdist_group(name))


@pytest.fixture(params=[by_assignment(name) for name in corpus.ALL])
def graded(request, graded_class):
    return graded_class(request.param)


def test_the_solution_gets_full_marks(graded):
    assert graded.scores["solution"] == graded.points


def test_the_untouched_release_gets_zero_everywhere(graded):
    assert graded.scores["untouched"] == {cell: 0.0 for cell in graded.points}
    for function in corpus.ALL[graded.name]:
        assert "not implemented yet" in graded.feedback("untouched", function) or \
            "まだ実装されていません" in graded.feedback("untouched", function)


def corpus_cases():
    for name, functions in corpus.ALL.items():
        for function, answers in functions.items():
            for k, a in enumerate(answers):
                if k not in AUTOGRADED_ROWS:
                    continue
                yield by_assignment(name, name, function, k, id=f"{function}-{k:02d}-{a.label}")


@pytest.mark.parametrize("name, function, k", list(corpus_cases()))
def test_corpus_answer_is_graded_right_and_the_mistake_is_named(name, function, k, graded_class):
    graded = graded_class(name)
    a = corpus.ALL[name][function][k]
    student = f"en{k:02d}"
    points = graded.points[grade_cell(function)]
    got = graded.scores[student][grade_cell(function)]
    feedback = graded.feedback(student, function)
    if a.correct:
        assert got == points, f"a correct answer ({a.label}) lost points:\n{feedback}"
        assert "Traceback" not in feedback and "Error" not in feedback
    else:
        assert got == 0, f"a wrong answer ({a.label}) kept {got} points"
        assert a.named in feedback, f"the feedback for '{a.label}' does not say '{a.named}':\n{feedback}"


@pytest.mark.parametrize("name", [by_assignment(name) for name in corpus.ALL])
def test_japanese_feedback_names_the_mistake(name, graded_class):
    graded = graded_class(name)
    checked = 0
    for k in JAPANESE_ROWS:
        for function, a in row_answers(corpus.ALL[name], k).items():
            got = graded.scores[f"ja{k:02d}"][grade_cell(function)]
            assert got == (graded.points[grade_cell(function)] if a.correct else 0)
            if not a.correct:
                assert a.named_ja in graded.feedback(f"ja{k:02d}", function)
                checked += 1
    assert checked > 0


@pytest.mark.xdist_group("01_convolution")
def test_a_broken_notebook_scores_zero_and_the_class_goes_on(graded01):
    assert set(graded01.scores["broken"].values()) == {0.0}
    assert graded01.scores["solution"] == graded01.points  # graded after 'broken' in the same run


@pytest.mark.xdist_group("01_convolution")
def test_a_hanging_cell_is_interrupted_and_only_that_function_loses(graded01):
    assert graded01.scores["hangs"] == {"test-conv2d-single": 3.0, "test-conv2d-multi": 3.0, "test-relu": 0.0}


@pytest.mark.xdist_group("01_convolution")
def test_edited_test_cells_are_restored_before_grading(graded01):
    assert graded01.scores["tampered"]["test-conv2d-single"] == 0.0
    assert "kernel is flipped" in graded01.feedback("tampered", "conv2d_single")
    assert sum(graded01.scores["tampered"].values()) == 4.0  # the 100 points were not believed


@pytest.mark.xdist_group("01_convolution")
def test_a_deleted_test_cell_is_put_back_and_graded(graded01):
    assert graded01.scores["deleted"]["test-relu"] == 1.0
    assert graded01.scores["deleted"]["test-conv2d-single"] == 3.0


@pytest.mark.xdist_group("01_convolution")
def test_patching_the_checks_in_an_answer_cell_does_not_help(graded01):
    assert graded01.scores["patcher"]["test-conv2d-single"] == 0.0


@pytest.mark.xdist_group("02_padding_stride")
def test_feedback_and_export_run_on_the_graded_class(graded02):
    nbgrader(graded02.course, "generate_feedback", "02_padding_stride")
    answers = corpus.ALL["02_padding_stride"]["conv_forward"]
    k, wrong = next((k, a) for k, a in enumerate(answers) if a.named and k in AUTOGRADED_ROWS)  # a graded wrong answer's row
    html = (graded02.course / "feedback" / f"en{k:02d}" / "02_padding_stride" / "02_padding_stride.html").read_text()
    assert wrong.named in html
    nbgrader(graded02.course, "export")
    lines = (graded02.course / "grades.csv").read_text().splitlines()
    assert lines[0].startswith("assignment,")
    assert len(lines) - 1 == len(graded02.scores)
