"""The gradebook's one writer: nbgrader's own ``Autograde``, run in the ``cnnlab grade`` process,
one student at a time, as soon as that student's sandboxes have run.

It is what ``nbgrader autograde ASSIGNMENT`` does (the same application, reading the course's
``nbgrader_config.py`` and the same options), with two differences that only save time:

- nbgrader starts once per run, not once per student, and not in a process of its own
  (importing nbgrader, nbconvert and SQLAlchemy costs ~2 s of CPU);
- a student is recorded while the sandboxes of the next students run, so the recording's CPU
  time fills the cores the sandboxes leave idle, instead of adding a serial phase at the end.

Only the thread that created the :class:`Recorder` calls :meth:`Recorder.record`: SQLite never
sees two writers. nbgrader's log goes to a file (``DIR/nbgrader-<assignment>.log``), which the
report names when a notebook could not be graded.
"""

import logging
import warnings
from pathlib import Path


def log_path(out, assignment):
    """Where nbgrader's log of one ``cnnlab grade`` run goes: ``DIR/nbgrader-<assignment>.log``."""
    return Path(out) / f"nbgrader-{assignment}.log"


class Recorder:
    """nbgrader's AutogradeApp, initialised once for ``assignment`` in the course folder ``root``.

    cache    where the sandboxes' runs are (:mod:`cnnlab.grading.nbgrader_preprocessors`)
    out      the report folder (the judge's per-student reports, the log)
    timeout  seconds a cell may run, if a run is not in the cache and must be made here
    unsafe   grade without a sandbox where none can be made
    force    grade again a student already autograded
    """

    def __init__(self, root, assignment, *, cache, out, timeout, unsafe, force):
        from nbgrader.apps.autogradeapp import AutogradeApp

        argv = [assignment,
                f"--SandboxedExecute.cache_dir={cache}", f"--JudgeOutside.cache_dir={cache}",
                f"--JudgeOutside.report_dir={Path(out) / 'judge'}", f"--Execute.timeout={timeout}",
                f"--JudgeOutside.cell_timeout={timeout}"]
        if unsafe:
            argv += ["--SandboxedExecute.unsafe_no_sandbox=True", "--JudgeOutside.unsafe_no_sandbox=True"]
        if force:
            argv.append("--force")
        self.assignment = assignment
        self.log_path = log_path(out, assignment)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.app = AutogradeApp()
        self.app.initialize(argv, root=str(root))
        self._log_to_file()

    def _log_to_file(self):
        """nbgrader's log into the log file, not over the progress bar."""
        log = self.app.log
        for handler in list(log.handlers):
            log.removeHandler(handler)
        handler = logging.FileHandler(self.log_path, mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter("[%(name)s | %(levelname)s] %(message)s"))
        log.addHandler(handler)
        log.propagate = False

    def add_students(self, students):
        """Put the students in the gradebook in sorted order, as a batch ``nbgrader autograde``
        would (it creates each when it reaches it, in sorted order): ``nbgrader export`` lists
        students in the order they were added, and they are recorded in the order they finish."""
        from nbgrader.api import Gradebook

        with Gradebook(self.app.coursedir.db_url) as gb:
            for student in sorted(students):
                gb.update_or_create_student(student)

    def record(self, student):
        """Autograde one student (nbgrader's Autograde converter); False if nbgrader failed it."""
        from nbgrader.converters import Autograde
        from nbgrader.converters.base import NbGraderException

        coursedir = self.app.coursedir
        coursedir.assignment_id, coursedir.student_id = self.assignment, student
        # SQLAlchemy warns when nbgrader adds a new submission (an autoflush inside nbgrader's
        # add_submission); into the log with the rest, not over the progress bar.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                Autograde(coursedir=coursedir, parent=self.app).start()
            except NbGraderException:
                return False   # logged by nbgrader; the report marks the student failed
            finally:
                for warning in caught:
                    self.app.log.warning("%s: %s", warning.category.__name__, warning.message)
        return True

    def close(self):
        for handler in list(self.app.log.handlers):
            handler.close()
            self.app.log.removeHandler(handler)
