"""Hostile submissions for 01_convolution: each fills the answer cells with code that attacks the
grading, one class of attack per student (the issue "Grades an instructor can trust").

Every maker returns {cell id: source}. ``conv2d_single`` is answered wrong (zeros of the right
shape) by the kernel fakers, so a fooled kernel says pass where the judge says fail;
``conv2d_multi`` and ``relu`` keep the solution, so each attacker earns exactly 0 + 3 + 1.
"""

import hashlib
import socket
import sqlite3
import threading
from pathlib import Path

MARKER = "cnnlab-linger-marker-7d2e"

WRONG_SINGLE = """
def conv2d_single(image, kernel):
    H, W = image.shape
    KH, KW = kernel.shape
    return np.zeros((H - KH + 1, W - KW + 1))
"""

FAKES = {
    # An IPython input transformer: every later cell, the test cells too, becomes `pass`.
    "transformer": """
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
""",
    # A custom exception handler hides the failed check's error, and a post_run_cell hook
    # clears it from the cell's result, so the kernel replies "ok".
    "hooks": """
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
def _forget_the_error(result):
    result.error_in_exec = None
ip.events.register("post_run_cell", _forget_the_error)
""",
    # A fake cnnlab.checks in sys.modules: `from cnnlab.checks import check_...` gets no-ops.
    "sys_modules": """
import sys, types
fake = types.ModuleType("cnnlab.checks")
fake.__getattr__ = lambda name: (lambda *a, **k: None)
sys.modules["cnnlab.checks"] = fake
""",
    # builtins.__import__ hands out the same fake.
    "builtins_import": """
import builtins, types
_real_import = builtins.__import__
_fake = types.ModuleType("cnnlab.checks")
_fake.__getattr__ = lambda name: (lambda *a, **k: None)
def _import(name, *args, **kwargs):
    if name == "cnnlab.checks":
        return _fake
    return _real_import(name, *args, **kwargs)
builtins.__import__ = _import
""",
    # Writing into the checks module's __dict__ (the sealed module refuses setattr, not this).
    "module_dict": """
import cnnlab.checks
vars(cnnlab.checks)["check_conv2d_single"] = lambda *a, **k: None
""",
    # Replacing a function's code object: every judge says all is well.
    "code_object": """
import cnnlab.checks.core
cnnlab.checks.core.judge_quietly.__code__ = (lambda check, results: "ok").__code__
""",
    # Patching NumPy's comparisons: every answer is close to every expected value.
    "numpy_patch": """
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *a, **k: True
""",
}

# Delegating to the reference implementation, with the in-kernel detection (a profiler) turned off.
DELEGATE = """
import sys
from cnnlab.checks import reference as _ref
sys.setprofile = lambda *a, **k: None
def conv2d_single(image, kernel):
    return _ref.single(image, kernel)
"""


def fake(kind):
    return FAKES[kind] + WRONG_SINGLE


INTRUDER = r'''
import glob, os, socket, sqlite3, subprocess, sys, time
COURSE, PACKAGE, HOST_HOME, PORT, MARKER = {course!r}, {package!r}, {home!r}, {port!r}, {marker!r}
def attempt(label, action):
    try:
        print(label, "->", repr(action())[:300])
    except BaseException as error:
        print(label, "-> blocked:", type(error).__name__)
def set_scores():
    with sqlite3.connect(os.path.join(COURSE, "gradebook.db")) as con:
        con.execute("UPDATE grade SET auto_score = 100, manual_score = 100")
        con.execute("UPDATE source_cell SET source = 'pass'")
def write(path, text="pwned"):
    with open(path, "a") as f:
        f.write(text)
attempt("gradebook", set_scores)
attempt("gradebook-relative", lambda: sqlite3.connect("../../../gradebook.db").execute("UPDATE grade SET auto_score = 100").rowcount)
for who in ("honest", "flipped"):
    attempt("read-other", lambda: open(os.path.join(COURSE, "submitted", who, "01_convolution", "01_convolution.ipynb")).read())
    attempt("overwrite-other", lambda: write(os.path.join(COURSE, "submitted", who, "01_convolution", "01_convolution.ipynb"), "{{}}"))
    attempt("overwrite-autograded", lambda: write(os.path.join(COURSE, "autograded", who, "01_convolution", "01_convolution.ipynb"), "{{}}"))
attempt("read-solutions", lambda: open(os.path.join(COURSE, "solutions", "01_convolution", "01_convolution.ipynb")).read())
attempt("list-course", lambda: os.listdir(COURSE))
attempt("edit-release", lambda: write(os.path.join(COURSE, "assignments", "01_convolution", "01_convolution.ipynb")))
attempt("edit-solutions", lambda: write(os.path.join(COURSE, "solutions", "01_convolution", "01_convolution.ipynb")))
attempt("edit-package", lambda: write(os.path.join(PACKAGE, "pwned.py")))
attempt("edit-package-inside", lambda: write(os.path.join(os.path.dirname(__import__("cnnlab").__file__), "pwned.py")))
attempt("environment", lambda: dict(os.environ))
attempt("home", lambda: open(os.path.join(HOST_HOME, "secret.txt")).read())
attempt("home-list", lambda: os.listdir(HOST_HOME))
attempt("ipython-startup", lambda: write(os.path.join(HOST_HOME, ".ipython", "profile_default", "startup", "00-pwn.py"), "print('pwned')"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=2).send(b"pwned"))
attempt("linger", lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", MARKER], start_new_session=True).pid)
def fill_disk():
    with open("/tmp/fill", "w") as f:
        for _ in range(1024):   # 1 GiB, a MiB at a time
            f.write("x" * (1 << 20))
attempt("fill-disk", fill_disk)
'''


class Listener:
    """A loopback server counting the connections it gets (there must be none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def tree_digest(folder):
    digest = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def stored_test_cells(course):
    with sqlite3.connect(Path(course) / "gradebook.db") as con:
        return sorted(con.execute("SELECT name, source, checksum FROM source_cell").fetchall())


def lingering():
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if MARKER.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found
