"""Judging plain results: compare with the expected answer, name the mistake, write the message.

Mistakes are compared by their computed answers and known by their keys; no decision here reads
the text of a message or of an exception (an exception's kind was keyed when it was caught).
"""

import numpy as np

from ..language import tr
RTOL = 1e-4
ATOL = 1e-5


def close(got, expected):
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return got.shape == expected.shape and np.allclose(got, expected, rtol=RTOL, atol=ATOL * scale)


# ---------------------------------------------------------------------------------------------
# Which known mistake explains the wrong answers.


def reproduces(mistake, case, got):
    wrong = mistake.wrong(case)
    return wrong is not None and close(got, np.asarray(wrong, dtype=np.float64))


def shows_again(key, case, got, mistakes):
    """The mistake ``key`` explains this later wrong answer too, or makes no difference here."""
    applicable = [m for m in mistakes(case) if m.key == key and m.wrong(case) is not None]
    return not applicable or any(reproduces(m, case, got) for m in applicable)


def diagnose(wrong_cases, mistakes):
    """The known mistake that explains the first wrong answer and every later one, if any.

    ``wrong_cases`` holds (case, got, expected) for every case the student got wrong. A mistake
    must reproduce the first one; among those, one that also shows on the others (where it
    applies) wins, so that two mistakes that agree on one case are told apart by the next.
    """
    case, got, _ = wrong_cases[0]
    matching = [m for m in mistakes(case) if reproduces(m, case, got)]
    for mistake in matching:
        if all(shows_again(mistake.key, c, g, mistakes) for c, g, _ in wrong_cases[1:]):
            return mistake
    return matching[0] if matching else None


def same_non_finite(got, wrong):
    """``got`` is nan/inf exactly where ``wrong`` is, and close to it everywhere else."""
    if wrong is None:
        return False
    wrong = np.asarray(wrong, dtype=np.float64)
    finite = np.isfinite(wrong)
    return (got.shape == wrong.shape and not finite.all() and np.array_equal(np.isfinite(got), finite)
            and close(got[finite], wrong[finite]))


def explain(label, wrong_cases, result_dtype, mistakes, default_hint=None):
    """(message, named mistake or None) for the wrong answers of one function (or one part)."""
    case, got, want = wrong_cases[0]
    mistake = None
    if not np.all(np.isfinite(got)):   # an overflow: matched position by position
        mistake = next((m for m in mistakes(case) if same_non_finite(got, m.wrong(case))), None)
    mistake = mistake or diagnose(wrong_cases, mistakes)
    if got.shape == want.shape and close(got, want):
        # Within the usual tolerance but not within a stricter one (numerical_gradient): show the
        # largest difference, in more digits.
        where = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
        detail = tr(ja=f"位置 {[int(i) for i in where]} で期待 {want[where]:.10g}、あなたの値 {got[where]:.10g}。",
                    en=f"At index {[int(i) for i in where]} expected {want[where]:.10g}, got {got[where]:.10g}.")
        head = tr(ja=f"{label} の答えが違います。ケース: {case.describe()}。", en=f"{label} gave a wrong answer. Case: {case.describe()}.")
        return f"{head}\n  {mistake.text() + ' ' if mistake else ''}{detail}", mistake
    if mistake is not None:
        return wrong_message(label, case, got, want, mistake.text()), mistake
    if got.shape != want.shape:
        return shape_message(label, case, got.shape, want.shape), None
    if result_dtype is not None and np.issubdtype(result_dtype, np.integer) and not np.allclose(want, np.round(want)):
        hint = tr(ja="戻り値が整数の配列なので小数点以下が切り捨てられています。出力は dtype=float で作ってください（np.zeros は float です。np.zeros_like(整数の配列) は整数になります）。",
                  en="Your result is an integer array, so the fractions were cut off. Create the output as floats (np.zeros is float; np.zeros_like of an int array is int).")
        return wrong_message(label, case, got, want, hint), None
    if not np.all(np.isfinite(got)):
        return wrong_message(label, case, got, want, tr(ja="結果に nan か inf が含まれています。", en="Your result contains nan or inf.")), None
    return wrong_message(label, case, got, want, default_hint() if default_hint else None), None


# ---------------------------------------------------------------------------------------------
# Messages.


def shape_message(label, case, got_shape, expected_shape):
    hint = ""
    if len(got_shape) == len(expected_shape) >= 2:
        if tuple(got_shape[:-2]) + tuple(got_shape[-1:-3:-1]) == tuple(expected_shape) and got_shape != expected_shape:
            hint = tr(ja="高さと幅が入れ替わっています（H と W、i と j を取り違えていませんか）。",
                      en="Height and width are swapped (H and W, or i and j, mixed up).")
        else:
            diffs = [g - e for g, e in zip(got_shape[-2:], expected_shape[-2:])]
            if got_shape[:-2] == expected_shape[:-2] and 1 in diffs and all(d in (0, 1) for d in diffs):
                hint = tr(ja="出力が 1 大きいです: 出力サイズを切り上げるか四捨五入（round()）していませんか？端からはみ出すウィンドウは数えないので、切り捨て（//）です: OH = (H + 2·pad − KH) // stride + 1。",
                          en="The output is one larger: did you round the output size up, or round() it? A window that would run past the edge does not count, so it is floor division: OH = (H + 2·pad − KH) // stride + 1.")
            elif got_shape[:-2] == expected_shape[:-2] and any(abs(d) == 1 for d in diffs) and all(abs(d) <= 1 for d in diffs):
                hint = tr(ja="出力サイズが 1 ずれています。OH = (H + 2·pad − KH) // stride + 1（+1 を忘れていませんか？ループの範囲は range(OH) です）。",
                          en="The output size is off by one: OH = (H + 2·pad − KH) // stride + 1 (is the +1 missing? loop over range(OH)).")
    return tr(
        ja=f"{label} の出力の形が違います: 期待 {tuple(expected_shape)}、あなたの出力 {tuple(got_shape)}。ケース: {case.describe()}。{hint}",
        en=f"{label} returned the wrong shape: expected {tuple(expected_shape)}, got {tuple(got_shape)}. Case: {case.describe()}. {hint}",
    ).rstrip()


def wrong_message(label, case, got, expected, hint):
    """The wrong answer: where it differs, the arrays when they are small, and the hint."""
    if got.ndim == expected.ndim == 0:
        if hint is None and not np.isfinite(got):
            hint = tr(ja="結果が nan か inf です。", en="Your result is nan or inf.")
        head = tr(ja=f"{label} の答えが違います: 期待 {float(expected):.6g}、あなたの値 {float(got):.6g}。ケース: {case.describe()}。",
                  en=f"{label} gave a wrong answer: expected {float(expected):.6g}, got {float(got):.6g}. Case: {case.describe()}.")
        return head + (f"\n  {hint}" if hint else "")
    if got.shape == expected.shape and got.size:
        scale = max(1.0, float(np.max(np.abs(expected))))
        bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL * scale)
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
        detail = tr(
            ja=f"位置 {list(where)} で期待 {expected[where]:.6g}、あなたの値 {got[where]:.6g}（{int(bad.sum())} / {bad.size} 個が違います）。",
            en=f"At index {list(where)} expected {expected[where]:.6g}, got {got[where]:.6g} ({int(bad.sum())} of {bad.size} values differ).",
        )
    else:
        detail = tr(ja=f"期待の形 {expected.shape}、あなたの形 {got.shape}。", en=f"Expected shape {expected.shape}, got {got.shape}.")
    arrays = ""
    if expected.size <= 16 and got.size <= 16:
        # Tiny expected values (softmax's 4.5e-05) must not print as 0; otherwise hide float noise.
        tiny = bool(np.any((expected != 0) & (np.abs(expected) < 1e-4)))
        arrays = tr(ja=f"\n  期待:       {_fmt(expected, tiny)}\n  あなたの値: {_fmt(got, tiny)}",
                    en=f"\n  expected: {_fmt(expected, tiny)}\n  got:      {_fmt(got, tiny)}")
    head = tr(ja=f"{label} の答えが違います。ケース: {case.describe()}。", en=f"{label} gave a wrong answer. Case: {case.describe()}.")
    return f"{head}\n  {hint + ' ' if hint else ''}{detail}{arrays}"


def _fmt(a, keep_small=False):
    return np.array2string(a, precision=4, suppress_small=not keep_small, separator=", ").replace("\n", " ")


def call_failure(label, outcome, case=None):
    """The message for a call that did not return normally (see ``Outcome.status``)."""
    where = tr(ja=f"（{case.describe()}）", en=f" ({case.describe()})") if case is not None else ""
    status = outcome.status
    if status == "timeout":
        return tr(ja=f"{label} が {outcome.limit:g} 秒たっても終わりません{where}。無限ループや大きすぎる計算になっていませんか？ループの終わる条件を確かめてください。",
                  en=f"{label} did not finish within {outcome.limit:g} s{where}. Is there an endless loop, or far too much work? Check that every loop ends.")
    if status == "not_implemented":
        return tr(ja=f"{label} はまだ実装されていません: `raise NotImplementedError()` を消して、自分のコードを書いてください。",
                  en=f"{label} is not implemented yet: replace `raise NotImplementedError()` with your code.")
    if status == "calls_cnnlab":
        return tr(ja=f"{label} が cnnlab の関数（{outcome.detail}）を呼んでいます。計算は NumPy で自分で書いてください。cnnlab を呼ぶ答えには点がつきません。",
                  en=f"{label} calls cnnlab ({outcome.detail}). Write the computation yourself with NumPy: answers that call cnnlab get no points.")
    if status == "modified_input":
        return tr(ja=f"{label} が入力の配列を書き換えています{where}。入力はそのままにして、新しい配列を作って返してください（例: x.copy()、np.zeros(...)）。",
                  en=f"{label} modified its input array in place{where}. Leave the inputs untouched and return a new array (x.copy(), np.zeros(...)).")
    if status == "reads_test_split":
        return tr(
            ja="train が data.x_test / data.y_test を使っています。テスト用データは最後の評価のためだけのもので、採点では train に渡されません。学習中の確認には検証用データ（data.x_val, data.y_val）を使ってください。",
            en="train reads data.x_test / data.y_test. The test split is only for the final evaluation, and the check does not give it to train: use the validation split (data.x_val, data.y_val) while training.")
    if status != "raised":
        raise ValueError(f"no failure to describe: status {status!r}")
    error = outcome.error
    line = ""
    if error["line"] is not None:
        code = f": {error['code']}" if error["code"] else ""
        line = tr(ja=f"（{error['line']} 行目{code}）", en=f" (line {error['line']}{code})")
    case_ja, case_en = (f"。ケース: {case.describe()}。", f". Case: {case.describe()}.") if case is not None else ("", "")
    hint = ""
    if error["kind"] == "arguments":
        hint = tr(ja=" 引数の数や名前は配布されたシグネチャのままにしてください。", en=" Keep the parameters of the stub's signature.")
    elif error["kind"] == "number":
        hint = tr(ja=" NumPy 2 の float() は形 () の配列（数 1 つ）しか受け取りません: 形 (1,) の配列は数ではありません。.item() で数を取り出すか、keepdims を付けずに sum や mean をとってください。",
                  en=" In NumPy 2, float() takes an array of shape () only (a single number): an array of shape (1,) is not one. Take the number out with .item(), or sum or mean without keepdims.")
    return tr(ja=f"{label} がエラーを出しました: {error['type']}: {error['message']}{line}{case_ja}{hint}",
              en=f"{label} raised {error['type']}: {error['message']}{line}{case_en}{hint}")
