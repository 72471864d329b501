"""07_train_cnn: the student's network class (gradient check) and evaluate(); train() is in a07_training.

Here students may build on cnnlab.nn (the library version of what 01-06 teach), so these checks
do not refuse calls into cnnlab. They never trust a number the student reports: the run step
computes centred differences itself; the judge computes the losses from the scores the network gave.

The graded API (documented in the notebook):
  net = ConvNet(rng=0, dtype=np.float32)   net.params: {name: array}, the arrays the layers use
  net.forward(x (N, 1, 8, 8)) -> scores (N, 10);  net.loss(x, y) -> mean cross-entropy (float)
  net.gradient(x, y) -> {name: d loss / d params[name]} with the keys and shapes of net.params
  evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy in [0, 1])
  train(net, data, epochs=..., ..., rng=0, progress=True)
      -> {"train_loss": [...], "train_acc": [...], "val_loss": [...], "val_acc": [...]}, per epoch
"""

import numpy as np

from ..language import tr
from . import reference as ref
from .calling import Results, call, lost_parameters, missing_keywords, plain, rebuild
from .convert import NUM_CLASSES, to_gradients, to_number, to_scores
from .core import Case, Failure, Mistake, time_limit
from .function_check import FunctionCheck
from .judging import call_failure
from .steps07 import differences, usable

TARGET_ACCURACY = 0.98
GRADIENT_TOLERANCE = 1e-4  # relative error above which a gradient is wrong
LOG_EPSILON = 1e-6       # the largest epsilon inside the loss's log that is accepted
ENTRIES_PER_PARAMETER = 8  # gradient entries compared per parameter array
CLASS = ("クラス", "class")


def call_student(step, fn, args=(), kwargs=None, limit=None):
    """The student's code of 07: cnnlab allowed, inputs not guarded (the check passes copies)."""
    return call(step, fn, args, kwargs, limit=limit or time_limit(), refuse_cnnlab=False, guard_inputs=False)


def construct(results, ConvNet, kwargs, methods):
    """Run ``ConvNet(**kwargs)``: the network object, or None when the run cannot go on."""
    args = ", ".join(f"{k}=" + ("np.float64" if v is np.float64 else repr(v)) for k, v in kwargs.items())
    outcome, net = call_student(f"ConvNet({args})", ConvNet, (), kwargs)
    results.steps.append(outcome)
    if outcome.status != "returned":
        return None
    results.facts["methods"] = [m for m in methods if callable(getattr(net, m, None))]
    return net if len(results.facts["methods"]) == len(methods) else None


def judge_construction(steps, facts, methods):
    outcome = next_step(steps)
    if outcome.status != "returned":
        raise Failure(call_failure(outcome.step, outcome))
    for method in methods:
        if method not in facts["methods"]:
            raise Failure(tr(ja=f"ConvNet にメソッド {method} がありません。", en=f"ConvNet has no method {method}."))


def next_step(steps):
    try:
        return next(steps)
    except StopIteration:
        raise ValueError("incomplete results: the run step stopped early") from None


# ---------------------------------------------------------------------------------------------
# ConvNet: forward, loss and the gradient check.

METHODS = ("forward", "loss", "gradient")


def gradient_batches(seed):
    """(x, y) batches for the gradient check: smooth random images (no exact zeros, so no ReLU
    sits on its kink) of the digits' shape (N, 1, 8, 8), labels 0..9."""
    rng = np.random.default_rng(70 if seed is None else seed)
    sizes = (5,) if seed is None else (5, 3)
    return [(rng.uniform(0.05, 1.0, size=(n, 1, 8, 8)), rng.integers(0, NUM_CLASSES, size=n)) for n in sizes]


def gradient_mistakes(batch):
    """What turns the right gradient n into the student's: ``wrong(n)``; the texts take {keys},
    the parameters concerned, and {where}."""
    return [
        Mistake("zero_gradient", "勾配がすべて 0 です（{keys}）: そのパラメータまで逆伝播が届いていないか、勾配が抜けています。",
                "The gradient is zero everywhere ({keys}): a parameter gradient is missing, or backpropagation does not reach that layer.",
                lambda n: 0 * n),
        Mistake("sign_flipped", "勾配の符号が逆です（{keys}）{where}。勾配は損失が増える向きです: softmax − 正解、の順に引きます。符号が逆だと学習で損失が増えていきます。",
                "The gradient sign is flipped ({keys}){where}. The gradient points to where the loss grows: softmax minus the one-hot labels, not the other way round. With the sign flipped, training makes the loss larger.",
                lambda n: -n),
        Mistake("mean_missing", f"勾配がちょうど N = {batch} 倍です（{{keys}}）: 1/N（バッチの平均）が抜けています{{where}}。損失はバッチの平均なので、勾配も N で割ります。",
                f"The gradient is exactly N = {batch} times too large ({{keys}}): the 1/N of the batch mean is missing{{where}}. The loss is a mean over the batch, so its gradient is divided by N too.",
                lambda n: batch * n),
        Mistake("mean_twice", f"勾配が 1/N = 1/{batch} 倍です（{{keys}}）: N で 2 回割っています。",
                f"The gradient is 1/N = 1/{batch} of the right one ({{keys}}): you divided by N twice.",
                lambda n: n / batch),
        Mistake("mean_missing_sign_flipped", f"勾配の符号が逆で、さらに N = {batch} 倍です（{{keys}}）: softmax − 正解 の順に引き、N で割ってください。",
                f"The gradient sign is flipped and it is N = {batch} times too large ({{keys}}): use (softmax − one-hot) / N.",
                lambda n: -batch * n),
    ]


def relative_error(a, n):
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if scale < 1e-10 else float(np.linalg.norm(a - n) / scale)


def _gradient_mistake(a, n, batch):
    """The known mistake that turns the right gradient n into a, if any."""
    if np.linalg.norm(n) < 1e-10:
        return None
    return next((m for m in gradient_mistakes(batch) if relative_error(a, m.wrong(n)) < GRADIENT_TOLERANCE * 10), None)


def _gradient_message(bad, batch):
    """bad: [(key, relative error, Mistake or None)] for every parameter whose gradient is wrong."""
    found = {m.key: m for _, _, m in bad if m is not None}
    keys = ", ".join(repr(k) for k, _, _ in bad)
    common = next(iter(found.values())) if len(found) == 1 and all(m is not None for _, _, m in bad) else None
    whole = tr(ja="（すべてのパラメータで同じなので、最後の損失の層の逆伝播 dscores = (softmax − 正解の one-hot) / N が怪しいです）",
               en=" (the same for every parameter, so look at the loss layer's backward: dscores = (softmax − one-hot labels) / N)")
    if common is not None:
        return common.text(keys=keys, where=whole if len(bad) > 1 else "")
    worst = max(error for _, error, _ in bad)
    named = "".join(" " + m.text(keys=keys, where="") for _, _, m in bad if m is not None)
    return tr(
        ja=f"数値微分と合わない勾配があります: {keys}（相対誤差 最大 {worst:.2g}、許容 {GRADIENT_TOLERANCE:g}）。その層の逆伝播を確かめてください（dW、db、dx の式、転置、reshape）。",
        en=f"Some gradients do not match the numerical ones: {keys} (relative error up to {worst:.2g}, tolerance {GRADIENT_TOLERANCE:g}). Check that layer's backward pass (the dW, db, dx formulas, transposes, reshapes).") + named


class ConvNetCheck:
    """Check ``ConvNet``: forward's shape, loss = mean cross-entropy, and every parameter's gradient
    against centred differences (float64, ``ConvNet(rng=0, dtype=np.float64)``, a tiny batch)."""

    name, params = "convnet", ("ConvNet",)
    doc = __doc__

    def run(self, ConvNet, seed=None):
        results = Results(self.name, seed, facts={"missing": missing_keywords(ConvNet, "ConvNet", ("rng", "dtype"), CLASS)})
        if results.facts["missing"]:
            return results
        net = construct(results, ConvNet, {"rng": 0, "dtype": np.float64}, METHODS)
        if net is None:
            return results
        params = getattr(net, "params", None)
        results.facts["params"] = plain(params)
        if not usable(params):
            return results
        rng = np.random.default_rng(71 if seed is None else seed)
        for x, y in gradient_batches(seed):
            for step, fn, args in (("net.forward(x)", net.forward, (x,)), ("net.loss(x, y)", net.loss, (x, y))):
                outcome, _ = call_student(step, fn, args)
                results.steps.append(outcome)
                if outcome.status != "returned":
                    return results
            before = {k: v.copy() for k, v in params.items()}
            outcome, _ = call_student("net.gradient(x, y)", net.gradient, (x, y))
            outcome.seen = {"params_changed": any(not np.array_equal(before[k], v) for k, v in params.items())}
            results.steps.append(outcome)
            if outcome.status != "returned" or outcome.seen["params_changed"]:
                return results
            entries = {k: rng.choice(p.size, size=min(p.size, ENTRIES_PER_PARAMETER), replace=False) for k, p in params.items()}
            outcome, _ = call_student("net.loss(x, y)", differences, (net, x, y, entries), limit=max(time_limit(), 30))
            outcome.seen = {"entries": entries}
            results.steps.append(outcome)
            if outcome.status != "returned":
                return results
        return results

    def judge(self, results):
        facts = results.facts
        if facts["missing"]:
            raise lost_parameters("ConvNet", facts["missing"])
        steps = iter(results.steps)
        judge_construction(steps, facts, METHODS)
        params = rebuild(facts["params"])
        if not (isinstance(params, dict) and params and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in params.items())):
            raise Failure(tr(
                ja="net.params は {名前（文字列）: NumPy 配列} の dict にしてください（層が計算に使う配列そのもの）。",
                en="net.params must be a dict {name (str): NumPy array}: the very arrays the layers compute with."))
        not64 = {k: v.dtype for k, v in params.items() if v.dtype != np.float64}
        if not64:
            key, dtype = next(iter(not64.items()))
            raise Failure(tr(
                ja=f"ConvNet(dtype=np.float64) のパラメータ {key!r} が {dtype} です。dtype をすべての層に渡してください（数値微分には float64 の精度が要ります: float32 は約 7 桁しかありません）。",
                en=f"ConvNet(dtype=np.float64) made parameter {key!r} of dtype {dtype}: pass dtype on to every layer (the numerical gradient needs float64; float32 has only about 7 digits)."))
        worst = 0.0
        for x, y in gradient_batches(results.seed):
            self._judge_loss(next_step(steps), next_step(steps), y)
            analytic = self._judge_gradient(next_step(steps), {k: v.shape for k, v in params.items()})
            numeric = next_step(steps)
            if numeric.status != "returned":
                raise Failure(call_failure(numeric.step, numeric))
            differences, entries = rebuild(numeric.value), numeric.seen["entries"]
            if all(np.linalg.norm(n) == 0 for n in differences.values()):
                raise Failure(tr(
                    ja="net.params の値を変えても net.loss が変わりません。params には、層が計算に使っている配列そのものを入れてください（コピーではなく）。",
                    en="Changing the arrays in net.params does not change net.loss: params must hold the very arrays the layers compute with (not copies)."))
            bad = []
            for key, idx in entries.items():
                a, n = analytic[key].ravel()[idx], np.asarray(differences[key], dtype=np.float64)
                error = relative_error(a, n)
                worst = max(worst, error)
                if error > GRADIENT_TOLERANCE:
                    bad.append((key, error, _gradient_mistake(a, n, len(x))))
            if bad:
                keys = {m.key if m else None for _, _, m in bad}
                raise Failure(tr(ja=f"勾配チェック（バッチ N = {len(x)}）: ", en=f"gradient check (batch N = {len(x)}): ")
                              + _gradient_message(bad, len(x)), keys.pop() if len(keys) == 1 else None)
        return tr(
            ja=f"✓ ConvNet: forward は (N, 10)、loss は交差エントロピー誤差の平均、{len(params)} 個のパラメータの勾配が数値微分と一致しました（相対誤差 最大 {worst:.1g}）。",
            en=f"✓ ConvNet: forward gives (N, 10), loss is the mean cross-entropy, and the gradients of all {len(params)} parameters match centred differences (relative error at most {worst:.1g}).")

    @staticmethod
    def _judge_loss(forward, loss, y):
        """forward gave (N, 10) scores and loss is their mean softmax cross-entropy."""
        n = len(y)
        for outcome in (forward, loss):
            if outcome.status != "returned":
                raise Failure(call_failure(outcome.step, outcome))
        scores = to_scores("net.forward(x)", forward.value, n)
        if not np.all(np.isfinite(scores)):
            raise Failure(tr(ja="net.forward(x) の出力に nan か inf があります（初期の重みが大きすぎませんか）。",
                             en="net.forward(x) returned nan or inf (are the initial weights far too large?)."))
        got = to_number("net.loss(x, y)", loss.value)
        want = ref.scores_cross_entropy(scores, y)
        # A small epsilon inside the log (as 05 accepts, −log(p + 1e-7)) lowers the loss by
        # mean(log1p(eps / p)): where the right class is improbable that is more than rtol.
        allowance = float(np.mean(np.log1p(LOG_EPSILON / ref.true_class_probabilities(scores, y))))
        if want - allowance - 1e-6 * abs(want) - 1e-9 <= got <= want + 1e-6 * abs(want) + 1e-9:
            return
        if np.isclose(got, n * want, rtol=1e-6):
            hint = tr(ja=f"損失がバッチの和になっています（{n} 倍）。平均（1/N）にしてください: バッチの大きさで結果が変わらないように。",
                      en=f"Your loss is the sum over the batch ({n} times the mean): divide by N, so that it does not grow with the batch size.")
        else:
            hint = tr(ja="損失は softmax(スコア) の正解クラスの確率の −log の、バッチ平均です。",
                      en="The loss is the batch mean of −log of the softmax probability of the right class.")
        raise Failure(tr(
            ja=f"net.loss(x, y) が forward のスコアの交差エントロピー誤差と合いません: 期待 {want:.6g}、あなたの値 {got:.6g}（N = {n}）。{hint}",
            en=f"net.loss(x, y) does not match the cross-entropy of forward's scores: expected {want:.6g}, got {got:.6g} (N = {n}). {hint}"))

    @staticmethod
    def _judge_gradient(outcome, shapes):
        if outcome.status != "returned":
            raise Failure(call_failure(outcome.step, outcome))
        if outcome.seen["params_changed"]:
            raise Failure(tr(
                ja="net.gradient が net.params を書き換えています。gradient は勾配を返すだけにして、重みの更新は train の中で行ってください。",
                en="net.gradient changed net.params. gradient only computes the gradients; the update belongs in train."))
        return to_gradients(outcome.value, shapes)


# ---------------------------------------------------------------------------------------------
# evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy)


class ScoreNet:
    """Stands in for a trained network in check_evaluate: fixed scores x.reshape(N, 64) @ M.

    Remembers the largest batch it was given, so the check can tell whether evaluate went
    batch by batch.
    """

    def __init__(self, rng):
        self.M = rng.normal(size=(64, NUM_CLASSES)) * 3.0
        self.params, self.layers = {}, []
        self.largest_batch = 0

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.largest_batch = max(self.largest_batch, len(x))
        return x.reshape(len(x), -1) @ self.M

    def loss(self, x, y):
        return ref.scores_cross_entropy(self.forward(x), np.asarray(y))

    def gradient(self, x, y):
        raise RuntimeError("evaluate only measures the network: it does not need gradients")


def evaluate_cases(seed):
    """Stand-in networks with known scores: an uneven last batch, one batch, random."""
    rng = np.random.default_rng(72)
    shapes = [(10, 4, "10 枚をバッチ 4 で（4 + 4 + 2 枚、最後のバッチが小さい）", "10 images in batches of 4 (4 + 4 + 2: the last batch is smaller)"),
              (7, None, "7 枚を 1 つのバッチで（batch_size は既定の 256）", "7 images in one batch (the default batch_size 256)")]
    if seed is not None:
        rng = np.random.default_rng(seed)
        shapes.append((int(rng.integers(20, 60)), int(rng.integers(3, 9)), "ランダムな枚数とバッチの大きさ", "a random number of images and batch size"))
    cases = []
    for n, batch, ja, en in shapes:
        net = ScoreNet(rng)
        x = rng.uniform(0, 1, size=(n, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, NUM_CLASSES, size=n)
        right = rng.permutation(n)[: n // 2]       # about half right, so accuracy is not 0 or 1
        y[right] = net.forward(x[right]).argmax(axis=1)
        net.largest_batch = 0
        cases.append(Case(ja, en, (net, x, y), {} if batch is None else {"batch_size": batch}))
    return cases


def evaluate_answer(case):
    """(the right (loss, accuracy), the known mistakes) for one stand-in network."""
    net, x, y = case.args
    batch = case.kwargs.get("batch_size", 256)
    scores = x.reshape(len(x), -1).astype(np.float64) @ net.M
    n = len(x)
    loss, acc = ref.scores_cross_entropy(scores, y), float(np.mean(scores.argmax(axis=1) == y))
    starts = range(0, n, batch)
    batch_losses = [ref.scores_cross_entropy(scores[s:s + batch], y[s:s + batch]) for s in starts]
    batch_accs = [float(np.mean(scores[s:s + batch].argmax(axis=1) == y[s:s + batch])) for s in starts]
    mistakes = [
        Mistake("accuracy_in_percent", "正解率を百分率（%）で返しています。0 から 1 の割合にしてください（グラフの縦軸もそろいます）。",
                "You return the accuracy in percent: return a fraction between 0 and 1.", lambda c: (loss, 100 * acc)),
        Mistake("correct_count", "正解率ではなく正解の数を返しています。画像の数で割ってください。",
                "You return the number of correct images, not the accuracy: divide by the number of images.", lambda c: (loss, acc * n)),
        Mistake("pair_swapped", "(損失, 正解率) の順番が逆です。", "Your pair is in the wrong order: return (loss, accuracy).",
                lambda c: (acc, loss)),
        Mistake("loss_total", "損失が平均ではなく合計になっています。画像の数で割ってください。",
                "Your loss is the total, not the mean: divide by the number of images.", lambda c: (loss * n, acc)),
    ]
    if len(batch_losses) > 1 and len(x) % batch:
        mistakes += [
            Mistake("unweighted_batch_means",
                    "バッチごとの平均をそのまま平均しています。最後のバッチは小さいので、バッチの大きさで重みを付けてください（合計を足して最後に N で割る）。",
                    "You averaged the per-batch means, but the last batch is smaller: weight each batch by its size (sum the totals, divide by N once at the end).",
                    lambda c: (float(np.mean(batch_losses)), float(np.mean(batch_accs)))),
            Mistake("unweighted_batch_losses",
                    "損失で、バッチごとの平均をそのまま平均しています。最後のバッチは小さいので、バッチの大きさで重みを付けてください（合計を足して最後に N で割る）。",
                    "Your loss averages the per-batch means, but the last batch is smaller: weight each batch by its size (sum the totals, divide by N once at the end).",
                    lambda c: (float(np.mean(batch_losses)), acc)),
            Mistake("unweighted_batch_accuracies",
                    "正解率で、バッチごとの値をそのまま平均しています。最後のバッチは小さいので、正解の数を足して最後に N で割ってください。",
                    "Your accuracy averages the per-batch accuracies, but the last batch is smaller: count the correct images and divide by N once at the end.",
                    lambda c: (loss, float(np.mean(batch_accs)))),
            Mistake("first_batch_only", "最初のバッチしか評価していません。すべてのバッチについてループしてください。",
                    "Only the first batch is evaluated: loop over all the batches.", lambda c: (batch_losses[0], batch_accs[0])),
        ]
    if n == NUM_CLASSES:
        mistakes.append(Mistake("argmax_wrong_axis", "予測の argmax の軸が違います: クラスの軸（axis=1）で取ります。",
                                "The prediction's argmax runs over the wrong axis: take it over the classes, axis=1.",
                                lambda c: (loss, float(np.mean(scores.argmax(axis=0) == y)))))
    return (loss, acc), mistakes


class EvaluateCheck(FunctionCheck):
    """The run step is FunctionCheck's (one call per stand-in network, its largest batch seen);
    the judge compares the pair (loss, accuracy)."""

    def judge(self, results):
        if results.facts["missing"]:
            raise lost_parameters(self.name, results.facts["missing"])
        for case, outcome in zip(self.cases(results.seed), results.steps):
            label = tr(ja=f"evaluate（{case.what_ja}）", en=f"evaluate ({case.what_en})")
            if outcome.status != "returned":
                raise Failure(call_failure(label, outcome))
            items = outcome.value.get("items") if outcome.value["kind"] == "sequence" else None
            if items is None or len(items) != 2:
                raise Failure(tr(ja=f"{label} は (損失, 正解率) の 2 つを返してください（{outcome.value['type']} が返されました）。",
                                 en=f"{label} must return the pair (loss, accuracy), not {outcome.value['type']}."))
            got = (to_number(label, items[0]), to_number(label, items[1]))
            (loss, acc), mistakes = evaluate_answer(case)
            batch = case.kwargs.get("batch_size")
            if np.allclose(got, (loss, acc), rtol=1e-6, atol=1e-9):
                largest = outcome.seen["largest_batch"]
                if batch is not None and largest > batch:
                    raise Failure(tr(
                        ja=f"{label}: net.forward に {largest} 枚をまとめて渡しています。batch_size = {batch} 枚ずつに分けてください（大きなデータでもメモリに収まるように）。",
                        en=f"{label}: net.forward got {largest} images at once. Go batch_size = {batch} images at a time (so that a large data set fits in memory)."))
                continue
            mistake = next((m for m in mistakes if np.allclose(got, m.wrong(case), rtol=1e-6, atol=1e-9)), None)
            hint = mistake.text() if mistake else ""
            raise Failure(tr(
                ja=f"{label} の答えが違います: 期待 (損失 {loss:.6g}, 正解率 {acc:.6g})、あなたの値 ({got[0]:.6g}, {got[1]:.6g})。{hint}",
                en=f"{label} gave a wrong answer: expected (loss {loss:.6g}, accuracy {acc:.6g}), got ({got[0]:.6g}, {got[1]:.6g}). {hint}").rstrip(),
                mistake and mistake.key)
        return tr(ja=f"✓ {self.name}: すべてのケースで正解です。", en=f"✓ {self.name}: all cases passed.")


EVALUATE = EvaluateCheck(
    "evaluate", "Check ``evaluate(net, x, y, batch_size=256) -> (mean loss, accuracy)`` on stand-in networks\n"
    "    with known scores: batch by batch, the smaller last batch weighted right.",
    evaluate_cases, None, None, keywords=("batch_size",), strict=False,
    observe=lambda case: {"largest_batch": int(case.args[0].largest_batch)})

CHECKS = [ConvNetCheck(), EVALUATE]
