"""Writing a run's output files under ``output_dir``: by the grader, never by the command.

The names come from the sandbox, so a name that would land outside ``output_dir`` through a
symlink already there is skipped, and a symlink in the file's own place is never followed
(``O_NOFOLLOW``: the open fails instead).
"""

import os


def write_outputs(files, output_dir):
    """Write (name, bytes) pairs under output_dir; return {name: path}.

    Inputs:
    - files: list of (relative name, bytes), names already checked (:func:`.checks.check_name`)
    - output_dir: Path (created if missing), or None to write nothing
    Returns:
    - {name: Path} of the files written
    """
    if output_dir is None:
        return {}
    output_dir.mkdir(parents=True, exist_ok=True)
    root = output_dir.resolve()
    written = {}
    for name, body in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.resolve().is_relative_to(root):
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        written[name] = path
    return written
