"""Forgiving text matching shared by headers, vocabularies and company names.

`fold` is for *matching only*: the value people typed is never rewritten with it.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[\W_]+")  # letters of every script stay: "Яндекс", "שטראוס" are names too


def strip_diacritics(text: str) -> str:
    """'Skåne Ö' -> 'Skane O' (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(value: object) -> str:
    """Case, spaces, punctuation and diacritics folded away: 'E-post ' -> 'epost'."""
    if value is None:
        return ""
    return _NOT_ALNUM.sub("", strip_diacritics(str(value)).lower())


def one_line(text: object, most: int | None = None) -> str:
    """Text fit for a one-line message: line breaks and runs of spaces folded (a tab title or
    header people typed may hold line breaks), cut with '…' past `most` characters."""
    line = " ".join(str(text).split())
    return line if most is None or len(line) <= most else line[: most - 1] + "…"


def fold_words(value: object) -> str:
    """Like `fold` but keeps word boundaries as single spaces: 'Inget  svar!' -> 'inget svar'."""
    if value is None:
        return ""
    return " ".join(_NOT_ALNUM.split(strip_diacritics(str(value)).lower())).strip()


def counted(number: int, one: str, many: str) -> str:
    """'1 change', '2 changes', '0 changes': a count with its noun in the right number."""
    return f"{number} {one if number == 1 else many}"
