"""Run one command from a student's submission in a bubblewrap sandbox with capped resources.

``run_sandboxed(argv, inputs=..., output_dir=..., limits=Limits())`` runs ``argv`` (normally
``[sys.executable, ...]`` executing the student's notebook) so that nothing it does can reach
beyond the files it was given, and returns a :class:`SandboxResult`.

What the command sees (bubblewrap, Debian package ``bubblewrap`` >= 0.8)::

    /usr, /bin, /lib*, /sbin       read-only (symlinks where the host has merged /usr)
    /etc/{ld.so.cache, ...}        read-only: the few files the dynamic linker and Python use
    <Python prefix(es)>            read-only: sys.prefix, sys.base_prefix (site-packages inside)
    /opt/cnnlab/cnnlab             read-only: the cnnlab package directory only
                                   (PYTHONPATH=/opt/cnnlab)
    /sandbox                       private tmpfs of Limits.disk_bytes, gone when the run ends:
        work/                      the working directory; the inputs are copied here (writable)
        home/                      HOME (/home/student links here): empty
        tmp/                       /tmp links here
        in/<name>                  the inputs themselves, read-only (the originals stay untouched)
    /proc, /dev                    a fresh procfs (only the sandbox's processes) and minimal /dev
    everything else                absent: no course folder, no solutions/, no gradebook, no HOME
                                   (a prefix inside HOME shows that prefix only), no host /tmp

Design points:

* **Namespaces.** New mount, PID, network, IPC, UTS (and cgroup) namespaces. The network
  namespace holds only a loopback interface, which bubblewrap brings up: a Jupyter kernel and its
  client talk over 127.0.0.1 inside, but nothing reaches the host's loopback or any other network.
  ``--die-with-parent`` and the PID namespace mean that when the run ends (or the grader dies),
  every process of the submission dies: the kernel kills a PID namespace's processes when its
  first process exits. ``--new-session`` stops a command from pushing keystrokes into the
  grader's terminal (TIOCSTI).
* **Environment.** ``--clearenv``, then PATH, HOME=/home/student, LANG=C.UTF-8,
  PYTHONDONTWRITEBYTECODE, PYTHONNOUSERSITE, MPLBACKEND=Agg and one BLAS/OpenMP thread, plus
  whatever the caller passes in ``env``. None of the instructor's variables get in.
* **The editable install.** ``pip install -e`` leaves ``__editable___cnnlab_*_finder.py`` in
  site-packages, mapping ``cnnlab`` to the course folder. Inside, that path does not exist (the
  course folder is never mounted), so the finder finds nothing. Instead the directory that the
  grader itself imported ``cnnlab`` from is bind-mounted read-only at ``/opt/cnnlab/cnnlab`` and
  ``PYTHONPATH=/opt/cnnlab`` puts it first on ``sys.path`` (the path finder runs before the
  editable finder). A bind mount shows one directory: ``..`` from its top stays in the
  sandbox's own tree, and relative or absolute symlinks resolve inside the sandbox too, so the
  rest of the course folder cannot be reached through it. A Python prefix is mounted whole, so
  one that contains HOME, the grader's working folder or the course folder is refused.
* **Who runs the command.** As an ordinary user, bubblewrap makes a user namespace (the user's
  own uid inside, ``--disable-userns`` so no nested ones). As root (CI, containers) there is no
  user namespace: bubblewrap runs as root, hands only CAP_SETUID/SETGID/CHOWN/SETPCAP to a small
  launcher, and the launcher switches to a fresh unprivileged uid (``1_900_000_000 + random``)
  before running the command; all capabilities go with that switch, and no_new_privs stops setuid
  programs from giving any back. The fresh uid matters: Linux does not enforce RLIMIT_NPROC
  for root, so without it a fork bomb would be unbounded.
* **seccomp.** A small BPF filter (x86_64, aarch64) refuses new user namespaces in both modes:
  inside one, a command could mount a tmpfs of its own and fill memory past every cap. It also
  refuses memfd files and System V shared memory (memory no process's RSS shows while it is
  not mapped), the kernel keyrings (per uid, not namespaced) and other ABIs (i386, x32).
* **Limits.** The launcher sets rlimits on itself before it forks the command, so they hold for
  every process the command starts: RLIMIT_AS (``memory_bytes`` per process), RLIMIT_NPROC
  (``processes``: processes and threads of the sandbox's uid), RLIMIT_CPU, RLIMIT_FSIZE,
  RLIMIT_NOFILE and RLIMIT_CORE=0. Files can only be written in tmpfs mounts with a size cap
  (``--size``): ``/sandbox`` and ``/dev/shm``, ``disk_bytes`` each; the root of the sandbox is
  remounted read-only. A wall-clock timer kills bubblewrap's process group, which takes the
  PID namespace with it.
* **Memory in total.** RLIMIT_AS holds per process only, so while it waits the launcher adds up
  the anonymous and shared memory in RAM (RssAnon + RssShmem) of every process in the sandbox
  every 50 ms and kills them all when the sum passes ``memory_bytes`` (``memory_exceeded``).
  A burst faster than 50 ms can overshoot for that long; a hard cap needs a cgroup, which
  ordinary users and many containers cannot create.
* **Getting results out.** The tmpfs disappears with the sandbox. When the command has exited,
  the launcher kills every process left in the sandbox and streams the output files through a
  pipe: a JSON header line per file, then its bytes (files that no longer fit in
  ``output_bytes`` are skipped; at most 1000 files). The grader reads at most that much,
  accepts only plain relative names (and only those asked for) and writes them under
  ``output_dir`` itself. The command could overwrite the launcher's output only with
  files it could have written anyway; treat every output as the student's.
* **Proof no process survives.** bubblewrap reports the PID namespace's inode (``--info-fd``);
  after the run ``leftover_processes`` counts host processes still in that namespace (0).

What this does not cap: kernel memory (pipe and socket buffers, page tables), which only a
cgroup could; the two tmpfs mounts are capped on their own (``disk_bytes`` each).

Where no sandbox can be made (not Linux, bwrap missing or older than 0.8, namespaces not
allowed, a Python prefix that contains HOME or the course), ``run_sandboxed`` raises
:class:`SandboxUnavailable` with a message naming what is missing, unless ``unsafe=True``: then
the command runs as a plain child process with the same rlimits (RLIMIT_NPROC does nothing for
root), scrubbed environment, empty HOME and timeout, but sees every file the grader sees, and
the result says ``sandboxed=False``.
"""

import json
import os
import platform
import resource
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from ..language import tr

MiB = 1024 * 1024
GiB = 1024 * MiB

BOX = "/sandbox"                  # the one writable tmpfs
WORK = BOX + "/work"              # working directory of the command
HOME = "/home/student"            # -> /sandbox/home
INPUTS = BOX + "/in"              # read-only originals of the inputs
CNNLAB_ROOT = "/opt/cnnlab"       # PYTHONPATH entry holding the cnnlab package
SANDBOX_UID_BASE = 1_900_000_000  # fresh uids for the command when the grader is root
MAX_OUTPUT_FILES = 1000           # output files brought back at most

# /etc entries the dynamic linker, Python, fontconfig and Debian's /usr/bin symlinks need.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives",
               "nsswitch.conf", "hosts", "mime.types", "fonts")
ROOT_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here, and ``unsafe=True`` was not given."""


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


# ---------------------------------------------------------------------------------------------
# Is a sandbox possible here?
# ---------------------------------------------------------------------------------------------

def sandbox_available():
    """``(True, "")`` if bubblewrap can make a sandbox here, else ``(False, reason)``.

    Runs a real probe (``python -c "print('ok')"`` inside the same sandbox a grading run
    gets) once per process and remembers the answer; the reason is in the language in use.
    """
    problem, detail = _probe()
    if problem is None:
        return True, ""
    if problem == "os":
        return False, tr(
            ja=f"サンドボックスは Linux でしか作れません（この OS: {detail}）。"
               "Linux の計算機か Docker で採点してください。",
            en=f"A sandbox needs Linux (this system: {detail}). "
               "Grade on a Linux machine or in Docker.")
    if problem == "missing":
        return False, tr(
            ja="bubblewrap（bwrap コマンド）が見つかりません。"
               "Debian/Ubuntu: sudo apt-get install bubblewrap",
            en="bubblewrap (the bwrap command) is not installed. "
               "Debian/Ubuntu: sudo apt-get install bubblewrap")
    if problem == "old":
        return False, tr(
            ja="bubblewrap が古すぎます（--size と --disable-userns のある 0.8 以降が必要です）。",
            en="bubblewrap is too old (0.8 or later is needed, for --size and --disable-userns).")
    return False, tr(
        ja="bubblewrap が名前空間を作れませんでした（ユーザー名前空間が無効な環境です）。"
           "Ubuntu 24.04: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0、"
           "Docker: --security-opt seccomp=unconfined などで許可してください。"
           f" bwrap の出力: {detail}",
        en="bubblewrap could not create namespaces (user namespaces are disabled here). "
           "Ubuntu 24.04: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0; "
           "Docker: allow them, e.g. --security-opt seccomp=unconfined. "
           f"bwrap said: {detail}")


@lru_cache(maxsize=1)
def _probe():
    """(problem, detail): problem is None, "os", "missing", "old" or "namespaces"."""
    if platform.system() != "Linux":
        return "os", platform.system()
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "missing", ""
    help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True).stdout
    if "--size" not in help_text or "--disable-userns" not in help_text:
        return "old", ""
    try:
        result = _run_bwrap([sys.executable, "-I", "-S", "-c", "print('ok')"], inputs={},
                            output_dir=None, outputs=[], limits=Limits(wall_seconds=60),
                            env={}, expose_cnnlab=False)
    except OSError as error:
        return "namespaces", str(error)
    if result.returncode != 0 or result.stdout.strip() != "ok":
        return "namespaces", (result.error or result.stderr).strip()[-500:]
    return None, ""


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------

def run_sandboxed(argv, *, inputs=None, output_dir=None, outputs=None, limits=None, env=None,
                  unsafe=False, expose_cnnlab=True):
    """Run ``argv`` in a fresh sandbox; return a :class:`SandboxResult`.

    argv           list of str; argv[0] is looked up on the sandbox's PATH (the Python that
                   runs the grader is on it: pass ``sys.executable``)
    inputs         {name: path} of files or directories copied into the working directory
                   (``/sandbox/work/<name>``); name is one plain path component
    output_dir     where the output files are written (created if missing); None: bring
                   nothing back
    outputs        relative names of the files to bring back from the working directory;
                   None: every regular file there
    limits         :class:`Limits` (defaults if None)
    env            {name: value} added to the sandbox's minimal environment
    unsafe         where no sandbox can be made, run unsandboxed instead of raising
                   :class:`SandboxUnavailable` (the result then says ``sandboxed=False``);
                   where a sandbox can be made, it is always used
    expose_cnnlab  make the grader's own ``cnnlab`` package importable inside (read-only)
    """
    argv = _check_argv(argv)
    inputs = _check_inputs(inputs)
    outputs = _check_outputs(outputs)
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
    env = _check_env(env)
    if output_dir is not None:
        output_dir = Path(output_dir)
    available, reason = sandbox_available()
    if available:
        reason = _python_exposes_private_files(expose_cnnlab)
        available = not reason
    if available:
        return _run_bwrap(argv, inputs=inputs, output_dir=output_dir, outputs=outputs,
                          limits=limits, env=env, expose_cnnlab=expose_cnnlab)
    if not unsafe:
        raise SandboxUnavailable(reason + tr(
            ja=" サンドボックスなしで採点するには unsafe フラグを明示してください"
               "（すべての成績に「サンドボックスなしで採点」と記録されます）。",
            en=" To grade without a sandbox, pass the unsafe flag explicitly "
               "(every grade then says it was graded unsandboxed)."))
    return _run_unsafe(argv, inputs=inputs, output_dir=output_dir, outputs=outputs,
                       limits=limits, env=env, expose_cnnlab=expose_cnnlab)


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------

def _check_argv(argv):
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)) or not argv:
        raise TypeError(f"argv must be a non-empty list of str, got {argv!r}")
    if not all(isinstance(a, str) and "\0" not in a for a in argv):
        raise TypeError(f"every item of argv must be a str without NUL, got {argv!r}")
    return list(argv)


def _check_name(name, what):
    """A relative path of plain components: no '', '.', '..', absolute paths or NUL."""
    if not isinstance(name, str) or not name or "\0" in name or name.startswith("/"):
        raise ValueError(f"{what} must be a relative path, got {name!r}")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"{what} must not contain '', '.' or '..' components, got {name!r}")
    return name


def _check_inputs(inputs):
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise TypeError(f"inputs must be a dict of name -> path, got {type(inputs).__name__}")
    checked = {}
    for name, path in inputs.items():
        _check_name(name, "an input name")
        if "/" in name:
            raise ValueError(f"an input name must be one path component, got {name!r}")
        path = Path(path)
        # A symlink would be resolved on the host, i.e. it could point anywhere.
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ValueError(f"input {name!r} must be an existing file or directory "
                             f"(not a symlink), got {str(path)!r}")
        checked[name] = path.resolve()
    return checked


def _check_outputs(outputs):
    if outputs is None:
        return None
    if isinstance(outputs, (str, bytes)) or not hasattr(outputs, "__iter__"):
        raise TypeError(f"outputs must be a list of relative names or None, got {outputs!r}")
    return [_check_name(name, "an output name") for name in outputs]


def _check_env(env):
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise TypeError(f"env must be a dict of str -> str, got {type(env).__name__}")
    for key, value in env.items():
        if not (isinstance(key, str) and isinstance(value, str)) or not key or "=" in key \
                or "\0" in key + value:
            raise ValueError(f"env must map names (no '=') to str values, got {key!r}: {value!r}")
    return dict(env)


# ---------------------------------------------------------------------------------------------
# The sandbox: bubblewrap command line
# ---------------------------------------------------------------------------------------------

def _python_roots():
    """Directories holding the interpreter and its site-packages, outside /usr."""
    roots = set()
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(prefix)
        if real != "/" and not (real + "/").startswith("/usr/"):
            roots.add(real)
    # A root inside another root needs no mount of its own.
    return sorted(r for r in roots if not any(r.startswith(o + "/") for o in roots))


def _python_exposes_private_files(expose_cnnlab):
    """Why mounting Python's prefix would show private folders, or "" if it would not.

    The prefix is mounted whole. If it contains HOME, the folder the grader runs in (the
    course folder under nbgrader) or an editable cnnlab's course folder, those would be visible.
    """
    private = {os.path.realpath(os.path.expanduser("~")), os.path.realpath(os.getcwd())}
    if expose_cnnlab:
        course = _cnnlab_dir().parent
        if course.name not in ("site-packages", "dist-packages"):
            private.add(str(course))
    for root in _python_roots():
        for folder in sorted(private):
            if folder == root or folder.startswith(root + "/"):
                return tr(
                    ja=f"Python の環境 {root} の中に {folder} があります。サンドボックスには Python "
                       "の環境をまるごと読み取り専用で見せるので、そのフォルダーも見えてしまいます。"
                       "ホームや講義フォルダーの外にある Python 環境で採点してください。",
                    en=f"The Python environment {root} contains {folder}. The sandbox shows the "
                       "whole environment (read-only), so that folder would be visible too. "
                       "Grade with a Python environment outside HOME and the course folder.")
    return ""


def _cnnlab_dir():
    """The directory the grader imported cnnlab from (a worktree, the course, site-packages)."""
    import cnnlab
    return Path(cnnlab.__file__).resolve().parent


def _sandbox_env(env, expose_cnnlab):
    bin_dir = os.path.dirname(sys.executable)
    base = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME, "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        # One thread each: threads count towards RLIMIT_NPROC and the CPU is shared.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        # Quiet the debugger's "frozen modules" warning of ipykernel on Python 3.11+.
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    if expose_cnnlab:
        base["PYTHONPATH"] = CNNLAB_ROOT
    base.update(env)
    return base


def _bwrap_args(*, limits, inputs, env, as_root, cnnlab_dir, info_fd, seccomp_fd):
    """bwrap's options, in order: namespaces, read-only system, tmpfs, inputs, environment."""
    args = ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if as_root:
        # No user namespace: the launcher drops to an unprivileged uid itself (see module doc).
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                 "--unshare-cgroup-try"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_SETPCAP"):
            args += ["--cap-add", cap]
    else:
        args += ["--unshare-all", "--unshare-user", "--disable-userns"]
    made = set()

    def parents(path):
        # bwrap makes missing parents 0700 when run as root; the command must traverse them.
        out = []
        for parent in reversed(Path(path).parents):
            p = str(parent)
            if p != "/" and p not in made:
                made.add(p)
                out += ["--perms", "0755", "--dir", p]
        return out

    def ro_bind(src, dest):
        made.add(str(dest))
        return parents(dest) + ["--ro-bind", str(src), str(dest)]

    args += ro_bind("/usr", "/usr")
    for name in ROOT_DIRS:
        host = "/" + name
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ro_bind(host, host)
    for name in ETC_ENTRIES:
        if os.path.exists("/etc/" + name):
            args += ro_bind("/etc/" + name, "/etc/" + name)
    for root in _python_roots():
        args += ro_bind(root, root)
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.disk_bytes), "--perms", "1777", "--tmpfs", "/dev/shm",
             "--size", str(limits.disk_bytes), "--perms", "0755", "--tmpfs", BOX]
    made.add(BOX)
    for sub in ("work", "home", "tmp"):
        args += ["--perms", "0755", "--dir", f"{BOX}/{sub}"]
    args += ["--symlink", BOX + "/tmp", "/tmp"]
    args += parents(HOME) + ["--symlink", BOX + "/home", HOME]
    for name, path in inputs.items():
        args += ro_bind(path, f"{INPUTS}/{name}")
    if cnnlab_dir is not None:
        args += ro_bind(cnnlab_dir, f"{CNNLAB_ROOT}/cnnlab")
    # The sandbox's root is bwrap's own tmpfs without a size cap: make it read-only.
    args += ["--remount-ro", "/", "--chdir", WORK, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--info-fd", str(info_fd)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args


# seccomp: a classic-BPF filter bwrap loads before starting the launcher (``--seccomp FD``).
# It refuses new user namespaces (unshare/clone with CLONE_NEWUSER; clone3 answers ENOSYS so
# that the C library falls back to clone, whose flags a filter can read), the kernel keyrings
# (per uid, not namespaced), and memory that no process's RSS shows while unmapped: memfd files
# and System V shared memory (both answer ENOSYS, "not on this system").
# {machine: (AUDIT_ARCH, {syscall: number})}, numbers from the kernel's syscall tables.
SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, {"unshare": 272, "clone": 56, "clone3": 435,
                            "add_key": 248, "request_key": 249, "keyctl": 250,
                            "memfd_create": 319, "shmget": 29}),
    "aarch64": (0xC00000B7, {"unshare": 97, "clone": 220, "clone3": 435,
                             "add_key": 217, "request_key": 218, "keyctl": 219,
                             "memfd_create": 279, "shmget": 194}),
}
CLONE_NEWUSER = 0x10000000


def _seccomp_filter(machine=None):
    """The filter as bytes (struct sock_filter[]), or None on an architecture not listed.

    seccomp_data: nr at offset 0, arch at 4, args[0] (low 32 bits, little-endian) at 16.
    """
    machine = platform.machine() if machine is None else machine
    if machine not in SECCOMP_ARCHES:
        return None
    arch, nr = SECCOMP_ARCHES[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    # (code, target if true, target if false, k); targets are labels, resolved below.
    program = [
        (ld, None, None, 4), (jeq, "next", "deny", arch),      # another ABI (i386): refuse
        (ld, None, None, 0),
        (jge, "deny", "next", 0x40000000),                      # x32 syscalls on x86_64
        (jeq, "enosys", "next", nr["clone3"]),
        (jeq, "enosys", "next", nr["memfd_create"]),
        (jeq, "enosys", "next", nr["shmget"]),
        (jeq, "flags", "next", nr["unshare"]),
        (jeq, "flags", "next", nr["clone"]),
        (jeq, "deny", "next", nr["add_key"]),
        (jeq, "deny", "next", nr["request_key"]),
        (jeq, "deny", "next", nr["keyctl"]),
        (ret, None, None, allow),
        "flags", (ld, None, None, 16), (jset, "deny", "next", CLONE_NEWUSER),
        (ret, None, None, allow),
        "deny", (ret, None, None, eperm),
        "enosys", (ret, None, None, enosys),
    ]
    labels, index = {}, 0
    for item in program:
        if isinstance(item, str):
            labels[item] = index
        else:
            index += 1
    code, index = b"", 0
    for item in program:
        if isinstance(item, str):
            continue
        op, if_true, if_false, k = item
        # A jump's offsets count the instructions skipped after this one.
        jt = 0 if if_true in (None, "next") else labels[if_true] - index - 1
        jf = 0 if if_false in (None, "next") else labels[if_false] - index - 1
        code += struct.pack("=HBBI", op, jt, jf, k)
        index += 1
    return code


# The launcher runs inside the sandbox as ``python -I -S -c LAUNCHER CONFIG`` (standard library
# only, no site-packages). It copies the inputs into the work dir, drops privileges (as root),
# sets the rlimits, runs the command, kills what is left, and streams the outputs to the grader.
LAUNCHER = r'''
import ctypes, json, os, resource, shutil, signal, stat, sys
cfg = json.loads(sys.argv[1])
out = os.fdopen(cfg["status_fd"], "wb")
os.set_inheritable(out.fileno(), False)
libc = ctypes.CDLL(None, use_errno=True)

def send(obj):
    out.write(json.dumps(obj).encode() + b"\n")
    out.flush()

try:
    for name in cfg["inputs"]:
        src, dst = cfg["in_dir"] + "/" + name, cfg["work"] + "/" + name
        if os.path.isdir(src):
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copyfile(src, dst)
    uid = cfg["uid"]
    if uid is not None:
        for top in (cfg["work"], cfg["home"], cfg["tmp"]):
            os.chown(top, uid, uid)
            for base, dirs, files in os.walk(top):
                for n in dirs + files:
                    os.chown(os.path.join(base, n), uid, uid, follow_symlinks=False)
        for cap in range(64):              # empty the bounding set (PR_CAPBSET_DROP)
            libc.prctl(24, cap, 0, 0, 0)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)        # all capabilities are lost here
    for which, soft, hard in cfg["rlimits"]:
        resource.setrlimit(getattr(resource, which), (soft, hard))
    libc.prctl(4, 0, 0, 0, 0)              # PR_SET_DUMPABLE 0: the command can't ptrace us
except Exception as error:
    send({"error": f"{type(error).__name__}: {error}"})
    sys.exit(70)

def memory_in_use():
    """RssAnon + RssShmem of every process here but us and PID 1, in bytes."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and entry not in ("1", me):
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith(("RssAnon:", "RssShmem:")):
                            total += int(line.split()[1]) * 1024
            except (OSError, ValueError):
                pass                       # exited meanwhile
    return total

me = str(os.getpid())
libc.prctl(36, 1, 0, 0, 0)             # PR_SET_CHILD_SUBREAPER: orphans come to us
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])   # for sigtimedwait below
pid = os.fork()
if pid == 0:
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGCHLD])
        os.setpgid(0, 0)
        os.closerange(3, 1 << 16)          # only stdin/stdout/stderr reach the command
        os.execvp(cfg["argv"][0], cfg["argv"])
    except OSError as error:
        os.write(2, f"sandbox: cannot run {cfg['argv'][0]!r}: {error}\n".encode())
    os._exit(127)
status, over = 255 << 8, False
while True:
    try:
        child, child_status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if child == pid:
        status = child_status
        break
    if child:                              # an orphan: reap it now, zombies count as processes
        continue
    if not over and memory_in_use() > cfg["memory_bytes"]:
        over = True
        os.kill(-1, signal.SIGKILL)
    signal.sigtimedwait([signal.SIGCHLD], 0.05)   # a child exited, or 50 ms passed
try:
    os.kill(-1, signal.SIGKILL)            # everything the command left behind
except ProcessLookupError:
    pass
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
send({"status": status, "cpu": usage.ru_utime + usage.ru_stime, "memory_exceeded": over})

def regular(path):
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False

work = cfg["work"]
if cfg["outputs"] is None:
    names = []
    for base, dirs, files in os.walk(work):
        dirs.sort()
        names += sorted(os.path.relpath(os.path.join(base, f), work) for f in files)
else:
    names = cfg["outputs"]
budget, sent = cfg["output_bytes"], 0
for name in names:
    path = os.path.join(work, name)
    if sent == cfg["max_files"] or len(name.encode()) > 255 or not regular(path):
        continue
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    size = os.fstat(fd).st_size
    if size > budget:                      # too big to come back: skip, keep the smaller ones
        os.close(fd)
        continue
    budget, sent = budget - size, sent + 1
    send({"name": name, "size": size})
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            chunk = b"\0" * left           # the file shrank: keep the framing intact
        out.write(chunk)
        left -= len(chunk)
    os.close(fd)
send({"end": True})
'''


def _rlimits(limits):
    """(name, soft, hard) triples. CPU: SIGXCPU at the soft limit (the process can tell what
    happened), SIGKILL one second later at the hard one."""
    return [("RLIMIT_AS", limits.memory_bytes, limits.memory_bytes),
            ("RLIMIT_NPROC", limits.processes, limits.processes),
            ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 1),
            ("RLIMIT_FSIZE", limits.file_bytes, limits.file_bytes),
            ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
            ("RLIMIT_CORE", 0, 0)]


def _run_bwrap(argv, *, inputs, output_dir, outputs, limits, env, expose_cnnlab):
    bwrap = shutil.which("bwrap")
    as_root = os.geteuid() == 0
    status_r, status_w = os.pipe()
    info_r, info_w = os.pipe()
    pass_fds = [status_w, info_w]
    seccomp = _seccomp_filter()
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
        "rlimits": _rlimits(limits), "status_fd": status_w,
        "output_bytes": limits.output_bytes, "max_files": MAX_OUTPUT_FILES,
        "memory_bytes": limits.memory_bytes,
    }
    args = _bwrap_args(limits=limits, inputs=inputs, env=_sandbox_env(env, expose_cnnlab),
                       as_root=as_root, cnnlab_dir=_cnnlab_dir() if expose_cnnlab else None,
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
    status_reader = _Reader(os.fdopen(status_r, "rb"),
                            limits.output_bytes + (MAX_OUTPUT_FILES + 2) * 512)
    info_reader = _Reader(os.fdopen(info_r, "rb"), 64 * 1024)
    run = _supervise(proc, limits, extra_readers=(status_reader, info_reader))
    messages, files = _parse_stream(status_reader.data, outputs, limits.output_bytes)
    status = next((m["status"] for m in messages if "status" in m), None)
    error = next((m["error"] for m in messages if "error" in m), None)
    returncode = None if status is None else _decode_status(status)
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
        outputs=_write_outputs(files, output_dir),
        leftover_processes=_processes_in_pid_namespace(info_reader.data),
        memory_exceeded=memory_exceeded, error=error)


def _decode_status(status):
    """A waitpid status as subprocess does it: exit code, or -signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _parse_stream(data, wanted, budget):
    """Split the launcher's stream into messages and (name, bytes) files.

    data    bytes: JSON header lines, each file's header followed by ``size`` raw bytes
    wanted  list of names the caller asked for, or None for any
    budget  most bytes of files accepted in total; the rest is dropped
    """
    messages, files, pos = [], [], 0
    while pos < len(data):
        end = data.find(b"\n", pos, pos + 8192)
        if end < 0:
            break
        try:
            header = json.loads(data[pos:end])
        except ValueError:
            break
        pos = end + 1
        if not isinstance(header, dict):
            break
        if "name" not in header:
            messages.append(header)
            continue
        name, size = header.get("name"), header.get("size")
        if not isinstance(size, int) or size < 0 or pos + size > len(data):
            break
        body, pos = data[pos:pos + size], pos + size
        try:
            _check_name(name, "an output name")
        except ValueError:
            continue
        if (wanted is None or name in wanted) and size <= budget:
            files.append((name, body))
            budget -= size
    return messages, files


def _write_outputs(files, output_dir):
    """Write (name, bytes) pairs under output_dir; return {name: path}."""
    if output_dir is None:
        return {}
    output_dir.mkdir(parents=True, exist_ok=True)
    root = output_dir.resolve()
    written = {}
    for name, body in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.resolve().is_relative_to(root):
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        written[name] = path
    return written


def _processes_in_pid_namespace(info, settle_seconds=5.0):
    """How many host processes are still in the sandbox's PID namespace (from --info-fd).

    bwrap returns when the command's launcher exits; its PID 1 then dies of --die-with-parent
    and takes the namespace's last processes with it, which takes the kernel a moment: count
    again for up to ``settle_seconds`` until none is left. Zombies (dead, waiting for the
    host's init to collect their exit status) do not count.
    """
    try:
        inode = json.loads(info)["pid-namespace"]
    except (ValueError, KeyError, TypeError):
        return None
    target = f"pid:[{inode}]"
    deadline = time.monotonic() + settle_seconds
    while True:
        count = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.readlink(f"/proc/{entry}/ns/pid") == target:
                        with open(f"/proc/{entry}/stat") as f:
                            count += f.read().rsplit(")", 1)[1].split()[0] != "Z"
                except OSError:
                    pass                   # gone meanwhile, or not ours to look at
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


# ---------------------------------------------------------------------------------------------
# Waiting, reading, timing
# ---------------------------------------------------------------------------------------------

class _Reader(threading.Thread):
    """Drain a pipe in the background, keeping the first ``cap`` bytes."""

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


def _supervise(proc, limits, extra_readers=()):
    """Wait for ``proc`` with the wall-clock limit; collect its output and CPU time."""
    out = _Reader(proc.stdout, limits.log_bytes)
    err = _Reader(proc.stderr, limits.log_bytes)
    start = time.monotonic()
    # Wait without reaping (WNOWAIT): while the leader is an unreaped zombie its process-group
    # id cannot be reused, so killing the group afterwards cannot hit someone else's processes.
    waiter = threading.Thread(target=os.waitid, args=(os.P_PID, proc.pid,
                                                      os.WEXITED | os.WNOWAIT), daemon=True)
    waiter.start()
    try:
        waiter.join(limits.wall_seconds)
    except BaseException:                  # Ctrl-C in the grader: the run must not outlive it
        _kill_group(proc.pid)
        raise
    timed_out = waiter.is_alive()
    _kill_group(proc.pid)                  # the timeout; or what an unsandboxed run left behind
    waiter.join()
    # wait4, not Popen.wait: it also gives the CPU time of the waited-for process tree.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = _decode_status(status)  # reaped: Popen must not wait again
    for reader in (out, err, *extra_readers):
        reader.join(10)
    return {"stdout": out.data.decode("utf-8", "replace"), "stdout_truncated": out.truncated,
            "stderr": err.data.decode("utf-8", "replace"), "stderr_truncated": err.truncated,
            "timed_out": timed_out, "wall_seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "bwrap_status": status}


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------------------------------------
# Unsafe: no sandbox, same limits
# ---------------------------------------------------------------------------------------------

def _run_unsafe(argv, *, inputs, output_dir, outputs, limits, env, expose_cnnlab):
    """Run ``argv`` as a plain child with rlimits, a scrubbed env and an empty HOME."""
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
        full_env = _sandbox_env(env, expose_cnnlab=False)
        full_env.update(HOME=str(home), TMPDIR=str(tmp))
        if expose_cnnlab:
            full_env["PYTHONPATH"] = str(_cnnlab_dir().parent)
        full_env.update(env)
        rlimits = [(getattr(resource, which), soft, hard)
                   for which, soft, hard in _rlimits(limits)]

        def set_limits():
            for which, soft, hard in rlimits:
                resource.setrlimit(which, (soft, hard))

        proc = subprocess.Popen(argv, cwd=work, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=set_limits)
        run = _supervise(proc, limits)
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
            outputs=_write_outputs(files, output_dir), leftover_processes=None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _walk_files(top):
    for base, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            yield os.path.relpath(os.path.join(base, name), top)
