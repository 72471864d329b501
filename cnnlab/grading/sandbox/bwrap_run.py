"""One run in bubblewrap: start bwrap with the launcher, wait, and read what came back.

Three pipes go into the sandbox: the seccomp filter (:mod:`.seccomp`), bwrap's info (the PID
namespace, for :mod:`.leftovers`) and the launcher's status stream (:mod:`.stream`). The grader
reads them and the command's stdout and stderr, each with a byte cap, while
:func:`.supervise.supervise` keeps the wall-clock limit.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys

from .bwrap import bwrap_args
from .environment import sandbox_env
from .host import cnnlab_dir
from .launcher import LAUNCHER
from .layout import BOX, INPUTS, WORK
from .leftovers import processes_in_pid_namespace
from .limits import MAX_OUTPUT_FILES, rlimits
from .outputs import write_outputs
from .result import SandboxResult
from .seccomp import seccomp_filter
from .stream import parse_stream
from .supervise import Reader, decode_status, supervise

SANDBOX_UID_BASE = 1_900_000_000  # fresh uids for the command when the grader is root


def run_bwrap(argv, *, inputs, output_dir, outputs, limits, env, expose_cnnlab):
    """Run ``argv`` in a fresh bubblewrap sandbox (arguments checked by the caller).

    Inputs: as :func:`~cnnlab.grading.sandbox.run_sandboxed`, already checked:
    - argv: list of str
    - inputs: {name: resolved Path}
    - output_dir: Path, or None to bring nothing back
    - outputs: list of names, or None for every regular file of the working directory
    - limits: :class:`~.limits.Limits`
    - env: {name: value} added to the sandbox's environment
    - expose_cnnlab: bool, mount the grader's cnnlab read-only at /opt/cnnlab/cnnlab
    Returns:
    - :class:`~.result.SandboxResult` with ``sandboxed=True``
    Raises OSError when bwrap itself cannot be started.
    """
    bwrap = shutil.which("bwrap")
    as_root = os.geteuid() == 0
    status_r, status_w = os.pipe()
    info_r, info_w = os.pipe()
    pass_fds = [status_w, info_w]
    seccomp = seccomp_filter()
    seccomp_fd = None
    if seccomp is not None:
        seccomp_fd, seccomp_w = os.pipe()
        os.write(seccomp_w, seccomp)          # a few hundred bytes: fits in the pipe buffer
        os.close(seccomp_w)
        pass_fds.append(seccomp_fd)
    config = {
        "argv": argv, "inputs": sorted(inputs), "outputs": outputs if output_dir else [],
        "in_dir": INPUTS, "work": WORK, "home": BOX + "/home", "tmp": BOX + "/tmp",
        "uid": SANDBOX_UID_BASE + secrets.randbelow(1_000_000) if as_root else None,
        "rlimits": rlimits(limits), "status_fd": status_w,
        "output_bytes": limits.output_bytes, "max_files": MAX_OUTPUT_FILES,
        "memory_bytes": limits.memory_bytes,
    }
    args = bwrap_args(limits=limits, inputs=inputs, env=sandbox_env(env, expose_cnnlab),
                      as_root=as_root, cnnlab_dir=cnnlab_dir() if expose_cnnlab else None,
                      info_fd=info_w, seccomp_fd=seccomp_fd)
    cmd = [bwrap, *args, "--", sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(config)]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, pass_fds=pass_fds,
                                start_new_session=True, env={"PATH": "/usr/bin:/bin"})
    finally:
        for fd in pass_fds:
            os.close(fd)
    # Files, plus a header line (< 512 bytes: names of at most 255 bytes) per file.
    status_reader = Reader(os.fdopen(status_r, "rb"),
                           limits.output_bytes + (MAX_OUTPUT_FILES + 2) * 512)
    info_reader = Reader(os.fdopen(info_r, "rb"), 64 * 1024)
    run = supervise(proc, limits, extra_readers=(status_reader, info_reader))
    messages, files = parse_stream(status_reader.data, outputs, limits.output_bytes)
    status = next((m["status"] for m in messages if "status" in m), None)
    error = next((m["error"] for m in messages if "error" in m), None)
    returncode = None if status is None else decode_status(status)
    # The launcher reaps every process of the run, so its count is complete; bwrap's own
    # (from wait4) misses what died after bwrap itself, but is all there is after a timeout.
    cpu = next((m["cpu"] for m in messages if isinstance(m.get("cpu"), (int, float))), 0.0)
    memory_exceeded = any(m.get("memory_exceeded") is True for m in messages)
    if error is None and status is None and not run["timed_out"]:
        error = run["stderr"].strip()[-2000:] or f"bwrap exited with {run['bwrap_status']}"
    return SandboxResult(
        returncode=returncode, stdout=run["stdout"], stderr=run["stderr"],
        stdout_truncated=run["stdout_truncated"], stderr_truncated=run["stderr_truncated"],
        timed_out=run["timed_out"],
        killed=run["timed_out"] or (returncode is not None and returncode < 0),
        cpu_seconds=max(cpu, run["cpu_seconds"]), wall_seconds=run["wall_seconds"],
        sandboxed=True,
        outputs=write_outputs(files, output_dir),
        leftover_processes=processes_in_pid_namespace(info_reader.data),
        memory_exceeded=memory_exceeded, error=error)
