"""MNIST, Fashion-MNIST and Kuzushiji-MNIST (くずし字): 28x28 IDX files, downloaded once.

Each file is downloaded from the data set's official source (or a mirror), its SHA-256 checked,
and kept in the user's cache directory (see :mod:`.download`). Images come back as float32
``(N, 1, 28, 28)`` in ``[0, 1]``, labels as int64 ``(N,)``.
"""

import gzip
import zlib

import numpy as np

from ..language import tr
from .download import (DatasetError, cache_root, check_checksums, check_mirrors, check_timeout,
                       fetch)

__all__ = ["load_mnist", "load_fashion_mnist", "load_kmnist", "load_idx_dataset", "MIRRORS",
           "CHECKSUMS"]

_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

#: Base URLs tried in order for each data set; the file name is appended. Tests (or a local
#: mirror) can replace them, or pass ``mirrors=`` to the loaders.
MIRRORS = {
    # The original files of yann.lecun.com, as mirrored by PyTorch (ossci-datasets) and by
    # Google's CVDF (the copy TensorFlow uses); both serve byte-identical files.
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    # Zalando Research: the files in the fashion-mnist GitHub repository and on their S3 site.
    "fashion_mnist": (
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    # ROIS-DS Center for Open Data in the Humanities (CODH), the publisher of KMNIST.
    "kmnist": (
        "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
    ),
}

#: SHA-256 of every file, as published in TensorFlow Datasets' url_checksums
#: (github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/{mnist,fashion_mnist,
#: kmnist}.txt), which also give the sizes: MNIST 9,912,422 / 28,881 / 1,648,877 / 4,542 bytes;
#: Fashion-MNIST 26,421,880 / 29,515 / 4,422,102 / 5,148; KMNIST 18,165,135 / 29,497 /
#: 3,041,136 / 5,120. The same values appear in torchvision's prototype data set definitions.
#: Because every byte is checked, a plain-http mirror is as safe as an https one.
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    "kmnist": {
        "train-images-idx3-ubyte.gz": "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
        "train-labels-idx1-ubyte.gz": "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
        "t10k-images-idx3-ubyte.gz": "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
        "t10k-labels-idx1-ubyte.gz": "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
    },
}

_IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
_IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_IMAGE_SIDE = 28
_N_CLASSES = 10


def load_mnist(cache_dir=None, **options):
    """MNIST handwritten digits (LeCun, Cortes & Burges): 60,000 training, 10,000 test images.

    See :func:`load_idx_dataset` for the arguments and what is returned.
    """
    return load_idx_dataset("mnist", cache_dir, **options)


def load_fashion_mnist(cache_dir=None, **options):
    """Fashion-MNIST (Zalando Research): 28x28 clothing images, 60,000 train + 10,000 test.

    See :func:`load_idx_dataset` for the arguments and what is returned.
    """
    return load_idx_dataset("fashion_mnist", cache_dir, **options)


def load_kmnist(cache_dir=None, **options):
    """Kuzushiji-MNIST (くずし字, CODH): ten cursive hiragana, 60,000 train + 10,000 test.

    See :func:`load_idx_dataset` for the arguments and what is returned.
    """
    return load_idx_dataset("kmnist", cache_dir, **options)


def load_idx_dataset(name, cache_dir=None, *, mirrors=None, checksums=None, timeout=60.0,
                     progress=True):
    """Download (once), verify and read one of the 28x28 IDX data sets.

    Inputs:
    - name: ``"mnist"``, ``"fashion_mnist"`` or ``"kmnist"``.
    - cache_dir: folder for the downloaded files (a sub-folder ``name`` is used). Default: the
      ``CNNLAB_DATA_DIR`` environment variable, else the user's cache directory
      (``platformdirs.user_cache_dir("cnnlab")``, e.g. ``~/.cache/cnnlab`` on Linux).
    - mirrors: base URLs to try in order, default ``MIRRORS[name]``.
    - checksums: ``{file name: SHA-256 hex}`` for the four files, default ``CHECKSUMS[name]``.
    - timeout: seconds to wait for a server before giving up (> 0).
    - progress: show a download progress bar (``tqdm.auto``: a widget in Jupyter, else text on
      stderr).

    Returns ``(x_train, y_train, x_test, y_test)``:
    - x_*: float32 ``(N, 1, 28, 28)``, pixel values scaled to [0, 1].
    - y_*: int64 ``(N,)``, class 0..9.

    A cached file is re-checked against its checksum on every call and downloaded again if it
    does not match. Downloads go to a temporary file next to the final one and are renamed into
    place only after the checksum matched, so an interrupted or bad download never leaves a
    file in the cache. Raises :class:`DatasetError` (in the chosen language) when a file cannot
    be downloaded, fails its checksum, or is not a valid gzip-compressed IDX file.
    """
    if not isinstance(name, str):
        raise TypeError(tr(
            ja=f"name は 'mnist' のような文字列です（{type(name).__name__} が渡されました）。",
            en=f"name must be a str such as 'mnist', got {type(name).__name__}."))
    if name not in MIRRORS:
        raise ValueError(tr(
            ja=f"データセット {name!r} はありません。{sorted(MIRRORS)} のどれかです。",
            en=f"unknown data set {name!r}; expected one of {sorted(MIRRORS)}."))
    mirrors = check_mirrors(MIRRORS[name] if mirrors is None else mirrors)
    checksums = check_checksums(CHECKSUMS[name] if checksums is None else checksums,
                                _FILES.values())
    timeout = check_timeout(timeout)
    folder = cache_root(cache_dir) / name

    arrays = {}
    for key, filename in _FILES.items():
        path = fetch(filename, folder, mirrors, checksums[filename], timeout, bool(progress))
        arrays[key] = _read_verified(path, images=key.endswith("images"))
    x_train, y_train = _pair(arrays["train_images"], arrays["train_labels"], name, "train")
    x_test, y_test = _pair(arrays["test_images"], arrays["test_labels"], name, "test")
    return x_train, y_train, x_test, y_test


def _read_verified(path, images):
    """Read a cached IDX file; if it can't be read, remove it so it is not trusted again."""
    try:
        return _read_idx(path, images=images)
    except DatasetError:
        path.unlink(missing_ok=True)
        raise


def _read_idx(path, images):
    """Read a gzip-compressed IDX file of unsigned bytes (LeCun's MNIST format).

    Format: a big-endian uint32 magic number ``0x0000080D`` (``08`` = unsigned byte, ``D`` =
    number of dimensions), D big-endian uint32 sizes, then the values, row-major.

    Inputs:
    - path: the ``.gz`` file.
    - images: True for an image file (D = 3: count, rows, cols), False for labels (D = 1).

    Returns uint8 ``(N, 28, 28)`` for images, ``(N,)`` for labels. Raises DatasetError if the
    file is not valid gzip, has the wrong magic number, or its length disagrees with its header.
    """
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise DatasetError(tr(ja=f"{path} は正しい gzip ファイルではありません（{err}）。",
                              en=f"{path} is not a valid gzip file ({err}).")) from err
    ndim = 3 if images else 1
    magic_wanted = _IDX_IMAGES_MAGIC if images else _IDX_LABELS_MAGIC
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic != magic_wanted:
        got = "none (file too short)" if magic is None else f"0x{magic:08X}"
        raise DatasetError(tr(
            ja=f"{path} は IDX の{'画像' if images else 'ラベル'}ファイルではありません"
               f"（マジックナンバー {got}、期待値 0x{magic_wanted:08X}）。",
            en=f"{path} is not an IDX {'image' if images else 'label'} file "
               f"(magic number {got}, expected 0x{magic_wanted:08X})."))
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(data[4:header], dtype=">u4"))
    if len(shape) != ndim or len(data) - header != int(np.prod(shape)):
        raise DatasetError(tr(
            ja=f"{path}: ヘッダーのサイズ {shape} と中身の長さ"
               f"（{max(len(data) - header, 0)} バイト）が合いません。ファイルが壊れています。",
            en=f"{path}: the header's sizes {shape} do not match the data length "
               f"({max(len(data) - header, 0)} bytes); the file is damaged."))
    if images and shape[1:] != (_IMAGE_SIDE, _IMAGE_SIDE):
        raise DatasetError(tr(
            ja=f"{path}: 画像が {shape[1]}x{shape[2]} です（28x28 のはず）。",
            en=f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28."))
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _pair(images, labels, name, split):
    """Images as float32 ``(N, 1, 28, 28)`` in [0, 1] and labels as int64, checked together."""
    if len(images) != len(labels):
        raise DatasetError(tr(
            ja=f"{name} {split}: 画像 {len(images)} 枚に対してラベルが {len(labels)} 個です。",
            en=f"{name} {split}: {len(images)} images but {len(labels)} labels."))
    if labels.size and labels.max() >= _N_CLASSES:
        raise DatasetError(tr(
            ja=f"{name} {split}: ラベル {int(labels.max())} は 0..9 の範囲外です。",
            en=f"{name} {split}: label {int(labels.max())} is outside 0..9."))
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    return x, labels.astype(np.int64)
