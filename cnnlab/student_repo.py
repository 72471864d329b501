"""Write the public course repository that students launch (Binder, Colab or their own computer).

    cnnlab student-repo OUT --github OWNER/REPO [--branch main] [--source .] [--force] [--git]

Run it in the instructor's repository (or name it with --source). OUT gets:

- course/ and assignments/ as they are (assignments/ is the nbgrader release), except that the
  Colab set-up cell of each notebook gets the student repository as its install source;
- the cnnlab package without the instructor's commands (cnnlab/cli.py and its subcommands);
- binder/ as it is: it installs the package from OUT itself;
- pyproject.toml: the base install and the `lab` extra, nothing of the instructor's extras;
- README.md for students (日本語 / English): Binder and Colab links, saving and submitting,
  the feedback language; a .gitignore; an nbgrader_config.py with the instructor's per-cell time
  limit only, for the Validate button.

solutions/ and tests/ are not read. Nothing of them, of the gradebook or of the instructor's other
nbgrader settings (source and release folders, stubs) is written. As a last
guard, a file carrying an nbgrader solution or hidden-test marker stops the command.
"""

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from .language import tr

HELP = "write the public course repository that students launch / 学生用の公開リポジトリを書き出す"

PACKAGE = "cnnlab"
COPIED_FOLDERS = ("course", "assignments", "binder")
STUDENT_EXTRAS = ("lab",)
# Editor and Python droppings, and nbgrader state, are never copied.
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store", "gradebook.db"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# nbgrader's region markers: a release never contains them, a source notebook always does.
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                "BEGIN MARK SCHEME", "END MARK SCHEME")
GITHUB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
# The one line of a notebook's set-up cell that says what Colab pip-installs (see course/).
COLAB_SOURCE_LINE = re.compile(r'^CNNLAB_PIP_SOURCE = "[^"\n]*".*$', re.MULTILINE)
STUDENT_GITIGNORE = "__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\nbuild/\n"


def add_arguments(parser):
    """The command line of ``cnnlab student-repo``."""
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="folder to write (absent or empty, or --force)")
    parser.add_argument("--github", required=True, metavar="OWNER/REPO",
                        help="where the student repository will be public on GitHub, e.g. my-lab/cnn-course")
    parser.add_argument("--branch", default="main", help="its branch (default: main)")
    parser.add_argument("--source", type=Path, default=Path("."),
                        help="the instructor's cnnlab repository (default: the current folder)")
    parser.add_argument("--force", action="store_true",
                        help="replace what OUT holds (its .git folder is kept)")
    parser.add_argument("--git", action="store_true",
                        help="commit the result in OUT (git init first if OUT is no repository)")


def run(args):
    written = write_student_repo(args.out, github=args.github, branch=args.branch,
                                 source=args.source, force=args.force, git=args.git)
    print(tr(f"{args.out} に {len(written)} 個のファイルを書きました。",
             f"wrote {len(written)} files to {args.out}"))
    return 0


def write_student_repo(out, *, github, branch="main", source=".", force=False, git=False):
    """Write the student repository into ``out``; return the written paths, relative to ``out``.

    ``github`` is ``"OWNER/REPO"``, where the students will find it. Raises ValueError for a bad
    name, a ``source`` that is not the instructor's repository, a non-empty ``out`` without
    ``force``, or a file that would carry nbgrader's solution or hidden-test markers.
    """
    if not isinstance(github, str) or not GITHUB_NAME.fullmatch(github):
        raise ValueError(tr(f"--github は OWNER/REPO の形で指定してください（例: my-lab/cnn-course）。{github!r} は使えません",
                            f"--github expects OWNER/REPO (e.g. my-lab/cnn-course), got {github!r}"))
    if not isinstance(branch, str) or not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
        raise ValueError(tr(f"ブランチ名 {branch!r} は使えません", f"not a usable branch name: {branch!r}"))
    source = _check_source(Path(source))
    out = Path(out).resolve()
    stale = _check_out(out, source, force)

    files = _collect_files(source, Links(github, branch))
    for relative, data in files.items():
        marker = _leak_marker(data)
        if marker:
            raise ValueError(tr(f"{relative} に nbgrader の「{marker}」が含まれています。解答や隠しテストは学生に渡せません。"
                                "assignments/ を nbgrader generate_assignment で作り直してください",
                                f"{relative} contains nbgrader's {marker!r} marker: solutions and hidden tests "
                                "must not reach students (regenerate assignments/ with nbgrader generate_assignment)"))

    # Only now, with everything checked, is anything in OUT touched.
    for entry in stale:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for relative, data in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(data)
        if relative.parts[0] in (PACKAGE, *COPIED_FOLDERS):  # copied: binder/postBuild stays executable
            shutil.copymode(source / relative, out / relative)
    if git:
        _git_commit(out, branch)
    return sorted(files)


def _collect_files(source, links):
    """{relative path: bytes} of everything OUT gets."""
    files = {}
    for relative in _student_files(source):
        data = (source / relative).read_bytes()
        if relative.suffix == ".ipynb":
            data = with_colab_source(data.decode("utf-8"), links.pip_source).encode("utf-8")
        files[relative] = data
    pyproject = (source / "pyproject.toml").read_text(encoding="utf-8")
    files[Path("pyproject.toml")] = student_pyproject(pyproject).encode("utf-8")
    files[Path("README.md")] = student_readme(
        links, _notebook_titles(files, "course"), _notebook_titles(files, "assignments"),
        colab_ready=_colab_ready(files)).encode("utf-8")
    files[Path(".gitignore")] = STUDENT_GITIGNORE.encode("utf-8")
    config = student_nbgrader_config(source / "nbgrader_config.py")
    if config:
        files[Path("nbgrader_config.py")] = config.encode("utf-8")
    return files


def student_nbgrader_config(path):
    """The students' nbgrader_config.py: the instructor's per-cell time limit and nothing else.

    The Validate button reads nbgrader_config.py in the folder JupyterLab runs from; without one
    a cell may run 30 s (nbgrader's default), shorter than what autograding allows, so a slow
    Binder machine would fail 07's training in Validate only. None when ``path`` sets no limit.
    """
    from traitlets.config.loader import PyFileConfigLoader  # installed with ipywidgets

    if not path.is_file():
        return None
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    timeout = config.Execute.get("timeout")
    if not isinstance(timeout, int):
        return None
    return ("# nbgrader の Validate ボタンの設定: 1 セルの制限時間（採点と同じ）。\n"
            "# Settings of nbgrader's Validate button: the time limit of one cell, as in grading.\n"
            "c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)\n"
            f"c.Execute.timeout = {timeout}\n")


class Links:
    """The student repository's addresses on GitHub, Binder and Colab."""

    def __init__(self, github, branch):
        self.github, self.branch = github, branch
        self.repository = f"https://github.com/{github}"
        self.pip_source = f"git+https://github.com/{github}@{branch}"

    def binder(self, path=None):
        """Binder launch link; with ``path`` (e.g. ``course/01_convolution.ipynb``) it opens that file."""
        link = f"https://mybinder.org/v2/gh/{self.github}/{self.branch}"
        return f"{link}?urlpath=lab/tree/{path}" if path else f"{link}?urlpath=lab"

    def colab(self, path):
        return f"https://colab.research.google.com/github/{self.github}/blob/{self.branch}/{path}"


def _check_source(source):
    """The instructor's repository, resolved; ValueError if ``source`` is not one."""
    source = source.resolve()
    missing = [name for name in ("pyproject.toml", f"{PACKAGE}/__init__.py", *COPIED_FOLDERS)
               if not (source / name).exists()]
    if missing:
        raise ValueError(tr(f"{source} は cnnlab のリポジトリではありません（{', '.join(missing)} がありません）。--source で指定してください",
                            f"{source} is not the cnnlab repository (no {', '.join(missing)}): "
                            "run the command there or name it with --source"))
    return source


def _check_out(out, source, force):
    """What ``out`` holds that must go (everything but ``.git``); ValueError if it must not be
    touched: the instructor's files, or a non-empty folder without ``force``."""
    copied = [source / name for name in (PACKAGE, *COPIED_FOLDERS, "solutions", "tests")]
    if out == source or source.is_relative_to(out) or any(out.is_relative_to(c) for c in copied):
        raise ValueError(tr(f"{out} には書けません: 講師用リポジトリ {source} と重なっています",
                            f"cannot write to {out}: it overlaps the instructor's repository {source}"))
    if out.exists() and not out.is_dir():
        raise ValueError(tr(f"{out} はフォルダではありません", f"{out} exists and is not a folder"))
    entries = [entry for entry in out.iterdir() if entry.name != ".git"] if out.exists() else []
    if entries and not force:
        raise ValueError(tr(f"{out} は空ではありません。中身を置き換えるなら --force を付けてください（.git は残します）",
                            f"{out} is not empty: add --force to replace its contents (its .git is kept)"))
    return entries


def instructor_modules():
    """Names inside the package that stay with the instructor: cli.py and every subcommand's module."""
    from .cli import SUBCOMMANDS

    names = {"cli.py"}
    for module in SUBCOMMANDS.values():
        top = module.split(".")[1]  # "cnnlab.grade.run" -> "grade" (a module or a subpackage)
        names.update({f"{top}.py", top})
    return names


def _student_files(source):
    """Relative paths of the files copied as they are: the package (instructor modules left out),
    course/, assignments/ and binder/."""
    left_out = instructor_modules()
    found = []
    for folder in (PACKAGE, *COPIED_FOLDERS):
        for path in sorted((source / folder).rglob("*")):
            relative = path.relative_to(source)
            if not path.is_file() or any(part in SKIPPED_NAMES for part in relative.parts):
                continue
            if path.suffix in SKIPPED_SUFFIXES:
                continue
            if folder == PACKAGE and relative.parts[1] in left_out:
                continue
            found.append(relative)
    return found


def _leak_marker(data):
    """The first nbgrader solution / hidden-test marker in ``data`` (bytes), else None."""
    text = data.decode("utf-8", errors="replace")
    return next((marker for marker in LEAK_MARKERS if marker in text), None)


def with_colab_source(notebook_text, pip_source):
    """The notebook (JSON text) with ``CNNLAB_PIP_SOURCE = "<pip_source>"`` in its set-up cell.

    Only the code cell with id ``setup`` is touched, and only if it has that line; any other
    notebook comes back byte for byte.
    """
    notebook = json.loads(notebook_text)
    cell = _setup_cell(notebook)
    if cell is None:
        return notebook_text
    text = _source(cell)
    line = f"CNNLAB_PIP_SOURCE = {json.dumps(pip_source)}   # 学生用リポジトリ / the student repository"
    new = COLAB_SOURCE_LINE.sub(lambda _: line, text, count=1)
    if new == text:
        return notebook_text
    cell["source"] = new.splitlines(keepends=True) if isinstance(cell["source"], list) else new
    # nbformat's own layout, so the file differs from the original in that one line only.
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _setup_cell(notebook):
    """The notebook's code cell with id ``setup`` if it has the ``CNNLAB_PIP_SOURCE`` line, else None."""
    for cell in notebook.get("cells", []):
        if cell.get("id") == "setup" and cell.get("cell_type") == "code" and COLAB_SOURCE_LINE.search(_source(cell)):
            return cell
    return None


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _colab_ready(files):
    """Relative paths of the notebooks whose set-up cell installs cnnlab on Colab."""
    return {path for path, data in files.items()
            if path.suffix == ".ipynb" and _setup_cell(json.loads(data.decode("utf-8"))) is not None}


def _notebook_titles(files, folder):
    """[(relative path, title)] of the notebooks in ``folder``: the first heading, else the name."""
    titles = []
    for path, data in sorted(files.items()):
        if path.parts[0] != folder or path.suffix != ".ipynb":
            continue
        title = path.stem
        for cell in json.loads(data.decode("utf-8")).get("cells", []):
            if cell.get("cell_type") == "markdown":
                heading = re.search(r"^#+\s+(.+)$", _source(cell), re.MULTILINE)
                title = heading.group(1).strip() if heading else title
                break
        titles.append((path, title))
    return titles


def student_pyproject(pyproject_text):
    """The student repository's pyproject.toml, made from the instructor's.

    Kept: the build system, the project's name, version, description, licence, Python version and
    base dependencies, and the ``lab`` extra. Left out: the other extras (grade, test, bench),
    console scripts and tool settings (pytest, ...).
    """
    config = tomllib.loads(pyproject_text)
    project = config["project"]
    extras = project.get("optional-dependencies", {})
    missing = [name for name in STUDENT_EXTRAS if name not in extras]
    if missing:
        raise ValueError(tr(f"pyproject.toml に extra {missing} がありません",
                            f"pyproject.toml has no {missing} extra"))
    for name in STUDENT_EXTRAS:
        if any(requirement.replace(" ", "").startswith(f"{PACKAGE}[") for requirement in extras[name]):
            raise ValueError(tr(f"extra {name!r} が他の extra を参照しています（学生用には使えません）",
                                f"the {name!r} extra names other extras of {PACKAGE}: not usable for students"))
    student = {key: project[key] for key in ("name", "version", "description", "requires-python",
                                             "license", "authors", "urls") if key in project}
    student["readme"] = "README.md"
    student["dependencies"] = project.get("dependencies", [])
    lines = [
        "# cnnlab for students. The base install is what the notebooks' kernel needs (Google Colab",
        "# installs only this); the `lab` extra adds JupyterLab and nbgrader's Validate button",
        '# (Binder and `python -m pip install -e ".[lab]"` on your own computer).',
        "",
        "[build-system]",
        *(f"{key} = {_toml(value)}" for key, value in config["build-system"].items()),
        "",
        "[project]",
        *(f"{key} = {_toml(value)}" for key, value in student.items()),
        "",
        "[project.optional-dependencies]",
        *(f"{name} = {_toml(extras[name])}" for name in STUDENT_EXTRAS),
        "",
        "[tool.setuptools.packages.find]",
        f"include = {_toml([PACKAGE + '*'])}",  # the sub-packages (cnnlab.checks, cnnlab.data) too
    ]
    return "\n".join(lines) + "\n"


def _toml(value):
    """TOML for the strings, lists and tables a pyproject holds (JSON strings are TOML strings)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        one_line = "[" + ", ".join(_toml(item) for item in value) + "]"
        if len(one_line) <= 60:
            return one_line
        return "[\n" + "".join(f"    {_toml(item)},\n" for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {_toml(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"pyproject value of an unexpected type: {type(value).__name__}")


def student_readme(links, lectures, assignments, colab_ready):
    """The student repository's README.md, Japanese and English side by side.

    ``lectures`` and ``assignments`` are ``[(relative path, title)]``; ``colab_ready`` the
    notebooks whose set-up cell installs cnnlab on Colab (the others get no Colab link).
    """
    def table(rows):
        lines = ["| ノートブック / notebook | Binder | Colab |", "|---|---|---|"]
        for path, title in rows:
            colab = f"[Colab]({links.colab(path.as_posix())})" if path in colab_ready else "—"
            lines.append(f"| {title} (`{path.as_posix()}`) | [Binder]({links.binder(path.as_posix())}) | {colab} |")
        return "\n".join(lines)

    no_colab = [path for path, _ in [*lectures, *assignments] if path not in colab_ready]
    no_colab_note = "" if not no_colab else (
        "\n\n「—」のノートブックは Colab では cnnlab を入れられません。Binder か自分のパソコンで開いてください。\n"
        "Notebooks marked “—” cannot install cnnlab on Colab: open them on Binder or on your own computer.")
    binder_badge = f"[![Binder](https://mybinder.org/badge_logo.svg)]({links.binder()})"
    return f"""# 畳み込みニューラルネットを NumPy で一から / CNNs from scratch in NumPy

{binder_badge}

講義ノート（`course/`、採点なし）で考え方を見て、課題（`assignments/`）で同じ計算を NumPy で書きます。
Lecture notebooks (`course/`, not graded) show the ideas; the assignments (`assignments/`) have you
write the same computations in NumPy.

## 開き方 / Three ways to open the notebooks

- **Binder**（インストール不要）: 上のバッジか、下の表の Binder のリンクを開きます。起動に数分かかります。
  **Binder** (nothing to install): the badge above or a Binder link below. Starting takes a few minutes.
- **Google Colab**（Google アカウントが必要）: 下の表の Colab のリンクを開き、最初のコードセルを実行すると
  cnnlab が入ります。 / **Google Colab** (a Google account): a Colab link below; running the first
  code cell installs cnnlab.
- **自分のパソコン / your own computer** (Python 3.11 以上 / or newer):

  ```bash
  git clone {links.repository}.git && cd {links.github.split("/")[1]}
  python -m pip install -e ".[lab]" && python -m jupyterlab
  ```

### 講義 / Lectures

{table(lectures)}

### 課題 / Assignments

{table(assignments)}{no_colab_note}

## 課題の進め方 / Working on an assignment

`raise NotImplementedError()` を自分のコードに書き換え、すぐ下のテストセルを実行します。間違っていると、
どこが違うかが表示されます（「カーネルが反転しています」「ストライドが無視されています」など）。
Binder と自分のパソコンの JupyterLab では、ツールバーの **Validate** ボタンですべてのテストをまとめて確かめられます。
テストセルは編集・削除しないでください（採点に使われます）。

Replace each `raise NotImplementedError()` with your code and run the test cell under it. A wrong
answer is explained (“your kernel is flipped”, “the stride is ignored”, …). In JupyterLab (Binder or
your computer) the **Validate** button in the toolbar runs every test at once. Do not edit or delete
the test cells: grading uses them.

## 保存と提出 / Saving and submitting

- **Binder は、しばらく（約 10 分）操作しないと終了し、作業はすべて消えます。** こまめに保存して
  ダウンロードしてください: ファイルブラウザでノートブックを右クリック →「Download」。続きをするときは、
  新しい Binder を開き、ダウンロードしたファイルをファイルブラウザにドラッグして（または ↑ Upload ボタンで）戻します。
  **A Binder session ends after about 10 minutes without activity, and everything in it is lost.**
  Save and download often: right-click the notebook in the file browser → *Download*. To go on,
  open a new Binder and drag your downloaded file into the file browser (or use the ↑ *Upload* button).
- **Colab**: 「ファイル」→「ドライブにコピーを保存」で作業を残し、「ファイル」→「ダウンロード」→
  「.ipynb をダウンロード」で取り出します。 / *File → Save a copy in Drive* keeps your work;
  *File → Download → Download .ipynb* gives you the file.
- **提出 / Submitting**: ダウンロードした `.ipynb` を、ファイル名を変えずに（例: `01_convolution.ipynb`）
  講師の指示どおりに提出します。 / Submit the downloaded `.ipynb`, keeping its name (e.g.
  `01_convolution.ipynb`), the way your instructor tells you.

## フィードバックの言語 / Feedback language

フィードバックは日本語か英語です。ノートブックの最初のセルで `cnnlab.set_language("ja")` または
`cnnlab.set_language("en")` とします。指定しなければ環境変数 `CNNLAB_LANG`、次にパソコンの言語設定に従います。
Feedback comes in Japanese or English: `cnnlab.set_language("ja")` or `cnnlab.set_language("en")`
in the notebook's first cell; otherwise the `CNNLAB_LANG` environment variable, else your locale.
"""


def _git_commit(out, branch):
    """``git init`` (if needed), add everything and commit, with the user's git identity."""
    def git(*args):
        done = subprocess.run(["git", *args], cwd=out, capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(tr(f"git {' '.join(args)} が失敗しました: {done.stderr.strip()}",
                                f"git {' '.join(args)} failed: {done.stderr.strip()}"))
        return done.stdout

    if shutil.which("git") is None:
        raise ValueError(tr("--git には git が必要です", "--git needs git on PATH"))
    if not (out / ".git").exists():
        git("init", "--quiet", f"--initial-branch={branch}")
    git("add", "--all")
    if git("status", "--porcelain").strip():
        git("commit", "--quiet", "--message", "Course release for students (cnnlab student-repo)")
