"""`undo`: invert one run from `Ändringslogg` (planner pure; the walk at the end does the I/O).

Every change a run made is one log row (see `writeplan.resolve`); its `Kolumn` says what it was:
- a column name: a cell set from `Före` to `Efter`. Undone by a CellChange back to `Före`, only
  where the cell still holds `Efter`: a cell a person changed after the run is left as it is and
  reported; a cell already back at `Före` needs nothing, so undoing twice changes nothing.
  Several changes of one cell in a run collapse to first `Före` -> last `Efter`.
- `(ny rad)`, `Efter` = the row as JSON: the row is removed, but only while it is still exactly
  as the run wrote it (a row people have worked on since is kept and reported).
- `(rad borttagen)`, `Före` = the whole row as JSON, `Efter` = where it stood (rowplace.RowPlace:
  the IDs of its neighbours above and below): re-inserted whole, same ID, where it stood, between
  the same neighbours, so a person's `=SUM(C2:C9)` over the rows grows back to cover it, as after
  Excel's or Google's own row insertion. Rows are found by ID, never by position: a neighbour a
  person deleted since leaves the other to place it; when both are gone, or they are no longer
  next to each other (the tab was sorted), it goes at the end of its tab, and the undo says so
  (as for a log from before the place was logged). Dates as dates, formulas as formulas (their
  relative references moved to the row it lands on), number formats as they were, people's
  notes, links and fills back on their cells, a cell of a column without a header back in that
  column (`changelog.decode_row`; a log from before formulas, formats and notes were tagged
  gives their values, as it always did).
  Cell changes the run made on a row it removed or appended are covered by that row's undo.
- `(anteckning)`: a cell's note and link set (a removed duplicate's carried onto the row kept),
  `Före`/`Efter` = the cell's note and link as JSON. Set back to `Före` when writing, only while
  the cell still holds `Efter` (compare-and-set: a note a person changed since is left, reported).
- `ID`: a new ID given to a row without a usable one is KEPT. IDs are how every later run, the
  contact log's `Lead-ID` and undo itself find rows; a blank ID would only get a new one on the
  next run, and clearing it would make this undo impossible to undo. An ID is never reused.
- `(flik ersatt)`: a tool-owned tab (Dashboard, Placering, ...) rewritten whole, `Före` = its old
  content (typed JSON, split over several rows `del 1/3`... when long), `Efter` = `N rader (digest)`.
  Put back whole, columns people added included, only while the tab is still exactly as the run
  wrote it (the digest): a tab a later run or a person changed since is left and reported. A log
  from before the old content was logged: not undone, reported.
- `(delning)`: a person's access to the spreadsheet granted, changed or removed; to this
  planner a note, undone by sharing/access_log (the two `access_log` hooks below).
- any other `(…)` is a note of the run (the harvest's `(skörd)` audit, `(ångrar)`, `(körning i)`),
  not a change: never undone, never counted as a change.

The undo is itself a run (`Kommando` undo) logged like any other, so it can be undone (a redo).
It adds the note `(ångrar)` with `Efter` = the undone run's id, so `--list` shows what was undone.

Runs that wrote several spreadsheets under one run id (harvest: the group CRM, then each
member's individual CRM) are undone from the spreadsheet where they started. How that
spreadsheet knows the others, in order:
1. Notes `Kolumn` = `(körning i)`, `Efter` = the other spreadsheet's reference (a Google URL or
   key, or a path relative to this spreadsheet's folder), `Körning` = the run id, in this
   spreadsheet's `Ändringslogg`. This is the convention for every multi-spreadsheet command;
   the undo itself writes such notes, so undoing an undo walks the same spreadsheets.
2. Without such notes, for a harvest run (or a run id this spreadsheet does not log, e.g. a
   harvest re-run that only completed members' copies), a group CRM's `Medlemmar`
   `Individuellt CRM` references (where the harvest copies to); each is undone only if its
   own log holds the run id.
Spreadsheets are written starting one first, then the others; each is compare-and-set and
idempotent, so re-running an interrupted undo completes it. One that cannot be reached is
reported and the others go on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from chas_sheets.backends import Backend, is_google_reference
from chas_sheets.errors import ChasSheetsError, InvalidInput
from chas_sheets.i18n import _, ngettext
from chas_sheets.privacy import mask_text, shown
from chas_sheets.runner import listed, summary_line
from chas_sheets.sharing import access_log
from chas_sheets.sheet.changelog import (
    CELL_EXTRAS,
    LOG_TAB,
    NEW_ID,
    NEW_ROW,
    REMOVED_ROW,
    REPLACED_TAB,
    RUN_IN,
    RUNS_TAB,
    UNDOES,
    Formula,
    LogEntry,
    content_digest,
    decode_cell_extras,
    decode_extras,
    decode_grid,
    decode_row,
    log_entries,
    logged_chart,
    unheaded_index,
)
from chas_sheets.sheet.changes import CellChange, ChangeSet, ExtrasChange, RowAppend, RowRemoval, TabReplacement
from chas_sheets.sheet.rowplace import RowPlace, RowSlots
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Table, Tables, load_table, load_tables
from chas_sheets.sheet.values import as_text, is_blank, values_equal
from chas_sheets.sheet.writeplan import RunInfo, not_placed

COMMAND = "undo"
MULTI_SPREADSHEET_COMMANDS = ("harvest",)  # runs that may have written members' CRMs too


@dataclass(frozen=True)
class RunSummary:
    id: str
    time: str
    command: str
    changes: int
    undone_by: tuple[str, ...] = ()

    def line(self) -> str:
        line = ngettext("{id}  {time}  {command:<16} {n:>5} change", "{id}  {time}  {command:<16} {n:>5} changes",
                        self.changes).format(id=self.id, time=self.time, command=self.command, n=self.changes)
        if self.undone_by:
            line += _("  (undone by {runs})").format(runs=", ".join(self.undone_by))
        return line


def list_runs(log_table: Table | None) -> list[RunSummary]:
    """Every run in the log, oldest first, with its number of changes (notes not counted)."""
    runs: dict[str, list[LogEntry]] = {}
    undone_by: dict[str, list[str]] = {}
    for entry in log_entries(log_table):
        runs.setdefault(entry.run_id, []).append(entry)
        if entry.column == UNDOES:
            undone_by.setdefault(as_text(entry.after), []).append(entry.run_id)
    return [RunSummary(run_id, entries[0].time, entries[0].command, sum(not e.is_note for e in entries),
                       tuple(undone_by.get(run_id, ())))
            for run_id, entries in runs.items()]


def list_note(target: str, runs: list[RunSummary], listed: bool) -> str:
    """The closing line of `undo --list` (stderr); without --list it also says what to give."""
    if listed:
        return ngettext("{target}: {n} run logged", "{target}: {n} runs logged", len(runs)).format(
            target=target, n=len(runs))
    return ngettext("{target}: {n} run logged; give a RUN_ID to undo one",
                    "{target}: {n} runs logged; give a RUN_ID to undo one", len(runs)).format(target=target, n=len(runs))


class UnknownRun(InvalidInput):
    """No such run in the log: `run_id` as given and the `runs` logged (so the watch can answer
    in the sheet's own terms)."""

    def __init__(self, message: str, run_id: str, runs: list[RunSummary]):
        super().__init__(message)
        self.run_id, self.runs = run_id, runs


def unknown_run(run_id: str, source: str, runs: list[RunSummary], shown: int = 5) -> UnknownRun:
    latest = "; ".join(f"{r.id} ({r.command}, {r.time})" for r in reversed(runs[-shown:]))
    if runs:
        return UnknownRun(_("no run {run_id!r} in Ändringslogg of {source}; latest runs: {latest}").format(
            run_id=run_id, source=source, latest=latest), run_id, runs)
    return UnknownRun(_("no run {run_id!r} in Ändringslogg of {source}; it logs no runs yet").format(
        run_id=run_id, source=source), run_id, runs)


def linked_references(log_table: Table | None, run_id: str) -> list[str]:
    """The other spreadsheets a run wrote, as its `(körning i)` notes name them."""
    refs = [as_text(e.after) for e in log_entries(log_table) if e.run_id == run_id and e.column == RUN_IN]
    return list(dict.fromkeys(r for r in refs if r))


def run_note(column: str, value: str) -> RowAppend:
    """A note of the undo run in Ändringslogg (stamped with the run by the foundation)."""
    return RowAppend(LOG_TAB, {"Kolumn": column, "Efter": value}, "undo note")


def _shown(column: str, value: Any) -> str:
    """A value in the report: contact columns masked, and numbers or e-mails inside any text
    (a comment) too; the log itself keeps them whole."""
    return repr(mask_text(shown(column, value))) if not is_blank(value) else _("(blank)")


@dataclass
class UndoReport:
    target: str
    run_id: str
    command: str = ""
    time: str = ""
    planned: list[str] = field(default_factory=list)  # one line per change the undo makes
    restored: int = 0  # cells set back
    reinserted: int = 0  # removed rows put back
    tabs_restored: int = 0  # tool-owned tabs put back as they were before the run
    removed: int = 0  # appended rows taken away
    ids_kept: int = 0
    already: int = 0  # changes already undone (or never needing it)
    left: list[str] = field(default_factory=list)  # people's work since the run, kept
    not_undone: list[str] = field(default_factory=list)  # what undo cannot invert

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items()}

    def summary(self) -> str:
        counts = ((self.restored, ngettext("{n} cell restored", "{n} cells restored", self.restored)),
                  (self.reinserted, ngettext("{n} row re-inserted", "{n} rows re-inserted", self.reinserted)),
                  (self.removed, ngettext("{n} added row removed", "{n} added rows removed", self.removed)),
                  (self.tabs_restored, ngettext("{n} tab restored", "{n} tabs restored", self.tabs_restored)))
        return ", ".join(text.format(n=n) for n, text in counts if n) or _("no changes")

    def render(self) -> list[str]:
        lines = [_("{target}: undo of run {run_id} ({command}, {time})").format(
            target=self.target, run_id=self.run_id, command=self.command, time=self.time)]
        lines += [f"  {line}" for line in self.planned]
        # each `left` line says what was found; the prefix says what undo did about it (once)
        lines += [_("left as it is: {what}").format(what=line) for line in self.left]
        lines += [_("not undone: {what}").format(what=line) for line in self.not_undone]
        if self.ids_kept:
            lines.append(ngettext("kept {n} new ID the run gave (rows are found by them; an ID is never reused)",
                                  "kept {n} new IDs the run gave (rows are found by them; an ID is never reused)",
                                  self.ids_kept).format(n=self.ids_kept))
        if self.already:
            lines.append(ngettext("{n} change already undone", "{n} changes already undone",
                                  self.already).format(n=self.already))
        return lines


def _row_label(table: Table, row_id: str) -> str:
    sheet_row = table.sheet_rows.get(row_id)
    company = table.text(row_id, "Företag") if row_id in table.df.index else ""
    label = _("{tab} row {row}").format(tab=table.name, row=sheet_row) if sheet_row else table.name
    return f"{label} {row_id}" + (f" {company}" if company else "")


def _current_row(table: Table, row_id: str) -> dict[str, Any]:
    row = table.df.loc[row_id]
    return {column: row[column] for column in table.df.columns if not is_blank(row[column])}


def _row_difference(current: dict[str, Any], written: dict[str, Any]) -> str | None:
    """The first column where the row is not as the run wrote it, else None. A formula's cell
    (a plain read sees its result, which moves with other cells) and a cell of a column without
    a header (a plain read does not see it) are not compared."""
    for column in dict.fromkeys([*written, *current]):
        if isinstance(written.get(column), Formula) or (
                column not in current and unheaded_index(column) is not None):
            continue
        if not values_equal(current.get(column), written.get(column)):
            return column
    return None


def plan_undo(tables: Tables, log_table: Table | None, run_id: str,
              raw: RawWorkbook | None = None) -> tuple[ChangeSet, UndoReport]:
    """The change set that inverts run `run_id` in this spreadsheet, and what it will do
    (`raw`: the read, for the tool-owned tabs the run rewrote; without it they are not undone)."""
    entries = [e for e in log_entries(log_table) if e.run_id == run_id]
    if not entries:
        raise unknown_run(run_id, tables.source, list_runs(log_table))
    report = UndoReport(tables.source, run_id, entries[0].command, entries[0].time)
    changes = ChangeSet()
    # A run's row in Körningar is the sheet's history of runs, not a change to undo
    changes_rows = [e for e in entries if not e.is_note and e.tab != RUNS_TAB]
    appended = {(e.tab, e.row_id) for e in changes_rows if e.column == NEW_ROW}
    removed = {(e.tab, e.row_id) for e in changes_rows if e.column == REMOVED_ROW}
    cells: dict[tuple[str, str, str], list[LogEntry]] = {}
    extras: dict[tuple[str, str, str], list[tuple]] = {}
    replaced_done: set[str] = set()
    slots: dict[str, RowSlots] = {}  # per tab: the rows as read, and those this undo puts back between them

    for entry in reversed(changes_rows):  # the inverse runs backwards
        table = tables.get(entry.tab)
        if entry.column == NEW_ID:
            report.ids_kept += 1
        elif entry.column == REPLACED_TAB:
            if entry.tab not in replaced_done:
                replaced_done.add(entry.tab)
                parts = [e for e in changes_rows if e.column == REPLACED_TAB and e.tab == entry.tab]
                _undo_replacement(changes, report, raw, entry.tab, parts)
        elif table is None:
            report.not_undone.append(_("{tab}: tab not found; change to {row} ({column})").format(
                tab=entry.tab, row=entry.row_id or _("a row"), column=entry.column))
        elif entry.column == NEW_ROW:
            _undo_append(changes, report, table, entry)
        elif entry.column == REMOVED_ROW:
            if table.name not in slots:
                slots[table.name] = RowSlots(table.sheet_rows, table.header.row)
            _undo_removal(changes, report, table, entry, slots[table.name])
        elif entry.column == CELL_EXTRAS:
            try:
                (label, before), (_label, after) = (decode_cell_extras(as_text(entry.before)),
                                                    decode_cell_extras(as_text(entry.after)))
            except (ValueError, TypeError):
                report.not_undone.append(_("Ändringslogg row {log_row}: the note of {tab} {id} is not readable "
                                           "JSON").format(log_row=entry.log_row, tab=entry.tab, id=entry.row_id))
                continue
            extras.setdefault((entry.tab, entry.row_id, label), []).insert(0, (before, after))
        elif (entry.tab, entry.row_id) in appended or (entry.tab, entry.row_id) in removed:
            continue  # the row's own undo covers it
        else:
            cells.setdefault((entry.tab, entry.row_id, entry.column), []).insert(0, entry)
    for (tab, row_id, column), history in cells.items():
        _undo_cell(changes, report, tables[tab], row_id, column, history[0].before, history[-1].after)
    for (tab, row_id, column), steps in extras.items():  # checked against the cell when writing
        changes.extras.append(ExtrasChange(tab, row_id, column, steps[-1][1], steps[0][0],
                                           f"undo of run {report.run_id}"))
        report.planned.append(_("{tab} {id}, {column}: note or link put back as before the run").format(
            tab=tab, id=row_id, column=column))
    if changes:
        changes.appends.append(run_note(UNDOES, run_id))
    return changes, report


def _undo_cell(changes: ChangeSet, report: UndoReport, table: Table, row_id: str, column: str,
               before: Any, after: Any) -> None:
    if row_id not in table.df.index:
        report.left.append(_("{tab} {id}: row not found (removed or its ID changed since the run); {column} not "
                             "restored").format(tab=table.name, id=row_id, column=column))
        return
    current = table.df.at[row_id, column] if column in table.df.columns else None
    if values_equal(current, before):
        report.already += 1
    elif values_equal(current, after):
        changes.cells.append(CellChange(table.name, row_id, column, current, before, f"undo of run {report.run_id}"))
        report.restored += 1
        report.planned.append(f"{_row_label(table, row_id)}, {column}: {_shown(column, current)} -> {_shown(column, before)}")
    else:
        report.left.append(_("{row}, {column}: changed after the run (the run wrote {written}, now {now})").format(
            row=_row_label(table, row_id), column=column, written=_shown(column, after), now=_shown(column, current)))


def _logged_row(report: UndoReport, entry: LogEntry, text: Any) -> tuple[dict[str, Any], dict] | None:
    """A logged row's values and number formats (changelog.decode_row), or None, reported."""
    try:
        return decode_row(as_text(text))
    except (ValueError, TypeError, AttributeError):
        pass
    report.not_undone.append(_("Ändringslogg row {log_row}: the row of {tab} {id} is not readable JSON").format(
        log_row=entry.log_row, tab=entry.tab, id=entry.row_id))
    return None


def _undo_append(changes: ChangeSet, report: UndoReport, table: Table, entry: LogEntry) -> None:
    logged = _logged_row(report, entry, entry.after)
    if logged is None:
        return
    written = logged[0]
    if not entry.row_id:
        report.not_undone.append(_("{tab}: a row the run added has no ID, so it cannot be found").format(
            tab=table.name))
    elif entry.row_id not in table.df.index:
        report.already += 1
    else:
        current = _current_row(table, entry.row_id)
        differs = _row_difference(current, written)
        if differs is not None:
            report.left.append(_("{row}: added by the run, changed since ({column}); not removed").format(
                row=_row_label(table, entry.row_id), column=differs))
            return
        changes.removals.append(RowRemoval(table.name, entry.row_id, current, f"undo of run {report.run_id}"))
        report.removed += 1
        report.planned.append(_("{row}: added by the run; removed").format(row=_row_label(table, entry.row_id)))


def _undo_removal(changes: ChangeSet, report: UndoReport, table: Table, entry: LogEntry, slots: RowSlots) -> None:
    logged = _logged_row(report, entry, entry.before)
    if logged is None:
        return
    row, formats = logged
    if entry.row_id in table.df.index:
        report.already += 1
        return
    extras = decode_extras(as_text(entry.before))
    row = {label: value for label, value in row.items() if not is_blank(value)}
    key = table.spec.key_column
    if key and entry.row_id and is_blank(row.get(key)):
        row[key] = entry.row_id  # a row given its ID by the same run: the log names it
    place = RowPlace.from_log(entry.after)
    placed = slots.put(entry.row_id, place)
    # Where it stood when its neighbours are still there (checked again when writing); else at the end.
    changes.appends.append(RowAppend(table.name, row, f"undo of run {report.run_id}", formats, extras,
                                     place if placed is not None else None))
    report.reinserted += 1
    company = as_text(row.get("Företag"))
    label = f"{table.name} {entry.row_id}" + (f" {company}" if company else "")
    if placed is not None:
        report.planned.append(_("{row}: removed by the run; re-inserted whole where it stood").format(row=label))
    elif place is None:
        report.planned.append(_("{row}: removed by the run; re-inserted whole at the end of the tab (the log does not "
                                "say where it stood)").format(row=label))
    else:
        report.planned.append(_("{row}: removed by the run; re-inserted whole at the end of the tab: {why}").format(
            row=label, why=not_placed(place, slots)))


def _undo_replacement(changes: ChangeSet, report: UndoReport, raw: RawWorkbook | None, tab: str,
                      parts: list[LogEntry]) -> None:
    """A tool-owned tab the run rewrote: its old content back, while the tab is as the run left it."""
    entry = parts[0]
    written = as_text(entry.after)
    digest = written.rsplit("(", 1)[-1].rstrip(")") if written.endswith(")") else ""
    before = "".join(as_text(p.before) for p in parts)
    if not before or not digest or raw is None:
        report.not_undone.append(_("{tab}: rewritten whole by the run ({written}); its old content is not in the log "
                                   "(the tool's own state, or a run from before it was logged), so it is left; the "
                                   "next run rewrites it anyway").format(tab=tab, written=written))
        return
    try:
        old, formats = decode_grid(before)
    except (ValueError, TypeError, AttributeError):
        report.not_undone.append(_("Ändringslogg row {log_row}: the old content of {tab} is not readable JSON").format(
            log_row=entry.log_row, tab=tab))
        return
    title = contract().find_tab_title(tab, raw.grids.keys()) if tab in contract().tabs else (
        tab if tab in raw.grids else None)
    current = raw.grids.get(title) if title else None
    if current is None or content_digest(current[:1][0] if current else [], current[1:]) != digest:
        report.left.append(_("{tab}: changed since the run rewrote it (by a later run or a person)").format(tab=tab))
        return
    headers = tuple(old[0]) if old else ()
    chart = logged_chart(before)
    named = {as_text(h) for h in headers}
    if chart and not (len(old) > 1 and {chart.get("category"), *chart.get("series", ())} <= named):
        chart = None  # not the content the chart was drawn on (an empty tab before a first night)
    changes.replacements.append(TabReplacement(tab, headers, tuple(tuple(r) for r in old[1:]), chart,
                                               formats=formats))
    report.tabs_restored += 1
    rows = max(len(old) - 1, 0)
    report.planned.append(ngettext("{tab}: rewritten by the run; put back as it was ({n} row)",
                                   "{tab}: rewritten by the run; put back as it was ({n} rows)", rows).format(
                                       tab=tab, n=rows))


# The walk: I/O through the Backend interface only (like runner.py) ---------------------------

@dataclass
class SheetUndo:
    """One spreadsheet of the undo: its plan, and what writing it did."""

    target: str
    changes: ChangeSet = field(default_factory=ChangeSet)
    report: UndoReport | None = None
    backend: Backend | None = None
    written: int = 0
    skipped: list[str] = field(default_factory=list)
    problem: str = ""
    access: Any = None  # sharing part of the undo (sharing.access_log)

    def render(self) -> list[str]:
        return self.report.render() if self.report else []

    def to_dict(self) -> dict:
        return {"target": self.target, "planned": len(self.changes), "written": self.written,
                "skipped": self.skipped, "problem": self.problem,
                "report": self.report.to_dict() if self.report else None}


@dataclass
class UndoRun:
    run_id: str
    applied: bool
    sheets: list[SheetUndo]
    run: RunInfo | None = None

    @property
    def failed(self) -> list[SheetUndo]:
        return [s for s in self.sheets if s.problem]

    def notes(self, sheet: SheetUndo) -> list[str]:
        """What goes to stderr after one spreadsheet's plan: skipped changes, then why it
        failed or its summary line."""
        notes = [_("skipped: {what}").format(what=warning) for warning in sheet.skipped]
        if sheet.problem:
            notes.append(_("{target}: FAILED: {problem}").format(target=sheet.target, problem=sheet.problem))
        elif sheet.report is not None:
            notes.append(summary_line(sheet.target, sheet.report.summary() if sheet.changes else None, self.applied,
                                      sheet.written, self.run.run_id if self.run else None, len(sheet.skipped),
                                      nothing=_("nothing to undo"), would=_("undo would make"), wrote=_("undid")))
        return notes

    def to_dict(self) -> dict:
        return {"undone_run": self.run_id, "applied": self.applied, "run_id": self.run.run_id if self.run else None,
                "spreadsheets": [s.to_dict() for s in self.sheets]}


def read_log(raw: RawWorkbook) -> Table | None:
    if contract().find_tab_title(LOG_TAB, raw.grids.keys()) is None:
        return None
    return load_table(raw, LOG_TAB)


def _touched_tables(raw: RawWorkbook, log_table: Table | None, run_id: str) -> Tables:
    tabs = {e.tab for e in log_entries(log_table) if e.run_id == run_id and e.tab in contract().tabs}
    return load_tables(raw, [], sorted(tabs - {LOG_TAB}))


def member_references(raw: RawWorkbook) -> list[str]:
    """`Individuellt CRM` of every member in a group CRM's `Medlemmar` (none elsewhere)."""
    if contract().find_tab_title("Medlemmar", raw.grids.keys()) is None:
        return []
    members = load_table(raw, "Medlemmar")
    return [members.text(r, "Individuellt CRM") for r in members.df.index if members.text(r, "Individuellt CRM")]


def _absolute(start: Backend, reference: str) -> str:
    target = start.resolve_relative(reference)
    return target if is_google_reference(target) else os.path.normpath(target)


def undo_run(start: Backend, run_id: str, apply: bool, open_backend: Callable[[str], Backend], *,
             run: RunInfo | None = None, listing: ChangeSet | None = None) -> UndoRun:
    """Plan (and with `apply` write) the undo of `run_id` in `start` and the spreadsheets it names.
    `run` and `listing`: a run id chosen before and the Körningar answer (`runner.listed`)."""
    raw = start.read()
    log_table = read_log(raw)
    commands = {e.command for e in log_entries(log_table) if e.run_id == run_id}
    known = bool(commands)
    references = linked_references(log_table, run_id)
    if not references and (not known or commands & set(MULTI_SPREADSHEET_COMMANDS)):
        references = member_references(raw)  # runs from before the `(körning i)` notes
    others = [_plan_other(_absolute(start, ref), run_id, open_backend) for ref in references]
    others = [s for s in others if s.report is not None or s.problem]
    if not known and not any(s.report for s in others):
        raise unknown_run(run_id, start.display_name, list_runs(log_table))
    first = SheetUndo(start.display_name, backend=start)
    if known:
        first.changes, first.report = plan_undo(_touched_tables(raw, log_table, run_id), log_table, run_id, raw)
        access_log.attach(first, log_table, run_id)  # hook: sharing changes the run logged
    for other in others:
        if other.changes:  # so that undoing this undo walks the same spreadsheets
            first.changes.appends.append(run_note(RUN_IN, other.target))
    if others and first.changes and not any(a.values.get("Kolumn") == UNDOES for a in first.changes.appends):
        first.changes.appends.insert(0, run_note(UNDOES, run_id))
    result = UndoRun(run_id, apply, [first, *others])
    if apply:
        result.run = run or RunInfo.new(COMMAND)
        for sheet in result.sheets:
            _write(sheet, result.run, listed(sheet.changes, result.run, listing, run_id) if sheet is first else None)
    return result


def _plan_other(target: str, run_id: str, open_backend: Callable[[str], Backend]) -> SheetUndo:
    sheet = SheetUndo(target)
    try:
        sheet.backend = open_backend(target)
        if not sheet.backend.exists():
            return sheet  # a member CRM that was never created: the run did not write it
        raw = sheet.backend.read()
        log_table = read_log(raw)
        if any(e.run_id == run_id for e in log_entries(log_table)):
            sheet.changes, sheet.report = plan_undo(_touched_tables(raw, log_table, run_id), log_table, run_id, raw)
            access_log.attach(sheet, log_table, run_id)  # hook: sharing changes the run logged
    except ChasSheetsError as exc:
        sheet.problem = str(exc)
    return sheet


def _write(sheet: SheetUndo, run: RunInfo, changes: ChangeSet | None = None) -> None:
    if not sheet.changes or sheet.backend is None or sheet.problem:
        return
    try:
        result = sheet.backend.apply(changes or sheet.changes, run)
        sheet.written = sum(not (isinstance(a, RowAppend) and a.tab in (LOG_TAB, RUNS_TAB)) for a in result.applied)
        sheet.skipped = list(result.skipped)
        access_log.finish(sheet)  # hook: sharing back as it was, after its log rows are written
    except ChasSheetsError as exc:
        sheet.problem = str(exc)


def summaries_json(runs: Iterable[RunSummary]) -> list[dict]:
    return [dict(vars(r), undone_by=list(r.undone_by)) for r in runs]


__all__ = ["LogEntry", "RunSummary", "UndoReport", "UnknownRun", "UndoRun", "list_note", "list_runs", "plan_undo", "undo_run",
           "linked_references", "member_references", "log_entries"]
