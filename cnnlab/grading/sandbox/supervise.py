"""Waiting for a run: the wall-clock limit, draining its pipes, killing its process group.

Used for both paths (bwrap and unsafe). The command runs in a session, hence a process group,
of its own (``start_new_session=True``); a wall-clock timer kills that group. For bwrap that
takes the PID namespace with it, and so every process of the submission.
"""

import os
import signal
import threading
import time


class Reader(threading.Thread):
    """Drain a pipe in the background, keeping the first ``cap`` bytes.

    A pipe that nobody reads fills up and blocks its writer, so every pipe of a run is read
    while the run goes on; what passes ``cap`` is read and dropped (``truncated``).

    Inputs:
    - stream: binary file object with ``read1`` (closed when drained)
    - cap: int, most bytes kept
    """

    def __init__(self, stream, cap):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.chunks, self.size, self.truncated = [], 0, False
        self.start()

    def run(self):
        with self.stream:
            while chunk := self.stream.read1(1 << 16):
                keep = chunk[:max(0, self.cap - self.size)]
                self.truncated |= len(keep) < len(chunk)
                if keep:
                    self.chunks.append(keep)
                    self.size += len(keep)

    @property
    def data(self):
        return b"".join(self.chunks)


def supervise(proc, limits, extra_readers=()):
    """Wait for ``proc`` with the wall-clock limit; collect its output and CPU time.

    Inputs:
    - proc: subprocess.Popen with stdout and stderr pipes, leader of its own process group
    - limits: :class:`~.limits.Limits` (``wall_seconds``, ``log_bytes``)
    - extra_readers: further :class:`Reader` threads to wait for once proc is gone
    Returns:
    - dict: stdout, stderr (str), stdout_truncated, stderr_truncated, timed_out (bool),
      wall_seconds, cpu_seconds (float), bwrap_status (the raw waitpid status)
    """
    out = Reader(proc.stdout, limits.log_bytes)
    err = Reader(proc.stderr, limits.log_bytes)
    start = time.monotonic()
    # Wait without reaping (WNOWAIT): while the leader is an unreaped zombie its process-group
    # id cannot be reused, so killing the group afterwards cannot hit someone else's processes.
    waiter = threading.Thread(target=os.waitid, args=(os.P_PID, proc.pid,
                                                      os.WEXITED | os.WNOWAIT), daemon=True)
    waiter.start()
    try:
        waiter.join(limits.wall_seconds)
    except BaseException:                  # Ctrl-C in the grader: the run must not outlive it
        kill_group(proc.pid)
        raise
    timed_out = waiter.is_alive()
    kill_group(proc.pid)                   # the timeout; or what an unsandboxed run left behind
    waiter.join()
    # wait4, not Popen.wait: it also gives the CPU time of the waited-for process tree.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = decode_status(status)  # reaped: Popen must not wait again
    for reader in (out, err, *extra_readers):
        reader.join(10)
    return {"stdout": out.data.decode("utf-8", "replace"), "stdout_truncated": out.truncated,
            "stderr": err.data.decode("utf-8", "replace"), "stderr_truncated": err.truncated,
            "timed_out": timed_out, "wall_seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "bwrap_status": status}


def kill_group(pgid):
    """SIGKILL every process of group ``pgid``; a group already gone is no error."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def decode_status(status):
    """A waitpid status as subprocess does it: exit code, or -signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
