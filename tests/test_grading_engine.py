"""The judge-outside engine without nbgrader: cases made here, the answers run by harness.py in a
sandbox without cnnlab, the plain results judged here (cnnlab.grading.cases / harness / judge)."""

import numpy as np
import pytest

import corpus
from course import answer, source_notebook
from cnnlab import checks
from cnnlab.checks.calling import error_kind, kind_of
from cnnlab.grading import cases, harness, judge, plaintree
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
    assert not cases.runs_outside("numerical_gradient", None)   # its cases hold Python functions
    assert not cases.runs_outside("evaluate", None)             # a network object: 07's own run steps
    assert all(judge.runs_outside(name, 0) for name in ("convnet", "evaluate", "train", "conv2d_single"))
    assert not judge.runs_outside("numerical_gradient", None)


def test_the_harness_reads_what_the_grader_writes(tmp_path):
    tree = {"a": [np.arange(6).reshape(2, 3), (1, 2.5, None, "x")], "b": {"c": True, "d": np.float64(0.25)}}
    plaintree.save_tree(tree, tmp_path / "t.npz")
    back = harness.load_tree(tmp_path / "t.npz")
    assert np.array_equal(back["a"][0], np.arange(6).reshape(2, 3))
    assert back["a"][1] == (1, 2.5, None, "x") and back["b"]["c"] is True and float(back["b"]["d"]) == 0.25
    with pytest.raises(TypeError):
        plaintree.save_tree({"f": len}, tmp_path / "u.npz")


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
    verdicts, _ = judged["wrong"]
    assert not verdicts["test-conv2d-multi"].passed
    assert "not defined" in verdicts["test-conv2d-multi"].message or "定義されていません" in verdicts["test-conv2d-multi"].message


def test_a_hanging_function_is_stopped_by_the_time_limit(judged):
    verdicts, _ = judged["wrong"]
    assert not verdicts["test-relu"].passed


# The harness runs in the sandbox without cnnlab, so it carries its own copy of the plain-data
# converter; the judge reads what it writes as if cnnlab.checks had made it. The two must agree.
class _Thing:
    pass


PLAIN_SAMPLES = [None, True, 3, 2.5, "text", np.float32(1.5), np.arange(6.0).reshape(2, 3),
                 np.array([1, 2], dtype=np.int64), np.array(["a", "b"]), (np.ones(2), [1, "x"]),
                 {"W": np.zeros((2, 2)), 3: [None]}, [[[[[1]]]]], _Thing(), "x" * 2000]


def _same_tree(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same_tree, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("sample", PLAIN_SAMPLES, ids=range(len(PLAIN_SAMPLES)))
def test_the_harness_describes_values_exactly_as_the_checks_do(sample):
    from cnnlab.checks.calling import plain as checks_plain
    from cnnlab.grading import harness

    assert _same_tree(harness.plain(sample), checks_plain(sample))
