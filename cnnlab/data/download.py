"""Download a data set file once, check every byte against its SHA-256, keep it in a cache.

Shared by every downloaded data set (MNIST and friends in :mod:`.idx`, CIFAR-10 in
:mod:`.cifar10`):

* :func:`cache_root` — where files are kept: the ``cache_dir`` argument, else the
  ``CNNLAB_DATA_DIR`` environment variable, else the user's cache directory.
* :func:`fetch` — the path of a verified file, downloading it from the first mirror that works.
  A download goes to a temporary file next to the final one and is renamed into place only after
  its SHA-256 matched, so an interrupted or bad download never leaves a file in the cache.
  Because every byte is checked, a plain-http mirror is as safe as an https one.

Failures raise :class:`DatasetError`, whose message (in the chosen language) says what went
wrong for every mirror tried.
"""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..language import tr

__all__ = ["DatasetError", "cache_root", "fetch", "check_mirrors", "check_checksums",
           "check_timeout", "sha256_of"]

_CHUNK = 1 << 16


class DatasetError(RuntimeError):
    """A data set could not be downloaded, verified or read (message in the chosen language)."""


def cache_root(cache_dir):
    """The folder data sets are cached in: the argument, ``CNNLAB_DATA_DIR``, or the user cache.

    The user cache is ``platformdirs.user_cache_dir("cnnlab")``, e.g. ``~/.cache/cnnlab`` on Linux.
    """
    if cache_dir is not None:
        if not isinstance(cache_dir, (str, os.PathLike)):
            raise TypeError(tr(
                ja=f"cache_dir はパス（str か os.PathLike）か None です"
                   f"（{type(cache_dir).__name__}）。",
                en=f"cache_dir must be a path (str or os.PathLike) or None, "
                   f"got {type(cache_dir).__name__}."))
        return Path(cache_dir).expanduser()
    if os.environ.get("CNNLAB_DATA_DIR"):
        return Path(os.environ["CNNLAB_DATA_DIR"]).expanduser()
    import platformdirs  # installed with jupyter_core, which JupyterLab needs

    return Path(platformdirs.user_cache_dir("cnnlab"))


def check_mirrors(mirrors):
    """A tuple of one or more http(s) base URLs (one string is one mirror)."""
    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    mirrors = tuple(mirrors)
    if not mirrors or not all(isinstance(m, str) and m.startswith(("http://", "https://"))
                              for m in mirrors):
        raise ValueError(tr(
            ja=f"mirrors は http(s) のベース URL を 1 つ以上並べたものです（{mirrors!r}）。",
            en=f"mirrors must be one or more http(s) base URLs, got {mirrors!r}."))
    return mirrors


def check_checksums(checksums, filenames):
    """``{file name: lower-case SHA-256 hex}`` for exactly the needed ``filenames``."""
    if not isinstance(checksums, dict):
        raise TypeError(tr(
            ja=f"checksums は {{ファイル名: SHA-256 の16進文字列}} の dict です"
               f"（{type(checksums).__name__}）。",
            en=f"checksums must be a dict {{file name: sha256 hex}}, "
               f"got {type(checksums).__name__}."))
    for filename in filenames:
        digest = checksums.get(filename)
        if not (isinstance(digest, str) and len(digest) == 64
                and all(ch in "0123456789abcdefABCDEF" for ch in digest)):
            raise ValueError(tr(
                ja=f"checksums に {filename!r} の SHA-256（16進 64 桁）が必要です（{digest!r}）。",
                en=f"checksums needs a 64-digit SHA-256 hex string for {filename!r}, "
                   f"got {digest!r}."))
    return {filename: checksums[filename].lower() for filename in filenames}


def check_timeout(timeout):
    """A number of seconds > 0."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(tr(
            ja=f"timeout は秒数（数値）です（{type(timeout).__name__}）。",
            en=f"timeout must be a number of seconds, got {type(timeout).__name__}."))
    if not timeout > 0:  # also rejects NaN
        raise ValueError(tr(ja=f"timeout は 0 より大きい秒数です（{timeout!r} が渡されました）。",
                            en=f"timeout must be a number of seconds > 0, got {timeout!r}."))
    return timeout


def fetch(filename, folder, mirrors, sha256, timeout, progress):
    """Path of ``folder/filename`` with the given SHA-256, downloading it if needed.

    Inputs:
    - filename: the file's name, appended to each base URL of ``mirrors``.
    - folder: ``Path`` of the cache folder for this data set (made if missing).
    - mirrors: base URLs, tried in order until one gives the right bytes.
    - sha256: lower-case hex digest the file must have.
    - timeout: seconds to wait for a server; progress: show a progress bar.

    A cached file is re-checked on every call and downloaded again if it does not match.
    """
    path = folder / filename
    if path.is_file():
        if sha256_of(path) == sha256:
            return path
        path.unlink()  # damaged or from another release: fetch it again below
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        try:
            _download_verified(url, path, sha256, timeout, progress)
            return path
        except DatasetError as err:
            failures.append(str(err))
    raise DatasetError("\n".join([
        tr(ja=f"{filename} を取得できませんでした（{folder} には何も保存していません）:",
           en=f"Could not get {filename} (nothing was saved in {folder}):"),
        *failures,
    ]))


def _download_verified(url, path, sha256, timeout, progress):
    """Download ``url`` to ``path`` only if its SHA-256 matches; otherwise leave no file."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            digest, n_bytes = _stream(url, out, timeout, progress)
        if digest != sha256:
            raise DatasetError(tr(
                ja=f"{url}: SHA-256 が一致しません（期待値 {sha256}、実際 {digest}、"
                   f"{n_bytes} バイト）。ファイルは破損しているか別物です。"
                   f"保存せずに破棄しました。",
                en=f"{url}: SHA-256 mismatch (expected {sha256}, got {digest}, {n_bytes} bytes). "
                   f"The file is damaged or not the expected one; it was discarded, not saved."))
        os.replace(tmp_name, path)  # atomic: the cache holds the whole verified file or nothing
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _stream(url, out, timeout, progress):
    """Copy the body of ``url`` into the open file ``out``; return (sha256 hex, byte count)."""
    digest = hashlib.sha256()
    n_bytes = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected and expected.isdigit() else None
            bar = _progress_bar(url, expected) if progress else None
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    n_bytes += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
    except urllib.error.HTTPError as err:
        raise DatasetError(tr(
            ja=f"{url}: サーバーが HTTP {err.code} {err.reason} を返しました。",
            en=f"{url}: the server answered HTTP {err.code} {err.reason}.")) from err
    except http.client.IncompleteRead as err:  # the server closed before Content-Length bytes
        got = n_bytes + len(err.partial)
        raise _truncated(url, got, got + (err.expected or 0)) from err
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", err)
        raise DatasetError(tr(
            ja=f"{url}: 接続に失敗しました（{reason}）。ネットワークを確認してください。"
               f"ネットワークなしでは load_digits() が使えます。",
            en=f"{url}: connection failed ({reason}). Check the network connection; "
               f"without a network, load_digits() works.")) from err
    if expected is not None and n_bytes != expected:
        raise _truncated(url, n_bytes, expected)
    return digest.hexdigest(), n_bytes


def _truncated(url, got, expected):
    return DatasetError(tr(
        ja=f"{url}: ダウンロードが途中で切れました（{expected} バイト中 {got} バイト）。"
           f"破棄しました。",
        en=f"{url}: the download was cut short ({got} of {expected} bytes); it was discarded."))


def _progress_bar(url, total):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1])


def sha256_of(path):
    """Lower-case SHA-256 hex digest of the file at ``path``, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
