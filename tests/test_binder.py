"""The student repository's Binder environment runs the whole course; a Colab kernel gets cnnlab
from a notebook's set-up cell, without JupyterLab or nbgrader.

`cnnlab student-repo` writes the repository students launch (OUT). Its binder/ is ours, byte for
byte (tests/test_student_repo.py), and installs cnnlab with the `lab` extra from OUT itself.
repo2docker (what Binder runs) copies the repository, installs ``binder/requirements.txt`` with
pip from the repository root, then runs ``binder/postBuild`` there with the environment's
``bin/`` first on PATH. This test does the same with OUT in a fresh virtual environment (a HOME of
its own, pip's download cache shared so that a second run does not download again), then executes
every notebook of OUT's course/ and assignments/, and the instructor's solution notebooks, with
that environment's own kernel (so the student package is all the solutions need):

- course notebooks and solution notebooks: no error at all (so every cell of an assignment,
  training included, works in this environment);
- nbgrader's Validate reads OUT's nbgrader_config.py (the grading time limit per cell), fails
  the release as handed out and passes a solution;
- released assignments: the stubs raise NotImplementedError by design, so the only errors
  allowed are those of a stub (NotImplementedError, or a check failure that says the function
  is still a NotImplementedError stub), in a solution cell or a cell after one, and, after such
  an error, a NameError for what the stubbed cell would have defined (07's plots need the
  trained ``net``).

Colab: a second fresh environment with a kernel only (ipykernel; Colab has no Jupyter server and
no nbgrader in the kernel's reach) runs a lecture notebook of OUT whose set-up cell installs
cnnlab, OUT standing in for the student repository on GitHub: the base install brings what the
notebook, the checks, the widgets and the data need, and no JupyterLab or nbgrader.

Runtime on 2 cores: about 3 min with pip's cache warm (Binder: pip install ~70 s, postBuild
~15 s, notebooks ~60 s, solutions included; Colab: ~40 s); the first run on a machine also
downloads the wheels (~1 min more).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
GITHUB = "example-org/cnn-course"
NBGRADER_LAB_PLUGINS = ["create-assignment", "formgrader", "course-list", "assignment-list", "menu"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.timeout(1800)


def _run(cmd, *, cwd, env, timeout=1200):
    """Run a command; fail the test with its output when it fails. Return its stdout."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({done.returncode}) in {cwd}:\n"
                    f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return _ANSI.sub("", done.stdout + done.stderr)


def _pip_cache_dir():
    """The host's pip cache, found before HOME is changed, so the fresh venv reuses downloads."""
    out = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    path = out.stdout.strip()
    return path if out.returncode == 0 and path else str(Path.home() / ".cache" / "pip")


def _isolated_env(venv, home):
    """The process environment of a fresh machine: ``venv`` first on PATH, a HOME of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "PIP_", "CNNLAB_"))}
    env.update(HOME=str(home), PIP_CACHE_DIR=_pip_cache_dir(), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    return env


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    """OUT, written by the real command line: what students launch."""
    out = tmp_path_factory.mktemp("student") / "cnn-course"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    _run([sys.executable, "-m", "cnnlab.cli", "student-repo", str(out), "--github", GITHUB],
         cwd=REPO, env=env, timeout=300)
    return out


@pytest.fixture(scope="module")
def binder_env(student_repo, tmp_path_factory):
    """A fresh virtual environment set up from OUT the way repo2docker sets up Binder's image.

    Yields ``(python, repo, env)``: the environment's interpreter, OUT (also the notebooks'
    working tree) and the process environment to use in it.
    """
    runtime = (BINDER / "runtime.txt").read_text().strip()
    wanted = tuple(int(part) for part in runtime.removeprefix("python-").split("."))
    if sys.version_info[:len(wanted)] != wanted:
        pytest.fail(f"binder/runtime.txt asks for {runtime}, but this test runs on Python "
                    f"{sys.version.split()[0]}: run it with Python {'.'.join(map(str, wanted))}")
    postbuild = student_repo / "binder" / "postBuild"
    if not os.access(postbuild, os.X_OK):
        pytest.fail("binder/postBuild must be executable (repo2docker runs it directly): chmod +x")

    root = tmp_path_factory.mktemp("binder")
    repo, venv, home = student_repo, root / "venv", root / "home"
    home.mkdir()
    env = _isolated_env(venv, home)

    timings = {}
    start = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=repo, env=env)
    python = venv / "bin" / "python"
    timings["venv"] = time.perf_counter() - start

    start = time.perf_counter()
    _run([python, "-m", "pip", "install", "-r", "binder/requirements.txt"], cwd=repo, env=env)
    timings["pip install -r binder/requirements.txt"] = time.perf_counter() - start

    start = time.perf_counter()
    _run([str(postbuild)], cwd=repo, env=env)
    timings["binder/postBuild"] = time.perf_counter() - start

    print("binder environment built: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    yield python, repo, env


def test_postbuild_leaves_students_the_validate_button_only(binder_env):
    python, repo, env = binder_env
    lab = _run([python, "-m", "jupyter", "labextension", "list"], cwd=repo, env=env)
    disabled = lab.split("Disabled extensions:", 1)[-1] if "Disabled extensions:" in lab else ""
    for plugin in NBGRADER_LAB_PLUGINS:
        assert f"@jupyter/nbgrader:{plugin}" in disabled, f"{plugin} is still enabled:\n{lab}"
    assert "@jupyter/nbgrader:validate-assignment" not in disabled, lab
    assert "@jupyter-widgets/jupyterlab-manager" in lab and "@jupyter-widgets/jupyterlab-manager" not in disabled

    # Locked: a student cannot switch them back on from JupyterLab's Plugin Manager.
    page_config = json.loads((python.parent.parent / "etc/jupyter/labconfig/page_config.json").read_text())
    for plugin in NBGRADER_LAB_PLUGINS:
        assert page_config.get("lockedExtensions", {}).get(f"@jupyter/nbgrader:{plugin}") is True, page_config

    server = _run([python, "-m", "jupyter", "server", "extension", "list"], cwd=repo, env=env)
    state = dict(re.findall(r"nbgrader\.server_extensions\.(\w+)\s+(enabled|disabled)", server))
    assert state == {"formgrader": "disabled", "course_list": "disabled",
                     "assignment_list": "disabled", "validate_assignment": "enabled"}, server


# The Validate button's own way of reading nbgrader's settings (its handler ignores ``self``).
_VALIDATE_CONFIG = """from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler
print(ValidateAssignmentHandler.load_config(None).Execute.timeout)"""


def test_validate_works_for_students_with_the_grading_time_limit(binder_env, tmp_path):
    python, repo, env = binder_env
    # JupyterLab runs from the repository root on Binder (and per the README, locally).
    ours = re.search(r"^c\.Execute\.timeout = (\d+)$", (REPO / "nbgrader_config.py").read_text(), re.MULTILINE)
    assert _run([python, "-c", _VALIDATE_CONFIG], cwd=repo, env=env).split() == [ours.group(1)]

    # The release as handed out fails, naming the function; the solution passes.
    name = "04_pooling"
    release = _run([python, "-m", "nbgrader", "validate", f"assignments/{name}/{name}.ipynb"], cwd=repo, env=env)
    assert "VALIDATION FAILED" in release and "check_max_pool_forward(max_pool_forward)" in release, release
    shutil.copy(REPO / "solutions" / name / f"{name}.ipynb", tmp_path)
    solved = _run([python, "-m", "nbgrader", "validate", str(tmp_path / f"{name}.ipynb")], cwd=repo, env=env)
    assert "Success! Your notebook passes all the tests." in solved, solved


# Runs inside the Binder environment: execute notebooks with nbclient, report every error cell.
_RUNNER = textwrap.dedent('''
    import json, os, sys, time
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    out_path, notebooks = sys.argv[1], sys.argv[2:]
    report = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name=os.environ.get("RUN_KERNEL", "python3"), allow_errors=True,
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        errors, stdout = [], []
        seen_solution = False
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            seen_solution = seen_solution or bool(cell.metadata.get("nbgrader", {}).get("solution"))
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    errors.append({"index": index, "id": cell.get("id"), "ename": out.ename,
                                   "evalue": out.evalue, "at_or_after_solution": seen_solution})
                elif out.output_type == "stream" and out.name == "stdout":
                    stdout.append(out.text)
        report.append({"path": path, "seconds": time.perf_counter() - start, "errors": errors,
                       "stdout": "".join(stdout)[-2000:]})
    with open(out_path, "w") as out:
        json.dump(report, out)
''')

_PROBE = """import json, sys, cnnlab
print(json.dumps({"prefix": sys.prefix, "cnnlab": cnnlab.__file__}))"""


def _execute(binder_env, notebooks):
    python, repo, env = binder_env
    runner = repo.parent / "run_notebooks.py"
    runner.write_text(_RUNNER)
    report = repo.parent / "report.json"
    _run([python, runner, report, *map(str, notebooks)], cwd=repo, env=env, timeout=1500)
    return json.loads(report.read_text())


def _notebooks(repo, folder):
    return sorted(p for p in (repo / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _is_stub_error(error):
    """An error a NotImplementedError stub causes: raised by it, or reported by a check."""
    return error["ename"] == "NotImplementedError" or "NotImplementedError" in error["evalue"]


def test_notebooks_run_in_the_binder_environment(binder_env, tmp_path):
    python, repo, env = binder_env

    # The kernel the notebooks get is this environment's, importing the cnnlab it installed.
    probe = repo.parent / "probe.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_PROBE)]
    nbformat.write(nb, str(probe))
    # The instructor's solutions, outside OUT (which has none), run with the students' cnnlab.
    shutil.copytree(REPO / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    kinds = {**dict.fromkeys(_notebooks(repo, "course"), "course"),
             **dict.fromkeys(_notebooks(tmp_path, "solutions"), "solutions"),
             **dict.fromkeys(_notebooks(repo, "assignments"), "assignments")}
    counts = {kind: list(kinds.values()).count(kind) for kind in ("course", "solutions", "assignments")}
    assert counts["course"] and counts["assignments"], f"OUT is missing notebooks: {counts}"
    assert counts["solutions"] == counts["assignments"], counts

    start = time.perf_counter()
    report = _execute(binder_env, [probe, *kinds])
    print(f"executed {len(report) - 1} notebooks in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{Path(r['path']).name} {r['seconds']:.0f} s" for r in report[1:]))

    probe_report = report[0]
    assert probe_report["errors"] == [], probe_report
    kernel = json.loads(probe_report["stdout"])
    assert Path(kernel["prefix"]).resolve() == (python.parent.parent).resolve(), kernel
    assert Path(kernel["cnnlab"]).resolve().is_relative_to(repo.resolve()), kernel
    problems = []
    for result in report[1:]:
        path = Path(result["path"])
        kind = kinds[path]
        stubbed = False
        for error in result["errors"]:
            where = f"{kind}: {path.name} cell {error['index']} ({error['id']}): {error['ename']}: {error['evalue'][:300]}"
            if kind in ("course", "solutions"):
                problems.append(where)
            elif _is_stub_error(error) and error["at_or_after_solution"]:
                stubbed = True
            elif not (stubbed and error["ename"] == "NameError"):
                problems.append(where)
    assert not problems, "errors that are not a NotImplementedError stub's:\n" + "\n".join(problems)

    # Every released assignment does contain stubs: a release with no error means the solutions
    # leaked into it.
    for result in report[1:]:
        if kinds[Path(result["path"])] == "assignments":
            assert result["errors"], f"{result['path']} ran without a single NotImplementedError"


# Colab: the first code cell of every lecture notebook installs cnnlab when it is missing and turns
# on Colab's widget manager. Colab's kernel has no Jupyter server and no nbgrader: the base install
# must bring everything a notebook needs.
_FAKE_COLAB_OUTPUT = '''
import json, os

def enable_custom_widget_manager():
    with open(os.environ["FAKE_COLAB_LOG"], "a") as log:
        log.write(json.dumps("enable_custom_widget_manager") + "\\n")
'''

_AFTER_SETUP = """import json, cnnlab
print(json.dumps({"cnnlab": cnnlab.__file__, "version": cnnlab.__version__}))"""

# Appended to the lecture notebook: the student modules work, the instructor's tools are absent.
_COLAB_PROBE = """import importlib.util, json
import numpy as np
import cnnlab, cnnlab.checks, cnnlab.data, cnnlab.nn, cnnlab.widgets
cnnlab.checks.check_relu(lambda x: np.maximum(x, 0))
absent = ["nbgrader", "jupyterlab", "jupyter_server", "notebook", "nbclient", "nbconvert"]
print(json.dumps({"cnnlab": cnnlab.__file__,
                  "present": [name for name in absent if importlib.util.find_spec(name)]}))"""
COLAB_KERNEL = "colab-like"


@pytest.fixture(scope="module")
def colab_env(tmp_path_factory):
    """A fresh environment with a Python kernel and nothing else, like Colab's before cnnlab.

    Yields ``(python, env)``; ``env`` names the kernel ``COLAB_KERNEL`` (JUPYTER_PATH), for
    notebooks run by this test's own nbclient.
    """
    root = tmp_path_factory.mktemp("colab")
    venv, home, jupyter = root / "venv", root / "home", root / "jupyter"
    home.mkdir()
    env = _isolated_env(venv, home)
    start = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=env)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "ipykernel"], cwd=root, env=env)
    spec = jupyter / "kernels" / COLAB_KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    print(f"colab-like kernel built in {time.perf_counter() - start:.0f} s")
    yield python, {**env, "JUPYTER_PATH": str(jupyter), "RUN_KERNEL": COLAB_KERNEL}


def test_the_colab_setup_cell_installs_the_base_install_and_enables_widgets(colab_env, student_repo, tmp_path):
    python, env = colab_env
    ours = next(c for c in nbformat.read(str(REPO / "course" / "01_convolution.ipynb"), as_version=4).cells
                if c.get("id") == "setup")
    assert 'CNNLAB_PIP_SOURCE = ""' in ours.source
    lecture = nbformat.read(str(student_repo / "course" / "01_convolution.ipynb"), as_version=4)
    setup = next(c for c in lecture.cells if c.get("id") == "setup")
    line = next(line for line in setup.source.splitlines() if line.startswith("CNNLAB_PIP_SOURCE = "))
    assert line.startswith(f'CNNLAB_PIP_SOURCE = "git+https://github.com/{GITHUB}@main"'), line

    # A stand-in for google.colab, importable in the kernel, that records the call.
    fake = tmp_path / "fake_colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "output.py").write_text(_FAKE_COLAB_OUTPUT)
    log = tmp_path / "colab.log"
    run_env = {**env, "PYTHONPATH": str(fake), "FAKE_COLAB_LOG": str(log)}

    # No install source set (our lecture, not OUT's): a clear message, nothing half-done.
    unset = nbformat.v4.new_notebook()
    unset.cells = [nbformat.v4.new_code_cell(ours.source), nbformat.v4.new_code_cell(_AFTER_SETUP)]
    nbformat.write(unset, str(tmp_path / "colab_unset.ipynb"))
    # OUT's lecture, its install source pointing at OUT on disk instead of GitHub, then the probe.
    setup.source = setup.source.replace(line, f"CNNLAB_PIP_SOURCE = {str(student_repo)!r}", 1)
    lecture.cells.append(nbformat.v4.new_code_cell(_COLAB_PROBE))
    nbformat.write(lecture, str(tmp_path / "colab_lecture.ipynb"))

    runner = tmp_path / "run_notebooks.py"
    runner.write_text(_RUNNER)
    report_path = tmp_path / "report.json"
    # This test's own Python runs nbclient; the kernel is the Colab-like environment's.
    _run([sys.executable, runner, report_path, tmp_path / "colab_unset.ipynb", tmp_path / "colab_lecture.ipynb"],
         cwd=tmp_path, env=run_env, timeout=900)
    unset, installed = json.loads(report_path.read_text())

    assert unset["errors"][0]["ename"] == "RuntimeError"
    assert "CNNLAB_PIP_SOURCE" in unset["errors"][0]["evalue"] and "講師" in unset["errors"][0]["evalue"]

    # With a source: pip installs cnnlab into the kernel's environment, the whole lecture runs,
    # the widget manager is on, and no Jupyter server or nbgrader came along.
    assert installed["errors"] == [], installed
    kernel = json.loads(installed["stdout"].strip().splitlines()[-1])
    installed_at = Path(kernel["cnnlab"]).resolve()
    assert "site-packages" in installed_at.parts and installed_at.is_relative_to(python.parent.parent.resolve())
    assert kernel["present"] == [], kernel
    assert log.read_text().splitlines() == ['"enable_custom_widget_manager"']   # once: the first stopped before
