"""Hints that teach, one step at a time: ``cnnlab.hint("relu_backward")`` shows the formula with
the lecture's numbers; calling it again shows the next step (what NumPy offers for it). No step
is the answer's line of code.
"""

from ..language import tr

# name -> steps, each (Japanese, English)
HINTS = {
    "conv2d_single": [
        ("out[i, j] = Σ_u Σ_v image[i+u, j+v]·kernel[u, v]、出力は (H − KH + 1, W − KW + 1)。講義の例: 左上のウィンドウとフィルタの積の和は 12。",
         "out[i, j] = Σ_u Σ_v image[i+u, j+v]·kernel[u, v], the output is (H − KH + 1, W − KW + 1). The lecture's example: the top-left window times the kernel sums to 12."),
        ("2 重ループで (i, j) を回り、スライス image[i:i+KH, j:j+KW] とフィルタの要素ごとの積を np.sum で足します。フィルタは反転しません。",
         "Loop over (i, j); take the slice image[i:i+KH, j:j+KW], multiply it by the kernel element by element and add it up with np.sum. The kernel is not flipped."),
    ],
    "conv2d_multi": [
        ("out[f] = Σ_c (image[c] と kernels[f, c] の相互相関) + bias[f]、形 (F, OH, OW)。",
         "out[f] = Σ_c correlate(image[c], kernels[f, c]) + bias[f], shape (F, OH, OW)."),
        ("ウィンドウ image[:, i:i+KH, j:j+KW] は (C, KH, KW)、kernels[f] も (C, KH, KW): 積をチャネルも含めて全部足し、最後に bias[f] を 1 回足します。",
         "The window image[:, i:i+KH, j:j+KW] is (C, KH, KW) and so is kernels[f]: sum their product over all three axes, then add bias[f] once."),
    ],
    "relu": [
        ("ReLU(x) = max(0, x)、要素ごと。(−2, −1, 0, 1, 2) → (0, 0, 0, 1, 2)。",
         "ReLU(x) = max(0, x), element by element. (−2, −1, 0, 1, 2) -> (0, 0, 0, 1, 2)."),
        ("NumPy の要素ごとの最大（2 つの配列や数の大きい方）の関数を使うと、どんな形でもループなしで書けます。",
         "NumPy's element-wise maximum of two arrays (or of an array and a number) does it for any shape, without a loop."),
    ],
    "output_size": [
        ("OH = (H + 2·P − K) // S + 1。講義の例: H = 4, K = 3, P = 0, S = 1 → 2。",
         "OH = (H + 2·P − K) // S + 1. The lecture's example: H = 4, K = 3, P = 0, S = 1 -> 2."),
        ("// は切り捨ての割り算です（はみ出すウィンドウは数えません）。S < 1 や K > H + 2·P のときは raise ValueError(...)。",
         "// is floor division (a window that would run past the edge does not count). When S < 1 or K > H + 2·P, raise ValueError(...)."),
    ],
    "zero_pad": [
        ("最後の 2 軸（H, W）の上下左右に pad 個ずつ 0 を付けます: (H, W) → (H + 2·pad, W + 2·pad)。講義の例: 4×4 → 6×6。",
         "Add pad zeros on every side of the last two axes (H, W): (H, W) -> (H + 2·pad, W + 2·pad). The lecture's example: 4x4 -> 6x6."),
        ("np.pad は軸ごとに (前, 後) の幅のリストを受け取ります: 最後の 2 軸は (pad, pad)、ほかの軸は (0, 0)。",
         "np.pad takes one (before, after) width per axis: (pad, pad) for the last two axes, (0, 0) for every other axis."),
    ],
    "conv_forward": [
        ("out[n, f, i, j] = Σ_c Σ_u Σ_v xp[n, c, i·S+u, j·S+v]·w[f, c, u, v] + b[f]（xp はゼロパディングした x）、OH = (H + 2·P − KH) // S + 1。",
         "out[n, f, i, j] = Σ_c Σ_u Σ_v xp[n, c, i·S+u, j·S+v]·w[f, c, u, v] + b[f] (xp: x zero-padded), OH = (H + 2·P − KH) // S + 1."),
        ("先に縦横だけパディングし、(i, j) ごとにウィンドウ xp[:, :, i·S : i·S+KH, j·S : j·S+KW]（形 (N, C, KH, KW)）を取ります。w とは (C, KH, KW) の 3 軸で積和をとります（np.tensordot や np.einsum）。",
         "Pad the height and width first; for each (i, j) take the window xp[:, :, i·S : i·S+KH, j·S : j·S+KW], shape (N, C, KH, KW). Sum its product with w over the three axes (C, KH, KW) (np.tensordot or np.einsum)."),
    ],
    "im2col": [
        ("ウィンドウ 1 つが 1 行: 行は (n, oh, ow) の順、列は (c, kh, kw) の順、形 (N·OH·OW, C·KH·KW)。講義の例: 4×4 に 3×3 → 4 行 × 9 列、1 行目は左上のウィンドウ。",
         "One window per row: rows in (n, oh, ow) order, columns in (c, kh, kw) order, shape (N·OH·OW, C·KH·KW). The lecture's example: 4x4 with 3x3 -> 4 rows x 9 columns, the first row the top-left window."),
        ("ウィンドウを (N, C, OH, OW, KH, KW) に集め（ループか sliding_window_view）、軸を (N, OH, OW, C, KH, KW) の順に transpose してから reshape します。",
         "Gather the windows as (N, C, OH, OW, KH, KW) (loops or sliding_window_view), transpose the axes to (N, OH, OW, C, KH, KW), then reshape."),
    ],
    "conv_forward_im2col": [
        ("im2col の表 (N·OH·OW, C·KH·KW) と、フィルタ 1 枚を 1 行にした (F, C·KH·KW) の転置との行列積が (N·OH·OW, F)。それに b を足して (N, F, OH, OW) に並べ直します。",
         "The im2col table (N·OH·OW, C·KH·KW) times the transpose of the filters laid one per row, (F, C·KH·KW), gives (N·OH·OW, F); add b and lay it out as (N, F, OH, OW)."),
        ("積の行は (n, oh, ow) の順なので、まず (N, OH, OW, F) に reshape し、それから軸を transpose して (N, F, OH, OW) にします。",
         "The product's rows are in (n, oh, ow) order: reshape it to (N, OH, OW, F) first, then transpose the axes to (N, F, OH, OW)."),
    ],
    "max_pool_forward": [
        ("out[n, c, i, j] = ウィンドウ x[n, c, i·S : i·S+size, j·S : j·S+size] の最大値、OH = (H − size) // S + 1。講義の例: [[6, 8], [3, 4]]。",
         "out[n, c, i, j] = the maximum of the window x[n, c, i·S : i·S+size, j·S : j·S+size], OH = (H − size) // S + 1. The lecture's example: [[6, 8], [3, 4]]."),
        ("(i, j) ごとのウィンドウは (N, C, size, size): 最後の 2 軸について max をとれば、すべての画像とチャネルを一度に計算できます。",
         "Each (i, j) window is (N, C, size, size): take the max over its last two axes to do every image and channel at once."),
    ],
    "avg_pool_forward": [
        ("out[n, c, i, j] = ウィンドウの平均 = 和 / (size·size)、OH = (H − size) // S + 1。",
         "out[n, c, i, j] = the mean of the window = its sum / (size·size), OH = (H − size) // S + 1."),
        ("(i, j) ごとのウィンドウは (N, C, size, size): 最後の 2 軸について mean をとります。",
         "Each (i, j) window is (N, C, size, size): take the mean over its last two axes."),
    ],
    "softmax": [
        ("softmax(z)_k = exp(z_k) / Σ_j exp(z_j)、最後の軸（クラス）ごと。講義の例: (2.0, 1.0, 0.1) → (0.659, 0.242, 0.099)。",
         "softmax(z)_k = exp(z_k) / Σ_j exp(z_j), along the last axis (the classes). The lecture's example: (2.0, 1.0, 0.1) -> (0.659, 0.242, 0.099)."),
        ("各行の最大値を引いてから exp しても答えは同じで、オーバーフローしません。最大値と和は axis=−1 で、keepdims=True で形を (N, 1) に保つと、1 次元でも 2 次元でも引き算・割り算がそろいます。",
         "Subtracting each row's maximum before exp gives the same answer and never overflows. Take the max and the sum with axis=-1 and keepdims=True (shape (N, 1)), and the subtraction and division line up for 1-D and 2-D input alike."),
    ],
    "cross_entropy": [
        ("E = −(1/N) Σ_n log p[n, 正解クラス]。講義の例: 正解の確率 0.6 → −log 0.6 = 0.51、0.1 → 2.30。",
         "E = −(1/N) Σ_n log p[n, true class]. The lecture's example: true-class probability 0.6 -> −log 0.6 = 0.51, 0.1 -> 2.30."),
        ("ラベルが one-hot (N, K) なら各行の 1 の位置がクラス番号です。各行から 1 つ選ぶには、行番号の配列と列番号の配列で添字を付けます。log の中に小さな ε を足すと log(0) を防げます。",
         "One-hot labels (N, K) have the class id where each row's 1 is. To pick one entry per row, index with an array of row numbers and an array of column numbers. A small ε inside the log keeps log(0) away."),
    ],
    "relu_backward": [
        ("順伝播 y = max(0, x) の傾きは x > 0 で 1、x < 0 で 0。dx = dout·[x > 0]。講義の例: x = (−2, −0.5, 0, 1, 3)、dout = (1, 2, 3, 4, 5) → (0, 0, 0, 4, 5)。",
         "The slope of y = max(0, x) is 1 where x > 0 and 0 where x < 0: dx = dout·[x > 0]. The lecture's example: x = (−2, −0.5, 0, 1, 3), dout = (1, 2, 3, 4, 5) -> (0, 0, 0, 4, 5)."),
        ("x > 0 は True/False の配列で、数と掛けると 1/0 として働きます。決めるのは x（順伝播の入力）で、dout の符号ではありません。",
         "x > 0 is an array of True/False, which multiplies like 1/0. What decides is x, the forward input, not the sign of dout."),
    ],
    "affine_forward": [
        ("out = x·w + b: x (N, D)、w (D, M)、b (M,) → (N, M)。",
         "out = x·w + b: x (N, D), w (D, M), b (M,) -> (N, M)."),
        ("行列積は @、b はブロードキャストで各行に足されます。",
         "The matrix product is @; b is added to every row by broadcasting."),
    ],
    "affine_backward": [
        ("out = x·w + b の逆伝播: dx = dout·wᵀ (N, D)、dw = xᵀ·dout (D, M)、db = Σ_n dout[n] (M,)。講義の例: dw[0, 0] = 1·1 + 4·2 = 9。",
         "The backward pass of out = x·w + b: dx = dout·wᵀ (N, D), dw = xᵀ·dout (D, M), db = Σ_n dout[n] (M,). The lecture's example: dw[0, 0] = 1·1 + 4·2 = 9."),
        ("勾配は元の配列と同じ形です: 形をそろえるには、行列積の内側の長さがそろうように転置（.T）します。db はバッチの軸 axis=0 で足します。",
         "Each gradient has the shape of its array: transpose (.T) so that the inner lengths of the product meet. db sums over the batch axis, axis=0."),
    ],
    "softmax_cross_entropy_backward": [
        ("dz = (softmax(z) − t) / N（t は正解の one-hot）。講義の例: z = (2.0, 1.0, 0.1)、正解 0 → (−0.341, 0.242, 0.099)。",
         "dz = (softmax(z) − t) / N (t the one-hot labels). The lecture's example: z = (2.0, 1.0, 0.1), label 0 -> (−0.341, 0.242, 0.099)."),
        ("softmax は各行の最大値を引いてから。ラベルがクラス番号なら、各行の正解クラスからだけ 1 を引けば one-hot を作らずに済みます。",
         "Compute the softmax with each row's maximum subtracted first. With class-id labels, subtract 1 at each row's true class only: no one-hot needed."),
    ],
    "max_pool_backward": [
        ("各ウィンドウの勾配 dout[n, c, i, j] は、順伝播で最大だったマス 1 つにだけ送ります（ほかは 0）。ウィンドウが重なるときは足し合わせます。",
         "Each window's gradient dout[n, c, i, j] goes to the one cell that was its maximum in the forward pass (the others get 0); where windows overlap, the gradients add up."),
        ("ウィンドウの中の最大値の位置は np.argmax（平らな番号）を np.unravel_index か divmod で (行, 列) にします。dx[...] += で足します。",
         "Find the maximum's position in the window with np.argmax (a flat index) and turn it into (row, column) with np.unravel_index or divmod; add with dx[...] +=."),
    ],
    "conv_backward": [
        ("各ウィンドウ (i, j) について: dw[f] += dout[n, f, i, j]·ウィンドウ、dxp の同じウィンドウ += dout[n, f, i, j]·w[f]、db[f] = Σ dout[:, f]。講義の例: dw[0, 0, 0, 0] = 2。",
         "For every window (i, j): dw[f] += dout[n, f, i, j]·window, the same window of dxp += dout[n, f, i, j]·w[f], db[f] = Σ dout[:, f]. The lecture's example: dw[0, 0, 0, 0] = 2."),
        ("dx はパディングした入力 xp について計算してから、上下左右の pad を切り取ります。ウィンドウ (i, j) の左上は (i·stride, j·stride) です。",
         "Compute dx for the padded input xp, then cut pad off every side. Window (i, j) starts at (i·stride, j·stride)."),
    ],
    "numerical_gradient": [
        ("中心差分: ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / (2h)、要素ごと。講義の例: f(x) = x²、x = 3 → 6。",
         "The centred difference: ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / (2h), one element at a time. The lecture's example: f(x) = x², x = 3 -> 6."),
        ("np.ndindex(x.shape) ですべての添字を回ります。x[i] を動かす前に元の値を保存し、2 回計算した後で戻します。整数の x は float のコピーで。",
         "Visit every index with np.ndindex(x.shape). Save x[i] before moving it, and put it back after the two evaluations. Work on a float copy of an int x."),
    ],
    "convnet": [
        ("forward はスコア (N, 10)、loss はその softmax の交差エントロピー誤差の平均、gradient は params と同じキー・同じ形の勾配の dict です。",
         "forward gives scores (N, 10), loss the mean cross-entropy of their softmax, gradient a dict of gradients with the keys and shapes of params."),
        ("gradient: 損失の層の逆伝播 (softmax − one-hot) / N から始め、層を逆の順に backward します。params には層が使う配列そのものを入れます。",
         "gradient: start from the loss layer's backward, (softmax − one-hot) / N, and call backward on the layers in reverse order. params holds the very arrays the layers use."),
    ],
    "evaluate": [
        ("損失 = すべての画像の損失の平均、正解率 = 正解した画像の数 / N（0 から 1）。",
         "loss = the mean over all images, accuracy = correct images / N (between 0 and 1)."),
        ("batch_size 枚ずつ forward し、損失は (バッチの平均 × バッチの枚数) を足して最後に N で割ります: 最後のバッチは小さいことがあります。",
         "Go batch_size images at a time; add up (batch mean × batch size) and divide by N at the end: the last batch may be smaller."),
    ],
    "train": [
        ("エポックごとに訓練データを並べ替え、ミニバッチごとに勾配を計算して params を更新し、最後に訓練データと検証用データで evaluate して history に入れます。",
         "Every epoch: shuffle the training data, compute the gradient per mini-batch and update params, then evaluate on the training and validation splits into history."),
        ("更新は params -= lr·grad（または nn のオプティマイザ）。検証用データの正解率の曲線でエポック数と学習率を決め、テスト用データは使いません。",
         "The update is params -= lr·grad (or an nn optimiser). Choose epochs and learning rate by the validation accuracy curve; never use the test split."),
    ],
    "holdout_split": [
        ("講義の 8:2: 同じ並べ替えで x と y をシャッフルし、前の n_train = floor(N·(1 − val_fraction)) 個を訓練、残りを検証用に。例: N = 10 → 訓練 8、検証 2。N = 7 → 7·0.8 = 5.6 → 訓練 5。",
         "The lecture's 8:2: shuffle x and y with one and the same order, the first n_train = floor(N·(1 − val_fraction)) for training, the rest for validation. N = 10 -> 8 and 2; N = 7 -> 7·0.8 = 5.6 -> 5 training."),
        ("np.random.default_rng(rng) の permutation(N) が並べ替えた番号を 1 つ作ります。それで x と y の両方に添字を付けると、組が崩れず、呼び出し側の配列も変わりません。",
         "np.random.default_rng(rng).permutation(N) gives one shuffled index; indexing both x and y with it keeps the pairs and leaves the caller's arrays as they were."),
    ],
    "learning_rates": [
        ("scratch: すべて lr。feature_extraction: feature_names は 0（凍結）、残り（新しい分類器）は lr。fine_tuning: feature_names は lr·fine_tune_factor、残りは lr。例: lr = 0.1、factor 0.1 → 特徴 0.01、分類器 0.1。",
         "scratch: every rate lr. feature_extraction: feature_names 0 (frozen), the rest (the new classifier) lr. fine_tuning: feature_names lr·fine_tune_factor, the rest lr. lr = 0.1, factor 0.1 -> features 0.01, classifier 0.1."),
        ("param_names を 1 つずつ回り、名前が feature_names に入っているかで学習率を決めて dict に入れます。mode が 3 つのどれでもなければ raise ValueError(...)。",
         "Go through param_names one by one, choose the rate by whether the name is in feature_names, and put it in a dict. For any other mode, raise ValueError(...)."),
    ],
    "sgd_step": [
        ("各パラメータ k について params[k] ← params[k] − lrs[k]·grads[k]。例: p = 1.0、g = 2.0、lr = 0.1 → 0.8; lr = 0 なら 1.0 のまま。",
         "For every parameter k: params[k] ← params[k] − lrs[k]·grads[k]. p = 1.0, g = 2.0, lr = 0.1 -> 0.8; with lr = 0 it stays 1.0."),
        ("ネットワークの層は params の配列そのものを使っています: 新しい配列を dict に入れるのではなく、-= でその場で書き換えます。何も返さなくてかまいません。",
         "The network's layers compute with the very arrays of params: change them in place with -=, do not put new arrays in the dict. Nothing needs to be returned."),
    ],
    "pick_model": [
        ("results[name][\"val_acc\"] が最大のモデルの名前を返します。test_acc はモデルを選んだ後に 1 回だけ見る数です。",
         "Return the name whose results[name][\"val_acc\"] is the largest. test_acc is looked at once, after the choice."),
        ("max には key= で比べる値を渡せます: dict のキー（名前）を回り、そのモデルの val_acc で比べます。",
         "max takes key=, the value to compare by: go over the dict's keys (the names) and compare by each model's val_acc."),
    ],
}

_shown = {}   # name -> how many steps were shown


def hint(name):
    """Print the next hint for the graded function ``name`` (e.g. "relu_backward"); the first call
    gives the formula, the next the next step."""
    key = str(name).lower()
    if key not in HINTS:
        raise ValueError(tr(ja=f"{name!r} のヒントはありません。名前: {', '.join(HINTS)}",
                            en=f"no hint for {name!r}; the names are {', '.join(HINTS)}"))
    steps = HINTS[key]
    k = min(_shown.get(key, 0), len(steps) - 1)
    _shown[key] = k + 1
    more = tr(ja="（もう一度呼ぶと次の一歩）", en="(call again for the next step)") if k + 1 < len(steps) else ""
    print(tr(ja=f"ヒント {k + 1}/{len(steps)}（{key}）: {steps[k][0]} {more}",
             en=f"Hint {k + 1}/{len(steps)} ({key}): {steps[k][1]} {more}").rstrip())


def pointer(name):
    """The line a failure message ends with: the hint exists."""
    return tr(ja=f"ヒント: cnnlab.hint(\"{name}\") で式を、もう一度呼ぶと次の一歩を表示します。",
              en=f"Hint: cnnlab.hint(\"{name}\") shows the formula; call it again for the next step.")
