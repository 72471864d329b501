"""Data sets for the course, and tools to make your own.

One idea per module:

* :mod:`.digits` — :func:`load_digits`, the default: scikit-learn's bundled 1,797 handwritten
  digits (8x8) with a fixed, stratified train / validation / test split. No network needed.
* :mod:`.download` — download once, check the SHA-256, keep in a cache; shared by:
* :mod:`.idx` — :func:`load_mnist`, :func:`load_fashion_mnist`, :func:`load_kmnist`
  (Kuzushiji-MNIST, くずし字): 28x28 images from the data sets' IDX files.
* :mod:`.cifar10` — :func:`load_cifar10`: 32x32 colour images in ten classes, from the official
  binary archive (no pickle is ever loaded).
* :mod:`.image_folder` — :func:`load_image_folder`: your own PNG / JPEG files, one sub-folder
  per class (what Keras's ``flow_from_directory`` reads).
* :mod:`.augment` — random shifts, rotations and zooms of a batch (data augmentation, Keras's
  ``ImageDataGenerator``).

Every loader returns images as float32 ``(N, C, H, W)`` in ``[0, 1]`` and labels as int64
``(N,)``, the layout the course's convolution functions take.
"""

from .digits import Digits, load_digits
# Private helpers that cnnlab.widgets and the tests reach as cnnlab.data.<name> (the submodules
# themselves, cnnlab.data.digits etc., are attributes of the package once imported).
from .digits import (_bundled_digits, _digits_split, _read_bundled_digits_file,  # noqa: F401
                     _resize_bilinear, _stratified_split)
from .augment import (affine_transform, random_augment, random_rotation, random_shift,
                      random_zoom)
from .cifar10 import CIFAR10_CLASSES, Cifar10, load_cifar10
from .download import DatasetError
from .image_folder import load_image_folder
from .idx import CHECKSUMS, MIRRORS, load_fashion_mnist, load_idx_dataset, load_kmnist, load_mnist

__all__ = [
    "Digits",
    "DatasetError",
    "load_digits",
    "load_mnist",
    "load_fashion_mnist",
    "load_kmnist",
    "load_idx_dataset",
    "MIRRORS",
    "CHECKSUMS",
    "Cifar10",
    "load_cifar10",
    "CIFAR10_CLASSES",
    "load_image_folder",
    "affine_transform",
    "random_shift",
    "random_rotation",
    "random_zoom",
    "random_augment",
]
