"""The repository stands alone: a fresh clone in an empty folder collects every test, and no
tracked file reads or links a path outside the repository.

A course that an instructor adopts is a clone, with nothing beside it. CI's checkout happens to
have other folders next to it, so only a clone made here, in an empty folder, proves it.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from course import ROOT

# Where documentation points at a path: Markdown links, HTML href/src, and `inline code` that
# looks like a path. Fenced code blocks are commands (an output folder of the user's choosing),
# not links, and are left out.
FENCE = re.compile(r"^```.*?^```", flags=re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)|(?:href|src)=\"([^\"]+)\"|`((?:\.{1,2}/)*[\w.\-]+/[\w.\-/]*)`")
# The folders that lay beside the repository where it was written; code never names them.
# The sibling folder's name is spelled in pieces so that this file itself names no outside path.
SIBLING = "sha" + "red"
OUTSIDE_NAMES = re.compile(SIBLING + r"/(?:curriculum\.md|lectures)|[\"']" + SIBLING + r"[\"']\s*/|/work/(?:main|"
                           + SIBLING + r"|wt)\b")
OUT = "../../" + SIBLING + "/curriculum.md"   # a link that leaves the repository


def tracked_text_files():
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in names.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file():
            continue
        try:
            yield path, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files (images) hold no paths


def documentation(path, text):
    """The prose of a Markdown file or of a notebook's markdown cells (else nothing)."""
    if path.suffix == ".md":
        return text
    if path.suffix == ".ipynb":
        return "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    return ""


def links_outside(path, prose):
    """The paths that ``prose`` (in ``path``'s folder) points at outside the repository."""
    found = []
    for groups in LINK.findall(FENCE.sub("", prose)):
        target = next(g for g in groups if g).split("#")[0]
        if not target or "://" in target or target.startswith(("mailto:", "<")):
            continue
        if not (path.parent / target).resolve().is_relative_to(ROOT):
            found.append(target)
    return found


def test_the_detectors_find_what_they_look_for():
    readme = ROOT / "course" / "README.md"
    assert links_outside(readme, "see [the API](../docs/curriculum.md)") == []
    assert links_outside(readme, f"see [the API]({OUT})") == [OUT]
    assert links_outside(readme, f"as in `{OUT}`") == [OUT]
    assert links_outside(readme, "```bash\ncnnlab student-repo ../../course-out\n```") == []
    assert links_outside(readme, "[Binder](https://mybinder.org/v2/gh/a/b/HEAD)") == []
    assert OUTSIDE_NAMES.search(f'CURRICULUM = ROOT.parent / "{SIBLING}" / "curriculum.md"')
    assert OUTSIDE_NAMES.search(f"open('/work/{SIBLING}/lectures/000.txt')")


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    offenders = {}
    for path, text in tracked_text_files():
        if path == Path(__file__):
            continue  # this file names the patterns it looks for
        bad = links_outside(path, documentation(path, text)) + OUTSIDE_NAMES.findall(text)
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def collected(folder):
    """How many tests ``python -m pytest --collect-only -q`` finds in ``folder`` (asserting it succeeds)."""
    env = {**os.environ, "PYTHONPATH": str(folder)}  # the clone's own cnnlab, not the installed one
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"collection failed in {folder}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    counts = re.findall(r"^(\d+) tests? collected", done.stdout, flags=re.M)
    assert counts, done.stdout[-2000:]
    return int(counts[-1])


def test_a_fresh_clone_in_an_empty_folder_collects_every_test(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    clone = empty / "cnnlab"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300)
    assert sorted(p.name for p in empty.iterdir()) == ["cnnlab"]  # nothing beside the clone
    dirty = subprocess.run(["git", "status", "--porcelain", "tests"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert not dirty, "commit the changes under tests/ first: the clone holds only what is committed"
    assert collected(clone) == collected(ROOT)
