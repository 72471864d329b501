"""The judge-outside engine without nbgrader: cases made here, the answers run by harness.py in a
sandbox without cnnlab, the plain results judged here (cnnlab.grading.cases / harness / judge)."""

import nbformat
import numpy as np
import pytest

import corpus
from course import ROOT, answer, read, source_notebook
from cnnlab import checks
from cnnlab.checks.calling import error_kind, kind_of
from cnnlab import plaindata
from cnnlab.grading import cases, harness, judge
from cnnlab.grading.judge import judge_notebook

NAME = "01_convolution"


def test_test_cells_are_read_not_run():
    source = ("from cnnlab.checks import check_conv2d_single\n\ncheck_conv2d_single(conv2d_single)\n"
              "### BEGIN HIDDEN TESTS\ncheck_conv2d_single(conv2d_single, seed=2611)\n### END HIDDEN TESTS\n"
              "check_nonexistent(f)\nprint(check_relu)\n")
    assert cases.planned_calls(source) == [("conv2d_single", ["conv2d_single"], None), ("conv2d_single", ["conv2d_single"], 2611)]
    assert cases.planned_calls("this is not python (") == []


def test_only_plain_case_checks_run_outside():
    assert cases.runs_outside("conv2d_single", 2611) and cases.runs_outside("conv_backward", 5)
    assert cases.runs_outside("numerical_gradient", None)       # its f goes by name (cnnlab.checks.given)
    assert not cases.runs_outside("evaluate", None)             # a network object: 07's own run steps
    assert all(judge.runs_outside(name, 0) for name in ("convnet", "evaluate", "train", "conv2d_single", "numerical_gradient"))


def test_plain_data_comes_back_from_its_file_as_it_was(tmp_path):
    tree = {"a": [np.arange(6).reshape(2, 3), (1, 2.5, None, "x")], "b": {"c": True, "d": np.float64(0.25)},
            "e": np.int32(-3), "f": np.array([True, False])}
    plaindata.save(tree, tmp_path / "t.npz")
    back = plaindata.load(tmp_path / "t.npz")
    assert np.array_equal(back["a"][0], np.arange(6).reshape(2, 3)) and back["a"][0].dtype == np.arange(6).dtype
    assert back["a"][1] == (1, 2.5, None, "x") and back["b"]["c"] is True
    assert type(back["b"]["d"]) is np.float64 and back["b"]["d"] == 0.25
    assert type(back["e"]) is np.int32 and back["e"] == -3 and back["f"].tolist() == [True, False]
    for bad in ({"f": len}, {1: "int key"}, np.array(["text"]), {"__tuple__": [1]}):
        assert not plaindata.is_plain(bad)
        with pytest.raises(TypeError):
            plaindata.save(bad, tmp_path / "u.npz")


@pytest.mark.parametrize("forged", [{"__array__": "a9"}, {"__scalar__": "a0"}, {"__tuple__": 3}])
def test_a_forged_plain_data_file_is_refused(tmp_path, forged):
    import json

    np.savez(tmp_path / "f.npz", __json__=np.array(json.dumps({"x": forged})), a0=np.zeros(2))
    with pytest.raises(ValueError):
        plaindata.load(tmp_path / "f.npz")


@pytest.mark.parametrize("make", [lambda: np.zeros(3).sum(axis=2), lambda: np.zeros(6).reshape(4, 4),
                                  lambda: np.zeros(3) + np.zeros(4), lambda: [1][5], lambda: float(np.zeros(2))])
def test_error_kind_from_plain_names_is_the_kind_of_the_exception(make):
    with pytest.raises(Exception) as info:
        make()
    error = info.value
    assert kind_of([c.__name__ for c in type(error).__mro__], str(error)) == error_kind(error)


@pytest.fixture(scope="module")
def judged():
    solution = source_notebook(NAME)
    flipped = next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped")
    delegate = ("from cnnlab.checks import reference as ref\n"
                "def conv2d_multi(image, kernels, bias):\n    return ref.multi(image, kernels, bias)")
    relu_hangs = "def relu(x):\n    while True:\n        pass"
    wrong = answer(solution, {"conv2d_single": flipped.source, "conv2d_multi": delegate,
                              "relu": relu_hangs})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_TIME_LIMIT", "2")
        return {"solution": judge_notebook(solution, cell_timeout=20), "wrong": judge_notebook(wrong, cell_timeout=20)}


def test_the_solution_passes_every_cell(judged):
    verdicts, result = judged["solution"]
    assert result.sandboxed and result.leftover_processes == 0
    assert {k: v.passed for k, v in verdicts.items()} == {"test-conv2d-single": True, "test-conv2d-multi": True, "test-relu": True}


def test_the_judge_names_the_same_mistake_as_the_in_kernel_check(judged):
    verdicts, _ = judged["wrong"]
    single = verdicts["test-conv2d-single"]
    assert not single.passed and single.keys[0] == "flipped_kernel"
    # the same answer, run and judged in this process:
    namespace = {"np": np}
    exec(next(a for a in corpus.CONV2D_SINGLE if a.named == "kernel is flipped").source, namespace)
    with pytest.raises(checks.CheckFailed) as info:
        checks.judge(checks.run("conv2d_single", namespace["conv2d_single"]))
    assert info.value.key == "flipped_kernel"


def test_delegating_to_cnnlab_fails_where_the_answers_run(judged):
    # The import at cell time gives an inert stand-in (the def still runs, as in the kernel); the
    # graded call that uses it raises as a missing module does.
    verdicts, _ = judged["wrong"]
    multi = verdicts["test-conv2d-multi"]
    assert not multi.passed
    assert "cnnlab.checks.reference.multi" in multi.message, multi.message


def test_cnnlab_used_at_cell_time_in_an_answer_cell_does_not_stop_its_def(monkeypatch):
    # A student left cnnlab.hint(...) and the check's own call above the def: in the kernel the
    # cell runs to the end, so in the judge's sandbox it must too (cnnlab inert there).
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    solution = source_notebook(NAME)
    sources = {c.id: c.source for c in solution.cells if c.get("id") in ("conv2d_single", "relu")}
    notebook = answer(solution, {
        "conv2d_single": 'import cnnlab\ncnnlab.hint("conv2d_single")\n' + sources["conv2d_single"],
        "relu": "from cnnlab.checks import check_relu\ncheck_relu(lambda x: x)\n" + sources["relu"]})
    verdicts, result = judge_notebook(notebook, cell_timeout=20)
    assert result.sandboxed
    assert {k: v.passed for k, v in verdicts.items()} == {"test-conv2d-single": True, "test-conv2d-multi": True,
                                                          "test-relu": True}


def test_a_graded_function_that_draws_with_pyplot_still_passes(monkeypatch):
    # The harness hands out pyplot lazily while the cells run (it costs 0.75 s of CPU and its
    # drawings count for nothing): a function that draws loads it at its first call, and passes.
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "10")
    solution = source_notebook(NAME)
    sources = {c.id: c.source for c in solution.cells if c.get("id") == "relu"}
    drawing = ("import matplotlib.pyplot as plt\n" + sources["relu"].replace("def relu(", "def _relu(") +
               "\n\ndef relu(x):\n    fig = plt.figure()\n    plt.close(fig)\n    return _relu(x)\n")
    verdicts, result = judge_notebook(answer(solution, {"relu": drawing}), cell_timeout=20)
    assert result.sandboxed
    assert verdicts["test-relu"].passed, verdicts["test-relu"].message


def test_an_answer_reading_a_global_of_a_demonstration_cell_still_passes(monkeypatch):
    # Given the release, the harness leaves out the instructor's cells whose work no graded call
    # sees (cnnlab.grading.unneeded): 01's worked example binds `kernel`, and an answer that
    # reads it keeps that cell in; the plots and the widget still go.
    from cnnlab.grading.unneeded import unneeded_cells

    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "5")
    release = read(ROOT / "assignments" / NAME / f"{NAME}.ipynb")
    sources = {c.id: c.source for c in source_notebook(NAME).cells if c.get("id") in ("conv2d_single", "conv2d_multi")}
    notebook = answer(release, {**sources, "relu": "def relu(x):\n    return np.maximum(x, 0 * kernel.sum())\n"})
    assert unneeded_cells(notebook, {"conv2d_single", "conv2d_multi", "relu"}, release) == {"single-watch", "together-run"}
    verdicts, result = judge_notebook(notebook, cell_timeout=20, release=release)
    assert result.sandboxed
    assert {k: v.passed for k, v in verdicts.items()} == {"test-conv2d-single": True, "test-conv2d-multi": True,
                                                          "test-relu": True}


def test_a_hanging_function_is_stopped_by_the_time_limit(judged):
    verdicts, _ = judged["wrong"]
    assert not verdicts["test-relu"].passed


# The harness runs in the sandbox without cnnlab, beside copies of the files it shares with the
# checks: the one plain-data module (and numerical_gradient's functions), no copy of its own.

def test_the_harness_imports_the_shared_plain_data_module(tmp_path):
    import shutil
    import subprocess
    import sys
    from cnnlab.grading.judge import HARNESS_FILES

    assert harness.plaindata is plaindata and not hasattr(harness, "plain") and not hasattr(harness, "load_tree")
    for name, path in HARNESS_FILES.items():
        shutil.copy(path, tmp_path / name)
    probe = ("import sys; sys.path.insert(0, '.'); import harness, plaindata\n"
             "print(harness.plaindata is plaindata, plaindata.__file__)\n"
             "print(sorted(m for m in sys.modules if m.startswith('cnnlab')))")
    out = subprocess.run([sys.executable, "-I", "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    assert out[0] == f"True {tmp_path / 'plaindata.py'}" and out[1] == "[]"   # nothing of cnnlab imported
    assert (tmp_path / "plaindata.py").read_bytes() == (ROOT / "cnnlab" / "plaindata.py").read_bytes()


def test_plain_describes_values_as_the_judge_reads_them():
    assert plaindata.plain(np.float32(1.5))["kind"] == "scalar" and plaindata.plain(np.float32(1.5))["dtype"] == "float32"
    assert plaindata.plain((np.ones(2), [1, "x"]))["items"][1] == {"kind": "sequence", "type": "list", "items": [
        {"kind": "int", "type": "int", "value": 1}, {"kind": "str", "type": "str", "value": "x"}]}
    assert plaindata.plain(np.array(["a"]))["array"] is None and plaindata.plain(len) == {"kind": "other", "type": "builtin_function_or_method"}
    assert plaindata.plain([[[[[1]]]]])["items"][0]["items"][0]["items"][0]["items"][0] == {"kind": "other", "type": "list"}
    assert len(plaindata.plain("x" * 2000)["value"]) == 1000


# ---------------------------------------------------------------------------------------------
# Every corpus answer of 01-06, judged outside and in this process: the same verdict.

def _is_test_cell(c):
    meta = c.get("metadata", {}).get("nbgrader", {})
    return c.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def _is_answer_cell(c):
    return c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")


RESET = "for _name in [n for n in globals() if not n.startswith('__')]:\n    del globals()[_name]"


def corpus_notebook(name):
    """Every corpus row of ``name`` in one notebook, so that one harness run judges them all.

    Row k is the solution notebook with every function's k-th answer (the solution's where the
    list is shorter), cell ids suffixed ``-r<k>``, after a cell that empties the namespace (a
    fresh kernel per row). Each test cell is judged where it stands, so row k's checks call row
    k's functions as they are defined above them.
    """
    solution = source_notebook(name)
    functions = corpus.ALL[name]
    cells = []
    for k in range(max(len(answers) for answers in functions.values())):
        row = answer(solution, {f: answers[k].source for f, answers in functions.items() if k < len(answers)})
        cells.append(nbformat.v4.new_code_cell(RESET, id=f"reset-r{k:02d}"))
        for c in row.cells:
            c = nbformat.from_dict(c)
            c.id = f"{c.id}-r{k:02d}"
            if "nbgrader" in c.metadata:
                c.metadata.nbgrader.grade_id = c.id
            cells.append(c)
    notebook = nbformat.from_dict(solution)
    notebook.cells = cells
    return notebook


def in_process_verdicts(notebook):
    """{test cell id: (passed, mistake key)}: the answer cells run here in order, and each test
    cell's checks run and judged here (checks.run + checks.judge) on the functions above it."""
    verdicts, namespace = {}, None
    for c in notebook.cells:
        if c.id.startswith("reset-"):
            namespace = {"np": np}
        elif _is_answer_cell(c):
            try:
                exec(compile(c.source, c.id, "exec"), namespace)
            except Exception:   # a cell that fails leaves what it defined so far, as in a kernel
                pass
        elif _is_test_cell(c):
            verdicts[c.id] = _judged_here(cases.planned_calls(c.source), namespace)
    return verdicts


def _judged_here(calls, namespace):
    for name, objects, seed in calls:
        if not all(o in namespace and callable(namespace[o]) for o in objects):
            return False, None
        try:
            checks.judge(checks.run(name, *(namespace[o] for o in objects), seed=seed))
        except checks.CheckFailed as failure:
            return False, failure.key
    return True, None


@pytest.mark.parametrize("name", [n for n in corpus.ALL if n[:2] in ("01", "02", "03", "04", "05", "06")])
def test_every_corpus_answer_gets_the_same_verdict_outside_as_in_process(name, monkeypatch):
    from cnnlab.grading.sandbox import Limits

    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    notebook = corpus_notebook(name)
    # release=notebook: its given cells are the release's, so the last row's demonstrations are
    # left out (the cells emptying the namespace read every name: the rows above all run).
    verdicts, result = judge_notebook(notebook, cell_timeout=30, release=notebook,
                                      limits=Limits(cpu_seconds=1800, wall_seconds=1800.0))
    assert result.sandboxed and result.leftover_processes == 0
    outside = {cell: (v.passed, v.keys[-1] if v.keys and not v.passed else None) for cell, v in verdicts.items()}
    assert all(v.outside for v in verdicts.values())
    here = in_process_verdicts(notebook)
    assert outside == here
    expected = {f"test-{f.replace('_', '-')}-r{k:02d}": a.correct
                for f, answers in corpus.ALL[name].items() for k, a in enumerate(answers)}
    assert {cell: here[cell][0] for cell in expected} == expected


def test_a_check_calls_the_function_above_its_test_cell_not_a_later_redefinition(monkeypatch):
    # 03's im2col gap: the conv_forward_im2col cell defines an im2col of its own (a right one);
    # the student's own im2col above test-im2col has its columns in (kh, kw, c) order.
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    wrong = next(a for a in corpus.IM2COL if a.named and "(kh, kw, c)" in a.label)
    own = next(a for a in corpus.CONV_FORWARD_IM2COL if a.label == "tensordot, loop-based im2col of its own")
    notebook = answer(source_notebook("03_im2col"), {"im2col": wrong.source, "conv_forward_im2col": own.source})
    verdicts, _ = judge_notebook(notebook, cell_timeout=20)
    assert (verdicts["test-im2col"].passed, verdicts["test-im2col"].keys[-1]) == (False, "columns_kh_kw_c")
    assert verdicts["test-conv-forward-im2col"].passed



def test_a_cell_that_ends_the_process_keeps_the_verdicts_above_it(monkeypatch):
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "2")
    notebook = source_notebook(NAME)
    at = next(k for k, c in enumerate(notebook.cells) if c.get("id") == "test-conv2d-single")
    notebook.cells.insert(at + 1, nbformat.v4.new_code_cell("import os\nos._exit(3)", id="leaves"))
    verdicts, _ = judge_notebook(notebook, cell_timeout=20)
    assert {k: v.passed for k, v in verdicts.items()} == {"test-conv2d-single": True, "test-conv2d-multi": False,
                                                          "test-relu": False}
    assert "could not run to the end (did_not_finish)" in verdicts["test-relu"].message

# ---------------------------------------------------------------------------------------------
# The judge decides a cell's points; the kernel's output is feedback (nbgrader's own scoring).

def _test_cell(outputs):
    meta = {"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "test-relu",
                         "schema_version": 3}}
    cell = nbformat.v4.new_code_cell("check_relu(relu)", id="test-relu", metadata=meta)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


PASSED = {"output_type": "stream", "name": "stdout", "text": "✓ relu: all 5 cases passed.\n"}
FAILED = {"output_type": "error", "ename": "CheckFailed", "evalue": "relu gave a wrong answer", "traceback": []}
WARNED = {"output_type": "stream", "name": "stderr", "text": "RuntimeWarning: overflow\n"}


@pytest.mark.parametrize("judge_passed, kernel, points, note", [
    (True, [PASSED], 2.0, None),
    (False, [FAILED], 0.0, None),
    (False, [PASSED], 0.0, ("外で実行したチェックは不合格です", "The check, run outside the notebook, failed")),
    (True, [FAILED, WARNED], 2.0, ("外で実行したチェックは合格です", "The check, run outside the notebook, passed",
                                   "relu gave a wrong answer")),   # a broken kernel check: the judge's points
], ids=["both-pass", "both-fail", "kernel-pass-judge-fail", "kernel-fail-judge-pass"])
def test_the_judge_sets_the_points_and_keeps_the_kernels_word_as_feedback(judge_passed, kernel, points, note):
    from nbgrader.utils import determine_grade
    from cnnlab.grading.judge import Verdict
    from cnnlab.grading.nbgrader_preprocessors import JudgeOutside

    cell = _test_cell(kernel)
    JudgeOutside._set_outcome(cell, Verdict(judge_passed, "relu gave a wrong answer"), kernel == [PASSED])
    assert determine_grade(cell) == (points, 2.0)
    text = "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) + "".join(o.get("traceback", [])) for o in cell.outputs)
    if note:
        for part in (note,) if isinstance(note, str) else note:
            assert part in text
    else:
        assert cell.outputs == _test_cell(kernel).outputs


# ---------------------------------------------------------------------------------------------
# numerical_gradient's f crosses to the sandbox by name and parameters (cnnlab.checks.given).

def test_a_given_function_goes_by_name_and_is_made_again_the_same(tmp_path):
    from cnnlab.checks.a06_numerical_gradient import NUMERICAL_GRADIENT

    trusted = NUMERICAL_GRADIENT.all_cases(3)
    plaindata.save([cases.plain_args(c.args) for c in trusted], tmp_path / "t.npz")
    made = [harness.given_args(args) for args in plaindata.load(tmp_path / "t.npz")]
    assert repr(made[0][0]) == "f(x) = sum(x**2)" and made[0][0](np.array([3.0])) == 9.0   # the lecture's x²
    assert abs(made[1][0](np.array([1.0, -2.0, 0.5, 0.1])) - (1 - 8 + 0.125 + 0.001)) < 1e-12   # Σ x³ by hand
    for case, (f, x) in zip(trusted, made):
        f_here, x_here = case.args
        for point in (x_here, x_here + 0.5, np.ones_like(x_here, dtype=float)):
            assert f(point) == f_here(point)                                             # bit for bit
        assert np.array_equal(x, x_here) and x.dtype == x_here.dtype


def test_only_the_table_s_functions_can_be_named():
    with pytest.raises(ValueError, match="no given function named 'eval'"):
        harness.given_args([{"given": ["eval", ["1"], "f"]}])


def test_matplotlib_s_font_list_is_built_once_and_read_in_each_sandbox(tmp_path):
    # Built in a sandbox (only the fonts a sandbox sees, nothing of the grader's HOME), handed to
    # each sandbox as an input and moved into its HOME before any student code: matplotlib then
    # reads it instead of building its own (a key added to the list shows which happened).
    import json
    import shutil
    import sys
    from pathlib import Path

    from cnnlab.grading import fontcache
    from cnnlab.grading.sandbox import run_sandboxed

    assert fontcache.inputs(source_notebook("05_softmax_cross_entropy")) == {}   # no matplotlib there
    folder = fontcache.inputs(source_notebook(NAME))[fontcache.INPUT]
    assert fontcache.inputs(source_notebook(NAME))[fontcache.INPUT] == folder   # once per process
    (built,) = folder.glob("fontlist-v*.json")
    text = built.read_text(encoding="utf-8")
    assert str(Path.home()) not in text and "ttflist" in text
    given = tmp_path / fontcache.INPUT
    given.mkdir()
    (given / built.name).write_text(json.dumps({**json.loads(text), "cnnlab_marker": "read"}), encoding="utf-8")
    shutil.copy(fontcache.__file__, tmp_path / "fontcache.py")
    probe = ("import sys; sys.path.insert(0, '.'); import fontcache; fontcache.install(); "
             "import matplotlib.font_manager as fm; print(getattr(fm.fontManager, 'cnnlab_marker', 'built'))")
    result = run_sandboxed([sys.executable, "-c", probe], expose_cnnlab=False,
                           inputs={"fontcache.py": tmp_path / "fontcache.py", fontcache.INPUT: given})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "read"
    # Without it, the sandbox builds its own (the key is not there).
    result = run_sandboxed([sys.executable, "-c", probe], expose_cnnlab=False,
                           inputs={"fontcache.py": tmp_path / "fontcache.py"})
    assert result.stdout.strip() == "built", result.stderr[-2000:]
