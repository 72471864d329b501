"""docs/instructor-guide.md, followed step by step: every ```bash command of the guide, in order,
run for real in a copy of the repository, on a Moodle zip of a class of three (01_convolution).

- The guide's commands are exactly ``COMMANDS``, in that order. A command the guide gains, loses
  or changes fails the test, so the guide cannot drift from what is run here.
- Only ``SUBSTITUTIONS`` differ from the guide's text: where the LMS zips are and where to push.
- Blocks marked ``<!-- setup -->`` install packages. They are not run; each of their lines must be
  one of the README's install commands.
- A ```text block marked ``<!-- output: KEY -->`` is what the guide says a command prints or a file
  holds; ``SHOWN`` says where the real one is, and the two are compared.
- What the guide promises: the committed release is what nbgrader makes; the student repository,
  pushed, has no solutions/ or tests/ and carries the guide's Binder and Colab links; grades.csv has
  the hand-known points (docs/curriculum.md: 3 + 3 + 1; a flipped kernel loses conv2d_single's 3,
  the release earns 0), in UTF-8 with a byte order mark, each row with the student's Moodle
  participant number and name; one feedback page per student, with the diagnosis and no hidden
  test, and the same pages in feedback-moodle.zip under the folder names of the Moodle download;
  ``nbgrader export`` reads the gradebook ``cnnlab grade`` wrote; ``--force`` grades a resubmission.
"""

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import corpus
from course import ROOT, answer, release_notebook, source_notebook

GUIDE = ROOT / "docs" / "instructor-guide.md"
NAME = "01_convolution"
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}

# The guide's commands, in the guide's order.
SANDBOX = 'python -c "from cnnlab.grading.sandbox import sandbox_available; print(sandbox_available())"'
RELEASE = "nbgrader generate_assignment 01_convolution --force"
RELEASE_STATUS = "git status --short assignments/"
STUDENT_REPO = "cnnlab student-repo ../cnn-course --github my-lab/cnn-course --git"
REMOTE = "git -C ../cnn-course remote add origin git@github.com:my-lab/cnn-course.git"
PUSH = "git -C ../cnn-course push -u origin main"
GRADE = "cnnlab grade 01_convolution ~/Downloads/submissions.zip --out grading --jobs 2"
SHOW_CSV = "cat grading/grades.csv"
FEEDBACK = "ls grading/feedback/*/01_convolution.html"
FEEDBACK_ZIP = "python -m zipfile -l grading/feedback-moodle.zip"
EXPORT = "nbgrader export --to grading/nbgrader-grades.csv"
REGRADE = "cnnlab grade 01_convolution ~/Downloads/submissions-again.zip --out grading --jobs 2 --force"
COMMANDS = [SANDBOX, RELEASE, RELEASE_STATUS, STUDENT_REPO, REMOTE, PUSH, GRADE, SHOW_CSV, FEEDBACK, FEEDBACK_ZIP, EXPORT,
            REGRADE]

# What differs in the test, {text in the guide: what the test puts there}, filled in per run:
# the instructor's downloads folder holds the test's LMS zips, and GitHub is a local bare repository.
SUBSTITUTIONS = {"~/Downloads/": "{downloads}/", "git@github.com:my-lab/cnn-course.git": "{remote}"}

# The class, as Moodle names its download: "Full Name_<participant>_assignsubmission_file_/".
PARTICIPANTS = {"山田 花子": 100001, "鈴木 太郎": 100002, "佐藤 次郎": 100003}
# Hand-known points (docs/curriculum.md, 01: conv2d_single 3, conv2d_multi 3, relu 1):
# (conv2d_single, conv2d_multi, relu, total) per student folder.
FIRST_POINTS = {"山田_花子": ("3.0", "3.0", "1.0", "7.0"),   # the solution from solutions/
                "鈴木_太郎": ("0.0", "0.0", "0.0", "0.0"),   # the untouched release
                "佐藤_次郎": ("0.0", "3.0", "1.0", "4.0")}   # conv2d_single with the kernel flipped
AGAIN_POINTS = {**FIRST_POINTS, "鈴木_太郎": ("3.0", "3.0", "1.0", "7.0")}   # 鈴木 resubmits, right
FLIPPED = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped")

BLOCK = re.compile(r"(?:^<!--[ \t]*(?P<mark>[^\n>]*?)[ \t]*-->\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.M | re.S)


def guide_blocks():
    """[(mark, language, body)] for every fenced block of the guide; mark is the HTML comment on
    the line just above the fence ('' when there is none)."""
    return [(m["mark"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))]


def commands(body):
    """The command lines of a bash block (blank lines and comments left out)."""
    return [line.strip() for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def run_commands():
    return [c for mark, lang, body in guide_blocks() if lang == "bash" and mark != "setup" for c in commands(body)]


def test_every_block_is_run_checked_or_compared():
    for mark, lang, body in guide_blocks():
        assert (lang, mark) in {("bash", ""), ("bash", "setup")} or (lang == "text" and mark.startswith("output: ")), \
            f"a ```{lang} block marked {mark!r} that this test does not know how to check:\n{body}"
    shown = [mark.removeprefix("output: ") for mark, lang, _ in guide_blocks() if lang == "text"]
    assert sorted(shown) == sorted(SHOWN)


def test_the_guide_has_exactly_the_commands_this_test_runs():
    assert run_commands() == COMMANDS, "the guide's commands changed: update COMMANDS and what is checked after them"


def test_setup_blocks_are_the_readme_install_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"`([^`\n]+)`", readme))
    for block in re.findall(r"^```bash\n(.*?)^```$", readme, flags=re.M | re.S):
        shown |= set(commands(block))
    setup = [c for mark, lang, body in guide_blocks() if mark == "setup" for c in commands(body)]
    assert any("pip install" in c for c in setup) and any("bubblewrap" in c for c in setup)
    assert [c for c in setup if c not in shown] == []


@dataclass
class Ran:
    stdout: str
    stderr: str
    grades_csv: bytes | None   # grading/grades.csv just after the command, if there was one


def copy_of_repository(dest):
    """The instructor's copy: every tracked file as it is in the working tree, committed in a new git repository."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, names.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for args in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "--message", "the instructor's copy"]):
        subprocess.run(["git", *args], cwd=dest, env={**os.environ, **GIT_IDENTITY}, check=True, capture_output=True)
    return dest


def moodle_zip(path, notebooks):
    """A Moodle "Download all submissions" zip: one folder per participant."""
    with zipfile.ZipFile(path, "w") as z:
        for name, notebook in notebooks.items():
            z.writestr(f"{name}_{PARTICIPANTS[name]}_assignsubmission_file_/{NAME}.ipynb", nbformat.writes(notebook))


def write_downloads(downloads):
    solution, release = source_notebook(NAME), release_notebook(ROOT, NAME)
    right = {c.id: c.source for c in solution.cells if c.get("id") in ("conv2d_single", "conv2d_multi", "relu")}
    flipped = answer(release, {**right, "conv2d_single": FLIPPED.source})
    downloads.mkdir()
    moodle_zip(downloads / "submissions.zip", {"山田 花子": solution, "鈴木 太郎": release, "佐藤 次郎": flipped})
    moodle_zip(downloads / "submissions-again.zip",
               {"山田 花子": solution, "鈴木 太郎": answer(release, right), "佐藤 次郎": flipped})


@pytest.fixture(scope="module")
def followed(tmp_path_factory):
    """Every command of the guide run in order in a copy of the repository; {command: Ran}."""
    top = tmp_path_factory.mktemp("guide")
    course = copy_of_repository(top / "cnnlab")   # the guide's ../cnn-course is top/cnn-course
    write_downloads(top / "downloads")
    remote = top / "cnn-course-remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    values = {"downloads": str(top / "downloads"), "remote": str(remote)}
    env = {**os.environ, **GIT_IDENTITY, "PYTHONPATH": str(course), "CNNLAB_LANG": "ja",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    ran, used = {}, set()
    for command in run_commands():
        if command not in COMMANDS:
            pytest.fail(f"the guide has a command this test does not know how to run: {command}")
        line = command
        for text, value in SUBSTITUTIONS.items():
            if text in line:
                line = line.replace(text, value.format(**values))
                used.add(text)
        done = subprocess.run(["bash", "-c", line], cwd=course, env=env, capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            pytest.fail(f"{line}\nexited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        csv_path = course / "grading" / "grades.csv"
        ran[command] = Ran(done.stdout, done.stderr, csv_path.read_bytes() if csv_path.exists() else None)
    return {"top": top, "course": course, "remote": remote, "ran": ran, "substituted": used}


def test_every_command_ran_and_every_substitution_was_needed(followed):
    assert list(followed["ran"]) == COMMANDS
    assert followed["substituted"] == set(SUBSTITUTIONS)


def refusal(course):
    """``cnnlab grade`` where bubblewrap is not on PATH (English): it must stop before any work."""
    env = {**os.environ, "PATH": os.path.dirname(sys.executable), "PYTHONPATH": str(course), "CNNLAB_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "cnnlab.cli", "grade", NAME, "nothing.zip"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    return done.stderr


# {the guide's output key: (where the real text is, compare the whole text or only its last lines)}.
# cnnlab grade prints what it collected first and ends with the summary the guide shows.
SHOWN = {
    "sandbox": (lambda f: f["ran"][SANDBOX].stdout, "whole"),
    "no-sandbox": (lambda f: refusal(f["course"]), "whole"),
    "grade": (lambda f: f["ran"][GRADE].stdout, "end"),
    # cat prints the byte order mark too (checked in test_grades_csv_opens_in_excel...); the page cannot show it.
    "grades.csv": (lambda f: f["ran"][SHOW_CSV].stdout.removeprefix("\ufeff"), "whole"),
    "grading/nbgrader-grades.csv": (lambda f: (f["course"] / "grading" / "nbgrader-grades.csv").read_text(encoding="utf-8"),
                                    "whole"),
}


@pytest.mark.parametrize("key", sorted(SHOWN))
def test_what_the_guide_shows_is_what_the_command_prints(followed, key):
    shown = next(body for mark, lang, body in guide_blocks() if lang == "text" and mark == f"output: {key}").splitlines()
    where, how = SHOWN[key]
    real = where(followed).splitlines()
    assert (real if how == "whole" else real[-len(shown):]) == shown


def test_the_committed_release_is_what_nbgrader_makes(followed):
    assert followed["ran"][RELEASE_STATUS].stdout == ""
    assert (followed["course"] / "gradebook.db").is_file()


def test_the_pushed_student_repository_has_no_solutions_and_the_guides_links(followed):
    student = followed["top"] / "cnn-course"
    pushed = subprocess.run(["git", "--git-dir", str(followed["remote"]), "ls-tree", "-r", "--name-only", "main"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert f"assignments/{NAME}/{NAME}.ipynb" in pushed and "README.md" in pushed
    assert [p for p in pushed if p.startswith(("solutions/", "tests/")) or p == "gradebook.db"] == []
    assert not (student / "solutions").exists() and not (student / "tests").exists()
    links = re.findall(r"https://(?:mybinder\.org|colab\.research\.google\.com)/\S+", GUIDE.read_text(encoding="utf-8"))
    readme = (student / "README.md").read_text(encoding="utf-8")
    assert len(links) == 2 and [link for link in links if link not in readme] == []


def points(csv_bytes, students):
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig")))}
    assert set(rows) == set(students)
    return {s: (r["conv2d_single"], r["conv2d_multi"], r["relu"], r["total"], r["status"]) for s, r in rows.items()}


def test_grades_csv_has_the_hand_known_points(followed):
    found = points(followed["ran"][GRADE].grades_csv, FIRST_POINTS)
    assert found == {s: (*p, "graded") for s, p in FIRST_POINTS.items()}


def test_grades_csv_opens_in_excel_and_carries_moodles_participant_numbers(followed):
    raw = followed["ran"][GRADE].grades_csv
    assert raw.startswith(b"\xef\xbb\xbf")   # the byte order mark: Excel reads UTF-8, not cp932
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["student"]: (r["lms_id"], r["name"]) for r in rows} == {
        "山田_花子": ("100001", "山田 花子"), "鈴木_太郎": ("100002", "鈴木 太郎"), "佐藤_次郎": ("100003", "佐藤 次郎")}


def test_the_moodle_feedback_zip_has_each_page_in_the_students_download_folder(followed):
    folders = {name.replace(" ", "_"): f"{name}_{number}_assignsubmission_file_" for name, number in PARTICIPANTS.items()}
    with zipfile.ZipFile(followed["course"] / "grading" / "feedback-moodle.zip") as z:
        assert sorted(z.namelist()) == sorted(f"{folder}/feedback.html" for folder in folders.values())
        for student, folder in folders.items():
            page = (followed["course"] / "grading" / "feedback" / student / f"{NAME}.html").read_bytes()
            assert z.read(f"{folder}/feedback.html") == page
    listed = followed["ran"][FEEDBACK_ZIP].stdout
    assert [folder for folder in folders.values() if f"{folder}/feedback.html" not in listed] == []


def hidden_test_lines():
    """The lines of the solution notebook's hidden-test regions (the seeds of the hidden cases)."""
    lines, inside = [], False
    for c in source_notebook(NAME).cells:
        for line in c.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                inside = "BEGIN" in line
            elif inside and line.strip():
                lines.append(line.strip())
    assert lines
    return lines


def test_one_feedback_page_per_student_with_the_diagnosis_and_no_hidden_test(followed):
    listed = followed["ran"][FEEDBACK].stdout.split()
    assert listed == [f"grading/feedback/{s}/{NAME}.html" for s in sorted(FIRST_POINTS)]
    pages = {s: (followed["course"] / "grading" / "feedback" / s / f"{NAME}.html").read_text(encoding="utf-8")
             for s in FIRST_POINTS}
    flipped_row = pages["佐藤_次郎"].split("<tr><td>conv2d_single</td>")[1].split("</tr>")[0]
    assert "0 / 3" in flipped_row and FLIPPED.named_ja in flipped_row   # CNNLAB_LANG=ja: in Japanese
    assert pages["山田_花子"].count("3 / 3") == 2 and "1 / 1" in pages["山田_花子"]
    hidden = hidden_test_lines()
    assert [(s, line) for s, page in pages.items() for line in hidden if line in page] == []


def test_nbgrader_export_reads_the_gradebook_cnnlab_grade_wrote(followed):
    text = (followed["course"] / "grading" / "nbgrader-grades.csv").read_text(encoding="utf-8")
    rows = {r["student_id"]: (r["assignment"], r["raw_score"], r["max_score"]) for r in csv.DictReader(io.StringIO(text))}
    assert rows == {s: (NAME, p[3], "7.0") for s, p in FIRST_POINTS.items()}


def test_force_grades_the_resubmission_again(followed):
    before = points(followed["ran"][EXPORT].grades_csv, FIRST_POINTS)
    assert before["鈴木_太郎"][3] == "0.0"
    found = points(followed["ran"][REGRADE].grades_csv, AGAIN_POINTS)
    assert found == {s: (*p, "graded") for s, p in AGAIN_POINTS.items()}
