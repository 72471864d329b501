import pytest

import cnnlab
from cnnlab.language import tr


@pytest.fixture(autouse=True)
def reset(monkeypatch):
    for var in ("CNNLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    yield
    cnnlab.set_language(None)


def test_set_language_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("CNNLAB_LANG", "en")
    cnnlab.set_language("ja")
    assert cnnlab.get_language() == "ja" and tr(ja="はい", en="yes") == "はい"


def test_the_environment_variable_wins_over_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.setenv("CNNLAB_LANG", "en")
    assert cnnlab.get_language() == "en"


@pytest.mark.parametrize("lang, expected", [("ja_JP.UTF-8", "ja"), ("en_US.UTF-8", "en"), ("C.UTF-8", "en"), ("de_DE", "en")])
def test_the_locale_decides_last(monkeypatch, lang, expected):
    monkeypatch.setenv("LANG", lang)
    assert cnnlab.get_language() == expected


def test_none_goes_back_to_automatic(monkeypatch):
    monkeypatch.setenv("CNNLAB_LANG", "ja")
    cnnlab.set_language("en")
    cnnlab.set_language(None)
    assert cnnlab.get_language() == "ja"


@pytest.mark.parametrize("bad, error", [("fr", ValueError), ("", ValueError), (1, TypeError)])
def test_unknown_languages_are_refused(bad, error):
    with pytest.raises(error, match="'ja' or 'en'"):
        cnnlab.set_language(bad)
