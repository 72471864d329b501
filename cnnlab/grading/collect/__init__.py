"""Collect a class's notebooks from an LMS download into nbgrader's ``submitted/`` folder.

    report = collect("07_train_cnn", "submissions.zip", "submitted")
    print(format_report(report))

``source`` is a folder or a ``.zip`` as downloaded from the LMS. Each notebook found is written as
``submitted/<student>/<assignment>/<assignment>.ipynb``, the layout ``nbgrader autograde`` reads.
The report has one :class:`Record` per file in the source, saying what happened to it.

Who sent a file, read from its path (the first layout that matches wins):

- Moodle:  ``Full Name_123456_assignsubmission_file_/any/name.ipynb`` (Moodle 4.1 and later:
  ``..._assignsubmission_file/``; or the flat
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

The LMS's number for the person (Moodle's participant number, Canvas's user number) is kept in
``Record.lms_id`` and Moodle's folder name in ``Record.moodle_folder``: the grade import and the
feedback zip upload match students by them (:mod:`cnnlab.grading.report`).

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

One behaviour per module:

* :mod:`.limits` — :class:`Limits`, the size and count caps;
* :mod:`.entry` — one file of the source, read within the caps;
* :mod:`.folder` / :mod:`.archive` — a folder or a zip as entries (links, special files,
  zip-slip and encrypted members marked, never read);
* :mod:`.naming` — who sent a file (Moodle, Canvas, plain, a pattern), :func:`student_folder`;
* :mod:`.choose` — each student's submission (the rule above) and every other file's record;
* :mod:`.write` — the notebook into ``submitted/``, atomically, never through a link;
* :mod:`.report` — :class:`Record` and :func:`format_report`.
"""

import os
import re
import zipfile
from pathlib import Path

import nbformat

from .archive import zip_entries
from .choose import collect_entries
from .folder import folder_entries
from .limits import Limits
from .naming import compile_pattern, student_folder
from .report import Record, format_report

__all__ = ["collect", "format_report", "student_folder", "Limits", "Record"]

_ASSIGNMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


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
    regex = compile_pattern(pattern)
    reference = _read_release(release)
    source = Path(source)
    submitted = Path(submitted_dir)
    if source.is_dir():
        return collect_entries(assignment, folder_entries(source, limits), submitted, regex, reference, limits)
    if source.is_file() and zipfile.is_zipfile(source):
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"{source} is not a readable zip file: {error}") from None
        with archive:
            return collect_entries(assignment, zip_entries(archive, limits), submitted, regex, reference, limits)
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
