"""`cnnlab student-repo OUT` writes the public repository students launch, and nothing more.

- OUT holds course/, assignments/, the cnnlab package without the instructor's commands,
  binder/ (the same files as ours), a student README and pyproject.toml, a .gitignore and an
  nbgrader_config.py with our per-cell time limit only (for Validate): nothing of solutions/,
  tests/, the gradebook or our other nbgrader settings.
- No line of a solution region and no line of a hidden-test region of solutions/ appears in any
  file of OUT, notebook JSON read raw (metadata included); no hidden-test seed either.
- The README (日本語 / English) and the notebooks' Colab set-up point at the student repository.
- The base install (what OUT's pyproject installs without extras) imports cnnlab, cnnlab.checks,
  cnnlab.widgets, cnnlab.data and cnnlab.nn with nbgrader and Jupyter's server blocked.
  (tests/test_binder.py builds real environments from OUT: Binder's and a Colab-like one.)
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from course import ROOT

GITHUB = "example-org/cnn-course"
PIP_SOURCE = f"git+https://github.com/{GITHUB}@main"
INSTRUCTOR_ONLY = ["solutions", "tests", "benchmarks", "tools", ".ci", "gradebook.db", "submitted", "autograded", "feedback", "cli.py", "student_repo.py"]
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}

# Lines of the solutions that the student package and lectures show on purpose: the reference maths
# cnnlab.nn and cnnlab.checks compute expected values with, and two lines of the lectures' code.
# A line listed here may appear in the folder named, nowhere else; any other solution line found in
# OUT fails the test, so a new overlap is a decision someone makes, not an accident.
SHIPPED_ON_PURPOSE = {
    "OH = (H - size) // stride + 1": "cnnlab/",
    "db = dout.sum(axis=(0, 2, 3))": "cnnlab/",
    "dout = layer.backward(dout)": "cnnlab/",
    "dw = np.zeros(w.shape)": "cnnlab/",
    "dx = dout @ w.T": "cnnlab/",
    "dx = np.zeros(x.shape)": "cnnlab/",
    "e = np.exp(shifted)": "cnnlab/",
    "for i in range(OH):": "cnnlab/",
    "for j in range(OW):": "cnnlab/",
    "for layer in reversed(self.layers):": "cnnlab/",
    "for layer in self.layers:": "cnnlab/",
    "grad = np.zeros(x.shape)": "cnnlab/",
    "log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))": "cnnlab/",
    "minus = f(x)": "cnnlab/",
    "old = x[i]": "cnnlab/",
    "plus = f(x)": "cnnlab/",
    "return (in_size + 2 * pad - kernel_size) // stride + 1": "cnnlab/",
    "return np.maximum(x, 0)": "cnnlab/",
    "return out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)": "cnnlab/",  # nn.Conv2D, channels-last product
    "x[i] = old + h": "cnnlab/",
    "x[i] = old - h": "cnnlab/",
    "if labels.ndim == 2:": "cnnlab/",  # one-hot or class ids, in nn and the checks' maths
    "return x.reshape(len(x), -1)": "cnnlab/",  # flatten, in nn and the 07 checks
    "for epoch in bar:": "course/",
    "nn.MaxPool2D(2, 2), nn.Flatten(),": "course/",
}
# Lines too generic to say anything: `return out`, a closing bracket.
_GENERIC = re.compile(r"return \w+|[\]\)\}],?")


def student_repo(out, *args, source=ROOT, check=True):
    """Run the real command line, `python -m cnnlab.cli student-repo OUT --github ...`."""
    env = {**os.environ, **GIT_IDENTITY, "PYTHONPATH": str(ROOT), "CNNLAB_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "cnnlab.cli", "student-repo", str(out),
                           "--github", GITHUB, "--source", str(source), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        pytest.fail(f"cnnlab student-repo failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("student") / "cnn-course"
    student_repo(out, "--git")
    return out


def files_in(folder):
    """Every file under ``folder`` (its .git excluded), relative, as posix strings."""
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(folder).parts)


def cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def regions(text, begin, end):
    """The lines strictly between ``begin`` and ``end`` marker lines."""
    lines, inside = [], False
    for line in text.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def secret_lines():
    """{line: kind} for every solution-region and hidden-test-region line of solutions/."""
    secrets = {}
    for notebook in sorted((ROOT / "solutions").rglob("*.ipynb")):
        for cell in cells(notebook):
            text = source(cell)
            solution = cell["metadata"].get("nbgrader", {}).get("solution", False)
            if solution and "BEGIN SOLUTION" not in text:  # nbgrader replaces the whole cell
                secrets.update(dict.fromkeys((line.strip() for line in text.splitlines()), "solution"))
            secrets.update(dict.fromkeys(regions(text, "### BEGIN SOLUTION", "### END SOLUTION"), "solution"))
            secrets.update(dict.fromkeys(regions(text, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"), "hidden test"))
    return secrets


def test_out_holds_what_students_launch_and_nothing_else(out):
    top = {p.name for p in out.iterdir()}
    assert top == {".git", ".gitignore", "README.md", "pyproject.toml", "nbgrader_config.py",
                   "binder", "cnnlab", "course", "assignments"}
    names = {part for relative in files_in(out) for part in Path(relative).parts}
    assert not names & set(INSTRUCTOR_ONLY), names & set(INSTRUCTOR_ONLY)

    # The package: every module but the command line and its subcommands, unchanged.
    # Sub-packages (cnnlab/checks/, cnnlab/data/) come whole.
    from cnnlab.cli import SUBCOMMANDS
    # a subcommand's module, or the sub-package it lives in (cnnlab.grading.grade_command -> grading/)
    left_out = {"cli.py"} | {name for module in SUBCOMMANDS.values() for name in (module.split(".")[1] + ".py", module.split(".")[1])}
    assert "student_repo.py" in left_out

    def package_files(root):
        return {p.relative_to(root).as_posix() for p in root.rglob("*.py") if "__pycache__" not in p.parts}

    ours = {name for name in package_files(ROOT / "cnnlab") if name.split("/")[0] not in left_out}
    assert {"checks/__init__.py", "data/__init__.py"} <= ours
    assert package_files(out / "cnnlab") == ours
    for name in ours:
        assert (out / "cnnlab" / name).read_bytes() == (ROOT / "cnnlab" / name).read_bytes(), name

    # binder/: our files, byte for byte, postBuild still executable.
    assert files_in(out / "binder") == files_in(ROOT / "binder")
    for name in files_in(ROOT / "binder"):
        assert (out / "binder" / name).read_bytes() == (ROOT / "binder" / name).read_bytes(), name
    assert os.access(out / "binder" / "postBuild", os.X_OK)
    assert (out / "binder" / "requirements.txt").read_text().splitlines()[-1] == "-e .[lab]"

    # course/ and assignments/: the same files; a notebook differs at most in its Colab source line.
    for folder in ("course", "assignments"):
        assert files_in(out / folder) == [f for f in files_in(ROOT / folder) if ".ipynb_checkpoints" not in f]
        for name in files_in(out / folder):
            ours = (ROOT / folder / name).read_text(encoding="utf-8").splitlines()
            theirs = (out / folder / name).read_text(encoding="utf-8").splitlines()
            changed = [(a, b) for a, b in zip(ours, theirs) if a != b]
            assert len(ours) == len(theirs) and len(changed) <= 1, f"{folder}/{name}: {changed[:3]}"
            for before, after in changed:
                assert '"CNNLAB_PIP_SOURCE = \\"\\"' in before and f'CNNLAB_PIP_SOURCE = \\"{PIP_SOURCE}\\"' in after


def test_the_students_nbgrader_config_has_our_cell_time_limit_only(out):
    ours = re.search(r"^c\.Execute\.timeout = (\d+)$", (ROOT / "nbgrader_config.py").read_text(), re.MULTILINE)
    code = [line for line in (out / "nbgrader_config.py").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    assert code == ["c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)",
                    f"c.Execute.timeout = {ours.group(1)}"]


def test_no_solution_or_hidden_test_line_reaches_the_student_repository(out):
    secrets = secret_lines()
    hidden = [line for line, kind in secrets.items() if kind == "hidden test"]
    assert len([s for s in secrets.values() if s == "solution"]) > 100 and len(hidden) >= 20
    # What the release shows (a hint, a formula in the text) is public anyway.
    released = "\n".join(source(cell) for notebook in (ROOT / "assignments").rglob("*.ipynb")
                         for cell in cells(notebook))
    telling = {line: kind for line, kind in secrets.items()
               if line and not line.startswith("#") and line not in released and not _GENERIC.fullmatch(line)}
    # Every hidden-test line tells something (a seed), and none is in the release.
    assert set(hidden) - {""} <= set(telling)
    # Seeds are searched on their own too, wherever they appear; a one- or two-digit seed such as
    # `seed=0` is every function's default and is covered by its whole line only.
    seeds = {seed for line in hidden for seed in re.findall(r"\bseed=\d{3,}\b", line)}
    assert len(seeds) >= 20

    texts = {name: (out / name).read_bytes().decode("utf-8") for name in files_in(out)}
    leaks = []
    for line, kind in telling.items():
        for name, text in texts.items():
            if line in text and not name.startswith(SHIPPED_ON_PURPOSE.get(line, "\0")):
                leaks.append(f"{kind} line {line!r} in {name}")
    for seed in seeds:
        leaks += [f"hidden-test seed {seed} in {name}" for name, text in texts.items()
                  if re.search(rf"\b{seed}\b", text)]
    assert not leaks, "\n".join(leaks)

    # What is on disk is what git would publish.
    tracked = subprocess.run(["git", "ls-files"], cwd=out, capture_output=True, text=True, check=True).stdout
    assert sorted(tracked.splitlines()) == files_in(out)


def test_the_leak_test_catches_a_leaked_line(out, tmp_path):
    """The check above, on a copy of OUT with one solution line and one seed added, fails."""
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".git"))
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    line = next(line for line, kind in secret_lines().items()
                if kind == "solution" and "np.tensordot(window, w" in line)
    hidden = next(line for line, kind in secret_lines().items() if kind == "hidden test")
    with open(copy / "cnnlab" / "nn.py", "a", encoding="utf-8") as module:
        module.write(f"\n# {line}\n")
    notebook = json.loads((copy / "course" / "01_convolution.ipynb").read_text(encoding="utf-8"))
    notebook["metadata"]["note"] = hidden
    (copy / "course" / "01_convolution.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    with pytest.raises(AssertionError) as failure:
        test_no_solution_or_hidden_test_line_reaches_the_student_repository(copy)
    assert f"solution line {line!r} in cnnlab/nn.py" in str(failure.value)
    assert f"hidden test line {hidden!r} in course/01_convolution.ipynb" in str(failure.value)


def test_the_student_pyproject_has_the_base_install_and_the_lab_extra_only(out):
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    theirs = tomllib.loads((out / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(theirs) == {"build-system", "project", "tool"} and set(theirs["tool"]) == {"setuptools"}
    assert theirs["tool"]["setuptools"] == {"packages": {"find": {"include": ["cnnlab*"]}}}
    assert theirs["build-system"] == ours["build-system"]
    project = theirs["project"]
    assert set(project) == {"name", "version", "description", "readme", "requires-python", "license",
                            "dependencies", "optional-dependencies"}
    assert project["readme"] == "README.md"
    for key in ("name", "version", "description", "requires-python", "license", "dependencies"):
        assert project[key] == ours["project"][key], key
    assert project["optional-dependencies"] == {"lab": ours["project"]["optional-dependencies"]["lab"]}

    def names(requirements):
        return {re.match(r"[A-Za-z0-9_.-]+", r).group().lower().replace("_", "-") for r in requirements}

    # A student's kernel needs no Jupyter server and no nbgrader; JupyterLab needs both here.
    assert not names(project["dependencies"]) & {"jupyterlab", "notebook", "jupyter-server", "nbgrader",
                                                 "nbclient", "nbformat", "nbconvert", "pytest"}
    assert {"numpy", "matplotlib", "ipywidgets", "scikit-learn"} <= names(project["dependencies"])
    assert names(project["optional-dependencies"]["lab"]) == {"jupyterlab", "nbgrader"}

    # Ours: the instructor's console script and extras.
    assert ours["project"]["scripts"] == {"cnnlab": "cnnlab.cli:main"}
    extras = ours["project"]["optional-dependencies"]
    assert {"nbgrader", "nbclient", "nbformat"} <= names(extras["grade"])
    assert "cnnlab[lab,grade]" in extras["test"]


def test_the_readme_and_the_colab_setup_point_at_the_student_repository(out):
    readme = (out / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((https://[^)\s]+)\)", readme)
    binder = [link for link in links if link.startswith("https://mybinder.org/v2/")]
    colab = [link for link in links if "colab.research.google.com" in link]
    assert f"https://mybinder.org/v2/gh/{GITHUB}/main?urlpath=lab" in binder
    lectures = sorted(p.name for p in (out / "course").glob("*.ipynb"))
    assignments = sorted(p.relative_to(out).as_posix() for p in (out / "assignments").rglob("*.ipynb"))
    assert len(binder) == 1 + len(lectures) + len(assignments)
    for link in binder[1:]:
        path = link.split(f"https://mybinder.org/v2/gh/{GITHUB}/main?urlpath=lab/tree/", 1)[1]
        assert (out / path).is_file(), link
    # Colab opens the lectures (their set-up cell installs cnnlab from the student repository).
    assert sorted(link.rsplit("/", 1)[1] for link in colab) == lectures
    for link in colab:
        path = link.split(f"https://colab.research.google.com/github/{GITHUB}/blob/main/", 1)[1]
        setup = next(c for c in cells(out / path) if c.get("id") == "setup")
        assert f'CNNLAB_PIP_SOURCE = "{PIP_SOURCE}"' in source(setup), path
    assert f"git clone https://github.com/{GITHUB}.git" in readme
    assert 'python -m pip install -e ".[lab]" && python -m jupyterlab' in readme
    assert "<owner>" not in readme and "solutions" not in readme

    # Saving, downloading and submitting (Binder forgets), and the feedback language, in both languages.
    for phrase in ("10 分", "10 minutes", "Download", "ダウンロード", "Upload", "Save a copy in Drive",
                   "ドライブにコピーを保存", ".ipynb", "提出", "Submit", "Validate",
                   'cnnlab.set_language("ja")', 'cnnlab.set_language("en")', "CNNLAB_LANG"):
        assert phrase in readme, phrase


def test_the_git_flag_commits_everything_and_force_keeps_the_history(out, tmp_path):
    log = subprocess.run(["git", "log", "--format=%s"], cwd=out, capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 1
    assert subprocess.run(["git", "status", "--porcelain"], cwd=out, capture_output=True, text=True).stdout == ""

    copy = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(out), str(copy)], check=True)
    (copy / "notes.txt").write_text("left by hand")
    refused = student_repo(copy, "--git", check=False)
    assert refused.returncode == 2 and "--force" in refused.stderr and (copy / "notes.txt").exists()

    git = {**os.environ, **GIT_IDENTITY}
    subprocess.run(["git", "add", "notes.txt"], cwd=copy, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "notes"], cwd=copy, env=git, check=True)
    student_repo(copy, "--git", "--force")
    assert not (copy / "notes.txt").exists()
    assert files_in(copy) == files_in(out)
    student_repo(copy, "--git", "--force")  # nothing changed: no empty commit
    log = subprocess.run(["git", "log", "--format=%s"], cwd=copy, capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 3, log.stdout   # release, notes, release
    last = subprocess.run(["git", "show", "--name-status", "--format=", "HEAD"], cwd=copy,
                          capture_output=True, text=True, check=True)
    assert last.stdout.split() == ["D", "notes.txt"]


def _source_copy(dest):
    """A scratch instructor repository: what the command reads."""
    for name in ("cnnlab", "course", "assignments", "binder"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest)
    return dest


def test_a_release_with_a_solution_in_it_stops_the_command(tmp_path):
    source = _source_copy(tmp_path / "source")
    shutil.copy(ROOT / "solutions" / "04_pooling" / "04_pooling.ipynb", source / "assignments" / "04_pooling")
    target = tmp_path / "out"
    done = student_repo(target, source=source, check=False)
    assert done.returncode == 2
    assert "assignments/04_pooling/04_pooling.ipynb" in done.stderr and "BEGIN SOLUTION" in done.stderr
    assert not target.exists()   # nothing written


@pytest.mark.parametrize("args, message", [
    (["--github", "not a name"], "--github expects OWNER/REPO"),
    (["--github", "https://github.com/a/b"], "--github expects OWNER/REPO"),
    (["--branch", "main; rm -rf"], "not a usable branch name"),
])
def test_bad_arguments_are_named(tmp_path, capsys, monkeypatch, args, message):
    from cnnlab import cli

    monkeypatch.setenv("CNNLAB_LANG", "en")
    status = cli.main(["student-repo", str(tmp_path / "out"), "--github", GITHUB, "--source", str(ROOT), *args])
    assert status == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_instructor_repository_is_never_a_target(tmp_path, capsys, monkeypatch):
    from cnnlab import cli

    monkeypatch.setenv("CNNLAB_LANG", "en")
    # Without --force: were the guard broken, the command would still refuse a non-empty folder.
    for target in (ROOT, ROOT / "course" / "out", ROOT.parent):
        assert cli.main(["student-repo", str(target), "--github", GITHUB, "--source", str(ROOT)]) == 2
        assert "overlaps the instructor's repository" in capsys.readouterr().err
    assert not (ROOT / "course" / "out").exists()
    assert cli.main(["student-repo", str(tmp_path / "out"), "--github", GITHUB, "--source", str(tmp_path)]) == 2
    assert "is not the cnnlab repository" in capsys.readouterr().err


# Run in a subprocess: the student package (OUT's cnnlab) with the tools a Colab kernel lacks blocked.
_BLOCKED_IMPORT = textwrap.dedent('''
    import importlib.abc, json, sys

    BLOCKED = {"nbgrader", "jupyterlab", "jupyter_server", "notebook", "nbclient", "nbformat",
               "nbconvert", "pytest"}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: not part of the base install")
            return None

    sys.meta_path.insert(0, Block())
    import numpy as np
    import cnnlab, cnnlab.checks, cnnlab.data, cnnlab.nn, cnnlab.widgets
    from cnnlab.checks import check_relu

    cnnlab.set_language("en")
    check_relu(lambda x: np.maximum(x, 0))          # a right answer passes
    try:
        check_relu(lambda x: np.abs(x))             # a wrong one is named
    except AssertionError as error:
        wrong = str(error)
    print(json.dumps({"cnnlab": cnnlab.__file__, "wrong": wrong}))
''')


def test_the_base_install_imports_without_jupyter_server_or_nbgrader(out):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CNNLAB_"))}
    done = subprocess.run([sys.executable, "-c", _BLOCKED_IMPORT], cwd=out, env={**env, "PYTHONPATH": str(out)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["cnnlab"]).resolve().is_relative_to(out.resolve())
    assert "absolute value" in result["wrong"]
