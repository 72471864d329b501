"""Grading helpers for instructors: running each student's notebook where it cannot cheat, and
judging it where the student's code never runs.

The threat model: during grading no code from a submission can change a grade, read or write
another student's files, read solutions/, the source notebooks or the gradebook, write anywhere
in the course, reach the network, see the instructor's environment or HOME, leave a process
running, or use more than capped memory, processes, disk and CPU time. Two processes share the
work: the trusted grader (never runs student code) and sandboxes (run nothing else).

Modules, one behaviour each:

- ``sandbox``: run one command in a bubblewrap sandbox with capped resources;
- ``collect`` / ``repair``: an LMS zip or folder into nbgrader's ``submitted/``, notebooks repaired;
- ``cases``: which checks a test cell runs (read with ``ast``, never run) and their cases, made
  in the trusted grader (it holds the hidden seeds) as plain data;
- ``harness``: the small caller that runs INSIDE the sandbox, without cnnlab (with copies of
  ``cnnlab/plaindata.py``, the one plain-data format, and ``cnnlab/checks/given.py``): the
  student's code cells, and at each test cell the graded functions on its cases; plain results out;
- ``cases_train`` / ``harness_train``: the same for 07 (a network, training): its plain cases
  made in the grader (no test labels), its run steps in the sandbox with ``cnnlab.nn`` allowed;
- ``judge``: the trusted side: run the harness, read the results, ``cnnlab.checks.judge`` them;
- ``execute_inside``: the notebook run as nbgrader's Execute runs it, inside the sandbox (the feedback text);
- ``nbgrader_preprocessors``: the stock ``nbgrader autograde`` path (``nbgrader_config.py``):
  SandboxedExecute, JudgeOutside (the judge's verdict sets each test cell's outcome and flags
  a kernel that said otherwise), RestoreTestCells;
- ``fontcache``: matplotlib's font list, built once in a sandbox and copied into each sandbox's HOME;
- ``grade_command`` / ``record`` / ``report``: ``cnnlab grade``: collect, sandboxes in parallel,
  one gradebook writer (nbgrader's Autograde, in-process, student by student as each is ready),
  grades.csv, feedback pages, summary.

Submodules are imported explicitly (``from cnnlab.grading import sandbox``); this file imports
nothing so that ``import cnnlab.grading.x`` stays cheap.
"""
