"""One file of the source, before it is read, and reading it within the size caps.

Both readers (:mod:`.folder`, :mod:`.archive`) describe every file as an :class:`Entry`: its
path, time and declared size, or why it must not be read. Only :func:`read_entry` ever opens
one, and it trusts no declared size: it never reads more than the cap allows.
"""

import datetime
import zipfile
import zlib
from dataclasses import dataclass

from ..repair import NotebookRejected


@dataclass
class Entry:
    """One file of the source, not read yet."""

    path: str
    time: datetime.datetime
    size: int
    problem: str = ""  # why it must not be read (link, special file, encrypted)
    unsafe: str = ""  # why its path cannot be trusted at all (absolute, ..)
    opener: object = None  # () -> binary file object


def read_entry(entry, budget, limits):
    """The entry's bytes, at most ``limits.max_notebook_bytes`` and the remaining ``budget``.

    Inputs:
    - entry: :class:`Entry` with an ``opener``
    - budget: int, bytes still allowed for the whole class (``Limits.max_total_bytes`` at first)
    - limits: :class:`~.limits.Limits`
    Returns:
    - bytes
    Raises NotebookRejected (too large, or unreadable), with the reason for the report.
    """
    cap = min(limits.max_notebook_bytes, budget)
    reason = (f"larger than {limits.max_notebook_bytes} bytes" if cap == limits.max_notebook_bytes
              else f"the total size cap ({limits.max_total_bytes} bytes) is used up")
    if entry.size > cap:
        raise NotebookRejected(reason)
    try:
        with entry.opener() as stream:
            data = stream.read(cap + 1)  # the declared size may lie; never read more than cap
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
        raise NotebookRejected(f"unreadable: {error}") from None
    if len(data) > cap:
        raise NotebookRejected(reason)
    return data
