"""The report of a collection: one :class:`Record` per file of the source, and its text."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    """What happened to one file of the source.

    ``source``: the file's path in the zip or folder. ``student``: the folder under
    ``submitted/`` (None when nobody's). ``name``: the student as the LMS wrote it.
    ``status``: ``"collected"`` (written for ``student``), ``"superseded"`` (another file of
    the same student was chosen; ``reason`` says why), ``"rejected"`` (unsafe or unreadable;
    ``reason``), ``"ignored"`` (not a notebook, a system file, or nobody's).
    ``late``: the LMS marked it late. ``repairs``: what was changed to make it gradable, e.g.
    the renamed file and repeated cell ids. ``lms_id``: Moodle's participant number or Canvas's
    user number ('' for a plain folder or a pattern). ``moodle_folder``: the student's folder in
    Moodle's download, e.g. ``"山田 花子_100001_assignsubmission_file_"`` ('' otherwise).
    """

    source: str
    status: str
    student: str | None = None
    name: str | None = None
    reason: str = ""
    late: bool = False
    repairs: tuple = ()
    lms_id: str = ""
    moodle_folder: str = ""


def format_report(records):
    """The report as plain text, one line per file: status, student, file, reason, repairs.

    The last line counts the files by status, e.g. ``collected 3, superseded 1, rejected 2``.

    Inputs:
    - records: list of :class:`Record`, as :func:`~cnnlab.grading.collect.collect` returns
    Returns:
    - str, lines joined by newlines
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
