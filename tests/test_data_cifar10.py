"""cnnlab.data.load_cifar10: the real download and reading code against small archives in the
official binary format, made here and served on 127.0.0.1 (tests/loopback.py).

Each test archive holds a few records per batch file; a record is 1 label byte and 3,072 pixel
bytes (1,024 red, then green, then blue, each 32 rows of 32), written out byte by byte here so
that the reader's reshape is checked against an independent layout.
"""

import gzip
import hashlib
import io
import tarfile

import numpy as np
import pytest

import cnnlab.language
from cnnlab import data
from cnnlab.data import DatasetError, load_cifar10
from cnnlab.data.cifar10 import CIFAR10_FILE
from loopback import dead_url, files_in, server  # noqa: F401  (pytest fixtures)

FOLDER = "cifar-10-batches-bin/"
BATCHES = [f"{FOLDER}data_batch_{i}.bin" for i in range(1, 6)] + [f"{FOLDER}test_batch.bin"]


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def record(label, red, green, blue):
    """One 3,073-byte record from three lists of 1,024 values, each indexed [row * 32 + col]."""
    return bytes([label]) + bytes(red) + bytes(green) + bytes(blue)


def tar_gz(members):
    """A gzip-compressed tar archive of ``{name: bytes}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


class FakeCifar:
    """Records: 2 + 1 + 1 + 1 + 1 training, 3 test; pixel planes as lists, labels as ints."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        counts = [2, 1, 1, 1, 1, 3]
        self.planes, self.labels, self.members = [], [], {}
        label = 0
        for name, count in zip(BATCHES, counts, strict=True):
            blob = b""
            for _ in range(count):
                planes = [rng.integers(0, 256, 1024).tolist() for _ in range(3)]
                blob += record(label, *planes)
                self.planes.append(planes)
                self.labels.append(label)
                label = (label + 3) % 10
            self.members[name] = blob
        self.members[f"{FOLDER}batches.meta.txt"] = "\n".join(data.CIFAR10_CLASSES).encode()
        self.blob = tar_gz(self.members)

    def sha256(self):
        return hashlib.sha256(self.blob).hexdigest()


def load(cache, mirrors, sha256, **kwargs):
    return load_cifar10(cache, mirrors=mirrors, sha256=sha256, progress=False, **kwargs)


def test_reads_the_binary_format(server, tmp_path):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob})
    x_train, y_train, x_test, y_test, names = load(tmp_path, [server.url("cifar")], fake.sha256())

    assert x_train.shape == (6, 3, 32, 32) and x_test.shape == (3, 3, 32, 32)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), fake.labels)
    x = np.concatenate([x_train, x_test])
    for n, planes in enumerate(fake.planes):       # pixel by pixel, from the lists
        for channel in range(3):
            for row, col in [(0, 0), (0, 31), (1, 0), (17, 5), (31, 31)]:
                want = planes[channel][row * 32 + col] / 255
                assert abs(x[n, channel, row, col] - want) < 1e-7, (n, channel, row, col)
    assert names == ("airplane", "automobile", "bird", "cat", "deer",
                     "dog", "frog", "horse", "ship", "truck")
    assert files_in(tmp_path) == [f"cifar10/{CIFAR10_FILE}"]  # nothing extracted


def test_a_hand_made_record():
    # red everywhere 255, green 0, blue 0 except pixel (row 2, col 3) = 51 -> 0.2; label 7
    blue = [0] * 1024
    blue[2 * 32 + 3] = 51
    blob = record(7, [255] * 1024, [0] * 1024, blue)
    from cnnlab.data.cifar10 import _decode

    x, y = _decode([blob], "test")
    assert y.tolist() == [7]
    assert np.all(x[0, 0] == 1.0) and np.all(x[0, 1] == 0.0)
    assert x[0, 2, 2, 3] == np.float32(0.2) and np.count_nonzero(x[0, 2]) == 1


def test_second_call_uses_the_cache(server, tmp_path, dead_url):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob})
    first = load(tmp_path, [server.url("cifar")], fake.sha256())
    assert server.requests == [f"/cifar/{CIFAR10_FILE}"]
    again = load(tmp_path, [dead_url], fake.sha256())      # offline now: the cache is enough
    assert len(server.requests) == 1
    for a, b in zip(first[:4], again[:4], strict=True):
        np.testing.assert_array_equal(a, b)


def test_offline_error_is_clear_and_leaves_nothing(tmp_path, dead_url):
    with pytest.raises(DatasetError, match="connection failed") as err:
        load(tmp_path, [dead_url], FakeCifar().sha256())
    assert CIFAR10_FILE in str(err.value) and "load_digits()" in str(err.value)
    assert files_in(tmp_path) == []


def test_offline_error_in_japanese(tmp_path, dead_url, monkeypatch):
    monkeypatch.setattr(cnnlab.language, "_chosen", "ja")
    with pytest.raises(DatasetError, match="接続に失敗しました"):
        load(tmp_path, [dead_url], FakeCifar().sha256())


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob})
    with pytest.raises(DatasetError, match="SHA-256 mismatch"):
        load(tmp_path, [server.url("cifar")], hashlib.sha256(b"other").hexdigest())
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("mode, message", [("truncate", "cut short"),
                                           ("no-length", "SHA-256 mismatch")])
def test_truncated_download_leaves_nothing(server, tmp_path, mode, message):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob}, mode=mode)
    with pytest.raises(DatasetError, match=message):
        load(tmp_path, [server.url("cifar")], fake.sha256())
    assert files_in(tmp_path) == []


def test_damaged_cached_archive_is_downloaded_again(server, tmp_path):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob})
    (tmp_path / "cifar10").mkdir()
    (tmp_path / "cifar10" / CIFAR10_FILE).write_bytes(fake.blob[:-10])
    x_train, *_ = load(tmp_path, [server.url("cifar")], fake.sha256())
    assert server.requests == [f"/cifar/{CIFAR10_FILE}"] and len(x_train) == 6


def test_next_mirror_after_a_failure(server, tmp_path, dead_url):
    fake = FakeCifar()
    server.serve("good", {CIFAR10_FILE: fake.blob})
    *_, names = load(tmp_path, [dead_url, server.url("missing"), server.url("good")],
                     fake.sha256())
    assert len(names) == 10 and f"/missing/{CIFAR10_FILE}" in server.requests


def broken(server, members=None, blob=None):
    """Serve an archive of ``members`` (or the raw ``blob``); return its SHA-256."""
    blob = tar_gz(members) if blob is None else blob
    server.serve("cifar", {CIFAR10_FILE: blob})
    return hashlib.sha256(blob).hexdigest()


def test_not_a_tar_gz_is_an_error_and_not_kept(server, tmp_path):
    sha = broken(server, blob=gzip.compress(b"not a tar file at all" * 30))
    with pytest.raises(DatasetError, match="gzip-compressed tar"):
        load(tmp_path, [server.url("cifar")], sha)
    assert files_in(tmp_path) == []


def test_the_pickle_version_is_refused(server, tmp_path):
    # the python version's archive has cifar-10-batches-py/data_batch_1 (pickles): never read
    members = {f"cifar-10-batches-py/data_batch_{i}": b"\x80\x04." for i in range(1, 6)}
    sha = broken(server, members)
    with pytest.raises(DatasetError, match="lacks .*data_batch_1.bin"):
        load(tmp_path, [server.url("cifar")], sha)


def test_a_batch_that_is_not_whole_records_is_an_error(server, tmp_path):
    members = dict(FakeCifar().members)
    members[BATCHES[2]] = members[BATCHES[2]][:-1]
    sha = broken(server, members)
    with pytest.raises(DatasetError, match="3073-byte records"):
        load(tmp_path, [server.url("cifar")], sha)


def test_a_label_above_9_is_an_error(server, tmp_path):
    members = dict(FakeCifar().members)
    members[BATCHES[5]] = record(10, [0] * 1024, [0] * 1024, [0] * 1024)
    sha = broken(server, members)
    with pytest.raises(DatasetError, match="label 10 is outside 0..9"):
        load(tmp_path, [server.url("cifar")], sha)


def test_member_paths_are_never_extracted(server, tmp_path):
    members = dict(FakeCifar().members)
    members["../escaped.txt"] = b"a tar member pointing outside the cache"
    sha = broken(server, members)
    load(tmp_path / "cache", [server.url("cifar")], sha)
    assert files_in(tmp_path) == [f"cache/cifar10/{CIFAR10_FILE}"]


def test_module_defaults_are_used(server, tmp_path, monkeypatch):
    fake = FakeCifar()
    server.serve("cifar", {CIFAR10_FILE: fake.blob})
    monkeypatch.setattr(data.cifar10, "CIFAR10_MIRRORS", (server.url("cifar"),))
    monkeypatch.setattr(data.cifar10, "CIFAR10_SHA256", fake.sha256())
    _, y_train, *_ = load_cifar10(tmp_path, progress=False)
    assert y_train.tolist() == fake.labels[:6]


def test_published_constants():
    from cnnlab.data import cifar10

    assert cifar10.CIFAR10_FILE == "cifar-10-binary.tar.gz"
    assert len(cifar10.CIFAR10_SHA256) == 64 and int(cifar10.CIFAR10_SHA256, 16) > 0
    assert cifar10.CIFAR10_MD5 == "c32a1d4ab5d03f1284b67883e8d87530"   # the official page's
    assert all(m.startswith(("https://", "http://")) for m in cifar10.CIFAR10_MIRRORS)
    assert len(set(data.CIFAR10_CLASSES)) == 10


@pytest.mark.parametrize("kwargs, error", [
    ({"cache_dir": 3}, TypeError),
    ({"timeout": 0}, ValueError),
    ({"timeout": "5"}, TypeError),
    ({"mirrors": ["ftp://example.org/"]}, ValueError),
    ({"mirrors": []}, ValueError),
    ({"sha256": "abc"}, ValueError),
    ({"sha256": 5}, ValueError),
])
def test_bad_arguments(tmp_path, kwargs, error):
    args = {"cache_dir": tmp_path, **kwargs}
    with pytest.raises(error):
        load_cifar10(args.pop("cache_dir"), progress=False, **args)
    assert files_in(tmp_path) == []
