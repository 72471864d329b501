"""Tests for cnnlab.data.

Digits: the bundled scikit-learn set, split and upsampled. IDX loaders: the real download code
(cnnlab.data.download, shared with CIFAR-10), run against small IDX files generated here and
served by an HTTP server on 127.0.0.1 (tests/loopback.py) — no test touches the internet.
"""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_load_digits

import cnnlab.language
from cnnlab import data
from cnnlab.data import DatasetError, load_digits, load_idx_dataset
from loopback import dead_url, files_in, server  # noqa: F401  (pytest fixtures)


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


# ---------------------------------------------------------------------------------------------
# load_digits
# ---------------------------------------------------------------------------------------------

RAW = sklearn_load_digits()
N_PER_CLASS = np.bincount(RAW.target)


def expected_counts(n):
    """The docstring's rule per class of size n: round(0.2 n) to val and to test (halves up)."""
    n_val = int(np.floor(0.2 * n + 0.5))
    return n - 2 * n_val, n_val, n_val


def splits(d):
    return [(d.x_train, d.y_train), (d.x_val, d.y_val), (d.x_test, d.y_test)]


def test_digits_shapes_dtypes_and_range():
    d = load_digits()
    for x, y in splits(d):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.ndim == 4 and x.shape[1:] == (1, 8, 8)
        assert y.shape == (x.shape[0],)
        assert x.min() >= 0.0 and x.max() <= 1.0
        assert set(np.unique(y)) == set(range(10))
    # raw values are 0..16, so the scaled values are exactly k / 16
    all_x = np.concatenate([x for x, _ in splits(d)])
    np.testing.assert_array_equal(all_x * 16, np.round(all_x * 16))
    assert all_x.max() == 1.0 and all_x.min() == 0.0


def test_digits_counts_match_the_docstring():
    d = load_digits()
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (1079, 359, 359)
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == len(RAW.target) == 1797
    assert "1,079" in load_digits.__doc__ and "359" in load_digits.__doc__


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_digits_split_is_stratified(seed):
    d = load_digits(seed=seed)
    got = np.stack([np.bincount(y, minlength=10) for _, y in splits(d)], axis=1)  # (10, 3)
    want = np.array([expected_counts(n) for n in N_PER_CLASS])
    np.testing.assert_array_equal(got, want)
    # so every class is 20 % +- half an image of validation and of test
    for split in (1, 2):
        assert np.all(np.abs(got[:, split] - 0.2 * N_PER_CLASS) <= 0.5)


def _rows(images_0_to_16, labels):
    """One integer row per sample: 64 pixel values then the label, sorted lexicographically."""
    flat = np.round(np.asarray(images_0_to_16).reshape(len(labels), -1)).astype(np.int64)
    rows = np.column_stack([flat, labels])
    return rows[np.lexsort(rows.T[::-1])]


def test_digits_splits_are_disjoint_and_cover_the_data_set():
    # every one of the 1797 bundled images is distinct, so matching images is matching samples
    assert len(np.unique(RAW.images.reshape(len(RAW.target), -1), axis=0)) == len(RAW.target)
    d = load_digits()
    x = np.concatenate([x for x, _ in splits(d)]) * 16
    y = np.concatenate([y for _, y in splits(d)])
    np.testing.assert_array_equal(_rows(x, y), _rows(RAW.images, RAW.target))
    per_split = [set(map(bytes, x.reshape(len(x), -1))) for x, _ in splits(d)]
    assert not (per_split[0] & per_split[1] or per_split[0] & per_split[2]
                or per_split[1] & per_split[2])


def test_digits_split_helper_partitions_indices():
    train, val, test = data._stratified_split(RAW.target, seed=3)
    together = np.concatenate([train, val, test])
    np.testing.assert_array_equal(np.sort(together), np.arange(len(RAW.target)))


def test_digits_are_deterministic_and_independent_of_call_order():
    data._digits_split.cache_clear()
    a0 = load_digits(seed=0)
    a1 = load_digits(seed=1)
    data._digits_split.cache_clear()
    np.random.seed(99)
    np.random.rand(10)  # the global NumPy random state must not matter
    load_digits(image_size=16, seed=5)
    b1 = load_digits(seed=1)
    b0 = load_digits(seed=0)
    c0 = load_digits(seed=0)  # from the in-process cache
    for x, y in zip(a0, b0, strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a0, c0, strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a1, b1, strict=True):
        np.testing.assert_array_equal(x, y)
    # a different seed gives a different split (same sizes)
    assert a0.y_train.shape == a1.y_train.shape
    assert not np.array_equal(a0.x_train, a1.x_train)


def test_digits_training_split_is_shuffled_not_sorted_by_class():
    y = load_digits().y_train
    assert np.count_nonzero(np.diff(y)) > len(y) // 2


def test_digits_returns_copies_so_the_cache_cannot_be_corrupted():
    d = load_digits()
    original = d.x_train.copy()
    d.x_train[:] = -5.0
    d.y_train[:] = 42
    again = load_digits()
    np.testing.assert_array_equal(again.x_train, original)
    assert again.y_train.max() <= 9
    assert again.x_train.flags.writeable


def bilinear_reference(img, size):
    """Textbook bilinear resize, one output pixel at a time.

    Output pixel i has its centre at source coordinate (i + 0.5) * n / size - 0.5, clamped to
    [0, n - 1]; its value interpolates the two neighbouring source pixels, in both directions.
    """
    n = img.shape[0]
    out = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            r = min(max((i + 0.5) * n / size - 0.5, 0.0), n - 1)
            c = min(max((j + 0.5) * n / size - 0.5, 0.0), n - 1)
            r0, c0 = int(np.floor(r)), int(np.floor(c))
            r1, c1 = min(r0 + 1, n - 1), min(c0 + 1, n - 1)
            fr, fc = r - r0, c - c0
            out[i, j] = ((1 - fr) * (1 - fc) * img[r0, c0] + (1 - fr) * fc * img[r0, c1]
                         + fr * (1 - fc) * img[r1, c0] + fr * fc * img[r1, c1])
    return out


@pytest.mark.parametrize("size", [16, 28])
def test_digits_upsampling_is_bilinear(size):
    small = load_digits(image_size=8)
    big = load_digits(image_size=size)
    for (xs, ys), (xb, yb) in zip(splits(small), splits(big), strict=True):
        assert xb.shape == (len(xs), 1, size, size) and xb.dtype == np.float32
        np.testing.assert_array_equal(yb, ys)  # the split does not depend on the size
        assert xb.min() >= 0.0 and xb.max() <= 1.0
    for k in (0, 1, 100):
        want = bilinear_reference(small.x_val[k, 0].astype(np.float64), size)
        np.testing.assert_allclose(big.x_val[k, 0], want, rtol=0, atol=1e-6)


def test_bilinear_doubling_worked_example():
    # 2 -> 4 pixels: output centres sit at source coordinates -0.25, 0.25, 0.75, 1.25, so
    # (clamped) the row [0, 1] becomes [0, 1/4, 3/4, 1]
    img = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    out = data._resize_bilinear(img, 4)
    np.testing.assert_allclose(out[0], np.tile([0.0, 0.25, 0.75, 1.0], (4, 1)))
    # a constant image stays constant
    np.testing.assert_allclose(data._resize_bilinear(np.full((1, 8, 8), 0.3), 28), 0.3)


def test_digits_accepts_numpy_integers():
    d = load_digits(image_size=np.int64(16), seed=np.int32(0))
    assert d.x_train.shape[-1] == 16


@pytest.mark.parametrize("kwargs, error", [
    ({"image_size": 7}, ValueError),
    ({"image_size": 4}, ValueError),
    ({"image_size": 65}, ValueError),
    ({"image_size": 16.0}, TypeError),
    ({"image_size": "16"}, TypeError),
    ({"image_size": True}, TypeError),
    ({"image_size": None}, TypeError),
    ({"seed": -1}, ValueError),
    ({"seed": 1.5}, TypeError),
    ({"seed": None}, TypeError),
])
def test_digits_bad_arguments(kwargs, error):
    with pytest.raises(error, match="image_size|seed"):
        load_digits(**kwargs)


# ---------------------------------------------------------------------------------------------
# IDX loaders against a loopback server
# ---------------------------------------------------------------------------------------------

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def idx_bytes(array, magic=None):
    """Gzip-compressed IDX file of a uint8 array: magic 0x0000080D (D = ndim), sizes, values."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x0800 + array.ndim if magic is None else magic
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


def sha256(blob):
    return hashlib.sha256(blob).hexdigest()


class Fake:
    """A tiny data set: 20 training and 10 test images, their IDX files and checksums."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.x_train = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
        self.x_train[0] = 255  # make sure 1.0 is reached
        self.y_train = (np.arange(20) * 7 % 10).astype(np.uint8)
        self.x_test = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
        self.y_test = np.arange(10, dtype=np.uint8)[::-1].copy()
        self.files = {
            TRAIN_IMAGES: idx_bytes(self.x_train), TRAIN_LABELS: idx_bytes(self.y_train),
            TEST_IMAGES: idx_bytes(self.x_test), TEST_LABELS: idx_bytes(self.y_test),
        }

    def checksums(self):
        return {name: sha256(blob) for name, blob in self.files.items()}


def load(cache, mirrors, checksums, name="mnist", **kwargs):
    return load_idx_dataset(name, cache, mirrors=mirrors, checksums=checksums, progress=False,
                            **kwargs)


@pytest.mark.parametrize("loader, name", [
    (data.load_mnist, "mnist"),
    (data.load_fashion_mnist, "fashion_mnist"),
    (data.load_kmnist, "kmnist"),
])
def test_download_success_then_cached(server, tmp_path, loader, name):
    fake = Fake()
    server.serve(name, fake.files)
    x_train, y_train, x_test, y_test = loader(
        tmp_path, mirrors=[server.url(name)], checksums=fake.checksums(), progress=False)

    assert x_train.shape == (20, 1, 28, 28) and x_test.shape == (10, 1, 28, 28)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_allclose(x_train[:, 0], fake.x_train / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_allclose(x_test[:, 0], fake.x_test / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(y_train, fake.y_train)
    np.testing.assert_array_equal(y_test, fake.y_test)
    assert x_train.min() >= 0 and x_train.max() == 1.0
    assert sorted(server.requests) == sorted(f"/{name}/{f}" for f in FILES)
    assert files_in(tmp_path) == sorted(f"{name}/{f}" for f in FILES)
    for f in FILES:
        assert (tmp_path / name / f).read_bytes() == fake.files[f]

    # second call: from the cache, not one request more
    again = loader(tmp_path, mirrors=[server.url(name)], checksums=fake.checksums(),
                   progress=False)
    assert len(server.requests) == 4
    for a, b in zip(again, (x_train, y_train, x_test, y_test), strict=True):
        np.testing.assert_array_equal(a, b)


def test_cached_files_need_no_network(server, tmp_path, dead_url):
    fake = Fake()
    server.serve("mnist", fake.files)
    load(tmp_path, [server.url("mnist")], fake.checksums())
    x_train, *_ = load(tmp_path, [dead_url], fake.checksums())
    assert x_train.shape == (20, 1, 28, 28)


def test_module_level_mirrors_and_checksums_are_the_defaults(server, tmp_path, monkeypatch):
    fake = Fake()
    server.serve("kmnist", fake.files)
    monkeypatch.setitem(data.MIRRORS, "kmnist", (server.url("kmnist"),))
    monkeypatch.setitem(data.CHECKSUMS, "kmnist", fake.checksums())
    _, y_train, _, _ = data.load_kmnist(tmp_path, progress=False)
    np.testing.assert_array_equal(y_train, fake.y_train)


def test_progress_bar_path_works(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files)
    x_train, *_ = load_idx_dataset("mnist", tmp_path, mirrors=[server.url("mnist")],
                                   checksums=fake.checksums(), progress=True)
    assert x_train.shape == (20, 1, 28, 28)


def test_cache_directory_from_environment(server, tmp_path, monkeypatch):
    fake = Fake()
    server.serve("mnist", fake.files)
    monkeypatch.setenv("CNNLAB_DATA_DIR", str(tmp_path / "from-env"))
    load(None, [server.url("mnist")], fake.checksums())
    assert files_in(tmp_path / "from-env") == sorted(f"mnist/{f}" for f in FILES)
    # the argument wins over the environment
    load(tmp_path / "from-arg", [server.url("mnist")], fake.checksums())
    assert len(files_in(tmp_path / "from-arg")) == 4


def test_default_cache_directory_is_the_user_cache(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("CNNLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = data.download.cache_root(None)
    assert root == Path(platformdirs.user_cache_dir("cnnlab"))
    assert root.name == "cnnlab"


def test_offline_gives_a_clear_error_and_an_empty_cache(tmp_path, dead_url):
    with pytest.raises(DatasetError, match="connection failed") as err:
        load(tmp_path, [dead_url], Fake().checksums())
    assert TRAIN_IMAGES in str(err.value) and "network" in str(err.value)
    assert files_in(tmp_path) == []


def test_offline_error_in_japanese(tmp_path, dead_url, monkeypatch):
    monkeypatch.setattr(cnnlab.language, "_chosen", "ja")
    with pytest.raises(DatasetError, match="接続に失敗しました"):
        load(tmp_path, [dead_url], Fake().checksums())


def test_bad_checksum_is_an_error_and_leaves_nothing(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files)
    checksums = fake.checksums()
    checksums[TRAIN_IMAGES] = sha256(b"something else")
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        load(tmp_path, [server.url("mnist")], checksums)
    assert files_in(tmp_path) == []


def test_bad_checksum_of_a_later_file_keeps_only_verified_files(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files)
    checksums = fake.checksums()
    checksums[TEST_LABELS] = sha256(b"something else")
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        load(tmp_path, [server.url("mnist")], checksums)
    cached = files_in(tmp_path)
    assert f"mnist/{TEST_LABELS}" not in cached
    for name in cached:  # whatever stayed was verified: no partial or unchecked file
        assert sha256((tmp_path / name).read_bytes()) == checksums[Path(name).name]


def test_truncated_download_is_an_error_and_leaves_nothing(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files, mode="truncate", only=TRAIN_IMAGES)
    with pytest.raises(DatasetError, match="cut short"):
        load(tmp_path, [server.url("mnist")], fake.checksums())
    assert files_in(tmp_path) == []


def test_truncated_chunked_download_is_an_error_and_leaves_nothing(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files, mode="chunked-truncate", only=TRAIN_LABELS)
    with pytest.raises(DatasetError, match="cut short"):
        load(tmp_path, [server.url("mnist")], fake.checksums())
    assert files_in(tmp_path) == [f"mnist/{TRAIN_IMAGES}"]  # verified before the failure


def test_truncated_download_without_length_fails_the_checksum(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files, mode="no-length", only=TRAIN_IMAGES)
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        load(tmp_path, [server.url("mnist")], fake.checksums())
    assert files_in(tmp_path) == []


def test_http_404_is_an_error(server, tmp_path):
    with pytest.raises(DatasetError, match="HTTP 404"):
        load(tmp_path, [server.url("mnist")], Fake().checksums())
    assert files_in(tmp_path) == []
    assert server.requests == [f"/mnist/{TRAIN_IMAGES}"]


def test_timeout_is_an_error_and_leaves_nothing(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files, mode="hang", only=TRAIN_IMAGES)
    with pytest.raises(DatasetError, match="timed out"):
        load(tmp_path, [server.url("mnist")], fake.checksums(), timeout=0.3)
    assert files_in(tmp_path) == []


def test_next_mirror_is_tried_after_a_failure(server, tmp_path, dead_url):
    fake = Fake()
    server.serve("good", fake.files)
    x_train, *_ = load(tmp_path, [dead_url, server.url("missing"), server.url("good")],
                       fake.checksums())
    assert x_train.shape == (20, 1, 28, 28)
    assert f"/missing/{TRAIN_IMAGES}" in server.requests


def test_all_mirror_failures_are_reported(server, tmp_path, dead_url):
    with pytest.raises(DatasetError) as err:
        load(tmp_path, [dead_url, server.url("missing")], Fake().checksums())
    assert "connection failed" in str(err.value) and "HTTP 404" in str(err.value)


def test_damaged_cached_file_is_downloaded_again(server, tmp_path):
    fake = Fake()
    server.serve("mnist", fake.files)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / TRAIN_LABELS).write_bytes(fake.files[TRAIN_LABELS][:-3])  # truncated
    load(tmp_path, [server.url("mnist")], fake.checksums())
    assert f"/mnist/{TRAIN_LABELS}" in server.requests
    assert (tmp_path / "mnist" / TRAIN_LABELS).read_bytes() == fake.files[TRAIN_LABELS]


def serve_broken(server, fake, name, blob):
    """Serve ``fake``'s files with ``name`` replaced by ``blob``, checksums matching."""
    files = dict(fake.files, **{name: blob})
    server.serve("mnist", files)
    return {n: sha256(b) for n, b in files.items()}


@pytest.mark.parametrize("blob", [
    b"this is not gzip at all",
    gzip.compress(b"\x00\x00\x08\x03" + bytes(100))[:-20],  # gzip stream cut in the middle
], ids=["not-gzip", "gzip-cut-short"])
def test_corrupt_gzip_is_an_error_and_not_kept(server, tmp_path, blob):
    checksums = serve_broken(server, Fake(), TRAIN_IMAGES, blob)
    with pytest.raises(DatasetError, match="not a valid gzip file"):
        load(tmp_path, [server.url("mnist")], checksums)
    assert f"mnist/{TRAIN_IMAGES}" not in files_in(tmp_path)


@pytest.mark.parametrize("name, blob", [
    (TRAIN_IMAGES, idx_bytes(np.zeros((20, 28, 28)), magic=0x0801)),  # label magic on images
    (TRAIN_LABELS, idx_bytes(np.zeros(20), magic=0x0803)),  # image magic on labels
    (TRAIN_IMAGES, idx_bytes(np.zeros((20, 28, 28)), magic=0x0D03)),  # float type, not ubyte
    (TEST_LABELS, gzip.compress(b"\x00\x00")),  # too short for a magic number
], ids=["label-magic-on-images", "image-magic-on-labels", "not-ubyte", "too-short"])
def test_wrong_idx_magic_is_an_error(server, tmp_path, name, blob):
    checksums = serve_broken(server, Fake(), name, blob)
    with pytest.raises(DatasetError, match="magic number"):
        load(tmp_path, [server.url("mnist")], checksums)
    assert f"mnist/{name}" not in files_in(tmp_path)


def test_idx_length_not_matching_header_is_an_error(server, tmp_path):
    images = Fake().x_train
    header = struct.pack(">4I", 0x0803, 20, 28, 28)
    blob = gzip.compress(header + images[:19].tobytes())  # says 20 images, holds 19
    checksums = serve_broken(server, Fake(), TRAIN_IMAGES, blob)
    with pytest.raises(DatasetError, match="do not match"):
        load(tmp_path, [server.url("mnist")], checksums)


def test_images_of_the_wrong_size_are_an_error(server, tmp_path):
    checksums = serve_broken(server, Fake(), TEST_IMAGES, idx_bytes(np.zeros((10, 27, 28))))
    with pytest.raises(DatasetError, match="27x28"):
        load(tmp_path, [server.url("mnist")], checksums)


def test_images_and_labels_must_agree(server, tmp_path):
    checksums = serve_broken(server, Fake(), TRAIN_LABELS, idx_bytes(np.zeros(19)))
    with pytest.raises(DatasetError, match="20 images but 19 labels"):
        load(tmp_path, [server.url("mnist")], checksums)


def test_labels_outside_0_to_9_are_an_error(server, tmp_path):
    checksums = serve_broken(server, Fake(), TEST_LABELS, idx_bytes(np.full(10, 12)))
    with pytest.raises(DatasetError, match="outside 0..9"):
        load(tmp_path, [server.url("mnist")], checksums)


def test_published_checksum_tables_are_complete():
    assert set(data.MIRRORS) == set(data.CHECKSUMS) == {"mnist", "fashion_mnist", "kmnist"}
    digests = set()
    for name, table in data.CHECKSUMS.items():
        assert set(table) == set(FILES)
        for digest in table.values():
            assert len(digest) == 64 and int(digest, 16) >= 0
            digests.add(digest)
        assert all(m.startswith(("https://", "http://")) for m in data.MIRRORS[name])
    assert len(digests) == 12  # twelve different files


@pytest.mark.parametrize("kwargs, error", [
    ({"name": "cifar10"}, ValueError),
    ({"name": 3}, TypeError),
    ({"cache_dir": 3}, TypeError),
    ({"timeout": 0}, ValueError),
    ({"timeout": "10"}, TypeError),
    ({"timeout": float("nan")}, ValueError),
    ({"mirrors": ["ftp://example.org/"]}, ValueError),
    ({"mirrors": []}, ValueError),
    ({"checksums": ["abc"]}, TypeError),
    ({"checksums": {TRAIN_IMAGES: "0" * 64}}, ValueError),  # the other three are missing
    ({"checksums": dict.fromkeys(FILES, "xyz")}, ValueError),
])
def test_idx_loader_bad_arguments(tmp_path, kwargs, error):
    args = {"name": "mnist", "cache_dir": tmp_path, **kwargs}
    with pytest.raises(error):
        load_idx_dataset(args.pop("name"), args.pop("cache_dir"), progress=False, **args)
    assert files_in(tmp_path) == []


def test_the_bundled_file_read_directly_is_what_sklearn_loads():
    from cnnlab.data import _read_bundled_digits_file

    raw = _read_bundled_digits_file()
    assert raw is not None, "scikit-learn's digits.csv.gz was not found: load_digits falls back to sklearn"
    assert np.array_equal(raw[:, :64].reshape(-1, 8, 8), RAW.images)
    assert np.array_equal(raw[:, 64], RAW.target)


def test_load_digits_falls_back_to_sklearn_when_the_file_moves(monkeypatch):
    from cnnlab.data import digits

    # load_digits looks the reader up in its own module, cnnlab.data.digits
    monkeypatch.setattr(digits, "_read_bundled_digits_file", lambda: None)
    data._bundled_digits.cache_clear()
    data._digits_split.cache_clear()
    try:
        images, labels = data._bundled_digits()
        assert np.array_equal(images * 16, RAW.images) and np.array_equal(labels, RAW.target)
    finally:
        data._bundled_digits.cache_clear()
        data._digits_split.cache_clear()
