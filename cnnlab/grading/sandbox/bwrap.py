"""bubblewrap's command line: the namespaces, the mounts :mod:`.layout` draws, the environment.

**Namespaces.** New mount, PID, network, IPC, UTS (and cgroup) namespaces. The network
namespace holds only a loopback interface, which bubblewrap brings up: a Jupyter kernel and its
client talk over 127.0.0.1 inside, but nothing reaches the host's loopback or any other network.
``--die-with-parent`` and the PID namespace mean that when the run ends (or the grader dies),
every process of the submission dies: the kernel kills a PID namespace's processes when its
first process exits. ``--new-session`` stops a command from pushing keystrokes into the
grader's terminal (TIOCSTI).

**Who runs the command.** As an ordinary user, bubblewrap makes a user namespace (the user's
own uid inside, ``--disable-userns`` so no nested ones). As root (CI, containers) there is no
user namespace: bubblewrap runs as root, hands only CAP_SETUID/SETGID/CHOWN/SETPCAP to a small
launcher (:mod:`.launcher`), and the launcher switches to a fresh unprivileged uid
(``1_900_000_000 + random``) before running the command; all capabilities go with that switch,
and no_new_privs stops setuid programs from giving any back. The fresh uid matters: Linux does
not enforce RLIMIT_NPROC for root, so without it a fork bomb would be unbounded.

**Disk.** Files can only be written in the two tmpfs mounts with a size cap (``--size``):
``/sandbox`` and ``/dev/shm``; the root of the sandbox is remounted read-only.
"""

import os
from pathlib import Path

from .host import python_roots
from .layout import BOX, CNNLAB_ROOT, HOME, INPUTS, WORK

# /etc entries the dynamic linker, Python, fontconfig and Debian's /usr/bin symlinks need.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives",
               "nsswitch.conf", "hosts", "mime.types", "fonts")
ROOT_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


def bwrap_args(*, limits, inputs, env, as_root, cnnlab_dir, info_fd, seccomp_fd):
    """bwrap's options, in order: namespaces, read-only system, tmpfs, inputs, environment.

    Inputs:
    - limits: :class:`~.limits.Limits` (``disk_bytes`` sizes the two tmpfs mounts)
    - inputs: {name: resolved Path}, mounted read-only at ``/sandbox/in/<name>``
    - env: {name: value}, the command's whole environment
    - as_root: bool; the grader is root, so no user namespace (see the module docstring)
    - cnnlab_dir: Path mounted at ``/opt/cnnlab/cnnlab``, or None
    - info_fd: fd bwrap writes its JSON info to (the PID namespace's inode)
    - seccomp_fd: fd to read the BPF filter from, or None
    Returns:
    - list of str, to go between ``bwrap`` and ``--``
    """
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
    for root in python_roots():
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
