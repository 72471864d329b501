"""The launcher: a small script that runs INSIDE the sandbox, before and after the command.

bwrap starts it as ``python -I -S -c LAUNCHER CONFIG`` (see :mod:`.bwrap_run`): it travels as
the text below, not as a file, so it needs nothing from the sandbox but the standard library (no
site-packages, no cnnlab; ``-I -S``) and everything it knows comes in CONFIG, one JSON argument.
It must therefore stay self-contained: no name from this package can be used in it.

What it does, in order:

1. copies the inputs from ``/sandbox/in`` into the working directory;
2. as root, hands the files to a fresh uid and drops to it, emptying the capability bounding
   set (see :mod:`.bwrap`, "Who runs the command");
3. sets the rlimits (:func:`.limits.rlimits`) on itself, so that every process of the command
   inherits them, and makes itself undumpable (the command cannot ptrace it);
4. forks the command in a process group of its own, becomes the sandbox's subreaper, and while
   it waits reaps orphans (zombies count towards RLIMIT_NPROC) and watches memory;
5. kills everything left, reports ``{"status", "cpu", "memory_exceeded"}``, and streams the
   output files (:mod:`.stream` reads them).

**Memory in total.** RLIMIT_AS holds per process only, so while it waits the launcher adds up
the anonymous and shared memory in RAM (RssAnon + RssShmem) of every process in the sandbox
every 50 ms and kills them all when the sum passes ``memory_bytes`` (``memory_exceeded``). A
burst faster than 50 ms can overshoot for that long; a hard cap needs a cgroup, which ordinary
users and many containers cannot create.

**Getting results out.** The tmpfs disappears with the sandbox. When the command has exited,
the launcher kills every process left in the sandbox and streams the output files through a
pipe: a JSON header line per file, then its bytes (files that no longer fit in ``output_bytes``
are skipped; at most ``MAX_OUTPUT_FILES``). The command could overwrite the launcher's output
only with files it could have written anyway; treat every output as the student's.
"""

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
