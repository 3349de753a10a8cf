"""`Ändringslogg`, the change log every spreadsheet keeps: its words and its entries.

One row per change a run made (`writeplan.resolve` writes them, `undo` reads them back):
`Körning` (run id), `Tid`, `Kommando`, `Flik`, `Rad-ID`, `Kolumn`, `Före`, `Efter`. `Kolumn`
is a column name for a cell change, or one of the markers below; any other `(…)` is a note
of the run (not a change: never undone, never counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chas_sheets.sheet.values import as_text, is_blank

if TYPE_CHECKING:
    from chas_sheets.sheet.tables import Table

LOG_TAB = "Ändringslogg"
RUNS_TAB = "Körningar"  # the sheet's history of runs; a run's own row there is not a change it logs
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Markers in `Kolumn`: what kind of change the row records.
NEW_ROW = "(ny rad)"  # Efter = the appended row as JSON
REMOVED_ROW = "(rad borttagen)"  # Före = the whole removed row as JSON
REPLACED_TAB = "(flik ersatt)"  # a tool-owned tab rewritten whole
NEW_COLUMN = "(ny kolumn)"  # a column the contract needs, added to a tab
NEW_ID = "ID"  # a new ID given to a row without a usable one
CHANGES = (NEW_ROW, REMOVED_ROW, REPLACED_TAB)

# Notes: what a run says about itself.
UNDOES = "(ångrar)"  # Efter = the id of the run this one undid
RUN_IN = "(körning i)"  # Efter = another spreadsheet this run wrote under the same id
HARVEST_AUDIT = "(skörd)"  # the harvest's lottery audit: seed, commitment, draws


def log_row(run_id: str, started, command: str, tab: str, row_id: str, column: str,
            before: Any, after: Any) -> list[Any]:
    """One Ändringslogg row, in the contract's column order."""
    return [run_id, started.strftime(TIME_FORMAT), command, tab, row_id, column,
            "" if before is None else before, "" if after is None else after]


@dataclass(frozen=True)
class LogEntry:
    """One Ändringslogg row as it is read back."""

    log_row: int  # sheet row in Ändringslogg
    run_id: str
    time: str
    command: str
    tab: str
    row_id: str
    column: str
    before: Any
    after: Any

    @property
    def is_note(self) -> bool:
        return self.column.startswith("(") and self.column.endswith(")") and self.column not in CHANGES


def log_entries(log_table: Table | None) -> list[LogEntry]:
    if log_table is None:
        return []
    df = log_table.df

    def get(row_id: str, column: str) -> Any:
        return df.at[row_id, column] if column in df.columns else None

    return [LogEntry(log_table.sheet_rows[r], as_text(get(r, "Körning")), as_text(get(r, "Tid")),
                     as_text(get(r, "Kommando")), as_text(get(r, "Flik")), as_text(get(r, "Rad-ID")),
                     as_text(get(r, "Kolumn")), get(r, "Före"), get(r, "Efter"))
            for r in df.index if not is_blank(get(r, "Körning"))]
