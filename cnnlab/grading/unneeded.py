"""Which code cells the judge's harness need not run: cells whose work nothing graded can see.

The harness runs a student's cells only to have the graded functions defined as the notebook has
them where each test cell stands. Many cells exist for the student alone — 07's training run, the
curves, the confusion matrix, a feature-map widget: running them again in the judge's sandbox
doubled 07's grading time and changed no verdict. A code cell is left out when, read with
Python's own ``symtable`` and ``ast`` (never run):

- it is the instructor's: the release has a code cell with its id and the very same source (a
  cell the student changed or added always runs), and it is not an answer cell (nbgrader
  ``solution``) nor a test cell (the calls are made where those stand);
- it parses, has no ``from ... import *``, and names none of ``globals``, ``vars``, ``locals``,
  ``exec``, ``eval``, ``setattr``, ``delattr``, ``__import__``, ``__builtins__`` (no hidden bindings);
- outside function bodies it stores only into plain names (no ``obj.x = ...``, no ``d[k] = ...``,
  no ``del``: it changes no object a later cell may read), and declares nothing ``global`` from a
  function;
- none of the names it binds is read by a cell that runs after it (answer cells included, inside
  their functions too) or is a graded object.

What a left-out cell could still change is what it does through the student's functions it calls
(a demonstration that ends the process or fills a cache) and interpreter state reached without a
name (NumPy's global random state): the checks give every call its own inputs and seeds, and the
test cells call the same functions, so a verdict could differ only for an answer that keeps state
between calls; the kernel and the judge would then disagree, and the student would be flagged.
"""

import ast
import symtable

HIDDEN_BINDINGS = {"globals", "vars", "locals", "exec", "eval", "setattr", "delattr", "__import__", "__builtins__"}


def cell_names(source):
    """(names the cell binds, names it reads from the notebook's namespace), or None when it
    cannot be read safely (a syntax error, magics, a star import, hidden bindings, stores into
    objects, ``del``, ``global`` in a function)."""
    try:
        tree = ast.parse(source)
        top = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return None
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree)):
        return None
    if _changes_objects(tree):
        return None
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    used = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for symbol in table.get_symbols():
            if symbol.is_declared_global():
                return None
            if symbol.is_global() and symbol.is_referenced():
                used.add(symbol.get_name())
    if used & HIDDEN_BINDINGS:
        return None
    return bound, used


def _changes_objects(tree):
    """Whether module-level code (not function or class bodies) assigns to an attribute or an
    item, or deletes anything."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if isinstance(node, ast.ClassDef):   # decorators and bases run at module level
                pending.extend(node.decorator_list + node.bases)
            elif not isinstance(node, ast.Lambda):
                pending.extend(node.decorator_list + node.args.defaults + node.args.kw_defaults)
            continue
        if isinstance(node, ast.Delete) or (isinstance(node, (ast.Attribute, ast.Subscript))
                                            and isinstance(node.ctx, ast.Store)):
            return True
        pending.extend(child for child in ast.iter_child_nodes(node) if child is not None)
    return False


def unneeded_cells(notebook, graded_objects, release=None):
    """Ids of the code cells the harness need not run (see the module docstring).

    Inputs:
    - notebook: a NotebookNode (the notebook as graded: the gradebook's test cells)
    - graded_objects: names the planned calls look up (the graded functions and classes)
    - release: the released notebook (NotebookNode), or None: then every cell runs
    Returns:
    - set of cell ids
    """
    if release is None:
        return set()
    instructors = {c.get("id"): c.source for c in release.cells if c.cell_type == "code"}
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    kinds = [c.get("metadata", {}).get("nbgrader", {}) for c in cells]
    names = [cell_names(c.source) for c in cells]
    answers = [found for meta, found in zip(kinds, names) if meta.get("solution")]
    if any(found is None for found in answers):
        return set()   # an answer the judge cannot read could read any name: every cell runs
    read_later = set(graded_objects).union(*(used for _, used in answers))   # answers always run
    unneeded = set()
    for cell, meta, found in reversed(list(zip(cells, kinds, names))):
        if meta.get("solution") or meta.get("grade"):
            continue
        if found is None:
            break          # it runs, and could read any name: every cell above it runs too
        if instructors.get(cell.get("id")) == cell.source and not found[0] & read_later:
            unneeded.add(cell.get("id"))
        else:
            read_later |= found[1]
    return unneeded
