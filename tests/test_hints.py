"""cnnlab.hint: the formula first, then the next step, in both languages; never the answer's code."""

import contextlib
import io

import pytest

import cnnlab
from cnnlab import checks
from cnnlab.checks.hints import HINTS
from test_checks import ANSWER_EXPRESSIONS


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def shown(name):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cnnlab.hint(name)
    return out.getvalue()


def test_every_check_has_hints_of_at_least_two_steps():
    assert set(HINTS) == set(checks.CHECKS)
    assert all(len(steps) >= 2 and all(ja and en for ja, en in steps) for steps in HINTS.values())


def test_a_hint_gives_the_formula_then_the_next_step_then_stays_there():
    first, second, third = shown("relu_backward"), shown("relu_backward"), shown("relu_backward")
    assert first.startswith("Hint 1/2 (relu_backward)") and "(0, 0, 0, 4, 5)" in first and "call again" in first
    assert second.startswith("Hint 2/2") and "call again" not in second and third == second
    cnnlab.set_language("ja")
    assert shown("conv_forward").startswith("ヒント 1/2（conv_forward）")
    assert shown("ConvNet").startswith("ヒント 1/2（convnet）")


def test_an_unknown_name_is_refused_with_the_names():
    with pytest.raises(ValueError, match="no hint for 'relu_forward'.*relu_backward"):
        cnnlab.hint("relu_forward")


@pytest.mark.parametrize("name", sorted(HINTS))
def test_no_hint_is_the_answers_code(name):
    for ja, en in HINTS[name]:
        assert not [e for e in ANSWER_EXPRESSIONS if e in ja or e in en], name
