"""Which notebook is each student's submission, and what happened to every other file.

Every file is sorted first: a file that cannot be a submission gets its final :class:`Record`
(rejected or ignored), the rest become candidates grouped by student folder. Two people whose
names give the same folder (ignoring case, as macOS and Windows do) are both rejected. Then, per
student, the candidates are tried best first, by ``Candidate.rank``: the LMS's order, named as
the assignment, time, file name (the rule in the package docstring, :mod:`cnnlab.grading.collect`).
The best notebook that can be read is repaired and written; newer unreadable ones are rejected,
the others are reported as superseded with the rule that decided (:func:`_why_chosen`).
"""

from dataclasses import dataclass

from ..repair import NotebookRejected, repair_notebook, restore_test_cells
from .entry import Entry, read_entry
from .naming import Sender, sender_of, student_folder
from .report import Record
from .write import write_notebook

_SYSTEM_FILES = {"__MACOSX", "Thumbs.db", "desktop.ini"}


@dataclass
class Candidate:
    """A notebook that may be a student's submission; the highest ``rank`` is tried first."""

    entry: Entry
    sender: Sender
    student: str
    rank: tuple  # (LMS order, named as the assignment, time, path): the rule, strongest first


def collect_entries(assignment, entries, submitted, regex, release, limits):
    """Collect from a list of entries; return the Records, one per entry, in path order.

    Inputs:
    - assignment: str, the checked assignment name
    - entries: list of :class:`~.entry.Entry` (from :mod:`.folder` or :mod:`.archive`)
    - submitted: Path of nbgrader's ``submitted`` folder
    - regex: compiled pattern or None (:func:`~.naming.compile_pattern`)
    - release: the released notebook (NotebookNode) or None
    - limits: :class:`~.limits.Limits`
    Returns:
    - list of :class:`~.report.Record`
    """
    records = []
    by_folder = {}
    for entry in entries:
        record, candidate = _sort_entry(entry, assignment, regex)
        if candidate is None:
            records.append(record)
        else:
            by_folder.setdefault(candidate.student.casefold(), []).append(candidate)
    budget = [limits.max_total_bytes]  # shared by every student: a list so each can spend it
    for candidates in by_folder.values():
        records += _collect_student(assignment, candidates, submitted, release, budget, limits)
    return sorted(records, key=lambda r: r.source)


def _sort_entry(entry, assignment, regex):
    """A final Record for a file that cannot be a submission, or a Candidate for one that can."""
    if entry.unsafe:
        return Record(entry.path, "rejected", reason=entry.unsafe), None
    parts = entry.path.split("/")
    if any(p.startswith(".") or p in _SYSTEM_FILES for p in parts):
        return Record(entry.path, "ignored", reason="hidden or system file"), None
    sender = sender_of(entry.path, assignment, regex)
    student = student_folder(sender.name) if sender else None
    who = dict(student=student or None, name=sender.name, late=sender.late, lms_id=sender.lms_id,
               moodle_folder=sender.moodle_folder) if sender else {}
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
    return None, Candidate(entry, sender, student, rank)


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
            data = read_entry(candidate.entry, budget[0], limits)
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
            write_notebook(notebook, submitted, candidate.student, assignment)
        except (OSError, ValueError) as error:  # this student's folder only; the class goes on
            return records + [_record(c, "rejected", f"cannot write: {error}") for c in ranked[i:]]
        reason = f"{i} newer file(s) unreadable" if i else ""
        records.append(_record(candidate, "collected", reason, tuple(repairs)))
        records += [_record(c, "superseded", _why_chosen(candidate, c)) for c in ranked[i + 1:]]
        break
    return records


def _record(candidate, status, reason="", repairs=()):
    """The Record of a candidate file."""
    s = candidate.sender
    return Record(candidate.entry.path, status, candidate.student, s.name, reason, s.late, repairs,
                  s.lms_id, s.moodle_folder)


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
