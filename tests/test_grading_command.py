"""``cnnlab grade``: an LMS zip collected, graded in parallel by sandboxes, one gradebook writer.

One course copy of 01_convolution, one zip: honest students, a wrong answer, the untouched
release, a kernel faker and an unreadable notebook. Graded with ``--jobs 2``; the CSV, the
feedback pages, the gradebook and the summary are read back.
"""

import csv
import io
import os
import subprocess
import sys
import zipfile

import nbformat
import pytest

import corpus
import hostile
from course import ROOT, answer, make_course, release_notebook, scores, source_notebook
from hostile import Listener, lingering, stored_test_cells, tree_digest

NAME = "01_convolution"
SECRET_ENV = "cnnlab-secret-env-c0de"
SECRET_HOME = "cnnlab-secret-home-beef"


def grade(course, *args, home=None):
    env = {**os.environ, "CNNLAB_TIME_LIMIT": "3", "PYTHONPATH": str(ROOT), "CNNLAB_SECRET": SECRET_ENV}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "cnnlab.cli", "grade", NAME, *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"), [NAME])
    home = tmp_path_factory.mktemp("home")
    (home / "secret.txt").write_text(SECRET_HOME)
    listener = Listener()
    intruder = hostile.INTRUDER.format(course=str(course), package=str(ROOT / "cnnlab"), home=str(home),
                                       port=listener.port, marker=hostile.MARKER)
    release, solution = release_notebook(course, NAME), source_notebook(NAME)
    good = {c.id: c.source for c in solution.cells if c.get("id") in ("conv2d_single", "conv2d_multi", "relu")}
    flipped = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped")
    notebooks = {
        "alice": solution,
        "bob": answer(release, {**good, "conv2d_single": flipped.source}, language="en"),
        "carol": release,
        "mallory": answer(release, {**good, "conv2d_single": hostile.fake("module_dict")}, language="en"),
        "intruder": answer(release, {"conv2d_single": intruder + "\n" + hostile.WRONG_SINGLE}, language="en"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for student, nb in notebooks.items():
            z.writestr(f"{student}/{NAME}.ipynb", nbformat.writes(nb))
        z.writestr(f"broken/{NAME}.ipynb", '{"cells": [ not JSON')
    (course / "subs.zip").write_bytes(buffer.getvalue())
    before = {"release": tree_digest(course / "assignments"), "solutions": tree_digest(course / "solutions"),
              "package": tree_digest(ROOT / "cnnlab"), "home": tree_digest(home),
              "cells": stored_test_cells(course)}
    first = grade(course, "subs.zip", "--jobs", "2", "--timeout", "20", home=home)
    rows = {r["student"]: r for r in csv.DictReader(open(course / "grading" / "grades.csv", encoding="utf-8"))}
    return {"course": course, "first": first, "rows": rows, "before": before, "home": home, "listener": listener}


def test_grades_csv_has_the_points_each_answer_earns(graded):
    assert graded["first"].returncode == 0, graded["first"].stderr[-3000:]
    rows = graded["rows"]
    assert (rows["alice"]["conv2d_single"], rows["alice"]["conv2d_multi"], rows["alice"]["relu"]) == ("3.0", "3.0", "1.0")
    assert rows["alice"]["total"] == "7.0" and rows["alice"]["status"] == "graded"
    assert rows["bob"]["conv2d_single"] == "0.0" and rows["bob"]["total"] == "4.0"
    assert rows["carol"]["total"] == "0.0"
    assert rows["mallory"]["total"] == "4.0" and rows["mallory"]["status"] == "flagged"
    assert rows["broken"]["status"] == "failed" and rows["broken"]["reason"]


def test_parallel_grading_leaves_one_consistent_gradebook(graded):
    # Every student once, every grade cell once, the same points as the CSV.
    book = scores(graded["course"], NAME)
    assert set(book) == {"alice", "bob", "carol", "mallory", "intruder"}
    for student, cells in book.items():
        assert set(cells) == {"test-conv2d-single", "test-conv2d-multi", "test-relu"}
        assert sum(cells.values()) == float(graded["rows"][student]["total"])


def test_feedback_pages_give_points_and_the_diagnosis(graded):
    page = (graded["course"] / "grading" / "feedback" / "bob" / f"{NAME}.html").read_text(encoding="utf-8")
    flipped = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped")
    assert "conv2d_single" in page and "0 / 3" in page
    assert flipped.named in page or flipped.named_ja in page


def test_the_summary_names_failed_and_flagged_students(graded):
    out = graded["first"].stdout
    assert "mallory" in out and "possibly tampering" in out
    assert "broken" in out and "mean points" in out


def test_graded_students_are_skipped_unless_forced(graded):
    again = grade(graded["course"], "subs.zip", "--timeout", "20")
    assert again.returncode == 0, again.stderr[-2000:]
    rows = {r["student"]: r for r in csv.DictReader(open(graded["course"] / "grading" / "grades.csv", encoding="utf-8"))}
    assert rows["alice"]["status"] == "skipped" and rows["alice"]["total"] == "7.0"


def test_the_intruder_gets_nothing_and_changes_nothing(graded):
    course, before = graded["course"], graded["before"]
    assert graded["rows"]["intruder"]["total"] == "0.0"
    assert tree_digest(course / "assignments") == before["release"]
    assert tree_digest(course / "solutions") == before["solutions"]
    assert tree_digest(ROOT / "cnnlab") == before["package"]
    assert tree_digest(graded["home"]) == before["home"]
    assert stored_test_cells(course) == before["cells"]
    assert graded["listener"].connections == 0
    assert lingering() == []
    for path in course.rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".json", ".html", ".csv", ".db"):
            assert SECRET_ENV.encode() not in path.read_bytes() and SECRET_HOME.encode() not in path.read_bytes(), path


def without_bwrap_env():
    """PATH with this Python but without bubblewrap: no sandbox can be made."""
    return os.path.dirname(sys.executable)


def test_without_a_sandbox_grading_refuses_and_names_what_is_missing(tmp_path):
    course = make_course(tmp_path, [NAME])
    env = {**os.environ, "PATH": without_bwrap_env(), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "cnnlab.cli", "grade", NAME, "nothing.zip"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 3
    assert "bubblewrap" in done.stderr and "--unsafe-no-sandbox" in done.stderr
    assert not (course / "grading").exists()


def test_the_unsafe_flag_grades_and_every_grade_says_unsandboxed(tmp_path):
    course = make_course(tmp_path, [NAME])
    (course / "subs").mkdir()
    (course / "subs" / "alice").mkdir()
    nbformat.write(source_notebook(NAME), str(course / "subs" / "alice" / f"{NAME}.ipynb"))
    env = {**os.environ, "PATH": without_bwrap_env(), "PYTHONPATH": str(ROOT), "CNNLAB_TIME_LIMIT": "3"}
    done = subprocess.run([sys.executable, "-m", "cnnlab.cli", "grade", NAME, "subs", "--unsafe-no-sandbox", "--timeout", "20"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader(open(course / "grading" / "grades.csv", encoding="utf-8")))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "7.0")]
    assert all("unsandboxed" in r["reason"] for r in rows)
    assert "UNSANDBOXED" in done.stdout
