"""Run one command from a student's submission in a bubblewrap sandbox with capped resources.

``run_sandboxed(argv, inputs=..., output_dir=..., limits=Limits())`` runs ``argv`` (normally
``[sys.executable, ...]`` executing the student's notebook) so that nothing it does can reach
beyond the files it was given, and returns a :class:`SandboxResult`::

    result = run_sandboxed([sys.executable, "run.py"], inputs={"run.py": script},
                           output_dir="out", outputs=["result.json"],
                           limits=Limits(wall_seconds=60))
    result.returncode, result.stdout, result.outputs["result.json"]

The command sees the system read-only, Python's prefix, the cnnlab package and a private tmpfs
holding its inputs; nothing else (no course folder, solutions/, gradebook, HOME, network or
host processes). It runs under rlimits, a seccomp filter, a RAM watch of all its processes and
a wall-clock limit, and every process of it is gone when the run returns.

One behaviour per module, in the order a run uses them (each module's docstring has the why):

* :mod:`.run` — :func:`run_sandboxed`: check the arguments, then bubblewrap, unsafe, or refuse;
* :mod:`.checks` — the argument checks (names that become paths stay plain and relative);
* :mod:`.probe` — :func:`sandbox_available`: can a sandbox be made here (a real run, cached);
* :mod:`.limits` — :class:`Limits` and the rlimits they become;
* :mod:`.result` — :class:`SandboxResult`, :class:`SandboxUnavailable`;
* :mod:`.layout` — the paths inside the sandbox (what the command sees);
* :mod:`.host` — the Python prefixes and cnnlab's folder shown inside, and when they are refused;
* :mod:`.environment` — the command's environment variables;
* :mod:`.bwrap` — bubblewrap's command line: namespaces, mounts, who runs the command;
* :mod:`.seccomp` — the BPF filter (no user namespaces, memfd, SysV shm or keyrings);
* :mod:`.launcher` — the script that runs INSIDE the sandbox (shipped as text, standard
  library only): copies inputs, drops privileges, sets rlimits, runs and watches the command,
  streams the outputs back;
* :mod:`.bwrap_run` — one run in bubblewrap, put together;
* :mod:`.supervise` — the wall-clock limit, draining pipes, killing the process group;
* :mod:`.stream` — reading the launcher's stream (nothing in it trusted);
* :mod:`.outputs` — writing the output files under ``output_dir``;
* :mod:`.leftovers` — counting processes left in the PID namespace (proof: 0);
* :mod:`.unsafe` — no sandbox, same limits, when the caller says ``unsafe=True``.

Where no sandbox can be made (not Linux, bwrap missing or older than 0.8, namespaces not
allowed, a Python prefix that contains HOME or the course), ``run_sandboxed`` raises
:class:`SandboxUnavailable` with a message naming what is missing, unless ``unsafe=True``: then
the command runs as a plain child process with the same rlimits (RLIMIT_NPROC does nothing for
root), scrubbed environment, empty HOME and timeout, but sees every file the grader sees, and
the result says ``sandboxed=False``.
"""

from .layout import BOX, CNNLAB_ROOT, HOME, INPUTS, WORK
from .limits import GiB, Limits, MAX_OUTPUT_FILES, MiB
from .probe import sandbox_available
from .result import SandboxResult, SandboxUnavailable
from .run import run_sandboxed
# Private names the tests and benchmarks reach as cnnlab.grading.sandbox.<name>: the cached
# probe (cleared to probe again) and the unsandboxed path (the benchmark's baseline).
from .probe import _probe  # noqa: F401
from .unsafe import run_unsafe as _run_unsafe  # noqa: F401

__all__ = [
    "Limits",
    "SandboxResult",
    "SandboxUnavailable",
    "run_sandboxed",
    "sandbox_available",
    "MiB",
    "GiB",
    "MAX_OUTPUT_FILES",
    "BOX",
    "WORK",
    "HOME",
    "INPUTS",
    "CNNLAB_ROOT",
]
