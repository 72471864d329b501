"""The public entry point: check the arguments, then run in bubblewrap, or unsafely, or refuse."""

from pathlib import Path

from ...language import tr
from .bwrap_run import run_bwrap
from .checks import check_argv, check_env, check_inputs, check_outputs
from .host import python_exposes_private_files
from .limits import Limits
from .probe import sandbox_available
from .result import SandboxUnavailable
from .unsafe import run_unsafe


def run_sandboxed(argv, *, inputs=None, output_dir=None, outputs=None, limits=None, env=None,
                  unsafe=False, expose_cnnlab=True):
    """Run ``argv`` in a fresh sandbox; return a :class:`SandboxResult`.

    argv           list of str; argv[0] is looked up on the sandbox's PATH (the Python that
                   runs the grader is on it: pass ``sys.executable``)
    inputs         {name: path} of files or directories copied into the working directory
                   (``/sandbox/work/<name>``); name is one plain path component
    output_dir     where the output files are written (created if missing); None: bring
                   nothing back
    outputs        relative names of the files to bring back from the working directory;
                   None: every regular file there
    limits         :class:`Limits` (defaults if None)
    env            {name: value} added to the sandbox's minimal environment
    unsafe         where no sandbox can be made, run unsandboxed instead of raising
                   :class:`SandboxUnavailable` (the result then says ``sandboxed=False``);
                   where a sandbox can be made, it is always used
    expose_cnnlab  make the grader's own ``cnnlab`` package importable inside (read-only)
    """
    argv = check_argv(argv)
    inputs = check_inputs(inputs)
    outputs = check_outputs(outputs)
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
    env = check_env(env)
    if output_dir is not None:
        output_dir = Path(output_dir)
    available, reason = sandbox_available()
    if available:
        reason = python_exposes_private_files(expose_cnnlab)
        available = not reason
    if available:
        return run_bwrap(argv, inputs=inputs, output_dir=output_dir, outputs=outputs,
                         limits=limits, env=env, expose_cnnlab=expose_cnnlab)
    if not unsafe:
        raise SandboxUnavailable(reason + tr(
            ja=" サンドボックスなしで採点するには unsafe フラグを明示してください"
               "（すべての成績に「サンドボックスなしで採点」と記録されます）。",
            en=" To grade without a sandbox, pass the unsafe flag explicitly "
               "(every grade then says it was graded unsandboxed)."))
    return run_unsafe(argv, inputs=inputs, output_dir=output_dir, outputs=outputs,
                      limits=limits, env=env, expose_cnnlab=expose_cnnlab)
