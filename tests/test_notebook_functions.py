"""cnnlab.notebook_functions: functions taken out of real notebooks, and nothing else run.

Notebooks are written at test time with nbformat; one test loads the 02 solution's loop
convolution and compares it with the loop oracle of tests/oracles.py.
"""

import traceback

import nbformat
import numpy as np
import pytest

import cnnlab
from cnnlab.notebook_functions import load_functions
from course import ROOT
from oracles import loops_correlate


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def notebook(tmp_path, *cells, name="mine.ipynb"):
    """A notebook whose code cells hold ``cells`` (markdown cells in between, as in a real one)."""
    nb = nbformat.v4.new_notebook()
    for k, source in enumerate(cells):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## part {k}"))
        nb.cells.append(nbformat.v4.new_code_cell(source))
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def test_a_function_comes_with_the_helpers_it_calls_from_its_own_notebook(tmp_path):
    path = notebook(tmp_path, "def double(x):\n    return 2 * x",
                    "def quadruple(x):\n    return double(double(x))\n\nprint(quadruple(1))")
    loaded = load_functions(path, ["quadruple"])
    assert list(loaded) == ["quadruple"]
    assert loaded["quadruple"](3) == 12                     # 2 * (2 * 3)


def test_numpy_imports_come_along_and_a_later_definition_wins(tmp_path):
    path = notebook(tmp_path, "import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view",
                    "def total(x):\n    return -1",
                    "def total(x):\n    return np.sum(sliding_window_view(x, 2)[:, 0])")
    # windows of [1, 2, 3, 4]: [1, 2], [2, 3], [3, 4]; their first entries 1 + 2 + 3 = 6
    assert load_functions(path, ["total"])["total"](np.array([1, 2, 3, 4])) == 6


def test_nothing_but_the_definitions_runs(tmp_path):
    marker = tmp_path / "ran.txt"
    path = notebook(
        tmp_path,
        f"open({str(marker)!r}, 'w').write('top level')\n\ndef f(x):\n    return x + 1\n\nraise SystemExit",
        f"def g(x):\n    open({str(marker)!r}, 'w').write('body')\n    return x",
        "%timeit f(1)\n!echo hello\nassert False, 'a test cell'")
    loaded = load_functions(path, ["f", "g"])
    assert loaded["f"](1) == 2
    assert not marker.exists()                              # no top-level statement ran
    assert loaded["g"](5) == 5 and marker.read_text() == "body"   # a body runs when called, not before


def test_magic_lines_do_not_hide_a_definition(tmp_path):
    path = notebook(tmp_path, "%%time\ndef f(x):\n    return 3 * x\n!ls")
    assert load_functions(path, ["f"])["f"](2) == 6


@pytest.mark.parametrize("source, words", [
    ("import functools\n\n@functools.cache\ndef f(x):\n    return x", "has a decorator"),
    ("def f(x, stride=print('side effect')):\n    return x", r"print\('side effect'\), which is not a constant"),
    ("import os\n\ndef f(x):\n    return os.getcwd()", "f in .* uses os, which the loader does not bring along"),
    ("SCALE = 3\n\ndef f(x):\n    return SCALE * x", "uses SCALE"),
])
def test_code_that_would_run_at_definition_or_needs_more_is_refused(tmp_path, capsys, source, words):
    path = notebook(tmp_path, source)
    with pytest.raises(ValueError, match=words):
        load_functions(path, ["f"])
    assert capsys.readouterr().out == ""


def test_local_names_are_not_mistaken_for_missing_globals(tmp_path):
    source = '''
def f(x, *rest, scale=2, **options):
    """Every kind of local name."""
    import math
    total = 0
    for i, value in enumerate(x):
        total += value * scale
    squares = [k * k for k in range(3)]            # 0 + 1 + 4
    def inner(y):
        return y
    try:
        raise ValueError
    except ValueError as error:
        caught = error
    return inner(total) + sum(squares) + math.floor(0.5) + len(rest) + len(options)
'''
    # (1 + 2) * 2 + 5 + 0 + 1 + 1
    assert load_functions(notebook(tmp_path, source), ["f"])["f"]([1, 2], "r", flag=True) == 13


def test_annotations_are_not_evaluated_or_required(tmp_path):
    path = notebook(tmp_path, "def f(x: NotDefinedAnywhere) -> AlsoMissing:\n    y: Unknown = x * 2\n    return y")
    assert load_functions(path, ["f"])["f"](4) == 8


def test_a_traceback_names_the_notebook_and_cell_and_shows_the_students_line(tmp_path):
    first = notebook(tmp_path, "def f(x):\n    y = x + 1\n    return y / 0", name="first.ipynb")
    f = load_functions(first, ["f"])["f"]
    load_functions(notebook(tmp_path, "def f(x):\n    return x", name="second.ipynb"), ["f"])   # the same cell index
    with pytest.raises(ZeroDivisionError) as failure:
        f(1)
    frame = traceback.extract_tb(failure.tb)[-1]
    assert frame.filename == f"{first} (cell 1)" and frame.line == "return y / 0"


def test_a_name_the_notebook_does_not_define_is_named_with_what_it_does_define(tmp_path):
    path = notebook(tmp_path, "def im2col(x):\n    return x", "this is not python (")
    with pytest.raises(ValueError, match=r"defines no function col2im \(cells \[3\] are not plain Python.*\)\. "
                                         r"Functions it defines: im2col"):
        load_functions(path, ["col2im"])


def test_bad_paths_and_names_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebook at .*nowhere.ipynb"):
        load_functions(tmp_path / "nowhere.ipynb", ["f"])
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [ not json')
    with pytest.raises(ValueError, match="cannot be read as a notebook"):
        load_functions(broken, ["f"])
    path = notebook(tmp_path, "def f(x):\n    return x")
    for names in ("f", [], [1], None):
        with pytest.raises(TypeError, match="names must be a list of function names"):
            load_functions(path, names)
    with pytest.raises(TypeError, match="path must be the notebook's path"):
        load_functions(3, ["f"])


def test_the_japanese_message(tmp_path):
    cnnlab.set_language("ja")
    with pytest.raises(FileNotFoundError, match="ノートブック .* がありません"):
        load_functions(tmp_path / "nowhere.ipynb", ["f"])


def test_the_loop_convolution_of_the_02_solution_agrees_with_the_loop_oracle():
    path = ROOT / "solutions" / "02_padding_stride" / "02_padding_stride.ipynb"
    conv_forward = load_functions(path, ["conv_forward"])["conv_forward"]
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    np.testing.assert_allclose(conv_forward(x, w, b, stride=2, pad=1), loops_correlate(x, w, b, stride=2, pad=1),
                               rtol=1e-12, atol=1e-12)
