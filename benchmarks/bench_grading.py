"""Seconds per notebook of ``cnnlab grade --jobs 2`` against plain nbclient execution of the same
notebooks, measured in the same run, for a synthetic class on every assignment (issue 9).

    python benchmarks/bench_grading.py [--students 8] [--jobs 2] [--assignments 01_convolution ...]
    python benchmarks/bench_grading.py --quick     # 01 and 05 only

The class, per assignment (student k is kind k mod 4):

- honest:  the solutions' answers in the release's answer cells;
- wrong:   a wrong answer from tests/corpus*.py in the first answer cell (07: the flipped-sign
           gradient), the solutions' answers elsewhere;
- broken:  a syntax error (an unmatched parenthesis) in the first answer cell, an exception
           raised in the second;
- hostile: an in-kernel faker of tests/hostile.py (cycling through them) before the wrong answer.

The two sides, on the same submitted notebooks, each ``--jobs`` notebooks at a time:

- plain:  ``nbclient.NotebookClient(nb, timeout, allow_errors=True).execute()`` in ``--jobs``
          threads of this process (one kernel each, every cell run, nothing graded, no sandbox);
- cnnlab: ``cnnlab grade ASSIGNMENT subs.zip --jobs N`` in a course folder whose release is
          generated beforehand (the instructor released it before the students submitted): collect,
          sandboxed run + judge per notebook, one ``nbgrader autograde``, grades.csv, feedback.

Both sides run every kernel with one BLAS/OpenMP thread (the sandbox does; ``--jobs`` kernels on
the machine's cores would gain nothing from more) and the same cell timeout. Which side runs
first alternates from assignment to assignment, so a change in the machine's load does not
always hit the same side. The seconds per notebook are wall-clock time / notebooks; the CPU
seconds per notebook (every process on the machine, from /proc/stat: a busy machine adds its own)
show how much of the two cores each side kept busy.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ASSIGNMENTS = ["01_convolution", "02_padding_stride", "03_im2col", "04_pooling", "05_softmax_cross_entropy",
               "06_backprop", "07_train_cnn", "08_transfer_learning"]
QUICK = ["01_convolution", "05_softmax_cross_entropy"]
KINDS = ["honest", "wrong", "broken", "hostile"]
# The in-kernel fakers of tests/hostile.py that attack any assignment (module_dict names 01's check).
FAKERS = ["sys_modules", "builtins_import", "hooks", "numpy_patch", "code_object", "transformer"]
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TARGET_RATIO = 1.5          # cnnlab grade s/notebook <= 1.5 x plain execution
TARGET_CLASS_MINUTES = 15   # 100 students x 7 assignments on 2 cores
CLASS = (100, 7)


def answer_cells(notebook):
    """The ids of the solution (answer) code cells, in notebook order."""
    return [c.id for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def wrong_cells(name, first):
    """{answer cell id: a wrong answer from the corpus} for assignment ``name``."""
    if name == "07_train_cnn":
        import corpus_07
        return dict(next(s for s in corpus_07.SUBMISSIONS if s.label == "gradient-sign-flipped").cells)
    if name == "08_transfer_learning":
        import corpus_08 as corpus
    else:
        import corpus
    return {first: next(a for a in corpus.ALL[name][first] if not a.correct).source}


def student_notebook(name, kind, k, release, solution):
    """Student ``k`` of kind ``kind``'s notebook for assignment ``name``."""
    from course import answer

    import hostile

    ids = answer_cells(solution)
    cells = {c.id: c.source for c in solution.cells if c.get("id") in ids}
    if kind == "wrong":
        cells.update(wrong_cells(name, ids[0]))
    elif kind == "broken":
        cells[ids[0]] += "\n)"                                      # an unmatched parenthesis
        cells[ids[1]] = 'raise RuntimeError("unfinished")\n' + cells[ids[1]]
    elif kind == "hostile":
        wrong = wrong_cells(name, ids[0])
        first = next(iter(wrong))
        cells.update(wrong)
        cells[first] = hostile.FAKES[FAKERS[(k // len(KINDS)) % len(FAKERS)]] + "\n" + cells[first]
    return answer(release, cells)


def make_class(course, name, students):
    """{student: notebook} for ``name``, and the LMS zip of them in the course folder."""
    import nbformat
    from course import release_notebook, source_notebook

    release, solution = release_notebook(course, name), source_notebook(name)
    notebooks = {f"s{k:03d}-{KINDS[k % len(KINDS)]}": student_notebook(name, KINDS[k % len(KINDS)], k, release, solution)
                 for k in range(students)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for student, nb in notebooks.items():
            z.writestr(f"{student}/{name}.ipynb", nbformat.writes(nb))
    (course / f"{name}.zip").write_bytes(buffer.getvalue())
    return notebooks


def run_plain(notebook, folder, timeout):
    """Execute one notebook with nbclient in ``folder`` (its working directory)."""
    import nbformat
    from nbclient import NotebookClient

    folder.mkdir(parents=True)
    nb = nbformat.from_dict(notebook)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()


def machine_cpu():
    """CPU seconds the whole machine has spent busy since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(t) for t in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def time_plain(notebooks, scratch, jobs, timeout):
    """(wall-clock seconds, machine CPU seconds) to execute every notebook, ``jobs`` at a time."""
    start, cpu = time.perf_counter(), machine_cpu()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_plain, nb, scratch / student, timeout) for student, nb in notebooks.items()]
        for future in futures:
            future.result()
    return time.perf_counter() - start, machine_cpu() - cpu


def time_grade(course, name, jobs, timeout):
    """(wall-clock seconds, machine CPU seconds) of ``cnnlab grade name name.zip --jobs N`` in ``course``."""
    args = [sys.executable, "-m", "cnnlab.cli", "grade", name, f"{name}.zip", "--jobs", str(jobs),
            "--timeout", str(timeout), "--out", f"grading-{name}"]
    start, cpu = time.perf_counter(), machine_cpu()
    done = subprocess.run(args, cwd=course, env=os.environ, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, machine_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, cpu


def graded(course, name):
    """What cnnlab grade made of the class (so one sees the grading did its work): total, status."""
    import csv

    with open(course / f"grading-{name}" / "grades.csv", encoding="utf-8-sig") as f:   # cnnlab grade writes a BOM (Excel)
        return ", ".join(f"{r['student']} {r['total']} {r['status']}" for r in csv.DictReader(f))


def load_note():
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=8, help="students per assignment (default 8: two of each kind)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at a time, on both sides (default 2)")
    parser.add_argument("--assignments", nargs="+", default=None, help="default: all of 01-08")
    parser.add_argument("--quick", action="store_true", help=f"only {' and '.join(QUICK)}")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a cell may run, both sides (default 120)")
    args = parser.parse_args()
    if args.students < 1 or args.jobs < 1:
        raise SystemExit("--students and --jobs must be at least 1")
    names = args.assignments or (QUICK if args.quick else ASSIGNMENTS)
    unknown = sorted(set(names) - set(ASSIGNMENTS))
    if unknown:
        raise SystemExit(f"unknown assignments {unknown}; known: {ASSIGNMENTS}")
    from course import make_course

    os.environ.update(ONE_THREAD)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    print(f"{args.students} students per assignment ({', '.join(KINDS[:args.students])}...), "
          f"--jobs {args.jobs} on both sides; before: {load_note()}", flush=True)
    rows, cpu = [], []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        (tmp / "course").mkdir()
        course = make_course(tmp / "course", names)       # the release, generated before submission
        small = None
        if args.students > 2:   # for the extrapolation: the same assignment with 2 students
            (tmp / "small").mkdir()
            make_class(make_course(tmp / "small", names[:1]), names[0], 2)
            small = time_grade(tmp / "small", names[0], args.jobs, args.timeout)[0]
            print(f"  {names[0]}, 2 students: cnnlab grade {small:.1f} s", flush=True)
        for i, name in enumerate(names):
            notebooks = make_class(course, name, args.students)
            plain = lambda: time_plain(notebooks, tmp / "plain" / name, args.jobs, args.timeout)  # noqa: E731
            grade = lambda: time_grade(course, name, args.jobs, args.timeout)                     # noqa: E731
            if i % 2 == 0:
                (t_plain, c_plain), (t_grade, c_grade) = plain(), grade()
            else:
                (t_grade, c_grade), (t_plain, c_plain) = grade(), plain()
            n = len(notebooks)
            rows.append((name, n, t_plain / n, t_grade / n))
            cpu.append((c_plain / n, c_grade / n))
            print(f"  {name}: plain {t_plain / n:.1f} s/notebook ({c_plain / n:.1f} CPU s), cnnlab grade "
                  f"{t_grade / n:.1f} s/notebook ({c_grade / n:.1f} CPU s); {graded(course, name)}", flush=True)
    report(rows, args, small, cpu)


def fixed_seconds(rows, small, students):
    """The seconds of one ``cnnlab grade`` run that do not grow with the class (start-ups,
    collect, nbgrader's start, the report), from the first assignment graded with 2 and with
    ``students`` students: T(n) = fixed + n * per_notebook. None without the 2-student run."""
    if small is None:
        return None
    _, n, _, grade = rows[0]
    per_notebook = (n * grade - small) / (n - 2)
    return max(0.0, small - 2 * per_notebook)


def report(rows, args, small, cpu):
    """The table, the class extrapolation and the targets."""
    print(f"\n{'assignment':26s} {'notebooks':>9s} {'plain s/nb':>10s} {'grade s/nb':>10s} {'ratio':>6s}"
          f" {'plain CPU s/nb':>14s} {'grade CPU s/nb':>14s}")
    for (name, n, plain, grade), (c_plain, c_grade) in zip(rows, cpu):
        print(f"{name:26s} {n:9d} {plain:10.1f} {grade:10.1f} {grade / plain:5.2f}x {c_plain:14.1f} {c_grade:14.1f}")
    total_plain = sum(n * p for _, n, p, _ in rows)
    total_grade = sum(n * g for _, n, _, g in rows)
    notebooks = sum(n for _, n, _, _ in rows)
    ratio = total_grade / total_plain
    print(f"{'all':26s} {notebooks:9d} {total_plain / notebooks:10.1f} {total_grade / notebooks:10.1f} {ratio:5.2f}x")
    students, assignments = CLASS
    mean_grade = sum(g for _, _, _, g in rows) / len(rows)
    mean_plain = sum(p for _, _, p, _ in rows) / len(rows)
    upper = students * assignments * mean_grade / 60
    print(f"\nExtrapolated, not measured: {students} students x {assignments} assignments on this machine "
          f"(--jobs {args.jobs}), from {args.students} students\nper assignment on {len(rows)} assignments "
          f"(the mean assignment stands for each of the {assignments}):")
    print(f"  upper bound: {students} x {assignments} x (mean cnnlab grade s/notebook {mean_grade:.1f} s) / 60 = "
          f"{upper:.0f} min (each run's fixed costs spread over only {args.students} notebooks)")
    minutes = upper
    fixed = fixed_seconds(rows, small, args.students)
    if fixed is not None:
        per_notebook = mean_grade - fixed / args.students
        minutes = assignments * (fixed + students * per_notebook) / 60
        print(f"  fixed + per notebook: {assignments} x ({fixed:.1f} s fixed per run + {students} x {per_notebook:.1f} s) / 60"
              f" = {minutes:.0f} min\n    (fixed: from {rows[0][0]} graded with 2 and with {args.students} students, "
              f"T(n) = fixed + n x per notebook)")
    print(f"  plain execution, for comparison: {students} x {assignments} x {mean_plain:.1f} s / 60 = "
          f"{students * assignments * mean_plain / 60:.0f} min")
    at_class = None
    if fixed is not None:
        at_class = (fixed / students + per_notebook) / mean_plain
        print(f"  per notebook at {students} students: ({fixed:.1f} / {students} + {per_notebook:.1f}) / {mean_plain:.1f} plain"
              f" = {at_class:.2f}x")
    print(f"\nTargets: cnnlab grade <= {TARGET_RATIO}x plain per notebook: measured at {args.students} students "
          f"{ratio:.2f}x overall, worst {max(g / p for _, _, p, g in rows):.2f}x -> {'met' if ratio <= TARGET_RATIO else 'MISSED'}")
    if at_class is not None:
        print(f"         extrapolated to {students} students: {at_class:.2f}x -> "
              f"{'met' if at_class <= TARGET_RATIO else 'MISSED'} (extrapolated)")
    print(f"         {students} x {assignments} in under {TARGET_CLASS_MINUTES} min on 2 cores: {minutes:.0f} min -> "
          f"{'met' if minutes < TARGET_CLASS_MINUTES else 'MISSED'}")
    print(f"after: {load_note()}")


if __name__ == "__main__":
    main()
