"""The seccomp filter: a classic-BPF program bwrap loads before starting the launcher
(``--seccomp FD``), in both modes (user namespace or root).

It refuses new user namespaces (unshare/clone with CLONE_NEWUSER; clone3 answers ENOSYS so that
the C library falls back to clone, whose flags a filter can read): inside one, a command could
mount a tmpfs of its own and fill memory past every cap. It refuses the kernel keyrings (per
uid, not namespaced), and memory that no process's RSS shows while unmapped: memfd files and
System V shared memory (both answer ENOSYS, "not on this system"). Other ABIs (i386, x32) are
refused too.
"""

import platform
import struct

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


def seccomp_filter(machine=None):
    """The filter as bytes (struct sock_filter[]), or None on an architecture not listed.

    seccomp_data: nr at offset 0, arch at 4, args[0] (low 32 bits, little-endian) at 16.

    Inputs:
    - machine: ``platform.machine()`` name, e.g. ``"x86_64"``; None: this machine's
    Returns:
    - bytes of 8 * n (one ``struct sock_filter`` per instruction), or None
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
