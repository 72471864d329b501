"""What of the grader's own machine the sandbox shows: Python's prefixes and cnnlab's folder.

**The editable install.** ``pip install -e`` leaves ``__editable___cnnlab_*_finder.py`` in
site-packages, mapping ``cnnlab`` to the course folder. Inside, that path does not exist (the
course folder is never mounted), so the finder finds nothing. Instead the directory that the
grader itself imported ``cnnlab`` from is bind-mounted read-only at ``/opt/cnnlab/cnnlab`` and
``PYTHONPATH=/opt/cnnlab`` puts it first on ``sys.path`` (the path finder runs before the
editable finder). A bind mount shows one directory: ``..`` from its top stays in the sandbox's
own tree, and relative or absolute symlinks resolve inside the sandbox too, so the rest of the
course folder cannot be reached through it. A Python prefix is mounted whole, so one that
contains HOME, the grader's working folder or the course folder is refused
(:func:`python_exposes_private_files`).
"""

import os
import sys
from pathlib import Path

from ...language import tr


def python_roots():
    """Directories holding the interpreter and its site-packages, outside /usr.

    Returns:
    - sorted list of real paths (str); a root inside another root is left out, since the
      outer one's mount shows it already
    """
    roots = set()
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(prefix)
        if real != "/" and not (real + "/").startswith("/usr/"):
            roots.add(real)
    # A root inside another root needs no mount of its own.
    return sorted(r for r in roots if not any(r.startswith(o + "/") for o in roots))


def python_exposes_private_files(expose_cnnlab):
    """Why mounting Python's prefix would show private folders, or "" if it would not.

    The prefix is mounted whole. If it contains HOME, the folder the grader runs in (the
    course folder under nbgrader) or an editable cnnlab's course folder, those would be visible.

    Inputs:
    - expose_cnnlab: bool; the run mounts cnnlab, so its parent folder counts as private
      unless it is site-packages itself
    Returns:
    - str: the reason in the language in use, or ""
    """
    private = {os.path.realpath(os.path.expanduser("~")), os.path.realpath(os.getcwd())}
    if expose_cnnlab:
        course = cnnlab_dir().parent
        if course.name not in ("site-packages", "dist-packages"):
            private.add(str(course))
    for root in python_roots():
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


def cnnlab_dir():
    """The directory the grader imported cnnlab from (a worktree, the course, site-packages).

    Asked of the imported package rather than of this file's place, so that it names the
    ``cnnlab`` folder itself however deep this module sits.
    """
    import cnnlab
    return Path(cnnlab.__file__).resolve().parent
