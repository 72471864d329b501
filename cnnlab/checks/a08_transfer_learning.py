"""08_transfer_learning: a hold-out split without leakage, freezing and fine-tuning by per-parameter
learning rates, an in-place SGD step, and the choice of a model by its validation accuracy.

The graded API (documented in the notebook and docs/curriculum.md):
  holdout_split(x, y, val_fraction=0.2, rng=0) -> (x_train, y_train, x_val, y_val)
      shuffled together (pairs kept), n_train = floor(N·(1 − val_fraction)), every example once
  learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1) -> {name: rate}
      "scratch": every rate lr; "feature_extraction": features 0, the rest lr;
      "fine_tuning": features lr·fine_tune_factor, the rest lr; another mode: ValueError
  sgd_step(params, grads, lrs) -> None; params[k] -= lrs[k]·grads[k] in place, the very arrays
  pick_model(results) -> the name whose results[name]["val_acc"] is the largest

Every check starts from a hand-worked case; a mistake is a computation (what a student with that
mistake returns, or a test on what they returned) under a stable key.
"""

import math

import numpy as np

from ..language import tr
from .calling import Results, call, lost_parameters, missing_keywords, plain, rebuild
from .core import Case, Failure, Mistake, time_limit
from .judging import call_failure

MODES = ("scratch", "feature_extraction", "fine_tuning")


def _call(name, fn, case, guard_inputs=True):
    return call(name, fn, case.args, case.kwargs, limit=time_limit(), refuse_cnnlab=True, guard_inputs=guard_inputs)


def _judge_call(name, outcome, case):
    if outcome.status != "returned":
        raise Failure(call_failure(name, outcome, case))


def where(case):
    """The case in a message: what it tries, and its keyword arguments (dicts of arrays stay out)."""
    extra = "".join(f", {k}={v!r}" for k, v in case.kwargs.items())
    return tr(ja=f"（ケース: {case.what_ja}{extra}）", en=f" (case: {case.what_en}{extra})")


def _named(mistake, case):
    return Failure(mistake.text() + where(case), mistake.key)


class _Check:
    """A check of one function on a ladder of cases; subclasses give ``cases``, ``observe`` (one
    case's plain outcomes) and ``judge_case``."""

    name = doc = ""
    keywords = ()

    @property
    def params(self):
        return (self.name,)

    def run(self, fn, seed=None):
        missing = missing_keywords(fn, self.name, self.keywords)
        results = Results(self.name, seed, facts={"missing": missing})
        if missing:
            return results
        for case in self.cases(seed):
            outcomes = self.observe(fn, case)
            results.steps.append(outcomes)
            if any(o.status in ("timeout", "not_implemented", "calls_cnnlab") for o in outcomes):
                break
        return results

    def judge(self, results):
        if results.facts["missing"]:
            raise lost_parameters(self.name, results.facts["missing"])
        cases = self.cases(results.seed)
        for case, outcomes in zip(cases, results.steps):
            self.judge_case(case, outcomes)
        if len(results.steps) < len(cases):
            raise ValueError(f"incomplete results for {self.name}: {len(results.steps)} of {len(cases)} cases")
        return tr(ja=f"✓ {self.name}: {len(cases)} ケースすべて正解です。", en=f"✓ {self.name}: all {len(cases)} cases passed.")


# ---------------------------------------------------------------------------------------------
# holdout_split: the lecture's zip-shuffle and 8:2 split.


def split_data(n, classes, shape):
    """x whose every row is its own index (row i: i + 0, 0.25, ...), labels sorted by class as a
    folder of images gives them (the class of row i is i·classes // n)."""
    size = int(np.prod(shape))
    x = (np.arange(n)[:, None] + np.arange(size)[None, :] / (4 * size)).reshape((n, *shape))
    y = (np.arange(n) * classes // n).astype(np.int64)
    return x, y


def holdout_cases(seed):
    specs = [("講義の 8:2（N = 10、5 クラス、クラス順に並んだデータ）", "the lecture's 8:2 (N = 10, 5 classes, sorted by class)", 10, 5, (1, 2, 2), 0.2, 0),
             ("N = 7: 7·0.8 = 5.6 → 訓練 5 枚（切り捨て）", "N = 7: 7·0.8 = 5.6 -> 5 training examples (floor)", 7, 2, (3,), 0.2, 1),
             ("N = 40、4 クラス、半分ずつ", "N = 40, 4 classes, half and half", 40, 4, (1, 2, 2), 0.5, 2),
             ("N = 23、val_fraction = 0.25", "N = 23, val_fraction = 0.25", 23, 3, (2, 2), 0.25, 3)]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(3):
            n, classes = int(rng.integers(12, 60)), int(rng.integers(2, 6))
            specs.append(("ランダムな N と割合", "a random N and fraction", n, classes, (1, 3, 3),
                          float(rng.choice([0.1, 0.2, 0.25, 0.3])), int(rng.integers(0, 1000))))
    cases = []
    for ja, en, n, classes, shape, fraction, r in specs:
        x, y = split_data(n, classes, shape)
        cases.append(Case(ja, en, (x, y), {"val_fraction": fraction, "rng": r}, {"n_train": math.floor(n * (1 - fraction))}))
    return cases


def holdout_size_mistakes(case):
    n, fraction, n_train = len(case.args[1]), case.kwargs["val_fraction"], case.extra["n_train"]
    floor_val = math.floor(n * fraction)
    return [
        Mistake("rounded", f"訓練データの数を四捨五入しています: 講義のとおり math.floor(N·(1 − val_fraction)) = {n_train} で切り捨てます。",
                f"You rounded the number of training examples: as in the lecture it is math.floor(N·(1 − val_fraction)) = {n_train}.",
                lambda c: round(n * (1 - fraction))),
        Mistake("val_floored", f"検証用データの数 floor(N·val_fraction) = {floor_val} を先に決めています: 切り捨てるのは訓練データの数 floor(N·(1 − val_fraction)) = {n_train} で、残りが検証用です。",
                f"You floored the validation count, floor(N·val_fraction) = {floor_val}: floor the training count, floor(N·(1 − val_fraction)) = {n_train}; the rest is validation.",
                lambda c: n - floor_val),
        Mistake("sizes_swapped", "訓練データと検証用データの大きさが逆です: 訓練データが (1 − val_fraction) の側です。",
                "Training and validation sizes are swapped: the training split is the (1 − val_fraction) part.",
                lambda c: n - n_train),
    ]


HOLDOUT_MISTAKES = {
    "shuffled_in_place": ("呼び出し側の x と y をその場でシャッフルしています（np.random.shuffle(x) など）: 元のデータの順番が変わってしまいます。並べ替えた番号（rng.permutation(N)）で新しい配列を作ってください。",
                          "You shuffled the caller's x and y in place (np.random.shuffle(x), ...): the original data changed order. Build new arrays from a shuffled index (rng.permutation(N))."),
    "overlap": ("訓練データと検証用データに同じ例が入っています（リーク）: 検証用データの画像で学習すると、検証の正解率が良く見えるだけになります。シャッフルした後、前の n_train 個と残りに分けます。",
                "The same examples are in both the training and the validation split (leakage): a model trained on validation images gets a flattering validation score. After shuffling, split into the first n_train and the rest."),
    "missing": ("どちらの分割にも入らない例、または 2 回入る例があります: すべての例をちょうど 1 回ずつ使います。",
                "Some examples are in neither split, or twice: use every example exactly once."),
    "labels_misaligned": ("x と y を別々にシャッフルしたので、画像とラベルの対応が崩れています: 講義の zip のように、同じ並べ替えを x と y の両方に使います（idx = rng.permutation(N); x[idx], y[idx]）。",
                          "x and y were shuffled separately, so the labels no longer belong to their images: use one shuffle for both, like the lecture's zip (idx = rng.permutation(N); x[idx], y[idx])."),
    "not_shuffled": ("シャッフルしていません: クラス順に並んだデータ（画像フォルダから読むとこうなります）では、最後のクラスが検証用データにしか入りません。分ける前にシャッフルします。",
                     "The data were not shuffled: with data sorted by class (as read from a folder of images) the last classes land only in the validation split. Shuffle before splitting."),
    "not_reproducible": ("同じ rng で呼んでも結果が変わります: np.random.shuffle のような共有の乱数ではなく、np.random.default_rng(rng) を使ってください（実験を再現できるように）。",
                         "The same rng gives a different split each call: use np.random.default_rng(rng), not NumPy's shared random state (np.random.shuffle), so that the experiment can be repeated."),
    "rng_ignored": ("rng を変えても分け方が変わりません: rng を乱数の種として使ってください（np.random.default_rng(rng)）。",
                    "A different rng gives the same split: use rng as the seed (np.random.default_rng(rng))."),
}


def holdout_mistake(key):
    ja, en = HOLDOUT_MISTAKES[key]
    return Mistake(key, ja, en, None)


class HoldoutSplitCheck(_Check):
    """Check ``holdout_split(x, y, val_fraction=0.2, rng=0) -> (x_train, y_train, x_val, y_val)``:
    one shuffle for x and y, n_train = floor(N·(1 − val_fraction)), no example in both splits,
    reproducible for one rng, the caller's arrays untouched."""

    name, keywords = "holdout_split", ("val_fraction", "rng")
    doc = __doc__
    cases = staticmethod(holdout_cases)

    def observe(self, fn, case):
        first, _ = _call(self.name, fn, case)
        if first.status != "returned":
            return [first]
        again, _ = _call(self.name, fn, case)
        other = Case(case.what_ja, case.what_en, case.args, {**case.kwargs, "rng": case.kwargs["rng"] + 1})
        different, _ = _call(self.name, fn, other)
        return [first, again, different]

    def _split(self, outcome, case):
        """(train ids, y_train, val ids, y_val) from the returned arrays, or a Failure."""
        x, _ = case.args
        value = rebuild(outcome.value)
        if not isinstance(value, list) or len(value) != 4:
            raise Failure(tr(ja=f"holdout_split は 4 つの配列 (x_train, y_train, x_val, y_val) を返します{where(case)}。",
                             en=f"holdout_split returns four arrays (x_train, y_train, x_val, y_val){where(case)}."))
        try:
            xt, yt, xv, yv = (np.asarray(v, dtype=np.float64) for v in value)
        except (TypeError, ValueError):
            raise Failure(tr(ja="holdout_split の戻り値が数の配列になっていません。", en="holdout_split did not return arrays of numbers.")) from None
        ids = []
        for xs, ys, label in ((xt, yt, "x_train"), (xv, yv, "x_val")):
            if xs.shape[1:] != x.shape[1:] or len(xs) != len(ys) or ys.ndim != 1:
                raise Failure(tr(
                    ja=f"{label} の形 {xs.shape} とラベルの形 {ys.shape} が合いません: x は (N, {', '.join(map(str, x.shape[1:]))}) の一部、y は (N,) の一部です{where(case)}。",
                    en=f"{label} has shape {xs.shape} and its labels {ys.shape}: x splits into (n, {', '.join(map(str, x.shape[1:]))}) and y into (n,){where(case)}."))
            found = np.floor(xs.reshape(len(xs), -1)[:, 0] + 1e-9).astype(int) if len(xs) else np.zeros(0, int)
            if len(xs) and (found.min() < 0 or found.max() >= len(x) or not np.allclose(xs, x[found])):
                raise Failure(tr(ja=f"{label} に入力 x にない行があります: 画像の中身は変えずに、行（例）の順番だけを並べ替えます{where(case)}。",
                                 en=f"{label} holds rows that are not rows of x: reorder the examples, never change them{where(case)}."))
            ids.append(found)
        return ids[0], yt, ids[1], yv

    def judge_case(self, case, outcomes):
        first = outcomes[0]
        if first.status == "modified_input":
            raise _named(holdout_mistake("shuffled_in_place"), case)
        _judge_call(self.name, first, case)
        _, y = case.args
        n, n_train = len(y), case.extra["n_train"]
        train, yt, val, yv = self._split(first, case)
        both = np.concatenate([train, val])
        if np.intersect1d(train, val).size:
            raise _named(holdout_mistake("overlap"), case)
        if len(train) != n_train:
            if len(both) == n and len(np.unique(both)) == n:
                mistake = next((m for m in holdout_size_mistakes(case) if m.wrong(case) == len(train)), None)
                if mistake is not None:
                    raise _named(mistake, case)
            raise Failure(tr(
                ja=f"訓練データが {len(train)} 個、検証用データが {len(val)} 個です: N = {n} なら訓練 {n_train} 個（floor(N·(1 − val_fraction))）、検証 {n - n_train} 個です{where(case)}。",
                en=f"{len(train)} training and {len(val)} validation examples: with N = {n} it is {n_train} training (floor(N·(1 − val_fraction))) and {n - n_train} validation{where(case)}."))
        if len(both) != n or len(np.unique(both)) != n:
            raise _named(holdout_mistake("missing"), case)
        if not (np.array_equal(yt, y[train]) and np.array_equal(yv, y[val])):
            raise _named(holdout_mistake("labels_misaligned"), case)
        if np.array_equal(train, np.arange(n_train)):
            raise _named(holdout_mistake("not_shuffled"), case)
        again, different = outcomes[1], outcomes[2]
        if again.status != "returned" or different.status != "returned":
            _judge_call(self.name, again if again.status != "returned" else different, case)
        if self._split(again, case)[0].tolist() != train.tolist():
            raise _named(holdout_mistake("not_reproducible"), case)
        if n >= 10 and self._split(different, case)[0].tolist() == train.tolist():
            raise _named(holdout_mistake("rng_ignored"), case)


# ---------------------------------------------------------------------------------------------
# learning_rates: freezing is a rate of 0, fine-tuning a smaller rate for the pre-trained layers.

NET_NAMES = ["0.W", "0.b", "3.W", "3.b", "7.W", "7.b"]   # the notebook's network: conv, conv, affine
NET_FEATURES = ["0.W", "0.b", "3.W", "3.b"]


def rates_cases(seed):
    cases = []
    for mode in MODES:
        cases.append(Case(f"講義のネットワーク、{mode}、lr = 0.1", f"the lecture's network, {mode}, lr = 0.1",
                          (list(NET_NAMES), list(NET_FEATURES), mode, 0.1)))
    cases.append(Case("fine_tuning、fine_tune_factor = 0.25、特徴は 1 層だけ", "fine_tuning, fine_tune_factor = 0.25, one feature layer",
                      (list(NET_NAMES), ["0.W", "0.b"], "fine_tuning", 0.2), {"fine_tune_factor": 0.25}))
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(3):
            layers = int(rng.integers(2, 5))
            names = [f"{i}.{p}" for i in range(layers) for p in ("W", "b")]
            cut = 2 * int(rng.integers(1, layers))
            cases.append(Case("ランダムな層の数と学習率", "a random number of layers and rates",
                              (names, names[:cut], str(rng.choice(MODES)), float(rng.choice([0.5, 0.05, 0.003]))),
                              {"fine_tune_factor": float(rng.choice([0.1, 0.2, 0.01]))}))
    return cases


def rates(names, features, lr, feature_rate, head_rate=None):
    head_rate = lr if head_rate is None else head_rate
    return {k: (feature_rate if k in features else head_rate) for k in names}


def expected_rates(case):
    names, features, mode, lr = case.args
    factor = case.kwargs.get("fine_tune_factor", 0.1)
    return rates(names, features, lr, {"scratch": lr, "feature_extraction": 0.0, "fine_tuning": lr * factor}[mode])


def rates_mistakes(case):
    names, features, mode, lr = case.args
    factor = case.kwargs.get("fine_tune_factor", 0.1)
    fe, ft = mode == "feature_extraction", mode == "fine_tuning"
    return [
        Mistake("classifier_frozen", "凍結する層が逆です: 特徴抽出では学習済みの畳み込み層（feature_names）を 0 にして凍結し、新しい全結合層（分類器）を学習します。",
                "You froze the wrong layers: feature extraction freezes the pre-trained convolution layers (feature_names, rate 0) and trains the new classifier.",
                lambda c: rates(names, features, lr, lr, 0.0) if fe else None),
        Mistake("frozen_slightly", "特徴抽出で凍結する層がまだ少し学習されます（学習率が 0 でない）: 凍結とは学習率ちょうど 0、少しも更新しないことです。",
                "The frozen layers still learn, slightly (their rate is not 0): frozen means a rate of exactly 0, no update at all.",
                lambda c: rates(names, features, lr, lr * factor) if fe else None),
        Mistake("fine_tuning_full_rate", "ファインチューニングの学習済みの層が元の学習率のままです: lr·fine_tune_factor に下げて、学習済みの特徴を壊さないように少しずつ動かします。",
                "Fine-tuning keeps the full rate for the pre-trained layers: use lr·fine_tune_factor, so the learned features move only a little.",
                lambda c: rates(names, features, lr, lr) if ft else None),
        Mistake("fine_tuning_all_slow", "ファインチューニングで新しい分類器まで遅くしています: 分類器はランダムな重みから始まるので lr のまま、下げるのは学習済みの層（feature_names）だけです。",
                "Fine-tuning slows the new classifier down too: it starts from random weights and keeps lr; only the pre-trained layers (feature_names) get lr·fine_tune_factor.",
                lambda c: rates(names, features, lr * factor, lr * factor) if ft else None),
        Mistake("factor_divided", "lr を fine_tune_factor で割っています（速くなっています）: 掛けてください。",
                "You divided lr by fine_tune_factor (a faster rate): multiply.",
                lambda c: rates(names, features, lr, lr / factor) if ft else None),
        Mistake("fine_tuning_frozen", "ファインチューニングで学習済みの層を凍結しています（学習率 0）: それは特徴抽出です。ファインチューニングは全部の層を、学習済みの層は小さい学習率で学習します。",
                "Fine-tuning froze the pre-trained layers (rate 0): that is feature extraction. Fine-tuning trains every layer, the pre-trained ones at a smaller rate.",
                lambda c: rates(names, features, lr, 0.0) if ft else None),
        Mistake("scratch_not_full", "scratch（転移なし）ではすべての層を同じ lr で学習します。",
                "scratch (no transfer) trains every layer at the same rate lr.",
                lambda c: rates(names, features, lr, 0.0) if mode == "scratch" else None),
    ]


class LearningRatesCheck(_Check):
    """Check ``learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1) -> {name: rate}``:
    scratch all lr; feature_extraction features 0; fine_tuning features lr·fine_tune_factor; an
    unknown mode raises ValueError."""

    name, keywords = "learning_rates", ("fine_tune_factor",)
    doc = __doc__
    cases = staticmethod(rates_cases)

    def observe(self, fn, case):
        outcome, _ = _call(self.name, fn, case)
        bad = Case("知らない mode", "an unknown mode", (case.args[0], case.args[1], "fine-tune", 0.1))
        raised, _ = _call(self.name, fn, bad) if case.args[2] == "scratch" else (None, None)
        return [outcome] + ([raised] if raised is not None else [])

    @staticmethod
    def _rates(value, names, case):
        got = rebuild(value)
        if not isinstance(got, dict):
            raise Failure(tr(ja=f"learning_rates は {{パラメータ名: 学習率}} の dict を返します（{type(got).__name__} が返りました）。",
                             en=f"learning_rates returns a dict {{parameter name: rate}} (got {type(got).__name__})."))
        missing = [k for k in names if k not in got]
        if missing or len(got) != len(names):
            raise Failure(tr(ja=f"dict のキーは param_names のすべての名前、ちょうどそれだけです（足りない: {missing}）{where(case)}。",
                             en=f"The dict's keys are exactly the names of param_names, every one (missing: {missing}){where(case)}."))
        try:
            return {k: float(got[k]) for k in names}
        except (TypeError, ValueError):
            raise Failure(tr(ja="学習率は数にしてください。", en="Every rate must be a number.")) from None

    def judge_case(self, case, outcomes):
        outcome = outcomes[0]
        _judge_call(self.name, outcome, case)
        names = case.args[0]
        got = self._rates(outcome.value, names, case)
        want = expected_rates(case)
        same = lambda a, b: all(np.isclose(a[k], b[k], rtol=1e-9, atol=0) for k in names)
        if not same(got, want):
            for mistake in rates_mistakes(case):
                wrong = mistake.wrong(case)
                if wrong is not None and same(got, wrong):
                    raise _named(mistake, case)
            shown = ", ".join(f"{k}: {got[k]:g} (→ {want[k]:g})" for k in names if not np.isclose(got[k], want[k]))
            raise Failure(tr(ja=f"学習率が違います: {shown}{where(case)}。", en=f"Wrong rates: {shown}{where(case)}."))
        if len(outcomes) > 1:
            raised = outcomes[1]
            if raised.status == "raised" and "ValueError" in raised.error["mro"]:
                return
            if raised.status in ("returned", "raised"):
                raise Failure(tr(ja="mode が \"scratch\"、\"feature_extraction\"、\"fine_tuning\" のどれでもないときは raise ValueError(...) にしてください（\"fine-tune\" のような書き間違いを黙って通さないために）。",
                                 en="When mode is none of \"scratch\", \"feature_extraction\", \"fine_tuning\", raise ValueError(...): a typo such as \"fine-tune\" must not pass silently."), "unknown_mode_accepted")
            _judge_call(self.name, raised, case)


# ---------------------------------------------------------------------------------------------
# sgd_step: p -= lr·g on the very arrays of the network.


def step_cases(seed):
    cases = [Case("手で計算できる例: 0.W は凍結（0）、0.b は 0.01、1.W は 0.1", "a hand-worked example: 0.W frozen (0), 0.b at 0.01, 1.W at 0.1",
                  ({"0.W": np.array([1.0, -2.0]), "0.b": np.array([0.5]), "1.W": np.array([[1.0, 2.0], [3.0, 4.0]])},
                   {"0.W": np.array([10.0, 10.0]), "0.b": np.array([-10.0]), "1.W": np.array([[1.0, -1.0], [2.0, 0.0]])},
                   {"0.W": 0.0, "0.b": 0.01, "1.W": 0.1})),
             Case("float32 の重み、ファインチューニングの学習率", "float32 weights, fine-tuning rates",
                  ({"0.W": np.full((2, 1, 3, 3), 0.5, np.float32), "0.b": np.zeros(2, np.float32), "3.W": np.ones((4, 3), np.float32)},
                   {"0.W": np.full((2, 1, 3, 3), 2.0, np.float32), "0.b": np.ones(2, np.float32), "3.W": np.full((4, 3), -1.0, np.float32)},
                   {"0.W": 0.01, "0.b": 0.01, "3.W": 0.1}))]
    if seed is not None:
        rng = np.random.default_rng(seed)
        shapes = {"0.W": (3, 1, 2, 2), "0.b": (3,), "2.W": (12, 4), "2.b": (4,)}
        for rates in ({"0.W": 0.0, "0.b": 0.0, "2.W": 0.05, "2.b": 0.05}, {"0.W": 0.003, "0.b": 0.003, "2.W": 0.03, "2.b": 0.03}):
            cases.append(Case("ランダムな重みと勾配", "random weights and gradients",
                              ({k: rng.normal(size=s) for k, s in shapes.items()}, {k: rng.normal(size=s) for k, s in shapes.items()}, rates)))
    return cases


def expected_step(case):
    """{name: params[name] − lrs[name]·grads[name]} for a case of sgd_step."""
    params, grads, lrs = case.args
    return {k: params[k] - lrs[k] * grads[k] for k in params}


STEP_MISTAKES = {
    "copies": ("重みの配列そのものが変わっていません: params[k] = params[k] − ... は dict に新しい配列を入れるだけで、ネットワークの層が使っている配列は古いままです。その場で更新します: params[k] -= ...。",
               "The weight arrays themselves did not change: params[k] = params[k] − ... only puts a new array in the dict, and the network's layers keep using the old one. Update in place: params[k] -= ...."),
    "frozen_updated": ("学習率 0 のパラメータ（凍結した層）が更新されています: パラメータごとに lrs[k] を使ってください。凍結した層は少しも動いてはいけません。",
                       "A parameter with rate 0 (a frozen layer) was updated: use each parameter's own lrs[k]. A frozen layer must not move at all."),
    "one_rate": ("すべてのパラメータを同じ学習率で更新しています: パラメータごとに lrs[k] を使ってください（ファインチューニングでは学習済みの層だけ小さく）。",
                 "Every parameter was updated with the same rate: use each parameter's own lrs[k] (in fine-tuning only the pre-trained layers are slower)."),
    "ascent": ("勾配の向きに進んでいます（損失が増えます）: p ← p − lr·g、引き算です。",
               "You stepped up the gradient (the loss grows): p ← p − lr·g, a subtraction."),
    "changed_grads": ("grads か lrs を書き換えています: 変えてよいのは params の配列だけです。",
                      "You changed grads or lrs: only the arrays of params may change."),
}


def step_mistake(key):
    ja, en = STEP_MISTAKES[key]
    return Mistake(key, ja, en, None)


class SgdStepCheck(_Check):
    """Check ``sgd_step(params, grads, lrs)``: every ``params[k] -= lrs[k] * grads[k]`` in place, on
    the very arrays (the network's), a rate of 0 leaving its array exactly as it was."""

    name = "sgd_step"
    doc = __doc__
    cases = staticmethod(step_cases)

    def observe(self, fn, case):
        params = {k: v.copy() for k, v in case.args[0].items()}
        arrays = dict(params)
        grads = {k: v.copy() for k, v in case.args[1].items()}
        lrs = dict(case.args[2])
        outcome, _ = call(self.name, fn, (params, grads, lrs), limit=time_limit(), refuse_cnnlab=True, guard_inputs=False)
        outcome.seen = {"arrays": plain(arrays), "dict": plain(params),
                        "other_changed": lrs != case.args[2] or any(not np.array_equal(grads[k], v) for k, v in case.args[1].items())}
        return [outcome]

    def judge_case(self, case, outcomes):
        outcome = outcomes[0]
        _judge_call(self.name, outcome, case)
        params, grads, lrs = case.args
        want = expected_step(case)
        arrays, current = rebuild(outcome.seen["arrays"]), rebuild(outcome.seen["dict"])
        if outcome.seen["other_changed"]:
            raise _named(step_mistake("changed_grads"), case)
        close = lambda got: all(isinstance(got.get(k), np.ndarray) and got[k].shape == want[k].shape and
                                np.allclose(got[k], want[k], rtol=1e-6, atol=1e-7) for k in params)
        frozen_ok = all(np.array_equal(arrays[k], params[k].astype(arrays[k].dtype)) for k in params if lrs[k] == 0)
        if close(arrays) and frozen_ok and all(arrays[k].dtype == params[k].dtype for k in params):
            return
        if not close(arrays) and all(np.array_equal(arrays[k], params[k]) for k in params) \
                and isinstance(current, dict) and any(not np.array_equal(np.asarray(current.get(k)), params[k]) for k in params):
            raise _named(step_mistake("copies"), case)
        if not frozen_ok:
            raise _named(step_mistake("frozen_updated"), case)
        if all(np.allclose(arrays[k], params[k] + lrs[k] * grads[k], rtol=1e-6, atol=1e-7) for k in params):
            raise _named(step_mistake("ascent"), case)
        if len(set(lrs.values())) > 1 and any(all(np.allclose(arrays[k], params[k] - r * grads[k], rtol=1e-6, atol=1e-7) for k in params)
                                              for r in set(lrs.values())):
            raise _named(step_mistake("one_rate"), case)
        wrong = [k for k in params if not np.allclose(arrays[k], want[k], rtol=1e-6, atol=1e-7)]
        raise Failure(tr(ja=f"更新後の値が違います: {wrong}。params[k] ← params[k] − lrs[k]·grads[k] です{where(case)}。",
                         en=f"Wrong values after the step: {wrong}. It is params[k] ← params[k] − lrs[k]·grads[k]{where(case)}."))


# ---------------------------------------------------------------------------------------------
# pick_model: the validation split chooses; the test split is looked at once, at the end.


def pick_cases(seed):
    lecture = {"scratch": {"train_acc": 1.00, "val_acc": 0.80, "test_acc": 0.70},
               "feature_extraction": {"train_acc": 0.90, "val_acc": 0.85, "test_acc": 0.74},
               "fine_tuning": {"train_acc": 0.98, "val_acc": 0.83, "test_acc": 0.78}}
    cases = [Case("講義の 3 つのモデル", "the lecture's three models", (lecture,)),
             Case("順番を変えて", "in another order", ({k: lecture[k] for k in ("fine_tuning", "scratch", "feature_extraction")},)),
             Case("モデルが 4 つ", "four models", ({"a": {"train_acc": 0.6, "val_acc": 0.55, "test_acc": 0.9},
                                                   "b": {"train_acc": 0.9, "val_acc": 0.7, "test_acc": 0.6},
                                                   "c": {"train_acc": 1.0, "val_acc": 0.5, "test_acc": 0.5},
                                                   "d": {"train_acc": 0.7, "val_acc": 0.65, "test_acc": 0.7}},))]
    if seed is not None:
        rng = np.random.default_rng(seed)
        for _ in range(3):
            n = int(rng.integers(3, 7))
            accs = rng.permutation(np.arange(30, 100, dtype=float))[:3 * n].reshape(3, n) / 100
            cases.append(Case("ランダムな正解率", "random accuracies",
                              ({f"model{i}": {"train_acc": accs[0, i], "val_acc": accs[1, i], "test_acc": accs[2, i]} for i in range(n)},)))
    return cases


def pick_mistakes(case):
    (results,) = case.args
    best = lambda key, sign=1: max(results, key=lambda k: sign * results[k][key])
    return [
        Mistake("chose_by_test", "テスト用データの正解率で選んでいます: テスト用データはモデルを選んだ後に 1 回だけ使います。テストで選ぶと、テストの正解率は汎化性能の推定として楽観的すぎます（テストの画像を学習に使うのと同じ、ずるです）。検証用データ（val_acc）で選んでください。",
                "You chose by the test accuracy: the test split is used once, after the choice. Choosing by it makes the test accuracy an over-optimistic estimate of generalisation (the same cheat as training on test images). Choose by the validation accuracy (val_acc).",
                lambda c: best("test_acc")),
        Mistake("chose_by_train", "訓練データの正解率で選んでいます: 訓練データを覚えた（過学習した）モデルが選ばれます。検証用データ（val_acc）で選んでください。",
                "You chose by the training accuracy: the model that memorised its training data (overfitting) wins. Choose by the validation accuracy (val_acc).",
                lambda c: best("train_acc")),
        Mistake("chose_lowest", "val_acc が一番小さいモデルを選んでいます: 正解率は大きいほど良いので、最大を選びます。",
                "You chose the smallest val_acc: accuracy is better when larger, so take the maximum.",
                lambda c: best("val_acc", -1)),
    ]


class PickModelCheck(_Check):
    """Check ``pick_model(results) -> name``: the model with the largest ``results[name]["val_acc"]``,
    never chosen by test_acc."""

    name = "pick_model"
    doc = __doc__
    cases = staticmethod(pick_cases)

    def observe(self, fn, case):
        outcome, _ = _call(self.name, fn, case)
        return [outcome]

    def judge_case(self, case, outcomes):
        outcome = outcomes[0]
        _judge_call(self.name, outcome, case)
        (results,) = case.args
        got = rebuild(outcome.value)
        want = max(results, key=lambda k: results[k]["val_acc"])
        if got == want:
            return
        if not isinstance(got, str) or got not in results:
            raise Failure(tr(ja=f"pick_model はモデルの名前（results のキー、例: {want!r}）を返します（{got!r} が返りました）。",
                             en=f"pick_model returns a model's name (a key of results, such as {want!r}); got {got!r}."))
        for mistake in pick_mistakes(case):
            if mistake.wrong(case) == got:
                raise _named(mistake, case)
        raise Failure(tr(ja=f"選ぶのは val_acc が最大の {want!r} です（{got!r} が返りました）。", en=f"The choice is {want!r}, the largest val_acc; got {got!r}."))


CHECKS = [HoldoutSplitCheck(), LearningRatesCheck(), SgdStepCheck(), PickModelCheck()]
