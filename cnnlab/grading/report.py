"""What ``cnnlab grade`` writes and prints: grades.csv, one feedback page per student, the
summary table and the progress bar. Points come from the gradebook; diagnoses from the judge's
reports (``DIR/judge/<assignment>/<student>.json``, written by the trusted grader)."""

import csv
import html
import json
import sys
from pathlib import Path

import nbformat

from .cases import planned_calls
from .judge import test_cells


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


def write(root, assignment, out, records, skipped, log, unsafe):
    """Write grades.csv and the feedback pages; return the rows (dicts) of the CSV."""
    out = Path(out)
    names = functions(root, assignment)
    scores = gradebook_scores(root, assignment)
    rows = []
    for student in sorted(set(scores) | {r.student for r in records if r.student}):
        judge = _judge_report(out, assignment, student)
        cells = scores.get(student, {})
        row = {"student": student}
        for cell_id, name in names.items():
            row[name] = cells.get(cell_id, (0.0, 0.0))[0] if cells else ""
        row["total"] = sum(score for score, _ in cells.values()) if cells else ""
        rejected = [r for r in records if r.student == student and r.status == "rejected"]
        if student not in scores:
            row["status"], row["reason"] = "failed", "; ".join(r.reason for r in rejected) or "not graded (see nbgrader's log)"
        elif judge is None and student not in skipped:
            row["status"], row["reason"] = "failed", "the notebook could not be graded (see nbgrader's log)"
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
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["student", *names.values(), "total", "status", "reason"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


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
        columns = [k for k in rows[0] if k not in ("student", "total", "status", "reason")]
        lines.append("  mean points: " + ", ".join(
            f"{c} {sum(float(r[c] or 0) for r in graded) / len(graded):.2f}" for c in columns))
    return "\n".join(lines)
