"""07's gradient-check step, shared by the in-kernel check (``a07_train_cnn``) and the sandbox's
``harness_train.py``: NumPy only, so the judge can copy this file into the sandbox beside the
harness (which may not import cnnlab.checks) and both sides compute the same differences."""

import numpy as np

GRADIENT_STEP = 1e-5       # h of the centred difference, in float64


def differences(net, x, y, entries):
    """Centred differences (L(p + h) - L(p - h)) / 2h at the chosen entries of every parameter.

    entries: {parameter key: flat indexes}; returns {key: array of len(indexes)}.
    """
    h = GRADIENT_STEP
    out = {}
    for key, idx in entries.items():
        p = net.params[key]
        values = []
        for i in idx:
            old = p.flat[i]
            p.flat[i] = old + h
            plus = float(np.reshape(net.loss(x, y), ()))
            p.flat[i] = old - h
            minus = float(np.reshape(net.loss(x, y), ()))
            p.flat[i] = old        # leave the network as it was
            values.append((plus - minus) / (2 * h))
        out[key] = np.array(values)
    return out


def usable(params):
    """``net.params`` is a non-empty {str: ndarray} the check can perturb."""
    return isinstance(params, dict) and params and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in params.items())
