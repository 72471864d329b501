"""Who sent a file, read from its path, and the student folder that person gets.

The layouts (Moodle, Canvas, plain, a caller's ``pattern``) and what each part of a path means
are listed in the package docstring (:mod:`cnnlab.grading.collect`); the first that matches
wins, and with a ``pattern`` only the pattern is used. The LMS's key for a person (Moodle's
participant number, Canvas's user number) is kept in :class:`Sender` so that two people whose
names give the same folder can be told apart and both rejected, and so that grades.csv can carry
it (``lms_id``) for the LMS's grade import. Moodle's folder name is kept too (``moodle_folder``):
its "Upload multiple feedback files in a zip" finds the student by it.
"""

import re
import unicodedata
from dataclasses import dataclass

# Moodle before 4.1 ends the folder with "_" ("..._assignsubmission_file_/"); 4.1 and later do not
# ("..._assignsubmission_file/"; the comment in Moodle's mod/assign/feedback/file/importziplib.php).
_MOODLE = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_[a-z]+(?:_(?P<rest>.*))?$")
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>(?i:late))_)?(?P<user>\d+)_(?P<upload>\d+)_(?P<file>.+)$")
_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.ipynb)$", re.IGNORECASE)


@dataclass
class Sender:
    """Who sent a file, as read from its path."""

    account: str  # the LMS's key for the person (participant/user number, or the name)
    name: str  # the name as the LMS wrote it
    filename: str  # the file name as the student gave it (LMS prefix and -N removed)
    order: tuple = ()  # ((label, number), ...) from the LMS, higher = later
    late: bool = False
    lms_id: str = ""  # Moodle's participant number or Canvas's user number; '' for plain and pattern
    moodle_folder: str = ""  # "Full Name_123456_assignsubmission_file_", as in Moodle's download


def compile_pattern(pattern):
    """The caller's ``pattern`` compiled, or None.

    Inputs:
    - pattern: None, or a regular expression str with a named group ``student``
    Returns:
    - re.Pattern or None
    Raises TypeError (not a str) or ValueError (invalid, or no ``student`` group).
    """
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


def sender_of(path, assignment, regex):
    """The :class:`Sender` of a file path, or None if the path names nobody.

    Inputs:
    - path: str, the file's path in the source with ``/`` separators
    - assignment: str, the assignment name (``<assignment>.ipynb`` is never a Canvas re-upload)
    - regex: compiled pattern (:func:`compile_pattern`), or None for the LMS layouts
    Returns:
    - :class:`Sender` or None
    """
    parts = path.split("/")
    if regex is not None:
        return _sender_from_pattern(path, regex)
    for i, part in enumerate(parts):
        moodle = _MOODLE.match(part)
        # Moodle's prefix ends a folder name ("..._file_/x.ipynb") or starts a flat file name.
        rest = (moodle["rest"] or "") if moodle else None
        if moodle and (rest == "") == (i < len(parts) - 1):
            folder = part[:len(part) - len(rest)]  # the flat file name's prefix is the folder
            return Sender(moodle["id"], moodle["name"], rest or parts[-1],
                          lms_id=moodle["id"], moodle_folder=folder)
    canvas = _CANVAS.match(parts[0]) if len(parts) == 1 else None  # Canvas zips are flat
    if canvas:
        filename, resubmission = _resubmission(canvas["file"], assignment)
        order = (("Canvas upload", int(canvas["upload"])), ("resubmission", resubmission))
        return Sender(canvas["user"], canvas["name"], filename, order, bool(canvas["late"]), lms_id=canvas["user"])
    if len(parts) >= 2:
        return Sender(parts[0], parts[0], parts[-1])
    return None


def _sender_from_pattern(path, regex):
    """The :class:`Sender` the caller's pattern finds in ``path``, or None."""
    match = regex.search(path)
    if match is None or not match["student"]:
        return None
    groups = match.groupdict()
    attempt = groups.get("attempt")
    order = (("attempt", int(attempt)),) if attempt and attempt.isdigit() else ()
    return Sender(match["student"], match["student"], path.split("/")[-1], order, bool(groups.get("late")))


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
