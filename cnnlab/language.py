"""Which language cnnlab speaks: Japanese (``"ja"``) or English (``"en"``).

The choice, strongest first: :func:`set_language`, the ``CNNLAB_LANG`` environment variable,
the locale (``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``), else English.
"""

import locale
import os

LANGUAGES = ("ja", "en")
_chosen = None


def set_language(lang):
    """Choose the language of feedback and widget labels: ``"ja"`` or ``"en"``.

    ``set_language(None)`` goes back to the automatic choice (``CNNLAB_LANG``, then the locale).
    """
    global _chosen
    if lang is not None and not isinstance(lang, str):
        raise TypeError(f"set_language expects 'ja' or 'en' (or None), got {type(lang).__name__}")
    if lang is not None and _normalise(lang) is None:
        raise ValueError(f"set_language expects 'ja' or 'en', got {lang!r}")
    _chosen = None if lang is None else _normalise(lang)


def get_language():
    """The language in use now: ``"ja"`` or ``"en"``."""
    if _chosen is not None:
        return _chosen
    from_env = _normalise(os.environ.get("CNNLAB_LANG", ""))
    if from_env is not None:
        return from_env
    return _from_locale()


def tr(ja, en):
    """Pick the Japanese or the English text, whichever language is in use."""
    return ja if get_language() == "ja" else en


def _normalise(lang):
    lang = lang.strip().lower().replace("-", "_")
    if lang.startswith("ja"):
        return "ja"
    if lang.startswith("en"):
        return "en"
    return None


def _from_locale():
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    try:
        name = locale.getlocale(locale.LC_MESSAGES)[0] or ""
    except (ValueError, AttributeError):
        name = ""
    return "ja" if name.lower().startswith("ja") else "en"
