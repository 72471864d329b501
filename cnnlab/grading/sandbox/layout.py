"""Where things are inside the sandbox: the paths bwrap's arguments, the launcher and the
grader agree on.

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
"""

BOX = "/sandbox"                  # the one writable tmpfs
WORK = BOX + "/work"              # working directory of the command
HOME = "/home/student"            # -> /sandbox/home
INPUTS = BOX + "/in"              # read-only originals of the inputs
CNNLAB_ROOT = "/opt/cnnlab"       # PYTHONPATH entry holding the cnnlab package
