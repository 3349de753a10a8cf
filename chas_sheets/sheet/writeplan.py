"""Resolve a ChangeSet against a fresh read of the spreadsheet: compare-and-set, positions, log.

Pure and shared by both backends. Just before writing, a backend re-reads the tabs it will
touch and hands them here. Every planned cell whose current value differs from what the
plan read is dropped with a warning: a person's edit made while the command ran always wins.
Rows are found by ID, columns by header name, so sorting, filtering, inserting rows or
moving columns in the meantime does no harm; a row still without an ID is found by its cells
(`_resolve_ids`), and a new ID that cannot be written takes every change naming it along.
What survives becomes positional writes plus one Ändringslogg row per change.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Callable

from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import _, ngettext, sheet_ngettext
from chas_sheets.sheet.changelog import (
    CELL_EXTRAS,
    LOG_TAB,
    NEW_COLUMN,
    NEW_ID,
    NEW_ROW,
    REMOVED_ROW,
    REPLACED_TAB,
    RUNS_TAB,
    CellExtras,
    Formula,
    NumberFormat,
    carried,
    encode_extras,
    encode_grid,
    encode_row,
    log_row,
    unheaded_index,
    unheaded_label,
    worth_keeping,
)
from chas_sheets.sheet.changes import (
    CellChange,
    ChangeSet,
    ExtrasChange,
    IdAssignment,
    RowAppend,
    RowRemoval,
    TabReplacement,
)
from chas_sheets.sheet.rowplace import RowPlace, RowSlots, final_rows, place_of
from chas_sheets.sheet.schema import HeaderMatch, contract, find_header
from chas_sheets.sheet.tables import RawWorkbook, id_seed, logged_row_ids, new_id_factory, row_texts
from chas_sheets.sheet.values import as_text, is_blank, values_equal


class Merged(str):
    """A cell hidden inside merged cells (not their top-left one): it cannot hold a value."""

    def __new__(cls) -> "Merged":
        return super().__new__(cls, "")


def as_read(value: Any) -> Any:
    """A fresh-read cell as the command's plain read saw it (a formula's result)."""
    return value.value if isinstance(value, Formula) else value


def _row_as_read(cells) -> list[Any]:
    return [as_read(c) for c in cells]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    command: str
    started: dt.datetime

    @classmethod
    def new(cls, command: str, now: dt.datetime | None = None) -> "RunInfo":
        now = now or dt.datetime.now().replace(microsecond=0)
        return cls(f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}", command, now)


@dataclass
class RowInsert:
    """A row undo puts back where it stood: inserted at 1-based sheet `row`, numbered as the tab
    stands once everything else in the write is done (its deletions included) and the rows
    inserted above it are in: inserted in list order, each lands on its `row`. Its values,
    number formats and notes/links/fills by 0-based column; `inherit_before`: formatted like the
    row above (False when that is the header). `neighbours`: the sheet rows as read of the
    neighbours that placed it, so a write can check they had not moved."""

    row: int
    values: list[Any]
    formats: dict[int, NumberFormat] = field(default_factory=dict)
    extras: dict[int, CellExtras] = field(default_factory=dict)
    inherit_before: bool = True
    neighbours: tuple[int, ...] = ()


@dataclass
class TabWrites:
    """Positional writes to one tab (rows 1-based, columns 0-based)."""

    title: str
    create_headers: list[str] | None = None
    header_row: int = 1
    header_cells: dict[int, str] = field(default_factory=dict)
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    first_append_row: int = 2
    appends: list[list[Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    replace: tuple[list[str], list[list[Any]]] | None = None
    chart: Any = None
    # Number formats to set, (row, column) as above: cells undo puts back as they were. With
    # `replace`, row 1 is the header. Set after the values, before any deletion.
    formats: dict[tuple[int, int], NumberFormat] = field(default_factory=dict)
    # Notes, links and fills to set, (row, column) as above: a removed row undo puts back. Set with the formats.
    extras: dict[tuple[int, int], CellExtras] = field(default_factory=dict)
    # Notes and links set exactly (a blank one cleared; fills left), (row, column) as above: a
    # removed duplicate's carried onto the row kept, or taken back by undo. Set with the formats.
    extras_set: dict[tuple[int, int], CellExtras] = field(default_factory=dict)
    # Rows put back where they stood (undo of a removal), inserted after everything above is written.
    inserts: list[RowInsert] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create_headers or self.header_cells or self.cells or self.appends or self.deletes
                    or self.replace or self.extras_set or self.inserts)


@dataclass
class WritePlan:
    run: RunInfo
    tabs: dict[str, TabWrites] = field(default_factory=dict)
    applied: list[Any] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(self.tabs.values())


def _last_used_row(grid: list[list[Any]]) -> int:
    for index in range(len(grid), 0, -1):
        if any(not is_blank(c) for c in grid[index - 1]):
            return index
    return 0


class _TabState:
    """One tab of the fresh read: header, where each row ID stands, what is written."""

    def __init__(self, name: str, title: str | None, grid: list[list[Any]], writes: TabWrites):
        self.name = name
        self.title = title
        self.grid = grid
        self.writes = writes
        self.spec = contract().tabs.get(name)
        self.header: HeaderMatch | None = None
        self.rows_by_key: dict[str, int] = {}
        self.added_columns: list[str] = []  # headers this write adds (logged like any change)
        self._rows_by_texts: dict[tuple[str, ...], list[int]] | None = None
        self._ordered: tuple[list[int], dict[int, str]] | None = None  # data rows with an ID, as read
        self._slots: RowSlots | None = None  # rows put back between the rows as read
        self.pending: list[tuple[Fraction, dict[int, Any], dict[int, NumberFormat], dict[int, CellExtras],
                                 tuple[int, ...]]] = []
        self.next_row = _last_used_row(grid) + 1
        if self.spec is not None and title is not None and grid:
            self.header = find_header(self.spec, grid, title)
            key = self.spec.key_column
            index = self.header.positions.get(key) if key else None
            if index is not None:
                for number in range(self.header.row + 1, len(grid) + 1):
                    cells = grid[number - 1]
                    value = as_text(cells[index]) if index < len(cells) else ""
                    if value:
                        self.rows_by_key.setdefault(value, number)
        writes.first_append_row = max(self.next_row, (self.header.row + 1) if self.header else 2)
        self.next_row = writes.first_append_row

    def cell(self, row: int, col: int) -> Any:
        cells = self.grid[row - 1] if row - 1 < len(self.grid) else []
        return cells[col] if col < len(cells) else None

    def column(self, label: str) -> int:
        """Position of a column by header name; a missing column is added at the end."""
        assert self.header is not None
        if label in self.header.positions:
            return self.header.positions[label]
        # After every column that holds anything, header or not: a column people filled
        # without a header is still theirs and must not be written over.
        used = max((i for row in self.grid for i, c in enumerate(row) if not is_blank(c)), default=-1)
        used = max([used, *self.writes.header_cells])
        index = used + 1
        while isinstance(self.cell(self.header.row, index), Merged):
            index += 1  # a header merged across columns: the new column goes after it
        self.writes.header_cells[index] = label
        self.header.positions[label] = index
        self.writes.header_row = self.header.row
        self.added_columns.append(label)
        return index

    def rows_with_texts(self, texts: tuple[str, ...]) -> list[int]:
        """Rows whose cells (ID cell aside) read as `texts`, top to bottom.

        Built once, on the first row without an ID that moved: searching the tab per moved row
        made a row inserted on top of a 20,000-row CRM quadratic.
        """
        if self._rows_by_texts is None:
            self._rows_by_texts = {}
            for row in range(self.header.row + 1, len(self.grid) + 1):
                key = row_texts(_row_as_read(self.grid[row - 1]), self.key_index())
                self._rows_by_texts.setdefault(key, []).append(row)
        return self._rows_by_texts.get(texts, [])

    def place(self, row: int) -> RowPlace:
        """Where sheet row `row` stands: its nearest neighbours with an ID, rows this write
        removes left out (rowplace.place_of). The rows are ordered once, on the first removal."""
        if self._ordered is None:
            ids = {number: row_id for row_id, number in self.rows_by_key.items()}
            self._ordered = sorted(ids), ids
        ordered, ids = self._ordered
        return place_of(row, ordered, ids, set(self.writes.deletes))

    def slots(self) -> RowSlots:
        if self._slots is None:
            self._slots = RowSlots(self.rows_by_key, self.header.row if self.header else 1)
        return self._slots

    def key_index(self) -> int | None:
        key = self.spec.key_column if self.spec else None
        return self.header.positions.get(key) if (self.header and key) else None


def _log_row(run: RunInfo, tab: str, row_id: str, column: str, before: Any, after: Any) -> list[Any]:
    return log_row(run.run_id, run.started, run.command, tab, row_id, column, before, after)


def column_letter(number: int) -> str:
    """The spreadsheet letters of 1-based column `number`: 1 -> A, 27 -> AA (no I/O library needed)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# How a backend tells the number format of a fresh-read cell: (tab title, 1-based row, 0-based
# column) -> its format, or None. Asked only for the cells a run logs whole (removed rows,
# replaced tabs), so a backend can look them up lazily.
NumberFormatLookup = Callable[[str, int, int], "NumberFormat | None"]
# How a backend tells the notes, links and fills on one fresh-read row: (tab title, 1-based row)
# -> {0-based column: its extras}, blank cells included (a note may sit on an empty cell).
# Asked only for the rows a run removes.
CellExtrasLookup = Callable[[str, int], "dict[int, CellExtras]"]


def resolve(changes: ChangeSet, fresh: RawWorkbook, run: RunInfo,
            number_format: NumberFormatLookup | None = None,
            extras_of: CellExtrasLookup | None = None) -> WritePlan:
    plan = WritePlan(run)
    formats_of = _formats_of(number_format)
    states: dict[str, _TabState] = {}
    log: list[list[Any]] = []

    def state(name: str) -> _TabState:
        if name not in states:
            title = contract().find_tab_title(name, fresh.grids.keys()) if name in contract().tabs else (
                name if name in fresh.grids else None)
            grid = fresh.grids.get(title, []) if title else []
            writes = plan.tabs.setdefault(title or name, TabWrites(title or name))
            states[name] = _TabState(name, title, grid, writes)
        return states[name]

    def skip(message: str) -> None:
        plan.skipped.append(message)

    # A new ID not written must not be named by anything written: a dangling link is worse
    # than a link filled in by the next run.
    # An ID is never handed out twice, not even one of a removed row: checked here, against the
    # log as it is when writing, so a command need not read Ändringslogg to plan. New IDs are
    # derived from the row (tables.new_id_factory), so a row typed again as one that was removed
    # is planned its old ID when the plan did not read the log: it gets the next one derived
    # for it instead, everywhere the plan names it (what a plan that read the log gives). A key
    # the log names on a tab keyed otherwise (Skörd's company key) is not written this time,
    # nor anything naming it.
    logged = logged_row_ids(fresh) if changes.ids else set()
    renamed = _next_ids(changes, logged, state)
    if renamed:
        changes = _renamed(changes, renamed)
    reused = {item.new for item in changes.ids if item.new in logged}
    for item in changes.ids:
        if item.new in reused:
            skip(_("{tab} row {row}: the new ID {id} is named in Ändringslogg already; no ID given to it this time, "
                   "and nothing that would name it is written").format(tab=item.tab, row=item.sheet_row, id=item.new))
    dropped = _resolve_ids([item for item in changes.ids if item.new not in reused], state, plan, log, skip) | reused
    for item in changes.cells:
        _resolve_cell(state(item.tab), item, plan, log, skip, dropped)
    for item in changes.extras:
        _resolve_extras(state(item.tab), item, plan, log, skip, extras_of)
    for item in changes.removals:
        _resolve_removal(state(item.tab), item, plan, log, skip, dropped, formats_of, extras_of)
    for item in changes.appends:
        _resolve_append(state(item.tab), item, plan, log, skip, dropped)
    for item in changes.replacements:
        _resolve_replacement(state(item.tab), item, plan, log, skip, formats_of)

    for st in states.values():
        _finish_inserts(st)
    for name, st in states.items():
        if name == LOG_TAB:
            continue
        for label in st.added_columns:  # a new column is a change to the sheet too
            plan.applied.append(("column", name, label))
            log.append(_log_row(run, name, "", NEW_COLUMN, "", label))

    if log:
        log_state = state(LOG_TAB)
        spec = contract().tab(LOG_TAB)
        if log_state.title is None:
            log_state.writes.create_headers = spec.headers
            log_state.writes.first_append_row = 2
        else:
            positions = [log_state.column(h) for h in spec.headers]
            width = max(positions) + 1
            log = [_place(dict(zip(positions, row)), width) for row in log]
        log_state.writes.appends.extend(log)
    plan.tabs = {title: w for title, w in plan.tabs.items() if w}
    return plan


def _place(by_index: dict[int, Any], width: int) -> list[Any]:
    row: list[Any] = [None] * width
    for index, value in by_index.items():
        row[index] = value
    return row


def _next_ids(changes: ChangeSet, logged: set[str], state) -> dict[str, str]:
    """New IDs the log names already -> the next ID derived for the same row, never one the log,
    the tab or the plan holds."""
    renamed: dict[str, str] = {}
    taken = set(logged) | {item.new for item in changes.ids}
    for item in changes.ids:
        spec = contract().tabs.get(item.tab)
        if item.new not in logged or spec is None or spec.key_column != "ID":
            continue
        taken |= set(state(item.tab).rows_by_key)
        renamed[item.new] = new_id_factory(spec.id_prefix or "R", taken)(id_seed(item.tab, item.cells))
    return renamed


def _renamed(changes: ChangeSet, renamed: dict[str, str]) -> ChangeSet:
    """`changes` with each planned ID in `renamed` replaced wherever it is named."""
    def value(v: Any) -> Any:
        if type(v) is str:  # text only: a Formula (a str subclass) is what people wrote
            for old, new in renamed.items():
                v = v.replace(old, new)
        return v

    def row_id(v: str) -> str:
        return renamed.get(v, v)

    return ChangeSet(
        ids=[replace(i, new=row_id(i.new)) for i in changes.ids],
        cells=[replace(c, row_id=row_id(c.row_id), new=value(c.new)) for c in changes.cells],
        appends=[replace(a, values={k: value(v) for k, v in a.values.items()}) for a in changes.appends],
        removals=[replace(r, row_id=row_id(r.row_id), values={k: value(v) for k, v in r.values.items()})
                  for r in changes.removals],
        replacements=[replace(t, rows=tuple(tuple(value(v) for v in row) for row in t.rows))
                      for t in changes.replacements])


def _missing_tab(st: _TabState, what: str, skip) -> bool:
    """`what`: the whole clause of what is not written ('new ID L-… not written'), translated."""
    if st.header is None:
        skip(_("{tab}: tab not found any more; {what}").format(tab=st.name, what=what))
        return True
    return False


def _resolve_ids(items: list[IdAssignment], state, plan: WritePlan, log, skip) -> set[str]:
    """Write the new IDs whose rows are still there; return the new IDs that were not written.

    A row without a usable ID is found first exactly as it was read (where it was, or moved
    by a sort), then, for the rows left, still where it was with its ID cell untouched and
    only some cells edited meanwhile: a person's edit of another cell keeps their cell, not
    the row from its ID. Exact matches go first so that an edited-in-place guess never takes
    a row another assignment knows exactly; no row gets two IDs.
    """
    found: dict[int, int] = {}  # item index -> sheet row
    claimed: dict[str, set[int]] = {}
    for finder in (_find_as_read, _find_edited_in_place):
        for index, item in enumerate(items):
            st = state(item.tab)
            if index in found or st.header is None:
                continue
            taken = claimed.setdefault(item.tab, set())
            row = finder(st, item, taken)
            if row is not None:
                found[index] = row
                taken.add(row)
    dropped: set[str] = set()
    for index, item in enumerate(items):
        st = state(item.tab)
        if _missing_tab(st, _("new ID {id} not written").format(id=item.new), skip):
            dropped.add(item.new)
        elif index not in found:
            skip(_("{tab} row {row}: {why}; no ID given to it this time, and nothing that would name {id} is "
                   "written").format(tab=st.name, row=item.sheet_row, why=_why_not_found(st, item), id=item.new))
            dropped.add(item.new)
        elif isinstance(_id_cell(st, found[index]), Merged):
            skip(_("{tab} row {row}, ID: inside merged cells; no ID given to it (unmerge to let it get one)").format(
                tab=st.name, row=found[index]))
            dropped.add(item.new)
        else:
            row = found[index]
            st.writes.cells[(row, st.column(st.spec.key_column if st.spec and st.spec.key_column else "ID"))] = item.new
            st.rows_by_key[item.new] = row
            plan.applied.append(item)
            log.append(_log_row(plan.run, item.tab, item.new, NEW_ID, item.old, item.new))
    return dropped


def _id_cell(st: _TabState, row: int) -> Any:
    key_index = st.key_index()
    return st.cell(row, key_index) if key_index is not None else None


def _fresh_texts(st: _TabState, row: int) -> tuple[str, ...]:
    return row_texts(_row_as_read(st.grid[row - 1]), st.key_index())


def _may_take(st: _TabState, item: IdAssignment, row: int, taken: set[int]) -> bool:
    """The row's ID cell still holds what was read, and it is not the row keeping a copied ID."""
    if row in taken or not (st.header.row < row <= len(st.grid)):
        return False
    if not values_equal(_id_cell(st, row), item.old):
        return False
    return not (item.old and st.rows_by_key.get(as_text(item.old)) == row)


def _find_as_read(st: _TabState, item: IdAssignment, taken: set[int]) -> int | None:
    # The row is almost always where it was read; look elsewhere only when it moved.
    row = item.sheet_row
    if _may_take(st, item, row, taken) and _fresh_texts(st, row) == item.cells:
        return row
    return next((r for r in st.rows_with_texts(item.cells) if _may_take(st, item, r, taken)), None)


def _find_edited_in_place(st: _TabState, item: IdAssignment, taken: set[int]) -> int | None:
    row = item.sheet_row
    if _may_take(st, item, row, taken) and _mostly_kept(item.cells, _fresh_texts(st, row)):
        return row
    return None


def _mostly_kept(read: tuple[str, ...], now: tuple[str, ...]) -> bool:
    """More of the row's filled cells as read are still there than were changed or cleared.

    Cells filled in meanwhile do not count against it: adding to a row keeps it the same row.
    A row another one took the place of (a sort, a deleted row) shares few cells with it.
    """
    kept = changed = 0
    for index, before in enumerate(read):
        if before:
            if index < len(now) and now[index] == before:
                kept += 1
            else:
                changed += 1
    return kept > changed


def _why_not_found(st: _TabState, item: IdAssignment) -> str:
    row = item.sheet_row
    if st.header.row < row <= len(st.grid):
        current = _id_cell(st, row)
        texts = _fresh_texts(st, row)
        if not values_equal(current, item.old) and not is_blank(current) and (
                texts == item.cells or _mostly_kept(item.cells, texts)):
            return _("someone gave it the ID {id!r} since it was read; their ID kept").format(id=as_text(current))
    return _("changed, moved or removed since it was read")


def _names_dropped(value: Any, dropped: set[str]) -> str | None:
    """The new ID (not written) that a value names, if any."""
    if not dropped or is_blank(value):
        return None
    text = as_text(value)
    return next((new for new in dropped if new in text), None)


def _resolve_cell(st: _TabState, item: CellChange, plan: WritePlan, log, skip, dropped: set[str]) -> None:
    if item.row_id in dropped:
        skip(_("{tab}: the row meant to get ID {id} did not get it; {column} not written").format(
            tab=st.name, id=item.row_id, column=item.column))
        return
    if named := _names_dropped(item.new, dropped):
        skip(_("{tab} row {id}, {column}: would name {named}, a new ID that was not written; left as it is").format(
            tab=st.name, id=item.row_id, column=item.column, named=named))
        return
    if _missing_tab(st, _("{column} of {id} not written").format(column=item.column, id=item.row_id), skip):
        return
    row = st.rows_by_key.get(item.row_id)
    if row is None:
        skip(_("{tab}: row {id} not found (removed or its ID changed); {column} not written").format(
            tab=st.name, id=item.row_id, column=item.column))
        return
    col = st.column(item.column)
    current = st.cell(row, col)
    if isinstance(current, Formula):
        skip(_("{tab} row {row} ({id}), {column}: holds a formula; left as it is").format(
            tab=st.name, row=row, id=item.row_id, column=item.column))
        return
    if isinstance(current, Merged):
        skip(_("{tab} row {row} ({id}), {column}: inside merged cells; left as it is").format(
            tab=st.name, row=row, id=item.row_id, column=item.column))
        return
    if not values_equal(current, item.old):
        skip(_("{tab} row {row} ({id}), {column}: changed by someone since it was read ({old!r} -> {now!r}); their "
               "edit kept").format(tab=st.name, row=row, id=item.row_id, column=item.column,
                                   old=as_text(item.old), now=as_text(current)))
        return
    if values_equal(current, item.new):
        return
    st.writes.cells[(row, col)] = item.new
    plan.applied.append(item)
    log.append(_log_row(plan.run, item.tab, item.row_id, item.column, item.old, item.new))


def _resolve_removal(st: _TabState, item: RowRemoval, plan: WritePlan, log, skip, dropped: set[str],
                     formats_of, extras_of: CellExtrasLookup | None = None) -> None:
    if item.row_id in dropped:
        skip(_("{tab}: the row meant to get ID {id} did not get it; not removed").format(tab=st.name, id=item.row_id))
        return
    if _missing_tab(st, _("{id} not removed").format(id=item.row_id), skip):
        return
    row = st.rows_by_key.get(item.row_id)
    if row is None:
        skip(_("{tab}: row {id} already gone").format(tab=st.name, id=item.row_id))
        return
    for label, value in item.values.items():
        index = st.header.positions.get(label)
        if index is not None and not values_equal(as_read(st.cell(row, index)), value):
            skip(_("{tab} row {row} ({id}): changed since it was read; not removed").format(
                tab=st.name, row=row, id=item.row_id))
            return
    # The whole sheet row goes, so the log keeps the whole sheet row: cells in columns the
    # plan does not know (no header, or one people added since the read) included, formulas
    # as formulas and number formats (a phone's leading zero) tagged, so undo puts it back.
    whole = dict(item.values)
    labels = {index: label for label, index in st.header.positions.items()}
    formats: dict[str, NumberFormat] = {}
    for index, value in enumerate(st.grid[row - 1] if row - 1 < len(st.grid) else []):
        if is_blank(value) or isinstance(value, Merged):
            continue
        label = labels.get(index) or unheaded_label(index)
        if isinstance(value, Formula):
            whole[label] = placed(value, row, index)  # the formula people wrote, not just its result
        elif label not in whole:
            whole[label] = as_read(value)
        number_format = formats_of(st.title, row, index, value)
        if number_format is not None:
            formats[label] = number_format
    # A person's note, link or fill on the row's cells goes to the log with it (undo puts them back).
    extras: dict[str, CellExtras] = {}
    for index, found in sorted((extras_of(st.title, row) if extras_of and st.title else {}).items()):
        if found and not isinstance(st.cell(row, index), Merged):
            extras[labels.get(index) or unheaded_label(index)] = found
            _carry(st, item, index, found, plan, log, extras_of)
    # Where it stood, by its neighbours' IDs (`Efter`): undo puts it back there, not at the end.
    place = st.place(row)
    st.writes.deletes.append(row)
    del st.rows_by_key[item.row_id]
    plan.applied.append(item)
    log.append(_log_row(plan.run, item.tab, item.row_id, REMOVED_ROW, encode_row(whole, formats, extras),
                        place.to_json()))


def _carry(st: _TabState, item: RowRemoval, index: int, found: CellExtras, plan: WritePlan, log,
           extras_of: CellExtrasLookup) -> None:
    """A removed duplicate's note and link onto the same cell of the row kept (`keep_on`),
    logged so undo takes them back; its fill is the removed row's own (kept in its log)."""
    keep = st.rows_by_key.get(item.keep_on) if item.keep_on else None
    if keep is None or isinstance(st.cell(keep, index), Merged):
        return
    before = st.writes.extras_set.get((keep, index)) or extras_of(st.title, keep).get(index) or CellExtras()
    after = carried(before, found)
    if (after.note, after.link) == (before.note, before.link):
        return
    label = {i: label for label, i in st.header.positions.items()}.get(index) or unheaded_label(index)
    st.writes.extras_set[(keep, index)] = after
    log.append(_log_row(plan.run, item.tab, item.keep_on, CELL_EXTRAS, encode_extras(label, before),
                        encode_extras(label, after)))


def _resolve_extras(st: _TabState, item: ExtrasChange, plan: WritePlan, log, skip,
                    extras_of: CellExtrasLookup | None) -> None:
    if _missing_tab(st, _("note of {id} not written").format(id=item.row_id), skip):
        return
    row = st.rows_by_key.get(item.row_id)
    index = st.header.positions.get(item.column, unheaded_index(item.column))
    if row is None or index is None or extras_of is None or st.title is None:
        skip(_("{tab}: row {id} or its column {column} not found; its note not written").format(
            tab=st.name, id=item.row_id, column=item.column))
        return
    current = st.writes.extras_set.get((row, index)) or extras_of(st.title, row).get(index) or CellExtras()
    if (current.note, current.link) == (item.new.note, item.new.link):
        return
    if (current.note, current.link) != (item.old.note, item.old.link):
        skip(_("{tab} row {row} ({id}), {column}: its note or link was changed since the run; left as it is").format(
            tab=st.name, row=row, id=item.row_id, column=item.column))
        return
    st.writes.extras_set[(row, index)] = CellExtras(item.new.note, item.new.link, current.fill, item.new.author)
    plan.applied.append(item)
    log.append(_log_row(plan.run, item.tab, item.row_id, CELL_EXTRAS, encode_extras(item.column, current),
                        encode_extras(item.column, item.new)))


def _resolve_append(st: _TabState, item: RowAppend, plan: WritePlan, log, skip, dropped: set[str]) -> None:
    for label, value in item.values.items():
        if named := _names_dropped(value, dropped):
            skip(_("{tab}: new row not added: its {column} would name {named}, a new ID that was not written").format(
                tab=st.name, column=label, named=named))
            return
    spec = contract().tabs.get(item.tab)
    # A row appended to Ändringslogg is a note of the run (the harvest's seed and draws): it is
    # its own record, so it is stamped with the run where blank and not logged a second time.
    is_note = item.tab == LOG_TAB
    if is_note:
        stamp = dict(zip(("Körning", "Tid", "Kommando"), _log_row(plan.run, "", "", "", "", "")))
        item = RowAppend(item.tab, {**stamp, **{k: v for k, v in item.values.items() if not is_blank(v)}}, item.reason)
    if st.header is None:
        if spec is None:
            raise ChasSheetsError(_("cannot append to unknown tab '{tab}'").format(tab=item.tab))
        st.writes.create_headers = spec.headers + [k for k in item.values if k not in spec.headers]
        st.header = find_header(spec, [st.writes.create_headers], item.tab)
        st.writes.first_append_row = st.next_row = 2
    key = spec.key_column if spec else None
    row_id = as_text(item.values.get(key)) if key else ""
    if row_id and (row_id in st.rows_by_key or (st._slots is not None and row_id in st._slots.put_back)):
        skip(_("{tab}: row {id} is already there; not added again").format(tab=st.name, id=row_id))
        return
    slot = st.slots().put(row_id, item.place) if item.place is not None and not is_note else None
    if item.place is not None and slot is None and not is_note:
        skip(_("{tab}: {id} put back at the end of the tab, not where it stood: {why}").format(
            tab=st.name, id=row_id or _("a row"), why=not_placed(item.place, st.slots())))
    by_index: dict[int, Any] = {}
    at: dict[str, int] = {}
    unheaded = []
    for label, value in {**{k: None for k in item.extras}, **item.values}.items():
        if is_blank(value) and not item.extras.get(label):
            continue
        position = unheaded_index(label) if label not in st.header.positions else None
        if position is not None:
            unheaded.append((label, position, value))  # a column without a header: its own letter
        else:
            at[label] = st.column(label)
            by_index[at[label]] = value
    for label, position, value in unheaded:
        if position not in by_index:
            at[label] = position
            by_index[position] = value
    formats = {at[label]: f for label, f in item.formats.items() if label in at}
    extras = {at[label]: e for label, e in item.extras.items() if label in at and e}
    if slot is not None:  # inserted where it stood, once the rest is written (_finish_inserts)
        neighbours = tuple(st.rows_by_key[n] for n in (item.place.above, item.place.below) if n in st.rows_by_key)
        st.pending.append((slot, by_index, formats, extras, neighbours))
    else:
        width = max(by_index, default=-1) + 1
        st.writes.appends.append(_place(by_index, width))
        for col, number_format in formats.items():
            st.writes.formats[(st.next_row, col)] = number_format
        for col, found in extras.items():
            st.writes.extras[(st.next_row, col)] = found
        if row_id:
            st.rows_by_key[row_id] = st.next_row
        st.next_row += 1
    plan.applied.append(item)
    if not is_note and item.tab != RUNS_TAB:  # a run's row in Körningar lists the run: not a change of it
        log.append(_log_row(plan.run, item.tab, row_id, NEW_ROW, "", encode_row(item.values, item.formats,
                                                                                 item.extras)))


def not_placed(place: RowPlace, slots: RowSlots) -> str:
    """Why a row cannot go back where it stood (rowplace.RowSlots.where said None), in one clause."""
    named = [n for n in (place.above, place.below) if n]
    if not any(slots.has(n) for n in named):
        return ngettext("the row that stood next to it ({ids}) is gone", "the rows that stood next to it ({ids}) are "
                        "gone", len(named)).format(ids=", ".join(named)) if named else _("its place is not known")
    return _("the rows it stood between ({above}, {below}) are no longer next to each other (the tab was sorted, "
             "or rows were moved or added between them)").format(above=place.above or _("the header"),
                                                                  below=place.below)


def _finish_inserts(st: _TabState) -> None:
    """The rows put back where they stood, on their sheet rows once the write's deletions are done."""
    if not st.pending:
        return
    pending = sorted(st.pending, key=lambda p: p[0])
    header = st.header.row if st.header else 1
    for row, (_slot, by_index, formats, extras, neighbours) in zip(
            final_rows([p[0] for p in pending], st.writes.deletes), pending):
        st.writes.inserts.append(RowInsert(row, _place(by_index, max(by_index, default=-1) + 1), formats, extras,
                                           inherit_before=row - 1 > header, neighbours=neighbours))
    st.pending = []


def _formats_of(lookup: NumberFormatLookup | None):
    """(title, row, column, value) -> the cell's number format when it is worth logging."""
    def formats_of(title: str | None, row: int, col: int, value: Any) -> NumberFormat | None:
        if lookup is None or title is None:
            return None
        number_format = lookup(title, row, col)
        return number_format if worth_keeping(number_format, as_read(value)) else None
    return formats_of


MAX_LOGGED_CHARS = 30_000  # one Ändringslogg cell (an .xlsx cell holds 32,767): longer is split


def _resolve_replacement(st: _TabState, item: TabReplacement, plan: WritePlan, log, skip, formats_of) -> None:
    """A tool-owned tab rewritten: people's own columns kept by row key, old content logged whole."""
    old = st.grid[:_last_used_row(st.grid)]
    headers, rows = list(item.headers), [list(r) for r in item.rows]
    formats = dict(item.formats)
    if item.key and old:
        headers, rows, lost = _keep_people_columns(st, item, old, formats, formats_of)
        if lost:
            skip(ngettext("{tab}: {n} row no longer on the tab held values in columns people added; kept in "
                          "Ändringslogg (undo of this run puts them back)",
                          "{tab}: {n} rows no longer on the tab held values in columns people added; kept in "
                          "Ändringslogg (undo of this run puts them back)", lost).format(tab=st.name, n=lost))
    st.writes.replace = (headers, rows)
    st.writes.formats = formats
    st.writes.chart = item.chart
    plan.applied.append(item)
    old_formats = {(r, c): f for r, line in enumerate(old, start=1) for c, v in enumerate(line)
                   if not is_blank(v) and (f := formats_of(st.title, r, c, v)) is not None}
    # The chart the run drew goes with the content: the old content, written by an earlier run
    # of the same kind, had it too (a local save cannot keep a chart it does not draw again).
    before = encode_grid(old, old_formats, item.chart) if item.log_content else ""
    # Read back by undo: the digest in the last parentheses
    after = sheet_ngettext("{n} row ({digest})", "{n} rows ({digest})", len(item.rows)).format(
        n=len(item.rows), digest=written_digest(headers, rows))
    parts = [before[i:i + MAX_LOGGED_CHARS] for i in range(0, len(before), MAX_LOGGED_CHARS)] or [""]
    for number, part in enumerate(parts, start=1):
        log.append(_log_row(plan.run, item.tab, f"del {number}/{len(parts)}" if len(parts) > 1 else "",
                            REPLACED_TAB, part, after))


def written_digest(headers: list[Any], rows: list[list[Any]]) -> str:
    """The fingerprint (changelog.content_digest) of a tab as written, as a plain read will see it."""
    from chas_sheets.sheet.changelog import content_digest

    return content_digest([as_read(h) for h in headers], [[as_read(c) for c in line] for line in rows])


def _keep_people_columns(st: _TabState, item: TabReplacement, old: list[list[Any]],
                         formats: dict[tuple[int, int], NumberFormat], formats_of):
    """The new content with the columns people added to the old one, their cells on the row of
    the same key; and how many old rows with such cells have no row any more."""
    headers, rows = list(item.headers), [list(r) for r in item.rows]
    head = [as_text(c) for c in old[0]]
    extra = [(i, h) for i, h in enumerate(head) if h and h not in item.headers]
    if not extra or not all(k in head for k in item.key) or not all(k in item.headers for k in item.key):
        return headers, rows, 0
    old_keys = [head.index(k) for k in item.key]
    new_keys = [list(item.headers).index(k) for k in item.key]

    def cell(line: list[Any], index: int) -> Any:
        return line[index] if index < len(line) else None

    kept: dict[tuple[str, ...], list[tuple[int, list[Any]]]] = {}
    for number, line in enumerate(old[1:], start=2):
        values = [cell(line, i) for i, _ in extra]
        if any(not is_blank(v) and not isinstance(v, Merged) for v in values):
            kept.setdefault(tuple(as_text(as_read(cell(line, i))) for i in old_keys), []).append((number, values))
    width = len(headers)
    headers += [h for _, h in extra]
    for new_row, line in enumerate(rows, start=2):
        line += [None] * (width - len(line))
        found = kept.get(tuple(as_text(cell(line, i)) for i in new_keys))
        if not found:
            continue
        old_row, values = found.pop(0)
        for offset, ((old_col, _header), value) in enumerate(zip(extra, values)):
            if is_blank(value) or isinstance(value, Merged):
                line.append(None)
                continue
            if isinstance(value, Formula):
                value = placed(value, old_row, old_col)
            line.append(value)
            number_format = formats_of(st.title, old_row, old_col, value)
            if number_format is not None:
                formats[(new_row, width + offset)] = number_format
    return headers, rows, sum(len(left) for left in kept.values())


def placed(formula: Formula, row: int, col: int) -> Formula:
    """A fresh-read formula that will be written elsewhere, knowing where it stood."""
    moved = Formula(str(formula), formula.value)
    moved.origin = (row, col)
    return moved
