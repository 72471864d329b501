"""CIFAR-10 (Krizhevsky, 2009): 60,000 colour images of 32x32 pixels in ten classes.

Read from the data set's official *binary* version, ``cifar-10-binary.tar.gz``, so no pickle is
ever loaded (unpickling a downloaded file can run any code). The archive holds
``cifar-10-batches-bin/data_batch_1.bin`` .. ``data_batch_5.bin`` (10,000 training images each)
and ``test_batch.bin`` (10,000 test images). Every file is a run of 3,073-byte records:

    1 label byte (0..9) | 1,024 red bytes | 1,024 green bytes | 1,024 blue bytes

each colour plane 32 rows of 32 pixels — already channel-first, ``(3, 32, 32)``, the layout of
the course. The archive is downloaded once and checked with :mod:`.download`; it is read
straight from the ``.tar.gz`` (nothing is extracted to disk).
"""

import tarfile
import zlib
from collections import namedtuple

import numpy as np

from ..language import tr
from .download import (DatasetError, cache_root, check_checksums, check_mirrors, check_timeout,
                       fetch)

__all__ = ["Cifar10", "load_cifar10", "CIFAR10_CLASSES", "CIFAR10_MIRRORS", "CIFAR10_SHA256"]

#: The archive's name on every mirror and in the cache folder ``<cache>/cifar10/``.
CIFAR10_FILE = "cifar-10-binary.tar.gz"

#: Class names in label order (the archive's ``batches.meta.txt``).
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")

#: Base URLs tried in order; the file name is appended. The official page is
#: https://www.cs.toronto.edu/~kriz/cifar.html. The http address of the same host helps behind
#: proxies that break TLS; every byte is checked, so it is as safe.
CIFAR10_MIRRORS = (
    "https://www.cs.toronto.edu/~kriz/",
    "http://www.cs.toronto.edu/~kriz/",
)

#: SHA-256 of the archive (170,052,171 bytes), as published in TensorFlow Datasets'
#: url_checksums (github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/cifar10.txt,
#: whose CIFAR-10 builder reads this binary version), the source of the MNIST checksums too.
CIFAR10_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
#: The MD5 the official page lists for the same file, for reference: SHA-256 is what is checked
#: (one hash for every data set; MD5 no longer resists deliberate collisions).
CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"

_FOLDER = "cifar-10-batches-bin/"
_TRAIN_FILES = tuple(f"{_FOLDER}data_batch_{i}.bin" for i in range(1, 6))
_TEST_FILES = (f"{_FOLDER}test_batch.bin",)
_SIDE = 32
_RECORD = 1 + 3 * _SIDE * _SIDE  # 3,073 bytes: label, then red, green, blue planes

Cifar10 = namedtuple("Cifar10", "x_train y_train x_test y_test class_names")
Cifar10.__doc__ = ("CIFAR-10: images float32 ``(N, 3, 32, 32)`` in [0, 1], labels int64 "
                   "``(N,)``, and the ten class names in label order.")


def load_cifar10(cache_dir=None, *, mirrors=None, sha256=None, timeout=60.0, progress=True):
    """Download (once), verify and read CIFAR-10: 50,000 training and 10,000 test images.

    Inputs:
    - cache_dir: folder for the download (a sub-folder ``cifar10`` is used). Default: the
      ``CNNLAB_DATA_DIR`` environment variable, else the user's cache directory
      (``platformdirs.user_cache_dir("cnnlab")``, e.g. ``~/.cache/cnnlab`` on Linux).
    - mirrors: base URLs to try in order, default ``CIFAR10_MIRRORS``.
    - sha256: SHA-256 hex digest the archive must have, default ``CIFAR10_SHA256``.
    - timeout: seconds to wait for a server before giving up (> 0).
    - progress: show a download progress bar (the archive is 162 MB).

    Returns a ``Cifar10`` named tuple ``(x_train, y_train, x_test, y_test, class_names)``:
    - x_*: float32 ``(N, 3, 32, 32)`` (channels red, green, blue), pixel values / 255.
    - y_*: int64 ``(N,)``, class 0..9.
    - class_names: ``CIFAR10_CLASSES``, ``("airplane", "automobile", ..., "truck")``.

    Memory: the float32 images take 60,000 * 3,072 * 4 bytes = 737 MB. The cached archive is
    re-checked against its SHA-256 on every call and downloaded again if it does not match; a
    bad or interrupted download never stays in the cache. Raises :class:`DatasetError` (in the
    chosen language) when the archive cannot be downloaded, fails its checksum, or is not a
    CIFAR-10 binary archive.
    """
    mirrors = check_mirrors(CIFAR10_MIRRORS if mirrors is None else mirrors)
    sha256 = check_checksums({CIFAR10_FILE: CIFAR10_SHA256 if sha256 is None else sha256},
                             [CIFAR10_FILE])[CIFAR10_FILE]
    timeout = check_timeout(timeout)
    path = fetch(CIFAR10_FILE, cache_root(cache_dir) / "cifar10", mirrors, sha256, timeout,
                 bool(progress))
    try:
        members = _read_members(path, _TRAIN_FILES + _TEST_FILES)
        x_train, y_train = _decode([members[name] for name in _TRAIN_FILES], path)
        x_test, y_test = _decode([members[name] for name in _TEST_FILES], path)
    except DatasetError:
        path.unlink(missing_ok=True)  # verified but unreadable: don't trust it again
        raise
    return Cifar10(x_train, y_train, x_test, y_test, CIFAR10_CLASSES)


def _read_members(path, names):
    """``{name: bytes}`` of the regular files ``names`` inside the tar.gz ``path``.

    The archive is read in one pass and never extracted, so a member's path (``../x``) can't
    write anywhere. Raises DatasetError if it is not a gzip-compressed tar file or lacks a member.
    """
    wanted, found = set(names), {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    found[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DatasetError(tr(
            ja=f"{path} は gzip 圧縮された tar ファイルとして読めません（{err}）。",
            en=f"{path} cannot be read as a gzip-compressed tar file ({err}).")) from err
    missing = sorted(wanted - set(found))
    if missing:
        raise DatasetError(tr(
            ja=f"{path} は CIFAR-10 のバイナリ版ではありません: {missing} がありません。",
            en=f"{path} is not the CIFAR-10 binary version: it lacks {missing}."))
    return found


def _decode(blobs, path):
    """Records of several batch files -> (float32 ``(N, 3, 32, 32)`` / 255, int64 ``(N,)``).

    Inputs:
    - blobs: list of ``bytes``, each a whole number of 3,073-byte records.
    - path: the archive, for messages.
    """
    for blob in blobs:
        if len(blob) == 0 or len(blob) % _RECORD:
            raise DatasetError(tr(
                ja=f"{path}: バッチファイルの長さ {len(blob)} バイトが 1 件 {_RECORD} バイトの"
                   f"倍数ではありません。ファイルが壊れています。",
                en=f"{path}: a batch file of {len(blob)} bytes is not a whole number of "
                   f"{_RECORD}-byte records; the file is damaged."))
    records = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CIFAR10_CLASSES):
        raise DatasetError(tr(
            ja=f"{path}: ラベル {int(labels.max())} は 0..9 の範囲外です。",
            en=f"{path}: label {int(labels.max())} is outside 0..9."))
    pixels = records[:, 1:].reshape(-1, 3, _SIDE, _SIDE)  # red, green, blue planes, row-major
    images = np.empty(pixels.shape, dtype=np.float32)
    np.divide(pixels, np.float32(255.0), out=images)      # no float64 copy of 737 MB on the way
    return images, labels
