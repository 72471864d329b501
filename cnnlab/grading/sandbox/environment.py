"""The command's environment variables.

bwrap starts from ``--clearenv``; the command then gets PATH, HOME=/home/student,
LANG=C.UTF-8, PYTHONDONTWRITEBYTECODE, PYTHONNOUSERSITE, MPLBACKEND=Agg and one BLAS/OpenMP
thread, plus whatever the caller passes in ``env``. None of the instructor's variables get in.
"""

import os
import sys

from .layout import CNNLAB_ROOT, HOME


def sandbox_env(env, expose_cnnlab):
    """The whole environment of the command.

    Inputs:
    - env: {name: value} from the caller (checked); it wins over the defaults
    - expose_cnnlab: bool; add ``PYTHONPATH=/opt/cnnlab`` where cnnlab is mounted
    Returns:
    - {name: value}, a new dict
    """
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
