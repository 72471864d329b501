"""Your own images as a data set: one sub-folder per class, PNG or JPEG files inside.

    flowers/                  load_image_folder("flowers", size=32)
    ├── daisy/                -> x float32 (N, 3, 32, 32) in [0, 1]
    │   ├── 001.jpg              y int64 (N,): 0 for daisy, 1 for tulip
    │   └── 002.png              class_names ("daisy", "tulip")
    └── tulip/
        └── a.jpeg

This is the layout Keras's ``flow_from_directory`` reads, and what the lecture's
``00_Make_npz.py`` turns into an ``.npz`` file; ``cache=`` does that saving for you.

What is read, and what is skipped or refused:

* Class folders are the sub-folders of ``path``, in sorted name order; label k is the k-th name.
  Files directly in ``path`` belong to no class and are skipped (a README, or the cache file).
* Hidden names (starting with ``.``: ``.DS_Store``, ``.ipynb_checkpoints``, as the lecture's
  ``not filename.startswith('.')``) and Windows' ``Thumbs.db`` / ``desktop.ini`` are skipped
  everywhere.
* Inside a class folder every other entry must be a ``.png``, ``.jpg`` or ``.jpeg`` file (any
  case); anything else (a ``.txt``, a ``.gif``, a folder) is an error naming it, so a file is
  never silently left out of your data.
"""

import hashlib
import os
import tempfile
import zipfile

import numpy as np

from ..language import tr
from ._checks import check_int, check_path
from .download import DatasetError

__all__ = ["load_image_folder", "IMAGE_EXTENSIONS"]

#: File name endings read as images (compared in lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
#: Files that operating systems make and hide by other means than a leading dot.
_SYSTEM_FILES = ("thumbs.db", "desktop.ini")
#: Changes when the cache's contents change meaning, so an old cache file is not trusted.
_CACHE_VERSION = "cnnlab.image_folder 1"


def load_image_folder(path, size=None, grayscale=False, cache=None):
    """Read a folder of class sub-folders of PNG / JPEG images into arrays.

    Inputs:
    - path: the folder (str or os.PathLike), laid out as in this module's docstring.
    - size: None (every image must already have the same size), an int ``S`` (resize to S x S)
      or ``(H, W)``. Resizing is bilinear (Pillow's; when shrinking, Pillow widens the filter
      so that small details are averaged, not skipped).
    - grayscale: False gives 3 channels (red, green, blue); True gives 1 channel, the luma
      ``L = 0.299 R + 0.587 G + 0.114 B`` (ITU-R 601, Pillow's ``convert("L")``).
    - cache: None, or the path of an ``.npz`` file. If the file holds the result for the same
      sources and options, it is returned without decoding an image; otherwise the images are
      read and the file is (re)written. "Same sources" means the same fingerprint: the SHA-256
      of every image file's relative path, label and bytes, plus ``size`` and ``grayscale``.
      File times are not used: copying a folder may keep or change them either way, and an
      edit within one clock tick keeps them. Hashing the bytes costs far less than decoding
      them. A damaged or foreign cache file is simply rebuilt.

    Returns ``(x, y, class_names)``:
    - x: float32 ``(N, C, H, W)``, pixel values / 255 in [0, 1], C = 1 or 3. Transparent
      pixels (RGBA, LA, palette images with a transparent colour) are laid over black: a pixel
      of opacity a counts as ``a * colour`` (a transparent background is 0, as in MNIST).
    - y: int64 ``(N,)``, the index of each image's class in ``class_names``.
    - class_names: tuple of the class folder names, sorted.

    Images come class by class, each class's files in name order (not shuffled).
    Raises :class:`DatasetError` (in the chosen language) for a missing or empty folder, a
    class folder without images, a file that is not a PNG / JPEG or cannot be decoded (named
    in the message), and images of different sizes when ``size`` is None.
    """
    root = check_path("path", path)
    size = _check_size(size)
    if not isinstance(grayscale, (bool, np.bool_)):
        raise TypeError(tr(ja=f"grayscale は True か False です（{type(grayscale).__name__}）。",
                           en=f"grayscale must be True or False, got {type(grayscale).__name__}."))
    cache = None if cache is None else check_path("cache", cache)

    files, class_names = _list_images(root)
    if cache is not None:
        fingerprint = _fingerprint(root, files, size, bool(grayscale))
        cached = _read_cache(cache, fingerprint)
        if cached is not None:
            return cached
    x = _stack([_read_image(p, size, bool(grayscale)) for p, _ in files], files, root)
    y = np.array([label for _, label in files], dtype=np.int64)
    if cache is not None:
        _write_cache(cache, fingerprint, x, y, class_names)
    return x, y, class_names


def _check_size(size):
    """None, or ``(H, W)`` of positive ints from an int or a pair."""
    if size is None:
        return None
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(tr(ja=f"size は整数か (H, W) の 2 つ組です（{size!r}）。",
                                en=f"size must be an int or a pair (H, W), got {size!r}."))
        return tuple(check_int("size", s, low=1) for s in size)
    s = check_int("size", size, low=1)
    return (s, s)


def _hidden(entry):
    return entry.name.startswith(".") or entry.name.lower() in _SYSTEM_FILES


def _list_images(root):
    """``([(file path, label), ...], class_names)``, checked as the module docstring says."""
    if not root.exists():
        raise DatasetError(tr(ja=f"フォルダー {root} がありません。",
                              en=f"The folder {root} does not exist."))
    if not root.is_dir():
        raise DatasetError(tr(ja=f"{root} はフォルダーではありません。",
                              en=f"{root} is not a folder."))
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not _hidden(p))
    if not classes:
        raise DatasetError(tr(
            ja=f"{root} にクラスのフォルダーがありません。クラスごとにサブフォルダーを作り、"
               f"画像を入れてください（例: {root}/cat/1.png）。",
            en=f"{root} has no class folders. Put each class's images in a sub-folder of its "
               f"own (e.g. {root}/cat/1.png)."))
    files = []
    for label, folder in enumerate(classes):
        images = []
        for entry in sorted(folder.iterdir()):
            if _hidden(entry):
                continue
            if entry.is_dir() or entry.suffix.lower() not in IMAGE_EXTENSIONS:
                what = tr(ja="フォルダー", en="a folder") if entry.is_dir() else tr(
                    ja="PNG / JPEG 以外のファイル", en="not a PNG or JPEG file")
                raise DatasetError(tr(
                    ja=f"{entry} は{what}です。クラスのフォルダーには画像（"
                       f"{', '.join(IMAGE_EXTENSIONS)}）だけを入れてください。"
                       f"外に移すか、名前を '.' で始めると無視されます。",
                    en=f"{entry} is {what}. A class folder may hold only images "
                       f"({', '.join(IMAGE_EXTENSIONS)}); move it out, or start its name with "
                       f"'.' to have it ignored."))
            images.append((entry, label))
        if not images:
            raise DatasetError(tr(
                ja=f"クラスのフォルダー {folder} に画像（{', '.join(IMAGE_EXTENSIONS)}）が"
                   f"ありません。",
                en=f"The class folder {folder} holds no images "
                   f"({', '.join(IMAGE_EXTENSIONS)})."))
        files += images
    return files, tuple(p.name for p in classes)


def _read_image(path, size, grayscale):
    """One image as float32 ``(H, W)`` (grayscale) or ``(H, W, 3)``, values / 255.

    Transparency is laid over black first (``Image.alpha_composite``), then the image is
    converted to L or RGB and, if ``size`` is given, resized.
    """
    from PIL import Image  # Pillow comes with matplotlib; imported only when images are read

    try:
        with Image.open(path) as img:
            img.load()  # decode now: a damaged file fails here, inside the try
            mode = img.mode
            rgba = None if mode in ("I", "F") or mode.startswith("I;16") else img.convert("RGBA")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        # UnidentifiedImageError and "image file is truncated" are OSErrors
        raise DatasetError(tr(
            ja=f"{path} を画像として読めません（{err}）。ファイルが壊れているか、"
               f"拡張子と中身が違います。",
            en=f"{path} cannot be read as an image ({err}). The file is damaged, or its "
               f"contents do not match its name.")) from err
    if rgba is None:  # convert() would clip 16-bit values at 255 without a word
        raise DatasetError(tr(
            ja=f"{path} は 16 ビットか浮動小数点の画像（モード {mode}）です。"
               f"8 ビット（L、RGB、RGBA）で保存し直してください。",
            en=f"{path} is a 16-bit or floating-point image (mode {mode}); save it with 8 bits "
               f"per channel (L, RGB or RGBA)."))
    black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
    flat = Image.alpha_composite(black, rgba).convert("L" if grayscale else "RGB")
    if size is not None and flat.size != (size[1], size[0]):
        flat = flat.resize((size[1], size[0]), Image.BILINEAR)  # Pillow takes (width, height)
    return np.asarray(flat, dtype=np.float32) / np.float32(255.0)


def _stack(images, files, root):
    """float32 ``(N, C, H, W)`` from ``(H, W)`` or ``(H, W, 3)`` images of one size."""
    first = images[0].shape[:2]
    for image, (path, _) in zip(images, files, strict=True):
        if image.shape[:2] != first:
            raise DatasetError(tr(
                ja=f"画像の大きさがそろっていません: {files[0][0].relative_to(root)} は "
                   f"{first[0]}x{first[1]}、{path.relative_to(root)} は "
                   f"{image.shape[0]}x{image.shape[1]}（高さx幅）。size= を指定してください。",
                en=f"The images differ in size: {files[0][0].relative_to(root)} is "
                   f"{first[0]}x{first[1]} but {path.relative_to(root)} is "
                   f"{image.shape[0]}x{image.shape[1]} (height x width). Pass size= to "
                   f"resize them all."))
    x = np.stack(images)                       # (N, H, W) or (N, H, W, 3)
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def _fingerprint(root, files, size, grayscale):
    """SHA-256 hex of the options and every image's relative path, label and bytes."""
    digest = hashlib.sha256(f"{_CACHE_VERSION}|size={size}|grayscale={grayscale}".encode())
    for path, label in files:
        blob = path.read_bytes()
        # lengths first, so that no two different listings give the same byte stream
        name = path.relative_to(root).as_posix().encode()
        digest.update(f"|{len(name)}:{label}:{len(blob)}|".encode() + name + blob)
    return digest.hexdigest()


def _read_cache(cache, fingerprint):
    """``(x, y, class_names)`` from the cache file if its fingerprint matches, else None."""
    try:
        with np.load(cache, allow_pickle=False) as saved:  # never unpickle a file
            if str(saved["fingerprint"]) != fingerprint:
                return None
            return saved["x"], saved["y"], tuple(str(c) for c in saved["class_names"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None  # missing, damaged or not ours: rebuilt by the caller


def _write_cache(cache, fingerprint, x, y, class_names):
    """Write the ``.npz`` atomically: a reader sees the old file or the whole new one."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cache.parent, prefix=cache.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:  # a file object: np.savez adds no ".npz" to the name
            np.savez(out, x=x, y=y, class_names=np.array(class_names, dtype=str),
                     fingerprint=np.array(fingerprint))
        os.replace(tmp_name, cache)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
