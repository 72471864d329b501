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


# --- 04 pooling and 05 softmax / cross-entropy: the references, the cases, the diagnosis ------

POOL_LECTURE = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]


def loops_pool(x, size, stride, reduce):
    n_, c_, h, w = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n_, c_, oh, ow))
    for n in range(n_):
        for c in range(c_):
            for i in range(oh):
                for j in range(ow):
                    out[n, c, i, j] = reduce([x[n, c, i * stride + u, j * stride + v] for u in range(size) for v in range(size)])
    return out


def test_pooling_reference_reproduces_the_lecture_examples():
    first = np.array(LECTURE_IMAGE, float)[None, None]
    second = np.array(POOL_LECTURE, float)[None, None]
    assert checks._pool(first, reduce=np.max)[0, 0].tolist() == [[4, 4], [3, 3]]
    assert checks._pool(second, reduce=np.max)[0, 0].tolist() == [[6, 8], [3, 4]]
    assert checks._pool(second, reduce=np.mean)[0, 0].tolist() == [[(1 + 1 + 5 + 6) / 4, (2 + 4 + 7 + 8) / 4], [2, 2]]


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1), (3, 3), (1, 2)])
@pytest.mark.parametrize("reduce", [max, lambda values: sum(values) / len(values)], ids=["max", "mean"])
def test_pooling_reference_matches_plain_loops(size, stride, reduce):
    x = np.random.default_rng(size * 10 + stride).normal(size=(2, 3, 7, 8))
    np.testing.assert_allclose(checks._pool(x, size, stride, np.max if reduce is max else np.mean),
                               loops_pool(x, size, stride, reduce))


def test_softmax_reference_reproduces_the_lecture_and_stays_finite():
    np.testing.assert_allclose(checks._softmax(np.array([2.0, 1.0, 0.1])), [0.659, 0.242, 0.099], atol=5e-4)
    big = checks._softmax(np.array([[1010.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]]))
    np.testing.assert_allclose(big[0], [1 / (1 + np.exp(-10) + np.exp(-20)), np.exp(-10) / (1 + np.exp(-10) + np.exp(-20)),
                                        np.exp(-20) / (1 + np.exp(-10) + np.exp(-20))])
    np.testing.assert_allclose(big.sum(axis=1), 1)
    assert np.all(np.isfinite(big))


def test_cross_entropy_reference_reproduces_the_lecture():
    y = np.array([[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]] * 2)
    assert np.isclose(checks._cross_entropy(y[:1], np.array([2])), -np.log(0.6)) and round(-np.log(0.6), 2) == 0.51
    assert np.isclose(checks._cross_entropy(y[:1], np.array([0])), -np.log(0.1)) and round(-np.log(0.1), 2) == 2.30
    assert np.isclose(checks._cross_entropy(y, np.eye(10)[[2, 0]]), (-np.log(0.6) - np.log(0.1)) / 2)


@pytest.mark.parametrize("seed", [None, *range(25)])
def test_cross_entropy_cases_allow_an_epsilon_and_need_none(seed):
    # No exact zero anywhere (so t * log(p) without an epsilon is finite), and the true class
    # has at least 0.05 (so an epsilon of 1e-7 moves the loss by far less than the tolerance).
    for case in checks._cross_entropy_cases(seed):
        probs, labels = case.args
        classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
        assert np.all(probs > 0)
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
        assert np.all(probs[np.arange(len(probs)), classes] >= 0.05)
        with_eps = -np.mean(np.log(probs[np.arange(len(probs)), classes] + 1e-7))
        assert checks._close(np.array(with_eps), np.array(checks._cross_entropy(probs, labels)))


MISTAKE_TABLES = [("max_pool_forward", checks._pool_cases, checks._max_pool_mistakes),
                  ("avg_pool_forward", checks._pool_cases, checks._avg_pool_mistakes),
                  ("softmax", checks._softmax_cases, checks._softmax_mistakes),
                  ("cross_entropy", checks._cross_entropy_cases, checks._cross_entropy_mistakes)]


@pytest.mark.parametrize("name, cases, mistakes", MISTAKE_TABLES, ids=[t[0] for t in MISTAKE_TABLES])
def test_every_predicted_mistake_is_computable_quietly_and_shows_on_the_visible_cases(name, cases, mistakes):
    # The diagnosis runs the mistakes on any case a student got wrong: none may crash or warn.
    # Each one must differ from the right answer on some visible case, or it could never be named there.
    expected = {"max_pool_forward": lambda c: checks._pool(*c.args, **c.kwargs, reduce=np.max),
                "avg_pool_forward": lambda c: checks._pool(*c.args, **c.kwargs, reduce=np.mean),
                "softmax": lambda c: checks._softmax(c.args[0]),
                "cross_entropy": lambda c: checks._cross_entropy(*c.args)}[name]
    shown = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in (None, 1, 2, 3):
            for case in cases(seed):
                want = np.asarray(expected(case), dtype=np.float64)
                for i, mistake in enumerate(mistakes(case)):  # the same list, in the same order, for every case
                    wrong = mistake.wrong(case)
                    if seed is None and wrong is not None and not checks._close(np.asarray(wrong, dtype=np.float64), want):
                        shown.add(i)
    assert shown == set(range(len(mistakes(cases(None)[0]))))


def test_softmax_that_overflows_is_named_even_though_its_answer_is_nan():
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    passed, message = run_check("softmax", softmax)
    assert not passed and "overflows for large logits" in message and "nan" in message


def test_a_correct_softmax_on_huge_logits_prints_nothing_to_stderr(capfd):
    checks.check_softmax(lambda z: np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True), seed=3)
    assert capfd.readouterr().err == ""


def test_a_loss_whose_eq_is_always_true_does_not_pass():
    class Liar(float):
        def __eq__(self, other):
            return True

    passed, _ = run_check("cross_entropy", lambda probs, labels: Liar(0.0))
    assert not passed


@pytest.mark.parametrize("result, said", [(None, "forget `return`"), ([1.0], "one number"), ("0.5", "one number"),
                                          (True, "one number")])
def test_a_loss_that_is_not_a_number_is_refused_clearly(result, said):
    passed, message = run_check("cross_entropy", lambda probs, labels: result)
    assert not passed and said in message


@pytest.mark.parametrize("check", ["check_max_pool_forward", "check_avg_pool_forward", "check_softmax", "check_cross_entropy"])
@pytest.mark.parametrize("bad", [None, 3, "softmax"])
def test_the_new_checks_reject_what_is_not_a_function(check, bad):
    with pytest.raises(TypeError, match="pass your function"):
        getattr(checks, check)(bad)


@pytest.mark.parametrize("check", ["check_max_pool_forward", "check_avg_pool_forward", "check_softmax", "check_cross_entropy"])
def test_the_new_checks_reject_a_bad_seed(check):
    with pytest.raises(TypeError, match="seed must be an int or None"):
        getattr(checks, check)(lambda *a, **k: None, seed="7")


def test_pooling_checks_refuse_a_stub_that_lost_its_parameters():
    passed, message = run_check("max_pool_forward", lambda x: x[:, :, ::2, ::2])
    assert not passed and "size, stride" in message
