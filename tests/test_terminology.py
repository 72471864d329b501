"""One Japanese term per idea in every text a student reads.

Scanned: every cell (markdown and code, so comments and docstrings too) of every notebook in
course/, solutions/ and assignments/, and every string literal of every ``cnnlab/**/*.py`` (messages,
hints, widget labels and captions, docstrings). String literals are read with ``ast``, so Python
identifiers and comments in cnnlab/ do not count; f-strings are read part by part.

The terms are the lecture texts' words:

====================================  ===============================================
use                                   instead of
====================================  ===============================================
交差エントロピー誤差                  クロスエントロピー, 交差エントロピー (without 誤差)
ウィンドウ                            窓, ウインドウ, ウィンドー
チャネル                              チャンネル
特徴マップ                            地図, 特徴地図, 特徴量マップ, フィーチャーマップ
MAXプーリング / 平均プーリング        最大(値)プーリング, max プーリング, 平均値プーリング, ...
平行移動同変性 / 平行移動不変性       等価性, 等価表現, 普遍性
====================================  ===============================================

"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from course import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]

# One Japanese term per idea (the lecture texts' words): a variant found anywhere fails.
FORBIDDEN_TERMS = {
    r"クロス[・･\s]*エントロピー": "交差エントロピー誤差",
    r"交差エントロピー(?!誤差)": "交差エントロピー誤差",
    r"窓": "ウィンドウ",
    r"ウインドウ|ウィンドー": "ウィンドウ",
    r"チャンネル": "チャネル",
    r"特徴地図|地図|特徴量マップ|フィーチャー?マップ": "特徴マップ",
    r"最大値?プーリング|マックス[・\s]*プーリング|(?:max|Max)\s*プーリング|MAX\s+プーリング": "MAXプーリング",
    r"平均値プーリング|アベレージ[・\s]*プーリング|(?:average|Average)\s*プーリング": "平均プーリング",
    r"等価性|等価表現|普遍性": "平行移動同変性 (equivariance) / 平行移動不変性 (invariance)",
}

def forbidden_terms(text):
    """[(variant found, term to use)] for every forbidden variant in ``text``."""
    return [(m.group(0), use) for pattern, use in FORBIDDEN_TERMS.items() for m in re.finditer(pattern, text)]


def string_literals(source):
    """[(line, text)] of every str constant in Python ``source`` (docstrings and f-string parts too)."""
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def student_notebooks():
    found = sorted(ROOT.glob("course/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb")) \
        + sorted(ROOT.glob("assignments/*/*.ipynb"))
    return found


NOTEBOOKS = student_notebooks()
MODULES = sorted((ROOT / "cnnlab").rglob("*.py"))


def name(path):
    return str(path.relative_to(ROOT))


# ----------------------------------------------------------------------------------------------
# The scanner itself

def test_forbidden_terms_are_caught():
    # The patterns find the variants and leave the course's own terms alone.
    assert forbidden_terms("ソフトマックスとクロスエントロピー、3 チャンネル、左上の窓、縦エッジの地図、最大プーリング") == [
        ("クロスエントロピー", "交差エントロピー誤差"), ("窓", "ウィンドウ"), ("チャンネル", "チャネル"),
        ("地図", "特徴マップ"), ("最大プーリング", "MAXプーリング")]
    assert [found for found, _ in forbidden_terms("max プーリング、交差エントロピー、平行移動に対する等価性")] == [
        "交差エントロピー", "max プーリング", "等価性"]
    assert forbidden_terms("交差エントロピー誤差、ウィンドウ、チャネル、特徴マップ、MAXプーリング、平均プーリング、"
                           "平行移動不変性、平行移動同変性、ソフトマックス、max pooling") == []


def test_string_literals_are_read_and_identifiers_and_comments_are_not():
    source = ('窓 = "チャンネル 0"  # 最大プーリング\n'
              'def f(地図):\n'
              '    """クロスエントロピー"""\n'
              '    return f"{地図} の窓"\n')
    found = [(line, variant) for line, text in string_literals(source) for variant, _ in forbidden_terms(text)]
    assert found == [(1, "チャンネル"), (3, "クロスエントロピー"), (4, "窓")]


def test_the_scan_covers_every_student_text():
    names = {name(path) for path in NOTEBOOKS}
    for lecture in ("01_convolution", "04_pooling", "07_inside_a_cnn", "08_architectures"):
        assert f"course/{lecture}.ipynb" in names
    for assignment in ASSIGNMENTS:
        assert f"solutions/{assignment}/{assignment}.ipynb" in names
        assert f"assignments/{assignment}/{assignment}.ipynb" in names
    modules = {name(path) for path in MODULES}
    assert {"cnnlab/nn.py", "cnnlab/widgets/sliding.py", "cnnlab/checks/hints.py",
            "cnnlab/data/__init__.py"} <= modules


# ----------------------------------------------------------------------------------------------
# The texts

@pytest.mark.parametrize("path", NOTEBOOKS, ids=name)
def test_notebook_terminology_is_unified(path):
    problems = [f"{cell.id}: '{found}' -> use '{use}'"
                for cell in nbformat.read(str(path), as_version=4).cells
                for found, use in forbidden_terms(cell.source)]
    assert not problems, f"{name(path)}: terms differ from the course's: " + "; ".join(problems)


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_cnnlab_strings_use_the_course_terms(path):
    problems = [f"line {line}: '{found}' -> use '{use}'"
                for line, text in string_literals(path.read_text(encoding="utf-8"))
                for found, use in forbidden_terms(text)]
    assert not problems, f"{name(path)}: terms differ from the course's: " + "; ".join(problems)
