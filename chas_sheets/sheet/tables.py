"""From raw sheet grids to pandas tables addressed by row ID (pure: no I/O).

A backend's read gives a RawWorkbook: every tab's title and its cell grid. `load_table`
finds the header row, maps columns through the contract and returns a Table whose
DataFrame is indexed by the row's ID. Rows with a blank or duplicated ID get a new one
here, recorded as IdAssignments that every writing plan carries.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.changes import ChangeSet, IdAssignment
from chas_sheets.sheet.schema import HeaderMatch, TabSpec, contract, find_header, require_tab
from chas_sheets.sheet.values import as_text, is_blank, normalise_read

Grid = list[list[Any]]


@dataclass
class RawWorkbook:
    """Every tab's title (in sheet order) and the grids of the tabs that were read."""

    titles: list[str]
    grids: dict[str, Grid]
    source: str = ""
    # Google only (an xlsx file has no locale): the spreadsheet's `properties.locale`, and per
    # tab title the (1-based row, 0-based column, order) of date cells typed as bare numbers
    # (`11/4`), whose day depends on the locale they were typed in; order is "month_first",
    # "day_first" or "locale" (the locale's default). ISO dates are not among them.
    locale: str | None = None
    locale_dates: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    # Row IDs Ändringslogg names, known without its whole grid (the Google backend's index of
    # them, checked against the log's last rows read: sheet.id_index); None: from the grid.
    logged_ids: set[str] | None = None


@dataclass
class Table:
    spec: TabSpec
    title: str
    header: HeaderMatch
    df: pd.DataFrame  # index: row key (ID); columns: canonical names, unknown headers as typed
    sheet_rows: dict[str, int]  # row key -> 1-based sheet row at read time
    id_assignments: list[IdAssignment] = field(default_factory=list)
    # Rows of a tab keyed by a tool-written key (Skörd) that have none yet: their cells as read
    # (`row_texts`), so a plan can give them a key the way a new ID is given.
    unkeyed_cells: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Column -> {row key: text}, built on first use: planners ask for millions of cells, and a
    # pandas scalar lookup (`df.at`) per cell was a quarter of a night's planning. Tables are
    # never changed after the read (plans describe changes, they do not make them).
    # init=False: a table made from another (dataclasses.replace, a replay's filtered copy) starts
    # with empty caches, never the other's.
    _texts: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _values: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)
    # What pure functions derive from this table and others, kept for the next caller of the
    # same question (`memo`): the nightly asks one CRM the same thing for several jobs.
    _memo: dict[tuple, tuple[Any, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def has(self, column: str) -> bool:
        return column in self.df.columns

    def memo(self, key: tuple, inputs: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per `key` for these exact `inputs` (compared by identity: tables
        are never changed after the read, so the same objects give the same answer). The
        result is shared: callers must not change it."""
        found = self._memo.get(key)
        if found is not None and found[0] is inputs:
            return found[1]
        result = compute()
        self._memo[key] = (inputs, result)
        return result

    def text(self, row_id: str, column: str) -> str:
        texts = self._texts.get(column)
        if texts is None:
            if column not in self.df.columns:
                return ""
            values = self._column(column)
            texts = self._texts[column] = dict(zip(self.df.index, map(as_text, values), strict=True))
        return texts[row_id]

    def value(self, row_id: str, column: str) -> Any:
        """The cell as read (`df.at`), None when there is no such column; from a per-column dict, as `text`."""
        values = self._values.get(column)
        if values is None:
            if column not in self.df.columns:
                return None
            values = self._values[column] = dict(zip(self.df.index, self._column(column), strict=True))
        return values[row_id]

    def _column(self, column: str) -> pd.Series:
        values = self.df[column]
        if isinstance(values, pd.DataFrame):  # two unknown headers typed alike: read the first
            values = values.iloc[:, 0]
        return values


def fingerprint(cells: Iterable[Any]) -> str:
    """Identify a row by its content (for rows that have no ID yet).

    Trailing blank cells do not count: one read may hand over a row padded to the sheet's
    width and the next one trimmed (workbooks saved without dimensions, Google's ragged rows).
    """
    text = "\x1f".join(as_text(c) for c in cells).rstrip("\x1f")
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def new_id_factory(prefix: str, taken: set[str]) -> Callable[..., str]:
    """IDs like 'L-7KQ2M9', never one in `taken` (every ID seen, Ändringslogg's included, so
    never reused; each new one is added to it).

    Derived, not drawn: the same read gives the same IDs, so a dry run shows the IDs --apply
    writes right after. `make(seed)`: what the new row is known by (its content); calls without
    a seed are told apart by their order, under the IDs the spreadsheet holds already (so two
    spreadsheets rarely share a sequence). A taken candidate moves on to the next one.
    """
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by people
    base = hashlib.sha256("\x1f".join(sorted(taken)).encode("utf-8")).hexdigest()
    unseeded = itertools.count()

    def make(seed: str = "") -> str:
        key = seed if seed else f"{base}\x1f{next(unseeded)}"
        for attempt in itertools.count():
            digest = hashlib.sha256(f"{prefix}\x1f{key}\x1f{attempt}".encode()).digest()
            candidate = f"{prefix}-" + "".join(alphabet[b % len(alphabet)] for b in digest[:6])
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        raise AssertionError("itertools.count() never ends")

    return make


def id_seed(tab: str, texts: Sequence[str]) -> str:
    """What a new ID is derived from: the tab and the row's cells as text (`row_texts`)."""
    return "\x1f".join((tab, *texts))


def row_texts(cells: Sequence[Any], key_index: int | None) -> tuple[str, ...]:
    """A row's cells as text with its ID cell blanked: what a row without a usable ID is known by.

    Trailing blanks do not count (padded and trimmed reads of one row are the same row).
    """
    texts = ["" if i == key_index else as_text(c) for i, c in enumerate(cells)]
    while texts and not texts[-1]:
        texts.pop()
    return tuple(texts)


def row_fingerprint(cells: Sequence[Any], key_index: int | None) -> str:
    return fingerprint(row_texts(cells, key_index))


def load_table(
    raw: RawWorkbook,
    tab_name: str,
    *,
    taken_ids: set[str] | None = None,
    id_factory: Callable[..., str] | None = None,
) -> Table:
    """Build the Table of one contract tab from a raw read; raises MissingTab/MissingColumn."""
    spec = contract().tab(tab_name)
    title = require_tab(tab_name, raw.grids.keys(), raw.titles or raw.grids.keys())
    grid = raw.grids[title]
    header = find_header(spec, grid, title)
    labels = list(header.positions)
    key = spec.key_column
    key_index = header.positions.get(key) if key else None

    records: list[list[Any]] = []
    rows: list[int] = []
    for offset, cells in enumerate(grid[header.row :], start=header.row + 1):
        if all(is_blank(c) for c in cells):
            continue
        records.append([normalise_read(cells[header.positions[l]]) if header.positions[l] < len(cells) else None for l in labels])
        rows.append(offset)
    df = pd.DataFrame(records, columns=labels, dtype=object)

    assignments: list[IdAssignment] = []
    unkeyed: dict[str, tuple[str, ...]] = {}
    if key is None:
        keys = [f"r{r}" for r in rows]
    else:
        existing = [as_text(v) for v in df[key]] if key in df.columns else [""] * len(df)
        taken = set(taken_ids or ()) | {k for k in existing if k}
        make = id_factory or new_id_factory(spec.id_prefix or "R", taken)
        seen: set[str] = set()
        keys = []
        for i, current in enumerate(existing):
            if current and current not in seen and key == "ID":
                keys.append(current)
            elif key != "ID":  # Skörd: keyed by a tool-written company key; a copied key goes by row
                keys.append(current if current and current not in seen else f"r{rows[i]}")
                if not current:
                    unkeyed[keys[-1]] = row_texts(grid[rows[i] - 1], key_index)
            else:
                cells = grid[rows[i] - 1]
                new = make(id_seed(spec.name, row_texts(cells, key_index)))
                assignments.append(IdAssignment(spec.name, rows[i], row_texts(cells, key_index), current or None, new))
                keys.append(new)
            seen.add(keys[-1])
        if key in df.columns and key != spec.natural_key:  # a natural key is people's data, as typed
            df[key] = keys
        elif key == "ID":
            df.insert(0, key, keys)
    df.index = pd.Index(keys, dtype=object, name="row_id")
    return Table(spec, title, header, df, dict(zip(keys, rows)), assignments, unkeyed)


@dataclass
class Tables:
    """The contract tabs of one spreadsheet that a command read."""

    source: str
    titles: list[str]
    tables: dict[str, Table]

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> Table | None:
        return self.tables.get(name)

    @property
    def kind(self) -> str:
        if "Grupper" in self.tables or "Studerande" in self.tables:
            return "register"
        found = contract().find_tab_title("Medlemmar", self.titles)
        return "group" if found else "student"

    def id_changes(self) -> ChangeSet:
        """The IdAssignments every writing plan starts with."""
        changes = ChangeSet()
        for table in self.tables.values():
            changes.ids.extend(table.id_assignments)
        return changes


def logged_row_ids(raw: RawWorkbook) -> set[str]:
    """Row IDs named in Ändringslogg (removed rows included), so a new ID never reuses one."""
    if raw.logged_ids is not None:
        return set(raw.logged_ids)
    title = contract().find_tab_title(LOG_TAB, raw.grids.keys())
    if title is None:
        return set()
    grid = raw.grids[title]
    try:
        header = find_header(contract().tab(LOG_TAB), grid, title)
    except Exception:  # a damaged log must not stop a read; IDs stay new anyway
        return set()
    index = header.positions.get("Rad-ID")
    if index is None:
        return set()
    return {as_text(r[index]) for r in grid[header.row :] if index < len(r) and not is_blank(r[index])}


def load_tables(raw: RawWorkbook, required: Sequence[str], optional: Sequence[str] = ()) -> Tables:
    """Load the named tabs; a missing required tab or column is an error, optional ones are skipped."""
    taken = logged_row_ids(raw)
    tables: dict[str, Table] = {}
    for name in required:
        tables[name] = load_table(raw, name, taken_ids=taken)
    for name in optional:
        if contract().find_tab_title(name, raw.grids.keys()) is not None:
            tables[name] = load_table(raw, name, taken_ids=taken)
    return Tables(raw.source, raw.titles, tables)
