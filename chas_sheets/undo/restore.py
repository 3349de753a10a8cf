"""`undo`: invert one run from `Ändringslogg` (planner pure; the walk at the end does the I/O).

Every change a run made is one log row (see `writeplan.resolve`); its `Kolumn` says what it was:
- a column name: a cell set from `Före` to `Efter`. Undone by a CellChange back to `Före`, only
  where the cell still holds `Efter`: a cell a person changed after the run is left as it is and
  reported; a cell already back at `Före` needs nothing, so undoing twice changes nothing.
  Several changes of one cell in a run collapse to first `Före` -> last `Efter`.
- `(ny rad)`, `Efter` = the row as JSON: the row is removed, but only while it is still exactly
  as the run wrote it (a row people have worked on since is kept and reported).
- `(rad borttagen)`, `Före` = the whole row as JSON: re-inserted whole, same ID, at the end of its
  tab (rows are found by ID, never by position): dates as dates, formulas as formulas (their
  relative references moved to the new row), number formats as they were, a cell of a column
  without a header back in that column (`changelog.decode_row`; a log from before formulas
  and formats were tagged gives their values, as it always did).
  Cell changes the run made on a row it removed or appended are covered by that row's undo.
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
from chas_sheets.privacy import mask_text, shown
from chas_sheets.runner import listed, summary_line
from chas_sheets.sharing import access_log
from chas_sheets.sheet.changelog import (
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
    decode_grid,
    decode_row,
    log_entries,
    logged_chart,
    unheaded_index,
)
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend, RowRemoval, TabReplacement
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import RawWorkbook, Table, Tables, load_table, load_tables
from chas_sheets.sheet.values import as_text, is_blank, values_equal
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.text import counted

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
        undone = f"  (undone by {', '.join(self.undone_by)})" if self.undone_by else ""
        return f"{self.id}  {self.time}  {self.command:<16} {self.changes:>5} changes{undone}"


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
    return f"{target}: {counted(len(runs), 'run', 'runs')} logged" + ("" if listed else "; give a RUN_ID to undo one")


def unknown_run(run_id: str, source: str, runs: list[RunSummary], shown: int = 5) -> InvalidInput:
    latest = "; ".join(f"{r.id} ({r.command}, {r.time})" for r in reversed(runs[-shown:]))
    return InvalidInput(f"no run {run_id!r} in Ändringslogg of {source}; "
                        + (f"latest runs: {latest}" if runs else "it logs no runs yet"))


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
    return repr(mask_text(shown(column, value))) if not is_blank(value) else "(blank)"


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
        parts = [f"{n} {label}" for n, label in ((self.restored, "cells restored"), (self.reinserted, "rows re-inserted"),
                                                 (self.removed, "added rows removed"),
                                                 (self.tabs_restored, "tabs restored")) if n]
        return ", ".join(parts) or "no changes"

    def render(self) -> list[str]:
        lines = [f"{self.target}: undo of run {self.run_id} ({self.command}, {self.time})"]
        lines += [f"  {line}" for line in self.planned]
        lines += [f"left as it is: {line}" for line in self.left]
        lines += [f"not undone: {line}" for line in self.not_undone]
        if self.ids_kept:
            lines.append(f"kept {self.ids_kept} new IDs the run gave (rows are found by them; an ID is never reused)")
        if self.already:
            lines.append(f"{self.already} changes already undone")
        return lines


def _row_label(table: Table, row_id: str) -> str:
    sheet_row = table.sheet_rows.get(row_id)
    company = table.text(row_id, "Företag") if row_id in table.df.index else ""
    return f"{table.name}" + (f" row {sheet_row}" if sheet_row else "") + f" {row_id}" + (f" {company}" if company else "")


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
    replaced_done: set[str] = set()

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
            report.not_undone.append(f"{entry.tab}: tab not found; change to {entry.row_id or 'a row'} "
                                     f"({entry.column}) not undone")
        elif entry.column == NEW_ROW:
            _undo_append(changes, report, table, entry)
        elif entry.column == REMOVED_ROW:
            _undo_removal(changes, report, table, entry)
        elif (entry.tab, entry.row_id) in appended or (entry.tab, entry.row_id) in removed:
            continue  # the row's own undo covers it
        else:
            cells.setdefault((entry.tab, entry.row_id, entry.column), []).insert(0, entry)
    for (tab, row_id, column), history in cells.items():
        _undo_cell(changes, report, tables[tab], row_id, column, history[0].before, history[-1].after)
    if changes:
        changes.appends.append(run_note(UNDOES, run_id))
    return changes, report


def _undo_cell(changes: ChangeSet, report: UndoReport, table: Table, row_id: str, column: str,
               before: Any, after: Any) -> None:
    if row_id not in table.df.index:
        report.left.append(f"{table.name} {row_id}: row not found (removed or its ID changed since the run); "
                           f"{column} not restored")
        return
    current = table.df.at[row_id, column] if column in table.df.columns else None
    if values_equal(current, before):
        report.already += 1
    elif values_equal(current, after):
        changes.cells.append(CellChange(table.name, row_id, column, current, before, f"undo of run {report.run_id}"))
        report.restored += 1
        report.planned.append(f"{_row_label(table, row_id)}, {column}: {_shown(column, current)} -> {_shown(column, before)}")
    else:
        report.left.append(f"{_row_label(table, row_id)}, {column}: changed after the run (the run wrote "
                           f"{_shown(column, after)}, now {_shown(column, current)}); left as it is")


def _logged_row(report: UndoReport, entry: LogEntry, text: Any) -> tuple[dict[str, Any], dict] | None:
    """A logged row's values and number formats (changelog.decode_row), or None, reported."""
    try:
        return decode_row(as_text(text))
    except (ValueError, TypeError, AttributeError):
        pass
    report.not_undone.append(f"Ändringslogg row {entry.log_row}: the row of {entry.tab} {entry.row_id} is not "
                             f"readable JSON; not undone")
    return None


def _undo_append(changes: ChangeSet, report: UndoReport, table: Table, entry: LogEntry) -> None:
    logged = _logged_row(report, entry, entry.after)
    if logged is None:
        return
    written = logged[0]
    if not entry.row_id:
        report.not_undone.append(f"{table.name}: a row the run added has no ID, so it cannot be found; left")
    elif entry.row_id not in table.df.index:
        report.already += 1
    else:
        current = _current_row(table, entry.row_id)
        differs = _row_difference(current, written)
        if differs is not None:
            report.left.append(f"{_row_label(table, entry.row_id)}: added by the run, changed since "
                               f"({differs}); not removed")
            return
        changes.removals.append(RowRemoval(table.name, entry.row_id, current, f"undo of run {report.run_id}"))
        report.removed += 1
        report.planned.append(f"{_row_label(table, entry.row_id)}: added by the run; removed")


def _undo_removal(changes: ChangeSet, report: UndoReport, table: Table, entry: LogEntry) -> None:
    logged = _logged_row(report, entry, entry.before)
    if logged is None:
        return
    row, formats = logged
    if entry.row_id in table.df.index:
        report.already += 1
        return
    key = table.spec.key_column
    if key and entry.row_id and is_blank(row.get(key)):
        row[key] = entry.row_id  # a row given its ID by the same run: the log names it
    changes.appends.append(RowAppend(table.name, row, f"undo of run {report.run_id}", formats))
    report.reinserted += 1
    company = as_text(row.get("Företag"))
    report.planned.append(f"{table.name} {entry.row_id}" + (f" {company}" if company else "")
                          + ": removed by the run; re-inserted whole")


def _undo_replacement(changes: ChangeSet, report: UndoReport, raw: RawWorkbook | None, tab: str,
                      parts: list[LogEntry]) -> None:
    """A tool-owned tab the run rewrote: its old content back, while the tab is as the run left it."""
    entry = parts[0]
    written = as_text(entry.after)
    digest = written.rsplit("(", 1)[-1].rstrip(")") if written.endswith(")") else ""
    before = "".join(as_text(p.before) for p in parts)
    if not before or not digest or raw is None:
        report.not_undone.append(f"{tab}: rewritten whole by the run ({written}); its old content is not in the log "
                                 "(the tool's own state, or a run from before it was logged), so it is left; "
                                 "the next run rewrites it anyway")
        return
    try:
        old, formats = decode_grid(before)
    except (ValueError, TypeError, AttributeError):
        report.not_undone.append(f"Ändringslogg row {entry.log_row}: the old content of {tab} is not readable "
                                 "JSON; not undone")
        return
    title = contract().find_tab_title(tab, raw.grids.keys()) if tab in contract().tabs else (
        tab if tab in raw.grids else None)
    current = raw.grids.get(title) if title else None
    if current is None or content_digest(current[:1][0] if current else [], current[1:]) != digest:
        report.left.append(f"{tab}: changed since the run rewrote it (by a later run or a person); left as it is")
        return
    headers = tuple(old[0]) if old else ()
    chart = logged_chart(before)
    named = {as_text(h) for h in headers}
    if chart and not (len(old) > 1 and {chart.get("category"), *chart.get("series", ())} <= named):
        chart = None  # not the content the chart was drawn on (an empty tab before a first night)
    changes.replacements.append(TabReplacement(tab, headers, tuple(tuple(r) for r in old[1:]), chart,
                                               formats=formats))
    report.tabs_restored += 1
    report.planned.append(f"{tab}: rewritten by the run; put back as it was ({max(len(old) - 1, 0)} rows)")


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
        notes = [f"skipped: {warning}" for warning in sheet.skipped]
        if sheet.problem:
            notes.append(f"{sheet.target}: FAILED: {sheet.problem}")
        elif sheet.report is not None:
            notes.append(summary_line(sheet.target, sheet.report.summary() if sheet.changes else None, self.applied,
                                      sheet.written, self.run.run_id if self.run else None, len(sheet.skipped),
                                      nothing="nothing to undo", would="undo would make", wrote="undid"))
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


__all__ = ["LogEntry", "RunSummary", "UndoReport", "UndoRun", "list_note", "list_runs", "plan_undo", "undo_run",
           "linked_references", "member_references", "log_entries"]
