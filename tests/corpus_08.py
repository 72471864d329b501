"""Student answers for 08_transfer_learning, right in several styles and wrong with every named
mistake (``named`` in the English feedback, ``named_ja`` in the Japanese). Used in-process by
tests/test_transfer_learning.py in both languages and autograded there in one nbgrader run.
"""

from corpus import right, wrong

HOLDOUT_SPLIT = [
    right("holdout_split", "one permutation, floor", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    order = np.random.default_rng(rng).permutation(len(x))
    n_train = math.floor(len(x) * (1 - val_fraction))
    x, y = x[order], y[order]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
"""),
    right("holdout_split", "the lecture's zip", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    pairs = list(zip(x, y))
    np.random.default_rng(rng).shuffle(pairs)
    xs, ys = zip(*pairs)
    tr_num = math.floor(len(xs) * (1 - val_fraction))
    return np.asarray(xs[:tr_num]), np.asarray(ys[:tr_num]), np.asarray(xs[tr_num:]), np.asarray(ys[tr_num:])
"""),
    right("holdout_split", "int() and a boolean mask", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    gen = np.random.default_rng(rng)
    idx = gen.permutation(len(y))
    n_train = int(len(y) * (1 - val_fraction))
    is_train = np.zeros(len(y), bool)
    is_train[idx[:n_train]] = True
    return x[idx[:n_train]], y[idx[:n_train]], x[idx[n_train:]], y[idx[n_train:]]
"""),
    wrong("holdout_split", "x and y shuffled separately", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    gen = np.random.default_rng(rng)
    xs, ys = gen.permutation(x), gen.permutation(y)
    n = math.floor(len(x) * (1 - val_fraction))
    return xs[:n], ys[:n], xs[n:], ys[n:]
""", "shuffled separately", "別々にシャッフル"),
    wrong("holdout_split", "not shuffled", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    n = math.floor(len(x) * (1 - val_fraction))
    return x[:n], y[:n], x[n:], y[n:]
""", "not shuffled", "シャッフルしていません"),
    wrong("holdout_split", "validation images also in training", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    order = np.random.default_rng(rng).permutation(len(x))
    n = math.floor(len(x) * (1 - val_fraction))
    return x[order], y[order], x[order[n:]], y[order[n:]]
""", "leakage", "リーク"),
    wrong("holdout_split", "in-place shuffle of the caller's arrays", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    state = np.random.default_rng(rng).bit_generator.state
    for a in (x, y):
        g = np.random.default_rng()
        g.bit_generator.state = state
        g.shuffle(a)
    n = math.floor(len(x) * (1 - val_fraction))
    return x[:n].copy(), y[:n].copy(), x[n:].copy(), y[n:].copy()
""", "in place", "その場で"),
    wrong("holdout_split", "rounded sizes", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    order = np.random.default_rng(rng).permutation(len(x))
    n = round(len(x) * (1 - val_fraction))
    return x[order[:n]], y[order[:n]], x[order[n:]], y[order[n:]]
""", "rounded", "四捨五入"),
    wrong("holdout_split", "NumPy's shared random state", """
def holdout_split(x, y, val_fraction=0.2, rng=0):
    order = np.random.permutation(len(x))
    n = math.floor(len(x) * (1 - val_fraction))
    return x[order[:n]], y[order[:n]], x[order[n:]], y[order[n:]]
""", "same rng gives a different split", "同じ rng で呼んでも結果が変わります"),
]

LEARNING_RATES = [
    right("learning_rates", "a dict comprehension", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    if mode not in ("scratch", "feature_extraction", "fine_tuning"):
        raise ValueError(f"unknown mode {mode!r}")
    feature_rate = {"scratch": lr, "feature_extraction": 0.0, "fine_tuning": lr * fine_tune_factor}[mode]
    return {name: (feature_rate if name in feature_names else lr) for name in param_names}
"""),
    right("learning_rates", "a loop with if/elif", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    rates = {}
    for name in param_names:
        if name not in feature_names or mode == "scratch":
            rates[name] = lr
        elif mode == "feature_extraction":
            rates[name] = 0
        elif mode == "fine_tuning":
            rates[name] = lr * fine_tune_factor
        else:
            raise ValueError("mode must be scratch, feature_extraction or fine_tuning")
    if mode not in ("scratch", "feature_extraction", "fine_tuning"):
        raise ValueError("mode must be scratch, feature_extraction or fine_tuning")
    return rates
"""),
    wrong("learning_rates", "classifier frozen instead of the features", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    if mode not in ("scratch", "feature_extraction", "fine_tuning"):
        raise ValueError(mode)
    if mode == "feature_extraction":
        return {n: (lr if n in feature_names else 0.0) for n in param_names}
    feature_rate = lr * fine_tune_factor if mode == "fine_tuning" else lr
    return {n: (feature_rate if n in feature_names else lr) for n in param_names}
""", "froze the wrong layers", "凍結する層が逆です"),
    wrong("learning_rates", "frozen layers at the small rate", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    if mode not in ("scratch", "feature_extraction", "fine_tuning"):
        raise ValueError(mode)
    small = lr if mode == "scratch" else lr * fine_tune_factor
    return {n: (small if n in feature_names else lr) for n in param_names}
""", "still learn, slightly", "まだ少し学習されます"),
    wrong("learning_rates", "fine-tuning at the full rate", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    if mode not in ("scratch", "feature_extraction", "fine_tuning"):
        raise ValueError(mode)
    if mode == "feature_extraction":
        return {n: (0.0 if n in feature_names else lr) for n in param_names}
    return {n: lr for n in param_names}
""", "keeps the full rate", "元の学習率のまま"),
    wrong("learning_rates", "fine-tuning slows every layer", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    if mode == "scratch":
        return {n: lr for n in param_names}
    if mode == "feature_extraction":
        return {n: (0.0 if n in feature_names else lr) for n in param_names}
    if mode == "fine_tuning":
        return {n: lr * fine_tune_factor for n in param_names}
    raise ValueError(mode)
""", "slows the new classifier", "新しい分類器まで遅く"),
    wrong("learning_rates", "no ValueError for a typo", """
def learning_rates(param_names, feature_names, mode, lr, fine_tune_factor=0.1):
    feature_rate = {"feature_extraction": 0.0, "fine_tuning": lr * fine_tune_factor}.get(mode, lr)
    return {name: (feature_rate if name in feature_names else lr) for name in param_names}
""", "must not pass silently", "黙って通さない"),
]

SGD_STEP = [
    right("sgd_step", "in place with -=", """
def sgd_step(params, grads, lrs):
    for name in params:
        params[name] -= lrs[name] * grads[name]
"""),
    right("sgd_step", "skip frozen, np.subtract out=", """
def sgd_step(params, grads, lrs):
    for name, p in params.items():
        if lrs[name] == 0:
            continue
        np.subtract(p, lrs[name] * grads[name], out=p)
"""),
    wrong("sgd_step", "new arrays in the dict", """
def sgd_step(params, grads, lrs):
    for name in params:
        params[name] = params[name] - lrs[name] * grads[name]
""", "did not change", "変わっていません"),
    wrong("sgd_step", "one rate for every parameter", """
def sgd_step(params, grads, lrs):
    lr = max(lrs.values())
    for name in params:
        params[name] -= lr * grads[name]
""", "rate 0 (a frozen layer) was updated", "凍結した層"),
    wrong("sgd_step", "gradient ascent", """
def sgd_step(params, grads, lrs):
    for name in params:
        params[name] += lrs[name] * grads[name]
""", "stepped up the gradient", "勾配の向きに進んで"),
]

PICK_MODEL = [
    right("pick_model", "max with key", """
def pick_model(results):
    return max(results, key=lambda name: results[name]["val_acc"])
"""),
    right("pick_model", "a loop", """
def pick_model(results):
    best, best_acc = None, -1.0
    for name, r in results.items():
        if r["val_acc"] > best_acc:
            best, best_acc = name, r["val_acc"]
    return best
"""),
    wrong("pick_model", "chose by the test accuracy", """
def pick_model(results):
    return max(results, key=lambda name: results[name]["test_acc"])
""", "chose by the test accuracy", "テスト用データの正解率で選んで"),
    wrong("pick_model", "chose by the training accuracy", """
def pick_model(results):
    return max(results, key=lambda name: results[name]["train_acc"])
""", "chose by the training accuracy", "訓練データの正解率で選んで"),
]

ALL = {"08_transfer_learning": {"holdout_split": HOLDOUT_SPLIT, "learning_rates": LEARNING_RATES,
                                "sgd_step": SGD_STEP, "pick_model": PICK_MODEL}}
