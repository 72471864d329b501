"""The check cases as plain data, made in the TRUSTED grader (it holds the hidden seeds).

A test cell says which checks grade it: ``check_conv2d_single(conv2d_single, seed=2611)``.
:func:`planned_calls` reads that from the cell's source (the gradebook's copy, put back by
nbgrader's OverwriteCells) with :mod:`ast`, never by running it. :func:`task` turns the calls
into the plain data ``harness.py`` runs in the sandbox: the case inputs, the time limit, the
keyword parameters the stub must keep, no expected values and no reference code.

Only checks whose cases are plain data run this way (:func:`runs_outside`): the FunctionChecks of
01-06. numerical_gradient's f is a function of ``cnnlab.checks.given``, sent by name and
parameters (:func:`plain_args`), which the harness makes again from its copy of that file. 07's
checks (a network the check builds, training) run by run steps of their own, from the plain data
of :mod:`cases_train`.
"""

import ast

from ..checks import CHECKS, time_limit
from ..checks.function_check import FunctionCheck
from ..checks.given import is_given
from ..plaindata import is_plain
from . import cases_train

#: Packages the graded functions may not import, per assignment prefix (01-06: none of cnnlab).
BLOCKED = ("cnnlab",)


def planned_calls(source):
    """[(check name, [object names], seed)] of the ``check_<name>(...)`` calls in a test cell."""
    calls = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return calls
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("check_")):
            continue
        name = node.func.id[len("check_"):]
        if name not in CHECKS or not all(isinstance(a, ast.Name) for a in node.args):
            continue
        seed = None
        for keyword in node.keywords:
            if keyword.arg == "seed" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, int):
                seed = keyword.value.value
        calls.append((name, [a.id for a in node.args], seed))
    return calls


def plain_args(args):
    """A case's arguments as plain data: a given function (numerical_gradient's f) becomes
    {"given": [name, params, text]}, which the harness turns back into the same function."""
    return [{"given": a.spec} if is_given(a) else a for a in args]


def runs_outside(name, seed):
    """The check ``name`` can be run by the harness from plain cases."""
    check = CHECKS[name]
    if type(check) is not FunctionCheck or check.observe is not None:
        return False
    return all(is_plain(plain_args(c.args)) and is_plain(dict(c.kwargs)) for c in check.all_cases(seed))


def task(calls, cell_timeout, skip_cells, cells=None, idle_cells=()):
    """The harness's task (plain data) for ``calls`` [(name, objects, seed)] that run outside.

    ``cells``: the test cell of each call; the harness makes a call where its cell stands in the
    notebook (with the functions as defined above it, as the notebook's own check sees them).
    None: every call after the last cell. ``idle_cells``: cells the harness does not run
    (:mod:`cnnlab.grading.unneeded`).
    """
    limit = time_limit()
    entries = []
    for (name, objects, seed), cell in zip(calls, cells or [None] * len(calls)):
        if cases_train.runs_outside(name):   # 07: run steps of their own
            entries.append({**cases_train.entry(name, objects, seed), "cell": cell})
            continue
        check = CHECKS[name]
        entries.append({"check": name, "seed": seed, "objects": list(objects), "keywords": list(check.keywords),
                        "limit": float(limit), "strict": bool(check.strict), "input_rtol": float(check.input_rtol),
                        "cell": cell, "cases": [[plain_args(c.args), dict(c.kwargs)] for c in check.all_cases(seed)]})
    allowed = list(cases_train.ALLOWED) if any("runner" in e for e in entries) else []
    return {"cell_timeout": float(cell_timeout), "blocked": list(BLOCKED), "allowed": allowed,
            "skip_cells": list(skip_cells), "idle_cells": sorted(idle_cells), "calls": entries}
