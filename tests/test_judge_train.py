"""07_train_cnn judged outside the kernel: the run steps of harness_train.py (the sandbox's side)
against the run steps of cnnlab.checks (the in-kernel check), on the corpus of tests/corpus_07.py.

Both run here, in this process, on the same student objects: the task entry goes through the
plain-data file the sandbox reads, the results through the file the judge reads, and both are
judged by cnnlab.checks.judge. They must give the same steps (statuses, values, what was seen),
so the same verdict, message and mistake key. The real sandbox and nbgrader are in
tests/test_train_cnn.py (the autograde run: every 07 cell judged outside, and a kernel-level fake).
"""

import numpy as np
import pytest

import cnnlab
import corpus_07
from course import source_notebook
from test_train_cnn import NearestNeighbour, forgetful, peeks, remember
from cnnlab import checks
from cnnlab.checks.calling import TestSplitHidden
from cnnlab import plaindata
from cnnlab.grading import cases, cases_train, harness, harness_train
from cnnlab.grading.judge import judge_one

NAME = "07_train_cnn"
CELLS = ("setup", "my-functions", "convnet", "fallback", "evaluate", "shift-helper", "train")

pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def namespace(replaced=None):
    """The solution's cells up to train, run here, with the student's ``replaced`` cells."""
    nb = source_notebook(NAME)
    ns = {}
    for cell_id in CELLS:
        source = (replaced or {}).get(cell_id) or next(c.source for c in nb.cells if c.get("id") == cell_id)
        if cell_id == "shift-helper":
            source = source.split("\nshifted =")[0]     # the helper, without its picture
        exec(compile(source, f"<{cell_id}>", "exec"), ns)
    cnnlab.set_language("en")   # the setup cell chose Japanese; the english fixture puts it back after
    return ns


def outside(name, objects, seed, tmp_path):
    """The run step as the sandbox does it: task entry -> file -> harness_train -> file -> Results."""
    plaindata.save({"entry": cases_train.entry(name, [f"o{k}" for k in range(len(objects))], seed)},
                   tmp_path / "task.npz")
    entry = plaindata.load(tmp_path / "task.npz")["entry"]
    plaindata.save(harness_train.RUNNERS[name](entry, *objects), tmp_path / "out.npz")
    return cases_train.settle(checks.load_results(tmp_path / "out.npz"), name, seed)


def in_kernel(name, objects, seed, tmp_path):
    checks.save_results(checks.run(name, *objects, seed=seed), tmp_path / "kernel.npz")
    return checks.load_results(tmp_path / "kernel.npz")


def judged_outside(name, results):
    """The trusted side's verdict (cnnlab.grading.judge): (passed, message, key)."""
    return judge_one(name, [], results)


def verdict(results):
    try:
        return True, checks.judge(results), None
    except checks.CheckFailed as failure:
        return False, str(failure), failure.key


def same(a, b):
    """Plain trees equal: arrays of the same dtype and values, the rest by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


def assert_same_run(name, objects, seed, tmp_path):
    """Same steps, facts and verdict from both run steps; returns the verdict."""
    got, want = outside(name, objects, seed, tmp_path), in_kernel(name, objects, seed, tmp_path)
    assert (got.check, got.seed) == (want.check, want.seed)
    assert same(got.facts, want.facts), (got.facts, want.facts)
    assert [s.step for s in got.steps] == [s.step for s in want.steps]
    for mine, theirs in zip(got.steps, want.steps):
        assert (mine.status, mine.detail, mine.limit) == (theirs.status, theirs.detail, theirs.limit), mine.step
        assert same(mine.value, theirs.value) and same(mine.seen, theirs.seen), mine.step
        if mine.error or theirs.error:   # the line may differ: cnnlab's own frames are skipped either way
            assert [mine.error[k] for k in ("type", "mro", "message")] == [theirs.error[k] for k in ("type", "mro", "message")]
    result, kernel = judged_outside(name, got), verdict(want)
    assert (result[0], result[2]) == (kernel[0], kernel[2]), (result, kernel)
    return result


# ---------------------------------------------------------------------------------------------
# The corpus: ConvNet's gradient check and evaluate, both ways.

NETWORK_SUBMISSIONS = [s for s in corpus_07.SUBMISSIONS if not s.kernel_fake]


@pytest.mark.parametrize("sub", NETWORK_SUBMISSIONS, ids=[s.label for s in NETWORK_SUBMISSIONS])
@pytest.mark.parametrize("name, cell, seed", [("convnet", "test-convnet", None), ("convnet", "test-convnet", 2671),
                                              ("evaluate", "test-evaluate", None), ("evaluate", "test-evaluate", 2672)])
def test_the_corpus_outside_gives_the_in_kernel_verdict(sub, name, cell, seed, tmp_path):
    ns = namespace(sub.cells)
    passed, message, key = assert_same_run(name, [ns["ConvNet" if name == "convnet" else name]], seed, tmp_path)
    assert passed == (cell not in sub.lost), message
    if not passed and sub.language == "en":
        assert sub.lost[cell] in message


def test_a_sign_flipped_gradient_gets_the_same_key_both_ways(tmp_path):
    ns = namespace({"convnet": corpus_07.FLIPPED_SIGN_NET})
    passed, message, key = assert_same_run("convnet", [ns["ConvNet"]], 2671, tmp_path)
    assert not passed and key == "sign_flipped" and "gradient sign is flipped" in message


def test_a_small_epsilon_inside_the_log_is_accepted_both_ways(tmp_path):
    # LOG_EPSILON: the judge's allowance is the same whichever process ran the network.
    ns = namespace()

    class Epsilon(ns["ConvNet"]):
        def loss(self, x, y):
            p = ns["softmax"](self.forward(x))
            return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-7)))

    assert assert_same_run("convnet", [Epsilon], 2671, tmp_path)[0]


def test_the_stubs_are_not_implemented_both_ways(tmp_path):
    ns = namespace({"convnet": corpus_07.NOT_DONE_CONVNET, "evaluate": corpus_07.NOT_DONE_EVALUATE})
    for name, objects in (("convnet", [ns["ConvNet"]]), ("evaluate", [ns["evaluate"]])):
        passed, message, _ = assert_same_run(name, objects, None, tmp_path)
        assert not passed and "not implemented yet" in message


# ---------------------------------------------------------------------------------------------
# train: test_train_cnn's stand-in networks that need no training (the real training runs in the
# autograde test).


def unpack(net, data, epochs=1, rng=0, progress=True):
    """Tuple unpacking gives None for the test split: nothing is read, nothing to refuse."""
    x_train, y_train, x_val, y_val, x_test, y_test = data
    assert x_test is None and y_test is None and type(data).__name__ == "TrainingData"
    return remember(net, data)


@pytest.mark.parametrize("train, passes, words", [
    (remember, True, "test accuracy"), (unpack, True, "test accuracy"),
    (peeks, False, "reads data.x_test"), (forgetful, False, "The loss is not decreasing")])
def test_train_outside_gives_the_in_kernel_verdict(train, passes, words, tmp_path):
    for seed in (None, 0):
        passed, message, _ = assert_same_run("train", [NearestNeighbour, train], seed, tmp_path)
        if seed == 0 or not passes:
            assert passed == passes and words in message, message


def busy(seconds):
    """Compute for ``seconds`` of this process's CPU time."""
    end = harness_train._process_time() + seconds
    while harness_train._process_time() < end:
        pass


def test_the_cpu_time_of_the_training_is_measured_where_it_ran_and_judged_by_the_grader_s_limit(tmp_path, monkeypatch):
    def slow(net, data, epochs=1, rng=0, progress=True):
        busy(0.5)
        return remember(net, data)

    got = outside("train", [NearestNeighbour, slow], 0, tmp_path)    # the default limit: 15 s
    trained = next(s for s in got.steps if s.step == "train(net, data, ...)")
    assert trained.status == "returned" and trained.cpu_seconds >= 0.5
    assert judged_outside("train", got)[0]
    # The grader's limit counts, never one the results file claims.
    monkeypatch.setenv("CNNLAB_TRAIN_TIME_LIMIT", "0.25")
    got.facts["limit"] = 100.0
    passed, message, _ = judged_outside("train", cases_train.settle(got, "train", 0))
    assert not passed and "of CPU time > 0.25 s" in message


def test_a_patched_clock_in_the_student_s_process_does_not_shorten_the_training(tmp_path, monkeypatch):
    import time

    def slow(net, data, epochs=1, rng=0, progress=True):
        busy(0.5)
        return remember(net, data)

    monkeypatch.setattr(time, "process_time", lambda: 0.0)   # what a notebook cell could do
    got = outside("train", [NearestNeighbour, slow], 0, tmp_path)
    assert next(s for s in got.steps if s.step == "train(net, data, ...)").cpu_seconds >= 0.5


# ---------------------------------------------------------------------------------------------
# What enters the sandbox, and what the student's code may import there.


def test_the_task_holds_no_test_labels_and_no_hidden_seed():
    task = cases.task([("train", ["ConvNet", "train"], 0), ("convnet", ["ConvNet"], 2671),
                       ("evaluate", ["evaluate"], 2672)], cell_timeout=60, skip_cells=[])
    train, convnet, evaluate = task["calls"]
    assert set(train["digits"]) == {"x_train", "y_train", "x_val", "y_val", "x_test"}
    assert train["rng"] == 0        # the graded run's own argument: train(net, data, rng=0)
    assert "seed" not in convnet and "seed" not in evaluate and "seed" not in train
    assert all(len(case) == 4 for case in evaluate["cases"])   # M, x, y, kwargs: no expected values
    assert task["allowed"] == list(cases_train.ALLOWED)
    plain = cases.task([("conv2d_single", ["conv2d_single"], None)], cell_timeout=60, skip_cells=[])
    assert plain["allowed"] == []   # 01-06: nothing of cnnlab


def test_the_copied_library_is_nn_data_and_the_helpers_never_the_checks(tmp_path):
    folder = cases_train.copy_library(tmp_path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["__init__.py", "data", "language.py", "nn.py", "notebook_functions.py"]
    assert not list(folder.rglob("checks")) and not list(folder.rglob("grading")) and not list(folder.rglob("*.pyc"))


@pytest.mark.parametrize("module, allowed", [
    ("cnnlab", True), ("cnnlab.nn", True), ("cnnlab.data", True), ("cnnlab.data.digits", True),
    ("cnnlab.language", True), ("cnnlab.notebook_functions", True),
    ("cnnlab.checks", False), ("cnnlab.checks.reference", False), ("cnnlab.grading", False),
    ("cnnlab.grading.sandbox", False), ("cnnlab.widgets", False), ("cnnlab.nnx", False), ("cnnlab.examples", False)])
def test_07_may_import_the_library_and_nothing_else_of_cnnlab(module, allowed):
    blocker = harness.Blocker(["cnnlab"], cases_train.ALLOWED)
    if allowed:
        assert blocker.find_spec(module) is None
    else:
        with pytest.raises(ModuleNotFoundError, match="not available while grading"):
            blocker.find_spec(module)
    with pytest.raises(ModuleNotFoundError):      # 01-06: none of it
        harness.Blocker(["cnnlab"]).find_spec(module)


def test_the_harness_s_stand_ins_are_the_checks_own():
    # TestSplitHidden is an AttributeError in both (getattr(data, "x_test", None) gives None);
    # the data's fields and the stand-in network's scores and loss are the same.
    from cnnlab.checks.a07_train_cnn import evaluate_cases
    from cnnlab.data import Digits

    assert issubclass(harness_train.TestSplitHidden, AttributeError) and issubclass(TestSplitHidden, AttributeError)
    assert harness_train.Digits._fields == Digits._fields
    case = evaluate_cases(3)[-1]
    theirs, x, y = case.args
    mine = harness_train.ScoreNet(theirs.M)
    assert np.array_equal(mine.forward(x), theirs.forward(x)) and mine.loss(x, y) == theirs.loss(x, y)
    assert mine.largest_batch == theirs.largest_batch == len(x)
