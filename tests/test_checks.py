"""cnnlab.checks in-process: the corpus in both languages, the reference maths, the safety nets."""

import contextlib
import io
import warnings

import numpy as np
import pytest

import cnnlab
import corpus
from cnnlab import checks


@pytest.fixture(autouse=True)
def english_and_quick(monkeypatch):
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", "1")
    cnnlab.set_language("en")
    yield
    cnnlab.set_language(None)


def define(a):
    namespace = {"np": np}
    exec(compile(a.source, f"<{a.label}>", "exec"), namespace)
    return namespace[a.function]


def run_check(function_name, fn, seed=None):
    """Run a check; return (passed, message)."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            getattr(checks, f"check_{function_name}")(fn, seed=seed)
    except checks.CheckFailed as failure:
        return False, str(failure)
    return True, out.getvalue()


ANSWERS = [pytest.param(a, id=f"{a.function}-{a.label}") for fs in corpus.ALL.values() for answers in fs.values() for a in answers]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("a", ANSWERS)
def test_every_corpus_answer_gets_the_right_verdict_and_names_its_mistake(a, language):
    cnnlab.set_language(language)
    fn = define(a)
    passed_visible, message = run_check(a.function, fn)
    passed_hidden, hidden_message = run_check(a.function, fn, seed=12345)
    if a.correct:
        assert passed_visible and passed_hidden, message + hidden_message
    else:
        assert not passed_visible
        assert (a.named if language == "en" else a.named_ja) in message


# --- the reference computations against the lecture's numbers and plain loops ----------------

LECTURE_IMAGE = [[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]]
LECTURE_KERNEL = [[1, 0, 2], [0, 2, 0], [1, 1, -1]]


def loops_correlate(x, w, b, stride, pad):
    n_, c_, h, wd = x.shape
    f_, _, kh, kw = w.shape
    xp = np.zeros((n_, c_, h + 2 * pad, wd + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n_, f_, oh, ow))
    for n in range(n_):
        for f in range(f_):
            for i in range(oh):
                for j in range(ow):
                    total = b[f]
                    for c in range(c_):
                        for u in range(kh):
                            for v in range(kw):
                                total += xp[n, c, i * stride + u, j * stride + v] * w[f, c, u, v]
                    out[n, f, i, j] = total
    return out


def test_reference_reproduces_the_lecture_product_sum():
    out = checks._single(np.array(LECTURE_IMAGE, float), np.array(LECTURE_KERNEL, float))
    assert out.tolist() == [[12, 14], [14, 10]]
    first_window = 1*1 + 2*0 + 3*2 + 4*0 + 3*2 + 2*0 + 0*1 + 1*1 + 2*(-1)
    assert out[0, 0] == first_window == 12


def test_reference_reproduces_the_lecture_padding_example():
    x = np.array(LECTURE_IMAGE, float)[None, None]
    w = np.array(LECTURE_KERNEL, float)[None, None]
    out = checks._correlate(x, w, np.zeros(1), stride=1, pad=1)
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 0*1 + 0*0 + 0*2 + 0*0 + 1*2 + 2*0 + 0*1 + 4*1 + 3*(-1) == 3


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2), (2, 0)])
def test_reference_matches_seven_plain_loops(stride, pad):
    rng = np.random.default_rng(stride * 10 + pad)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    np.testing.assert_allclose(checks._correlate(x, w, b, stride, pad), loops_correlate(x, w, b, stride, pad))


# --- safety nets ----------------------------------------------------------------------------

def test_a_correct_answer_that_warns_loses_nothing_and_prints_nothing_to_stderr(capfd):
    def relu(x):
        warnings.warn("deprecated thing", DeprecationWarning)
        np.log(np.zeros(1))  # RuntimeWarning: divide by zero
        return np.maximum(x, 0)

    checks.check_relu(relu, seed=1)
    assert capfd.readouterr().err == ""


def test_a_hanging_function_is_stopped_with_a_clear_message():
    def conv2d_single(image, kernel):
        while True:
            pass

    passed, message = run_check("conv2d_single", conv2d_single)
    assert not passed and "did not finish within 1 s" in message


def test_a_function_that_swallows_exceptions_is_still_stopped():
    def relu(x):
        while True:
            try:
                while True:
                    pass
            except Exception:
                pass

    passed, message = run_check("relu", relu)
    assert not passed and "did not finish" in message


def test_calling_any_cnnlab_code_is_refused():
    def relu(x):
        from cnnlab.language import tr
        tr(ja="", en="")
        return np.maximum(x, 0)

    passed, message = run_check("relu", relu)
    assert not passed and "calls cnnlab (cnnlab.language.tr)" in message


def test_the_checks_cannot_be_replaced_from_a_notebook():
    with pytest.raises(AttributeError, match="cannot be changed"):
        checks.check_relu = lambda fn, seed=None: None
    with pytest.raises(AttributeError, match="cannot be changed"):
        del checks.check_relu


def test_an_object_whose_eq_is_always_true_does_not_pass():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    def relu(x):
        return np.zeros_like(x).view(Liar)

    passed, message = run_check("relu", relu)
    assert not passed


@pytest.mark.parametrize("bad", [None, 3, "conv2d_single"])
def test_checks_reject_what_is_not_a_function(bad):
    with pytest.raises(TypeError, match="pass your function conv2d_single"):
        checks.check_conv2d_single(bad)


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_checks_reject_a_bad_seed(seed):
    with pytest.raises(TypeError, match="seed must be an int or None"):
        checks.check_relu(lambda x: np.maximum(x, 0), seed=seed)


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_bad_time_limit_is_refused(monkeypatch, value):
    monkeypatch.setenv("CNNLAB_TIME_LIMIT", value)
    with pytest.raises(ValueError, match="CNNLAB_TIME_LIMIT"):
        checks.time_limit()


def test_success_is_reported_in_the_chosen_language(capsys):
    cnnlab.set_language("ja")
    checks.check_relu(lambda x: np.maximum(x, 0))
    assert "すべて" in capsys.readouterr().out
    cnnlab.set_language("en")
    checks.check_relu(lambda x: np.maximum(x, 0))
    assert "all 3 cases passed" in capsys.readouterr().out
