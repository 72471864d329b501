"""The unsafe path: no sandbox, the same limits, for where none can be made and the caller
said ``unsafe=True``.

The command runs as a plain child process with the same rlimits (RLIMIT_NPROC does nothing for
root), a scrubbed environment, an empty HOME and the timeout, but it sees every file the grader
sees, and the result says ``sandboxed=False``.
"""

import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from .environment import sandbox_env
from .host import cnnlab_dir
from .limits import MAX_OUTPUT_FILES, rlimits
from .outputs import write_outputs
from .result import SandboxResult
from .supervise import supervise


def run_unsafe(argv, *, inputs, output_dir, outputs, limits, env, expose_cnnlab):
    """Run ``argv`` as a plain child with rlimits, a scrubbed env and an empty HOME.

    Inputs and checks as :func:`.bwrap_run.run_bwrap`; ``expose_cnnlab`` puts the folder
    holding the grader's cnnlab on PYTHONPATH. The working directory, HOME and TMPDIR are in a
    scratch folder deleted afterwards.
    Returns:
    - :class:`~.result.SandboxResult` with ``sandboxed=False`` and ``leftover_processes=None``
    """
    scratch = Path(tempfile.mkdtemp(prefix="cnnlab-unsafe-"))
    try:
        work, home, tmp = scratch / "work", scratch / "home", scratch / "tmp"
        for d in (work, home, tmp):
            d.mkdir()
        for name, path in inputs.items():
            if path.is_dir():
                shutil.copytree(path, work / name, symlinks=True)
            else:
                shutil.copyfile(path, work / name)
        full_env = sandbox_env(env, expose_cnnlab=False)
        full_env.update(HOME=str(home), TMPDIR=str(tmp))
        if expose_cnnlab:
            full_env["PYTHONPATH"] = str(cnnlab_dir().parent)
        full_env.update(env)
        limit_values = [(getattr(resource, which), soft, hard)
                        for which, soft, hard in rlimits(limits)]

        def set_limits():
            for which, soft, hard in limit_values:
                resource.setrlimit(which, (soft, hard))

        proc = subprocess.Popen(argv, cwd=work, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=set_limits)
        run = supervise(proc, limits)
        files = []
        if output_dir is not None:
            budget = limits.output_bytes
            for name in outputs if outputs is not None else _walk_files(work):
                path = work / name
                if len(files) == MAX_OUTPUT_FILES:
                    break
                if path.is_file() and not path.is_symlink() and path.stat().st_size <= budget:
                    files.append((name, path.read_bytes()))
                    budget -= len(files[-1][1])
        returncode = None if run["timed_out"] else proc.returncode
        return SandboxResult(
            returncode=returncode, stdout=run["stdout"], stderr=run["stderr"],
            stdout_truncated=run["stdout_truncated"], stderr_truncated=run["stderr_truncated"],
            timed_out=run["timed_out"],
            killed=run["timed_out"] or (returncode is not None and returncode < 0),
            cpu_seconds=run["cpu_seconds"], wall_seconds=run["wall_seconds"], sandboxed=False,
            outputs=write_outputs(files, output_dir), leftover_processes=None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _walk_files(top):
    """Relative names of every file under ``top``, folders and names in sorted order."""
    for base, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            yield os.path.relpath(os.path.join(base, name), top)
