"""The caps of one run (:class:`Limits`) and the rlimits the launcher sets from them.

The launcher sets the rlimits on itself before it forks the command, so they hold for every
process the command starts: RLIMIT_AS (``memory_bytes`` per process), RLIMIT_NPROC
(``processes``: processes and threads of the sandbox's uid), RLIMIT_CPU, RLIMIT_FSIZE,
RLIMIT_NOFILE and RLIMIT_CORE=0. Files can only be written in tmpfs mounts with a size cap
(``--size``, see :mod:`.bwrap`): ``/sandbox`` and ``/dev/shm``, ``disk_bytes`` each. The RAM of
all processes together is watched by the launcher (:mod:`.launcher`), the wall clock by the
grader (:mod:`.supervise`).

What this does not cap: kernel memory (pipe and socket buffers, page tables), which only a
cgroup could; the two tmpfs mounts are capped on their own (``disk_bytes`` each).
"""

from dataclasses import dataclass, fields

MiB = 1024 * 1024
GiB = 1024 * MiB

MAX_OUTPUT_FILES = 1000           # output files brought back at most


@dataclass(frozen=True)
class Limits:
    """Caps for one sandboxed run. Sizes in bytes, times in seconds.

    memory_bytes  address space of each process (RLIMIT_AS), and RAM of all processes together
                  (checked every 50 ms): numpy + a Jupyter kernel need ~1 GiB of address space
    processes     processes + threads the command may have at once (RLIMIT_NPROC)
    cpu_seconds   CPU time of each process (RLIMIT_CPU; SIGXCPU, then SIGKILL one second later)
    wall_seconds  wall-clock time of the whole run, start-up included
    file_bytes    largest file the command may write (RLIMIT_FSIZE)
    disk_bytes    size of the writable tmpfs (work dir + HOME + /tmp, inputs included), and
                  of /dev/shm
    open_files    open file descriptors per process (RLIMIT_NOFILE)
    output_bytes  total size of the output files brought back
    log_bytes     stdout and stderr are each cut after this many bytes
    """

    memory_bytes: int = 2 * GiB
    processes: int = 64
    cpu_seconds: int = 120
    wall_seconds: float = 300.0
    file_bytes: int = 64 * MiB
    disk_bytes: int = 256 * MiB
    open_files: int = 256
    output_bytes: int = 64 * MiB
    log_bytes: int = 1 * MiB

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = (int, float) if f.name == "wall_seconds" else (int,)
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise TypeError(f"Limits.{f.name} must be a number, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"Limits.{f.name} must be > 0, got {value!r}")


def rlimits(limits):
    """The rlimits of a run, by name so that they travel as JSON into the sandbox.

    Inputs:
    - limits: :class:`Limits`
    Returns:
    - list of ``(name, soft, hard)``, name as in :mod:`resource` (``"RLIMIT_AS"``, ...).
      CPU: SIGXCPU at the soft limit (the process can tell what happened), SIGKILL one second
      later at the hard one.
    """
    return [("RLIMIT_AS", limits.memory_bytes, limits.memory_bytes),
            ("RLIMIT_NPROC", limits.processes, limits.processes),
            ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 1),
            ("RLIMIT_FSIZE", limits.file_bytes, limits.file_bytes),
            ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
            ("RLIMIT_CORE", 0, 0)]
