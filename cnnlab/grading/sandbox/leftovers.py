"""Proof that no process survives a run.

bubblewrap reports the PID namespace's inode (``--info-fd``); after the run
:func:`processes_in_pid_namespace` counts host processes still in that namespace, which
``SandboxResult.leftover_processes`` reports (0).
"""

import json
import os
import time


def processes_in_pid_namespace(info, settle_seconds=5.0):
    """How many host processes are still in the sandbox's PID namespace (from --info-fd).

    bwrap returns when the command's launcher exits; its PID 1 then dies of --die-with-parent
    and takes the namespace's last processes with it, which takes the kernel a moment: count
    again for up to ``settle_seconds`` until none is left. Zombies (dead, waiting for the
    host's init to collect their exit status) do not count.

    Inputs:
    - info: bytes bwrap wrote to its info fd (JSON with ``"pid-namespace"``)
    - settle_seconds: float, how long to wait for the count to reach 0
    Returns:
    - int, or None when info names no namespace
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
