"""Fixtures shared by the test files."""

import pytest

import cnnlab.language


@pytest.fixture
def english():
    """Assert on English messages; the previous language choice comes back afterwards.

    A test file that asserts on English text says ``pytestmark = pytest.mark.usefixtures("english")``.
    """
    mp = pytest.MonkeyPatch()
    mp.setattr(cnnlab.language, "_chosen", "en")
    yield
    mp.undo()
