"""Seconds per student of ``nbgrader autograde``: stock (the kernel runs unsandboxed and judges
itself) against the course's config (SandboxedExecute + JudgeOutside: two sandboxes per notebook),
and ``cnnlab grade --jobs N`` (the sandboxes in parallel, one gradebook writer).

    python benchmarks/bench_grading.py [--students 4] [--jobs 2] [--assignment 01_convolution]

Prints the seconds per student of each path and their ratios to stock, measured in this run.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

STOCK = '''
from nbgrader.preprocessors import Execute, IgnorePattern, LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata
from nbconvert.preprocessors import ClearMetadataPreprocessor
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
'''


def course_with_students(folder, name, students):
    import nbformat
    from course import make_course, release_notebook, source_notebook, submit

    course = make_course(folder, [name])
    notebooks = [source_notebook(name), release_notebook(course, name)]
    for k in range(students):
        submit(course, f"s{k:02d}", name, notebooks[k % 2])
    return course, {f"s{k:02d}": nbformat.writes(notebooks[k % 2]) for k in range(students)}


def timed(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CNNLAB_TIME_LIMIT": "3"}
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", default="01_convolution")
    args = parser.parse_args()
    name, n = args.assignment, args.students
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for folder in ("stock", "sandboxed", "zipsrc"):
            (tmp / folder).mkdir()
        stock, _ = course_with_students(tmp / "stock", name, n)
        with open(stock / "nbgrader_config.py", "a") as f:
            f.write(STOCK)
        sandboxed, _ = course_with_students(tmp / "sandboxed", name, n)
        graded = tmp / "grade"
        shutil.copytree(ROOT / "solutions" / name, graded / "solutions" / name)
        shutil.copy(ROOT / "nbgrader_config.py", graded)
        _, notebooks = course_with_students(tmp / "zipsrc", name, n)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for student, text in notebooks.items():
                z.writestr(f"{student}/{name}.ipynb", text)
        (graded / "subs.zip").write_bytes(buffer.getvalue())

        autograde = [sys.executable, "-m", "nbgrader", "autograde", name, "--Execute.timeout=60", "--JudgeOutside.cell_timeout=60"]
        t_stock = timed(autograde[:-1], stock) / n
        t_sandboxed = timed(autograde, sandboxed) / n
        t_grade = timed([sys.executable, "-m", "cnnlab.cli", "grade", name, "subs.zip", "--jobs", str(args.jobs),
                         "--timeout", "60"], graded) / n
    print(f"{name}, {n} students, {os.cpu_count()} cores")
    print(f"  stock nbgrader autograde (unsandboxed)     {t_stock:6.1f} s/student  1.00")
    print(f"  nbgrader autograde, sandboxed + judge      {t_sandboxed:6.1f} s/student  {t_sandboxed / t_stock:.2f}")
    print(f"  cnnlab grade --jobs {args.jobs} (incl. generate)    {t_grade:6.1f} s/student  {t_grade / t_stock:.2f}")


if __name__ == "__main__":
    main()
