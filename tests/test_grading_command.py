"""``cnnlab grade``: an LMS zip collected, graded in parallel by sandboxes, one gradebook writer.

One course copy of 01_convolution, one zip: honest students, a wrong answer, the untouched
release, a kernel faker and an unreadable notebook. Graded with ``--jobs 2``; the CSV, the
feedback pages, the gradebook and the summary are read back.

What the report hands to the LMS is tested without grading: grades.csv's bytes (UTF-8 with a
byte order mark, for Excel), the LMS's id and name taken from a real collection, and the Moodle
feedback zip read back the way Moodle's importer reads it.
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
from cnnlab.grading import report
from cnnlab.grading.collect import collect
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
    rows = {r["student"]: r for r in csv.DictReader(open(course / "grading" / "grades.csv", encoding="utf-8-sig"))}
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
    # A plain folder zip: no LMS number, the folder's name; no Moodle feedback zip.
    assert (rows["alice"]["lms_id"], rows["alice"]["name"]) == ("", "alice")
    assert not (graded["course"] / "grading" / "feedback-moodle.zip").exists()


def test_parallel_grading_leaves_one_consistent_gradebook(graded):
    # Every student once, every grade cell once, the same points as the CSV.
    book = scores(graded["course"], NAME)
    assert set(book) == {"alice", "bob", "carol", "mallory", "intruder"}
    for student, cells in book.items():
        assert set(cells) == {"test-conv2d-single", "test-conv2d-multi", "test-relu"}
        assert sum(cells.values()) == float(graded["rows"][student]["total"])


def test_nbgrader_s_log_goes_to_its_file_not_over_the_progress_bar(graded):
    log = (graded["course"] / "grading" / f"nbgrader-{NAME}.log").read_text(encoding="utf-8")
    assert "mallory" in log and "possibly tampering" in log   # the judge's warning, among nbgrader's lines
    assert "AutogradeApp" in log and "AutogradeApp" not in graded["first"].stderr + graded["first"].stdout


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
    rows = {r["student"]: r for r in csv.DictReader(open(graded["course"] / "grading" / "grades.csv", encoding="utf-8-sig"))}
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
    rows = list(csv.DictReader(open(course / "grading" / "grades.csv", encoding="utf-8-sig")))
    assert [(r["student"], r["total"]) for r in rows] == [("alice", "7.0")]
    assert all("unsandboxed" in r["reason"] for r in rows)
    assert "UNSANDBOXED" in done.stdout


# --- what goes back to the LMS (no grading run) ------------------------------------------------


def test_grades_csv_is_utf8_with_a_byte_order_mark_so_excel_reads_japanese_names(tmp_path):
    path = tmp_path / "grades.csv"
    report.write_csv(path, ["student", "lms_id", "name", "total"],
                     [{"student": "山田_花子", "lms_id": "100001", "name": "山田 花子", "total": 7.0},
                      {"student": "alice", "lms_id": "", "name": "alice", "total": ""}])
    raw = path.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"   # the mark Excel looks for; without it Excel reads cp932
    assert raw[3:].decode("utf-8") == ("student,lms_id,name,total\r\n"
                                       "山田_花子,100001,山田 花子,7.0\r\n"
                                       "alice,,alice,\r\n")


def moodle_import(names, participants):
    """{participant id: file name} as Moodle's feedback zip import reads the member ``names``.

    The rule of Moodle's importer (mod/assign/feedback/file/importziplib.php,
    is_valid_filename_for_import), written again here as an independent oracle: each path part is
    split at '_' into at most 5 pieces (full name, participant id, plugin type, plugin name,
    rest); the first part with at least 4 pieces whose id is numeric and one of ``participants``
    names the student; the rest of the path is the file name. Other files are ignored.
    """
    found = {}
    for name in names:
        parts = name.split("/")
        while parts:
            info = parts.pop(0).split("_", 4)
            if len(info) < 4 or not info[1].isdigit() or int(info[1]) not in participants:
                continue
            found[int(info[1])] = "/".join([info[4] if len(info) == 5 else "", *parts]).lstrip("/")
            break
    return found


def lms_zip(path, members, notebook):
    with zipfile.ZipFile(path, "w") as z:
        for member in members:
            z.writestr(member, nbformat.writes(notebook))
    return path


def test_moodle_download_gives_lms_ids_names_and_a_feedback_zip_moodle_can_import(tmp_path):
    release = release_notebook(ROOT, NAME)
    download = lms_zip(tmp_path / "moodle.zip", [f"山田 花子_100001_assignsubmission_file_/{NAME}.ipynb",
                                                 f"佐藤 次郎_100003_assignsubmission_file_/{NAME}.ipynb",
                                                 f"鈴木 太郎_100002_assignsubmission_file_{NAME}.ipynb"], release)
    records = collect(NAME, download, tmp_path / "submitted")
    assert report.lms_columns(records, "山田_花子") == {"lms_id": "100001", "name": "山田 花子"}
    assert report.lms_columns(records, "鈴木_太郎") == {"lms_id": "100002", "name": "鈴木 太郎"}  # flat name
    assert report.lms_columns(records, "nobody") == {"lms_id": "", "name": ""}
    out = tmp_path / "grading"
    pages = {"山田_花子": "<p>7 / 7</p>", "鈴木_太郎": "<p>0 / 7</p>"}   # 佐藤 has no page (not graded)
    for student, page in pages.items():
        (out / "feedback" / student).mkdir(parents=True)
        (out / "feedback" / student / f"{NAME}.html").write_text(page, encoding="utf-8")
    path = report.moodle_feedback_zip(out, NAME, records)
    assert path == out / "feedback-moodle.zip"
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert names == ["山田 花子_100001_assignsubmission_file_/feedback.html",
                         "鈴木 太郎_100002_assignsubmission_file_/feedback.html"]
        assert z.read(names[0]).decode("utf-8") == "<p>7 / 7</p>"
        assert all(info.flag_bits & 0x800 for info in z.infolist())   # names marked UTF-8
    assert moodle_import(names, {100001, 100002, 100003}) == {100001: "feedback.html", 100002: "feedback.html"}


def test_canvas_and_plain_downloads_give_no_moodle_zip_and_remove_an_old_one(tmp_path):
    release = release_notebook(ROOT, NAME)
    canvas = lms_zip(tmp_path / "canvas.zip", [f"yamadahanako_12345_67890_{NAME}.ipynb"], release)
    records = collect(NAME, canvas, tmp_path / "submitted")
    # Canvas's name_user_upload_file: the user number, what the Gradebook's "ID" column holds.
    assert report.lms_columns(records, "yamadahanako") == {"lms_id": "12345", "name": "yamadahanako"}
    out = tmp_path / "grading"
    (out / "feedback" / "yamadahanako").mkdir(parents=True)
    (out / "feedback" / "yamadahanako" / f"{NAME}.html").write_text("<p>page</p>", encoding="utf-8")
    (out / "feedback-moodle.zip").write_bytes(b"an earlier Moodle class's zip")
    assert report.moodle_feedback_zip(out, NAME, records) is None
    assert not (out / "feedback-moodle.zip").exists()
    plain = lms_zip(tmp_path / "plain.zip", [f"alice/{NAME}.ipynb"], release)
    records = collect(NAME, plain, tmp_path / "submitted-plain")
    assert report.lms_columns(records, "alice") == {"lms_id": "", "name": "alice"}
