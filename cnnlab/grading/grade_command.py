"""``cnnlab grade ASSIGNMENT SUBMISSIONS``: collect, grade in parallel, report. Run it from the
course folder (the repository root, where ``nbgrader_config.py`` is).

    cnnlab grade 01_convolution moodle.zip --jobs 4          # -> grading/grades.csv, grading/feedback/

1. **Collect** (:mod:`cnnlab.grading.collect`): the LMS zip or folder into ``submitted/``; the
   latest of two submissions from one student is taken, and the report says so.
2. **Run in parallel** (``--jobs`` workers): per student, the notebook as nbgrader's sanitize step
   makes it (the gradebook's test cells put back), run in a sandbox for its feedback text, and
   judged outside the student's process (:mod:`cnnlab.grading.judge`). These are the expensive
   part; each writes only its own cache file, never the gradebook.
3. **Write the gradebook from one thread**: as each student's runs are ready, nbgrader's own
   Autograde (the course's ``nbgrader_config.py``; :mod:`cnnlab.grading.record`) takes them from
   the cache (identical notebooks only, else it runs them itself) and records the points, while
   the workers run the next students. SQLite never sees two writers; nbgrader's log goes to
   ``DIR/nbgrader-<assignment>.log``.
4. **Report**: ``DIR/grades.csv`` (student, the LMS's id and name, points per function, total,
   status, reason; UTF-8 with a byte order mark, for Excel),
   ``DIR/feedback/<student>/<assignment>.html`` (per function: points and the judge's diagnosis),
   ``DIR/feedback-moodle.zip`` when the submissions came from Moodle (the pages in the folders
   Moodle's feedback zip upload expects), a summary table. Students already autograded are
   skipped unless ``--force``.

Where no sandbox can be made, grading refuses and says what is missing, unless
``--unsafe-no-sandbox``: then every row of the CSV and the summary says "unsandboxed".
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

HELP = "提出物を採点する / grade an assignment's submissions (sandboxed, judged outside the notebook)"


def add_arguments(parser):
    parser.add_argument("assignment", help="e.g. 01_convolution")
    parser.add_argument("submissions", help="a folder or a .zip downloaded from the LMS")
    parser.add_argument("--out", default="grading", help="where grades.csv and feedback/ go (default: grading/)")
    parser.add_argument("--jobs", type=int, default=1, help="sandboxes run at once (default 1)")
    parser.add_argument("--force", action="store_true", help="grade again students already graded")
    parser.add_argument("--pattern", default=None, help="regular expression with a group (?P<student>...) for the file paths")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a notebook cell may run (default 120)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without a sandbox where none can be made (every grade then says so)")


def run(args):
    from .execute_inside import skip_iri_checker

    skip_iri_checker()   # before anything imports nbformat
    from . import report
    from .collect import collect, format_report
    from .sandbox import sandbox_available

    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    root = Path.cwd()
    if not (root / "nbgrader_config.py").is_file():
        raise ValueError(f"run cnnlab grade in the course folder (no nbgrader_config.py in {root})")
    available, reason = sandbox_available()
    if not available and not args.unsafe_no_sandbox:
        print(f"cnnlab grade: no sandbox can be made here: {reason}\n"
              "  --unsafe-no-sandbox grades without one (every grade then says so).", file=sys.stderr)
        return 3
    unsafe = bool(args.unsafe_no_sandbox)
    out = Path(args.out)
    ensure_assignment(root, args.assignment)
    release = root / "assignments" / args.assignment / f"{args.assignment}.ipynb"
    records = collect(args.assignment, args.submissions, root / "submitted", pattern=args.pattern,
                      release=release if release.is_file() else None)
    print(format_report(records))
    students = sorted(p.name for p in (root / "submitted").iterdir()
                      if (p / args.assignment).is_dir()) if (root / "submitted").is_dir() else []
    todo = [s for s in students if args.force or not (root / "autograded" / s / args.assignment).is_dir()]
    skipped = sorted(set(students) - set(todo))
    cache = out / "cache" / args.assignment
    grade_all(root, args.assignment, todo, cache, out, args.timeout, args.jobs, unsafe, args.force)
    rows = report.write(root, args.assignment, out, records, skipped, unsafe)
    print(report.summary(rows, args.assignment, skipped))
    return 0


def ensure_assignment(root, assignment):
    """The gradebook knows the assignment (its test cells), else generate_assignment makes it so."""
    from nbgrader.api import Gradebook, MissingEntry

    db = root / "gradebook.db"
    if db.is_file():
        with Gradebook(f"sqlite:///{db}") as gb:
            try:
                if gb.find_assignment(assignment).notebooks:
                    return
            except MissingEntry:
                pass
    if not (root / "solutions" / assignment).is_dir():
        raise ValueError(f"no assignment {assignment!r}: solutions/{assignment} is missing")
    _nbgrader(root, "generate_assignment", assignment, "--force")


def _nbgrader(root, *args):
    from .execute_inside import NBGRADER

    done = subprocess.run([*NBGRADER, *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(f"nbgrader {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done


def sanitized(root, assignment, student):
    """The student's notebook as nbgrader's sanitize step makes it (gradebook's test cells)."""
    import nbformat
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells, OverwriteKernelspec

    from .nbgrader_preprocessors import RestoreTestCells

    path = root / "submitted" / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": assignment,
                              "db_url": f"sqlite:///{root / 'gradebook.db'}"}}
    for pp in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(), RestoreTestCells(release_directory=str(root / "assignments")),
               OverwriteCells(), CheckCellMetadata()):
        nb, resources = pp.preprocess(nb, resources)
    return nbformat.reads(nbformat.writes(nb), as_version=4)   # as autograde reads it back


def prepare(root, assignment, student, cache, timeout, unsafe):
    """Both sandboxes for one student, into the cache (the gradebook is not touched)."""
    from dataclasses import asdict

    from .nbgrader_preprocessors import execute_sandboxed, judge_sandboxed, notebook_key, write_cache

    nb = sanitized(root, assignment, student)
    key = notebook_key(nb)
    executed, sandboxed = execute_sandboxed(nb, timeout=timeout, unsafe=unsafe)
    write_cache(cache, student, "execute", {"key": key, "executed": executed, "sandboxed": sandboxed})
    verdicts, judged_sandboxed = judge_sandboxed(nb, cell_timeout=timeout, unsafe=unsafe,
                                                 release=root / "assignments" / assignment / f"{assignment}.ipynb")
    write_cache(cache, student, "judge", {"key": key, "sandboxed": judged_sandboxed,
                                          "verdicts": {k: asdict(v) for k, v in verdicts.items()}})


def grade_all(root, assignment, students, cache, out, timeout, jobs, unsafe, force):
    """:func:`prepare` every student on ``jobs`` workers; as each is ready, record it in the
    gradebook from this thread (:class:`cnnlab.grading.record.Recorder`), with a progress bar.
    A student whose notebook cannot be prepared is left to nbgrader, which reports it."""
    from .record import Recorder
    from .report import progress

    if not students:
        return
    progress(0, len(students))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(prepare, root, assignment, s, cache, timeout, unsafe): s for s in students}
        # nbgrader starts (imports, configuration) while the first sandboxes run.
        recorder = Recorder(root, assignment, cache=cache, out=out, timeout=timeout, unsafe=unsafe, force=force)
        try:
            recorder.add_students(students)
            for k, future in enumerate(as_completed(futures), 1):
                try:
                    future.result()
                except Exception:   # noqa: BLE001 — nbgrader grades (or fails) this one itself, logged there
                    pass
                recorder.record(futures[future])
                progress(k, len(students))
        finally:
            recorder.close()
    print(file=sys.stderr)
