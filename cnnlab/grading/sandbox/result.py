"""What a run tells its caller: :class:`SandboxResult`, or :class:`SandboxUnavailable`."""

from dataclasses import dataclass, field


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here, and ``unsafe=True`` was not given."""


@dataclass
class SandboxResult:
    """What happened in one run.

    returncode          exit status of the command; -N if a signal N killed it; None if it
                        never reported (killed by the timeout, or the sandbox failed)
    stdout, stderr      decoded as UTF-8 (bad bytes replaced), cut after Limits.log_bytes
    timed_out           the wall-clock limit was reached and everything was killed
    killed              the command died of a signal, or the timeout killed it
    cpu_seconds         user + system CPU time of the processes that were waited for
    wall_seconds        wall-clock time of the run
    sandboxed           False when run with ``unsafe=True`` where no sandbox could be made
    outputs             {relative name: Path in output_dir} of the files brought back
    leftover_processes  processes of the run still alive afterwards (0), None if not measurable
    memory_exceeded     the processes together held more than Limits.memory_bytes: all killed
    error               why the sandbox itself could not run the command, else None
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    killed: bool
    cpu_seconds: float
    wall_seconds: float
    sandboxed: bool
    outputs: dict = field(default_factory=dict)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    leftover_processes: int | None = None
    memory_exceeded: bool = False
    error: str | None = None
