"""cnnlab.data.load_image_folder on folders of PNG and JPEG files written here with Pillow.

Expected values are worked by hand (a pixel of 51 is 0.2; red at opacity 51/255 over black is
0.2 red) or by an independent formula (the ITU-R 601 luma, textbook bilinear weights).
"""

import os

import numpy as np
import pytest
from PIL import Image

import cnnlab.language
from cnnlab.data import DatasetError, image_folder, load_image_folder


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def save(folder, name, array, mode=None, **options):
    """Write ``array`` (uint8, (H, W) or (H, W, C)) as an image file ``folder/name``."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8), mode).save(folder / name, **options)
    return folder / name


def two_classes(root):
    """dog/ (two 2x3 images) and cat/ (one): hand-made RGB values."""
    a = np.zeros((2, 3, 3), np.uint8)
    a[0, 0] = (255, 0, 51)                     # -> (1, 0, 0.2)
    b = np.full((2, 3, 3), 102, np.uint8)      # -> 0.4 everywhere
    c = np.zeros((2, 3, 3), np.uint8)
    c[1, 2] = (0, 255, 0)
    save(root / "dog", "2.png", b)
    save(root / "dog", "1.png", a)
    save(root / "cat", "x.png", c)
    return a, b, c


def test_rgb_png_values_labels_and_order(tmp_path):
    a, b, c = two_classes(tmp_path)
    x, y, names = load_image_folder(tmp_path)
    assert names == ("cat", "dog")             # sorted folder names; label = position
    assert x.shape == (3, 3, 2, 3) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 1]
    # cat/x.png, then dog/1.png, dog/2.png (name order); channel-first
    for n, img in enumerate([c, a, b]):
        for ch in range(3):
            for r in range(2):
                for col in range(3):
                    assert x[n, ch, r, col] == np.float32(img[r, col, ch] / 255)
    assert x[1, :, 0, 0].tolist() == [1.0, 0.0, np.float32(0.2)]
    assert np.all(x[2] == np.float32(0.4))


def test_grayscale_png_and_replicated_channels(tmp_path):
    gray = np.array([[0, 51], [255, 102]], np.uint8)
    save(tmp_path / "only", "g.png", gray)      # mode L
    x, _, _ = load_image_folder(tmp_path)
    assert x.shape == (1, 3, 2, 2)
    for ch in range(3):
        np.testing.assert_array_equal(x[0, ch], np.float32([[0, 0.2], [1, 0.4]]))
    x1, _, _ = load_image_folder(tmp_path, grayscale=True)
    assert x1.shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(x1[0, 0], np.float32([[0, 0.2], [1, 0.4]]))


def test_grayscale_of_colour_is_the_luma(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    save(tmp_path / "c", "rgb.png", img)
    x, _, _ = load_image_folder(tmp_path, grayscale=True)
    r, g, b = (img[..., k].astype(float) for k in range(3))
    luma = (0.299 * r + 0.587 * g + 0.114 * b) / 255   # ITU-R 601
    np.testing.assert_allclose(x[0, 0], luma, rtol=0, atol=1.01 / 255)  # Pillow rounds to 8 bits


def test_rgba_is_laid_over_black(tmp_path):
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 51)      # red at opacity 0.2 -> (0.2, 0, 0)
    rgba[0, 1] = (10, 200, 30, 255)   # opaque: unchanged
    rgba[0, 2] = (255, 255, 255, 0)   # transparent white -> black
    save(tmp_path / "k", "a.png", rgba, mode="RGBA")
    x, _, _ = load_image_folder(tmp_path)
    np.testing.assert_allclose(x[0, :, 0, 0], [0.2, 0, 0], atol=1 / 255)
    np.testing.assert_array_equal(x[0, :, 0, 1], np.float32([10, 200, 30]) / np.float32(255))
    np.testing.assert_array_equal(x[0, :, 0, 2], [0, 0, 0])


def test_palette_image_with_a_transparent_colour(tmp_path):
    img = Image.new("P", (3, 1))
    img.putpalette([9, 9, 9, 0, 255, 0, 255, 0, 0] + [0] * 759)   # colours 0, 1, 2
    img.putdata([0, 1, 2])
    (tmp_path / "p").mkdir()
    img.save(tmp_path / "p" / "pal.png", transparency=0)          # colour 0 is transparent
    with Image.open(tmp_path / "p" / "pal.png") as saved:
        assert saved.mode == "P"
    x, _, _ = load_image_folder(tmp_path)
    np.testing.assert_array_equal(x[0, :, 0], [[0, 0, 1], [0, 1, 0], [0, 0, 0]])


def test_jpeg_rgb_and_grayscale(tmp_path):
    save(tmp_path / "j", "rgb.jpg", np.full((8, 8, 3), (200, 40, 90), np.uint8), quality=95)
    save(tmp_path / "j", "gray.JPEG", np.full((8, 8), 153, np.uint8), quality=95)
    x, y, names = load_image_folder(tmp_path)
    assert names == ("j",) and x.shape == (2, 3, 8, 8)
    # name order: "gray.JPEG" < "rgb.jpg"; JPEG is lossy, a flat colour comes back within 2/255
    np.testing.assert_allclose(x[0], 0.6, atol=2 / 255)
    np.testing.assert_allclose(x[1].mean(axis=(1, 2)), np.array([200, 40, 90]) / 255, atol=2 / 255)


def test_resize_with_an_int_and_a_pair(tmp_path):
    # H 2, W 4: left half 0, right half 255; to W 8 the row is [0, 0, 0, 1/4, 3/4, 1, 1, 1]:
    # output centres sit at source x = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, ..., 3.25 (clamped)
    img = np.zeros((2, 4), np.uint8)
    img[:, 2:] = 255
    save(tmp_path / "r", "half.png", img)
    x, _, _ = load_image_folder(tmp_path, size=(2, 8), grayscale=True)
    assert x.shape == (1, 1, 2, 8)
    for row in x[0, 0]:
        np.testing.assert_allclose(row, [0, 0, 0, 0.25, 0.75, 1, 1, 1], atol=1 / 255)
    x5, _, _ = load_image_folder(tmp_path, size=5)
    assert x5.shape == (1, 3, 5, 5)
    x35, _, _ = load_image_folder(tmp_path, size=(3, 5))
    assert x35.shape == (1, 3, 3, 5)             # (height, width), not swapped


def test_mixed_sizes_need_size(tmp_path):
    save(tmp_path / "a", "small.png", np.zeros((4, 4), np.uint8))
    save(tmp_path / "b", "wide.png", np.zeros((4, 6), np.uint8))
    with pytest.raises(DatasetError, match=r"differ in size.*a/small.png is 4x4.*b/wide.png is 4x6"):
        load_image_folder(tmp_path)
    x, y, _ = load_image_folder(tmp_path, size=(4, 5))
    assert x.shape == (2, 3, 4, 5) and y.tolist() == [0, 1]


def test_hidden_and_system_files_are_skipped(tmp_path):
    save(tmp_path / "cls", "a.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "cls" / ".DS_Store").write_bytes(b"\x00\x01junk")
    (tmp_path / "cls" / "Thumbs.db").write_bytes(b"junk")
    (tmp_path / "cls" / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()                 # not a class
    save(tmp_path / ".hidden_class", "b.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "README.txt").write_text("files at the top belong to no class")
    x, y, names = load_image_folder(tmp_path)
    assert names == ("cls",) and len(x) == 1


def test_extensions_in_any_case(tmp_path):
    save(tmp_path / "c", "A.PNG", np.zeros((2, 2), np.uint8), format="PNG")
    save(tmp_path / "c", "b.JpG", np.zeros((2, 2), np.uint8), format="JPEG")
    assert len(load_image_folder(tmp_path)[0]) == 2


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "notes.txt").write_text("hi"), r"notes.txt is not a PNG or JPEG file"),
    (lambda d: save(d, "anim.gif", np.zeros((2, 2), np.uint8)), r"anim.gif is not a PNG"),
    (lambda d: (d / "nested").mkdir(), r"nested is a folder"),
])
def test_other_entries_in_a_class_folder_are_reported(tmp_path, make, message):
    save(tmp_path / "c", "ok.png", np.zeros((2, 2), np.uint8))
    make(tmp_path / "c")
    with pytest.raises(DatasetError, match=message):
        load_image_folder(tmp_path)


@pytest.mark.parametrize("blob", [b"this is no image", None], ids=["garbage", "truncated-png"])
def test_a_corrupt_file_is_named(tmp_path, blob):
    save(tmp_path / "c", "good.png", np.zeros((8, 8), np.uint8))
    bad = save(tmp_path / "c", "bad.png", np.arange(64, dtype=np.uint8).reshape(8, 8))
    if blob is None:
        blob = bad.read_bytes()[:-30]            # the end of the data and IEND cut off
    bad.write_bytes(blob)
    with pytest.raises(DatasetError, match=r"c/bad.png cannot be read as an image"):
        load_image_folder(tmp_path)


def test_a_text_file_named_jpg_is_named(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "fake.jpg").write_text("not a jpeg")
    with pytest.raises(DatasetError, match="fake.jpg cannot be read"):
        load_image_folder(tmp_path)


def test_sixteen_bit_images_are_refused(tmp_path):
    (tmp_path / "c").mkdir()
    Image.fromarray(np.full((2, 2), 1000, np.uint16)).save(tmp_path / "c" / "deep.png")
    with pytest.raises(DatasetError, match="deep.png is a 16-bit"):
        load_image_folder(tmp_path)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(DatasetError, match="is not a folder"):
        load_image_folder(tmp_path / "file.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="has no class folders"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "empty" / "cat").mkdir()
    (tmp_path / "empty" / "cat" / ".DS_Store").write_bytes(b"")
    with pytest.raises(DatasetError, match="empty/cat holds no images"):
        load_image_folder(tmp_path / "empty")


def test_messages_in_japanese(tmp_path, monkeypatch):
    monkeypatch.setattr(cnnlab.language, "_chosen", "ja")
    with pytest.raises(DatasetError, match="がありません"):
        load_image_folder(tmp_path / "nowhere")


# ---------------------------------------------------------------------------------------------
# cache

def no_decoding(monkeypatch):
    def refuse(*args):
        raise AssertionError("an image was decoded")
    monkeypatch.setattr(image_folder, "_read_image", refuse)


def test_cache_is_written_then_reused(tmp_path, monkeypatch):
    two_classes(tmp_path / "img")
    cache = tmp_path / "img" / "cache.npz"              # inside the folder: skipped as a source
    first = load_image_folder(tmp_path / "img", cache=cache)
    assert cache.is_file()
    with np.load(cache, allow_pickle=False) as saved:   # plain arrays, no pickled objects
        assert sorted(saved.files) == ["class_names", "fingerprint", "x", "y"]
    with monkeypatch.context() as m:
        no_decoding(m)
        again = load_image_folder(tmp_path / "img", cache=str(cache))
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(again[1], first[1])
    assert again[2] == first[2] == ("cat", "dog")


def test_cache_notices_changed_bytes_even_with_the_same_size_and_time(tmp_path):
    two_classes(tmp_path / "img")
    path = tmp_path / "img" / "dog" / "2.png"
    save(path.parent, path.name, np.full((2, 3, 3), 102, np.uint8), compress_level=0)
    cache = tmp_path / "c.npz"
    x0, _, _ = load_image_folder(tmp_path / "img", cache=cache)
    stat = path.stat()
    # uncompressed PNG: the file size depends only on the image size
    save(path.parent, path.name, np.full((2, 3, 3), 153, np.uint8), compress_level=0)  # 0.6
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))             # same time stamp
    assert path.stat().st_size == stat.st_size                          # same size as well
    x1, _, _ = load_image_folder(tmp_path / "img", cache=cache)
    assert np.all(x0[2] == np.float32(0.4)) and np.all(x1[2] == np.float32(0.6))


def test_cache_notices_added_files_and_new_options(tmp_path):
    two_classes(tmp_path / "img")
    cache = tmp_path / "c.npz"
    assert len(load_image_folder(tmp_path / "img", cache=cache)[0]) == 3
    save(tmp_path / "img" / "cat", "y.png", np.zeros((2, 3, 3), np.uint8))
    assert len(load_image_folder(tmp_path / "img", cache=cache)[0]) == 4
    assert load_image_folder(tmp_path / "img", grayscale=True, cache=cache)[0].shape[1] == 1
    assert load_image_folder(tmp_path / "img", size=4, cache=cache)[0].shape[2:] == (4, 4)
    (tmp_path / "img" / "dog" / "1.png").rename(tmp_path / "img" / "dog" / "0.png")
    x, y, _ = load_image_folder(tmp_path / "img", cache=cache)
    assert x.shape == (4, 3, 2, 3) and x[2, 0, 0, 0] == 1.0   # renamed file now comes first


@pytest.mark.parametrize("junk", [b"not a zip", b""], ids=["garbage", "empty"])
def test_damaged_cache_is_rebuilt(tmp_path, junk):
    two_classes(tmp_path / "img")
    cache = tmp_path / "sub" / "c.npz"
    cache.parent.mkdir()
    cache.write_bytes(junk)
    x, y, names = load_image_folder(tmp_path / "img", cache=cache)
    assert len(x) == 3 and cache.stat().st_size > 100
    assert [p.name for p in cache.parent.iterdir()] == ["c.npz"]   # no temporary file left


@pytest.mark.parametrize("kwargs, error", [
    ({"path": 3}, TypeError),
    ({"size": 0}, ValueError),
    ({"size": 2.5}, TypeError),
    ({"size": (2, 2, 2)}, ValueError),
    ({"size": (2, -1)}, ValueError),
    ({"size": "8"}, TypeError),
    ({"grayscale": "yes"}, TypeError),
    ({"cache": 5}, TypeError),
])
def test_bad_arguments(tmp_path, kwargs, error):
    two_classes(tmp_path)
    args = {"path": tmp_path, **kwargs}
    with pytest.raises(error, match="path|size|grayscale|cache"):
        load_image_folder(args.pop("path"), **args)
