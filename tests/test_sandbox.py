"""Tests for cnnlab.grading.sandbox: hostile code runs inside a real bubblewrap sandbox, and every
attack must fail.

Each hostile script reports what it tried (one line per attempt) so a test fails if the script
stopped before trying; the verdicts are checked from outside too: file hashes, the host's /proc,
a loopback server that counts connections.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import cnnlab
import cnnlab.language
from cnnlab.grading import sandbox
from cnnlab.grading.sandbox import Limits, SandboxUnavailable, run_sandboxed, sandbox_available

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(cnnlab.__file__).resolve().parent
SOLUTION = REPO / "solutions" / "01_convolution" / "01_convolution.ipynb"


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def run(code, **kwargs):
    """Run a Python script in the sandbox; the script is dedented first."""
    return run_sandboxed([sys.executable, "-c", textwrap.dedent(code)], **kwargs)


def attempts(code):
    """The ``attempt`` helper followed by the dedented script."""
    return ATTEMPT + textwrap.dedent(code)


def report(result):
    """The script's lines ``name: verdict`` as a dict (only lines with ': ')."""
    lines = [line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line]
    return dict(lines)


def tree_hash(root):
    """sha256 over every file's relative path and bytes under root (sorted)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def host_processes_with(marker):
    """PIDs of host processes whose command line contains ``marker`` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


# An attempt that must fail: the script prints "name: blocked <Error>" or "name: OPEN <detail>".
ATTEMPT = '''
def attempt(name, action):
    try:
        value = action()
    except Exception as error:
        print(f"{name}: blocked {type(error).__name__}")
    else:
        print(f"{name}: OPEN {str(value)[:200]!r}")
'''


# ---------------------------------------------------------------------------------------------
# The sandbox can be made here (CI installs bubblewrap), and honest work gets its results back
# ---------------------------------------------------------------------------------------------

def test_sandbox_is_available_here():
    assert sandbox_available() == (True, "")


def test_honest_script_gets_its_output_files_back(tmp_path):
    data = tmp_path / "numbers.txt"
    data.write_text("3 4 5\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("12")
    result = run("""
        import os
        numbers = [int(x) for x in open("numbers.txt").read().split()]
        open("sum.txt", "w").write(str(sum(n * n for n in numbers)))
        os.makedirs("sub")
        open("sub/count.txt", "w").write(open("folder/a.txt").read() + "!")
        open("numbers.txt", "a").write("6\\n")     # the copy is writable; the original stays
        print("cwd", os.getcwd())
        """, inputs={"numbers.txt": data, "folder": folder}, output_dir=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.sandboxed and not result.timed_out and not result.killed
    assert result.stdout == "cwd /sandbox/work\n"
    # 3*3 + 4*4 + 5*5 = 50
    assert (tmp_path / "out" / "sum.txt").read_text() == "50"
    assert (tmp_path / "out" / "sub" / "count.txt").read_text() == "12!"
    assert (tmp_path / "out" / "numbers.txt").read_text() == "3 4 5\n6\n"
    assert data.read_text() == "3 4 5\n"
    assert set(result.outputs) == {"numbers.txt", "folder/a.txt", "sum.txt", "sub/count.txt"}
    assert result.leftover_processes == 0
    assert result.error is None


def test_only_the_outputs_asked_for_come_back_and_never_through_a_symlink(tmp_path):
    result = run("""
        import os
        open("wanted.txt", "w").write("yes")
        open("other.txt", "w").write("no")
        os.symlink("/etc/hostname", "link.txt")
        """, output_dir=tmp_path, outputs=["wanted.txt", "link.txt", "missing.txt"])
    assert result.returncode == 0, result.stderr
    assert result.outputs == {"wanted.txt": tmp_path / "wanted.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wanted.txt"]


def test_outputs_beyond_output_bytes_and_logs_beyond_log_bytes_are_cut(tmp_path):
    result = run("""
        import sys
        open("small.txt", "w").write("x" * 1000)
        open("big.txt", "w").write("y" * 5000)      # sorted first: skipped, small.txt still fits
        sys.stdout.write("z" * 9000)
        """, output_dir=tmp_path, limits=Limits(output_bytes=3000, log_bytes=4096))
    assert result.returncode == 0, result.stderr
    assert set(result.outputs) == {"small.txt"}
    assert result.stdout == "z" * 4096 and result.stdout_truncated
    assert not result.stderr_truncated


# ---------------------------------------------------------------------------------------------
# Reading what it must not read
# ---------------------------------------------------------------------------------------------

def test_cannot_read_solutions_home_or_environment(tmp_path, monkeypatch):
    home = tmp_path / "instructor-home"
    (home / ".ipython").mkdir(parents=True)
    secret = "secret-token-5b1d0c"
    (home / "secret.txt").write_text(secret)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CNNLAB_TEST_SECRET", secret)
    course = tmp_path / "course"                          # the grader runs in the course folder
    (course / "source").mkdir(parents=True)
    (course / "gradebook.db").write_text(secret)
    monkeypatch.chdir(course)
    assert "BEGIN SOLUTION" in SOLUTION.read_text()      # the test could catch a leak
    result = run(attempts(f"""
        import os
        attempt("solution", lambda: open({str(SOLUTION)!r}).read())
        attempt("solutions-dir", lambda: os.listdir({str(REPO / "solutions")!r}))
        attempt("repo", lambda: os.listdir({str(REPO)!r}))
        attempt("via-package", lambda: open("/opt/cnnlab/cnnlab/../solutions/01_convolution/"
                                            "01_convolution.ipynb").read())
        attempt("home-secret", lambda: open({str(home / "secret.txt")!r}).read())
        attempt("home-dir", lambda: os.listdir({str(home)!r}))
        attempt("host-tmp", lambda: os.listdir({str(tmp_path)!r}))
        attempt("gradebook", lambda: open({str(course / "gradebook.db")!r}).read())
        attempt("source", lambda: os.listdir({str(course / "source")!r}))
        attempt("root-home", lambda: os.listdir("/root/.ipython"))
        leaked = any({secret!r} in value for value in os.environ.values())
        print("env-secret:", "LEAK" if leaked else "none")
        print("env-names:", sorted(os.environ))
        print("home:", os.path.expanduser("~"), os.listdir(os.path.expanduser("~")))
        print("top:", sorted(os.listdir("/")))
        """))
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    for name in ("solution", "solutions-dir", "repo", "via-package", "home-secret",
                 "home-dir", "host-tmp", "root-home", "gradebook", "source"):
        assert verdicts[name].startswith("blocked "), (name, verdicts[name])
    assert verdicts["env-secret"] == "none"
    assert "CNNLAB_TEST_SECRET" not in verdicts["env-names"]
    assert verdicts["home"] == "/home/student []"
    # The root holds the system, the sandbox's own mounts, and the top folder of Python's prefix.
    python_tops = {Path(os.path.realpath(p)).parts[1] for p in (sys.prefix, sys.base_prefix)}
    system = {d for d in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
              if os.path.lexists("/" + d)}
    own = {"dev", "etc", "home", "opt", "proc", "sandbox", "tmp", "usr"}   # the sandbox's own, fresh mounts
    expected = system | python_tops | own
    assert verdicts["top"] == str(sorted(expected))
    # The repository's top folder is not there, unless the sandbox has its own folder of that name
    # (a clone under /tmp: the sandbox's /tmp is a private tmpfs; "repo" above was still blocked).
    assert REPO.parts[1] in python_tops | own or REPO.parts[1] not in verdicts["top"]
    assert "BEGIN SOLUTION" not in result.stdout and secret not in result.stdout


def test_editable_install_finder_leads_nowhere():
    """``pip install -e`` maps cnnlab to the course folder; inside, that folder does not exist."""
    result = run(attempts("""
        import glob, importlib.util, os, sys
        import cnnlab
        print("cnnlab:", cnnlab.__file__)
        print("package-dir:", sorted(os.listdir("/opt/cnnlab")))
        finders = [f for p in sys.path for f in glob.glob(p + "/__editable___cnnlab_*finder.py")]
        targets = []
        for finder in finders:
            spec = importlib.util.spec_from_file_location("finder", finder)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            targets += list(module.MAPPING.values())
        print("finder-targets:", len(targets))
        for i, target in enumerate(targets):
            attempt(f"target-{i}", lambda: os.listdir(target))
            attempt(f"target-parent-{i}", lambda: os.listdir(os.path.dirname(target)))
        """))
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    assert verdicts["cnnlab"] == "/opt/cnnlab/cnnlab/__init__.py"
    assert verdicts["package-dir"] == "['cnnlab']"
    targets = int(verdicts["finder-targets"])
    for i in range(targets):
        assert verdicts[f"target-{i}"].startswith("blocked "), verdicts
        assert verdicts[f"target-parent-{i}"].startswith("blocked "), verdicts


# ---------------------------------------------------------------------------------------------
# Writing where it must not write
# ---------------------------------------------------------------------------------------------

def test_cannot_write_package_python_environment_or_home(tmp_path, monkeypatch):
    real_startup = Path.home() / ".ipython" / "profile_default" / "startup" / "00-evil.py"
    home = tmp_path / "instructor-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    site_packages = Path(json.loads(subprocess.run(
        [sys.executable, "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()"
         "['purelib']))"], capture_output=True, text=True, check=True).stdout))
    before = tree_hash(PACKAGE)
    result = run(attempts(f"""
        import os
        attempt("package-file", lambda: open("/opt/cnnlab/cnnlab/__init__.py", "a").write("x=1"))
        attempt("package-new", lambda: open("/opt/cnnlab/cnnlab/evil.py", "w").write("x=1"))
        attempt("package-host-path", lambda: open({str(PACKAGE / "evil.py")!r}, "w").write("1"))
        attempt("site-packages", lambda: open({str(site_packages / "evil.pth")!r}, "w")
                .write("import os"))
        attempt("real-home-ipython", lambda: os.makedirs({str(real_startup)!r}))
        # The fake HOME lies under the host's /tmp; inside, /tmp is the sandbox's own tmpfs, so
        # this may succeed there: the host's folder must stay empty (checked below).
        os.makedirs({str(home / ".ipython")!r})
        attempt("root-dir", lambda: open("/evil.txt", "w").write("x"))
        attempt("usr", lambda: open("/usr/evil.txt", "w").write("x"))
        attempt("repo", lambda: open({str(REPO / "evil.txt")!r}, "w").write("x"))
        """))
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    assert len(verdicts) == 8
    for name, verdict in verdicts.items():
        assert verdict.startswith("blocked "), (name, verdict)
    assert tree_hash(PACKAGE) == before
    assert not (PACKAGE / "evil.py").exists()
    assert not (site_packages / "evil.pth").exists()
    assert list(home.iterdir()) == []
    assert not real_startup.exists()
    assert not (REPO / "evil.txt").exists()


def test_runs_without_privileges():
    result = run("""
        import os
        status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines()
                      if ":\\t" in line)
        for key in ("CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
            print(f"{key}: {status[key].strip()}")
        print(f"uid: {os.getuid()}")
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        print(f"unshare-user: {libc.unshare(0x10000000)} errno {ctypes.get_errno()}")
        # The launcher's pipe to the grader: closed here, and the launcher is not dumpable.
        for name, action in [("own-fd-3", lambda: os.fstat(3)),
                             ("launcher-fds", lambda: os.listdir("/proc/2/fd"))]:
            try:
                action()
                print(f"{name}: OPEN")
            except OSError as error:
                print(f"{name}: blocked {type(error).__name__}")
        print(f"processes: {sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}")
        """)
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    for key in ("CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(verdicts[key], 16) == 0, (key, verdicts[key])
    assert verdicts["NoNewPrivs"] == "1"
    assert int(verdicts["uid"]) != 0 or os.geteuid() != 0
    # seccomp: no user namespace, in which it could mount a tmpfs without a size cap (1 = EPERM).
    assert verdicts["unshare-user"] == "-1 errno 1"
    assert verdicts["own-fd-3"].startswith("blocked ")
    assert verdicts["launcher-fds"].startswith("blocked ")
    # Only the sandbox's own processes: bwrap's PID 1, the launcher, and this script.
    assert verdicts["processes"] == "[1, 2, 3]"


# ---------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------

def test_cannot_reach_a_server_on_the_hosts_loopback():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(b"\0cnnlab-sandbox-test-" + str(os.getpid()).encode())
    abstract.listen()
    accepted = []

    def accept(sock):
        sock.settimeout(1.0)
        while not stop.is_set():
            try:
                accepted.append(sock.accept())
            except (socket.timeout, OSError):
                pass

    stop = threading.Event()
    threads = [threading.Thread(target=accept, args=(s,), daemon=True) for s in (server, abstract)]
    for thread in threads:
        thread.start()
    try:
        # The same connections from the host work: the test itself can tell success.
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(b"\0cnnlab-sandbox-test-" + str(os.getpid()).encode())
        probe.close()
        deadline = time.monotonic() + 30
        while len(accepted) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(accepted) == 2
        result = run(attempts(f"""
            import socket
            attempt("loopback", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5))
            attempt("outside", lambda: socket.create_connection(("192.0.2.1", 80), timeout=5))
            def unix():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(b"\\0cnnlab-sandbox-test-{os.getpid()}")
                return s
            attempt("abstract-unix", unix)
            print("interfaces:", sorted(name for _, name in socket.if_nameindex()))
            """))
        stop.set()
        for thread in threads:
            thread.join()
        # Nothing from the sandbox arrived: none accepted, none waiting in the backlog.
        assert len(accepted) == 2
        for sock in (server, abstract):
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.accept()
    finally:
        stop.set()
        server.close()
        abstract.close()
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    for name in ("loopback", "outside", "abstract-unix"):
        assert verdicts[name].startswith("blocked "), (name, verdicts[name])
    assert verdicts["interfaces"] == "['lo']"


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

def test_background_processes_do_not_survive_the_run():
    marker = f"1000.{os.getpid() % 1000:03d}7"
    result = run(f"""
        import os, subprocess
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
        if os.fork() == 0:                   # a daemon: double fork + new session
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{marker}"])
            os._exit(0)
        os.wait()
        print("started: 2")
        """)
    assert result.returncode == 0, result.stderr
    assert report(result)["started"] == "2"
    assert result.leftover_processes == 0
    assert host_processes_with(marker) == []


def test_processes_die_when_the_grader_dies(tmp_path):
    """SIGKILL the grading process mid-run: the sandbox and everything in it dies too."""
    marker = f"1000.{os.getpid() % 1000:03d}9"
    grader = tmp_path / "grader.py"
    grader.write_text(textwrap.dedent(f"""
        import sys
        from cnnlab.grading.sandbox import run_sandboxed
        run_sandboxed([sys.executable, "-c",
                       "import subprocess, time; subprocess.Popen(['sleep', '{marker}']); "
                       "print('ready', flush=True); time.sleep(1000)"])
        """))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(grader)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not host_processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert host_processes_with(marker), "the sandboxed sleep never started"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while host_processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert host_processes_with(marker) == []


def test_fork_bomb_stops_at_the_process_limit():
    # Bounded on purpose: 300 forks at most, each child sleeps and exits, even if a limit failed.
    result = run("""
        import os, time
        started = 0
        for _ in range(300):
            try:
                pid = os.fork()
            except BlockingIOError:
                print("fork: blocked BlockingIOError")
                break
            if pid == 0:
                time.sleep(20)
                os._exit(0)
            started += 1
        print(f"started: {started}")
        """, limits=Limits(processes=16))
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    assert verdicts["fork"] == "blocked BlockingIOError"
    # 16 processes of the sandbox's uid: the launcher and this script are two of them.
    assert 0 < int(verdicts["started"]) <= 14
    assert result.leftover_processes == 0


def test_memory_hog_gets_memory_error():
    result = run("""
        import numpy as np
        try:
            big = np.ones(2**29)                 # 2**29 float64 = 4 GiB
        except MemoryError:
            print("numpy: blocked MemoryError")
        try:
            big = bytearray(4 * 2**30)
        except MemoryError:
            print("bytearray: blocked MemoryError")
        """, limits=Limits(memory_bytes=1 * 2**30))
    assert result.returncode == 0, result.stderr
    assert report(result) == {"numpy": "blocked MemoryError", "bytearray": "blocked MemoryError"}


def test_memory_of_many_processes_together_is_capped():
    """Six processes of 300 MiB each stay under RLIMIT_AS (1 GiB) but hold 1.8 GiB together."""
    result = run("""
        import ctypes, os, time
        libc = ctypes.CDLL(None, use_errno=True)
        print("shmget:", libc.shmget(0, 2**20, 0o1600), ctypes.get_errno())   # IPC_PRIVATE
        try:
            os.memfd_create("hidden")
            print("memfd: OPEN", flush=True)
        except OSError as error:
            print(f"memfd: blocked {error.errno}", flush=True)   # before the kill
        for _ in range(6):
            if os.fork() == 0:
                block = b"x" * (300 * 2**20)     # written, so really in RAM
                time.sleep(60)
                os._exit(0)
        for _ in range(6):
            os.wait()
        print("survived: yes")
        """, limits=Limits(memory_bytes=2**30, wall_seconds=120))
    verdicts = report(result)
    assert verdicts["shmget"] == "-1 38" and verdicts["memfd"] == "blocked 38"   # ENOSYS
    assert "survived" not in verdicts
    assert result.memory_exceeded and result.killed and not result.timed_out
    assert result.returncode == -signal.SIGKILL
    assert result.wall_seconds < 60
    assert result.leftover_processes == 0


def test_disk_filler_is_bounded(tmp_path):
    # Bounded on purpose: at most 80 MiB attempted per place even if no limit held.
    result = run("""
        import os
        chunk = b"x" * 2**20
        for place in ("/sandbox/work", "/tmp", os.path.expanduser("~"), "/dev/shm"):
            written = 0
            try:
                for i in range(40):
                    with open(f"{place}/fill{i}", "wb") as f:
                        for _ in range(2):
                            f.write(chunk)
                            f.flush()
                            written += len(chunk)
            except OSError as error:
                print(f"{place}: blocked {type(error).__name__} {error.errno} after {written}")
            else:
                print(f"{place}: OPEN {written}")
        try:
            with open("/sandbox/work/one-big-file", "wb") as f:
                for _ in range(20):
                    f.write(chunk)
                    f.flush()
        except OSError as error:
            size = os.path.getsize("/sandbox/work/one-big-file")
            print(f"one-file: blocked {error.errno} at {size}")
        """, limits=Limits(disk_bytes=16 * 2**20, file_bytes=4 * 2**20), output_dir=tmp_path,
        outputs=[])
    assert result.returncode == 0, result.stderr
    verdicts = report(result)
    # /sandbox holds work, HOME and /tmp: 16 MiB together; /dev/shm has its own 16 MiB.
    total = 0
    for place in ("/sandbox/work", "/tmp", "/home/student", "/dev/shm"):
        assert verdicts[place].startswith("blocked OSError 28 after "), (place, verdicts[place])
        total += int(verdicts[place].rsplit(" ", 1)[1])
    assert total <= 2 * 16 * 2**20
    # 27 = EFBIG: RLIMIT_FSIZE stops one file at 4 MiB (or ENOSPC earlier if the disk is full).
    errno, size = verdicts["one-file"].split()[1], int(verdicts["one-file"].split()[-1])
    assert errno in ("27", "28") and size <= 4 * 2**20


def test_infinite_loop_is_stopped_by_the_cpu_limit():
    result = run("while True: pass", limits=Limits(cpu_seconds=1, wall_seconds=60))
    assert result.returncode == -signal.SIGXCPU
    assert result.killed and not result.timed_out
    assert 0.9 <= result.cpu_seconds < 5.0   # tick-based accounting
    assert result.leftover_processes == 0


def test_sleeping_forever_is_stopped_by_the_wall_clock_limit():
    marker = f"1000.{os.getpid() % 1000:03d}3"
    result = run(f"""
        import subprocess, time
        subprocess.Popen(["sleep", "{marker}"])
        time.sleep(1000)
        """, limits=Limits(wall_seconds=3))
    assert result.timed_out and result.killed and result.returncode is None
    assert 3.0 <= result.wall_seconds < 15.0
    assert result.leftover_processes == 0
    assert host_processes_with(marker) == []


# ---------------------------------------------------------------------------------------------
# A Jupyter kernel runs inside
# ---------------------------------------------------------------------------------------------

def test_nbclient_runs_a_notebook_inside(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nprint(np.arange(4).sum())",
                                          id="sum"),
                nbformat.v4.new_code_cell("import cnnlab\nprint(cnnlab.__file__)", id="where")]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    result = run("""
        import nbclient, nbformat
        nb = nbformat.read("nb.ipynb", 4)
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        nbformat.write(nb, "executed.ipynb")
        """, inputs={"nb.ipynb": tmp_path / "nb.ipynb"}, output_dir=tmp_path / "out",
        outputs=["executed.ipynb"])
    assert result.returncode == 0, result.stderr
    executed = nbformat.read(tmp_path / "out" / "executed.ipynb", 4)
    texts = ["".join(o.get("text", "") for o in c.outputs) for c in executed.cells]
    assert texts == ["6\n", "/opt/cnnlab/cnnlab/__init__.py\n"]   # 0 + 1 + 2 + 3 = 6
    assert result.leftover_processes == 0


# ---------------------------------------------------------------------------------------------
# No sandbox possible: refuse, or run unsandboxed only when asked to
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def fresh_probe():
    sandbox._probe.cache_clear()
    yield
    sandbox._probe.cache_clear()


def test_missing_bwrap_is_named(fresh_probe, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    available, reason = sandbox_available()
    assert not available
    assert "bubblewrap" in reason and "apt-get install bubblewrap" in reason
    with pytest.raises(SandboxUnavailable, match="unsafe"):
        run_sandboxed([sys.executable, "-c", "print(1)"])
    monkeypatch.setattr(cnnlab.language, "_chosen", "ja")
    assert sandbox_available() == (False, "bubblewrap（bwrap コマンド）が見つかりません。"
                                          "Debian/Ubuntu: sudo apt-get install bubblewrap")


def test_bwrap_that_cannot_make_namespaces_is_named(fresh_probe, monkeypatch, tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\n"
                    "if [ \"$1\" = --help ]; then echo '--size --disable-userns'; exit 0; fi\n"
                    "echo 'bwrap: No permissions to creating new namespace' >&2; exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    available, reason = sandbox_available()
    assert not available
    assert "could not create namespaces" in reason
    assert "No permissions to creating new namespace" in reason


def test_unsafe_flag_runs_unsandboxed_and_says_so(fresh_probe, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CNNLAB_TEST_SECRET", "secret-token-77")
    data = tmp_path / "in.txt"
    data.write_text("7")
    result = run_sandboxed([sys.executable, "-c", textwrap.dedent("""
        import os
        open("out.txt", "w").write(str(int(open("in.txt").read()) * 6))
        print("secret:", "LEAK" if "CNNLAB_TEST_SECRET" in os.environ else "none")
        print("home:", os.listdir(os.environ["HOME"]))
        """)], inputs={"in.txt": data}, output_dir=tmp_path / "out", unsafe=True)
    assert result.returncode == 0, result.stderr
    assert result.sandboxed is False
    assert (tmp_path / "out" / "out.txt").read_text() == "42"
    assert report(result) == {"secret": "none", "home": "[]"}


def test_python_environment_around_home_is_refused(monkeypatch):
    """Mounting a prefix that contains HOME would show HOME: no sandbox then."""
    home = Path(os.path.realpath(sys.prefix)) / "lib"
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(SandboxUnavailable, match=f"contains {home}"):
        run_sandboxed([sys.executable, "-c", "pass"])


def test_inputs_larger_than_the_disk_are_reported(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (3 * 2**20))
    result = run_sandboxed([sys.executable, "-c", "print('never')"], inputs={"big.bin": big},
                           limits=Limits(disk_bytes=2**20))
    assert result.returncode is None and result.stdout == ""
    assert "No space left on device" in result.error


def test_unsafe_run_keeps_the_wall_clock_limit(fresh_probe, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_sandboxed([sys.executable, "-c", "import time; time.sleep(1000)"],
                           limits=Limits(wall_seconds=2), unsafe=True)
    assert result.timed_out and result.killed and not result.sandboxed


# ---------------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, words", [
    ({"argv": "python"}, TypeError, "argv must be a non-empty list"),
    ({"argv": []}, TypeError, "argv must be a non-empty list"),
    ({"argv": ["python", 3]}, TypeError, "every item of argv"),
    ({"argv": ["true"], "inputs": ["a"]}, TypeError, "inputs must be a dict"),
    ({"argv": ["true"], "inputs": {"../a": "/etc/hostname"}}, ValueError, "input name"),
    ({"argv": ["true"], "inputs": {"a/b": "/etc/hostname"}}, ValueError, "one path component"),
    ({"argv": ["true"], "inputs": {"a": "/does/not/exist"}}, ValueError, "existing file"),
    ({"argv": ["true"], "outputs": "out.txt"}, TypeError, "outputs must be a list"),
    ({"argv": ["true"], "outputs": ["/etc/passwd"]}, ValueError, "relative path"),
    ({"argv": ["true"], "outputs": ["a/../../b"]}, ValueError, "'..'"),
    ({"argv": ["true"], "env": {"A=B": "c"}}, ValueError, "env must map names"),
    ({"argv": ["true"], "limits": {"cpu_seconds": 1}}, TypeError, "limits must be a Limits"),
])
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        run_sandboxed(**kwargs)


def test_symlinked_input_is_refused(tmp_path):
    (tmp_path / "link").symlink_to("/etc/hostname")
    with pytest.raises(ValueError, match="not a symlink"):
        run_sandboxed(["true"], inputs={"a": tmp_path / "link"})


@pytest.mark.parametrize("field, value, error", [
    ("memory_bytes", 0, ValueError), ("processes", -1, ValueError),
    ("cpu_seconds", 1.5, TypeError), ("wall_seconds", "10", TypeError),
    ("disk_bytes", True, TypeError),
])
def test_bad_limits_are_named(field, value, error):
    with pytest.raises(error, match=f"Limits.{field}"):
        Limits(**{field: value})
