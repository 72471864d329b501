"""What ``cnnlab grade`` writes and prints: grades.csv, one feedback page per student, the
feedback zip for Moodle, the summary table and the progress bar. Points come from the gradebook;
diagnoses from the judge's reports (``DIR/judge/<assignment>/<student>.json``, written by the
trusted grader); the LMS's identifiers from the collection's records."""

import csv
import html
import json
import os
import sys
import zipfile
from pathlib import Path

import nbformat

from .cases import planned_calls
from .judge import test_cells
from .record import log_path


def progress(done, total, width=30):
    """A one-line progress bar on stderr."""
    filled = width * done // total if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def functions(root, assignment):
    """{test cell id: the graded function's name} from the release's test cells."""
    nb = nbformat.read(str(Path(root) / "assignments" / assignment / f"{assignment}.ipynb"), as_version=4)
    names = {}
    for cell_id, source in test_cells(nb).items():
        calls = planned_calls(source)
        names[cell_id] = calls[0][0] if calls else cell_id
    return names


def gradebook_scores(root, assignment):
    """{student: {grade cell: (score, max score)}}."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            found[submission.student_id] = {g.name: (float(g.score), float(g.max_score))
                                            for nb in submission.notebooks for g in nb.grades}
    return found


def write(root, assignment, out, records, skipped, unsafe):
    """Write grades.csv and the feedback pages; return the rows (dicts) of the CSV."""
    out = Path(out)
    names = functions(root, assignment)
    scores = gradebook_scores(root, assignment)
    rows = []
    for student in sorted(set(scores) | {r.student for r in records if r.student}):
        judge = _judge_report(out, assignment, student)
        cells = scores.get(student, {})
        row = {"student": student, **lms_columns(records, student)}
        for cell_id, name in names.items():
            row[name] = cells.get(cell_id, (0.0, 0.0))[0] if cells else ""
        row["total"] = sum(score for score, _ in cells.values()) if cells else ""
        rejected = [r for r in records if r.student == student and r.status == "rejected"]
        if student not in scores:
            row["status"], row["reason"] = "failed", "; ".join(r.reason for r in rejected) or f"not graded (see {log_path(out, assignment)})"
        elif judge is None and student not in skipped:
            row["status"], row["reason"] = "failed", f"the notebook could not be graded (see {log_path(out, assignment)})"
        elif judge is not None and judge.get("flagged"):
            row["status"] = "flagged"
            row["reason"] = "possibly tampering: the notebook's own output disagrees with the judge on " + \
                ", ".join(names.get(c, c) for c, e in judge["cells"].items() if e.get("disagree"))
        else:
            row["status"], row["reason"] = ("skipped" if student in skipped else "graded"), ""
        if (judge is not None and not judge.get("sandboxed", True)) or (unsafe and student not in skipped):
            row["reason"] = ("graded unsandboxed; " + row["reason"]).rstrip("; ")
        rows.append(row)
        if cells:
            _feedback_page(out / "feedback" / student / f"{assignment}.html", student, assignment, names, cells, judge)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "grades.csv", ["student", *LMS_COLUMNS, *names.values(), "total", "status", "reason"], rows)
    moodle_feedback_zip(out, assignment, records)
    return rows


LMS_COLUMNS = ("lms_id", "name")


def lms_columns(records, student):
    """{'lms_id': ..., 'name': ...} of a student, from the collection's records.

    ``lms_id`` is what the LMS's grade import matches (Moodle's participant number, Canvas's user
    number), ``name`` the name as the download wrote it; both '' when no record names the student
    (e.g. graded by an earlier run from another download). The collected file's record is
    preferred: the only one that surely belongs to the graded notebook.
    """
    mine = sorted((r for r in records if r.student == student), key=lambda r: r.status != "collected")
    if not mine:
        return {"lms_id": "", "name": ""}
    return {"lms_id": mine[0].lms_id, "name": mine[0].name or ""}


def write_csv(path, columns, rows):
    """Write ``rows`` (dicts keyed by ``columns``) as CSV in UTF-8 with a byte order mark.

    The mark is why: Excel opens a CSV without one in the system's code page (cp932 on Japanese
    Windows), which garbles Japanese names; with it, Excel reads UTF-8. Python's ``csv`` and the
    LMSs read it too (``utf-8-sig``).
    """
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)


def moodle_feedback_zip(out, assignment, records):
    """``out/feedback-moodle.zip`` for Moodle's "Upload multiple feedback files in a zip"; its path.

    One member per student collected from a Moodle download who has a feedback page:
    ``<the student's folder in the download>/feedback.html``. Moodle finds the student by that
    folder: its importer (mod/assign/feedback/file/importziplib.php,
    ``assignfeedback_file_zip_importer::is_valid_filename_for_import``) splits each path part at
    ``_`` into full name, participant id, plugin type and plugin name, keeps the parts whose
    participant id is one of the assignment's participants, and stores the rest of the path
    (here ``feedback.html``) as that student's feedback file. Its help text (``feedbackzip_help``)
    says the same: the participant id is "the second part of each filename immediately after the
    users full name", as in the download.

    With nothing to put in it (no student from Moodle, or none with a page) there is no zip, and
    one left by an earlier run is removed: it belongs to another download and must not be
    uploaded for this one. Returns the path, or None.
    """
    target = Path(out) / "feedback-moodle.zip"
    folders = {r.student: r.moodle_folder for r in records if r.status == "collected" and r.moodle_folder}
    pages = {s: Path(out) / "feedback" / s / f"{assignment}.html" for s in folders}
    members = sorted((folder, pages[s]) for s, folder in folders.items() if pages[s].is_file())
    if not members:
        target.unlink(missing_ok=True)
        return None
    partial = target.with_name(".feedback-moodle.zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, page in members:
            archive.write(page, f"{folder}/feedback.html")
    os.replace(partial, target)
    return target


def _judge_report(out, assignment, student):
    try:
        return json.loads((Path(out) / "judge" / assignment / f"{student}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _feedback_page(path, student, assignment, names, cells, judge):
    rows = []
    for cell_id, name in names.items():
        score, top = cells.get(cell_id, (0.0, 0.0))
        message = ((judge or {}).get("cells", {}).get(cell_id) or {}).get("message", "")
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{score:g} / {top:g}</td>"
                    f"<td><pre>{html.escape(message)}</pre></td></tr>")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
            f"{html.escape(student)}</title></head><body><h1>{html.escape(assignment)} — {html.escape(student)}</h1>"
            "<table border='1'><tr><th>関数 / function</th><th>点 / points</th><th>診断 / diagnosis</th></tr>"
            + "".join(rows) + "</table></body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def summary(rows, assignment, skipped):
    """The table printed at the end: counts per status, failures with reasons, mean points."""
    lines = [f"{assignment}: {len(rows)} students"]
    for status in ("graded", "flagged", "failed", "skipped"):
        chosen = [r for r in rows if r["status"] == status]
        lines.append(f"  {status:8s} {len(chosen)}")
        if status in ("failed", "flagged"):
            lines += [f"    {r['student']}: {r['reason']}" for r in chosen]
    unsandboxed = [r for r in rows if "unsandboxed" in r["reason"]]
    if unsandboxed:
        lines.append(f"  UNSANDBOXED: {len(unsandboxed)} grades were made without a sandbox")
    graded = [r for r in rows if r["status"] in ("graded", "flagged")]
    if graded:
        columns = [k for k in rows[0] if k not in ("student", *LMS_COLUMNS, "total", "status", "reason")]
        lines.append("  mean points: " + ", ".join(
            f"{c} {sum(float(r[c] or 0) for r in graded) / len(graded):.2f}" for c in columns))
    return "\n".join(lines)
