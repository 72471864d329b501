"""The functions a check hands to the student's code: numerical_gradient's f, made by name.

Each is a row of :data:`TABLE` with plain parameters (numbers and arrays), so a case that holds
one stays plain data: ``spec`` = [name, params, text]. The check makes them here in the trusted
grader; the grading sandbox's harness (which runs without cnnlab) gets a copy of this file and
makes the same functions from the same specs with :func:`make`: the same code, so the same
numbers, bit for bit.

This file imports NumPy only. Both sides run it through :func:`compiled`, under
:data:`FILENAME`: the functions' frames then lie outside the package, so the student's code
calling f is not "calling cnnlab", and an error inside f names the same line on both sides.
"""

import numpy as np

FILENAME = "<the function f given to numerical_gradient>"
MODULE = "given_functions"   # the module name of what compiled() makes


class Function:
    """A scalar function of an array (float in, float out), made from ``spec`` = [name, params, text];
    it prints as ``text``."""

    def __init__(self, spec):
        name, params, text = spec
        if name not in TABLE:
            raise ValueError(f"no given function named {name!r}: expected one of {sorted(TABLE)}")
        self.spec = [str(name), list(params), str(text)]
        self.value = TABLE[name](*params)

    def __call__(self, x):
        return float(self.value(np.asarray(x, dtype=np.float64)))

    def __repr__(self):
        return self.spec[2]


def polynomial(c, d):
    """f(x) = Σ c·x³ + d·x (c, d: numbers or arrays of x's shape)."""
    return lambda x: np.sum(c * x ** 3 + d * x)


def squares(scale):
    """f(x) = scale·Σ x²."""
    return lambda x: scale * np.sum(x ** 2)


def network_loss(inputs, labels):
    """f(w) = the mean cross-entropy of softmax(inputs @ w) for ``labels`` (N,); inputs (N, D), w (D, K)."""
    def loss(w):
        s = inputs @ w
        s = s - s.max(axis=1, keepdims=True)
        log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -log_p[np.arange(len(labels)), labels].mean()
    return loss


TABLE = {"polynomial": polynomial, "squares": squares, "network_loss": network_loss}


def make(spec):
    """The :class:`Function` of ``spec`` = [name, params, text]; ValueError for a name not in TABLE."""
    return Function(spec)


def is_given(value):
    """``value`` is a :class:`Function` made by :func:`compiled`'s code (on either side)."""
    return type(value).__name__ == "Function" and type(value).__module__ == MODULE and hasattr(value, "spec")


def compiled():
    """This file's code run again under :data:`FILENAME`: {name: object} (``make``, ``Function``, ...)."""
    with open(__file__, encoding="utf-8") as f:
        source = f.read()
    namespace = {"__name__": MODULE}
    exec(compile(source, FILENAME, "exec"), namespace)
    return namespace
