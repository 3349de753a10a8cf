"""The window between the verify read and the write: a person who sorts a tab or types into
a cell the run writes in that instant. Pure request builders and checks; no I/O.

Rows are found by ID in the verify read but written and deleted by position (a batchUpdate
names a row only by its index), and the Sheets API has no conditional write. Row guards
(google_guard) refuse a write when rows were inserted or deleted; a sort or an edit they do
not see (whether row metadata follows a sort is not documented). What IS documented, and
what this rests on:
- a batchUpdate is applied atomically and its requests in order ("if any request is not
  valid, then no request will be applied"; "the requests will be applied in the order they
  are specified");
- `copyPaste` with PASTE_NORMAL copies "values, formulas, formats, and merges";
- `includeSpreadsheetInResponse` + `responseRanges` + `responseIncludeGridData` answer with
  the spreadsheet as it is after the whole batch, in the same request.

So the write batch first copies every row it is about to write or delete (as they are at
that very moment, inside the batch) into a hidden scratch tab at the SAME row and column
(a formula's relative references are then not shifted, so its text survives the round
trip), and asks for those scratch rows in its answer. Comparing them with the verify read
tells, with no extra request, whether the rows the batch wrote were the ones planned:
- equal: the normal case, nothing more to do (3 requests: read, verify, write);
- not equal (a sort moved other rows under the positions, or a person typed into a cell):
  the batch is undone from the copy — deleted rows inserted again where they were, every
  cell it wrote pasted back (values, formulas, formats, notes), a tab it created deleted —
  in the batch that takes the lock again, whose answer is the next verify read; then the
  run plans again by ID and writes again. A person's edit is then seen by compare-and-set
  (their value kept, the cell reported as skipped); a sort is harmless, rows being found by
  ID. The undo is checked the same way (its own copy, compared with what the write left).

The scratch tab cannot be deleted in the write batch itself (the answer shows the state
after the batch, so a deleted tab would not be in it), and a request of its own would make
every write cost 4. It is deleted by a later batch that is sent anyway: the next write of
the same apply, or the write of a later run once it is older than the lock's lease (a
younger one may still be needed by the run that made it, to undo its write).

A later run finds it without reading every tab: each scratch tab is recorded, in the batch
that adds it, as spreadsheet-level developer metadata (key `chas-sheets-kontroll`, value
"<sheetId> <title>"). Spreadsheet-level metadata is part of the spreadsheet resource itself
(`Spreadsheet.developerMetadata`), so it comes with a read that names only some tabs
(`ranges`, `responseRanges`), which lists only those tabs' sheets. The record goes with the
tab's deletion. A tab a person deleted by hand leaves its record behind: deleting that tab
again is refused ("No grid with id"), so the write is sent again without it, the record
deleted (see GoogleSpreadsheet._apply_held). Scratch tabs of versions that did not record
them are found by their title when a run reads every tab: a spreadsheet's first write
under this scheme reads every tab in its verify read (as before), deletes the stale ones by
title and marks the spreadsheet (`REGISTERED_KEY`), after which verify reads name their tabs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from chas_sheets.backends.google_format import SheetInfo, sheet_grid
from chas_sheets.sheet.values import is_blank, values_equal
from chas_sheets.sheet.writeplan import TabWrites, column_letter

SCRATCH_PREFIX = "chas-sheets kontroll "
KEPT_PREFIX = "chas-sheets behållet "  # scratch tabs kept (and shown) when an undo could not be checked
_STAMP = "%Y%m%dT%H%M%SZ"
_SCRATCH = re.compile(r"^chas-sheets kontroll (\d{8}T\d{6}Z) ")


@dataclass
class Capture:
    """One written tab's rows copied into a scratch tab, as they were inside the batch."""

    title: str
    sheet_id: int
    scratch_id: int
    scratch_title: str
    rows: list[int]  # 0-based rows, at the same index in the scratch tab
    width: int  # columns 0..width


@dataclass
class Written:
    """What one write batch did to one tab, in the positions of the state it was planned on."""

    title: str
    sheet_id: int
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # 0-based (row, col) -> value
    deleted: list[int] = field(default_factory=list)  # 0-based rows
    created: bool = False  # the batch added this tab
    # Rows put back where they stood (writeplan.RowInsert), inserted after the deletions: 0-based
    # rows as they stand after the write; and the rows (as planned on) of the neighbours that
    # placed them, copied with the rest so a sort that moved them is seen.
    inserted: list[int] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)


SCRATCH_KEY = "chas-sheets-kontroll"  # the spreadsheet-level developer metadata recording a scratch tab
REGISTERED_KEY = "chas-sheets-kontroll-registrerade"  # every scratch tab here is recorded


def registered(book: Mapping[str, Any]) -> bool:
    return any(meta.get("metadataKey") == REGISTERED_KEY for meta in book.get("developerMetadata") or ())


def registered_request() -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": REGISTERED_KEY, "metadataValue": "1", "location": {"spreadsheet": True},
        "visibility": "DOCUMENT"}}}


@dataclass(frozen=True)
class Record:
    """A scratch tab as its developer metadata records it (the tab may be gone)."""

    metadata_id: int
    sheet_id: int
    title: str


def is_scratch(title: str) -> bool:
    return title.startswith(SCRATCH_PREFIX)


def record_request(sheet_id: int, title: str) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": SCRATCH_KEY, "metadataValue": f"{sheet_id} {title}",
        "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}}}


def records_in(book: Mapping[str, Any]) -> list[Record]:
    """The scratch tabs recorded in a spreadsheet resource's spreadsheet-level metadata."""
    found = []
    for meta in book.get("developerMetadata") or ():
        if meta.get("metadataKey") != SCRATCH_KEY or meta.get("metadataId") is None:
            continue
        sheet_id, _, title = str(meta.get("metadataValue") or "").partition(" ")
        if sheet_id.isdigit():
            found.append(Record(int(meta["metadataId"]), int(sheet_id), title))
    return found


def forget_request(record: Record) -> dict:
    return {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "metadataId": record.metadata_id}}}}


def forget_by_value(sheet_id: int, title: str) -> dict:
    """The record of a scratch tab whose metadata id is not known (deleting none is no error)."""
    return {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "locationType": "SPREADSHEET", "metadataKey": SCRATCH_KEY, "metadataValue": f"{sheet_id} {title}"}}}}


def is_stale(title: str, now: dt.datetime, lease_seconds: float) -> bool:
    """Older than the lock's lease (no run can still need it); an unreadable stamp counts as old."""
    match = _SCRATCH.match(title)
    try:
        made = dt.datetime.strptime(match.group(1), _STAMP).replace(tzinfo=dt.timezone.utc) if match else None
    except ValueError:
        made = None
    return made is None or (now - made).total_seconds() > lease_seconds


def scratch_title(now: dt.datetime, token: str, n: int) -> str:
    return f"{SCRATCH_PREFIX}{now.astimezone(dt.timezone.utc).strftime(_STAMP)} {token}-{n}"


def stale_scratch(infos: Iterable[SheetInfo], now: dt.datetime, lease_seconds: float) -> list[int]:
    """Scratch tabs older than the lock's lease (no run can still need them): deleted by the
    next take; an unreadable stamp counts as old."""
    return [info.sheet_id for info in infos if is_scratch(info.title) and is_stale(info.title, now, lease_seconds)]


def delete_sheets(sheet_ids: Iterable[int]) -> list[dict]:
    return [{"deleteSheet": {"sheetId": sheet_id}} for sheet_id in sheet_ids]


# What a write batch does --------------------------------------------------------------
def written(plan_tabs: Mapping[str, TabWrites], infos: Mapping[str, SheetInfo]) -> list[Written]:
    """The cells, deletions and new tabs of a plan, as `google_format.tab_requests` writes
    them (a tab rewritten whole is tool-owned and written again by the next plan: left out)."""
    found = []
    for title, writes in plan_tabs.items():
        if writes.replace is not None:
            continue
        info = infos.get(title)
        if info is None:
            found.append(Written(title, -1, created=True))
            continue
        cells: dict[tuple[int, int], Any] = {}
        for col, text in writes.header_cells.items():
            cells[(writes.header_row - 1, col)] = text
        for (row, col), value in writes.cells.items():
            cells[(row - 1, col)] = value
        for i, line in enumerate(writes.appends):
            for col, value in enumerate(line):
                cells[(writes.first_append_row - 1 + i, col)] = value
        found.append(Written(title, info.sheet_id, cells, sorted({r - 1 for r in writes.deletes}),
                             inserted=[i.row - 1 for i in writes.inserts],
                             anchors=sorted({n - 1 for i in writes.inserts for n in i.neighbours})))
    return found


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted numbers as [start, end) runs: 3,4,5,9 -> (3,6),(9,10)."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n:
            runs[-1] = (runs[-1][0], n + 1)
        else:
            runs.append((n, n + 1))
    return runs


def _range(sheet_id: int, rows: tuple[int, int], cols: tuple[int, int]) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": rows[0], "endRowIndex": rows[1],
            "startColumnIndex": cols[0], "endColumnIndex": cols[1]}


def _paste(source_id: int, dest_id: int, rows: tuple[int, int], cols: tuple[int, int]) -> dict:
    return {"copyPaste": {"source": _range(source_id, rows, cols), "destination": _range(dest_id, rows, cols),
                          "pasteType": "PASTE_NORMAL", "pasteOrientation": "NORMAL"}}


# The copy, inside the batch ---------------------------------------------------------------
def plan_captures(rows_by_tab: Mapping[str, Iterable[int]], infos: Mapping[str, SheetInfo],
                  make_id: Callable[[], int], title_of: Callable[[int], str]) -> list[Capture]:
    """Which rows of which tab to copy: those inside the grid (a row beyond it holds nothing)."""
    captures = []
    for title, rows in rows_by_tab.items():
        info = infos.get(title)
        if info is None:
            continue
        inside = sorted({r for r in rows if 0 <= r < info.rows})
        if inside and info.columns:
            captures.append(Capture(title, info.sheet_id, make_id(), title_of(len(captures)), inside, info.columns))
    return captures


def write_rows(done: Iterable[Written]) -> dict[str, list[int]]:
    """The rows a write touches: where it writes cells, the rows it deletes, and the neighbours
    of the rows it puts back (where they go is where those stand)."""
    return {w.title: sorted({r for r, _ in w.cells} | set(w.deleted) | set(w.anchors)) for w in done if not w.created}


def capture_requests(captures: Sequence[Capture]) -> list[dict]:
    """A hidden scratch tab per written tab, sized to hold the rows, and the copies."""
    requests: list[dict] = []
    for cap in captures:
        requests.append({"addSheet": {"properties": {
            "sheetId": cap.scratch_id, "title": cap.scratch_title, "hidden": True, "sheetType": "GRID",
            "gridProperties": {"rowCount": cap.rows[-1] + 1, "columnCount": cap.width}}}})
        requests.append(record_request(cap.scratch_id, cap.scratch_title))
        for run in _runs(cap.rows):
            requests.append(_paste(cap.sheet_id, cap.scratch_id, run, (0, cap.width)))
    return requests


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


MAX_RANGES_PER_COPY = 50  # beyond this, one range from the first to the last copied row (blank rows are cheap)


def response_ranges(captures: Sequence[Capture], written_titles: Iterable[str]) -> list[str]:
    """The copied rows, and one cell of each tab written in place (its size comes with it,
    for the row guards of an undo). Never empty when asked for: no ranges means the whole
    spreadsheet with every cell."""
    ranges = []
    for cap in captures:
        last = column_letter(cap.width)
        runs = _runs(cap.rows)
        if len(runs) > MAX_RANGES_PER_COPY:
            runs = [(runs[0][0], runs[-1][1])]
        ranges += [f"{_quoted(cap.scratch_title)}!A{start + 1}:{last}{end}" for start, end in runs]
    ranges += [f"{_quoted(title)}!A1:A1" for title in written_titles]
    return ranges


RESPONSE_FIELDS = ("updatedSpreadsheet(sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
                   "data(startRow,startColumn,rowData.values(userEnteredValue,effectiveValue,"
                   "userEnteredFormat.numberFormat,effectiveFormat.numberFormat))))")


def grids_of(book: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """Every tab's cells in a spreadsheet resource, formulas as their text."""
    return {s.get("properties", {}).get("title", ""): sheet_grid(s, formulas=True) for s in book.get("sheets") or ()}


# Checking -------------------------------------------------------------------------------
def _cell(grid: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    line = grid[row] if row < len(grid) else ()
    return line[col] if col < len(line) else None


def _same(a: Any, b: Any) -> bool:
    """Same stored cell: a formula by its text (its result in the scratch tab is another)."""
    if is_blank(a) or is_blank(b):
        return is_blank(a) and is_blank(b)
    return values_equal(str(a), str(b)) if isinstance(a, str) and isinstance(b, str) else values_equal(a, b)


def moved_rows(captures: Sequence[Capture], copies: Mapping[str, list[list[Any]]],
               expected: Mapping[str, Callable[[int, int], Any]]) -> list[tuple[str, int]]:
    """(tab, 1-based row) of every copied row that is not as expected, cell by cell over the
    whole row: another row moved there (a sort) or a person typed into it. A missing copy
    (it cannot be: it was made in the same atomic batch) counts as every row differing."""
    found = []
    for cap in captures:
        copy = copies.get(cap.scratch_title)
        want = expected[cap.title]
        for row in cap.rows:
            if copy is None or any(not _same(_cell(copy, row, col), want(row, col)) for col in range(cap.width)):
                found.append((cap.title, row + 1))
    return found


def as_read(grid: Sequence[Sequence[Any]]) -> Callable[[int, int], Any]:
    return lambda row, col: _cell(grid, row, col)


def after_write(capture_grid: Sequence[Sequence[Any]], done: Written) -> Callable[[int, int], Any]:
    """A row as the write left it (the undo's expectation): what was there, with the write's
    cells; a deleted row is put back on a new, blank row, so blank."""
    deleted = set(done.deleted)

    def cell(row: int, col: int) -> Any:
        if row in deleted:
            return None
        if (row, col) in done.cells:
            return done.cells[(row, col)]
        return _cell(capture_grid, row, col)
    return cell


# The undo -------------------------------------------------------------------------------
def undo_requests(done: Sequence[Written], captures: Sequence[Capture], created_ids: Mapping[str, int]
                  ) -> tuple[list[dict], list[dict], dict[str, list[int]]]:
    """Put back what a write overwrote or removed, from its copy. First the rows it inserted (rows
    undo put back where they stood) are deleted, bottom up; then the deleted rows are
    inserted again where they were (ascending, so every row is back at the index it had);
    then each written cell, and each deleted row whole, is pasted back from the copy; a cell
    the copy does not hold (beyond the grid then) is cleared; a tab the write added goes.
    Returns (inserts, the rest, the rows the rest touches per tab): the undo's own copy of
    those rows goes between the two, so it can be checked like the write."""
    by_title = {cap.title: cap for cap in captures}
    inserts: list[dict] = []
    pastes: list[dict] = []
    touched: dict[str, list[int]] = {}
    for w in done:
        if w.created:
            if w.title in created_ids:
                pastes.append({"deleteSheet": {"sheetId": created_ids[w.title]}})
            continue
        cap = by_title.get(w.title)
        captured = set(cap.rows) if cap else set()
        for row in sorted(w.inserted, reverse=True):  # the rows it put back go first: the rest is as after its deletions
            inserts.append({"deleteDimension": {"range": {"sheetId": w.sheet_id, "dimension": "ROWS",
                                                          "startIndex": row, "endIndex": row + 1}}})
        for row in w.deleted:
            inserts.append({"insertDimension": {"range": {"sheetId": w.sheet_id, "dimension": "ROWS",
                                                          "startIndex": row, "endIndex": row + 1}}})
        cols_by_row: dict[int, set[int]] = {}
        for row, col in w.cells:
            cols_by_row.setdefault(row, set()).add(col)
        for row in w.deleted:
            cols_by_row.setdefault(row, set()).update(range(cap.width) if cap else ())
        for row, cols in sorted(cols_by_row.items()):
            for run in _runs(cols):
                if cap is not None and row in captured and run[1] <= cap.width:
                    pastes.append(_paste(cap.scratch_id, w.sheet_id, (row, row + 1), run))
                else:  # nothing was there when the write came: clear what it put there
                    pastes.append({"updateCells": {"range": _range(w.sheet_id, (row, row + 1), run),
                                                   "fields": "userEnteredValue,userEnteredFormat.numberFormat"}})
        touched[w.title] = sorted(cols_by_row)
    return inserts, pastes, touched


def inserted_counts(done: Sequence[Written]) -> dict[str, int]:
    return {w.title: len(w.deleted) - len(w.inserted) for w in done if not w.created}

