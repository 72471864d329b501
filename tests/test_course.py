"""Every lecture notebook in course/ runs headless and follows the course conventions.

- The course has its eight lectures, 01..08 (a missing lecture is a failure); every
  ``course/*.ipynb`` found is tested, so a new notebook is picked up without editing this file.
- Execution: nbclient in a real ``python3`` kernel, the working directory a scratch copy of
  course/. No cell may raise, nothing may reach stderr (warnings included), every cell that
  shows a widget must produce a widget view, and the notebook must leave its folder as it found it.
- Conventions (course/README.md, COURSE_NOTEBOOKS): explicit stable cell ids, committed without
  outputs or execution counts, the title cell names the lecture number, the Colab set-up cells are
  copied verbatim from course/01, and every markdown cell holds Japanese and English.
- Keywords: each lecture holds its own keywords (LECTURE_KEYWORDS). The forbidden term variants
  are checked in every student-facing text, course/ included, by tests/test_terminology.py.
- Exercises: lectures 01..08 end with two or three "predict, then run" exercises, each a question,
  a code cell that prints and asserts the answer, and the explanation in a collapsed <details>.

Runtime on 2 cores: about 5-10 s per notebook, most of it kernel start-up and imports.
"""

import ast
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
LECTURES = ["01_convolution", "02_padding_stride", "03_im2col", "04_pooling",
            "05_softmax_cross_entropy", "06_backprop", "07_inside_a_cnn", "08_architectures"]
REFERENCE = COURSE / "01_convolution.ipynb"     # the set-up cells every notebook copies
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The cnnlab.widgets functions that build a widget (a cell ending in one of them must show it).
WIDGET_BUILDERS = {"filter_sliding", "padding_stride_explorer", "pooling_viewer", "softmax_explorer",
                   "feature_maps"}
CELL_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")   # kana and kanji
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,}[,;:]?\s+[A-Za-z]+[,;:]?\s+[A-Za-z]+")   # three words in a row
NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`|<[^>\n]*>|\[[^\]\n]*\]\([^)\n]*\)", re.S)

# The lectures' own keywords, each in the notebook that teaches it.
LECTURE_KEYWORDS = {
    "01_convolution": ["平行移動同変性", "equivariance", "局所結合", "locally connected", "タイル型畳み込み",
                       "tiled convolution", "パラメータ共有", "parameter sharing", "特徴マップ"],
    "04_pooling": ["MAXプーリング", "平均プーリング", "平行移動不変性", "invariance", "平行移動同変性", "equivariance",
                   "グローバル平均プーリング", "global average pooling"],
    "05_softmax_cross_entropy": ["交差エントロピー誤差", "cross-entropy"],
    "07_inside_a_cnn": ["平行移動同変性", "equivariance", "特徴マップ"],
}

by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


def read(path):
    return nbformat.read(str(path), as_version=4)


def test_every_lecture_is_there():
    found = {p.stem for p in NOTEBOOKS}
    missing = [name for name in LECTURES if name not in found]
    assert not missing, f"course/ lacks lecture notebook(s): {missing}"
    assert len(NOTEBOOKS) >= 8


# ----------------------------------------------------------------------------------------------
# Conventions (static: no kernel)

@by_name
def test_cells_have_explicit_stable_ids(path):
    nb = read(path)
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), "cell ids need nbformat 4.5"
    ids = [cell.get("id") for cell in nb.cells]
    bad = [i for i in ids if not (isinstance(i, str) and CELL_ID.match(i))]
    assert not bad, f"cell ids must be readable words joined by '-': {bad}"
    assert len(set(ids)) == len(ids), f"duplicate cell ids: {sorted({i for i in ids if ids.count(i) > 1})}"


@by_name
def test_committed_without_outputs(path):
    nb = read(path)
    dirty = [cell.id for cell in nb.cells if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"cells committed with outputs or execution counts: {dirty}"


@by_name
def test_opens_with_title_and_the_shared_setup(path):
    nb = read(path)
    number = path.stem[:2]
    assert [c.id for c in nb.cells[:4]] == ["title", "setup-md", "setup", "imports"]
    title = nb.cells[0]
    assert title.cell_type == "markdown"
    assert title.source.startswith(f"# 講義 {number}") and f"Lecture {number}" in title.source.splitlines()[0]

    reference = {c.id: c for c in read(REFERENCE).cells}
    for cell_id in ("setup-md", "setup"):
        assert nb.cells[[c.id for c in nb.cells].index(cell_id)].source == reference[cell_id].source, \
            f"cell '{cell_id}' differs from course/01's: copy it verbatim"


@by_name
def test_markdown_is_japanese_and_english(path):
    problems = []
    for cell in read(path).cells:
        if cell.cell_type != "markdown":
            continue
        prose = NOT_PROSE.sub(" ", cell.source)     # formulas, code and links are neither language
        if not JAPANESE.search(prose):
            problems.append(f"{cell.id}: no Japanese")
        if not ENGLISH_PHRASE.search(prose):
            problems.append(f"{cell.id}: no English")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("name", sorted(LECTURE_KEYWORDS))
def test_lecture_has_its_keywords(name):
    text = "\n".join(cell.source for cell in read(COURSE / f"{name}.ipynb").cells)
    missing = [word for word in LECTURE_KEYWORDS[name] if word not in text]
    assert not missing, f"{name} lacks the lecture keywords {missing}"


def has_print_and_assert(source):
    tree = ast.parse(source)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return "print" in calls and any(isinstance(node, ast.Assert) for node in ast.walk(tree))


@pytest.mark.parametrize("name", LECTURES)
def test_lecture_ends_with_exercises(name):
    cells = read(COURSE / f"{name}.ipynb").cells
    ids = [cell.id for cell in cells]
    assert "exercises-md" in ids, f"{name} has no exercises section ('exercises-md')"
    intro = cells[ids.index("exercises-md")]
    assert "予想してから実行" in intro.source and "predict, then run" in intro.source
    tail = cells[ids.index("exercises-md") + 1:]
    n = len(tail) // 3
    assert 2 <= n <= 3 and len(tail) == 3 * n, \
        f"{name}: after 'exercises-md' come 2 or 3 exercises of 3 cells each, and nothing else: {ids[-len(tail):]}"
    for k in range(1, n + 1):
        question, run, answer = tail[3 * k - 3:3 * k]
        assert [question.id, run.id, answer.id] == [f"exercise-{k}-md", f"exercise-{k}", f"exercise-{k}-answer"]
        assert question.cell_type == "markdown" and "予想" in question.source and "prediction" in question.source
        assert run.cell_type == "code" and has_print_and_assert(run.source), \
            f"{run.id}: the cell prints the answer and asserts it"
        assert answer.cell_type == "markdown" and answer.source.startswith("<details><summary>") \
            and answer.source.endswith("</details>"), f"{answer.id}: the explanation is collapsed in <details>"


# ----------------------------------------------------------------------------------------------
# Execution

def shows_a_widget(cell):
    """True when the cell calls a widget builder and ends with an expression that displays it."""
    if cell.cell_type != "code":
        return False
    if cell.id.endswith("-widget"):
        return True
    source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    calls = {node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    if not (calls & WIDGET_BUILDERS) or not tree.body:
        return False
    last = tree.body[-1]
    if not isinstance(last, ast.Expr):
        return False
    value = last.value
    return isinstance(value, ast.Name) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                                           and value.func.id in WIDGET_BUILDERS)


def files_in(folder):
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def scratch_course(tmp_path_factory):
    """A copy of course/ to run the notebooks in."""
    folder = tmp_path_factory.mktemp("course")
    shutil.copytree(COURSE, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return folder


@by_name
@pytest.mark.timeout(300)
def test_notebook_runs_cleanly(path, scratch_course, monkeypatch):
    monkeypatch.delenv("CNNLAB_LANG", raising=False)
    nb = read(scratch_course / path.name)
    before = files_in(scratch_course)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(scratch_course)}}).execute()
    print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s")

    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for out in outputs:
            if out.output_type == "error":
                problems.append(f"{cell.id}: {out.ename}: {out.evalue[:300]}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"{cell.id}: wrote to stderr: {out.text[:300]!r}")
        if shows_a_widget(cell) and not any(WIDGET_VIEW in out.get("data", {}) for out in outputs):
            problems.append(f"{cell.id}: shows a widget but produced no widget view")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    assert files_in(scratch_course) == before, "the notebook wrote files into its folder"
