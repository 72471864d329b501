"""Assignment 07_train_cnn: the real nbgrader pipeline once, then the 07 checks in-process.

One `nbgrader autograde` run grades the instructor's solution, the untouched release and the
submissions of tests/corpus_07.py whose graded training decides a point, or that cost no training
(every other submission trains a network for nothing the run can tell apart: their lost points are
in the gradient check or evaluate, which tests/test_judge_train.py proves for every submission, the
sandbox's run steps against the kernel's). The
in-process tests drive cnnlab.checks.check_convnet / check_evaluate / check_train with the
solution's own cells, small edits of them, and stand-in networks that need no training.

Runtime: nearly all of it the autograde run, eight notebooks that each train the network twice in
the kernel (the ungraded training cell and the graded run) and twice again where the judge runs
the graded functions outside the kernel (cnnlab.grading.harness_train), about 80 s of CPU per notebook.
"""

import ast
import json
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import cnnlab
import corpus_07
from cnnlab import checks
from cnnlab.checks import CheckFailed, check_convnet, check_evaluate, check_train
from cnnlab.data import load_digits
from course import (ROOT, answer, feedback_text, make_course, max_points, nbgrader, release_notebook, scores,
                    source_notebook, submit)

NAME = "07_train_cnn"
GRADED = ("test-convnet", "test-evaluate", "test-train")
ANSWER_CELLS = ("my-functions", "convnet", "evaluate", "train")
#: The functions of 01-06 the student pastes into "my-functions", by the assignment that grades them.
PASTED = {"01_convolution": ["relu"], "03_im2col": ["im2col", "conv_forward_im2col"], "04_pooling": ["max_pool_forward"],
          "05_softmax_cross_entropy": ["softmax", "cross_entropy"],
          "06_backprop": ["relu_backward", "affine_forward", "affine_backward", "softmax_cross_entropy_backward",
                          "max_pool_backward", "conv_backward"]}


# ---------------------------------------------------------------------------------------------
# The real pipeline: one autograde run for the whole class.


#: The autograde run is set up by the first test that asks for it and counts towards its time: eight
#: notebooks, each trained in the kernel and again by the judge outside it, on a shared machine.
AUTOGRADE_TIMEOUT = pytest.mark.timeout(2700)


#: Submissions left out of the autograde run: nothing they lose is decided by training (see above).
JUDGED_WITHOUT_TRAINING = ("missing-1/N-and-unweighted-batch-means", "pooling-gradient-to-every-cell",
                           "wrong-conv_backward-swapped-for-the-library-conv2d")
#: Indexes into corpus_07.SUBMISSIONS of the submissions the autograde run grades.
AUTOGRADED = [k for k, sub in enumerate(corpus_07.SUBMISSIONS) if sub.label not in JUDGED_WITHOUT_TRAINING]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp(NAME), [NAME])
    release, solution = release_notebook(course, NAME), source_notebook(NAME)
    submit(course, "solution", NAME, answer(solution, {}, language="en"))
    submit(course, "untouched", NAME, release)
    for k in AUTOGRADED:
        sub = corpus_07.SUBMISSIONS[k]
        filled = {cell: _source(solution, cell) for cell in ANSWER_CELLS}
        filled.update(sub.cells)
        submit(course, f"s{k:02d}", NAME, answer(release, filled, language=sub.language))
    # One BLAS thread in the kernels keeps the ungraded training cells quick on a busy machine;
    # the graded run uses one thread anyway. CNNLAB_TRAIN_TIME_LIMIT passes through if set.
    nbgrader(course, "autograde", NAME, env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    return course, scores(course, NAME), max_points(source_notebook(NAME))


def _source(notebook, cell_id):
    return next(c.source for c in notebook.cells if c.get("id") == cell_id)


@AUTOGRADE_TIMEOUT
def test_the_solution_gets_full_marks_and_says_how_well_it_trained(graded):
    course, got, points = graded
    assert set(points) == set(GRADED) and sum(points.values()) == 10
    assert got["solution"] == points
    feedback = feedback_text(course, "solution", NAME, "test-train")
    accuracy, seconds = re.search(r"test accuracy ([\d.]+)% .* trained in ([\d.]+) s of CPU time", feedback).groups()
    assert float(accuracy) >= 98.0 and float(seconds) <= checks.train_time_limit()


@AUTOGRADE_TIMEOUT
def test_the_untouched_release_gets_zero_on_every_graded_cell(graded):
    course, got, points = graded
    assert got["untouched"] == {cell: 0.0 for cell in points}
    for cell in GRADED:   # the release speaks Japanese until the student switches
        assert "まだ実装されていません" in feedback_text(course, "untouched", NAME, cell)


@pytest.mark.parametrize("k", AUTOGRADED, ids=[corpus_07.SUBMISSIONS[k].label for k in AUTOGRADED])
@AUTOGRADE_TIMEOUT
def test_a_submission_loses_exactly_the_affected_points_with_the_mistake_named(graded, k):
    course, got, points = graded
    sub = corpus_07.SUBMISSIONS[k]
    for cell in GRADED:
        feedback = feedback_text(course, f"s{k:02d}", NAME, cell)
        if cell in sub.lost:
            assert got[f"s{k:02d}"][cell] == 0, f"{sub.label}: {cell} kept its points"
            assert sub.lost[cell] in feedback, f"{sub.label}: {cell} does not say '{sub.lost[cell]}':\n{feedback}"
        else:
            assert got[f"s{k:02d}"][cell] == points[cell], f"{sub.label}: {cell} lost points:\n{feedback}"
            assert "Traceback" not in feedback and "✓" in feedback


def judge_report(course, student):
    """What JudgeOutside wrote for ``student``: grading/judge/07_train_cnn/<student>.json."""
    return json.loads((Path(course) / "grading" / "judge" / NAME / f"{student}.json").read_text(encoding="utf-8"))


@AUTOGRADE_TIMEOUT
def test_every_graded_cell_is_judged_outside_the_kernel_with_the_kernel_s_verdict(graded):
    # The harness ran the student's cells in a sandbox with cnnlab.nn but not cnnlab.checks, the
    # judge here applied the checks' rules: same verdict as the notebook's own checks, same mistake.
    course, got, points = graded
    students = ["solution", "untouched"] + [f"s{k:02d}" for k in AUTOGRADED if not corpus_07.SUBMISSIONS[k].kernel_fake]
    for student in students:
        report = judge_report(course, student)
        assert report["sandboxed"] and not report["flagged"], student
        for cell in GRADED:
            entry = report["cells"][cell]
            assert entry["outside"] and entry["judge"] == entry["kernel"] == (got[student][cell] == points[cell]), (student, cell, entry)
    for k, sub in ((k, corpus_07.SUBMISSIONS[k]) for k in AUTOGRADED):   # the judge speaks the grader's language (English here)
        for cell, words in sub.lost.items() if sub.language == "en" else ():
            assert words in judge_report(course, f"s{k:02d}")["cells"][cell]["message"], (sub.label, cell)


@AUTOGRADE_TIMEOUT
def test_a_fake_in_the_kernel_earns_no_points(graded):
    # An input transformer skips every test cell: the kernel saw them "pass"; the judge ran the
    # stubs outside, so the points are 0 and the student is flagged.
    course, got, points = graded
    for k in AUTOGRADED:
        if corpus_07.SUBMISSIONS[k].kernel_fake:
            report = judge_report(course, f"s{k:02d}")
            assert report["flagged"] and got[f"s{k:02d}"] == {cell: 0.0 for cell in points}
            for cell in GRADED:
                assert report["cells"][cell]["kernel"] and not report["cells"][cell]["judge"] and report["cells"][cell]["outside"]
                assert "ノートブックの外で実行したチェックは不合格です" in feedback_text(course, f"s{k:02d}", NAME, cell)


# ---------------------------------------------------------------------------------------------
# The notebooks themselves.


def test_the_release_keeps_the_graded_api_as_stubs():
    nb = json.loads((ROOT / "assignments" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    answers = {c["id"]: "".join(c["source"]) for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    assert sorted(answers) == sorted(ANSWER_CELLS)
    defs = {}
    for source in answers.values():
        for node in ast.parse(source).body:
            defs[node.name] = node
            assert ast.get_docstring(node), f"{node.name} lost its docstring"
    methods = {f.name: f for f in defs["ConvNet"].body if isinstance(f, ast.FunctionDef)}
    signature = {name: [a.arg for a in f.args.args] for name, f in {**methods, "evaluate": defs["evaluate"],
                                                                    "train": defs["train"]}.items()}
    assert signature == {"__init__": ["self", "rng", "dtype"], "forward": ["self", "x"], "loss": ["self", "x", "y"],
                         "gradient": ["self", "x", "y"], "evaluate": ["net", "x", "y", "batch_size"],
                         "train": ["net", "data", "epochs", "batch_size", "lr", "rng", "progress"]}
    layers = {name: {f.name: f for f in defs[name].body if isinstance(f, ast.FunctionDef)}
              for name in ("Conv2D", "ReLU", "MaxPool2D", "Flatten", "Affine")}
    layer_methods = [m[name] for m in layers.values() for name in ("forward", "backward")]
    pasted = [defs[name] for names in PASTED.values() for name in names]
    for f in [*methods.values(), defs["evaluate"], defs["train"], *layer_methods, *pasted]:
        assert isinstance(f.body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(f.body[-1])


def test_the_pasted_stubs_keep_the_signatures_of_the_assignments_that_graded_them():
    release = {node.name: node for node in ast.parse(_source(release_notebook_committed(), "my-functions")).body}
    assert sorted(release) == sorted(name for names in PASTED.values() for name in names)
    for assignment, names in PASTED.items():
        graded = {node.name: node for c in source_notebook(assignment).cells if c.cell_type == "code"
                  for node in ast.parse(c.source).body if isinstance(node, ast.FunctionDef)}
        for name in names:
            assert ast.unparse(release[name].args) == ast.unparse(graded[name].args), name


def release_notebook_committed():
    import nbformat
    return nbformat.read(str(ROOT / "assignments" / NAME / f"{NAME}.ipynb"), as_version=4)


def solution_namespace():
    """The solution notebook's code cells up to train, run here (the plots and training left out)."""
    nb = source_notebook(NAME)
    ns = {}
    for cell_id in ("setup", "my-functions", "convnet", "evaluate", "shift-helper", "train"):
        source = _source(nb, cell_id)
        if cell_id == "shift-helper":
            source = source.split("\nshifted =")[0]     # the helper, without its picture
        exec(compile(source, f"<{cell_id}>", "exec"), ns)
    cnnlab.set_language("en")
    return ns


@pytest.fixture(scope="module")
def sol():
    return solution_namespace()


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


# ---------------------------------------------------------------------------------------------
# check_convnet: the gradient check.


def test_the_solution_network_passes_the_gradient_check(sol, capsys):
    check_convnet(sol["ConvNet"])
    check_convnet(sol["ConvNet"], seed=5)
    out = capsys.readouterr()
    assert out.out.count("✓ ConvNet") == 2 and out.err == ""


def broken(sol, **methods):
    return type("Broken", (sol["ConvNet"],), methods)


def scaled_gradient(factor):
    def gradient(self, x, y):
        return {k: factor * v for k, v in super(type(self), self).gradient(x, y).items()}
    return gradient


def test_a_flipped_gradient_sign_is_named(sol):
    with pytest.raises(CheckFailed, match="gradient sign is flipped"):
        check_convnet(broken(sol, gradient=scaled_gradient(-1.0)))


def test_a_missing_one_over_n_is_named_with_the_batch_size(sol):
    # The check's batch has N = 5: a gradient 5 times too large is the missing 1/N.
    def gradient(self, x, y):
        return {k: len(x) * v for k, v in super(type(self), self).gradient(x, y).items()}
    with pytest.raises(CheckFailed, match=r"exactly N = 5 times too large \(.*\): the 1/N of the batch mean is missing"):
        check_convnet(broken(sol, gradient=gradient))


def test_one_wrong_parameter_gradient_is_named_by_its_key(sol):
    def gradient(self, x, y):
        g = super(type(self), self).gradient(x, y)
        return {**g, "W2": g["W2"] * 1.5}
    with pytest.raises(CheckFailed, match=r"do not match the numerical ones: 'W2' \(relative error"):
        check_convnet(broken(sol, gradient=gradient))


@pytest.mark.parametrize("edit, words", [
    (lambda g: {k: v for k, v in g.items() if k != "b3"}, "no gradient for 'b3'"),
    (lambda g: {**g, "W3": g["W3"].T}, "Is it transposed"),
    (lambda g: {**g, "b1": g["b1"][None]}, "a missing reshape?"),
    (lambda g: {**g, "W1": np.zeros_like(g["W1"])}, "The gradient is zero everywhere ('W1')"),
    (lambda g: None, "did you forget `return grads`"),
])
def test_missing_and_misshapen_gradients_are_named(sol, edit, words):
    def gradient(self, x, y):
        return edit(super(type(self), self).gradient(x, y))
    with pytest.raises(CheckFailed, match=re.escape(words)):
        check_convnet(broken(sol, gradient=gradient))


def test_a_summed_loss_is_named(sol):
    def loss(self, x, y):
        return len(x) * super(type(self), self).loss(x, y)
    with pytest.raises(CheckFailed, match="sum over the batch"):
        check_convnet(broken(sol, loss=loss))


def epsilon_loss(eps):
    """net.loss as the 05 answers write it: -log(p + eps) of the right class, batch mean."""
    def loss(self, x, y):
        z = np.asarray(self.forward(x), dtype=np.float64)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + eps)))
    return loss


@pytest.mark.parametrize("seed", [None, 2, 2671])
def test_a_small_epsilon_inside_the_log_is_accepted_in_the_visible_and_the_hidden_cases(sol, seed):
    check_convnet(broken(sol, loss=epsilon_loss(1e-7)), seed=seed)


def test_a_large_epsilon_inside_the_log_is_still_wrong(sol):
    with pytest.raises(CheckFailed, match="does not match the cross-entropy"):
        check_convnet(broken(sol, loss=epsilon_loss(1e-2)), seed=2671)


def test_params_that_are_copies_or_not_float64_are_refused(sol):
    def copied_init(self, rng=0, dtype=np.float32):
        sol["ConvNet"].__init__(self, rng, dtype)
        self.params = {k: v.copy() for k, v in self.params.items()}
    with pytest.raises(CheckFailed, match="not copies"):
        check_convnet(broken(sol, __init__=copied_init))

    def float32_init(self, rng=0, dtype=np.float32):
        sol["ConvNet"].__init__(self, rng)                 # forgets to pass dtype on
    with pytest.raises(CheckFailed, match="pass dtype on to every layer"):
        check_convnet(broken(sol, __init__=float32_init))


def test_a_gradient_that_updates_the_weights_is_refused(sol):
    def gradient(self, x, y):
        g = super(type(self), self).gradient(x, y)
        for k in self.params:
            self.params[k] -= 0.1 * g[k]
        return g
    with pytest.raises(CheckFailed, match="the update belongs in train"):
        check_convnet(broken(sol, gradient=gradient))


def test_the_unimplemented_stub_and_a_lost_parameter_are_reported(sol):
    class Stub:
        def __init__(self, rng=0, dtype=np.float32):
            raise NotImplementedError()
    with pytest.raises(CheckFailed, match="not implemented yet"):
        check_convnet(Stub)

    class NoDtype:
        def __init__(self, rng=0):
            pass
    with pytest.raises(CheckFailed, match="lost its parameter"):
        check_convnet(NoDtype)


def test_the_japanese_feedback_names_the_mistake(sol):
    cnnlab.set_language("ja")
    with pytest.raises(CheckFailed, match="勾配の符号が逆です"):
        check_convnet(broken(sol, gradient=scaled_gradient(-1.0)))


# ---------------------------------------------------------------------------------------------
# check_evaluate


def test_the_solution_evaluate_passes(sol):
    check_evaluate(sol["evaluate"])
    check_evaluate(sol["evaluate"], seed=3)


def batch_means(net, x, y, batch_size=256):
    losses, accs = [], []
    for s in range(0, len(x), batch_size):
        scores = net.forward(x[s:s + batch_size])
        losses.append(net.loss(x[s:s + batch_size], y[s:s + batch_size]))
        accs.append(np.mean(scores.argmax(axis=1) == y[s:s + batch_size]))
    return np.mean(losses), np.mean(accs)


def percent(net, x, y, batch_size=256):
    loss = net.loss(x, y)
    return loss, 100 * np.mean(net.forward(x).argmax(axis=1) == y)


def count(net, x, y, batch_size=256):
    return net.loss(x, y), int(np.sum(net.forward(x).argmax(axis=1) == y))


def first_batch(net, x, y, batch_size=256):
    xb, yb = x[:batch_size], y[:batch_size]
    return net.loss(xb, yb), np.mean(net.forward(xb).argmax(axis=1) == yb)


def all_at_once(net, x, y, batch_size=256):
    return net.loss(x, y), np.mean(net.forward(x).argmax(axis=1) == y)


@pytest.mark.parametrize("evaluate, words", [
    (batch_means, "You averaged the per-batch means"),
    (percent, "in percent"),
    (count, "number of correct images"),
    (first_batch, "Only the first batch"),
    (all_at_once, "got 10 images at once"),
])
def test_evaluate_mistakes_are_named(evaluate, words):
    with pytest.raises(CheckFailed, match=re.escape(words)):
        check_evaluate(evaluate)


# ---------------------------------------------------------------------------------------------
# check_train, with stand-in networks: no training needed.


class NearestNeighbour:
    """A 'network' that learns by remembering: scores = -10 x squared distance to the nearest
    training image of each class (before train() it knows nothing: all scores 0)."""

    def __init__(self, rng=0):
        self.memory = None
        self.layers, self.params = [], {}

    def forward(self, x):
        flat = x.reshape(len(x), -1).astype(np.float64)
        if self.memory is None:
            return np.zeros((len(x), 10))
        images, labels = self.memory
        d2 = ((flat[:, None, :] - images[None, :, :]) ** 2).sum(axis=-1)
        return -10 * np.stack([d2[:, labels == c].min(axis=1) for c in range(10)], axis=1)

    def loss(self, x, y):
        raise AssertionError("check_train measures the loss itself")

    gradient = loss


def remember(net, data, epochs=1, rng=0, progress=True):
    net.memory = (data.x_train.reshape(len(data.x_train), -1).astype(np.float64), data.y_train)
    val_acc = float(np.mean(net.forward(data.x_val).argmax(axis=1) == data.y_val))
    return {"train_loss": [0.0], "train_acc": [1.0], "val_loss": [0.1], "val_acc": [val_acc]}


def test_a_classifier_that_reaches_the_target_passes_and_its_test_accuracy_is_the_true_one(capsys):
    from sklearn.neighbors import KNeighborsClassifier

    data = load_digits()
    knn = KNeighborsClassifier(1).fit(data.x_train.reshape(len(data.x_train), -1), data.y_train)
    right = int(np.sum(knn.predict(data.x_test.reshape(len(data.x_test), -1)) == data.y_test))
    assert right / len(data.y_test) >= 0.98     # the premise: 1-NN is good enough on this split
    check_train(NearestNeighbour, remember)
    check_train(NearestNeighbour, remember, seed=0)
    out = capsys.readouterr()
    assert f"({right} of {len(data.y_test)})" in out.out and out.err == ""


def forgetful(net, data, epochs=1, rng=0, progress=True):
    return {"train_loss": [2.3], "train_acc": [0.1], "val_loss": [2.3], "val_acc": [0.1]}


def test_a_network_that_learns_nothing_is_told_the_loss_and_the_accuracy():
    with pytest.raises(CheckFailed) as failure:
        check_train(NearestNeighbour, forgetful, seed=0)
    message = str(failure.value)
    assert "The loss is not decreasing" in message and "learning rate" in message and "gradient sign" in message
    assert re.search(r"Test accuracy [\d.]+% \(\d+ of 359\) < 98%", message)


def peeks(net, data, epochs=1, rng=0, progress=True):
    return remember(net, data._replace(x_train=data.x_test, y_train=data.y_test))


def test_train_never_sees_the_test_split():
    with pytest.raises(CheckFailed, match="reads data.x_test"):
        check_train(NearestNeighbour, peeks, seed=0)


def busy(seconds):
    """Compute for ``seconds`` of this process's CPU time."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_too_slow_training_is_timed_in_cpu_seconds_and_a_hang_is_stopped(monkeypatch):
    # Slow: 1.2 s of computing plus remembering, under a limit of 1 s of CPU time and well
    # before the run is stopped at three times the limit (wall time).
    monkeypatch.setenv("CNNLAB_TRAIN_TIME_LIMIT", "1")

    def slow(net, data, epochs=1, rng=0, progress=True):
        busy(1.2)
        return remember(net, data)
    with pytest.raises(CheckFailed, match=r"Training took [12]\.\d s of CPU time > 1 s"):
        check_train(NearestNeighbour, slow, seed=0)

    monkeypatch.setenv("CNNLAB_TRAIN_TIME_LIMIT", "0.3")

    def hangs(net, data, epochs=1, rng=0, progress=True):
        while True:
            time.sleep(0.01)
    start = time.perf_counter()
    with pytest.raises(CheckFailed, match="did not finish within 0.9 s"):
        check_train(NearestNeighbour, hangs, seed=0)
    assert time.perf_counter() - start < 5


def test_time_spent_waiting_for_a_busy_machine_does_not_count(monkeypatch):
    # A grading machine busy with other students: 1.2 s of wall time while this process waits
    # (asleep here), under a limit of 1 s of CPU time, costs nothing.
    monkeypatch.setenv("CNNLAB_TRAIN_TIME_LIMIT", "1")

    def waits(net, data, epochs=1, rng=0, progress=True):
        time.sleep(1.2)
        return remember(net, data)
    check_train(NearestNeighbour, waits, seed=0)


def test_a_history_on_the_training_data_is_caught():
    def on_train(net, data, epochs=1, rng=0, progress=True):
        history = remember(net, data)
        history["val_acc"] = [1.0]                # the accuracy on the training images
        return history
    with pytest.raises(CheckFailed, match="evaluated on the training data"):
        check_train(NearestNeighbour, on_train, seed=0)


@pytest.mark.parametrize("returned, words", [
    (None, "forget `return history`"),
    ({"loss": [1.0]}, "must return a dict with the keys"),
    ({"train_loss": [1.0], "train_acc": [98.0], "val_loss": [1.0], "val_acc": [0.9]}, "fractions between 0 and 1"),
    ({"train_loss": [1.0, 0.5], "train_acc": [0.9], "val_loss": [1.0], "val_acc": [0.9]}, "one value per epoch"),
])
def test_a_malformed_history_is_explained(returned, words):
    def train(net, data, epochs=1, rng=0, progress=True):
        remember(net, data)
        return returned
    with pytest.raises(CheckFailed, match=re.escape(words)):
        check_train(NearestNeighbour, train)


def test_a_train_without_the_progress_parameter_is_told_to_keep_the_signature():
    def train(net, data, epochs=1, rng=0):
        return remember(net, data)
    with pytest.raises(CheckFailed, match="lost its parameter"):
        check_train(NearestNeighbour, train)


def test_progress_bars_and_warnings_never_reach_stderr(capsys):
    from tqdm.auto import trange

    def noisy(net, data, epochs=1, rng=0, progress=True):
        for _ in trange(3):                       # ignores progress=False
            warnings.warn("something", RuntimeWarning)
            np.log(np.zeros(1))
            print("a warning", file=sys.stderr)
        return remember(net, data)
    check_train(NearestNeighbour, noisy, seed=0)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_the_time_limit_setting_is_checked(monkeypatch, value):
    monkeypatch.setenv("CNNLAB_TRAIN_TIME_LIMIT", value)
    with pytest.raises(ValueError, match="CNNLAB_TRAIN_TIME_LIMIT"):
        checks.train_time_limit()
