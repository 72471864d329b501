"""Functions from your completed notebooks: ``load_functions(path, names)`` -> ``{name: function}``.

Assignment 07 builds a CNN from the functions you wrote in 01-06. Instead of pasting one, you can
load it from your notebook::

    from cnnlab.notebook_functions import load_functions
    loop = load_functions("../02_padding_stride/02_padding_stride.ipynb", ["conv_forward"])
    loop["conv_forward"](x, w, b, stride=1, pad=1)

What runs, and what does not (the notebook may contain anything):

- Only top-level ``def`` statements are executed: the requested functions and the functions of
  the same notebook they call (``conv_forward_im2col`` brings its ``im2col``). Everything else in
  the notebook -- test cells, plots, training loops, variables -- is never run.
- Executing a ``def`` runs nothing of its body. It does evaluate decorators and default values,
  so a function with a decorator or a default that is not a plain constant (``stride=1`` is fine,
  ``stride=f()`` is not) is refused; annotations are left unevaluated.
- Top-level imports are run only for ``numpy``, ``math``, ``itertools``, ``functools`` and
  ``operator`` (installed modules that run no code of yours); a function that needs any other
  name from the notebook (an import, a global variable) is refused with that name.
- The functions run your code when *you* call them, in a namespace of their own (they call their
  own notebook's helpers, never this notebook's). Load only notebooks you wrote or trust.
"""

import ast
import builtins
import json
import linecache
from pathlib import Path

from .language import tr

__all__ = ["load_functions"]

#: Top-level modules whose imports the loader runs (no code of the student's runs on import).
SAFE_MODULES = frozenset({"numpy", "math", "itertools", "functools", "operator"})

# Compile flag of ``from __future__ import annotations``: annotations stay strings, never evaluated.
_LAZY_ANNOTATIONS = __import__("__future__").annotations.compiler_flag


def load_functions(path, names):
    """The named functions of the notebook at ``path``, ready to call.

    Inputs:
    - path: str or Path of an ``.ipynb`` file
    - names: list of function names (``str``) defined at the top level of a code cell
    Returns:
    - ``{name: function}`` for every name; when a function is defined twice, the later
      definition wins (as when the notebook runs from top to bottom)
    Raises FileNotFoundError (no such notebook), ValueError (not a notebook, a name not defined,
    a function that needs more than the loader runs) or TypeError (wrong argument types).
    """
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or \
            not names or not all(isinstance(n, str) for n in names):
        raise TypeError(tr(ja=f"names は関数名（文字列）のリストにしてください（{names!r} が渡されました）",
                           en=f"names must be a list of function names (str), got {names!r}"))
    cells = _code_cells(path)
    defs, imports, unparsed = _top_level(cells, path)
    missing = [n for n in names if n not in defs]
    if missing:
        skipped = tr(ja=f"（Python として読めないセル {unparsed} は飛ばしました）",
                     en=f" (cells {unparsed} are not plain Python and were skipped)") if unparsed else ""
        raise ValueError(tr(
            ja=f"{path} に関数 {', '.join(missing)} の定義が見つかりません{skipped}。定義されている関数: {', '.join(sorted(defs)) or 'なし'}",
            en=f"{path} defines no function {', '.join(missing)}{skipped}. Functions it defines: {', '.join(sorted(defs)) or 'none'}"))

    chosen = _with_helpers(names, defs)
    namespace = {"__name__": f"notebook:{Path(path).name}", "__builtins__": builtins}
    for node, filename in imports:
        exec(compile(ast.Module(body=[node], type_ignores=[]), filename, "exec"), namespace)
    for name in chosen:
        node, filename = defs[name]
        _refuse_code_at_definition(node, path)
        exec(compile(ast.Module(body=[node], type_ignores=[]), filename, "exec",
                     flags=_LAZY_ANNOTATIONS, dont_inherit=True), namespace)
    for name in chosen:
        unknown = sorted(_free_names(defs[name][0]) - namespace.keys() - vars(builtins).keys())
        if unknown:
            modules = ", ".join(sorted(SAFE_MODULES))
            raise ValueError(tr(
                ja=f"{path} の {name} が、ローダーが持ってこない名前 {', '.join(unknown)} を使っています（ノートブックの変数か、{modules} 以外の import）。この関数は貼り付けてください。",
                en=f"{name} in {path} uses {', '.join(unknown)}, which the loader does not bring along "
                   f"(a variable of that notebook, or an import of a module other than {modules}): paste this function instead."))
    return {name: namespace[name] for name in names}


def _code_cells(path):
    """[(index, source)] of the code cells of the notebook at ``path``."""
    if not isinstance(path, (str, Path)):
        raise TypeError(tr(ja=f"path はノートブックのパス（文字列）にしてください（{type(path).__name__}）",
                           en=f"path must be the notebook's path (a str), got {type(path).__name__}"))
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(tr(
            ja=f"ノートブック {path} がありません（今のフォルダ: {Path.cwd()}）。パスを確かめるか、関数を貼り付けてください。",
            en=f"no notebook at {path} (looked from {Path.cwd()}): check the path, or paste the functions instead."))
    try:
        cells = json.loads(file.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ValueError(tr(ja=f"{path} はノートブック（.ipynb）として読めません",
                            en=f"{path} cannot be read as a notebook (.ipynb)")) from None
    found = []
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            found.append((index, "".join(source) if isinstance(source, list) else str(source)))
    return found


def _top_level(cells, path):
    """({name: (def node, filename)}, [(import node, filename)], [unparsed cell indices]).

    IPython lines (``%timeit ...``, ``!pip ...``) are blanked first; a cell that still is not
    Python is skipped. Each cell is registered with linecache under its own filename, so that a
    traceback through a loaded function shows the student's line.
    """
    defs, imports, unparsed = {}, [], []
    for index, source in cells:
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        text = "\n".join(lines) + "\n"
        try:
            tree = ast.parse(text)
        except SyntaxError:
            unparsed.append(index)
            continue
        filename = f"{path} (cell {index})"         # what a traceback shows: the notebook and the cell
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                defs[node.name] = (node, filename)      # a later definition replaces an earlier one
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and _safe_import(node):
                imports.append((node, filename))
    return defs, imports, unparsed


def _safe_import(node):
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and node.module.split(".")[0] in SAFE_MODULES
    return all(alias.name.split(".")[0] in SAFE_MODULES for alias in node.names)


def _with_helpers(names, defs):
    """``names`` and every notebook function they call, directly or through each other, in order."""
    chosen, todo = [], list(names)
    while todo:
        name = todo.pop(0)
        if name in chosen:
            continue
        chosen.append(name)
        todo += sorted(n for n in _free_names(defs[name][0]) if n in defs and n not in chosen)
    return chosen


def _refuse_code_at_definition(node, path):
    """A ``def`` evaluates its decorators and defaults: only plain constants are let through."""
    if node.decorator_list:
        raise ValueError(tr(
            ja=f"{path} の {node.name} にはデコレータがあります。ローダーはコードを実行しないので、この関数は貼り付けてください。",
            en=f"{node.name} in {path} has a decorator, which would run code when loaded: paste this function instead."))
    for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
        try:
            ast.literal_eval(default)
        except ValueError:
            raise ValueError(tr(
                ja=f"{path} の {node.name} の引数の既定値 {ast.unparse(default)} は定数ではありません。ローダーは定数の既定値（stride=1 など）だけを受け付けます。",
                en=f"{node.name} in {path} has the default value {ast.unparse(default)}, which is not a constant: "
                   "the loader takes plain constants only (like stride=1).")) from None


def _free_names(node):
    """Names a function reads that it does not define itself: its globals (and builtins).

    Annotations are left out: they are never evaluated (see _LAZY_ANNOTATIONS).
    """
    annotations = [a.annotation for a in ast.walk(node) if isinstance(a, (ast.arg, ast.AnnAssign)) and a.annotation]
    annotations += [f.returns for f in ast.walk(node) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.returns]
    in_annotations = {id(n) for a in annotations for n in ast.walk(a)}
    read, local = set(), set()
    for sub in ast.walk(node):
        if id(sub) in in_annotations:
            continue
        if isinstance(sub, ast.Name):
            (read if isinstance(sub.ctx, ast.Load) else local).add(sub.id)
        elif isinstance(sub, ast.arg):
            local.add(sub.arg)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            local.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            local.update((a.asname or a.name).split(".")[0] for a in sub.names)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            local.add(sub.name)
    return read - local
