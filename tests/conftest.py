"""Fixtures shared by the test files, and how pytest-xdist shares the tests between workers."""

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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Keep each test file on one xdist worker (``--dist loadgroup``), unless a test names its group.

    Most files share one expensive module fixture (a graded class, a built environment): split
    across workers it would be built twice. A file whose fixture is per-parameter (the autograde
    of each assignment) marks its own groups, so its assignments grade on both workers at once.
    Runs before xdist's own hook, which reads the marks.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
