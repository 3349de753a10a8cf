"""One language for people: every message a person reads passes through this module.

Messages are written in English in the code (the msgids) and translated by gettext catalogs,
one per package: `chas_sheets/locale/<lang>/LC_MESSAGES/<package>.po`, compiled with Babel to
the `.mo` beside it (`python scripts/catalogs.py compile`; tests/test_catalogs.py holds the
compiled files to their sources and the sources to the code).

Swedish is the default. English is chosen by `--lang en`, `CHAS_SHEETS_LANG=en`, or a locale
that says English (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`, in gettext's order).

What the tool writes into sheets (`sheet_`) is always in the sheet language, Swedish: the
people reading a shared sheet are the programme's, whoever ran the tool and in which locale.

Usage: `_("wrote {n} changes").format(n=...)` (translate first, then format: an f-string
would be formatted before the catalog could see it); `ngettext(one, many, n)` for counts;
`N_()` marks a constant translated later with `_()`. Code, `--json` keys and developer logs
stay English and never pass through here.

`in_language(lang)` words a block in `lang`: a message made there by code that does not know
who reads it (an error raised in another package that ends up in a sheet cell) comes out in
that language; `in_language(SHEET_LANGUAGE)` around such a block makes it sheet text.
"""

from __future__ import annotations

import gettext as _gettext
import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
SHEET_LANGUAGE = "sv"
LANG_ENV = "CHAS_SHEETS_LANG"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_chosen: str | None = None
_translations: dict[str, _gettext.NullTranslations] = {}


def choose_language(environ=None) -> str:
    """The language of the messages: CHAS_SHEETS_LANG, else the first locale variable set
    (gettext's order), else Swedish. A locale in neither language (C, de_DE) means Swedish."""
    environ = os.environ if environ is None else environ
    explicit = (environ.get(LANG_ENV) or "").strip().lower()
    if explicit:
        return _known(explicit) or DEFAULT_LANGUAGE
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            # LANGUAGE may list several ("sv:en"): the first one we have wins
            for candidate in value.split(":"):
                found = _known(candidate.strip().lower())
                if found:
                    return found
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _known(spelling: str) -> str | None:
    code = spelling.split(".")[0].split("@")[0].replace("-", "_").split("_")[0]
    return code if code in LANGUAGES else None


def set_language(language: str | None) -> None:
    """Fix the language of messages for this process (`--lang`); None: choose from the environment."""
    global _chosen
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    _chosen = language


def chosen_language() -> str | None:
    """The language `set_language` fixed (None: the environment chooses)."""
    return _chosen


def language() -> str:
    return _chosen or choose_language()


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """Messages made inside the block are in `lang`; the language before it is back after it
    (also when the block raises). Process-wide, like `set_language`: for a block of the run's
    own work, not for threads that speak at the same time."""
    global _chosen
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    before = _chosen
    _chosen = lang
    try:
        yield
    finally:
        _chosen = before


def translation(lang: str) -> _gettext.NullTranslations:
    """Every package's catalog for `lang`, chained: a msgid is looked up in each in turn.
    English is the msgids themselves."""
    found = _translations.get(lang)
    if found is None:
        found = _gettext.NullTranslations()
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        if lang != "en" and folder.is_dir():
            for mo in sorted(folder.glob("*.mo")):
                with open(mo, "rb") as handle:
                    found.add_fallback(_gettext.GNUTranslations(handle))
        _translations[lang] = found
    return found


def _(message: str) -> str:
    """`message` in the language people read."""
    return translation(language()).gettext(message)


def ngettext(one: str, many: str, number: int) -> str:
    """The form of `one`/`many` for `number`, in the language people read (not yet formatted)."""
    return translation(language()).ngettext(one, many, number)


def sheet_(message: str) -> str:
    """`message` in the sheet language, for text written into a sheet's cells."""
    return translation(SHEET_LANGUAGE).gettext(message)


def sheet_ngettext(one: str, many: str, number: int) -> str:
    return translation(SHEET_LANGUAGE).ngettext(one, many, number)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for "mark only"
    """Mark `message` for the catalogs without translating it now (module constants)."""
    return message


def help_msgid(text: str) -> str:
    """The msgid of a command's docstring or an option's `help=`: the text as Click shows it
    (cleaned like a docstring, cut at the form feed that ends what Click shows). The catalogs
    tool extracts docstrings the same way."""
    return inspect.cleandoc(text).partition("\f")[0].rstrip()
