"""Feedback for the graded exercises: run a student's function, say what is wrong and why.

Every ``check_<name>(fn, seed=None)`` calls the student's function on a ladder of cases, the
lecture's worked example first, then one new difficulty at a time (channels, bias, stride,
padding, batch). On the first wrong answer it raises :class:`CheckFailed` with a message in the
chosen language (:func:`cnnlab.set_language`) that names the mistake when it is a known one
(flipped kernel, bias added once per channel, stride ignored, ...). ``seed=None`` runs the
visible cases; an int adds random cases drawn from that seed (the hidden tests).

A check is data plus two steps, which may run in two processes:

- ``run(name, *student_objects, seed=None) -> Results``: call the student's code on every case
  and collect plain data (arrays, numbers, an exception's type and text, whether an input was
  changed, the time taken); ``save_results`` / ``load_results`` carry it through a file;
- ``judge(results) -> str``: compare with the reference answers (``reference``), name the known
  mistake by its key, and return the success line or raise CheckFailed.

Layout: ``core`` (cases, mistakes, the public function), ``calling`` (the one way to call student
code, plain data), ``convert`` (plain data to numbers), ``judging`` (comparison, diagnosis,
messages), ``function_check`` (a check of one function on a case ladder), ``files`` (results
through a file, in the format of :mod:`cnnlab.plaindata`), ``given`` (the functions handed to the
student's code, made by name), ``reference``, and one module per assignment (``a01_convolution`` ... ``a08_transfer_learning``; 06 and 07 in two).

A student function that calls into cnnlab to get its answer fails the check (01-06): the course
asks for the computation, not a call.
"""

import sys
import types

from ..language import tr
from . import (a01_convolution, a02_padding_stride, a03_im2col, a04_pooling, a05_softmax_cross_entropy, a06_backprop,
               a06_numerical_gradient, a07_train_cnn, a07_training, a08_transfer_learning, calling, convert, core, files, function_check, hints, judging, reference)
from .calling import Results, TestSplitHidden
from .core import CheckFailed, Failure, judge_quietly, public, require_seed, time_limit, train_time_limit
from .files import load_results, save_results

CheckFailed.__module__ = __name__   # tracebacks say cnnlab.checks.CheckFailed, where students import it

CHECKS = {check.name: check for module in (a01_convolution, a02_padding_stride, a03_im2col, a04_pooling,
                                           a05_softmax_cross_entropy, a06_backprop, a06_numerical_gradient, a07_train_cnn, a07_training, a08_transfer_learning)
          for check in module.CHECKS}

check_conv2d_single = public(CHECKS["conv2d_single"])
check_conv2d_multi = public(CHECKS["conv2d_multi"])
check_relu = public(CHECKS["relu"])
check_output_size = public(CHECKS["output_size"])
check_zero_pad = public(CHECKS["zero_pad"])
check_conv_forward = public(CHECKS["conv_forward"])
check_im2col = public(CHECKS["im2col"])
check_conv_forward_im2col = public(CHECKS["conv_forward_im2col"])
check_max_pool_forward = public(CHECKS["max_pool_forward"])
check_avg_pool_forward = public(CHECKS["avg_pool_forward"])
check_softmax = public(CHECKS["softmax"])
check_cross_entropy = public(CHECKS["cross_entropy"])
check_relu_backward = public(CHECKS["relu_backward"])
check_affine_forward = public(CHECKS["affine_forward"])
check_affine_backward = public(CHECKS["affine_backward"])
check_softmax_cross_entropy_backward = public(CHECKS["softmax_cross_entropy_backward"])
check_max_pool_backward = public(CHECKS["max_pool_backward"])
check_conv_backward = public(CHECKS["conv_backward"])
check_numerical_gradient = public(CHECKS["numerical_gradient"])
check_convnet = public(CHECKS["convnet"])
check_evaluate = public(CHECKS["evaluate"])
check_train = public(CHECKS["train"])
check_holdout_split = public(CHECKS["holdout_split"])
check_learning_rates = public(CHECKS["learning_rates"])
check_sgd_step = public(CHECKS["sgd_step"])
check_pick_model = public(CHECKS["pick_model"])


def run(name, *student_objects, seed=None):
    """The run step of ``check_<name>``: call the student's code, return plain :class:`Results`."""
    if name not in CHECKS:
        raise ValueError(f"no check named {name!r}; the checks are {', '.join(CHECKS)}")
    require_seed(seed)
    return CHECKS[name].run(*student_objects, seed=seed)


def judge(results):
    """The judge step: the success line for ``results``, or CheckFailed saying what is wrong."""
    if not isinstance(results, Results) or results.check not in CHECKS:
        raise TypeError(f"judge needs the Results of run(), got {type(results).__name__}")
    try:
        return judge_quietly(CHECKS[results.check], results)
    except Failure as failure:
        raise CheckFailed(str(failure), failure.key) from None


__all__ = [
    "CheckFailed", "TestSplitHidden", "Results", "run", "judge", "save_results", "load_results",
    "time_limit", "train_time_limit",
    *(f"check_{name}" for name in CHECKS),
]


class _Sealed(types.ModuleType):
    """The checks cannot be replaced from a notebook: a test cell must run the real ones."""

    def __setattr__(self, name, value):
        raise AttributeError(_sealed_message())

    def __delattr__(self, name):
        raise AttributeError(_sealed_message())


def _sealed_message():
    return tr(ja="cnnlab.checks はノートブックから書き換えられません。", en="cnnlab.checks cannot be changed from a notebook.")


# Every module of the package, not only this one: the engine is as much the check as its cases.
for _module in (a01_convolution, a02_padding_stride, a03_im2col, a04_pooling, a05_softmax_cross_entropy, a06_backprop,
                a06_numerical_gradient, a07_train_cnn, a07_training, a08_transfer_learning, calling, convert, core, files, function_check,
                hints, judging, reference,
                sys.modules[__name__]):
    _module.__class__ = _Sealed
