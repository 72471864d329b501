"""Collect a class's notebooks from an LMS download into nbgrader's ``submitted/`` folder.

    report = collect("07_train_cnn", "submissions.zip", "submitted")
    print(format_report(report))

``source`` is a folder or a ``.zip`` as downloaded from the LMS. Each notebook found is written as
``submitted/<student>/<assignment>/<assignment>.ipynb``, the layout ``nbgrader autograde`` reads.
The report has one :class:`Record` per file in the source, saying what happened to it.

Who sent a file, read from its path (the first layout that matches wins):

- Moodle:  ``Full Name_123456_assignsubmission_file_/any/name.ipynb`` (or the flat
  ``Full Name_123456_assignsubmission_file_name.ipynb``); the person is the participant number
  (Moodle numbers participants per assignment, so the folder is named after the name).
- Canvas, at the top of the zip: ``lastfirst_12345_67890_name.ipynb`` and
  ``lastfirst_late_12345_67890_name-1.ipynb``; the person is the user number (12345), 67890
  numbers the upload, ``late`` marks a late submission (reported in ``Record.late``; no
  ``timestamp.txt`` is written), ``-1`` a re-upload of a file with the same name.
- plain:   ``student/any/name.ipynb``.
- ``pattern``: a regular expression searched in the path (``/`` separators) with a named group
  ``student``; optional groups ``attempt`` (digits, higher = later) and ``late`` (non-empty = late).
  When a pattern is given, only it is used.

The student folder is the name sanitised (:func:`student_folder`): Unicode NFC, spaces to ``_``,
anything but letters, digits, ``-``, ``_`` and ``.`` to ``_``, no leading dot. Two people whose
names give the same folder (ignoring case, as macOS and Windows do) are both rejected.

Which notebook is a student's submission when there are several (the rule, strongest first):

1. the LMS's own order: Canvas upload number, then the ``-N`` resubmission number;
   the ``attempt`` group of a pattern;
2. a file named ``<assignment>.ipynb`` before any other name (one Moodle submission may hold
   several files; a plain folder may hold other assignments);
3. the later time stamp (zip entry time or file modification time);
4. the file name, last in sorted order (a tie; the report says so).

The best notebook that can be read is collected; newer unreadable ones are rejected, the others
are reported as superseded with the reason. Nothing in a notebook is run. The collected notebook
is repaired as :mod:`cnnlab.grading.repair` describes (renamed to ``<assignment>.ipynb``, cell ids
made unique, nbgrader metadata nbgrader would stop on, deleted test cells put back when the
release is given); every change is listed in ``Record.repairs``.

Safety: the source is hostile input. Nothing is extracted by its own path: every notebook is read
into memory (with size caps, :class:`Limits`) and written under a sanitised name. Zip members
with absolute paths or ``..``, symbolic links, special files and encrypted members are rejected;
a folder is walked without following links. Only ``.ipynb`` files are read. A problem with one
file is reported for that file alone; only a source that is not a folder or a zip, or holds more
than ``Limits.max_entries`` files, raises ``ValueError``.
"""

import datetime
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .repair import NotebookRejected, repair_notebook, restore_test_cells

_ASSIGNMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<rest>.*)$")
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>(?i:late))_)?(?P<user>\d+)_(?P<upload>\d+)_(?P<file>.+)$")
_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.ipynb)$", re.IGNORECASE)
_SYSTEM_FILES = {"__MACOSX", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or broken download from using up memory, disk or time."""

    max_entries: int = 10_000  # files in the source
    max_notebook_bytes: int = 20 * 2**20  # one notebook, uncompressed
    max_total_bytes: int = 2**30  # all notebooks read, uncompressed

    def __post_init__(self):
        for key, value in vars(self).items():
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{key} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class Record:
    """What happened to one file of the source.

    ``source``: the file's path in the zip or folder. ``student``: the folder under
    ``submitted/`` (None when nobody's). ``name``: the student as the LMS wrote it. ``status``: ``"collected"`` (written for ``student``), ``"superseded"`` (another file of the
    same student was chosen; ``reason`` says why), ``"rejected"`` (unsafe or unreadable;
    ``reason``), ``"ignored"`` (not a notebook, a system file, or nobody's).
    ``late``: the LMS marked it late. ``repairs``: what was changed to make it gradable, e.g.
    the renamed file and repeated cell ids.
    """

    source: str
    status: str
    student: str | None = None
    name: str | None = None
    reason: str = ""
    late: bool = False
    repairs: tuple = ()


@dataclass
class _Entry:
    """One file of the source, not read yet."""

    path: str
    time: datetime.datetime
    size: int
    problem: str = ""  # why it must not be read (link, special file, encrypted)
    unsafe: str = ""  # why its path cannot be trusted at all (absolute, ..)
    opener: object = None  # () -> binary file object


@dataclass
class _Sender:
    """Who sent a file, as read from its path."""

    account: str  # the LMS's key for the person (participant/user number, or the name)
    name: str  # the name as the LMS wrote it
    filename: str  # the file name as the student gave it (LMS prefix and -N removed)
    order: tuple = ()  # ((label, number), ...) from the LMS, higher = later
    late: bool = False


@dataclass
class _Candidate:
    """A notebook that may be a student's submission; the highest ``rank`` is tried first."""

    entry: _Entry
    sender: _Sender
    student: str
    rank: tuple  # (LMS order, named as the assignment, time, path): the rule in the docstring


def collect(assignment, source, submitted_dir, *, pattern=None, release=None, limits=Limits()):
    """Write each student's latest readable notebook to ``submitted_dir``; return the report.

    ``assignment``: the nbgrader assignment name (e.g. ``"07_train_cnn"``). ``source``: a folder
    or a ``.zip`` file. ``submitted_dir``: nbgrader's ``submitted`` folder (created if needed).
    ``pattern``: see the module docstring. ``release``: the released notebook
    (``assignments/<assignment>/<assignment>.ipynb``); when given, test cells a student deleted
    are put back (:func:`~cnnlab.grading.repair.restore_test_cells`).
    Returns a list of :class:`Record`, one per file of the source, in path order.
    """
    if not isinstance(assignment, str) or not _ASSIGNMENT.match(assignment) or ".." in assignment:
        raise ValueError(f"assignment must be a plain name like '07_train_cnn', got {assignment!r}")
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
    regex = _compile_pattern(pattern)
    reference = _read_release(release)
    source = Path(source)
    submitted = Path(submitted_dir)
    if source.is_dir():
        return _collect_entries(assignment, _folder_entries(source, limits), submitted, regex, reference, limits)
    if source.is_file() and zipfile.is_zipfile(source):
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"{source} is not a readable zip file: {error}") from None
        with archive:
            return _collect_entries(assignment, _zip_entries(archive, limits), submitted, regex, reference, limits)
    raise ValueError(f"source must be a folder or a .zip file, got {str(source)!r}")


def _read_release(release):
    """The released notebook as a NotebookNode, or None."""
    if release is None:
        return None
    try:
        notebook = nbformat.read(os.fspath(release), as_version=4)
        nbformat.validate(notebook)
    except (OSError, ValueError, TypeError, nbformat.ValidationError) as error:
        raise ValueError(f"release must be the released notebook file, could not read {release!r}: {error}") from None
    return notebook


def _compile_pattern(pattern):
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regular expression string, got {type(pattern).__name__}")
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"pattern is not a valid regular expression: {error}") from None
    if "student" not in regex.groupindex:
        raise ValueError("pattern needs a named group for the student, e.g. (?P<student>[^/]+)/")
    return regex


# --- reading the source -------------------------------------------------------------------


def _folder_entries(root, limits):
    """Every file under ``root``, walked without following symbolic links."""
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
            entry = _Entry(rel, datetime.datetime.fromtimestamp(info.st_mtime), info.st_size)
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


def _zip_entries(archive, limits):
    """Every file member of ``archive``; directories are skipped."""
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
        entry = _Entry(name, time, info.file_size)
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


def _read(entry, budget, limits):
    """The entry's bytes, at most ``limits.max_notebook_bytes`` and the remaining ``budget``."""
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


# --- who sent it ----------------------------------------------------------------------------


def _sender(path, assignment, regex):
    """The :class:`_Sender` of a file path, or None if the path names nobody."""
    parts = path.split("/")
    if regex is not None:
        return _sender_from_pattern(path, regex)
    for i, part in enumerate(parts):
        moodle = _MOODLE.match(part)
        if moodle and (moodle["rest"] == "") == (i < len(parts) - 1):
            return _Sender(moodle["id"], moodle["name"], moodle["rest"] or parts[-1])
    canvas = _CANVAS.match(parts[0]) if len(parts) == 1 else None  # Canvas zips are flat
    if canvas:
        filename, resubmission = _resubmission(canvas["file"], assignment)
        order = (("Canvas upload", int(canvas["upload"])), ("resubmission", resubmission))
        return _Sender(canvas["user"], canvas["name"], filename, order, bool(canvas["late"]))
    if len(parts) >= 2:
        return _Sender(parts[0], parts[0], parts[-1])
    return None


def _sender_from_pattern(path, regex):
    match = regex.search(path)
    if match is None or not match["student"]:
        return None
    groups = match.groupdict()
    attempt = groups.get("attempt")
    order = (("attempt", int(attempt)),) if attempt and attempt.isdigit() else ()
    return _Sender(match["student"], match["student"], path.split("/")[-1], order, bool(groups.get("late")))


def _resubmission(filename, assignment):
    """Canvas renames a re-uploaded ``name.ipynb`` to ``name-1.ipynb``: ('name.ipynb', 1)."""
    match = _RESUBMISSION.match(filename)
    if filename == f"{assignment}.ipynb" or match is None:
        return filename, 0
    return match["stem"] + match["ext"], int(match["n"])


def student_folder(name):
    """A safe nbgrader student id from an LMS name: ``'山田 太郎'`` -> ``'山田_太郎'``.

    Returns '' when nothing usable is left (e.g. ``'..'``).
    """
    if not isinstance(name, str):
        raise TypeError(f"student_folder expects a str, got {type(name).__name__}")
    text = unicodedata.normalize("NFC", name).strip()
    text = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)
    text = re.sub(r"_+", "_", text).strip("._")  # no hidden name, no trailing dot (Windows)
    return text[:100]


# --- choosing and writing -------------------------------------------------------------------


def _collect_entries(assignment, entries, submitted, regex, release, limits):
    records = []
    by_folder = {}
    for entry in entries:
        record, candidate = _sort_entry(entry, assignment, regex)
        if candidate is None:
            records.append(record)
        else:
            by_folder.setdefault(candidate.student.casefold(), []).append(candidate)
    budget = [limits.max_total_bytes]
    for candidates in by_folder.values():
        records += _collect_student(assignment, candidates, submitted, release, budget, limits)
    return sorted(records, key=lambda r: r.source)


def _sort_entry(entry, assignment, regex):
    """A final Record for a file that cannot be a submission, or a _Candidate for one that can."""
    if entry.unsafe:
        return Record(entry.path, "rejected", reason=entry.unsafe), None
    parts = entry.path.split("/")
    if any(p.startswith(".") or p in _SYSTEM_FILES for p in parts):
        return Record(entry.path, "ignored", reason="hidden or system file"), None
    sender = _sender(entry.path, assignment, regex)
    student = student_folder(sender.name) if sender else None
    who = dict(student=student or None, name=sender.name, late=sender.late) if sender else {}
    if entry.problem:  # a link or special file is reported as such, whoever sent it
        return Record(entry.path, "rejected", reason=entry.problem, **who), None
    if sender is None:
        why = "does not match the pattern" if regex is not None else "no student in the path"
        return Record(entry.path, "ignored", reason=why), None
    if not student:
        return Record(entry.path, "rejected", reason=f"no usable student id in {sender.name!r}", **who), None
    if not entry.path.lower().endswith(".ipynb"):
        return Record(entry.path, "ignored", reason="not a notebook (.ipynb)", **who), None
    named = sender.filename == f"{assignment}.ipynb"
    rank = (tuple(n for _, n in sender.order), named, entry.time, entry.path)
    return None, _Candidate(entry, sender, student, rank)


def _collect_student(assignment, candidates, submitted, release, budget, limits):
    """Records for one student folder: the best readable notebook collected, the rest explained."""
    accounts = {c.sender.account: c.sender.name for c in candidates}
    if len(accounts) > 1:
        people = sorted(name if name == account else f"{name} ({account})" for account, name in accounts.items())
        reason = f"student folder {candidates[0].student!r} would be shared by {' and '.join(people)}"
        return [_record(c, "rejected", reason) for c in candidates]
    ranked = sorted(candidates, key=lambda c: c.rank, reverse=True)
    records = []
    for i, candidate in enumerate(ranked):
        try:
            data = _read(candidate.entry, budget[0], limits)
            budget[0] -= len(data)
            notebook, repairs = repair_notebook(data, limits.max_notebook_bytes)
        except NotebookRejected as error:
            records.append(_record(candidate, "rejected", str(error)))
            continue
        if release is not None:
            repairs += restore_test_cells(notebook, release)
        if candidate.sender.filename != f"{assignment}.ipynb":
            repairs.insert(0, f"renamed {candidate.sender.filename!r} to '{assignment}.ipynb'")
        try:
            _write(notebook, submitted, candidate.student, assignment)
        except (OSError, ValueError) as error:  # this student's folder only; the class goes on
            return records + [_record(c, "rejected", f"cannot write: {error}") for c in ranked[i:]]
        reason = f"{i} newer file(s) unreadable" if i else ""
        records.append(_record(candidate, "collected", reason, tuple(repairs)))
        records += [_record(c, "superseded", _why_chosen(candidate, c)) for c in ranked[i + 1:]]
        break
    return records


def _record(candidate, status, reason="", repairs=()):
    s = candidate.sender
    return Record(candidate.entry.path, status, candidate.student, s.name, reason, s.late, repairs)


def _why_chosen(chosen, other):
    """Which rule put ``chosen`` before ``other``, in words."""
    for (label, a), (_, b) in zip(chosen.sender.order, other.sender.order):
        if a != b:
            return f"{chosen.entry.path} chosen: {label} {a} > {b}"
    if chosen.rank[1] != other.rank[1]:
        return f"{chosen.entry.path} chosen: named as the assignment"
    if chosen.entry.time != other.entry.time:
        return f"{chosen.entry.path} chosen: newer ({chosen.entry.time:%Y-%m-%d %H:%M:%S} > {other.entry.time:%Y-%m-%d %H:%M:%S})"
    return f"{chosen.entry.path} chosen: same time, last file name"


def _write(notebook, submitted, student, assignment):
    """Write ``submitted/<student>/<assignment>/<assignment>.ipynb`` atomically."""
    folder = submitted / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    root = submitted.resolve()
    if not folder.resolve().is_relative_to(root):  # a link planted inside submitted/
        raise ValueError(f"{folder} resolves outside {root}")
    target = folder / f"{assignment}.ipynb"
    partial = folder / f".{assignment}.ipynb.partial"
    partial.write_text(nbformat.writes(notebook), encoding="utf-8")
    os.replace(partial, target)


def format_report(records):
    """The report as plain text, one line per file: status, student, file, reason, repairs.

    The last line counts the files by status, e.g. ``collected 3, superseded 1, rejected 2``.
    """
    lines = []
    for r in records:
        late = " [late]" if r.late else ""
        line = f"{r.status:<10} {r.student or '-'}{late}  {r.source}"
        if r.reason:
            line += f"  ({r.reason})"
        lines.append(line)
        lines += [f"{'':<10} repaired: {text}" for text in r.repairs]
    counts = {}
    for r in records:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines.append(", ".join(f"{status} {n}" for status, n in counts.items()))
    return "\n".join(lines)
