"""Can a sandbox be made here? A real run, once per process, and the reason if not.

Where no sandbox can be made (not Linux, bwrap missing or older than 0.8, namespaces not
allowed), :func:`sandbox_available` says what is missing in the language in use, and
``run_sandboxed`` raises :class:`~.result.SandboxUnavailable` with that text unless
``unsafe=True`` (:mod:`.unsafe`).
"""

import platform
import shutil
import subprocess
import sys
from functools import lru_cache

from ...language import tr
from .bwrap_run import run_bwrap
from .limits import Limits


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


# Cached without the language: the answer is a fact of the machine, the text is made per call.
# Tests clear it (``_probe.cache_clear()``) to probe again with another PATH.
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
        result = run_bwrap([sys.executable, "-I", "-S", "-c", "print('ok')"], inputs={},
                           output_dir=None, outputs=[], limits=Limits(wall_seconds=60),
                           env={}, expose_cnnlab=False)
    except OSError as error:
        return "namespaces", str(error)
    if result.returncode != 0 or result.stdout.strip() != "ok":
        return "namespaces", (result.error or result.stderr).strip()[-500:]
    return None, ""
