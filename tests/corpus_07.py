"""Realistic student submissions for 07_train_cnn: judged both ways by tests/test_judge_train.py,
autograded by tests/test_train_cnn.py where their training decides a point.

A submission replaces some cells of the release (the other answer cells keep the instructor's
solution) and says which graded cells must lose their points and which words the feedback
must then contain. Every submission trains a network when graded, so the list stays short.
"""

import ast
from dataclasses import dataclass, field

from course import source_notebook


@dataclass
class Submission:
    label: str
    cells: dict                                 # answer cell id -> the student's source
    lost: dict = field(default_factory=dict)    # graded cell id -> words its feedback must contain
    language: str = "en"
    kernel_fake: bool = False                   # its test cells pass in the kernel, faked


# ---------------------------------------------------------------------------------------------
# Correct alternatives

SEQUENTIAL_NET = '''
class ConvNet:
    """Another architecture, built with nn.Sequential: conv-ReLU-pool twice, then affine."""

    def __init__(self, rng=0, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.net = nn.Sequential(
            nn.Conv2D(1, 16, 3, pad=1, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2D(2, 2),
            nn.Conv2D(16, 32, 3, pad=1, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2D(2, 2),
            nn.Flatten(), nn.Affine(32 * 2 * 2, 10, rng=rng, dtype=dtype))
        self.layers = self.net.layers
        self.params = self.net.params()

    def forward(self, x):
        return self.net.forward(x)

    def loss(self, x, y):
        return self.net.loss(x, y)

    def gradient(self, x, y):
        self.net.loss(x, y)
        self.net.backward()
        return self.net.grads()
'''

MOMENTUM_TRAIN = '''
def train(net, data, epochs=20, batch_size=32, lr=0.05, rng=0, progress=True):
    """Momentum SGD with a step decay, the augmentation, and evaluate after every epoch."""
    rng = np.random.default_rng(rng)
    optimizer = nn.Momentum(lr=lr, momentum=0.9)
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    for epoch in trange(epochs, disable=not progress):
        if epoch == epochs * 2 // 3:
            optimizer.lr = lr / 10
        order = rng.permutation(len(data.x_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            grads = net.gradient(random_shift(data.x_train[idx], rng), data.y_train[idx])
            optimizer.step(net.params, grads)
        train_loss, train_acc = evaluate(net, data.x_train, data.y_train)
        val_loss, val_acc = evaluate(net, data.x_val, data.y_val)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
    return history
'''

LOOP_EVALUATE = '''
def evaluate(net, x, y, batch_size=256):
    """Per-batch totals through net.loss, weighted by the batch size."""
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        total += net.loss(xb, yb) * len(xb)
        correct += int((net.forward(xb).argmax(axis=1) == yb).sum())
    return total / len(x), correct / len(x)
'''

# ---------------------------------------------------------------------------------------------
# Mistakes

FLIPPED_SIGN_NET = '''
class ConvNet:
    """The gradient of the loss layer is written the wrong way round: one-hot minus softmax."""

    def __init__(self, rng=0, dtype=np.float32):
        rng = np.random.default_rng(rng)
        self.layers = [nn.Conv2D(1, 8, 3, pad=1, rng=rng, dtype=dtype), nn.ReLU(),
                       nn.Conv2D(8, 32, 3, pad=1, rng=rng, dtype=dtype), nn.ReLU(),
                       nn.MaxPool2D(2, 2), nn.Flatten(), nn.Affine(512, 10, rng=rng, dtype=dtype)]
        self.params = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.params.items():
                self.params[f"{name}{i}"] = value

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, y):
        scores = self.forward(x)
        scores = scores - scores.max(axis=1, keepdims=True)
        self.probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return -np.mean(np.log(self.probs[np.arange(len(y)), y]))

    def gradient(self, x, y):
        self.loss(x, y)
        onehot = np.eye(10)[y]
        dout = (onehot - self.probs) / len(y)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return {f"{name}{i}": layer.grads[name] for i, layer in enumerate(self.layers) for name in layer.params}
'''

NO_MEAN_NET = FLIPPED_SIGN_NET.replace(
    "The gradient of the loss layer is written the wrong way round: one-hot minus softmax.",
    "The gradient of the loss layer forgets the 1/N of the batch mean.").replace(
    "dout = (onehot - self.probs) / len(y)", "dout = self.probs - onehot")

UNWEIGHTED_EVALUATE = '''
def evaluate(net, x, y, batch_size=256):
    """Averages the per-batch mean losses: the smaller last batch counts as much as a full one."""
    losses, correct = [], 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        losses.append(net.loss(xb, yb))
        correct += np.sum(net.forward(xb).argmax(axis=1) == yb)
    return np.mean(losses), correct / len(x)
'''

SOLUTION_TRAIN_HEAD = "def train(net, data, epochs=20, batch_size=32, lr=5e-3, rng=0, progress=True):"

TRAIN_BODY = '''
    """{doc}"""
    rng = np.random.default_rng(rng)
    optimizer = nn.Adam(lr=lr)
    history = {{"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}}
    for epoch in trange(epochs, disable=not progress):
        order = rng.permutation(len(data.x_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            grads = net.gradient(random_shift(data.x_train[idx], rng), data.y_train[idx])
            optimizer.step(net.params, grads)
        for split, (x, y) in (("train", (data.x_train, data.y_train)), ("val", ({val}))):
            loss, acc = evaluate(net, x, y)
            history[split + "_loss"].append(loss)
            history[split + "_acc"].append(acc)
    return history
'''


def adam_train(signature, doc, val="data.x_val, data.y_val"):
    return f"def train(net, data, {signature}, rng=0, progress=True):" + TRAIN_BODY.format(doc=doc, val=val)


LR_TOO_HIGH_TRAIN = adam_train("epochs=20, batch_size=32, lr=0.5",
                               "Adam with lr = 0.5: a hundred times the usual step.")
TOO_FEW_EPOCHS_TRAIN = adam_train("epochs=2, batch_size=32, lr=5e-3",
                                  "Two epochs, and the 'validation' curve measured on the training data.",
                                  val="data.x_train, data.y_train")


# ---------------------------------------------------------------------------------------------
# The student's own functions (the "my-functions" cell): one pasted function changed.


def pasted_with(name, new_source):
    """The solution's "my-functions" cell with the function ``name`` replaced by ``new_source``."""
    source = next(c.source for c in source_notebook("07_train_cnn").cells if c.get("id") == "my-functions")
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    lines = source.splitlines()
    return "\n".join(lines[:node.lineno - 1] + new_source.strip("\n").splitlines() + lines[node.end_lineno:])


MAX_POOL_BACKWARD_NOT_PASTED = pasted_with("max_pool_backward", '''
def max_pool_backward(dout, x, size=2, stride=2):
    """Not pasted yet: the stub of the release."""
    # YOUR CODE HERE / ここにコードを書く
    raise NotImplementedError()
''')

POOL_GRADIENT_TO_EVERY_CELL = pasted_with("max_pool_backward", '''
def max_pool_backward(dout, x, size=2, stride=2):
    """Sends each window's gradient to all its cells, as if it were average pooling without the 1/4."""
    N, C, OH, OW = dout.shape
    dx = np.zeros_like(x)
    for u in range(size):
        for v in range(size):
            dx[:, :, u:u + stride * OH:stride, v:v + stride * OW:stride] += dout
    return dx
''')

CONV_BACKWARD_WITHOUT_DX = pasted_with("conv_backward", '''
def conv_backward(dout, x, w, stride=1, pad=0):
    """dw and db right, but dx never computed: the first convolution would learn nothing."""
    F, C, KH, KW = w.shape
    col = im2col(x, KH, KW, stride=stride, pad=pad)
    dout_col = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    dw = (dout_col.T @ col).reshape(w.shape)
    return np.zeros_like(x), dw, dout_col.sum(axis=0)
''')

FALLBACK_CELL = next(c.source for c in source_notebook("07_train_cnn").cells if c.get("id") == "fallback")
LIBRARY_CONV = FALLBACK_CELL.replace('use_library()      # 例 / e.g. use_library("Conv2D", "MaxPool2D")',
                                     'use_library("Conv2D")')
assert LIBRARY_CONV != FALLBACK_CELL


# ---------------------------------------------------------------------------------------------
# A fake in the kernel: nothing written, and an IPython input transformer that replaces every
# test cell by `pass` (so the notebook's own checks never run and every test cell "passes").

NOT_DONE_CONVNET = '''
class ConvNet:
    """Not written yet."""

    def __init__(self, rng=0, dtype=np.float32):
        raise NotImplementedError()
'''

NOT_DONE_EVALUATE = '''
def evaluate(net, x, y, batch_size=256):
    raise NotImplementedError()
'''

NOT_DONE_TRAIN = '''
def train(net, data, epochs=20, batch_size=32, lr=5e-3, rng=0, progress=True):
    raise NotImplementedError()
'''

KERNEL_FAKE = FALLBACK_CELL + '''


def _skip_the_checks(lines):
    return ["pass\\n"] if any("from cnnlab.checks import" in line for line in lines) else lines


get_ipython().input_transformers_cleanup.append(_skip_the_checks)
'''


SUBMISSIONS = [
    Submission("sequential-other-net-momentum-loop-evaluate", {"convnet": SEQUENTIAL_NET, "train": MOMENTUM_TRAIN,
                                                      "evaluate": LOOP_EVALUATE}),
    Submission("gradient-sign-flipped", {"convnet": FLIPPED_SIGN_NET},
               lost={"test-convnet": "符号が逆", "test-train": "損失が減っていません"}, language="ja"),
    Submission("missing-1/N-and-unweighted-batch-means", {"convnet": NO_MEAN_NET, "evaluate": UNWEIGHTED_EVALUATE},
               lost={"test-convnet": "1/N of the batch mean is missing",
                     "test-evaluate": "averages the per-batch means"}),
    Submission("learning-rate-far-too-high", {"train": LR_TOO_HIGH_TRAIN},
               lost={"test-train": "The loss is not decreasing"}),
    Submission("too-few-epochs-and-validation-on-training-data", {"train": TOO_FEW_EPOCHS_TRAIN},
               lost={"test-train": "evaluated on the training data"}),
    Submission("max_pool_backward-not-pasted", {"my-functions": MAX_POOL_BACKWARD_NOT_PASTED},
               lost={"test-convnet": "net.gradient(x, y) is not implemented yet",
                     "test-train": "train(net, data, ...) is not implemented yet"}),
    # Trains to about 99 % all the same: only the gradient check sees the wrong backward pass.
    Submission("pooling-gradient-to-every-cell", {"my-functions": POOL_GRADIENT_TO_EVERY_CELL},
               lost={"test-convnet": "do not match the numerical ones: 'W1', 'b1', 'W2', 'b2'"}),
    Submission("wrong-conv_backward-swapped-for-the-library-conv2d", {"my-functions": CONV_BACKWARD_WITHOUT_DX,
                                                                      "fallback": LIBRARY_CONV}),
    Submission("in-kernel-fake-every-test-cell-skipped", {"convnet": NOT_DONE_CONVNET, "evaluate": NOT_DONE_EVALUATE,
                                                          "train": NOT_DONE_TRAIN, "fallback": KERNEL_FAKE},
               lost={cell: "is not implemented yet" for cell in ("test-convnet", "test-evaluate", "test-train")},
               kernel_fake=True),
]
