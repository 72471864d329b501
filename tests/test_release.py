"""The committed student release is exactly what nbgrader makes from solutions/, and it is clean."""

import ast
import json
import re
from pathlib import Path

import pytest

from course import ASSIGNMENTS, ROOT, make_course

# The graded API lives in the repository (docs/curriculum.md); these tests keep it true.
CURRICULUM = ROOT / "docs" / "curriculum.md"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("release"))


def notebooks(folder):
    return sorted(p.relative_to(folder) for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_the_committed_release_is_what_nbgrader_generates(regenerated):
    committed = ROOT / "assignments"
    assert notebooks(committed) == notebooks(regenerated / "assignments")
    for relative in notebooks(committed):
        ours = (committed / relative).read_text(encoding="utf-8")
        theirs = (regenerated / "assignments" / relative).read_text(encoding="utf-8")
        assert ours == theirs, f"{relative} drifted: run `nbgrader generate_assignment {relative.parts[0]} --force`"


def test_every_source_assignment_is_released():
    assert sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()) == ASSIGNMENTS
    assert sorted(p.name for p in (ROOT / "assignments").iterdir() if p.is_dir()) == ASSIGNMENTS


def all_committed_notebooks():
    return [p for folder in ("solutions", "assignments", "course") for p in sorted((ROOT / folder).rglob("*.ipynb"))
            if ".ipynb_checkpoints" not in p.parts]


@pytest.mark.parametrize("path", all_committed_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_committed_clean_with_stable_ids(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs its own explicit id"
    assert all(re.fullmatch(r"[a-z0-9-_]+", i) for i in ids), "ids are readable names, not random hashes"
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, f"cell {c['id']} has outputs"


# Answer cells graded through another cell's test: 07's `my-functions` (the student's 01-06
# functions, pasted in) is what `test-convnet`'s gradient check exercises.
GRADED_ELSEWHERE = {"07_train_cnn": {"my-functions"}}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_grade_ids_match_cell_ids_and_every_function_has_points(name):
    nb = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    solutions = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    for c in nb["cells"]:
        if "nbgrader" in c["metadata"]:
            assert c["metadata"]["nbgrader"]["grade_id"] == c["id"]
    elsewhere = GRADED_ELSEWHERE.get(name, set())
    assert elsewhere <= {c["id"] for c in solutions}
    assert len(graded) == len(solutions) - len(elsewhere) >= 2
    for test in graded:
        assert test["metadata"]["nbgrader"]["points"] > 0
        assert "### BEGIN HIDDEN TESTS" in "".join(test["source"])


def curriculum_section(section):
    text = CURRICULUM.read_text(encoding="utf-8")
    assert f"## {section}" in text, f"docs/curriculum.md has no section for {section}"
    return text.split(f"## {section}")[1].split("\n## ")[0]


def curriculum_signatures(section):
    """{name: [(param, default), ...]} from the curriculum's table for ``section``."""
    body = curriculum_section(section)
    found = {}
    for first_cell in re.findall(r"^\| (`\w+\([^|]*)\|", body, flags=re.M):
        for call in re.findall(r"`(\w+\([^`]*\))`", first_cell):  # a row may name two functions
            tree = ast.parse(f"def {call}: pass").body[0]
            found[tree.name] = params(tree)
    return found


def params(func):
    args = func.args.args
    defaults = [None] * (len(args) - len(func.args.defaults)) + [ast.literal_eval(d) for d in func.args.defaults]
    return [(a.arg, d) for a, d in zip(args, defaults)]


# Only assignments whose curriculum table names functions (07's graded API is a class and a
# training loop: its rows name them without a call, and test_train_cnn.py checks the contract).
@pytest.mark.parametrize("name", [a for a in ASSIGNMENTS if curriculum_signatures(a)])
def test_stubs_keep_the_curriculum_signatures_and_raise_not_implemented(name):
    expected = curriculum_signatures(name)
    assert expected, f"curriculum.md has no table for {name}"
    nb = json.loads((ROOT / "assignments" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    stubs = {}
    for c in nb["cells"]:
        if c["metadata"].get("nbgrader", {}).get("solution"):
            tree = ast.parse("".join(c["source"]))
            func = tree.body[0]
            stubs[func.name] = params(func)
            assert isinstance(func.body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(func.body[-1])
            assert ast.get_docstring(func), f"{func.name} lost its docstring"
    assert stubs == expected


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_release_hides_solutions_and_hidden_tests(name):
    text = (ROOT / "assignments" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "seed="):
        assert secret not in text


def curriculum_points(section):
    """{lower-case name: points} from the last column of the curriculum's table for ``section``."""
    found = {}
    for first, last in re.findall(r"^\| ([^|]+)\|.*\| (\d+) \|$", curriculum_section(section), flags=re.M):
        names = re.findall(r"`(\w+)\(", first) or [first.strip()]
        for name in names:
            found[name.lower()] = int(last)
    return found


def graded_points(name):
    """{checked name: points} from the solution notebook's graded test cells (``check_<name>(...)``)."""
    nb = json.loads((ROOT / "solutions" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    found = {}
    for c in nb["cells"]:
        meta = c["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            checked = re.findall(r"check_(\w+)\(", "".join(c["source"]))
            assert checked, f"graded cell {c['id']} calls no check"
            found[checked[0]] = meta["points"]
    return found


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_curriculum_gives_every_graded_function_its_points(name):
    assert curriculum_points(name) == graded_points(name)


def test_the_curriculum_names_every_course_notebook_it_teaches_with():
    text = CURRICULUM.read_text(encoding="utf-8")
    named = set(re.findall(r"^\| [^|]+\| `(\d\d_\w+)` \|", text, flags=re.M))
    assert named, "the topic table of docs/curriculum.md lists no lecture notebook"
    for stem in named:
        assert (ROOT / "course" / f"{stem}.ipynb").exists(), f"docs/curriculum.md names course/{stem}.ipynb"
