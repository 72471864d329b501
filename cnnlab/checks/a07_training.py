"""07_train_cnn: train(net, data, ...) -> history: trained honestly, timed, evaluated on the hidden
test split. The run step trains and records the network's scores on every split; the judge
computes the losses and accuracies from them.
"""

import numpy as np

from ..language import tr
from . import reference as ref
from .a07_train_cnn import TARGET_ACCURACY, call_student, construct, judge_construction, next_step
from .calling import Outcome, Results, TestSplitHidden, lost_parameters, missing_keywords, plain
from .convert import to_history, to_scores
from .core import Failure, train_time_limit
from .judging import call_failure

#: After the graded training the training loss must be below this fraction of where it started
#: (a network that learned, from ln 10 ≈ 2.3 to below 0.1, passes with room to spare; one that
#: diverged or died at a constant output, near ln 10, does not).
LOSS_DROP = 0.5
CLASS = ("クラス", "class")


def training_data():
    """(the full digits split, the same split with x_test / y_test hidden from train)."""
    from ..data import Digits, load_digits

    class TrainingData(Digits):
        """The digits split as train() gets it: the test split is kept back for the check."""

        __slots__ = ()

        @property
        def x_test(self):
            raise TestSplitHidden("x_test")

        @property
        def y_test(self):
            raise TestSplitHidden("y_test")

    data = load_digits()
    return data, TrainingData(data.x_train, data.y_train, data.x_val, data.y_val, None, None)


def measure(net, x):
    """The scores of net.forward on x, 256 images at a time, as one Outcome (``seen["n"]``: the
    images of the call it describes, all of them when every batch gave (n, 10) numbers)."""
    scores, seconds = [], 0.0
    for start in range(0, len(x), 256):
        batch = x[start:start + 256]
        outcome, _ = call_student("net.forward(x)", net.forward, (batch,))
        seconds += outcome.seconds
        outcome.seen = {"n": len(batch)}
        if outcome.status != "returned":
            return outcome
        try:
            scores.append(to_scores("net.forward(x)", outcome.value, len(batch)))
        except Failure:
            return outcome   # the judge says what is wrong with it
    return Outcome("net.forward(x)", "returned", plain(np.concatenate(scores)), seen={"n": len(x)}, seconds=seconds)


def _loss_and_accuracy(outcome, y):
    """(mean cross-entropy, accuracy) from the scores of a measure() outcome."""
    if outcome.status != "returned":
        raise Failure(call_failure(outcome.step, outcome))
    scores = to_scores(outcome.step, outcome.value, outcome.seen["n"])
    if not np.all(np.isfinite(scores)):
        return float("nan"), float(np.mean(np.nan_to_num(scores).argmax(axis=1) == y))
    return ref.scores_cross_entropy(scores, y), float(np.mean(scores.argmax(axis=1) == y))


def _loss_message(before, after):
    if not np.isfinite(after):
        return tr(
            ja=f"損失が減っていません: 学習の前 {before:.3f} → 学習の後 {after}（発散しました）。学習率が大きすぎないか、勾配の符号（params -= lr * grad）を確かめてください。",
            en=f"The loss is not decreasing: {before:.3f} before training, {after} after (it diverged). Check your learning rate (is it far too high?) and the gradient sign (params -= lr * grad).")
    return tr(
        ja=f"損失が減っていません: 訓練データの損失が学習の前 {before:.3f} → 学習の後 {after:.3f}。学習率（大きすぎ・小さすぎ）と勾配の符号（params -= lr * grad）を確かめてください。",
        en=f"The loss is not decreasing: the training loss went from {before:.3f} before training to {after:.3f} after. Check your learning rate (far too high, or too low?) and the gradient sign (params -= lr * grad).")


class TrainCheck:
    """Check ``train(net, data, ...)``.

    ``seed=None`` (the visible test): one epoch, ``train(ConvNet(rng=0), data, epochs=1,
    progress=False)``: the history's form and a falling loss. An int (the graded run): a fresh
    ``ConvNet(rng=seed)`` trained by ``train(net, data, rng=seed, progress=False)`` with the
    student's own defaults, timed in CPU seconds (``train_time_limit()``, one BLAS thread: other
    work on a busy or shared grading machine does not count against the student), then
    evaluated by this check on the test split, which ``data`` does not contain: it must reach
    ``TARGET_ACCURACY``.
    """

    name, params = "train", ("ConvNet", "train")
    doc = __doc__

    def run(self, ConvNet, train, seed=None):
        from threadpoolctl import threadpool_limits

        results = Results(self.name, seed, facts={
            "missing_convnet": missing_keywords(ConvNet, "ConvNet", ("rng",), CLASS),
            "missing": missing_keywords(train, "train", ("epochs", "rng", "progress")),
            "limit": train_time_limit()})
        if results.facts["missing_convnet"] or results.facts["missing"]:
            return results
        data, given = training_data()
        kwargs = {"epochs": 1} if seed is None else {"rng": int(seed)}
        net = construct(results, ConvNet, {"rng": kwargs.get("rng", 0)}, ("forward",))
        if net is None:
            return results
        with threadpool_limits(limits=1, user_api="blas"):
            # One BLAS thread: the time then does not depend on what else the machine is running
            # (two OpenBLAS threads on two busy cores can be several times slower than one).
            results.steps.append(measure(net, given.x_train))
            if results.steps[-1].status != "returned":
                return results
            outcome, _ = call_student("train(net, data, ...)", train, (net, given), {"progress": False, **kwargs},
                               limit=3 * results.facts["limit"])
            results.steps.append(outcome)
        if outcome.status != "returned":
            return results
        for x in [data.x_train] + ([] if seed is None else [data.x_val, data.x_test]):
            results.steps.append(measure(net, x))
            if results.steps[-1].status != "returned":
                break
        return results

    def judge(self, results):
        from ..data import load_digits

        facts, seed, limit = results.facts, results.seed, results.facts["limit"]
        if facts["missing_convnet"]:
            raise lost_parameters("ConvNet", facts["missing_convnet"])
        if facts["missing"]:
            raise lost_parameters("train", facts["missing"])
        steps = iter(results.steps)
        judge_construction(steps, facts, ("forward",))
        data = load_digits()
        before = _loss_and_accuracy(next_step(steps), data.y_train)[0]
        trained = next_step(steps)
        if trained.status != "returned":
            raise Failure(call_failure(trained.step, trained))
        # CPU time, not wall time: a student graded beside 40 others on 2 cores is not slower.
        history, elapsed = to_history(trained.value, epochs=1 if seed is None else None), trained.cpu_seconds
        after, train_acc = _loss_and_accuracy(next_step(steps), data.y_train)
        if seed is None:
            if not after < before:
                raise Failure(_loss_message(before, after))
            return tr(
                ja=f"✓ train: 1 エポック CPU 時間 {elapsed:.2f} 秒、訓練データの損失 {before:.3f} → {after:.3f}、history の形も正しいです。"
                   f"採点ではあなたの既定のエポック数で学習し、CPU 時間 {limit:g} 秒以内にテスト用データで {TARGET_ACCURACY:.0%} 以上が必要です。",
                en=f"✓ train: one epoch in {elapsed:.2f} s of CPU time, training loss {before:.3f} → {after:.3f}, and the history has the right form. "
                   f"The graded run trains with your default number of epochs and needs {TARGET_ACCURACY:.0%} test accuracy within {limit:g} s of CPU time.")
        val_acc = _loss_and_accuracy(next_step(steps), data.y_val)[1]
        test_acc = _loss_and_accuracy(next_step(steps), data.y_test)[1]
        n_test = len(data.y_test)
        problems = []
        if not after < LOSS_DROP * before:
            problems.append(_loss_message(before, after))
        if test_acc < TARGET_ACCURACY:
            problems.append(tr(
                ja=f"テスト用データの正解率 {test_acc:.1%}（{round(test_acc * n_test)} / {n_test}）が {TARGET_ACCURACY:.0%} に届きません。"
                   "エポック数を増やす、学習率を調整する、2 つ目の畳み込み層を足す、random_shift で訓練画像を少しずらす（データ拡張）などを試してください。"
                   "検証用データの正解率の曲線を見て決めます（テスト用データでは決めません）。",
                en=f"Test accuracy {test_acc:.1%} ({round(test_acc * n_test)} of {n_test}) < {TARGET_ACCURACY:.0%}. "
                   "Train for more epochs, tune the learning rate, add a second convolution layer, or shift the training images a little "
                   "with random_shift (data augmentation). Decide by the validation accuracy curve, never by the test split."))
        if elapsed > limit:
            problems.append(tr(
                ja=f"学習に CPU 時間で {elapsed:.1f} 秒かかりました（制限 {limit:g} 秒、BLAS 1 スレッド）。エポック数やフィルタの数を減らす、ループを NumPy の行列計算（im2col）にする、毎エポックの評価を軽くする、などで速くしてください。",
                en=f"Training took {elapsed:.1f} s of CPU time > {limit:g} s (one BLAS thread). Fewer epochs or filters, NumPy matrix products (im2col) instead of Python loops, or a lighter evaluation per epoch will make it faster."))
        reported = float(history["val_acc"][-1])
        slack = 2.0 / len(data.y_val)
        if abs(reported - val_acc) > slack:
            on_train = abs(reported - train_acc) <= slack
            problems.append(tr(
                ja=f"history[\"val_acc\"] の最後の値 {reported:.4f} が、学習後のネットワークの検証用データでの正解率 {val_acc:.4f} と合いません。"
                   + ("訓練データで評価しているようです（訓練データの正解率は " + f"{train_acc:.4f}）。" if on_train else "")
                   + "各エポックの後で data.x_val, data.y_val を使って評価してください。",
                en=f"history[\"val_acc\"] ends at {reported:.4f}, but the trained network's accuracy on the validation split is {val_acc:.4f}. "
                   + (f"It looks like you evaluated on the training data (training accuracy {train_acc:.4f}). " if on_train else "")
                   + "Evaluate on data.x_val, data.y_val after every epoch."))
        if problems:
            raise Failure("\n  ".join(problems))
        return tr(
            ja=f"✓ train: テスト用データの正解率 {test_acc:.1%}（{round(test_acc * n_test)} / {n_test}）≥ {TARGET_ACCURACY:.0%}、学習の CPU 時間 {elapsed:.1f} 秒 ≤ {limit:g} 秒。",
            en=f"✓ train: test accuracy {test_acc:.1%} ({round(test_acc * n_test)} of {n_test}) ≥ {TARGET_ACCURACY:.0%}, trained in {elapsed:.1f} s of CPU time ≤ {limit:g} s.")


CHECKS = [TrainCheck()]
