"""The ``cnnlab`` command line: the instructor's tools, one subcommand per module.

    cnnlab student-repo OUT --github OWNER/REPO   # the public repository students launch
    cnnlab grade ASSIGNMENT SUBMISSIONS           # sandboxed grading, judged outside the notebook

A subcommand is a module of this package with ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``, registered in ``SUBCOMMANDS``. Keep its heavy imports (nbgrader, ...) inside
``run`` so that every subcommand's ``--help`` works in any install. These modules and this file are
instructor tools: ``cnnlab student-repo`` leaves them out of the student repository.
"""

import argparse
import importlib
import sys

# command name -> module implementing it
SUBCOMMANDS = {
    "student-repo": "cnnlab.student_repo",
    "grade": "cnnlab.grading.grade_command",
}


def build_parser():
    """The argparse parser with one subparser per entry of ``SUBCOMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="cnnlab", description="cnnlab の講師用コマンド / cnnlab's instructor commands")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Entry point of the ``cnnlab`` console script. Returns the exit status.

    A ValueError from a subcommand is a usage problem (bad folder, bad name, ...): it is printed
    as one line, without a traceback, and the exit status is 2.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        print(f"cnnlab {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
