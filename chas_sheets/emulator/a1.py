"""A1 notation: parse `'Sheet 1'!A1:B2`, `A:A`, `2:2`, `A2:2` into grid spans and back.

Pure functions; which sheet a bare name means is decided by the store, which knows the
titles and named ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^([A-Za-z]{1,3}\d+|R\d*C\d*)$", re.IGNORECASE)


class A1Error(ValueError):
    "Text that is not A1 notation."


@dataclass(frozen=True)
class Span:
    """A rectangle of a sheet, 0-based, end exclusive; None means unbounded."""

    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def clamp(self, row_count: int, col_count: int) -> "Span":
        "The concrete rectangle this span covers on a grid of the given size."
        return Span(
            self.start_row or 0,
            min(self.end_row, row_count) if self.end_row is not None else row_count,
            self.start_col or 0,
            min(self.end_col, col_count) if self.end_col is not None else col_count,
        )

    def exceeds(self, row_count: int, col_count: int) -> bool:
        "Whether an explicitly given bound lies outside the grid."
        return any(
            bound is not None and bound > limit
            for bound, limit in (
                (self.end_row, row_count),
                (self.end_col, col_count),
                (None if self.start_row is None else self.start_row + 1, row_count),
                (None if self.start_col is None else self.start_col + 1, col_count),
            )
        )

    @property
    def is_single_cell(self) -> bool:
        return (
            None not in (self.start_row, self.end_row, self.start_col, self.end_col)
            and self.end_row - self.start_row == 1
            and self.end_col - self.start_col == 1
        )


def column_letters(index: int) -> str:
    "0 -> A, 25 -> Z, 26 -> AA."
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    "A -> 0, AA -> 26."
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """`'My sheet'!A1:B2` -> ("My sheet", "A1:B2"); a bare word -> (None, word)."""
    if text.startswith("'"):
        title, i = [], 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(text[i])
            i += 1
        else:
            raise A1Error(f"Unable to parse range: {text}")
        rest = text[i + 1 :]
        if rest == "":
            return "".join(title), None
        if not rest.startswith("!"):
            raise A1Error(f"Unable to parse range: {text}")
        return "".join(title), rest[1:] or None
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells or None
    return None, text


def _parse_corner(text: str) -> tuple[int | None, int | None]:
    match = _CELL.match(text)
    if not match or not (match.group(1) or match.group(2)):
        raise A1Error(text)
    letters, digits = match.groups()
    row = int(digits) - 1 if digits else None
    if row is not None and row < 0:
        raise A1Error(text)
    return row, column_index(letters) if letters else None


def parse_cells(text: str) -> Span:
    """`A1`, `A1:B2`, `A:B`, `1:2`, `A2:2`, `B2:A1` (normalised) -> Span."""
    parts = text.split(":")
    if len(parts) > 2:
        raise A1Error(text)
    (r1, c1) = _parse_corner(parts[0])
    if len(parts) == 1:
        if r1 is None or c1 is None:
            raise A1Error(text)
        return Span(r1, r1 + 1, c1, c1 + 1)
    (r2, c2) = _parse_corner(parts[1])
    if r1 is not None and r2 is not None and r1 > r2:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c1 > c2:
        c1, c2 = c2, c1
    # `A2:2` and `A1:B` leave one side open: the missing bound is the grid's edge.
    start_row = r1 if r1 is not None else (None if r2 is None else 0)
    start_col = c1 if c1 is not None else (None if c2 is None else 0)
    end_row = r2 + 1 if r2 is not None else None
    end_col = c2 + 1 if c2 is not None else None
    if r1 is not None and r2 is None:
        end_row = None
    if c1 is not None and c2 is None:
        end_col = None
    return Span(start_row or 0, end_row, start_col or 0, end_col)


def is_a1_cells(text: str) -> bool:
    try:
        parse_cells(text)
    except A1Error:
        return False
    return True


def quote_title(title: str) -> str:
    "Google quotes a title in a range unless it is a plain word that is no cell name."
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_cells(span: Span) -> str:
    "A concrete span -> `A1` or `A1:B2`."
    start = f"{column_letters(span.start_col)}{span.start_row + 1}"
    if span.is_single_cell:
        return start
    return f"{start}:{column_letters(span.end_col - 1)}{span.end_row}"


def format_range(title: str, span: Span) -> str:
    return f"{quote_title(title)}!{format_cells(span)}"
