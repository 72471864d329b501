"""Where to look when no known mistake explains a wrong answer.

The message then points to the tool that finds the mistake, never to the answer: the filter widget
with the student's own function beside the right one (01), the first wrong window recomputed by
hand (the windowed functions), the numerical gradient (06's backward passes).
"""

from ..language import tr


def slide_beside(name):
    """() -> the hint to watch ``name`` slide beside the right convolution in the filter widget."""
    return lambda: tr(
        ja=f"知られている間違いには当てはまりません。自分の関数を正しい関数の隣で動かし、最初に違うウィンドウを探してください: "
           f"from cnnlab.widgets import filter_sliding; filter_sliding(student_fn={name}).",
        en=f"No known mistake matches. Watch your function slide beside the right one and find the first window "
           f"that differs: from cnnlab.widgets import filter_sliding; filter_sliding(student_fn={name}).")


def by_hand(what_ja, what_en):
    """() -> the hint to recompute the first wrong output from its window, ``what`` it does there."""
    return lambda: tr(
        ja=f"知られている間違いには当てはまりません。最初に違う出力を手で計算し直してください: その位置のウィンドウを"
           f"（パディングした）入力から切り出し、{what_ja}、あなたの値と比べます。",
        en=f"No known mistake matches. Recompute the first wrong output by hand: cut its window out of the "
           f"(padded) input, {what_en}, and compare with your value.")


CONVOLVE = by_hand("カーネルと要素ごとに掛けて足し（バイアスも）", "multiply it by the kernel element by element and add it up (and the bias)")
POOL = by_hand("その最大値（平均）を取り", "take its maximum (mean)")
UNFOLD = by_hand("チャネル → 行 → 列の順に 1 行に並べ", "lay it out in one row, channel by channel, row by row")


def numerically(name):
    """() -> the hint to compare ``name`` with centred differences on the smallest case."""
    return lambda: tr(
        ja=f"知られている間違いには当てはまりません。一番小さいケースで数値微分と比べてください: 順伝播 f と上流の勾配 dout で "
           f"numerical_gradient(lambda x: np.sum(f(x) * dout), x) を計算すると、{name} のどの要素が違うかがわかります。",
        en=f"No known mistake matches. Compare with the numerical gradient on the smallest case: with the forward "
           f"pass f and the upstream gradient dout, numerical_gradient(lambda x: np.sum(f(x) * dout), x) shows "
           f"which entries of {name}'s result differ.")
