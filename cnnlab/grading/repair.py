"""Read one submitted notebook from untrusted bytes and repair what nbgrader would trip on.

Pure JSON / nbformat work: nothing in the notebook is executed. :func:`repair_notebook` either
returns a notebook that ``nbformat.validate`` and nbgrader's metadata check
(``CheckCellMetadata``) accept, with a list of what was changed, or raises
:class:`NotebookRejected` with a reason an instructor can act on.

:func:`restore_test_cells` puts back test cells the student deleted, from the released notebook.

What :func:`repair_notebook` repairs (each change is reported):

- ``nbformat_minor`` newer than this nbformat knows, missing, or older than 4.5: read as 4.5;
  fields 4.5 does not define are dropped; missing or unreadable cell ids get ``cell-<n>``.
- missing ``metadata`` / ``source`` / ``outputs`` / ``execution_count``: filled with the empty
  value; outputs that fail the schema are cleared (nbgrader clears outputs before grading anyway).
- repeated cell ids: the first keeps its id, later ones become ``<id>-2``, ``<id>-3``, ...
- nbgrader cell metadata with an old, missing or unknown ``schema_version`` (nbgrader 0.9.6
  stops the WHOLE autograde batch on ``SchemaTooOldError`` / ``SchemaTooNewError``): upgraded
  to schema 3 with nbgrader's own ``MetadataValidator``; metadata that still does not validate
  is removed from that cell (it becomes an ordinary cell; a test cell then counts as deleted).
- a ``grade_id`` on several cells (a cell copied in Jupyter keeps its nbgrader metadata): the
  first cell keeps it, the copies become ordinary cells (they still run). Left alone, nbgrader
  0.9.6 stops the whole autograde batch on it (see :func:`_fix_repeated_grade_ids`).
"""

import copy
import json
import re

import nbformat
from nbgrader.nbgraderformat import MetadataValidator, SCHEMA_VERSION
from nbgrader.nbgraderformat.common import SchemaMismatchError
from jsonschema import ValidationError as SchemaValidationError

MINOR = 5  # nbformat 4.5: the version with cell ids, the one this course releases
_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # nbformat 4.5 schema for cell ids
_TOP_KEYS = {"cells", "metadata", "nbformat", "nbformat_minor"}
_CELL_KEYS = {
    "code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
    "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
    "raw": {"id", "cell_type", "metadata", "source", "attachments"},
}


class NotebookRejected(ValueError):
    """The bytes are not a notebook this course can grade; ``str(error)`` says why."""


def repair_notebook(data, max_bytes=20 * 2**20):
    """Parse ``data`` (bytes of an .ipynb file) into a valid nbformat 4.5 notebook.

    Returns ``(notebook, repairs)``: a ``NotebookNode`` and a list of short English sentences,
    one per change made (empty when the notebook was fine). Raises :class:`NotebookRejected`
    when the bytes cannot be made into a notebook, :class:`TypeError` if ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"repair_notebook expects the file's bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise NotebookRejected(f"larger than {max_bytes} bytes")
    raw = _parse_json(bytes(data))
    repairs = []
    _check_version(raw, repairs)
    _fix_top(raw, repairs)
    for index, cell in enumerate(raw["cells"]):
        _fix_cell(cell, index, repairs)
    _fix_cell_ids(raw["cells"], repairs)
    notebook = nbformat.from_dict(raw)
    for index, cell in enumerate(notebook.cells):
        _fix_nbgrader_metadata(cell, index, repairs)
    _fix_repeated_grade_ids(notebook.cells, repairs)
    try:
        nbformat.validate(notebook, version=4, version_minor=MINOR)
    except nbformat.ValidationError as error:
        raise NotebookRejected(f"not a valid notebook: {_short(error)}") from None
    return notebook, repairs


def _parse_json(data):
    """bytes -> dict, or NotebookRejected naming the line and column of the JSON error."""
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from a Windows editor is harmless
    except UnicodeDecodeError as error:
        raise NotebookRejected(f"not UTF-8 text (byte {error.start})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookRejected(f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:  # "[[[[...]]]]": json's parser recurses once per level
        raise NotebookRejected("not a notebook: JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise NotebookRejected(f"not a notebook: the JSON is a {type(raw).__name__}, not an object")
    return raw


def _check_version(raw, repairs):
    """Accept nbformat 4 only; any minor version is read as 4.5."""
    major = raw.get("nbformat")
    if type(major) is not int:
        raise NotebookRejected("not a notebook: no 'nbformat' version number")
    if major != 4:
        raise NotebookRejected(f"nbformat {major} is not supported (expected 4); "
                               "open and save it in a current Jupyter")
    minor = raw.get("nbformat_minor")
    if type(minor) is not int or minor < 0:
        repairs.append(f"nbformat_minor {minor!r} unreadable, read as {MINOR}")
    elif minor > MINOR:
        repairs.append(f"nbformat_minor {minor} is newer than this nbformat ({MINOR}), read as {MINOR}")
    elif minor < MINOR:
        repairs.append(f"nbformat 4.{minor} upgraded to 4.{MINOR}")
    raw["nbformat_minor"] = MINOR


def _fix_top(raw, repairs):
    if not isinstance(raw.get("cells"), list):
        raise NotebookRejected("not a notebook: no list of cells")
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
        repairs.append("notebook metadata missing, set to {}")
    extra = sorted(set(raw) - _TOP_KEYS)
    for key in extra:
        del raw[key]
    if extra:
        repairs.append(f"unknown top-level fields removed: {', '.join(extra)}")


def _fix_cell(cell, index, repairs):
    """Fill the fields a 4.5 cell must have; reject cells no schema can describe."""
    where = f"cell {index}"
    if not isinstance(cell, dict):
        raise NotebookRejected(f"{where} is not a JSON object")
    kind = cell.get("cell_type")
    if kind not in _CELL_KEYS:
        raise NotebookRejected(f"{where} has unknown cell_type {kind!r}")
    source = cell.get("source", "")
    if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
        raise NotebookRejected(f"{where} has a source that is not text")
    if "source" not in cell:
        cell["source"] = ""
        repairs.append(f"{where}: missing source set to ''")
    cell["source"] = "".join(source)  # the file may split it in lines; nbgrader's checksums want one str
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = {}
        repairs.append(f"{where}: missing metadata set to {{}}")
    extra = sorted(set(cell) - _CELL_KEYS[kind])
    for key in extra:
        del cell[key]
    if extra:
        repairs.append(f"{where}: unknown fields removed: {', '.join(extra)}")
    if kind == "code":
        _fix_code_cell(cell, where, repairs)


def _fix_code_cell(cell, where, repairs):
    """Outputs that do not validate are cleared: nbgrader clears them before grading anyway."""
    count = cell.get("execution_count")
    if count is not None and type(count) is not int:
        repairs.append(f"{where}: execution_count {count!r} set to null")
        count = None
    cell["execution_count"] = count
    outputs = cell.get("outputs")
    if not isinstance(outputs, list) or not _outputs_valid(outputs):
        cell["outputs"] = []
        repairs.append(f"{where}: missing or invalid outputs cleared")


def _outputs_valid(outputs):
    probe = {"id": "probe", "cell_type": "code", "metadata": {}, "source": "",
             "execution_count": None, "outputs": outputs}
    try:
        nbformat.validate(probe, ref="code_cell", version=4, version_minor=MINOR)
    except nbformat.ValidationError:
        return False
    return True


def _fix_cell_ids(cells, repairs):
    """Unique ids matching the 4.5 schema: the first cell with an id keeps it."""
    taken = {c["id"] for c in cells if isinstance(c.get("id"), str) and _ID.match(c["id"])}
    seen = set()
    missing = 0
    for index, cell in enumerate(cells):
        old = cell.get("id")
        if isinstance(old, str) and _ID.match(old) and old not in seen:
            seen.add(old)
            continue
        if isinstance(old, str) and _ID.match(old):
            new = _free_id(old, taken)
            repairs.append(f"cell {index}: repeated cell id {old!r} changed to {new!r}")
        else:
            new = _free_id(f"cell-{index}", taken)
            if old is None:
                missing += 1
            else:
                repairs.append(f"cell {index}: invalid cell id {old!r} changed to {new!r}")
        cell["id"] = new
        taken.add(new)
        seen.add(new)
    if missing:
        repairs.append(f"{missing} cells without an id given 'cell-<n>'")


def _free_id(base, taken):
    """``base`` if free, else ``base-2``, ``base-3``, ... kept within 64 characters."""
    if base not in taken:
        return base
    k = 2
    while True:
        suffix = f"-{k}"
        candidate = base[: 64 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        k += 1


def _fix_nbgrader_metadata(cell, index, repairs):
    """Bring nbgrader metadata to schema 3, or remove it from this cell alone."""
    meta = cell.metadata.get("nbgrader")
    if meta is None:
        return
    where = f"cell {index} ({cell.id})"
    if not isinstance(meta, dict):
        del cell.metadata["nbgrader"]
        repairs.append(f"{where}: nbgrader metadata is not an object, removed")
        return
    version = meta.get("schema_version")
    before = copy.deepcopy(meta)
    validator = MetadataValidator()
    try:
        if type(version) is not int or version > SCHEMA_VERSION:
            # Unknown or from a newer nbgrader: read it as schema 3 and let validation decide.
            meta["schema_version"] = SCHEMA_VERSION
        validator.upgrade_cell_metadata(cell)
        if "nbgrader" in cell.metadata:
            validator.validate_cell(cell)
    except (SchemaValidationError, SchemaMismatchError, KeyError, TypeError, ValueError) as error:
        cell.metadata.pop("nbgrader", None)
        repairs.append(f"{where}: nbgrader metadata unusable ({_short(error)}), removed")
        return
    if version != SCHEMA_VERSION:
        shown = "missing" if version is None else repr(version)
        repairs.append(f"{where}: nbgrader schema_version {shown} read as {SCHEMA_VERSION}")
    elif cell.metadata.get("nbgrader") != before:
        repairs.append(f"{where}: nbgrader metadata normalised")


def _fix_repeated_grade_ids(cells, repairs):
    """A grade_id on several cells (a copied cell keeps its metadata): the first keeps it.

    Left alone, nbgrader's ``DeduplicateIds`` empties the metadata of all but the last copy,
    and ``CheckCellMetadata`` then reads the empty metadata as schema 0 and stops the whole
    autograde run with ``SchemaTooOldError`` (nbgrader 0.9.6).
    """
    seen = set()
    for index, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            continue
        grade_id = meta.get("grade_id")
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            repairs.append(f"cell {index} ({cell.id}): repeated grade_id {grade_id!r} removed, "
                           "the first cell with it is graded")
        seen.add(grade_id)


def _short(error):
    """The first line of an error message, at most 200 characters."""
    text = getattr(error, "message", None) or str(error)
    return text.splitlines()[0][:200] if text else type(error).__name__


def restore_test_cells(notebook, release):
    """Put back the test cells (nbgrader grade cells) the student deleted, where they were.

    ``notebook`` (repaired, changed in place) and ``release`` (the released notebook) are
    ``NotebookNode``s. Each missing test cell is copied from the release and inserted after the
    nearest earlier release cell the submission still has (matched by cell id), so it runs after
    the answer it tests; nbgrader's ``OverwriteCells`` then checks it like any other test cell.
    Returns the list of repairs made.

    Why not ``OverwriteCells.add_missing_cells``: in nbgrader 0.9.6 it raises ``KeyError`` when the
    release cell before the missing one is a read-only markdown cell (07_train_cnn's
    'test-convnet' follows 'gradcheck-explain'), failing that student's whole notebook; it also
    inserts the cell right after the previous nbgrader cell (before the student's run cells)
    and without a cell id.
    """
    present = {_grade_id(c) for c in notebook.cells} - {None}
    ids = {c.id for c in notebook.cells}
    repairs = []
    for position, cell in enumerate(release.cells):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution") or meta.get("grade_id") in present:
            continue
        at, anchor = _anchor(notebook, release.cells[:position])
        restored = copy.deepcopy(cell)
        restored.id = _free_id(cell.id, ids)
        ids.add(restored.id)
        notebook.cells.insert(at, restored)
        present.add(meta["grade_id"])
        where = f"after {anchor!r}" if anchor else "at the top"
        repairs.append(f"deleted test cell {meta['grade_id']!r} put back {where}")
    return repairs


def _grade_id(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") if (meta.get("grade") or meta.get("solution") or meta.get("locked")) else None


def _anchor(notebook, earlier):
    """(index to insert at, id of the cell it follows): after the last of ``earlier`` still there.

    A cell is found by its nbgrader grade_id, else by its cell id (ids may have been renamed).
    """
    by_grade_id = {_grade_id(c): i for i, c in enumerate(notebook.cells)}
    by_id = {c.id: i for i, c in enumerate(notebook.cells)}
    for cell in reversed(earlier):
        grade_id = _grade_id(cell)
        if grade_id is not None and grade_id in by_grade_id:
            return by_grade_id[grade_id] + 1, notebook.cells[by_grade_id[grade_id]].id
        if cell.id in by_id:
            return by_id[cell.id] + 1, cell.id
    return 0, None
