"""Row guards: the write batch fails, whole, if a person inserted or deleted rows in a tab
after the verify read (rows are written and deleted by position, so shifted rows would take
the run's values, and `deleteDimension` would remove another lead).

The Sheets API has no conditional write, and a batchUpdate addresses rows only by index.
What it does offer (discovery document, `DeveloperMetadata`): metadata on a row "will remain
associated at those locations as they move around": inserting a row above it moves it down
one, and "if the associated object is deleted then its metadata is deleted too"; and a
`metadataId` is "spreadsheet-scoped unique", so creating one under an id that exists fails
the whole batch (the lock, google_lock, rests on the same rule).

So: one guard per tab the run may write, on the tab's bottom grid row (every row the run
writes lies above it, so any row inserted or deleted above one of them moves the guard):
- placed in the batch whose answer is the verify read (the lock's take), so the guard's row
  is known exactly in that snapshot;
- checked first in the write batch: delete the guard only at EXACT_LOCATION of that row,
  then create it there again. If it moved, the delete matches nothing and the create fails
  (the id exists elsewhere) — or the delete itself fails — and nothing of the batch is
  applied. Then it is deleted, before any of the run's own writes move rows.
Not covered here: a sort (whether row metadata follows a sort is not documented, see
/work/shared/research/google-sheets-api.md, so nothing may rest on it), and an edit typed into
a cell the run writes in the same instant: both are caught by the write's own copy of the
rows it writes (google_window), and put back. Nor a person deleting the guard's own (bottom,
normally empty) row. Pure request builders; no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

GUARD_KEY = "chas-sheets-rows"


@dataclass(frozen=True)
class Guard:
    metadata_id: int
    sheet_id: int
    row: int  # 0-based grid row it sits on


def guard_id(seed: str, sheet_id: int, attempt: int) -> int:
    """An id per apply (`seed`: run id and a random part), tab and attempt (int32, positive):
    a retry never collides with the guard of an earlier attempt, which may still be there."""
    digest = hashlib.sha256(f"{GUARD_KEY} {seed} {sheet_id} {attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


def guards_for(tabs: Iterable[tuple[int, int]], seed: str, attempt: int) -> list[Guard]:
    """Guards for tabs given as (sheetId, rowCount) of the state the run last read."""
    return [Guard(guard_id(seed, sheet_id, attempt), sheet_id, rows - 1) for sheet_id, rows in tabs if rows > 0]


def _row(guard: Guard) -> dict:
    return {"dimensionRange": {"sheetId": guard.sheet_id, "dimension": "ROWS",
                               "startIndex": guard.row, "endIndex": guard.row + 1}}


def _create(guard: Guard, value: str) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": guard.metadata_id, "metadataKey": GUARD_KEY, "metadataValue": value,
        "location": _row(guard), "visibility": "DOCUMENT"}}}


def place(guards: Iterable[Guard], value: str) -> list[dict]:
    return [_create(guard, value) for guard in guards]


def check_and_remove(guards: Iterable[Guard], value: str) -> list[dict]:
    """The front of the write batch: fails it if a guard is no longer on its row."""
    requests: list[dict] = []
    for guard in guards:
        requests.append({"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
            "metadataId": guard.metadata_id, "metadataLocation": _row(guard),
            "locationMatchingStrategy": "EXACT_LOCATION"}}}})
        requests.append(_create(guard, value))
        requests.append(remove(guard))
    return requests


def remove(guard: Guard) -> dict:
    return {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataId": guard.metadata_id}}}}


def moved(guard: Guard, found: dict | None) -> bool:
    """True when the guard (as `developerMetadata.get` gave it, None when gone) left its row."""
    if found is None:
        return True
    dim = (found.get("location") or {}).get("dimensionRange") or {}
    return (dim.get("sheetId", 0), dim.get("startIndex")) != (guard.sheet_id, guard.row)
