"""Collecting a class's notebooks from an LMS download (cnnlab.grading.collect).

Every zip and folder is built here, from the released 07_train_cnn notebook. Each file of the
download must end in exactly the record written out by hand below; the collected notebooks are
read back with nbformat and checked with nbgrader's own metadata validator, and one class is
autograded by the real nbgrader.
"""

import copy
import json
import os
import shutil
import stat
import time
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import SchemaTooNewError
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds, OverwriteCells

from cnnlab.grading.collect import Limits, Record, collect, format_report, student_folder
from cnnlab.grading.repair import repair_notebook, restore_test_cells
from course import make_course, nbgrader, scores, source_notebook

ROOT = Path(__file__).resolve().parents[1]
A = "07_train_cnn"
RELEASE = json.loads((ROOT / "assignments" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
MORNING = (2026, 12, 1, 9, 0, 0)
LATER = (2026, 12, 1, 10, 0, 0)


# --- building downloads ------------------------------------------------------------------


def cell(nb, cell_id):
    return next(c for c in nb["cells"] if c.get("id") == cell_id)


def notebook(marker, release=RELEASE):
    """The release with ``marker`` as the answer in the 'train' cell: tells submissions apart."""
    nb = copy.deepcopy(release)
    cell(nb, "train")["source"] = f"# {marker}"
    return nb


def data(nb):
    return json.dumps(nb, ensure_ascii=False, indent=1).encode("utf-8")


def make_zip(path, members):
    """``members``: (name, bytes) or (name, bytes, date_time) or (ZipInfo, bytes)."""
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name")  # one test repeats a name on purpose
        for name, payload, *when in members:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name, when[0] if when else MORNING)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return path


def write(path, payload, when=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    if when is not None:
        stamp = time.mktime((*when, 0, 0, -1))
        os.utime(path, (stamp, stamp))


def marker(submitted, student):
    """The marker of the notebook collected for ``student``, after checking it is valid."""
    nb = nbformat.read(str(submitted / student / A / f"{A}.ipynb"), as_version=4)
    nbformat.validate(nb)
    for check in (DeduplicateIds(), CheckCellMetadata()):  # in the order nbgrader autograde runs them
        nb, _ = check.preprocess(nb, {})
    train = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "train")
    return train.source.removeprefix("# ")


def folders(submitted):
    return sorted(os.listdir(submitted)) if submitted.exists() else []


# --- the LMS layouts -------------------------------------------------------------------------


def test_moodle_zip_with_spaces_and_japanese_names(tmp_path):
    zip_path = make_zip(tmp_path / "moodle.zip", [
        ("山田 太郎_123456_assignsubmission_file_/07_train_cnn.ipynb", data(notebook("taro"))),
        ("Jane Smith_123457_assignsubmission_file_/07_train_cnn (1).ipynb", data(notebook("jane"))),
        ("Jane Smith_123457_assignsubmission_file_/report.pdf", b"%PDF-1.4"),
        ("Ana María_123458_assignsubmission_onlinetext_/onlinetext.html", b"<p>done</p>"),
        # One Moodle submission with two notebooks: the one named as the assignment, though older.
        ("佐藤 花子_123459_assignsubmission_file_/draft.ipynb", data(notebook("hanako-draft")), LATER),
        ("佐藤 花子_123459_assignsubmission_file_/07_train_cnn.ipynb", data(notebook("hanako")), MORNING),
    ])
    submitted = tmp_path / "submitted"
    report = collect(A, zip_path, submitted)
    # The participant number and the folder as Moodle named it: what its grade worksheet and its
    # feedback zip upload match.
    ana = dict(lms_id="123458", moodle_folder="Ana María_123458_assignsubmission_onlinetext_")
    jane = dict(lms_id="123457", moodle_folder="Jane Smith_123457_assignsubmission_file_")
    hanako = dict(lms_id="123459", moodle_folder="佐藤 花子_123459_assignsubmission_file_")
    taro = dict(lms_id="123456", moodle_folder="山田 太郎_123456_assignsubmission_file_")
    assert report == [
        Record("Ana María_123458_assignsubmission_onlinetext_/onlinetext.html", "ignored", "Ana_María",
               "Ana María", "not a notebook (.ipynb)", **ana),
        Record("Jane Smith_123457_assignsubmission_file_/07_train_cnn (1).ipynb", "collected", "Jane_Smith",
               "Jane Smith", repairs=("renamed '07_train_cnn (1).ipynb' to '07_train_cnn.ipynb'",), **jane),
        Record("Jane Smith_123457_assignsubmission_file_/report.pdf", "ignored", "Jane_Smith", "Jane Smith",
               "not a notebook (.ipynb)", **jane),
        Record("佐藤 花子_123459_assignsubmission_file_/07_train_cnn.ipynb", "collected", "佐藤_花子", "佐藤 花子",
               **hanako),
        Record("佐藤 花子_123459_assignsubmission_file_/draft.ipynb", "superseded", "佐藤_花子", "佐藤 花子",
               "佐藤 花子_123459_assignsubmission_file_/07_train_cnn.ipynb chosen: named as the assignment", **hanako),
        Record("山田 太郎_123456_assignsubmission_file_/07_train_cnn.ipynb", "collected", "山田_太郎", "山田 太郎",
               **taro),
    ]
    assert folders(submitted) == ["Jane_Smith", "佐藤_花子", "山田_太郎"]
    assert [marker(submitted, s) for s in folders(submitted)] == ["jane", "hanako", "taro"]
    text = format_report(report)
    assert "superseded 佐藤_花子  佐藤 花子_123459_assignsubmission_file_/draft.ipynb" in text
    assert "repaired: renamed '07_train_cnn (1).ipynb' to '07_train_cnn.ipynb'" in text
    assert text.endswith("\nignored 2, collected 3, superseded 1")


def test_moodle_zip_written_by_japanese_windows_without_the_utf8_flag(tmp_path):
    """Explorer on Japanese Windows stores names in cp932 and does not set the UTF-8 flag."""
    name = "山田 太郎_123456_assignsubmission_file_/07_train_cnn.ipynb"
    raw = name.encode("cp932")
    placeholder = b"q" * len(raw)
    zip_path = make_zip(tmp_path / "sjis.zip", [(placeholder.decode(), data(notebook("taro")))])
    zip_path.write_bytes(zip_path.read_bytes().replace(placeholder, raw))  # local and central headers
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.infolist()[0].flag_bits & 0x800 == 0  # Python reads it as cp437 mojibake
    submitted = tmp_path / "submitted"
    assert collect(A, zip_path, submitted) == [Record(name, "collected", "山田_太郎", "山田 太郎", lms_id="123456",
                                                      moodle_folder="山田 太郎_123456_assignsubmission_file_")]
    assert marker(submitted, "山田_太郎") == "taro"


def test_moodle_folders_of_moodle_4_1_and_flat_file_names(tmp_path):
    """Moodle 4.1 and later drop the folder's last "_"; "download as folders" off gives flat names."""
    zip_path = make_zip(tmp_path / "moodle41.zip", [
        ("山田 太郎_123456_assignsubmission_file/07_train_cnn.ipynb", data(notebook("taro"))),
        ("Jane Smith_123457_assignsubmission_file_07_train_cnn.ipynb", data(notebook("jane"))),
    ])
    submitted = tmp_path / "submitted"
    assert collect(A, zip_path, submitted) == [
        Record("Jane Smith_123457_assignsubmission_file_07_train_cnn.ipynb", "collected", "Jane_Smith", "Jane Smith",
               lms_id="123457", moodle_folder="Jane Smith_123457_assignsubmission_file_"),
        Record("山田 太郎_123456_assignsubmission_file/07_train_cnn.ipynb", "collected", "山田_太郎", "山田 太郎",
               lms_id="123456", moodle_folder="山田 太郎_123456_assignsubmission_file"),
    ]
    assert [marker(submitted, s) for s in folders(submitted)] == ["jane", "taro"]


def test_canvas_zip_late_marker_and_resubmissions(tmp_path):
    zip_path = make_zip(tmp_path / "canvas.zip", [
        ("yamadataro_12345_67890_07_train_cnn.ipynb", data(notebook("taro-1")), LATER),
        # Canvas renamed the re-upload -1; its later resubmission number wins over the zip time.
        ("yamadataro_late_12345_67890_07_train_cnn-1.ipynb", data(notebook("taro-2")), MORNING),
        # Canvas numbers uploads in order: upload 70002 is the newer one whatever the zip time says.
        ("suzukihanako_22222_70002_07_train_cnn.ipynb", data(notebook("hanako-2")), MORNING),
        ("suzukihanako_22222_70001_07_train_cnn.ipynb", data(notebook("hanako-1")), LATER),
        ("tanakajiro_33333_70100_07_train_cnn.py", b"print('hello')"),
        ("alice/x_1_2_07_train_cnn.ipynb", data(notebook("alice"))),  # in a folder: plain, not Canvas
    ])
    submitted = tmp_path / "submitted"
    assert collect(A, zip_path, submitted) == [
        Record("alice/x_1_2_07_train_cnn.ipynb", "collected", "alice", "alice",
               repairs=("renamed 'x_1_2_07_train_cnn.ipynb' to '07_train_cnn.ipynb'",)),
        Record("suzukihanako_22222_70001_07_train_cnn.ipynb", "superseded", "suzukihanako", "suzukihanako",
               "suzukihanako_22222_70002_07_train_cnn.ipynb chosen: Canvas upload 70002 > 70001", lms_id="22222"),
        Record("suzukihanako_22222_70002_07_train_cnn.ipynb", "collected", "suzukihanako", "suzukihanako",
               lms_id="22222"),
        Record("tanakajiro_33333_70100_07_train_cnn.py", "ignored", "tanakajiro", "tanakajiro",
               "not a notebook (.ipynb)", lms_id="33333"),
        Record("yamadataro_12345_67890_07_train_cnn.ipynb", "superseded", "yamadataro", "yamadataro",
               "yamadataro_late_12345_67890_07_train_cnn-1.ipynb chosen: resubmission 1 > 0", lms_id="12345"),
        Record("yamadataro_late_12345_67890_07_train_cnn-1.ipynb", "collected", "yamadataro", "yamadataro",
               late=True, lms_id="12345"),  # the user number (12345), not the upload number
    ]
    assert [marker(submitted, s) for s in folders(submitted)] == ["alice", "hanako-2", "taro-2"]


def test_plain_folder_with_hidden_files_links_and_a_second_run(tmp_path):
    src, outside = tmp_path / "class", tmp_path / "outside"
    write(src / "alice" / A / f"{A}.ipynb", data(notebook("alice")))
    write(src / "bob" / "work" / f"{A}.ipynb", data(notebook("bob")), MORNING)
    write(src / "bob" / f"{A}-Copy1.ipynb", data(notebook("bob-copy")), LATER)
    write(src / "carol" / "a" / f"{A}.ipynb", data(notebook("carol-a")), MORNING)
    write(src / "carol" / "b" / f"{A}.ipynb", data(notebook("carol-b")), LATER)
    write(src / "carol" / ".ipynb_checkpoints" / f"{A}-checkpoint.ipynb", data(notebook("checkpoint")))
    write(src / "README.txt", b"instructions")
    write(src / "frank" / "a.ipynb", data(notebook("frank-a")), MORNING)
    write(src / "frank" / "b.ipynb", data(notebook("frank-b")), MORNING)
    write(outside / "secret.ipynb", data(notebook("secret")))
    (src / "dave").mkdir()
    (src / "dave" / f"{A}.ipynb").symlink_to(outside / "secret.ipynb")
    (src / "erin").symlink_to(outside, target_is_directory=True)
    submitted = tmp_path / "submitted"
    expected = [
        Record("README.txt", "ignored", reason="no student in the path"),
        Record("alice/07_train_cnn/07_train_cnn.ipynb", "collected", "alice", "alice"),
        Record("bob/07_train_cnn-Copy1.ipynb", "superseded", "bob", "bob",
               "bob/work/07_train_cnn.ipynb chosen: named as the assignment"),
        Record("bob/work/07_train_cnn.ipynb", "collected", "bob", "bob"),
        Record("carol/.ipynb_checkpoints/07_train_cnn-checkpoint.ipynb", "ignored", reason="hidden or system file"),
        Record("carol/a/07_train_cnn.ipynb", "superseded", "carol", "carol",
               "carol/b/07_train_cnn.ipynb chosen: newer (2026-12-01 10:00:00 > 2026-12-01 09:00:00)"),
        Record("carol/b/07_train_cnn.ipynb", "collected", "carol", "carol"),
        Record("dave/07_train_cnn.ipynb", "rejected", "dave", "dave", "symbolic link, not followed"),
        Record("erin", "rejected", reason="symbolic link, not followed"),
        Record("frank/a.ipynb", "superseded", "frank", "frank", "frank/b.ipynb chosen: same time, last file name"),
        Record("frank/b.ipynb", "collected", "frank", "frank", repairs=("renamed 'b.ipynb' to '07_train_cnn.ipynb'",)),
    ]
    assert collect(A, src, submitted) == expected
    assert folders(submitted) == ["alice", "bob", "carol", "frank"]
    assert [marker(submitted, s) for s in folders(submitted)] == ["alice", "bob", "carol-b", "frank-b"]
    first = {p: p.read_bytes() for p in submitted.rglob("*") if p.is_file()}
    assert collect(A, src, submitted) == expected  # a second run changes nothing
    assert {p: p.read_bytes() for p in submitted.rglob("*") if p.is_file()} == first


def test_custom_pattern_with_attempt_and_late_groups(tmp_path):
    zip_path = make_zip(tmp_path / "other.zip", [
        ("s001-try1.ipynb", data(notebook("s001-1"))),
        ("s001-try2.ipynb", data(notebook("s001-2"))),
        ("s002-try1-late.ipynb", data(notebook("s002-1"))),
        ("notes.txt", b"notes"),
    ])
    submitted = tmp_path / "submitted"
    pattern = r"^(?P<student>s\d+)-try(?P<attempt>\d+)(?P<late>-late)?\.ipynb$"
    assert collect(A, zip_path, submitted, pattern=pattern) == [
        Record("notes.txt", "ignored", reason="does not match the pattern"),
        Record("s001-try1.ipynb", "superseded", "s001", "s001", "s001-try2.ipynb chosen: attempt 2 > 1"),
        Record("s001-try2.ipynb", "collected", "s001", "s001",
               repairs=("renamed 's001-try2.ipynb' to '07_train_cnn.ipynb'",)),
        Record("s002-try1-late.ipynb", "collected", "s002", "s002", late=True,
               repairs=("renamed 's002-try1-late.ipynb' to '07_train_cnn.ipynb'",)),
    ]
    assert [marker(submitted, s) for s in folders(submitted)] == ["s001-2", "s002-1"]


# --- student ids -----------------------------------------------------------------------------


def test_student_folder_names_are_safe():
    assert student_folder("山田 太郎") == "山田_太郎"
    assert student_folder("  Jane   Smith ") == "Jane_Smith"
    assert student_folder("a/b\\c") == "a_b_c"
    assert student_folder("../../etc") == "etc"
    assert student_folder(".hidden") == "hidden"
    assert student_folder("name.") == "name"
    assert student_folder("a:b*c?") == "a_b_c"
    assert student_folder("\u304b\u3099") == "\u304c"  # macOS writes が as か + ゛ (NFD)
    assert student_folder("x" * 150) == "x" * 100
    assert student_folder("..") == ""
    assert student_folder("./") == ""
    with pytest.raises(TypeError, match="expects a str"):
        student_folder(b"alice")


def test_names_that_collide_after_sanitising_are_both_rejected(tmp_path):
    zip_path = make_zip(tmp_path / "class.zip", [
        ("Taro Yamada/07_train_cnn.ipynb", data(notebook("1"))),
        ("Taro_Yamada/07_train_cnn.ipynb", data(notebook("2"))),
        ("Alice/07_train_cnn.ipynb", data(notebook("3"))),
        ("alice/07_train_cnn.ipynb", data(notebook("4"))),  # one folder on macOS and Windows
        ("山田 太郎_1_assignsubmission_file_/07_train_cnn.ipynb", data(notebook("5"))),
        ("山田 太郎_2_assignsubmission_file_/07_train_cnn.ipynb", data(notebook("6"))),
        ("sub-..-x.ipynb", data(notebook("7"))),
        ("bob/07_train_cnn.ipynb", data(notebook("bob"))),
    ])
    submitted = tmp_path / "submitted"
    taro = "student folder 'Taro_Yamada' would be shared by Taro Yamada and Taro_Yamada"
    alice = "student folder 'Alice' would be shared by Alice and alice"
    yamada = "student folder '山田_太郎' would be shared by 山田 太郎 (1) and 山田 太郎 (2)"
    assert collect(A, zip_path, submitted) == [
        Record("Alice/07_train_cnn.ipynb", "rejected", "Alice", "Alice", alice),
        Record("Taro Yamada/07_train_cnn.ipynb", "rejected", "Taro_Yamada", "Taro Yamada", taro),
        Record("Taro_Yamada/07_train_cnn.ipynb", "rejected", "Taro_Yamada", "Taro_Yamada", taro),
        Record("alice/07_train_cnn.ipynb", "rejected", "alice", "alice", alice),
        Record("bob/07_train_cnn.ipynb", "collected", "bob", "bob"),
        Record("sub-..-x.ipynb", "ignored", reason="no student in the path"),
        Record("山田 太郎_1_assignsubmission_file_/07_train_cnn.ipynb", "rejected", "山田_太郎", "山田 太郎", yamada,
               lms_id="1", moodle_folder="山田 太郎_1_assignsubmission_file_"),
        Record("山田 太郎_2_assignsubmission_file_/07_train_cnn.ipynb", "rejected", "山田_太郎", "山田 太郎", yamada,
               lms_id="2", moodle_folder="山田 太郎_2_assignsubmission_file_"),
    ]
    assert folders(submitted) == ["bob"]
    pattern = r"^sub-(?P<student>[^-]+)-"
    assert collect(A, zip_path, tmp_path / "other", pattern=pattern)[5] == Record(
        "sub-..-x.ipynb", "rejected", None, "..", "no usable student id in '..'")


# --- damaged notebooks -----------------------------------------------------------------------


def damaged(edit):
    nb = notebook("damaged")
    edit(nb)
    return nb


def duplicate_convnet(nb):
    at = next(i for i, c in enumerate(nb["cells"]) if c["id"] == "convnet")  # a solution cell
    nb["cells"].insert(at + 1, copy.deepcopy(nb["cells"][at]))


def future_nbformat(nb):
    nb["nbformat_minor"] = 9
    nb["future"] = True
    nb["cells"][0]["future_field"] = 1


def missing_fields(nb):
    del nb["metadata"]
    for key in ("metadata", "outputs", "execution_count"):
        del nb["cells"][1][key]  # 'setup', a code cell
    nb["cells"][3]["outputs"] = [{"output_type": "weird"}]  # 'data-load'


def test_damaged_notebooks_are_repaired_or_rejected_one_student_at_a_time(tmp_path):
    too_new = damaged(lambda nb: cell(nb, "test-train")["metadata"]["nbgrader"].update(schema_version=4))
    with pytest.raises(SchemaTooNewError):  # nbgrader 0.9.6 would stop the whole class here
        CheckCellMetadata().preprocess(nbformat.from_dict(copy.deepcopy(too_new)), {})
    old_minor = notebook("old-minor")
    old_minor["nbformat_minor"] = 4
    for c in old_minor["cells"]:
        del c["id"]
    deleted = notebook("deleted")
    deleted["cells"] = [c for c in deleted["cells"] if c["id"] not in ("test-convnet", "test-train")]
    old_deleted = copy.deepcopy(old_minor)
    ids = [c["id"] for c in RELEASE["cells"]]
    te, cv = ids.index("test-evaluate"), ids.index("convnet")  # where the release has them
    del old_deleted["cells"][te]
    zip_path = make_zip(tmp_path / "class.zip", [
        ("corrupt/07_train_cnn.ipynb", b'{"cells": ['),
        ("deleted/07_train_cnn.ipynb", data(deleted)),
        ("olddeleted/07_train_cnn.ipynb", data(old_deleted)),
        ("deep/07_train_cnn.ipynb", b"[" * 100_000),
        ("dupids/07_train_cnn.ipynb", data(damaged(duplicate_convnet))),
        ("fields/07_train_cnn.ipynb", data(damaged(missing_fields))),
        ("fallback/07_train_cnn.ipynb", b"\xff\xfe\x00", LATER),
        ("fallback/old/07_train_cnn.ipynb", data(notebook("fallback-old")), MORNING),
        ("future/07_train_cnn.ipynb", data(damaged(future_nbformat))),
        ("list/07_train_cnn.ipynb", b"[1, 2]"),
        ("newschema/07_train_cnn.ipynb", data(too_new)),
        ("nbformat3/07_train_cnn.ipynb", data(damaged(lambda nb: nb.update(nbformat=3)))),
        ("oldminor/07_train_cnn.ipynb", data(old_minor)),
        ("widget/07_train_cnn.ipynb", data(damaged(lambda nb: nb["cells"][3].update(cell_type="widget")))),
    ])
    submitted = tmp_path / "submitted"

    def rec(student, status, reason="", repairs=(), path=None):
        return Record(path or f"{student}/07_train_cnn.ipynb", status, student, student, reason, False, repairs)

    release = ROOT / "assignments" / A / f"{A}.ipynb"
    assert collect(A, zip_path, submitted, release=release) == [
        rec("corrupt", "rejected", "not JSON: Expecting value at line 1 column 12"),
        rec("deep", "rejected", "not a notebook: JSON nested too deeply"),
        rec("deleted", "collected", repairs=("deleted test cell 'test-convnet' put back after 'gradcheck-run'",
                                             "deleted test cell 'test-train' put back after 'train-run'")),
        rec("dupids", "collected", repairs=(f"cell {cv + 1}: repeated cell id 'convnet' changed to 'convnet-2'",
                                            f"cell {cv + 1} (convnet-2): repeated grade_id 'convnet' removed, "
                                            "the first cell with it is graded")),
        rec("fallback", "rejected", "not UTF-8 text (byte 0)"),
        rec("fallback", "collected", "1 newer file(s) unreadable", path="fallback/old/07_train_cnn.ipynb"),
        rec("fields", "collected", repairs=("notebook metadata missing, set to {}", "cell 1: missing metadata set to {}",
                                            "cell 1: missing or invalid outputs cleared",
                                            "cell 3: missing or invalid outputs cleared")),
        rec("future", "collected", repairs=("nbformat_minor 9 is newer than this nbformat (5), read as 5",
                                            "unknown top-level fields removed: future",
                                            "cell 0: unknown fields removed: future_field")),
        rec("list", "rejected", "not a notebook: the JSON is a list, not an object"),
        rec("nbformat3", "rejected", "nbformat 3 is not supported (expected 4); open and save it in a current Jupyter"),
        rec("newschema", "collected", repairs=(f"cell {ids.index('test-train')} (test-train): nbgrader schema_version 4 read as 3",)),
        rec("olddeleted", "collected", repairs=("nbformat 4.4 upgraded to 4.5",
                                                f"{len(ids) - 1} cells without an id given 'cell-<n>'",
                                                f"deleted test cell 'test-evaluate' put back after 'cell-{te - 1}'")),
        rec("oldminor", "collected", repairs=("nbformat 4.4 upgraded to 4.5", f"{len(ids)} cells without an id given 'cell-<n>'")),
        rec("widget", "rejected", "cell 3 has unknown cell_type 'widget'"),
    ]
    assert folders(submitted) == ["deleted", "dupids", "fallback", "fields", "future", "newschema", "olddeleted",
                                  "oldminor"]
    assert [marker(submitted, s) for s in folders(submitted)] == ["deleted", "damaged", "fallback-old", "damaged",
                                                                   "damaged", "damaged", "old-minor", "old-minor"]
    back = nbformat.read(str(submitted / "deleted" / A / f"{A}.ipynb"), as_version=4)
    assert [c.id for c in back.cells] == [c["id"] for c in RELEASE["cells"]]  # in their places again
    tc = ids.index("test-convnet")
    assert back.cells[tc] == nbformat.read(str(release), as_version=4).cells[tc]  # 'test-convnet' as released
    old_back = nbformat.read(str(submitted / "olddeleted" / A / f"{A}.ipynb"), as_version=4)
    assert [c.id for c in old_back.cells][te - 1:te + 2] == [f"cell-{te - 1}", "test-evaluate", f"cell-{te}"]
    dup = nbformat.read(str(submitted / "dupids" / A / f"{A}.ipynb"), as_version=4)
    assert [c.id for c in dup.cells[cv - 1:cv + 3]] == [ids[cv - 1], "convnet", "convnet-2", ids[cv + 1]]
    assert dup.cells[cv].metadata.nbgrader.grade_id == "convnet" and "nbgrader" not in dup.cells[cv + 1].metadata
    assert dup.cells[cv + 1].source == dup.cells[cv].source  # the copy still runs, as the student wrote it
    given = [c.id for c in nbformat.read(str(submitted / "oldminor" / A / f"{A}.ipynb"), as_version=4).cells]
    assert given == [f"cell-{i}" for i in range(len(ids))]


# --- hostile zips ----------------------------------------------------------------------------


def special_member(name, mode):
    info = zipfile.ZipInfo(name, MORNING)
    info.create_system = 3  # Unix: the mode bits below are read
    info.external_attr = mode << 16
    return info


def mark_encrypted(zip_path, name):
    """Set the 'encrypted' flag of member ``name`` (zipfile cannot write encrypted members)."""
    raw = bytearray(zip_path.read_bytes())
    needle = name.encode()
    at = raw.find(needle)
    while at != -1:
        for signature, header, flags in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
            if raw[at - header:at - header + 4] == signature:
                raw[at - header + flags] |= 0x1
        at = raw.find(needle, at + 1)
    zip_path.write_bytes(bytes(raw))


def test_hostile_zip_members_are_refused_and_the_class_goes_on(tmp_path):
    good = data(notebook("alice"))
    limits = Limits(max_notebook_bytes=2**20)
    bomb = b" " * (8 * 2**20)  # 8 MiB of spaces: valid JSON whitespace, compresses 1000-fold
    zip_path = make_zip(tmp_path / "class.zip", [
        ("../../evil.ipynb", good),
        ("alice/../../evil.ipynb", good),
        ("/tmp/evil.ipynb", good),
        ("C:\\Users\\evil.ipynb", good),
        (special_member("mallory/07_train_cnn.ipynb", stat.S_IFLNK | 0o777), b"/etc/passwd"),
        ("oscar/07_train_cnn.ipynb", good),
        ("zed/07_train_cnn.ipynb", b"{" + bomb + b"}"),
        ("alice/07_train_cnn.ipynb", good),
        ("twice/07_train_cnn.ipynb", good),
        ("twice/07_train_cnn.ipynb", data(notebook("other"))),  # which one? neither
    ])
    mark_encrypted(zip_path, "oscar/07_train_cnn.ipynb")
    with zipfile.ZipFile(zip_path) as z:  # the bomb really is small on disk
        assert z.getinfo("zed/07_train_cnn.ipynb").compress_size < 100_000
    submitted = tmp_path / "submitted"
    assert collect(A, zip_path, submitted, limits=limits) == [
        Record("../../evil.ipynb", "rejected", reason="unsafe path: '..' leaves the folder"),
        Record("/tmp/evil.ipynb", "rejected", reason="unsafe path: absolute"),
        Record("C:/Users/evil.ipynb", "rejected", reason="unsafe path: absolute"),
        Record("alice/../../evil.ipynb", "rejected", reason="unsafe path: '..' leaves the folder"),
        Record("alice/07_train_cnn.ipynb", "collected", "alice", "alice"),
        Record("mallory/07_train_cnn.ipynb", "rejected", "mallory", "mallory", "symbolic link, not followed"),
        Record("oscar/07_train_cnn.ipynb", "rejected", "oscar", "oscar", "encrypted"),
        Record("twice/07_train_cnn.ipynb", "rejected", reason="the zip holds this name 2 times"),
        Record("twice/07_train_cnn.ipynb", "rejected", reason="the zip holds this name 2 times"),
        Record("zed/07_train_cnn.ipynb", "rejected", "zed", "zed", "larger than 1048576 bytes"),
    ]
    notebooks = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert notebooks == ["submitted/alice/07_train_cnn/07_train_cnn.ipynb"]
    assert not Path("/tmp/evil.ipynb").exists()


def test_a_zip_header_that_understates_the_size_is_not_believed(tmp_path):
    zip_path = make_zip(tmp_path / "liar.zip", [("liar/07_train_cnn.ipynb", b"{" + b" " * 2**20 + b"}")])
    raw = bytearray(zip_path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24:central + 28] = (1000).to_bytes(4, "little")  # claim 1000 bytes uncompressed
    zip_path.write_bytes(bytes(raw))
    assert collect(A, zip_path, tmp_path / "submitted") == [
        Record("liar/07_train_cnn.ipynb", "rejected", "liar", "liar",
               "unreadable: Bad CRC-32 for file 'liar/07_train_cnn.ipynb'")]


def test_caps_on_total_size_and_number_of_files(tmp_path):
    good = data(notebook("x"))
    members = [(f"{s}/07_train_cnn.ipynb", good) for s in ("ann", "ben", "cal")]
    zip_path = make_zip(tmp_path / "class.zip", members)
    cap = 2 * len(good) + 100
    assert collect(A, zip_path, tmp_path / "submitted", limits=Limits(max_total_bytes=cap)) == [
        Record("ann/07_train_cnn.ipynb", "collected", "ann", "ann"),
        Record("ben/07_train_cnn.ipynb", "collected", "ben", "ben"),
        Record("cal/07_train_cnn.ipynb", "rejected", "cal", "cal",
               f"the total size cap ({cap} bytes) is used up"),
    ]
    with pytest.raises(ValueError, match="the zip holds 3 entries, more than 2"):
        collect(A, zip_path, tmp_path / "submitted2", limits=Limits(max_entries=2))
    for s in ("ann", "ben", "cal"):
        write(tmp_path / "folder" / s / f"{A}.ipynb", good)
    with pytest.raises(ValueError, match="holds more than 2 files"):
        collect(A, tmp_path / "folder", tmp_path / "submitted3", limits=Limits(max_entries=2))
    assert not (tmp_path / "submitted2").exists() and not (tmp_path / "submitted3").exists()


def test_a_link_planted_in_submitted_fails_that_student_only(tmp_path):
    zip_path = make_zip(tmp_path / "class.zip", [(f"{s}/07_train_cnn.ipynb", data(notebook(s))) for s in ("alice", "bob")])
    submitted, outside = tmp_path / "submitted", tmp_path / "outside"
    outside.mkdir()
    submitted.mkdir()
    (submitted / "alice").symlink_to(outside, target_is_directory=True)
    reason = f"cannot write: {submitted / 'alice' / A} resolves outside {submitted.resolve()}"
    assert collect(A, zip_path, submitted) == [
        Record("alice/07_train_cnn.ipynb", "rejected", "alice", "alice", reason),
        Record("bob/07_train_cnn.ipynb", "collected", "bob", "bob"),
    ]
    assert not list(outside.rglob("*.ipynb"))
    assert marker(submitted, "bob") == "bob"


def test_repair_notebook_wants_bytes():
    with pytest.raises(TypeError, match="expects the file's bytes, got str"):
        repair_notebook("{}")


def test_bad_arguments_raise_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="assignment must be a plain name"):
        collect("../07_train_cnn", tmp_path, tmp_path / "submitted")
    with pytest.raises(ValueError, match="assignment must be a plain name"):
        collect("a/b", tmp_path, tmp_path / "submitted")
    with pytest.raises(ValueError, match="source must be a folder or a .zip file"):
        collect(A, tmp_path / "notes.txt", tmp_path / "submitted")
    with pytest.raises(ValueError, match="source must be a folder or a .zip file"):
        collect(A, tmp_path / "missing.zip", tmp_path / "submitted")
    with pytest.raises(ValueError, match="named group for the student"):
        collect(A, tmp_path, tmp_path / "submitted", pattern=r"(?P<name>\w+)/")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        collect(A, tmp_path, tmp_path / "submitted", pattern="(")
    with pytest.raises(TypeError, match="pattern must be a regular expression string"):
        collect(A, tmp_path, tmp_path / "submitted", pattern=b"(?P<student>x)")
    with pytest.raises(ValueError, match="release must be the released notebook file"):
        collect(A, tmp_path, tmp_path / "submitted", release=tmp_path / "notes.txt")
    with pytest.raises(TypeError, match="limits must be a Limits"):
        collect(A, tmp_path, tmp_path / "submitted", limits={"max_entries": 1})
    with pytest.raises(ValueError, match="Limits.max_notebook_bytes must be a positive int, got 0"):
        Limits(max_notebook_bytes=0)
    broken = make_zip(tmp_path / "broken.zip", [("a/07_train_cnn.ipynb", b"{}")])
    broken.write_bytes(broken.read_bytes().replace(b"PK\x01\x02", b"XX\x01\x02"))  # central directory
    with pytest.raises(ValueError, match="is not a readable zip file"):
        collect(A, broken, tmp_path / "submitted")
    assert not (tmp_path / "submitted").exists()


# --- the real nbgrader -------------------------------------------------------------------------


def solved_release(course, name):
    """The release of ``name`` with every solution cell answered correctly."""
    release = json.loads((course / "assignments" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    solutions = {c.id: c.source for c in source_notebook(name).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for c in release["cells"]:
        if c["id"] in solutions:
            c["source"] = solutions[c["id"]]
    return release


def test_collected_damaged_notebooks_are_autograded_by_nbgrader(tmp_path):
    """A renamed notebook with a too-new schema_version, one with a copied test cell and one with
    two deleted test cells get full marks from ``nbgrader autograde``. Copied straight into submitted/, the copied test cell stops
    nbgrader 0.9.6 before the next student is graded (DeduplicateIds empties the copy's metadata,
    CheckCellMetadata reads it as schema 0 and raises SchemaTooOldError)."""
    name = "01_convolution"
    (tmp_path / "course").mkdir()
    course = make_course(tmp_path / "course", [name])
    solved = solved_release(course, name)
    too_new = copy.deepcopy(solved)
    cell(too_new, "test-relu")["metadata"]["nbgrader"]["schema_version"] = 4
    copied = copy.deepcopy(solved)
    at = copied["cells"].index(cell(copied, "test-relu"))
    copied["cells"].insert(at + 1, copy.deepcopy(copied["cells"][at]))  # pasted below, as Jupyter does
    deleted = copy.deepcopy(solved)
    deleted["cells"] = [c for c in deleted["cells"] if c["id"] not in ("test-conv2d-single", "test-relu")]

    # Control: the same notebooks copied straight into submitted/ stop nbgrader at the first.
    write(course / "submitted" / "Jane_Smith" / name / f"{name}.ipynb", data(copied))
    write(course / "submitted" / "z_good" / name / f"{name}.ipynb", data(solved))
    done = nbgrader(course, "autograde", name, check=False)
    assert done.returncode != 0 and "use an old version" in done.stderr
    assert not (course / "autograded" / "z_good").exists()  # the class stopped at Jane_Smith
    shutil.rmtree(course / "submitted")

    zip_path = make_zip(tmp_path / "moodle.zip", [
        ("山田 太郎_1_assignsubmission_file_/01_convolution (2).ipynb", data(too_new)),
        ("Jane Smith_2_assignsubmission_file_/01_convolution.ipynb", data(copied)),
        ("z good_3_assignsubmission_file_/01_convolution.ipynb", data(solved)),
        ("Ana_4_assignsubmission_file_/01_convolution.ipynb", data(deleted)),
    ])
    release = course / "assignments" / name / f"{name}.ipynb"
    report = collect(name, zip_path, course / "submitted", release=release)
    assert [(r.student, r.status, len(r.repairs)) for r in report] == [
        ("Ana", "collected", 2), ("Jane_Smith", "collected", 2), ("z_good", "collected", 0), ("山田_太郎", "collected", 2)]
    nbgrader(course, "autograde", name)
    full = {"test-conv2d-single": 3.0, "test-conv2d-multi": 3.0, "test-relu": 1.0}
    assert scores(course, name) == {"Ana": full, "Jane_Smith": full, "z_good": full, "山田_太郎": full}

    # Why not nbgrader's own OverwriteCells.add_missing_cells: with the answer cell before a
    # deleted test cell also gone, it raises KeyError and the student's whole notebook fails.
    both_gone = copy.deepcopy(solved)
    both_gone["cells"] = [c for c in both_gone["cells"] if c["id"] not in ("relu", "test-relu")]
    resources = {"nbgrader": {"notebook": name, "assignment": name, "db_url": f"sqlite:///{course / 'gradebook.db'}"}}
    with pytest.raises(KeyError, match="relu"):
        OverwriteCells(add_missing_cells=True).preprocess(nbformat.reads(json.dumps(both_gone), 4), resources)
    restored = nbformat.reads(json.dumps(both_gone), 4)
    assert restore_test_cells(restored, nbformat.read(str(release), as_version=4)) == [
        "deleted test cell 'test-relu' put back after 'relu-explain'"]
