"""cnnlab: convolutional neural networks from scratch in NumPy — courseware helpers.

Modules: ``checks`` (feedback for graded exercises), ``hints`` (``cnnlab.hint(name)``, one step
at a time), ``examples`` (the lectures' numbers), ``widgets`` (interactive explorers), ``data``
(handwritten digits), ``nn`` (a small NumPy layer library).
"""

from .hints import hint
from .language import get_language, set_language

__version__ = "0.1.0"
__all__ = ["get_language", "set_language", "hint", "__version__"]
