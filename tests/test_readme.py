"""The README's two commands are the ones CI and newcomers run, and their extras bring what they run."""

import ast
import importlib.metadata
import re
import sys
import tomllib

from course import ROOT


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))[:2]


def requirement_names(requirements):
    return {re.match(r"[A-Za-z0-9_.-]+", r).group().lower().replace("_", "-") for r in requirements}


def resolved_extra(name):
    """Distribution names an extra of cnnlab installs directly: the base install, the extra's
    own requirements and those of the extras it names (``cnnlab[lab,grade]``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names, todo, seen = requirement_names(project["dependencies"]), [name], set()
    while todo:
        extra = todo.pop()
        seen.add(extra)
        for requirement in project["optional-dependencies"][extra]:
            nested = re.fullmatch(r"cnnlab\[([\w,\s]+)\]", requirement.replace(" ", ""))
            if nested:
                todo += [e for e in nested.group(1).split(",") if e not in seen]
            else:
                names |= requirement_names([requirement])
    return names


def test_the_readme_opens_with_launch_and_test_commands():
    launch, test = readme_commands()
    assert launch == 'python -m pip install -e ".[lab]" && python -m jupyterlab'
    assert "pip install -e \".[test]\"" in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    _, test = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_the_launch_extra_brings_jupyterlab_and_the_validate_button():
    assert {"jupyterlab", "nbgrader"} <= resolved_extra("lab")


def test_the_test_extra_brings_every_package_the_tests_import():
    """Each third-party module imported in tests/ comes from a distribution the test extra names
    (not from whatever a dependency happens to pull in)."""
    modules = set()
    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    local = {path.stem for path in (ROOT / "tests").glob("*.py")} | {"cnnlab"}
    third_party = sorted(m for m in modules - local if m not in sys.stdlib_module_names)
    assert {"pytest", "nbformat", "nbgrader", "playwright"} <= set(third_party)
    installed = importlib.metadata.packages_distributions()
    declared = resolved_extra("test")
    missing = {m: installed.get(m) for m in third_party
               if not {d.lower().replace("_", "-") for d in installed.get(m, [m])} & declared}
    assert not missing, f"imported by tests/ but not named by the test extra: {missing}"
