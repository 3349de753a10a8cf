"""`watch`'s I/O: poll the register's CRMs, run what people asked for in `Körningar`, answer there.

One poll:
1. Which spreadsheets changed since the last poll: the nightly run's change detectors
   (`nightly.state`): Drive's changes feed for Google (one request, whatever the number of
   CRMs), the file's content hash locally (no request). The register is watched too: a
   changed register is read again for its list of CRMs. Nothing changed: one request, no read.
2. For each changed CRM, only its `Körningar` tab is read (one request). Nothing pending: done.
3. The requests are carried out one at a time, in their order, through the same library
   functions as the commands (a request is an --apply; `Förhandsvisa skörd` the dry run):
   each row is claimed first (`Kör`, the run id in Resultat), then the job runs under that
   run id, then the row gets its answer, in the job's own write where the job writes one
   spreadsheet (`runner.listed`). See `requests` for how an interrupted claim is resumed.

What the watch remembers between polls (the feed's token, each spreadsheet's version, the
register's CRMs) is a small JSON file of its own: reading it back costs no request, and
losing it only costs one full poll.

`Beställd av`: the Sheets API does not say who typed a cell, and Drive's revisions cannot prove
it (a Sheets revision names only the last of the people who edited within it). What Drive can
prove is who CAN edit: when a poll finds new requests in a CRM that exactly one person besides
the tool's own account may edit, that person's e-mail is written (one Drive request, only on a
poll that found new requests; none on a quiet poll); otherwise the cell stays blank
(`backends.google.sole_editor_of`). Locally it stays blank: a file says nothing of who typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chas_sheets.backends import Backend, google_key
from chas_sheets.clean.plan import DEFAULT_COLUMN, plan_clean_comments
from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.errors import ChasSheetsError
from chas_sheets.harvest.run import AlreadySplit, HarvestRun, run_split
from chas_sheets.harvest.split import NoWishes, SkordMissing
from chas_sheets.i18n import SHEET_LANGUAGE, _, in_language, sheet_, sheet_ngettext
from chas_sheets.nightly.state import ChangeDetector, NightState, StateEntry, encode_summary, file_version
from chas_sheets.processed.plan import plan_mark_processed
from chas_sheets.programme.register import crm_jobs, read_register
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changelog import LOG_TAB, log_entries
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.schema import contract
from chas_sheets.sheet.tables import load_table
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.text import one_line
from chas_sheets.undo.restore import MULTI_SPREADSHEET_COMMANDS, UndoRun, UnknownRun, read_log, undo_run
from chas_sheets.watch.requests import (
    CLEAN,
    COMMAND_JOBS,
    COMMANDS,
    DEDUPE,
    DONE,
    FAILED,
    HARVEST,
    LEASE,
    MULTI_SPREADSHEET,
    PREVIEW,
    PROCESSED,
    RUNNING,
    RUNS_TAB,
    UNDO,
    WAITING,
    Request,
    Step,
    after,
    changes_summary,
    claim,
    finished,
    first_seen,
    needs_work,
    ordered_by,
    plan_poll,
    read_requests,
    running,
    waiting,
    with_run_id,
)

SERVED, UNREAD, LATER = "served", "unread", "later"  # what serving a CRM left
COMMAND = "watch"  # the run that writes the watch's own bookkeeping (claims, Fel, Väntar)
# The detectors skip only spreadsheets whose state holds a usable summary (the nightly run's
# figures); the watch keeps none, so every entry carries this empty one.
_SEEN = encode_summary({})


# The state between polls ---------------------------------------------------------------------

@dataclass
class WatchState:
    page_token: str | None = None
    versions: dict[str, str] = field(default_factory=dict)  # target -> version when last served
    crms: dict[str, str] = field(default_factory=dict)  # the register's CRMs: target -> kind
    # CRMs with a request left for later (waiting behind a live claim, a write that failed):
    # served again next poll even if nothing changes in them (a lease runs out without an edit)
    revisit: list[str] = field(default_factory=list)

    def night_state(self) -> NightState:
        return NightState(self.page_token, {t: StateEntry(v, "", _SEEN) for t, v in self.versions.items()})


def default_state_path(register: str) -> Path:
    """Under the user's cache folder, one file per register."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chas-sheets"
    name = register if google_key(register) else os.path.abspath(register)  # one file whatever the cwd
    return base / f"watch-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:16]}.json"


def load_state(path: Path) -> WatchState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WatchState(data.get("page_token"), dict(data.get("versions", {})), dict(data.get("crms", {})),
                          list(data.get("revisit", [])))
    except (OSError, ValueError, AttributeError):
        return WatchState()  # none or damaged: the next poll reads everything once


def save_state(path: Path, state: WatchState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(vars(state), tmp, ensure_ascii=False, indent=1)
    os.replace(tmp.name, path)  # a watch stopped mid-write leaves the old state, never half a file


# What one poll did ---------------------------------------------------------------------------

@dataclass
class Answer:
    target: str
    row: int
    job: str
    status: str
    result: str

    def line(self) -> str:
        # `result` is the Resultat cell as written (the sheet's language), quoted as it stands there
        return _("{target}: Körningar row {row} {job}: {status}: {result}").format(
            target=self.target, row=self.row, job=self.job, status=self.status, result=self.result)


@dataclass
class PollResult:
    detection_requests: int = 0
    read: list[str] = field(default_factory=list)  # spreadsheets whose Körningar was read
    answers: list[Answer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # spreadsheets that could not be served

    def lines(self) -> list[str]:
        return [*(a.line() for a in self.answers), *(_("problem: {problem}").format(problem=p) for p in self.problems),
                _("watch: CRMs read: {read}, requests answered: {answered}").format(
                    read=len(self.read), answered=len(self.answers))]


# The watch -----------------------------------------------------------------------------------

class Watch:
    def __init__(self, register: str, open_backend: Callable[[str], Backend], detector: ChangeDetector,
                 state_path: Path, today: Callable[[], dt.date] | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now().replace(microsecond=0),
                 lease: dt.timedelta = LEASE):
        self.register, self.open_backend, self.detector = register, open_backend, detector
        self.state_path, self.today, self.now, self.lease = state_path, today or dt.date.today, now, lease

    def poll(self) -> PollResult:
        state = load_state(self.state_path)
        result = PollResult()
        targets = [self.register, *state.crms]
        try:
            detection = self.detector.detect(targets, state.night_state())
            changed = {t for t in targets if t not in detection.unchanged}
            versions, token = detection.versions, detection.page_token
            result.detection_requests = detection.requests
        except ChasSheetsError as exc:  # the feed failing costs a full poll, nothing else
            result.problems.append(_("the changes feed: {problem}; every CRM is read").format(problem=one_line(exc)))
            changed, versions, token = set(targets), {}, state.page_token
        crms = state.crms
        if self.register in changed or not crms:
            try:
                register, _raw = read_register(self.open_backend(self.register), self.today())
                crms = {job.target: job.kind for job in crm_jobs(register)}
                state.versions[self.register] = versions.get(self.register) or _version(self.register, token)
            except ChasSheetsError as exc:
                result.problems.append(one_line(exc))
        revisit = set(state.revisit)
        state.revisit = []
        for target, kind in crms.items():
            if target in changed or target in revisit or target not in state.versions:
                # The version from before the read: an edit made while serving is seen next poll
                version = versions.get(target) or _version(target, token)
                try:
                    served = self.serve(target, kind, result)
                except Exception as exc:  # noqa: BLE001 — one broken CRM must not stop the others
                    traceback.print_exc()
                    result.problems.append(_("{target}: internal error ({kind})").format(
                        target=target, kind=type(exc).__name__))
                    served = UNREAD
                if served == UNREAD:
                    state.versions.pop(target, None)  # read again next poll
                    continue
                state.versions[target] = version
                if served == LATER:
                    state.revisit.append(target)
        state.crms = crms
        state.versions = {t: v for t, v in state.versions.items() if t in crms or t == self.register}
        state.page_token = token
        save_state(self.state_path, state)
        return result

    def serve(self, target: str, kind: str, result: PollResult) -> str:
        """Carry out what `target`'s Körningar asks for: SERVED, LATER (something is left for a
        later poll) or UNREAD (it could not be read)."""
        try:
            backend = self.open_backend(target)
            raw = backend.read([RUNS_TAB])
            result.read.append(target)
            if contract().find_tab_title(RUNS_TAB, raw.grids.keys()) is None:
                return SERVED
            table = load_table(raw, RUNS_TAB)
            requests = read_requests(table)
            if not needs_work(requests):
                return SERVED
            logged: set[str] = set()
            if running(requests):  # only then is the log needed: it grows with every run
                raw = backend.read([RUNS_TAB, LOG_TAB])
                table = load_table(raw, RUNS_TAB)
                requests = read_requests(table)
                logged = {e.run_id for e in log_entries(read_log(raw))}
            if first_seen(requests):  # who ordered them, where the API can prove it (one request)
                requests = ordered_by(requests, self._sole_editor(backend))
            steps = plan_poll(requests, "group" if kind == "group" else "individual", logged, self.now(), self.lease)
        except ChasSheetsError as exc:
            result.problems.append(f"{target}: {one_line(exc)}")
            return UNREAD
        problems = len(result.problems)
        named = {r.row_id for r in requests}
        # Rows people added have no ID yet: given in the first write, with the bookkeeping
        first = ChangeSet(ids=[a for a in table.id_assignments if a.new in named])
        current = {step.request.row_id: step.request for step in steps}
        queued = [s for s in steps if s.action in ("run", "rerun", "complete")]
        for step in steps:
            request = step.request
            if step.action == "fail":
                first.extend(finished(request, FAILED, step.reason, self.now()))
                result.answers.append(Answer(target, request.sheet_row, request.job, FAILED, step.reason))
            elif step.action == "wait" or (step in queued[1:] and request.status == ""):
                marks = waiting(request, self.now())
                first.extend(marks)
                current[request.row_id] = after(request, marks)
        for step in queued:
            first = self._carry_out(backend, kind, step, current[step.request.row_id], first, target, result)
        if first:
            self._write(backend, first, RunInfo.new(COMMAND), target, result)
        left = any(step.action == "wait" for step in steps) or len(result.problems) > problems \
            or len(running(requests)) > sum(step.action in ("rerun", "complete", "fail") for step in steps
                                            if step.request.status == RUNNING)
        return LATER if left else SERVED

    @staticmethod
    def _sole_editor(backend: Backend) -> str | None:
        try:
            return backend.sole_editor()
        except ChasSheetsError:
            return None  # cannot tell: Beställd av stays blank, the request is served all the same

    def _write(self, backend: Backend, changes: ChangeSet, run: RunInfo, target: str, result: PollResult) -> list:
        try:
            return backend.apply(changes, run).applied
        except ChasSheetsError as exc:
            result.problems.append(f"{target}: {one_line(exc)}")
            return []

    def _carry_out(self, backend: Backend, kind: str, step: Step, request: Request, pending: ChangeSet,
                   target: str, result: PollResult) -> ChangeSet:
        """One request, start to answer; returns the bookkeeping still to write (none once written)."""
        now = self.now()
        command = COMMANDS[request.job]
        if step.action == "complete" and request.job not in MULTI_SPREADSHEET:
            text = with_run_id(sheet_("done; finished after an interruption (the run had written its changes)"),
                               step.run_id)
            return self._answer(backend, request, DONE, text, pending, RunInfo.new(COMMAND), target, result)
        if request.job == PREVIEW:  # a dry run writes nothing but its answer: no claim needed
            status, text, _rest = self._guarded(lambda: self._preview(backend, request), request)
            return self._answer(backend, request, status, text, pending, RunInfo.new(COMMAND), target, result)
        run = RunInfo(step.run_id, command, now) if step.run_id else RunInfo.new(command, now)
        if request.status != RUNNING:
            marks = claim(request, run.run_id, now)
            claimed = self._write(backend, pending.extend(marks), RunInfo.new(COMMAND), target, result)
            if not any(item in claimed for item in marks.cells if item.column == "Status"):
                return ChangeSet()  # someone changed the row meanwhile (or another watch took it): theirs
            request = after(request, marks)
        status, text, answered = self._guarded(lambda: self._job(backend, kind, request, run), request)
        if answered:  # written with the job's own changes
            result.answers.append(Answer(target, request.sheet_row, request.job, status, text))
            return ChangeSet()
        return self._answer(backend, request, status, text, ChangeSet(), run, target, result)

    def _answer(self, backend: Backend, request: Request, status: str, text: str, pending: ChangeSet,
                run: RunInfo, target: str, result: PollResult) -> ChangeSet:
        self._write(backend, pending.extend(finished(request, status, text, self.now())), run, target, result)
        result.answers.append(Answer(target, request.sheet_row, request.job, status, text))
        return ChangeSet()

    @staticmethod
    def _guarded(job: Callable[[], tuple], request: Request) -> tuple:
        """A job's answer; a failure is the request's `Fel` with one line, never the watch's end.
        The job runs in the sheet's language: an error it raises is read in Resultat."""
        try:
            with in_language(SHEET_LANGUAGE):
                return job()
        except ChasSheetsError as exc:
            return FAILED, sheet_reason(exc, request.job), False
        except Exception as exc:  # noqa: BLE001 — one broken request must not stop the others
            traceback.print_exc()
            return FAILED, sheet_("internal error ({kind}); see the watch service's log").format(
                kind=type(exc).__name__), False

    # The jobs: the library calls the commands make ---------------------------------------------

    def _job(self, backend: Backend, kind: str, request: Request, run: RunInfo) -> tuple[str, str, bool]:
        """(status, Resultat, whether the answer went with the job's own write)."""
        today = self.today()
        if request.job == HARVEST:
            harvest = run_split(backend, request.argument, today, True, self.open_backend, run=run,
                                listing=ChangeSet())
            return (FAILED if harvest.failed else DONE), harvest_result(harvest, run.run_id), False
        if request.job == UNDO:
            if kind != "group":
                _refuse_elsewhere(backend, request.argument)
            undone = undo_run(backend, request.argument, True, self.open_backend, run=run, listing=ChangeSet())
            return (FAILED if undone.failed else DONE), undo_result(undone), False
        if request.job == PROCESSED:
            tables = read_tables(backend, ["Leads"], ["Kontaktlogg"])
            changes, _report = plan_mark_processed(tables, today)
        elif request.job == CLEAN:
            changes, _report = plan_clean_comments(read_tables(backend, ["Leads"]), DEFAULT_COLUMN, None, tab="Leads")
        elif request.job == DEDUPE:
            changes, _report = plan_dedupe(read_tables(backend, ["Leads"], ["Kontaktlogg"]), (), today)
        else:
            raise ChasSheetsError(sheet_("job {job} is not run by watch").format(job=request.job))  # a Resultat
        if not changes:
            return DONE, sheet_("nothing to change"), False
        text = with_run_id(changes_summary(changes), run.run_id)
        execute(backend, changes, run.command, True, run=run, listing=finished(request, DONE, text, self.now()))
        return DONE, text, True

    def _preview(self, backend: Backend, request: Request) -> tuple[str, str, bool]:
        harvest = run_split(backend, request.argument or None, self.today(), False, self.open_backend)
        seed = harvest.report.allocation.seed
        if request.argument:
            text = sheet_("preview with seed {seed}: {shares}; nothing written").format(
                seed=seed, shares=who_gets_what(harvest))
        else:
            text = sheet_("preview with seed {seed}: {shares}; nothing written (order Skörd with {seed} in Argument "
                          "for exactly this split)").format(seed=seed, shares=who_gets_what(harvest))
        return DONE, text, False


def _refuse_elsewhere(backend: Backend, run_id: str) -> None:
    """A run that wrote several spreadsheets is undone where it started (README): a harvest from
    the group's CRM, whose undo takes back every member's copy and the group's Skörd with it.
    Undone from one member's CRM, it would take back that copy alone while Skörd still says the
    companies are theirs. (One more read, only for an Ångra in an individual CRM.)"""
    log = read_log(backend.read([LOG_TAB]))
    commands = {e.command for e in log_entries(log) if e.run_id == run_id}
    if commands & set(MULTI_SPREADSHEET_COMMANDS):
        raise ChasSheetsError(sheet_("run {run_id} is the group's harvest: a harvest is undone from the group's CRM "
                                     "(order Ångra with this id in Körningar there), which also takes back every "
                                     "member's copy").format(run_id=run_id))


def sheet_reason(exc: ChasSheetsError, job: str, shown: int = 5) -> str:
    """Why a request failed, for a person at the sheet (one line, the sheet's language): what
    to do in the sheet, not the command line's advice the library's own message gives."""
    if isinstance(exc, AlreadySplit):
        return sheet_("the wishes in Skörd were already split with seed {seed} (run {run}); to complete that split, "
                      "order Skörd again with {seed} in Argument; for a new split, change the wishes first").format(
            seed=exc.seed, run=exc.run)
    if isinstance(exc, SkordMissing) or (isinstance(exc, NoWishes) and not exc.companies and not exc.problem):
        return sheet_("Skörd lists no companies yet: the tab is prepared for the harvest meeting by backoffice "
                      "(ask them); then each member marks their wishes in their own column and you order {job} "
                      "again").format(job=job)
    if isinstance(exc, NoWishes) and exc.problem:
        return sheet_("no wish in Skörd can be split: {problem}").format(problem=one_line(exc.problem))
    if isinstance(exc, NoWishes):
        return sheet_("nobody has marked a wish in Skörd yet ({companies} companies, {members} members): each member "
                      "marks the companies they want in their own column (x, or 1, 2, 3 … most wanted first), then "
                      "order {job} again").format(companies=exc.companies, members=exc.members, job=job)
    if isinstance(exc, UnknownRun):
        # the watch's own bookkeeping (claims, answers) is no run a person ordered or can undo
        runs = [r for r in exc.runs if r.command != COMMAND]
        latest = "; ".join(sheet_("{id} ({job}, {time})").format(id=r.id, job=COMMAND_JOBS.get(r.command, r.command),
                                                                  time=r.time) for r in reversed(runs[-shown:]))
        if not latest:
            return sheet_("no run {run_id} in this spreadsheet's Ändringslogg, and it has no run to undo yet").format(
                run_id=one_line(exc.run_id, 40))
        return sheet_("no run {run_id} in this spreadsheet's Ändringslogg; copy the id from Resultat of the run to "
                      "undo (the latest here: {latest})").format(run_id=one_line(exc.run_id, 40), latest=latest)
    return one_line(exc)


def who_gets_what(harvest: HarvestRun) -> str:
    parts = []
    for member in harvest.members:
        if member.failed:
            parts.append(sheet_("{member}: ERROR {problem}").format(member=member.member, problem=member.problem))
        else:
            parts.append(sheet_ngettext("{member} {n} company ({leads} leads)", "{member} {n} companies ({leads} leads)",
                                        member.companies).format(member=member.member, n=member.companies,
                                                                 leads=member.leads))
    return ", ".join(parts) or sheet_("no member")


def harvest_result(harvest: HarvestRun, run_id: str) -> str:
    written = sum(m.written for m in harvest.members)
    if harvest.failed:
        text = sheet_("split with seed {seed}: {shares}; {changes} changes in the group's CRM, {written} individual "
                      "CRMs written; order Skörd with the same seed again once the error is fixed, and the split is "
                      "completed")
    else:
        text = sheet_("split with seed {seed}: {shares}; {changes} changes in the group's CRM, {written} individual "
                      "CRMs written")
    text = text.format(seed=harvest.report.allocation.seed, shares=who_gets_what(harvest),
                       changes=harvest.group_written, written=written)
    return with_run_id(text, run_id)


def undo_result(undone: UndoRun) -> str:
    reports = [s.report for s in undone.sheets if s.report is not None]
    first = undone.sheets[0].report
    restored, removed = sum(r.restored for r in reports), sum(r.removed for r in reports)
    reinserted, left = sum(r.reinserted for r in reports), sum(len(r.left) for r in reports)
    counts = ((restored, sheet_ngettext("{n} cell restored", "{n} cells restored", restored)),
              (removed, sheet_ngettext("{n} added row removed", "{n} added rows removed", removed)),
              (reinserted, sheet_ngettext("{n} removed row re-inserted", "{n} removed rows re-inserted", reinserted)),
              (left, sheet_ngettext("{n} change made after the run left", "{n} changes made after the run left",
                                    left)))
    done = ", ".join(text.format(n=n) for n, text in counts if n) or sheet_("nothing left to undo")
    written = sum(1 for s in undone.sheets if s.written)
    text = sheet_("undid run {run_id} ({command}) in {written} spreadsheets: {done}").format(
        run_id=undone.run_id, command=first.command if first else sheet_("unknown command"), written=written,
        done=done)
    for sheet in undone.failed:
        text += "; " + sheet_("{target}: ERROR {problem}").format(target=sheet.target, problem=sheet.problem)
    return with_run_id(text, undone.run.run_id) if undone.run else text


def _version(target: str, token: str | None) -> str:
    """The version to remember for a spreadsheet the detection did not see (newly listed)."""
    return f"feed:{token}" if google_key(target) else file_version(target)


__all__ = ["WAITING", "PollResult", "Watch", "WatchState", "default_state_path", "load_state", "save_state"]
