"""The nightly run's I/O: read the register, then each CRM once, write each at most once,
then rewrite the register's own tabs (only those whose content changed). With `sharing`
options the sharing audit runs right after the register is read (nightly.sharing: `Delning`).

One CRM's tables are in memory at a time; what outlives a CRM is its `CrmSummary`, kept as
its encoded text (`PackedSummary`) and decoded one CRM at a time for the figures.
A CRM that cannot be opened, read or written is an error row, never the end of the run,
and never erases what the register's tabs knew about it: its `Nattkörning` row is kept (to
be read again), its last summary stands in for it in the cross-CRM tabs, a cross-CRM tab
whose data about it is unknown keeps its rows, its `Risk` row in `Placering` and its
findings in `Delning` are kept (`keep_what_could_not_be_read`).
Google requests are paced (`RequestPacer`) to stay inside the per-user quota.

The whole night is one run: every CRM it writes logs its changes under the night's run id, and
the register's `Ändringslogg` gets a `(körning i)` note naming each CRM written, so
`chas-sheets undo REGISTER RUN_ID` undoes the night everywhere (undo.restore walks the notes).
The register's own tabs are rewritten keeping the columns backoffice added (`ROW_KEYS`: their
cells stay with the student, group or company of their row), and their old content is logged.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

from chas_sheets.backends import Backend, is_google_reference
from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import SHEET_LANGUAGE, _, in_language, language, ngettext
from chas_sheets.i18n.rephrase import rephrased
from chas_sheets.nightly.crm_summary import plan_crm, reusable_on, todo_current
from chas_sheets.nightly.report import (
    DASHBOARD,
    DIALOGUES,
    ERROR,
    GROUP_PICTURE,
    MEMBERS,
    OVERPROCESSING,
    OWNED_TABS,
    PLACEMENT,
    RISK,
    CrmOutcome,
    NightlyReport,
    build_report,
    old_rows,
)
from chas_sheets.nightly.sharing import (
    NOT_CHECKED,
    SHARING,
    SharingOptions,
    SharingOutcome,
    run_sharing_audit,
    sharing_tab,
)
from chas_sheets.nightly.state import (
    STATE_HEADERS,
    STATE_TAB,
    ChangeDetector,
    Detection,
    Everything,
    NightState,
    PackedSummary,
    decode_summary,
    encode_summary,
    parse_state,
    updated_state,
    version_after_write,
)
from chas_sheets.programme.register import CrmJob, Register, RegisterStudent, crm_jobs, read_register
from chas_sheets.runner import Outcome
from chas_sheets.sheet.changelog import LOG_TAB, RUN_IN
from chas_sheets.sheet.changes import ChangeSet, RowAppend, TabReplacement
from chas_sheets.sheet.tables import RawWorkbook
from chas_sheets.sheet.values import as_text
from chas_sheets.sheet.writeplan import RunInfo
from chas_sheets.text import one_line

COMMAND = "nightly"
QUOTA_PER_MINUTE = 60  # Google Sheets: read and write requests per minute per user
REQUESTS_PER_CHANGED_CRM = 3  # read, verify, write
# What names a row of the register's own tabs: a column backoffice added (`Åtgärd` in
# `Placering`) keeps its cells on the row of the same key when the night rewrites the tab.
ROW_KEYS = {DASHBOARD: ("Typ", "Grupp", "Namn"), OVERPROCESSING: ("Nyckel",), PLACEMENT: ("Namn", "Grupp"),
            MEMBERS: ("Grupp", "Namn"), SHARING: ("CRM",), GROUP_PICTURE: ("Grupp", "Typ", "Namn"),
            DIALOGUES: ("Grupp", "Företag", "Kontaktperson")}


class RequestPacer:
    """Keeps the requests of any 60 seconds within `per_minute`, by waiting before a CRM
    whose expected requests would overrun the window (instead of meeting 429s)."""

    def __init__(self, per_minute: int = QUOTA_PER_MINUTE, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.per_minute, self.clock, self.sleep = per_minute, clock, sleep
        self.sent: deque[tuple[float, int]] = deque()
        self.waited = 0.0

    def _in_window(self, now: float) -> int:
        while self.sent and now - self.sent[0][0] >= 60:
            self.sent.popleft()
        return sum(count for _, count in self.sent)

    def before(self, expected: int) -> None:
        expected = min(expected, self.per_minute)
        while self.sent and self._in_window(self.clock()) + expected > self.per_minute:
            wait = 60 - (self.clock() - self.sent[0][0])
            self.waited += max(wait, 0)
            self.sleep(max(wait, 0.01))

    def record(self, count: int) -> None:
        if count:
            self.sent.append((self.clock(), count))


def _requests(backend: Backend | None) -> int:
    return int(getattr(backend, "requests_sent", 0) or 0)


@dataclass
class NightlyResult:
    report: NightlyReport
    register_outcome: Outcome | None
    tabs_changed: list[str]
    detection_note: str = ""
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    sharing: SharingOutcome | None = None  # None: the audit was not asked for (or failed: a warning)

    @property
    def exit_code(self) -> int:
        return 1 if self.report.errors else 0


def _error_line(text: str) -> str:
    return one_line(text, most=300)


def for_the_reader(outcome: CrmOutcome) -> CrmOutcome:
    """`outcome` with its error (made in the sheet language, for the Dashboard) also worded in
    the language of whoever runs the night, for the terminal."""
    reader = language()
    if outcome.error and reader != SHEET_LANGUAGE:
        outcome.reader_error = rephrased(outcome.error, reader, SHEET_LANGUAGE)
    return outcome


def _execute(backend: Backend, changes: ChangeSet, apply: bool, run: RunInfo | None) -> Outcome:
    """runner.execute, under the night's run id (one id for everything the night writes)."""
    if not apply or not changes:
        return Outcome(changes, applied=False)
    run = run or RunInfo.new(COMMAND)
    result = backend.apply(changes, run)
    return Outcome(changes, applied=True, run=run, result=result, skipped=list(result.skipped))


def process_crm(job: CrmJob, backend: Backend, today: dt.date, apply: bool, run: RunInfo | None = None,
                student: RegisterStudent | None = None, cohort: int | None = None) -> CrmOutcome:
    """Read once, plan, write once if anything changed (under `run`, the night's run); every
    failure becomes the outcome's error. `student`, `cohort`: the register's row of an
    individual CRM's owner (its `Att göra`)."""
    outcome = CrmOutcome(job.target)
    try:
        raw = backend.read(None)
        plan = plan_crm(raw, job.kind, today, lia_registered=student.lia_registered if student else None,
                        cohort=cohort)
        del raw  # one CRM in memory at a time: the summary is all that outlives it
        outcome.summary, outcome.planned = plan.summary, len(plan.changes)
        outcome.warnings = [*plan.report.warnings[:20]]
        written = _execute(backend, plan.changes, apply, run)
        outcome.written = written.written
        outcome.digests = written.result.digests if written.result is not None else None
        outcome.warnings += [_("skipped: {change}").format(change=s) for s in written.skipped]
    except ChasSheetsError as exc:
        outcome.error = _error_line(str(exc))
    except Exception as exc:  # noqa: BLE001 — one broken CRM must never stop the night
        outcome.error = _error_line(f"{type(exc).__name__}: {exc}")
    return outcome


def run_nightly(register_backend: Backend, today: dt.date, *, apply: bool,
                open_backend: Callable[[str], Backend], detector: ChangeDetector | None = None,
                pacer: RequestPacer | None = None,
                progress: Callable[[Sequence[CrmJob]], Any] | None = None,
                sharing: SharingOptions | None = None) -> NightlyResult:
    """The whole night. `open_backend` opens a CRM reference; `detector` (default: read
    everything) tells which CRMs are unchanged; `progress(jobs)` wraps the loop (a bar);
    `sharing` (default: none) runs the sharing audit and rewrites `Delning`."""
    night = _Night.read_register(register_backend, today, apply, open_backend, pacer)
    if sharing is not None:
        night.audit_sharing(sharing)
    night.detect_changes(detector or Everything())
    night.process_crms(progress(night.jobs) if progress else nullcontext(night.jobs))
    report = night.report()
    tabs = night.owned_tabs(report)
    tabs.append(night.state_tab(report))  # after the owned tabs: its note names those kept
    changed = night.changed_tabs(tabs)
    register_outcome = night.write_register(changed)
    return NightlyResult(report, register_outcome, [tab.tab for tab in changed], night.detection_note(),
                         night.requests, night.warnings, night.audit)


class _Night:
    """One night's state, built up by `run_nightly`'s steps in their order (each step reads
    what the steps before it left)."""

    def __init__(self, register_backend: Backend, today: dt.date, apply: bool,
                 open_backend: Callable[[str], Backend], pacer: RequestPacer | None,
                 register: Register, raw: RawWorkbook):
        self.register_backend, self.today, self.apply = register_backend, today, apply
        self.open_backend, self.pacer = open_backend, pacer
        self.register, self.raw = register, raw  # raw: the run's own tabs, to compare and keep rows from
        self.old_state = parse_state(raw.grids.get(STATE_TAB))
        self.jobs = crm_jobs(register)
        self.warnings = list(register.warnings)
        self.audit: SharingOutcome | None = None
        self.detection = Detection({}, set())
        self.requests = 0
        self.outcomes: dict[str, CrmOutcome] = {}
        self.read_tonight: dict[str, str] = {}  # target -> encoded summary, for the state
        self.state = NightState()
        self.run = RunInfo.new(COMMAND) if apply else None  # one run id for the whole night
        self.written: list[str] = []  # CRMs the night wrote (named in the register's log)

    @classmethod
    def read_register(cls, register_backend: Backend, today: dt.date, apply: bool,
                      open_backend: Callable[[str], Backend], pacer: RequestPacer | None) -> _Night:
        """The night begins with the register: its jobs and the tabs last night left."""
        register, raw = read_register(register_backend, today, extra_tabs=(*OWNED_TABS, SHARING, STATE_TAB))
        return cls(register_backend, today, apply, open_backend, pacer, register, raw)

    @property
    def targets(self) -> list[str]:
        return [job.target for job in self.jobs]

    def audit_sharing(self, options: SharingOptions) -> None:
        try:
            self.audit = run_sharing_audit(self.register, self.open_backend, options)
        except Exception as exc:  # noqa: BLE001 — the audit is an extra: it never stops the night
            self.warnings.append(_("sharing audit failed ({error}); Delning kept as it was").format(
                error=_error_line(f"{type(exc).__name__}: {exc}")))

    def detect_changes(self, detector: ChangeDetector) -> None:
        try:
            self.detection = detector.detect(self.targets, self.old_state)
        except ChasSheetsError as exc:  # the feed failing only costs a full read
            self.warnings.append(_("change detection failed ({error}); every CRM is read").format(
                error=_error_line(str(exc))))
            self.detection = Everything().detect(self.targets, self.old_state)
        self.requests += self.detection.requests
        kept = self.old_state.entries  # a summary of another day may not stand for a replayed --today
        self.detection.unchanged = {t for t in self.detection.unchanged if t in kept and self._reusable(
            decode_summary(kept[t].summary) or {}, kept[t].read_on, t)}
        if self.pacer:  # the register's read and the detection count toward the first minute
            self.pacer.record(_requests(self.register_backend) + self.detection.requests)

    def _reusable(self, summary: dict, read_on: str, target: str) -> bool:
        """A kept summary stands for today, and the CRM's `Att göra` is still today's list."""
        student = next((s for s in self.register.students if s.crm == target), None)
        return reusable_on(summary, read_on, self.today) and todo_current(
            summary, self.today, student.lia_registered if student else None)

    def process_crms(self, loop: AbstractContextManager[Iterable[CrmJob]]) -> None:
        with loop as jobs:
            for job in jobs:
                if job.target in self.detection.unchanged:
                    self._reuse_summary(job)
                else:
                    self._read_crm(job)
                    # A CRM's workbook (openpyxl) and tables hold reference cycles; under the
                    # CLI's batch-tuned collector they would outlive the CRM until the end of the
                    # run (memory growing by ~2 MB per CRM written). The young generations hold
                    # them: collecting those costs ~20 ms, a full collection more than twice that.
                    gc.collect(1)

    def _reuse_summary(self, job: CrmJob) -> None:
        summary = PackedSummary(self.old_state.entries[job.target].summary)  # decoded when the figures are made
        self.outcomes[job.target] = CrmOutcome(job.target, summary, skipped=True)

    def _read_crm(self, job: CrmJob) -> None:
        if self.pacer:
            self.pacer.before(REQUESTS_PER_CHANGED_CRM)
        try:
            with in_language(SHEET_LANGUAGE):  # its error is read in the Dashboard
                backend = self.open_backend(job.target)
        except ChasSheetsError as exc:
            self.outcomes[job.target] = for_the_reader(CrmOutcome(job.target, error=_error_line(str(exc))))
            return
        student = self._student(job)
        cohort = self.register.cohort_of_student(student, self.today) if student else None
        with in_language(SHEET_LANGUAGE):  # what it writes, and its error (the Dashboard's), are sheet text
            outcome = process_crm(job, backend, self.today, self.apply, self.run, student, cohort)
        for_the_reader(outcome)
        if outcome.written:
            self.written.append(job.target)
        sent = _requests(backend)
        self.requests += sent
        if self.pacer:
            self.pacer.record(sent)
        self.outcomes[job.target] = outcome
        if outcome.summary is not None and not outcome.error:
            self.read_tonight[job.target] = text = encode_summary(outcome.summary.to_dict())
            if text:  # kept as its text until the figures: one CRM's summary decoded at a time
                outcome.summary = PackedSummary(text)
            after = version_after_write(self.detection.versions.get(job.target, ""), outcome.digests)
            if after:  # our own write is no reason to read it again tomorrow
                self.detection.versions[job.target] = after

    def _student(self, job: CrmJob) -> RegisterStudent | None:
        """The student whose individual CRM this is (the first row naming it, as `crm_jobs`)."""
        if job.kind != "individual":
            return None
        return next((s for s in self.register.students if s.crm == job.target), None)

    def report(self) -> NightlyReport:
        """The night's figures, from what each CRM gave (or, for the cross-CRM tabs, its stand-in)."""
        self._stand_in_for_unread()
        return build_report(self.register, self.outcomes, self.today)

    def _stand_in_for_unread(self) -> None:
        """A CRM that could not be read gets its summary from the last night it was read."""
        for target, outcome in self.outcomes.items():
            entry = self.old_state.entries.get(target)
            if outcome.summary is None and outcome.error and entry:
                stand_in = PackedSummary.from_text(entry.summary)
                if stand_in is not None:
                    outcome.stand_in, outcome.last_read = stand_in, entry.read_on

    def owned_tabs(self, report: NightlyReport) -> list[TabReplacement]:
        """The report's tabs and `Delning`, minus what a CRM that could not be read would wrongly erase."""
        tabs = [*report.tabs(), *([sharing_tab(self.audit.report, self.today)] if self.audit else [])]
        tabs = keep_what_could_not_be_read(tabs, report, self.raw, self.jobs, self.old_state, self.audit)
        return [replace(tab, key=ROW_KEYS.get(tab.tab, ())) for tab in tabs]

    def state_tab(self, report: NightlyReport) -> TabReplacement:
        """`Nattkörning`: what the next night needs, and the note on what tonight could not update
        (it names the tabs kept, so it comes after `owned_tabs`)."""
        self.state = updated_state(self.old_state, self.detection, self.read_tonight, self.today.isoformat(),
                                   self.targets)
        self.state.note = report.note()
        if report.unread:
            self.warnings.append(report.for_reader().note())
        # The night's own memory (tens of kB of summaries): not logged; after an undo the CRMs it
        # wrote have changed, so the next night reads them again anyway.
        return TabReplacement(STATE_TAB, STATE_HEADERS, self.state.rows(), log_content=False)

    def changed_tabs(self, tabs: list[TabReplacement]) -> list[TabReplacement]:
        """The tabs whose content the register does not already hold."""
        # A newer feed token alone is no reason to write: the write itself would move the feed
        # on, and every night would write again. The old token stays valid (a longer walk).
        old_token = NightState(self.old_state.page_token, self.state.entries, self.state.note)
        same_but_token = TabReplacement(STATE_TAB, STATE_HEADERS, old_token.rows())
        changed = [tab for tab in tabs if not same_tab(self.raw, tab)
                   and not (tab.tab == STATE_TAB and same_tab(self.raw, same_but_token))]
        if changed:  # a local save drops charts of tabs not rewritten: draw them again with the rest
            changed = [tab for tab in tabs if tab in changed or tab.chart]
        return changed

    def write_register(self, changed: list[TabReplacement]) -> Outcome | None:
        """The register's tabs that changed, and a `(körning i)` note per CRM the night wrote (so
        the night is undone from the register), in one write."""
        outcome = None
        notes = [RowAppend(LOG_TAB, {"Kolumn": RUN_IN, "Efter": self._reference(target)}, "the night wrote it")
                 for target in self.written]
        if changed or notes:
            if self.pacer:
                self.pacer.before(2)
            outcome = _execute(self.register_backend, ChangeSet(appends=notes, replacements=changed), self.apply,
                               self.run)
        self.requests += _requests(self.register_backend)  # the register's read, verify and write
        return outcome

    def _reference(self, target: str) -> str:
        """A CRM as the register's log names it: a Google URL as it is, a file relative to the
        register's folder (as the register names it, and as undo resolves it)."""
        folder = getattr(self.register_backend, "path", None)
        if is_google_reference(target) or folder is None:
            return target if is_google_reference(target) else os.path.abspath(target)
        return os.path.relpath(os.path.abspath(target), os.path.abspath(os.path.dirname(folder)))

    def detection_note(self) -> str:
        return ngettext("{n} of {total} CRM unchanged since it was last read",
                        "{n} of {total} CRMs unchanged since they were last read", len(self.jobs)).format(
            n=len(self.detection.unchanged), total=len(self.jobs))


def keep_what_could_not_be_read(tabs: list[TabReplacement], report: NightlyReport, raw: RawWorkbook,
                                jobs: Sequence[CrmJob], state: NightState,
                                audit: SharingOutcome | None) -> list[TabReplacement]:
    """The night's tabs, minus what a CRM that could not be read would wrongly erase:
    - a cross-CRM tab is not rewritten (its rows kept; `report.kept_tabs`) while a CRM whose
      data it held could not be read and has no summary to stand in (a CRM the state never
      saw, while the state has others, never was in the tab: it does not hold the tab back);
    - `Placering` keeps the `Risk` rows of students whose CRM failed (never judged at risk then);
    - `Delning` keeps the earlier findings of CRMs that could not be checked tonight."""
    kinds = {job.target: job.kind for job in jobs}
    unknown = {o.target for o in report.unread if o.stand_in is None and (o.target in state.entries or not state.entries)}
    groups_unknown = {t for t in unknown if kinds.get(t) == "group"}
    held_by = {OVERPROCESSING: unknown, MEMBERS: groups_unknown, GROUP_PICTURE: groups_unknown,
               DIALOGUES: groups_unknown}
    unread_students = {(s.name, s.group) for s in report.students if s.status == ERROR}  # the CRM failed
    unchecked = {c.crm for c in audit.report.crms if c.error} if audit else set()
    kept = []
    for tab in tabs:
        if held_by.get(tab.tab) and old_rows(raw.grids.get(tab.tab), tab.headers, lambda row: True):
            report.kept_tabs.append(tab.tab)
            continue
        if tab.tab == PLACEMENT and unread_students:
            name, group = tab.headers.index("Namn"), tab.headers.index("Grupp")
            ours = {(row[name], row[group] or "") for row in tab.rows}
            tab = TabReplacement(tab.tab, tab.headers, tab.rows + old_rows(
                raw.grids.get(tab.tab), tab.headers, lambda row: row.get("Lista") == RISK and (
                    row.get("Namn"), row.get("Grupp")) in unread_students - ours), tab.chart)
        elif tab.tab == SHARING and unchecked:
            tab = TabReplacement(tab.tab, tab.headers, tab.rows + old_rows(
                raw.grids.get(tab.tab), tab.headers,
                lambda row: row.get("CRM") in unchecked and row.get("Fynd") != NOT_CHECKED), tab.chart)
        kept.append(tab)
    return kept


def _trimmed(cells: Sequence[Any]) -> list[str]:
    text = [as_text(cell) for cell in cells]
    while text and not text[-1]:
        text.pop()
    return text


def same_tab(raw: RawWorkbook, tab: TabReplacement) -> bool:
    """Whether the register already holds exactly this tab's content (then it is not rewritten);
    columns backoffice added to it do not count (a rewrite keeps them)."""
    grid = raw.grids.get(tab.tab)
    if grid is None:
        return False
    head = _trimmed(grid[0]) if grid else []
    if tab.key and head[:len(tab.headers)] == _trimmed(tab.headers):
        grid = [row[:len(tab.headers)] for row in grid]
    current = [_trimmed(row) for row in grid]
    while current and not current[-1]:
        current.pop()
    wanted = [_trimmed(tab.headers), *(_trimmed(row) for row in tab.rows)]
    return current == wanted
