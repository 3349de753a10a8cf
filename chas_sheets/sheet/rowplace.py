"""Where a removed row stood, and where undo puts it back (pure: no I/O).

A row is placed by its neighbours' IDs, never by its row number: people sort, insert and delete
rows between a run and its undo. When a run removes a row, `Efter` of its `(rad borttagen)` log
row holds `RowPlace` as JSON: the IDs of the nearest rows with an ID above and below it at that
moment (`""` above: only the header is above it; `""` below: nothing below it). A log written
before this was logged has a blank `Efter`: no place, the row goes back at the end of its tab.

Putting it back (`RowSlots.put`): between its two neighbours when both are there and still next
to each other (blank rows between them do not count); below the one above, or above the one
below, when the other is gone; nowhere (None: the caller appends it at the end and says so) when
both are gone, or they are no longer next to each other (the tab was sorted, or rows were moved
or typed between them). Rows put back earlier in the same write count as rows, so several
neighbouring rows removed by one run come back in their order.

Positions are fractions: a row as read at sheet row r is r; a row put back between r and r+1
gets a fraction in between. The final sheet rows come from `final_rows`, once the write knows
which rows it deletes.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class RowPlace:
    above: str  # ID of the nearest row with an ID above; "" = the header
    below: str  # ID of the nearest row with an ID below; "" = none

    def to_json(self) -> str:
        return json.dumps({"above": self.above, "below": self.below}, ensure_ascii=False)

    @classmethod
    def from_log(cls, text: Any) -> RowPlace | None:
        """`Efter` of a `(rad borttagen)` log row -> its place; None for an old (blank) or unreadable one."""
        if not isinstance(text, str) or not text.strip().startswith("{"):
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("above", "below")):
            return None
        return cls(data["above"], data["below"])


def place_of(row: int, ordered: Sequence[int], ids_by_row: Mapping[int, str], gone: Container[int] = ()) -> RowPlace:
    """The place of sheet row `row` among the data rows `ordered` (ascending sheet rows, each
    with its ID in `ids_by_row`), rows in `gone` (removed by the same write already) left out."""
    up = bisect.bisect_left(ordered, row) - 1
    while up >= 0 and ordered[up] in gone:
        up -= 1
    down = bisect.bisect_right(ordered, row)
    while down < len(ordered) and ordered[down] in gone:
        down += 1
    return RowPlace(ids_by_row[ordered[up]] if up >= 0 else "",
                    ids_by_row[ordered[down]] if down < len(ordered) else "")


class RowSlots:
    """One tab's rows in order (ID -> sheet row as read) and the rows put back between them."""

    def __init__(self, positions: Mapping[str, int], header_row: int):
        self.header_row = header_row
        self.keys: dict[str, Fraction] = {row_id: Fraction(row) for row_id, row in positions.items()}
        self.order: list[Fraction] = sorted(self.keys.values())
        self.put_back: dict[str, Fraction] = {}  # row ID -> position, in the order they were put

    def has(self, row_id: str) -> bool:
        return row_id in self.keys

    def _key(self, row_id: str) -> Fraction | None:
        return self.keys.get(row_id) if row_id else None

    def _between(self, low: Fraction, high: Fraction) -> bool:
        """Any row strictly between the two positions?"""
        at = bisect.bisect_right(self.order, low)
        return at < len(self.order) and self.order[at] < high

    def _after(self, key: Fraction) -> Fraction:
        """A position directly below `key`, above the next row (and the next sheet row)."""
        at = bisect.bisect_right(self.order, key)
        nxt = min(self.order[at], math.floor(key) + 1) if at < len(self.order) else math.floor(key) + 1
        return (key + nxt) / 2

    def _before(self, key: Fraction) -> Fraction:
        """A position directly above `key`, below the row before it (and the sheet row before)."""
        at = bisect.bisect_left(self.order, key)
        floor = math.ceil(key) - 1
        prev = max(self.order[at - 1], Fraction(floor)) if at > 0 else Fraction(floor)
        return (prev + key) / 2

    def where(self, place: RowPlace | None) -> Fraction | None:
        """The position the row goes to, None when its neighbours are gone or moved apart."""
        if place is None:
            return None
        above = Fraction(self.header_row) if place.above == "" else self._key(place.above)
        below = self._key(place.below)
        if above is not None and below is not None:
            if above >= below or self._between(above, below):
                return None  # no longer next to each other: sorted, moved, or rows typed between
            return self._after(above)
        if above is not None:  # the one below is gone (or there was none): below the one above
            return self._after(above)
        if below is not None:
            return self._before(below)
        return None

    def put(self, row_id: str, place: RowPlace | None) -> Fraction | None:
        """Put a row back where `where` says; its ID then counts as a row for the next one."""
        key = self.where(place)
        if key is None:
            return None
        if row_id:
            self.keys[row_id] = key
        bisect.insort(self.order, key)
        self.put_back[row_id or f"#{len(self.put_back)}"] = key
        return key


def final_rows(keys: Iterable[Fraction], deleted: Iterable[int]) -> list[int]:
    """The sheet rows the rows put back at `keys` stand on once the write is done: the write
    deletes `deleted` (sheet rows as read) first, then inserts them top to bottom. Ascending, in
    the order of `keys` sorted."""
    gone = sorted(set(deleted))
    rows = []
    for i, key in enumerate(sorted(keys)):
        anchor = math.floor(key)  # the row as read it goes below
        rows.append(anchor - bisect.bisect_right(gone, anchor) + 1 + i)
    return rows
