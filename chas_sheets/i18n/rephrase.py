"""A message worded in one language, worded again in another.

For text that was made once, in the sheet language, and kept as text: a CRM's error in the
nightly is raised deep in another package (a backend, a planner) while the CRM is processed in
Swedish, because the Dashboard shows it; the person running the night in English should read
it in English. The exception holds only its finished sentence, so the sentence is matched back
to the catalog message it was made from.

Each catalog message in `source` is a pattern, its placeholders wildcards; of the messages
that match the whole text, the one with the most fixed text wins, and its wording in `target`
is filled with what each placeholder held (itself rephrased when it is a catalog message too:
`register {name}: {error}`). Text no catalog message matches (Google's own error, a name people
typed) comes back as it was: never worse than the one wording it had.
"""

from __future__ import annotations

import re
import struct
from functools import cache

from chas_sheets.i18n import LOCALE_DIR

# A format field ({name}, {n:,}, {value!r}, {0}, {}), or a doubled brace (a brace as text).
_FIELD = re.compile(r"\{\{|\}\}|\{(\w*)(?:[!:][^{}]*)?\}")
_LETTERS = re.compile(r"[^\W\d_]{3}")
DEPTH = 3  # a message inside a message inside a message; deeper is rare and stays as it is


def rephrased(text: str, target: str, source: str) -> str:
    """`text`, a message in `source`, worded in `target` (unchanged when no catalog message is
    `text`'s, or when the languages are the same)."""
    if source == target or not text:
        return text
    return _rephrased(text, target, source, DEPTH)


def _rephrased(text: str, target: str, source: str, depth: int) -> str:
    best = None
    for pattern in _patterns(source, target):
        if pattern.anchor not in text:  # cheap: most messages share no fixed text with it
            continue
        found = pattern.regex.fullmatch(text)
        if found and (best is None or pattern.fixed > best[0].fixed):
            best = (pattern, found)
    if best is None:
        return text
    pattern, found = best
    values = {}
    for group, name in pattern.groups:
        value = found.group(group)
        values.setdefault(name, _rephrased(value, target, source, depth - 1) if depth > 1 else value)
    return _FIELD.sub(lambda m: _filled(m, values), pattern.wording(values))


def _filled(field: re.Match, values: dict[str, str]) -> str:
    if field.group(0) in ("{{", "}}"):
        return field.group(0)[0]
    return values.get(field.group(1), field.group(0))


class _Pattern:
    """One catalog message in the source language as a regex, and its wording in the target."""

    def __init__(self, said: str, forms: list[str], index: int = 0):
        parts, fixed, literal = [], [], ""
        self.groups: list[tuple[str, str]] = []  # (regex group, placeholder name)
        last = 0
        for field in _FIELD.finditer(said):
            literal += said[last:field.start()]
            last = field.end()
            if field.group(0) in ("{{", "}}"):
                literal += field.group(0)[0]
                continue
            parts.append(re.escape(literal))
            fixed.append(literal)
            literal = ""
            group = f"g{len(self.groups)}"
            self.groups.append((group, field.group(1)))
            parts.append(f"(?P<{group}>.+?)")
        literal += said[last:]
        parts.append(re.escape(literal))
        fixed.append(literal)
        self.regex = re.compile("".join(parts), re.DOTALL)
        self.fixed = sum(len(part) for part in fixed)
        self.anchor = max(fixed, key=len)
        self.has_words = bool(_LETTERS.search(" ".join(fixed)))
        self.forms, self.index = forms, index

    def wording(self, values: dict[str, str]) -> str:
        """The target's form: a count's own (Swedish says '3 CRM', English '3 CRMs'), else the
        form of the same index as the one matched."""
        count = values.get("n", "")
        if len(self.forms) > 1 and count.isdigit():
            return self.forms[0 if int(count) == 1 else 1]  # both languages: plural=(n != 1)
        return self.forms[min(self.index, len(self.forms) - 1)]


@cache
def _patterns(source: str, target: str) -> tuple[_Pattern, ...]:
    """Every catalog message that can be told from others by its fixed text (a word at least)."""
    said, wording = _messages(source), _messages(target)
    found = []
    for key, forms in said.items():
        other = wording.get(key)
        if not other:
            continue
        for form in dict.fromkeys(forms):  # a form said the same way twice: one pattern
            pattern = _Pattern(form, other, forms.index(form))
            if pattern.has_words:
                found.append(pattern)
    return tuple(found)


@cache
def _messages(lang: str) -> dict[tuple[str, str | None], list[str]]:
    """(msgid, msgid_plural) -> the message's forms in `lang`; English is the msgids themselves.
    Read from the compiled catalogs (gettext's own reader keeps no msgid_plural)."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for mo in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.mo")):
        for original, translated in _read_mo(mo.read_bytes()):
            if not original or "\x04" in original:  # the header; a message with a context
                continue
            one, _, many = original.partition("\x00")
            key = (one, many or None)
            if lang == "en":
                found[key] = [one, many] if many else [one]
            elif mo.parent.parent.name == lang and key not in found:
                found[key] = translated.split("\x00")
    return found


def _read_mo(data: bytes) -> list[tuple[str, str]]:
    """(original, translation) pairs of a GNU .mo file (the format gettext documents)."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    pairs = []
    for i in range(count):
        olen, ooff = struct.unpack(order + "2I", data[originals + 8 * i: originals + 8 * i + 8])
        tlen, toff = struct.unpack(order + "2I", data[translations + 8 * i: translations + 8 * i + 8])
        pairs.append((data[ooff:ooff + olen].decode("utf-8"), data[toff:toff + tlen].decode("utf-8")))
    return pairs
