"""cnnlab: convolutional neural networks from scratch in NumPy — courseware helpers.

Modules: ``checks`` (feedback for graded exercises, and the hints of ``cnnlab.hint``),
``examples`` (the lectures' numbers), ``widgets`` (interactive explorers), ``data`` (handwritten
digits, MNIST-type and CIFAR-10 downloads, image folders, augmentation), ``nn`` (a small NumPy
layer library), ``plaindata`` (plain data through a file, never pickled: what crosses between a
student's process and the grader's), ``grading`` (the instructor's side: sandbox, LMS collection;
not in the student repository).
"""

from .language import get_language, set_language

__version__ = "0.1.0"
__all__ = ["get_language", "set_language", "hint", "__version__"]


def hint(name):
    """Print the next hint for the graded function ``name`` (e.g. ``"relu_backward"``): the first
    call gives the formula with the lecture's numbers, the next one the next step."""
    from .checks.hints import hint as next_hint

    next_hint(name)
