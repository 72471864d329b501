"""08_transfer_learning: the checks in-process (tests/corpus_08.py in Japanese and English, the
hand-worked cases, bad arguments) and one real nbgrader autograde run of the whole class."""

import contextlib
import io
import math

import numpy as np
import pytest

import cnnlab
import corpus_08
from cnnlab import checks
from cnnlab.checks import a08_transfer_learning as a08, hints
from course import answer, feedback_text, make_course, max_points, nbgrader, release_notebook, scores, source_notebook, submit

NAME = "08_transfer_learning"
FUNCTIONS = corpus_08.ALL[NAME]
ANSWERS = [pytest.param(a, id=f"{a.function}-{a.label}") for answers in FUNCTIONS.values() for a in answers]


@pytest.fixture(autouse=True)
def english_and_quick(monkeypatch):
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    cnnlab.set_language("en")
    yield
    cnnlab.set_language(None)


def define(a):
    namespace = {"np": np, "math": math}
    exec(compile(a.source, f"<{a.label}>", "exec"), namespace)
    return namespace[a.function]


def run_check(function_name, fn, seed=None):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            getattr(checks, f"check_{function_name}")(fn, seed=seed)
    except checks.CheckFailed as failure:
        return False, str(failure), failure.key
    return True, out.getvalue(), None


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("a", ANSWERS)
def test_every_corpus_answer_gets_the_right_verdict_and_names_its_mistake(a, language):
    cnnlab.set_language(language)
    fn = define(a)
    passed_visible, message, _ = run_check(a.function, fn)
    passed_hidden, hidden_message, _ = run_check(a.function, fn, seed=12345)
    if a.correct:
        assert passed_visible and passed_hidden, message + hidden_message
    else:
        assert not passed_visible
        assert (a.named if language == "en" else a.named_ja) in message
        assert message.rstrip().endswith(hints.pointer(a.function))


def test_every_corpus_mistake_has_a_stable_key():
    keys = {}
    for answers in FUNCTIONS.values():
        for a in answers:
            if not a.correct:
                keys[a.label] = run_check(a.function, define(a))[2]
    assert None not in keys.values(), keys
    assert keys["x and y shuffled separately"] == "labels_misaligned"
    assert keys["validation images also in training"] == "overlap"
    assert keys["chose by the test accuracy"] == "chose_by_test"
    assert keys["one rate for every parameter"] == "frozen_updated"


# --- the hand-worked cases ----------------------------------------------------------------------

def test_the_holdout_cases_start_with_the_lectures_8_2_and_floor():
    cases = a08.holdout_cases(None)
    x, y = cases[0].args
    assert len(y) == 10 and cases[0].extra["n_train"] == 8               # math.floor(10 * 0.8)
    assert y.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]                  # sorted by class
    assert cases[1].extra["n_train"] == 5 and len(cases[1].args[1]) == 7  # 7 * 0.8 = 5.6 -> 5
    assert cases[3].extra["n_train"] == 17                               # 23 * 0.75 = 17.25 -> 17
    assert np.floor(x.reshape(10, -1)[:, 0]).tolist() == list(range(10))  # every row names its index


def test_the_learning_rates_of_the_lecture_network():
    scratch, fe, ft, _ = a08.rates_cases(None)
    assert a08.expected_rates(scratch) == {k: 0.1 for k in a08.NET_NAMES}
    assert a08.expected_rates(fe) == {"0.W": 0.0, "0.b": 0.0, "3.W": 0.0, "3.b": 0.0, "7.W": 0.1, "7.b": 0.1}
    rates = a08.expected_rates(ft)
    assert [round(rates[k], 12) for k in a08.NET_NAMES] == [0.01, 0.01, 0.01, 0.01, 0.1, 0.1]


def test_the_sgd_step_hand_worked_numbers():
    want = a08.expected_step(a08.step_cases(None)[0])
    assert want["0.W"].tolist() == [1.0, -2.0]                              # rate 0: exactly as it was
    assert np.allclose(want["0.b"], [0.5 + 0.01 * 10])                      # 0.5 − 0.01·(−10) = 0.6
    assert np.allclose(want["1.W"], [[0.9, 2.1], [2.8, 4.0]])               # 1 − 0.1·1, 2 − 0.1·(−1), ...


def test_pick_model_cases_tell_val_test_and_train_apart():
    for case in a08.pick_cases(777):
        (results,) = case.args
        best = {key: max(results, key=lambda k: results[k][key]) for key in ("train_acc", "val_acc", "test_acc")}
        if case.what_en == "the lecture's three models":
            assert best == {"train_acc": "scratch", "val_acc": "feature_extraction", "test_acc": "fine_tuning"}
        vals = [r["val_acc"] for r in results.values()]
        assert len(set(vals)) == len(vals)   # no tie: one right answer


# --- safety nets -------------------------------------------------------------------------------

def test_a_frozen_array_that_moves_by_one_ulp_is_caught():
    def sneaky(params, grads, lrs):
        for k in params:
            params[k] -= (lrs[k] or 1e-12) * grads[k]
    passed, message, key = run_check("sgd_step", sneaky)
    assert not passed and key == "frozen_updated", message


@pytest.mark.parametrize("name", ["holdout_split", "learning_rates", "sgd_step", "pick_model"])
def test_the_checks_reject_what_is_not_a_function_and_a_bad_seed(name):
    check = getattr(checks, f"check_{name}")
    with pytest.raises(TypeError):
        check(42)
    with pytest.raises(TypeError):
        check(lambda *a, **k: None, seed="1")


def test_a_stub_that_lost_its_parameters_is_refused():
    def holdout_split(x, y, val_fraction=0.2):
        raise NotImplementedError()
    passed, message, _ = run_check("holdout_split", holdout_split)
    assert not passed and "rng" in message


def test_a_not_implemented_stub_is_told_so():
    def pick_model(results):
        raise NotImplementedError()
    passed, message, _ = run_check("pick_model", pick_model)
    assert not passed and "not implemented yet" in message


def test_the_new_checks_are_exported_and_have_hints():
    for name in FUNCTIONS:
        assert f"check_{name}" in checks.__all__
        assert name in hints.HINTS


# --- one real autograde run of the class --------------------------------------------------------

SLOW_CELLS = ("folder-roundtrip", "experiment-run", "experiment-table", "experiment-check")
JAPANESE_ROW = 3


def cell_source(notebook, cell_id):
    return next(c.source for c in notebook.cells if c.get("id") == cell_id)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """solution and untouched release whole; corpus rows with the ungraded experiment cells
    emptied (a student may edit them; it saves a minute per submission)."""
    course = make_course(tmp_path_factory.mktemp(NAME), [NAME])
    release, solution = release_notebook(course, NAME), source_notebook(NAME)
    submit(course, "solution", NAME, solution)
    submit(course, "untouched", NAME, release)
    rows = max(len(answers) for answers in FUNCTIONS.values())
    for k in range(rows):
        filled = {f: (answers[k].source if k < len(answers) else cell_source(solution, f)) for f, answers in FUNCTIONS.items()}
        filled.update({c: "pass" for c in SLOW_CELLS})
        submit(course, f"en{k:02d}", NAME, answer(release, filled, language="en"))
        if k == JAPANESE_ROW:
            submit(course, f"ja{k:02d}", NAME, answer(release, filled, language="ja"))
    nbgrader(course, "autograde", NAME, "--Execute.timeout=120", env={"CNNLAB_TIME_LIMIT": "3"})
    return course, scores(course, NAME), max_points(solution)


def grade_cell(function):
    return "test-" + function.replace("_", "-")


def test_the_solution_gets_full_marks_and_the_untouched_release_zero(graded):
    course, got, points = graded
    assert points == {"test-holdout-split": 3.0, "test-learning-rates": 2.0, "test-sgd-step": 2.0, "test-pick-model": 1.0}
    assert got["solution"] == points
    assert got["untouched"] == {cell: 0.0 for cell in points}
    assert "not implemented yet" in feedback_text(course, "untouched", NAME, "test-holdout-split") or \
        "まだ実装されていません" in feedback_text(course, "untouched", NAME, "test-holdout-split")


def test_the_solution_runs_the_whole_experiment_under_autograde(graded):
    course = graded[0]
    assert "✓ transfer beats training from scratch on every seed" in feedback_text(course, "solution", NAME, "experiment-check")
    assert "chosen by validation" in feedback_text(course, "solution", NAME, "experiment-table")
    assert "KMNIST skipped (offline)" in feedback_text(course, "solution", NAME, "kmnist-run")   # no network by default


@pytest.mark.parametrize("function, k", [(f, k) for f, answers in FUNCTIONS.items() for k in range(len(answers))],
                         ids=lambda v: str(v))
def test_every_corpus_answer_loses_exactly_its_points(graded, function, k):
    course, got, points = graded
    a = FUNCTIONS[function][k]
    cell = grade_cell(function)
    feedback = feedback_text(course, f"en{k:02d}", NAME, cell)
    if a.correct:
        assert got[f"en{k:02d}"][cell] == points[cell], feedback
    else:
        assert got[f"en{k:02d}"][cell] == 0, f"{a.label} kept its points"
        assert a.named in feedback, feedback


def test_japanese_feedback_names_the_mistakes(graded):
    course, got, points = graded
    named = 0
    for function, answers in FUNCTIONS.items():
        if JAPANESE_ROW < len(answers):
            a = answers[JAPANESE_ROW]
            assert got[f"ja{JAPANESE_ROW:02d}"][grade_cell(function)] == (points[grade_cell(function)] if a.correct else 0)
            if not a.correct:
                assert a.named_ja in feedback_text(course, f"ja{JAPANESE_ROW:02d}", NAME, grade_cell(function))
                named += 1
    assert named >= 2
