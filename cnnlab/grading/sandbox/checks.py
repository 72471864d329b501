"""Checks of run_sandboxed's arguments: a clear TypeError/ValueError before anything runs.

Names are checked here once more than a caller might expect because they end up as paths: an
input name becomes ``/sandbox/in/<name>`` and an output name a file under ``output_dir``, so
only plain relative components may pass.
"""

from pathlib import Path


def check_argv(argv):
    """The command as a list of str.

    Inputs:
    - argv: non-empty list or tuple of str without NUL (bytes or a plain str are refused: a
      str would be split into characters)
    Returns:
    - a new list of the same items
    """
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)) or not argv:
        raise TypeError(f"argv must be a non-empty list of str, got {argv!r}")
    if not all(isinstance(a, str) and "\0" not in a for a in argv):
        raise TypeError(f"every item of argv must be a str without NUL, got {argv!r}")
    return list(argv)


def check_name(name, what):
    """A relative path of plain components: no '', '.', '..', absolute paths or NUL.

    Inputs:
    - name: str, e.g. ``"out/result.json"``
    - what: how the error message calls it, e.g. ``"an output name"``
    Returns:
    - name, unchanged
    """
    if not isinstance(name, str) or not name or "\0" in name or name.startswith("/"):
        raise ValueError(f"{what} must be a relative path, got {name!r}")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise ValueError(f"{what} must not contain '', '.' or '..' components, got {name!r}")
    return name


def check_inputs(inputs):
    """The files and folders to copy into the working directory.

    Inputs:
    - inputs: None, or {name: path}; name is one plain path component, path an existing file
      or directory that is not a symlink
    Returns:
    - {name: resolved Path}
    """
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise TypeError(f"inputs must be a dict of name -> path, got {type(inputs).__name__}")
    checked = {}
    for name, path in inputs.items():
        check_name(name, "an input name")
        if "/" in name:
            raise ValueError(f"an input name must be one path component, got {name!r}")
        path = Path(path)
        # A symlink would be resolved on the host, i.e. it could point anywhere.
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ValueError(f"input {name!r} must be an existing file or directory "
                             f"(not a symlink), got {str(path)!r}")
        checked[name] = path.resolve()
    return checked


def check_outputs(outputs):
    """The names of the files to bring back.

    Inputs:
    - outputs: None (every regular file of the working directory), or an iterable of
      relative names (see :func:`check_name`)
    Returns:
    - None, or a list of the names
    """
    if outputs is None:
        return None
    if isinstance(outputs, (str, bytes)) or not hasattr(outputs, "__iter__"):
        raise TypeError(f"outputs must be a list of relative names or None, got {outputs!r}")
    return [check_name(name, "an output name") for name in outputs]


def check_env(env):
    """The caller's environment variables for the command.

    Inputs:
    - env: None, or {name: value} of str; names non-empty without '=', no NUL anywhere
    Returns:
    - a new dict (empty for None)
    """
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise TypeError(f"env must be a dict of str -> str, got {type(env).__name__}")
    for key, value in env.items():
        if not (isinstance(key, str) and isinstance(value, str)) or not key or "=" in key \
                or "\0" in key + value:
            raise ValueError(f"env must map names (no '=') to str values, got {key!r}: {value!r}")
    return dict(env)
