"""`Körningar`: people ask for a job in the sheet, the tool answers there (pure: no I/O).

A person fills `Jobb` (and `Argument`); `chas-sheets watch` plans here what each row needs:
- a pending row (`Status` blank or `Väntar`) is run, in the order the rows stand in the tab;
- a request that cannot be carried out as written (an unknown job, `Skörd` without a seed,
  `Ångra` without a run id) is `Fel` with the one-line reason, never silently dropped;
- a row `Kör` is a claim: its `Resultat` names the run id the job runs under. That id is made
  when the row is claimed (`RunInfo.new`: it starts with the claim's time), so the claim's age
  needs no cell of its own. Whether the job wrote is told by the CRM's `Ändringslogg`: the
  run id's log rows are written atomically with its changes. Found there: the job ran (a
  multi-spreadsheet job, `Skörd` or `Ångra`, is run once more under the same id, which only
  completes what is missing); not there and older than the lease: the watch that claimed it
  stopped, so it is run under the same id; not there and younger: it may still run, so the
  pending rows of that spreadsheet wait (one job at a time per spreadsheet).
Command-line runs with --apply are listed too (`listing_row`), as the sheet's own history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from chas_sheets.i18n import sheet_, sheet_ngettext
from chas_sheets.sheet.changelog import RUNS_TAB
from chas_sheets.sheet.changes import CellChange, ChangeSet, RowAppend
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import Table, new_id_factory
from chas_sheets.sheet.values import as_text
from chas_sheets.text import one_line

HARVEST, PREVIEW, PROCESSED, CLEAN, DEDUPE, UNDO = (
    "Skörd", "Förhandsvisa skörd", "Bearbetade", "Rensa kommentarer", "Dubbletter", "Ångra")
JOBS = (HARVEST, PREVIEW, PROCESSED, CLEAN, DEDUPE, UNDO)
MULTI_SPREADSHEET = (HARVEST, UNDO)  # written start spreadsheet first, then others: re-run completes
WAITING, RUNNING, DONE, FAILED = "Väntar", "Kör", "Klar", "Fel"
# The command each job is, as Ändringslogg's `Kommando` names it; and back, for the listing
COMMANDS = {HARVEST: "harvest", PREVIEW: "harvest", PROCESSED: "mark-processed", CLEAN: "clean-comments",
            DEDUPE: "dedupe", UNDO: "undo"}
COMMAND_JOBS = {"harvest": HARVEST, "mark-processed": PROCESSED, "clean-comments": CLEAN, "dedupe": DEDUPE,
                "undo": UNDO}
FROM_COMMAND_LINE = "(kommandoraden)"
LEASE = dt.timedelta(minutes=10)
RUN_ID = re.compile(r"\b(\d{8}-\d{6})-[0-9a-f]{4}\b")
MOST_RESULT = 2000  # a Resultat people read at a glance; a Google cell holds 50,000


def stamp(moment: dt.datetime) -> str:
    """A time as people read it in the sheet (text: a cell that is not reformatted by locale)."""
    return f"{moment:%Y-%m-%d %H:%M}"


def claim_text(run_id: str, moment: dt.datetime) -> str:
    return sheet_("running as run {run_id} since {time}").format(run_id=run_id, time=stamp(moment))


def claimed_run(result: str) -> tuple[str, dt.datetime] | None:
    """The run id a `Kör` row's Resultat names, and when it was made (the id starts with it)."""
    match = RUN_ID.search(result)
    if not match:
        return None
    return match.group(0), dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")


@dataclass(frozen=True)
class Request:
    row_id: str
    sheet_row: int
    job: str  # a word of JOBS, or as typed when it is none of them
    argument: str
    status: str  # a word of the Status vocabulary, '' when blank, else as typed
    ordered: str  # Beställd as text
    result: str
    known: bool  # whether `job` is one of JOBS
    ordered_by: str = ""  # Beställd av as read
    # Who the API shows ordered a row first seen now (Beställd blank), to write in a blank
    # Beställd av; '' when it cannot tell (see watch.service).
    orderer: str = ""


def _word(spec_column, text: str) -> tuple[str, bool]:
    word = spec_column.canonical_value(text) if text else None
    return (word, True) if word else (text, False)


def read_requests(table: Table) -> list[Request]:
    """Every row that names a job, top to bottom (people add requests at the bottom)."""
    spec = contract().tab(RUNS_TAB)
    rows = sorted(table.df.index, key=lambda r: table.sheet_rows.get(r, 0))
    requests = []
    for row_id in rows:
        typed = table.text(row_id, "Jobb").strip()
        if not typed:
            continue
        job, known = _word(spec.column("Jobb"), typed)
        status, _known = _word(spec.column("Status"), table.text(row_id, "Status").strip())
        requests.append(Request(row_id, table.sheet_rows.get(row_id, 0), job, table.text(row_id, "Argument").strip(),
                                status, table.text(row_id, "Beställd"), table.text(row_id, "Resultat"), known,
                                table.text(row_id, "Beställd av").strip()))
    return requests


def first_seen(requests: Iterable[Request]) -> list[Request]:
    """Rows the watch has not seen before: a person's new request, its `Beställd` still blank."""
    return [r for r in requests if not r.ordered and r.status in ("", WAITING)]


def ordered_by(requests: list[Request], who: str | None) -> list[Request]:
    """`requests` with `who` as the orderer of the rows first seen now (see `first_seen`)."""
    if not who:
        return requests
    new = {r.row_id for r in first_seen(requests)}
    return [dataclasses.replace(r, orderer=who) if r.row_id in new else r for r in requests]


@dataclass(frozen=True)
class Step:
    """What this poll does with one request.

    action: 'run' (a new run, `run_id` None: made at the claim), 'rerun' (a claim whose watch
    stopped before the job wrote: same run id), 'complete' (the job wrote: a multi-spreadsheet
    job runs once more under its id to complete, any other is marked Klar), 'fail' (`reason`),
    'wait' (another job of this spreadsheet is running)."""

    request: Request
    action: str
    run_id: str | None = None
    reason: str = ""


def needs_work(requests: Iterable[Request]) -> bool:
    return any(r.status in ("", WAITING, RUNNING) for r in requests)


def running(requests: Iterable[Request]) -> list[Request]:
    return [r for r in requests if r.status == RUNNING]


def problem(request: Request, kind: str) -> str | None:
    """Why a request cannot be carried out as written (one line, in the sheet's language), if it cannot."""
    if not request.known:
        return sheet_("unknown job {job!r}; choose one of: {jobs}").format(job=one_line(request.job, 40),
                                                                           jobs=", ".join(JOBS))
    if request.job in (HARVEST, PREVIEW) and kind != "group":
        return sheet_("the harvest is made in the group's CRM, not in an individual one")
    if request.job == HARVEST and not request.argument:
        return sheet_("Skörd needs the seed you agreed on in Argument (Förhandsvisa skörd shows a split without one)")
    if request.job == UNDO and not request.argument:
        return sheet_("Ångra needs the run's id in Argument (it is in Resultat and in Ändringslogg)")
    return None


def plan_poll(requests: list[Request], kind: str, logged_runs: set[str], now: dt.datetime,
              lease: dt.timedelta = LEASE) -> list[Step]:
    """The steps of one poll of one spreadsheet, in the order they are carried out."""
    steps: list[Step] = []
    busy = False
    for request in running(requests):
        claim = claimed_run(request.result)
        if claim is None:
            steps.append(Step(request, "fail", reason=sheet_("status Kör without the run's id in Resultat; order the "
                                                             "job again")))
        elif claim[0] in logged_runs:
            steps.append(Step(request, "complete", claim[0]))
        elif now - claim[1] >= lease:
            steps.append(Step(request, "rerun", claim[0]))
        else:
            busy = True  # another watch (or this one's last poll) may be running it now
    for request in requests:
        if request.status not in ("", WAITING):
            continue
        reason = problem(request, kind)
        if reason:
            steps.append(Step(request, "fail", reason=reason))
        elif busy:
            steps.append(Step(request, "wait"))
        else:
            steps.append(Step(request, "run"))
    return steps


# The cell changes (compare-and-set against the row as read) ----------------------------------

def _set(changes: ChangeSet, request: Request, column: str, old: str, new: str) -> None:
    if old != new:
        changes.cells.append(CellChange(RUNS_TAB, request.row_id, column, old or None, new, "körningar"))


def _first_seen(changes: ChangeSet, request: Request, now: dt.datetime) -> None:
    """A row seen for the first time: when (`Beställd`) and, where the API tells, by whom."""
    if not request.ordered:
        _set(changes, request, "Beställd", "", stamp(now))
        if request.orderer and not request.ordered_by:
            _set(changes, request, "Beställd av", "", request.orderer)


def claim(request: Request, run_id: str, now: dt.datetime) -> ChangeSet:
    """Mark a row Kör, its run id in Resultat first: what a restarted watch resumes from."""
    changes = ChangeSet()
    _set(changes, request, "Status", request.status, RUNNING)
    _set(changes, request, "Resultat", request.result, claim_text(run_id, now))
    _first_seen(changes, request, now)
    return changes


def waiting(request: Request, now: dt.datetime) -> ChangeSet:
    """A request seen but not started yet (another job of this spreadsheet runs first)."""
    changes = ChangeSet()
    _set(changes, request, "Status", request.status, WAITING)
    _first_seen(changes, request, now)
    return changes


def finished(request: Request, status: str, result: str, now: dt.datetime) -> ChangeSet:
    """The row's answer: Klar or Fel, the time, and Resultat (one line)."""
    changes = ChangeSet()
    _set(changes, request, "Status", request.status, status)
    _set(changes, request, "Klar", "", stamp(now))
    _set(changes, request, "Resultat", request.result, one_line(result, MOST_RESULT))
    _first_seen(changes, request, now)
    return changes


def after(request: Request, changes: ChangeSet) -> Request:
    """The request as it stands once `changes` (written) are in the sheet: the old values of
    the next compare-and-set."""
    values = {c.column: as_text(c.new) for c in changes.cells if c.row_id == request.row_id}
    return dataclasses.replace(request, status=values.get("Status", request.status),
                               ordered=values.get("Beställd", request.ordered),
                               result=values.get("Resultat", request.result),
                               ordered_by=values.get("Beställd av", request.ordered_by))


# What people read ----------------------------------------------------------------------------

def changes_summary(changes: ChangeSet) -> str:
    """A change set counted in the sheet's language ('3 celler, 1 ny rad'), the listing's own rows left out."""
    ids = len(changes.ids)
    cells = sum(c.tab != RUNS_TAB for c in changes.cells)
    appends = sum(a.tab not in (RUNS_TAB, "Ändringslogg") for a in changes.appends)
    removals, replacements = len(changes.removals), len(changes.replacements)
    counts = ((ids, sheet_ngettext("{n} new ID", "{n} new IDs", ids)),
              (cells, sheet_ngettext("{n} cell", "{n} cells", cells)),
              (appends, sheet_ngettext("{n} new row", "{n} new rows", appends)),
              (removals, sheet_ngettext("{n} removed row", "{n} removed rows", removals)),
              (replacements, sheet_ngettext("{n} rewritten tab", "{n} rewritten tabs", replacements)))
    parts = [text.format(n=n) for n, text in counts if n]
    return ", ".join(parts) or sheet_("no changes")


def with_run_id(text: str, run_id: str) -> str:
    return sheet_("{text}; run {run_id}").format(text=text, run_id=run_id)


# Command-line runs, listed by the one place every --apply goes through (runner.listed) --------

CRM_TABS = frozenset(
    {t for kind in ("group", "student") for t in contract().kinds[kind].tabs}
    - set(contract().kinds["register"].tabs) - {RUNS_TAB})


def lists_run(changes: ChangeSet) -> bool:
    """Whether a change set is a run on a CRM worth listing: it changes people's tabs (a
    tool-owned tab rewritten whole, the nightly Att göra, is not a job anyone asked for)."""
    items = (*changes.ids, *changes.cells, *changes.appends, *changes.removals)
    return any(item.tab in CRM_TABS for item in items)


def listing_row(command: str, run_id: str, started: dt.datetime, result: str, argument: str = "") -> RowAppend:
    """The Körningar row of a command-line run: written in the run's own change set."""
    job = COMMAND_JOBS.get(command, command)
    # the run id makes the row's ID (one listing row per run): derived, like every new ID
    values = {"ID": new_id_factory(contract().tab(RUNS_TAB).id_prefix or "J", set())(run_id),
              "Jobb": job, "Argument": argument, "Status": DONE, "Beställd av": FROM_COMMAND_LINE,
              "Beställd": stamp(started), "Klar": stamp(started), "Resultat": with_run_id(result, run_id)}
    return RowAppend(RUNS_TAB, {k: v for k, v in values.items() if v}, "körningar")
