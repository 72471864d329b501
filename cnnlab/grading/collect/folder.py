"""Reading a downloaded folder: every file, walked without following symbolic links.

A link or a special file (FIFO, device) is listed with its ``problem`` and never opened; a
regular file is opened later with ``O_NOFOLLOW``, so one swapped for a link since the walk is
refused too.
"""

import datetime
import os
import stat
from pathlib import Path

from .entry import Entry


def folder_entries(root, limits):
    """Every file under ``root``, walked without following symbolic links.

    Inputs:
    - root: Path of the folder
    - limits: :class:`~.limits.Limits` (``max_entries``)
    Returns:
    - list of :class:`~.entry.Entry`, sorted by path (``/`` separators, relative to root)
    Raises ValueError when the folder holds more than ``limits.max_entries`` files.
    """
    entries = []
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as listing:
            items = sorted(listing, key=lambda item: item.name)
        for item in items:
            path = Path(item.path)
            rel = _printable(path.relative_to(root).as_posix())
            if item.is_dir(follow_symlinks=False):
                stack.append(path)
                continue
            info = item.stat(follow_symlinks=False)
            entry = Entry(rel, datetime.datetime.fromtimestamp(info.st_mtime), info.st_size)
            if stat.S_ISLNK(info.st_mode):
                entry.problem = "symbolic link, not followed"
            elif not stat.S_ISREG(info.st_mode):
                entry.problem = "not a regular file"
            else:
                entry.opener = lambda p=path: _open_no_follow(p)
            entries.append(entry)
            if len(entries) > limits.max_entries:
                raise ValueError(f"{root} holds more than {limits.max_entries} files")
    return sorted(entries, key=lambda e: e.path)


def _open_no_follow(path):
    """Open for reading, refusing a file swapped for a link since the walk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    return os.fdopen(fd, "rb")


def _printable(text):
    """A path from the file system that may hold undecodable bytes, made safe to print."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
