"""cnnlab.checks in-process: the corpus in both languages, the reference maths, the safety nets."""

import contextlib
import io
import warnings

import numpy as np
import pytest

import cnnlab
import corpus
from oracles import loops_correlate, loops_im2col
from cnnlab import checks
from cnnlab.checks import a03_im2col as a03, a04_pooling as a04, a05_softmax_cross_entropy as a05, a06_backprop as a06
from cnnlab.checks import a06_numerical_gradient as a06n, hints, judging, reference


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


def _top_level_pieces(expr):
    """The comma-separated parts of a tuple expression (nothing for a single expression)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(expr):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            pieces.append(expr[start:i].strip())
            start = i + 1
    return pieces + [expr[start:].strip()] if pieces else []


def answer_expressions():
    """Every expression of 12 characters or more in the solution notebooks' answers (01-06): the
    right-hand sides of their lines, and the parts of tuples they return."""
    import re

    from course import ROOT, read

    found = set()
    for path in sorted((ROOT / "solutions").glob("0[1-6]*/*.ipynb")):
        for c in read(path).cells:
            if c.cell_type != "code" or "### BEGIN SOLUTION" not in c.source:
                continue
            body = c.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            for line in body.split("\n"):
                code = re.sub(r"\s+", " ", line.split("#")[0]).strip()
                if code.startswith(("def ", "for ", "if ", "elif ", "while ")):
                    continue
                expr = re.sub(r"^(return |[\w\[\], .:]+ [-+*/]?= )", "", code)
                found.update(p for p in [expr, *_top_level_pieces(expr)] if len(p) >= 12)
    return found


ANSWER_EXPRESSIONS = answer_expressions()


def assert_no_answer_line(message, student_source):
    """Feedback teaches without giving the answer: no expression of the solutions' code appears
    in it (the student's own lines, which an error message quotes, left out)."""
    import re

    flat = re.sub(r"\s+", " ", message)
    for line in student_source.split("\n"):
        if line.strip():
            flat = flat.replace(re.sub(r"\s+", " ", line.strip()), "")
    shown = [e for e in ANSWER_EXPRESSIONS if e in flat]
    assert not shown, f"the feedback prints the answer's code {shown}:\n{message}"


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
        assert message.rstrip().endswith(hints.pointer(a.function))   # the hints are there
    assert_no_answer_line(message + hidden_message, a.source)


# --- the reference computations against the lecture's numbers and plain loops ----------------

LECTURE_IMAGE = [[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]]
LECTURE_KERNEL = [[1, 0, 2], [0, 2, 0], [1, 1, -1]]


def test_reference_reproduces_the_lecture_product_sum():
    out = reference.single(np.array(LECTURE_IMAGE, float), np.array(LECTURE_KERNEL, float))
    assert out.tolist() == [[12, 14], [14, 10]]
    first_window = 1*1 + 2*0 + 3*2 + 4*0 + 3*2 + 2*0 + 0*1 + 1*1 + 2*(-1)
    assert out[0, 0] == first_window == 12


def test_reference_reproduces_the_lecture_padding_example():
    x = np.array(LECTURE_IMAGE, float)[None, None]
    w = np.array(LECTURE_KERNEL, float)[None, None]
    out = reference.correlate(x, w, np.zeros(1), stride=1, pad=1)
    assert out.shape == (1, 1, 4, 4)
    assert out[0, 0, 0, 0] == 0*1 + 0*0 + 0*2 + 0*0 + 1*2 + 2*0 + 0*1 + 4*1 + 3*(-1) == 3


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2), (2, 0)])
def test_reference_matches_seven_plain_loops(stride, pad):
    rng = np.random.default_rng(stride * 10 + pad)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    np.testing.assert_allclose(reference.correlate(x, w, b, stride, pad), loops_correlate(x, w, b, stride, pad))


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
    assert reference.pool(first, reduce=np.max)[0, 0].tolist() == [[4, 4], [3, 3]]
    assert reference.pool(second, reduce=np.max)[0, 0].tolist() == [[6, 8], [3, 4]]
    assert reference.pool(second, reduce=np.mean)[0, 0].tolist() == [[(1 + 1 + 5 + 6) / 4, (2 + 4 + 7 + 8) / 4], [2, 2]]


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1), (3, 3), (1, 2)])
@pytest.mark.parametrize("reduce", [max, lambda values: sum(values) / len(values)], ids=["max", "mean"])
def test_pooling_reference_matches_plain_loops(size, stride, reduce):
    x = np.random.default_rng(size * 10 + stride).normal(size=(2, 3, 7, 8))
    np.testing.assert_allclose(reference.pool(x, size, stride, np.max if reduce is max else np.mean),
                               loops_pool(x, size, stride, reduce))


def test_softmax_reference_reproduces_the_lecture_and_stays_finite():
    np.testing.assert_allclose(reference.softmax(np.array([2.0, 1.0, 0.1])), [0.659, 0.242, 0.099], atol=5e-4)
    big = reference.softmax(np.array([[1010.0, 1000.0, 990.0], [-1000.0, -1001.0, -1002.0]]))
    np.testing.assert_allclose(big[0], [1 / (1 + np.exp(-10) + np.exp(-20)), np.exp(-10) / (1 + np.exp(-10) + np.exp(-20)),
                                        np.exp(-20) / (1 + np.exp(-10) + np.exp(-20))])
    np.testing.assert_allclose(big.sum(axis=1), 1)
    assert np.all(np.isfinite(big))


def test_cross_entropy_reference_reproduces_the_lecture():
    y = np.array([[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]] * 2)
    assert np.isclose(reference.cross_entropy(y[:1], np.array([2])), -np.log(0.6)) and round(-np.log(0.6), 2) == 0.51
    assert np.isclose(reference.cross_entropy(y[:1], np.array([0])), -np.log(0.1)) and round(-np.log(0.1), 2) == 2.30
    assert np.isclose(reference.cross_entropy(y, np.eye(10)[[2, 0]]), (-np.log(0.6) - np.log(0.1)) / 2)


@pytest.mark.parametrize("seed", [None, *range(25)])
def test_cross_entropy_cases_allow_an_epsilon_and_need_none(seed):
    # No exact zero anywhere (so t * log(p) without an epsilon is finite), and the true class
    # has at least 0.05 (so an epsilon of 1e-7 moves the loss by far less than the tolerance).
    for case in a05.cross_entropy_cases(seed):
        probs, labels = case.args
        classes = labels.argmax(axis=1) if labels.ndim == 2 else labels
        assert np.all(probs > 0)
        np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
        assert np.all(probs[np.arange(len(probs)), classes] >= 0.05)
        with_eps = -np.mean(np.log(probs[np.arange(len(probs)), classes] + 1e-7))
        assert judging.close(np.array(with_eps), np.array(reference.cross_entropy(probs, labels)))


MISTAKE_TABLES = [
    ("max_pool_forward", a04.pool_cases, a04.max_pool_mistakes,
     lambda c: reference.pool(*c.args, **c.kwargs, reduce=np.max)),
    ("avg_pool_forward", a04.pool_cases, a04.avg_pool_mistakes,
     lambda c: reference.pool(*c.args, **c.kwargs, reduce=np.mean)),
    ("softmax", a05.softmax_cases, a05.softmax_mistakes, lambda c: reference.softmax(c.args[0])),
    ("cross_entropy", a05.cross_entropy_cases, a05.cross_entropy_mistakes, lambda c: reference.cross_entropy(*c.args)),
    ("im2col", a03.im2col_cases, a03.im2col_mistakes, lambda c: reference.im2col(*c.args, **c.kwargs)),
    ("conv_forward_im2col", a03.conv_forward_im2col_cases, a03.conv_forward_im2col_mistakes,
     lambda c: reference.correlate(*c.args, **c.kwargs)),
]


@pytest.mark.parametrize("name, cases, mistakes, expected", MISTAKE_TABLES, ids=[t[0] for t in MISTAKE_TABLES])
def test_every_predicted_mistake_is_computable_quietly_and_shows_on_the_visible_cases(name, cases, mistakes, expected):
    # The diagnosis runs the mistakes on any case a student got wrong: none may crash or warn.
    # Each one must differ from the right answer on some visible case, or it could never be named there.
    shown = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in (None, 1, 2, 3):
            for case in cases(seed):
                want = np.asarray(expected(case), dtype=np.float64)
                for i, mistake in enumerate(mistakes(case)):  # the same list, in the same order, for every case
                    wrong = mistake.wrong(case)
                    if seed is None and wrong is not None and not judging.close(np.asarray(wrong, dtype=np.float64), want):
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


# --- 03 im2col: the reference table, the lecture's numbers, the diagnosis ------------------------

def test_im2col_reference_reproduces_the_lecture_examples():
    col = reference.im2col(np.array(LECTURE_IMAGE, float)[None, None], 3, 3)
    assert col.shape == (4, 9)
    assert col[0].tolist() == [1, 2, 3, 4, 3, 2, 0, 1, 2]            # the top-left window, row by row
    assert (col @ np.ravel(LECTURE_KERNEL)).tolist() == [12, 14, 14, 10]  # lecture 01's product-sums
    assert reference.im2col(np.random.rand(10, 3, 7, 7), 5, 5).shape == (90, 75)


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2), (2, 0), (1, 1)])
def test_im2col_reference_matches_the_definition_element_by_element(stride, pad):
    x = np.random.default_rng(stride * 10 + pad).normal(size=(2, 3, 7, 6))
    np.testing.assert_array_equal(reference.im2col(x, 3, 2, stride, pad), loops_im2col(x, 3, 2, stride, pad))


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2)])
def test_im2col_times_the_reshaped_filters_is_the_convolution(stride, pad):
    rng = np.random.default_rng(stride + pad)
    x, w, b = rng.normal(size=(3, 2, 8, 7)), rng.normal(size=(4, 2, 3, 2)), rng.normal(size=4)
    out = loops_im2col(x, 3, 2, stride, pad) @ w.reshape(4, -1).T + b
    want = loops_correlate(x, w, b, stride, pad)
    np.testing.assert_allclose(out.reshape(3, *want.shape[2:], 4).transpose(0, 3, 1, 2), want)


def test_the_conv_forward_im2col_cases_start_with_the_lecture_examples():
    first, lecture = a03.conv_forward_im2col_cases(None)[:2]
    assert reference.correlate(*first.args)[0, 0].tolist() == [[12, 14], [14, 10]]
    x, w, b = lecture.args
    assert x.shape == (10, 3, 7, 7) and w.shape == (2, 3, 5, 5)
    assert reference.im2col(x, 5, 5).shape == (90, 75) and reference.correlate(x, w, b).shape == (10, 2, 3, 3)


def test_conv_forward_im2col_accepts_the_students_own_im2col_and_refuses_cnnlabs():
    def im2col(x, kh, kw, stride=1, pad=0):      # the student's, defined outside cnnlab
        return loops_im2col(x, kh, kw, stride, pad)

    def conv_forward_im2col(x, w, b, stride=1, pad=0):
        n, f = x.shape[0], w.shape[0]
        oh = (x.shape[2] + 2 * pad - w.shape[2]) // stride + 1
        ow = (x.shape[3] + 2 * pad - w.shape[3]) // stride + 1
        out = im2col(x, w.shape[2], w.shape[3], stride, pad) @ w.reshape(f, -1).T + b
        return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)

    assert run_check("conv_forward_im2col", conv_forward_im2col, seed=3)[0]

    def with_the_library(x, w, b, stride=1, pad=0):
        from cnnlab.nn import im2col
        f = w.shape[0]
        out = im2col(x, w.shape[2], w.shape[3], stride, pad) @ w.reshape(f, -1).T + b
        return loops_correlate(x, w, b, stride, pad) + 0 * out.sum()

    passed, message = run_check("conv_forward_im2col", with_the_library)
    assert not passed and "calls cnnlab (cnnlab.nn.im2col)" in message and "check_im2col passes first" in message


def test_a_correct_im2col_prints_nothing_to_stderr(capfd):
    checks.check_im2col(lambda x, kh, kw, stride=1, pad=0: loops_im2col(x, kh, kw, stride, pad), seed=4)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("check", ["check_im2col", "check_conv_forward_im2col"])
@pytest.mark.parametrize("bad", [None, 3, "im2col"])
def test_the_im2col_checks_reject_what_is_not_a_function(check, bad):
    with pytest.raises(TypeError, match="pass your function"):
        getattr(checks, check)(bad)


@pytest.mark.parametrize("check", ["check_im2col", "check_conv_forward_im2col"])
def test_the_im2col_checks_reject_a_bad_seed(check):
    with pytest.raises(TypeError, match="seed must be an int or None"):
        getattr(checks, check)(lambda *a, **k: None, seed=2.5)


def test_the_im2col_checks_refuse_a_stub_that_lost_its_parameters():
    passed, message = run_check("im2col", lambda x, kh, kw: reference.im2col(x, kh, kw))
    assert not passed and "stride, pad" in message
    passed, message = run_check("conv_forward_im2col", lambda x, w, b, s=1, p=0: reference.correlate(x, w, b))
    assert not passed and "stride, pad" in message


# --- 06 backprop: the references against the lecture and against centred differences ----------

def centred_differences(f, x, h=1e-6):
    """The gradient of the scalar f at x, entry by entry, computed here for the test."""
    x = np.array(x, dtype=float)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def test_backward_references_reproduce_the_lecture():
    assert np.array_equal(a06.relu_backward_cases(None)[0].args[0] * (a06.relu_backward_cases(None)[0].args[1] > 0),
                          [0, 0, 0, 4, 5])
    x, w = np.array([[1.0, 2, 3], [4, 5, 6]]), np.array([[1.0, 0], [0, 1], [1, -1]])
    dx, dw, db = reference.affine_backward(np.array([[1.0, -1], [2, 0]]), x, w)
    assert dx.tolist() == [[1, -1, 2], [2, 0, 2]] and dw.tolist() == [[9, -1], [12, -2], [15, -3]] and db.tolist() == [3, -1]
    assert dw[0, 0] == 1 * 1 + 4 * 2
    np.testing.assert_allclose(reference.softmax_ce_backward(np.array([[2.0, 1.0, 0.1]]), np.array([0])), [[-0.341, 0.242, 0.099]], atol=5e-4)
    dx = reference.max_pool_backward(np.array([[[[1.0, 2], [3, 4]]]]), np.array(POOL_LECTURE, float)[None, None])
    assert dx[0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]]
    dx, dw, db, _ = reference.conv_backward(np.array([[[[1.0, 2], [0, -1]]]]), np.array(LECTURE_IMAGE, float)[None, None],
                                          np.array(LECTURE_KERNEL, float)[None, None])
    assert dw[0, 0, 0, 0] == 1 * 1 + 2 * 2 + 4 * 0 + 3 * (-1) == 2
    assert dx[0, 0, 1, 1] == 1 * 2 + 2 * 0 + 0 * 0 + (-1) * 1 == 1 and db.tolist() == [2]


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (3, 2)])
def test_conv_backward_reference_is_the_gradient_of_the_loop_convolution(stride, pad):
    # L = Σ dout · conv(x, w, b): its gradients are the backward pass, measured here on seven plain loops.
    rng = np.random.default_rng(stride * 10 + pad)
    x, w, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    dout = rng.normal(size=loops_correlate(x, w, b, stride, pad).shape)
    dx, dw, db, _ = reference.conv_backward(dout, x, w, stride, pad)
    np.testing.assert_allclose(dx, centred_differences(lambda x_: np.sum(dout * loops_correlate(x_, w, b, stride, pad)), x), atol=1e-6)
    np.testing.assert_allclose(dw, centred_differences(lambda w_: np.sum(dout * loops_correlate(x, w_, b, stride, pad)), w), atol=1e-6)
    np.testing.assert_allclose(db, centred_differences(lambda b_: np.sum(dout * loops_correlate(x, w, b_, stride, pad)), b), atol=1e-6)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_max_pool_backward_reference_is_the_gradient_of_the_loop_pooling(size, stride):
    rng = np.random.default_rng(size * 10 + stride)
    x = rng.normal(size=(2, 2, 7, 6))  # no ties, so the gradient exists
    dout = rng.normal(size=loops_pool(x, size, stride, max).shape)
    np.testing.assert_allclose(reference.max_pool_backward(dout, x, size, stride),
                               centred_differences(lambda x_: np.sum(dout * loops_pool(x_, size, stride, max)), x), atol=1e-6)


def test_softmax_cross_entropy_backward_reference_is_the_gradient_of_the_loss():
    rng = np.random.default_rng(6)
    z, labels = rng.normal(size=(4, 5)) * 3, np.array([0, 4, 2, 2])
    np.testing.assert_allclose(reference.softmax_ce_backward(z, labels),
                               centred_differences(lambda z_: reference.cross_entropy(reference.softmax(z_), labels), z), atol=1e-7)
    np.testing.assert_allclose(reference.softmax_ce_backward(z, np.eye(5)[labels]), reference.softmax_ce_backward(z, labels))


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_numerical_gradient_cases_know_their_exact_gradient(seed):
    # The expected answers are exact gradients; check them against this file's own differences.
    for case in a06n.numerical_gradient_cases(seed):
        f, x = case.args
        np.testing.assert_allclose(case.extra["gradient"](x), centred_differences(f, x), rtol=1e-6, atol=1e-6)


BACKWARD_TABLES = [
    ("relu_backward", a06.relu_backward_cases, a06.relu_backward_mistakes, lambda c: c.args[0] * (c.args[1] > 0)),
    ("affine_forward", a06.affine_forward_cases, a06.affine_forward_mistakes, lambda c: c.args[0] @ c.args[1] + c.args[2]),
    ("affine_backward", a06.affine_backward_cases, a06.affine_backward_mistakes, lambda c: reference.affine_backward(*c.args)),
    ("softmax_cross_entropy_backward", a06.softmax_ce_backward_cases, a06.softmax_ce_backward_mistakes,
     lambda c: reference.softmax_ce_backward(*c.args)),
    ("max_pool_backward", a06.max_pool_backward_cases, a06.max_pool_backward_mistakes,
     lambda c: reference.max_pool_backward(*a06.pool_args(c))),
    ("conv_backward", a06.conv_backward_cases, a06.conv_backward_mistakes, lambda c: reference.conv_backward(*c.args, **c.kwargs)[:3]),
    ("numerical_gradient", a06n.numerical_gradient_cases, a06n.numerical_gradient_mistakes, lambda c: c.extra["gradient"](c.args[1])),
]


@pytest.mark.parametrize("name, cases, mistakes, expected", BACKWARD_TABLES, ids=[t[0] for t in BACKWARD_TABLES])
def test_every_backward_mistake_is_computable_quietly_and_shows_on_the_visible_cases(name, cases, mistakes, expected):
    # Every predicted mistake runs without a warning on visible and hidden cases, and differs from
    # the right answer on some visible case (else it could never be named there). A mistake is
    # known by its key (and the part it is in).
    def key(mistake):
        return mistake.part, mistake.key

    parts = {"dx": 0, "dw": 1, "db": 2}
    shown, listed = set(), set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in (None, 1, 2, 3):
            for case in cases(seed):
                want = expected(case)
                for mistake in mistakes(case):
                    wrong = mistake.wrong(case)
                    if seed is not None:
                        continue
                    listed.add(key(mistake))
                    right = want if mistake.part is None else want[parts[mistake.part]]
                    wrong_, right_ = (None if wrong is None else np.asarray(wrong, dtype=np.float64)), np.asarray(right, dtype=np.float64)
                    if wrong_ is not None and not (judging.close(wrong_, right_) and a06n.numerical_close(wrong_, right_)):
                        shown.add(key(mistake))
    assert shown == listed


def test_a_max_pool_backward_may_send_a_tied_window_to_any_one_maximum():
    def last_maximum(dout, x, size=2, stride=2):
        dx = np.zeros(x.shape)
        n_, c_, oh, ow = dout.shape
        for n in range(n_):
            for c in range(c_):
                for i in range(oh):
                    for j in range(ow):
                        window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                        rows, cols = np.nonzero(window == window.max())
                        dx[n, c, i * stride + rows[-1], j * stride + cols[-1]] += dout[n, c, i, j]
        return dx

    assert run_check("max_pool_backward", last_maximum, seed=4)[0]
    split = lambda dout, x, size=2, stride=2: last_maximum(dout, x, size, stride) / 2 + reference.max_pool_backward(dout, x, size, stride) / 2
    passed, message = run_check("max_pool_backward", split)
    assert not passed  # half to the first, half to the last: not one cell


def test_a_backward_tuple_of_the_wrong_length_or_order_is_refused_clearly():
    passed, message = run_check("affine_backward", lambda dout, x, w: (dout @ w.T, x.T @ dout))
    assert not passed and "must return the tuple (dx, dw, db)" in message
    passed, message = run_check("conv_backward", lambda dout, x, w, stride=1, pad=0: None)
    assert not passed and "forget `return`" in message


def test_a_numerical_gradient_that_calls_f_is_not_calling_cnnlab():
    # f comes from the check: calling it is the job, not a call into cnnlab.
    def numerical_gradient(f, x, h=1e-5):
        x = x.astype(float)
        return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size).reshape((x.size,) + x.shape)]).reshape(x.shape)

    passed, message = run_check("numerical_gradient", numerical_gradient, seed=5)
    assert passed, message


BACKWARD_CHECKS = ["check_relu_backward", "check_affine_forward", "check_affine_backward", "check_softmax_cross_entropy_backward",
                   "check_max_pool_backward", "check_conv_backward", "check_numerical_gradient"]


@pytest.mark.parametrize("check", BACKWARD_CHECKS)
def test_the_backward_checks_reject_bad_functions_and_seeds(check):
    with pytest.raises(TypeError, match="pass your function"):
        getattr(checks, check)("relu_backward")
    with pytest.raises(TypeError, match="seed must be an int or None"):
        getattr(checks, check)(lambda *a, **k: None, seed=1.5)


def test_backward_checks_refuse_a_stub_that_lost_its_parameters():
    passed, message = run_check("conv_backward", lambda dout, x, w: (x, w, w[:, 0, 0, 0]))
    assert not passed and "stride, pad" in message
