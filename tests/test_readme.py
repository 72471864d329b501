"""The README's two commands are the ones CI and newcomers run."""

import re

from course import ROOT


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))[:2]


def test_the_readme_opens_with_launch_and_test_commands():
    launch, test = readme_commands()
    assert "pip install -e ." in launch and "jupyterlab" in launch
    assert "pip install -e \".[test]\"" in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    _, test = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines
