"""Hostile submissions graded by stock ``nbgrader autograde`` in the same run as honest students.

Two runs of one 01_convolution course copy each: the honest class alone, and the honest class
with every attacker of ``hostile.py``. The honest grades and feedback must be the same in both;
each attacker gets what its answers earn; nothing of the course, the package, the gradebook's
test cells, HOME or the environment is touched or shown; no process survives; the disk is capped.
"""

import json
from pathlib import Path

import pytest

import corpus
import hostile
from hostile import MARKER, Listener, lingering, stored_test_cells, tree_digest
from course import ROOT, answer, feedback_text, make_course, nbgrader, release_notebook, scores, source_notebook, submit

NAME = "01_convolution"
SECRET_ENV = "cnnlab-secret-env-5f1c"
SECRET_HOME = "cnnlab-secret-home-93ab"
FULL = {"test-conv2d-single": 3.0, "test-conv2d-multi": 3.0, "test-relu": 1.0}
EARNED = {"test-conv2d-single": 0.0, "test-conv2d-multi": 3.0, "test-relu": 1.0}


def solution_sources(solution):
    return {c.id: c.source for c in solution.cells if c.get("id") in ("conv2d_single", "conv2d_multi", "relu")}


def honest_class(course):
    release, solution = release_notebook(course, NAME), source_notebook(NAME)
    submit(course, "honest", NAME, solution)
    flipped = dict(solution_sources(solution))
    flipped["conv2d_single"] = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped").source
    submit(course, "flipped", NAME, answer(release, flipped, language="en"))
    submit(course, "untouched", NAME, release)


def autograde(course, home):
    env = {"CNNLAB_TIME_LIMIT": "3", "CNNLAB_SECRET": SECRET_ENV, "HOME": str(home)}
    return nbgrader(course, "autograde", NAME, "--Execute.timeout=20", "--JudgeOutside.cell_timeout=20", env=env, check=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "secret.txt").write_text(SECRET_HOME)
    (home / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    listener = Listener()

    baseline = make_course(tmp_path_factory.mktemp("baseline"), [NAME])
    honest_class(baseline)
    autograde(baseline, home)

    course = make_course(tmp_path_factory.mktemp("hostile"), [NAME])
    honest_class(course)
    release, solution = release_notebook(course, NAME), source_notebook(NAME)
    good = solution_sources(solution)
    for kind in hostile.FAKES:
        submit(course, f"fake-{kind}", NAME, answer(release, {**good, "conv2d_single": hostile.fake(kind)}, language="en"))
    submit(course, "delegate", NAME, answer(release, {**good, "conv2d_single": hostile.DELEGATE}, language="en"))
    lookalike = answer(release, {**good, "conv2d_single": hostile.WRONG_SINGLE}, language="en")
    submit(course, "lookalike", NAME, lookalike)
    fake_package = course / "submitted" / "lookalike" / NAME / "cnnlab"
    (fake_package / "checks").mkdir(parents=True)
    (fake_package / "__init__.py").write_text("def set_language(language):\n    pass\n")
    (fake_package / "checks" / "__init__.py").write_text("def __getattr__(name):\n    return lambda *a, **k: None\n")
    intruder = hostile.INTRUDER.format(course=str(course), package=str(ROOT / "cnnlab"), home=str(home),
                                       port=listener.port, marker=MARKER)
    submit(course, "intruder", NAME, answer(release, {"conv2d_single": intruder + "\n" + hostile.WRONG_SINGLE}, language="en"))

    before = {"release": tree_digest(course / "assignments"), "solutions": tree_digest(course / "solutions"),
              "package": tree_digest(ROOT / "cnnlab"), "cells": stored_test_cells(course),
              "home": tree_digest(home),
              "others": {s: tree_digest(course / "submitted" / s) for s in ("honest", "flipped", "untouched")}}
    done = autograde(course, home)
    return {"baseline": baseline, "course": course, "home": home, "before": before, "done": done,
            "listener": listener}


def judge_report(course, student):
    return json.loads((Path(course) / "grading" / "judge" / NAME / f"{student}.json").read_text())


def test_honest_students_are_graded_as_without_the_attackers(runs):
    base, course = scores(runs["baseline"], NAME), scores(runs["course"], NAME)
    assert base["honest"] == FULL
    assert base["untouched"] == {cell: 0.0 for cell in FULL}
    assert base["flipped"] == EARNED
    for student in ("honest", "flipped", "untouched"):
        assert course[student] == base[student]
        for cell in FULL:
            assert feedback_text(runs["course"], student, NAME, cell) == feedback_text(runs["baseline"], student, NAME, cell)
    assert "kernel is flipped" in feedback_text(runs["course"], "flipped", NAME, "test-conv2d-single")


@pytest.mark.parametrize("kind", list(hostile.FAKES))
def test_faking_a_pass_in_the_kernel_earns_nothing_and_is_flagged(runs, kind):
    student = f"fake-{kind}"
    assert scores(runs["course"], NAME)[student] == EARNED
    report = judge_report(runs["course"], student)
    assert report["sandboxed"] is True
    assert report["cells"]["test-conv2d-single"] == {**report["cells"]["test-conv2d-single"], "judge": False, "kernel": True,
                                                     "disagree": True}
    assert report["flagged"] is True


def test_delegating_to_the_reference_earns_nothing(runs):
    assert scores(runs["course"], NAME)["delegate"] == EARNED
    assert judge_report(runs["course"], "delegate")["cells"]["test-conv2d-single"]["judge"] is False


def test_a_lookalike_cnnlab_folder_changes_nothing(runs):
    assert scores(runs["course"], NAME)["lookalike"] == EARNED


def test_the_intruder_gets_zero_and_changes_nothing(runs):
    course, before = runs["course"], runs["before"]
    assert scores(course, NAME)["intruder"] == {cell: 0.0 for cell in FULL}
    assert tree_digest(course / "assignments") == before["release"]
    assert tree_digest(course / "solutions") == before["solutions"]
    assert tree_digest(ROOT / "cnnlab") == before["package"]
    assert stored_test_cells(course) == before["cells"]
    assert tree_digest(runs["home"]) == before["home"]
    for student, digest in before["others"].items():
        assert tree_digest(course / "submitted" / student) == digest
    assert runs["listener"].connections == 0
    # The intruder's attempts did run (its notebook says so), and were refused.
    text = feedback_text(course, "intruder", NAME, "conv2d_single")
    assert "gradebook -> blocked" in text and "edit-package -> blocked" in text and "home -> blocked" in text


def test_nothing_secret_appears_in_any_output(runs):
    course = runs["course"]
    for path in [*course.rglob("*")]:
        if path.is_file() and path.suffix in (".ipynb", ".json", ".db", ".html", ".csv"):
            data = path.read_bytes()
            assert SECRET_ENV.encode() not in data, path
            assert SECRET_HOME.encode() not in data, path
    solutions_text = b"### BEGIN SOLUTION"
    for path in (course / "autograded" / "intruder").rglob("*.ipynb"):
        outputs = json.dumps([c.get("outputs", []) for c in json.loads(path.read_text())["cells"]])
        assert solutions_text.decode() not in outputs


def test_no_process_survives_and_the_disk_is_capped(runs):
    assert lingering() == []
    size = sum(p.stat().st_size for p in runs["course"].rglob("*") if p.is_file())
    assert size < 50 * 1024 * 1024
