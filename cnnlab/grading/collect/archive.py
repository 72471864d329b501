"""Reading a downloaded zip: every member as an entry, nothing extracted by its own path.

Zip-slip (absolute paths, ``..``, NUL, a name repeated), symbolic links, special files and
encrypted members are marked on the entry (``unsafe`` or ``problem``) and never read; a zip
bomb is stopped when the entry is read (:func:`.entry.read_entry` never reads past the cap,
whatever size the zip declares).
"""

import datetime
import re
import stat

from .entry import Entry


def zip_entries(archive, limits):
    """Every file member of ``archive``; directories are skipped.

    Inputs:
    - archive: an open zipfile.ZipFile
    - limits: :class:`~.limits.Limits` (``max_entries``)
    Returns:
    - list of :class:`~.entry.Entry`, sorted by path; each opens its member from ``archive``,
      so read them while it is open
    Raises ValueError when the zip holds more than ``limits.max_entries`` members.
    """
    members = archive.infolist()
    if len(members) > limits.max_entries:
        raise ValueError(f"the zip holds {len(members)} entries, more than {limits.max_entries}")
    entries = []
    for info in members:
        name = _member_name(info)
        if name.endswith("/"):
            continue
        try:
            time = datetime.datetime(*info.date_time)
        except ValueError:
            time = datetime.datetime.min
        entry = Entry(name, time, info.file_size)
        entry.unsafe = _unsafe_path(name)
        mode = info.external_attr >> 16 if info.create_system == 3 else 0
        if stat.S_ISLNK(mode):
            entry.problem = "symbolic link, not followed"
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            entry.problem = "not a regular file"
        elif info.flag_bits & 0x1:
            entry.problem = "encrypted"
        else:
            entry.opener = lambda i=info: archive.open(i)
        entries.append(entry)
    counts = {}
    for entry in entries:
        counts[entry.path] = counts.get(entry.path, 0) + 1
    for entry in entries:  # a zip may repeat a name; which copy is meant cannot be known
        if counts[entry.path] > 1 and not entry.unsafe:
            entry.unsafe = f"the zip holds this name {counts[entry.path]} times"
    return sorted(entries, key=lambda e: e.path)


def _member_name(info):
    """The member's path with ``/`` separators, decoded as the zip tool most likely meant.

    Without the UTF-8 flag Python decodes names as cp437; LMSs write UTF-8 and Japanese Windows
    writes cp932 (Shift_JIS) without setting the flag, so those are tried first.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = None
        for encoding in ("utf-8", "cp932") if raw is not None else ():
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                pass
    return name.replace("\\", "/")


def _unsafe_path(name):
    """Why a member path could escape a folder it is extracted to; '' if it cannot."""
    if "\x00" in name:
        return "unsafe path: NUL character"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "unsafe path: absolute"
    if ".." in name.split("/"):
        return "unsafe path: '..' leaves the folder"
    return ""
