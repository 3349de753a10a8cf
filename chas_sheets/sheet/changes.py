"""Change sets: what a plan wants written, addressed by tab, row ID and column name.

Planners build a ChangeSet; backends resolve it against a fresh read (compare-and-set) and
write it in one go. Nothing in here knows about positions, files or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from chas_sheets.i18n import _, ngettext
from chas_sheets.sheet.rowplace import RowPlace


@dataclass(frozen=True)
class CellChange:
    """Set one cell: tab, row ID, column (canonical name, or header as typed), old -> new."""

    tab: str
    row_id: str
    column: str
    old: Any
    new: Any
    reason: str = ""


@dataclass(frozen=True)
class IdAssignment:
    """Give a row without a usable ID (blank or a copied duplicate) a new one.

    The row has no ID to be found by, so it is found by its position at read time and
    checked against its other cells as read (`cells`, as text, the ID cell blank); if people
    moved it, it is searched for. Changes naming `new` depend on it being written.
    """

    tab: str
    sheet_row: int
    cells: tuple[str, ...]
    old: Any
    new: str


@dataclass(frozen=True)
class RowAppend:
    """Add a row. `values` by header; a label `(kolumn W)` (changelog.unheaded_label) that is no
    header of the tab is a column without one, by its letter. `formats`: number formats by label,
    `extras`: notes, links and fills by label (changelog.CellExtras) (a row undo puts back as it was).
    `place`: where a row undo puts back stood (rowplace.RowPlace): inserted there, between the
    same neighbours, when they are still next to each other; otherwise (or without one) added
    at the end of the tab."""

    tab: str
    values: Mapping[str, Any]
    reason: str = ""
    formats: Mapping[str, Any] = field(default_factory=dict)
    extras: Mapping[str, Any] = field(default_factory=dict)
    place: RowPlace | None = None


@dataclass(frozen=True)
class RowRemoval:
    """Remove a row; `values` is the whole row as read, logged so nothing is lost. `keep_on`:
    the ID of a row its cells' notes and links are carried onto (a duplicate's survivor)."""

    tab: str
    row_id: str
    values: Mapping[str, Any]
    reason: str = ""
    keep_on: str = ""


@dataclass(frozen=True)
class ExtrasChange:
    """Set a cell's note and link (changelog.CellExtras; its fill is left), compare-and-set
    against the cell's as read when writing: how undo takes back a carried note."""

    tab: str
    row_id: str
    column: str
    old: Any
    new: Any
    reason: str = ""


@dataclass(frozen=True)
class TabReplacement:
    """Rewrite a tab the tool owns (Dashboard, ...) whole: never a tab people edit.

    Columns people added to it (a header the tool does not write) are kept when `key` (the
    columns naming a row, e.g. the student) is given: their cells stay on the row of the same
    key. The tab's old content is logged whole either way, so undo can put it back.
    `formats` (row, column) -> number format of the new content (undo restoring a tab)."""

    tab: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    chart: Mapping[str, Any] | None = None
    key: tuple[str, ...] = ()
    formats: Mapping[tuple[int, int], Any] = field(default_factory=dict)
    log_content: bool = True  # False: the tool's own state (no one's work), not worth its log size


@dataclass
class ChangeSet:
    ids: list[IdAssignment] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)
    appends: list[RowAppend] = field(default_factory=list)
    removals: list[RowRemoval] = field(default_factory=list)
    replacements: list[TabReplacement] = field(default_factory=list)
    extras: list[ExtrasChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ids or self.cells or self.appends or self.removals or self.replacements or self.extras)

    def __len__(self) -> int:
        return (len(self.ids) + len(self.cells) + len(self.appends) + len(self.removals) + len(self.replacements)
                + len(self.extras))

    def extend(self, other: "ChangeSet") -> "ChangeSet":
        self.ids.extend(other.ids)
        self.cells.extend(other.cells)
        self.appends.extend(other.appends)
        self.removals.extend(other.removals)
        self.replacements.extend(other.replacements)
        self.extras.extend(other.extras)
        return self

    def set_cell(self, tab: str, row_id: str, column: str, old: Any, new: Any, reason: str = "") -> None:
        self.cells.append(CellChange(tab, row_id, column, old, new, reason))

    @property
    def tabs(self) -> set[str]:
        items: Iterable = (*self.ids, *self.cells, *self.appends, *self.removals, *self.replacements, *self.extras)
        return {item.tab for item in items}

    def summary(self) -> str:
        """What the set does, counted ('3 new IDs, 1 cell'), in the language people read."""
        cells = len(self.cells) + len(self.extras)  # a note or link set is a change of its cell
        counts = (
            (len(self.ids), ngettext("{n} new ID", "{n} new IDs", len(self.ids))),
            (cells, ngettext("{n} cell", "{n} cells", cells)),
            (len(self.appends), ngettext("{n} new row", "{n} new rows", len(self.appends))),
            (len(self.removals), ngettext("{n} removed row", "{n} removed rows", len(self.removals))),
            (len(self.replacements), ngettext("{n} rewritten tab", "{n} rewritten tabs", len(self.replacements))),
        )
        return ", ".join(text.format(n=n) for n, text in counts if n) or _("no changes")
