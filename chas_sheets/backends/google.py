"""The Google backend: a spreadsheet in Google Sheets, read and written in few requests.

- read: ONE `spreadsheets.get` with grid data (the value fields needed to give text as text,
  numbers as numbers and dates as dates; never gspread's numericising helpers). A command's
  read names its tabs with `ranges` (`ranged_read`): Google then answers with those tabs only,
  plus Ändringslogg's header row, so the read stays small however long the log grows. A tab
  not found by the title asked for (missing, or known by an alias) refuses such a read (400
  "Unable to parse range"): then everything is read, one request more, and the titles are
  remembered for the rest of the process. The verify read (below) names its tabs too: the
  tabs the run writes, Ändringslogg's header and its last LOG_TAIL_ROWS rows (where the run's
  log rows go), and the spreadsheet-level metadata, where the hidden scratch tabs of earlier
  writes are recorded (google_window) so the write deletes the stale ones without reading
  every tab, and where the index of the IDs the log names is kept (google_ids): a run
  handing out new IDs, which must not be in the log, checks them on it. The whole log is
  read only when there is no index yet or the log's rows moved under it (then once more:
  4 requests), and the write keeps a new one.
- apply: ONE re-read (the same request) for compare-and-set through `writeplan.resolve`, then
  ONE `spreadsheets.batchUpdate`. A lock (google_lock) is held from before the re-read until
  the write, riding on those two requests: the re-read is the answer to the batchUpdate that
  takes the lock, and the write batch releases it. Why batchUpdate and not `values:batchUpdate` with RAW:
  Google applies a batchUpdate atomically (all or nothing), so a failure never leaves half a
  run written and the Ändringslogg rows arrive with the cells they describe; new tabs,
  appended rows past the grid, date formats, deletions and charts all fit in the same
  request; and `stringValue` stores text exactly like RAW (never parsed as a number, a date
  or a formula). So a changed spreadsheet costs 3 requests (read, verify, write) and an
  unchanged one 1.
- A write whose outcome is unknown (a 503 or 500 answer, a timeout or a dropped connection
  after it was sent: google_http raises WriteOutcomeUnknown) is never repeated blindly: the
  next verify read looks for this run's rows in Ändringslogg (they are written atomically with
  everything else, removals included), and only writes again if they are not there. Sent
  twice, a batch that deletes a row by position would delete the next row too.
- Rows are found by ID in the verify read but written and deleted by position (a batchUpdate
  has no other way to name a row). Row guards (google_guard), placed with the lock and checked
  first in the write batch, make the write fail whole when a person inserted or deleted rows
  in between; the run then reads again and plans again. A sort, or a cell typed into, in that
  instant is caught by the write's own copy of the rows it writes (google_window): the write
  is then put back from that copy and made again on the rows as they are.
- init (`create_spreadsheet` or `create` on a blank spreadsheet): the Swedish locale and
  time zone (sv_SE, Europe/Stockholm: `11/4` typed by a person is 11 April), the template's
  tabs, dropdowns, bold frozen header, widths, protected tool-owned columns and colours in one
  batchUpdate; `share` invites people by e-mail (never "anyone with the link").
- Drive's changes feed (`start_page_token`, `modified_since`) lets the nightly run skip
  files nobody changed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote

import requests

from chas_sheets.backends import google_format as fmt
from chas_sheets.backends import google_guard as row_guard
from chas_sheets.backends import google_ids
from chas_sheets.backends import google_window as window
from chas_sheets.backends.base import ApplyResult, Backend, wanted_titles
from chas_sheets.backends.google_auth import (
    DRIVE_FILE,
    DRIVE_METADATA,
    SPREADSHEETS,
    load_identity,
    service_account_email,
)
from chas_sheets.backends.google_guard import Guard
from chas_sheets.backends.google_http import (
    DRIVE_URL,
    EMULATOR_ACCOUNT,
    SHEETS_URL,
    GoogleApiError,
    RetryingHTTPClient,
    RetryPolicy,
    WriteOutcomeUnknown,
    api_url_from_env,
    emulator_token,
)
from chas_sheets.backends.google_lock import LEASE_SECONDS, METADATA_FIELDS, SheetLock
from chas_sheets.errors import BackendError, InvalidInput, SpreadsheetLocked, SpreadsheetNotFound
from chas_sheets.i18n import _, ngettext
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.layout import layout_for
from chas_sheets.sheet.schema import contract, find_header
from chas_sheets.sheet.tables import RawWorkbook
from chas_sheets.sheet.values import as_text, is_blank
from chas_sheets.sheet.writeplan import RunInfo, WritePlan, column_letter, resolve

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
SHEETS_WEB_URL = "https://docs.google.com/spreadsheets/d/{key}"
MAX_LOST_WRITES = 3  # writes whose answer was lost, checked and retried, before giving up
MAX_WINDOW_UNDOS = 2  # writes put back because rows were sorted or edited under them, before giving up
MAX_GONE_SCRATCH = 3  # writes sent again without a recorded scratch tab a person deleted by hand
# Ändringslogg's rows the verify read takes from the bottom of its grid: the log's end, where
# the run's rows go. The tool grows the grid by exactly the rows it appends, so past init's
# 1,000 rows the data reaches the grid's last row; only a log whose last LOG_TAIL_ROWS rows
# were all cleared by hand costs one read more (of everything).
LOG_TAIL_ROWS = 1000
VERIFY_FIELDS = f"{fmt.READ_FIELDS},{METADATA_FIELDS}"  # with the lock and the scratch records
REGISTERED_FIELDS = "developerMetadata(metadataKey)"  # a few bytes: are scratch tabs recorded here?
_NO_GRID = re.compile(r"No grid with id: (\d+)")
# One named person's address: no wildcard (*@gmail.com), no list (a@x.se,b@y.se), no 'anyone'.
_EMAIL = re.compile(r"^[^@\s,;*]+@[^@\s,;*]+\.[^@\s,;*.]+$")


def check_share_addresses(emails: Iterable[str]) -> list[str]:
    """The addresses to share with, each checked before anything is created (no orphan left
    behind by a refusal): sharing is only ever with named people."""
    checked = []
    for email in emails:
        email = email.strip()
        if not _EMAIL.match(email):
            raise InvalidInput(_("--share '{email}' is not one person's e-mail address; a spreadsheet is shared "
                                 "only with named people (give --share once per person)").format(email=email))
        checked.append(email)
    return checked


@dataclass
class Connection:
    """How to reach Google (or an emulator): tests pass a session wired to the emulator."""

    credentials: str | None = None
    session: requests.Session | None = None
    api_url: str | None = None
    retry: RetryPolicy | None = None

    def client(self, scopes: Sequence[str]) -> tuple[RetryingHTTPClient, str]:
        """An HTTP client for `scopes` and who it acts as (for 'share it with ...')."""
        api_url = self.api_url if self.api_url is not None else api_url_from_env()
        if self.session is not None or api_url:
            session = self.session
            if session is None:
                session = requests.Session()
                session.trust_env = False  # loopback emulator: never through a proxy
            # The emulator grants exactly the scopes asked for, so a call they do not cover fails here as on Google.
            token = {"Authorization": f"Bearer {emulator_token(scopes)}"}
            return (RetryingHTTPClient(None, session, retry=self.retry, api_url=api_url, headers=token),
                    _("the emulator's user"))
        identity = load_identity(self.credentials, scopes)
        from google.auth.transport.requests import AuthorizedSession

        return RetryingHTTPClient(None, AuthorizedSession(identity.credentials), retry=self.retry), identity.who


class GoogleSpreadsheet(Backend):
    def __init__(self, key: str, credentials: str | None = None, *, session: requests.Session | None = None,
                 api_url: str | None = None, retry: RetryPolicy | None = None):
        self.key = key
        self.target = SHEETS_WEB_URL.format(key=key)
        self.connection = Connection(credentials, session, api_url, retry)
        self._clients: dict[tuple[str, ...], tuple[RetryingHTTPClient, str]] = {}
        self.locking = True  # hold the chas-sheets lock while writing (tests turn it off to show why)
        self.lock_options: dict[str, Any] = {}  # SheetLock overrides: clock, sleep, lease/wait/retry seconds
        self._old_scratch: list[int] = []  # scratch tabs of this backend's finished writes (google_window)

    # plumbing ---------------------------------------------------------------------------
    def _client(self, *extra_scopes: str) -> RetryingHTTPClient:
        scopes = (SPREADSHEETS, *extra_scopes)
        if scopes not in self._clients:
            self._clients[scopes] = self.connection.client(scopes)
        return self._clients[scopes][0]

    @property
    def requests_sent(self) -> int:
        return sum(client.requests_sent for client, _ in self._clients.values())

    def _who(self) -> str:
        return next(iter(self._clients.values()))[1] if self._clients else _("the account chas-sheets uses")

    def _failed(self, exc: GoogleApiError) -> Exception:
        if exc.status == 404:
            return SpreadsheetNotFound(_("{target}: not found, or no access — share it with {who}").format(
                target=self.target, who=self._who()))
        if exc.status == 403:
            return SpreadsheetNotFound(_("{target}: no access — share it with {who} (as editor)").format(
                target=self.target, who=self._who()))
        return BackendError(f"{self.target}: {exc}")

    def _fetch(self, tabs: Sequence[str] | None = None, fields: str = f"{fmt.READ_FIELDS},{REGISTERED_FIELDS}") -> dict:
        """The one read: every tab's properties and cells; with `tabs`, only the tabs named
        (`ranges`, see `ranged_read`), or everything when one of them is not found by the
        title asked for (one more request, only then)."""
        params: dict[str, Any] = {"includeGridData": "true", "fields": fields}
        ranges = ranged_read(tabs, _KNOWN_TITLES.get(self.key, {})) if tabs is not None else None
        try:
            try:
                book = self._client().get_json(f"{SHEETS_URL}/{self.key}", params={**params, "ranges": ranges}
                                               if ranges else params)
            except GoogleApiError as exc:
                if not (ranges and exc.status == 400 and "Unable to parse range" in exc.message):
                    raise
                # A tab missing, or known by another name (an alias, a renamed tab): the whole
                # spreadsheet, whose titles the next read of this process asks for.
                book = self._client().get_json(f"{SHEETS_URL}/{self.key}", params=params)
                ranges = None
        except GoogleApiError as exc:
            raise self._failed(exc) from exc
        self._title = str(book.get("properties", {}).get("title") or "").strip()
        self._sheets = fmt.sheet_infos(book)  # where row guards go if this read is planned on
        self._sheets_complete = not ranges  # every tab, or only those asked for
        self._registered = window.registered(book)  # its scratch tabs are recorded: the verify read may name tabs
        self._indexed = google_ids.has_index(book)  # the log's IDs are indexed: a verify read needs its tail only
        if not ranges:  # every tab's title: remembered for the ranged reads to come
            _remember_titles(self.key, [info.title for info in self._sheets])
        return book

    def _lock(self, run: RunInfo) -> SheetLock | None:
        if not self.locking:
            return None
        client = self._client()
        url = f"{SHEETS_URL}/{self.key}"
        sleep = client.retry.sleep
        return SheetLock(self.target, run.run_id,
                         lambda body, params, **kw: client.post_json(f"{url}:batchUpdate", body, params, **kw),
                         lambda params: client.get_json(url, params), fmt.READ_FIELDS,
                         **{"sleep": sleep, "retry_seconds": client.retry.total_seconds, **self.lock_options})

    def _batch_update(self, requests_: list[dict], *extra_scopes: str) -> dict:
        try:
            return self._client(*extra_scopes).post_json(f"{SHEETS_URL}/{self.key}:batchUpdate",
                                                         {"requests": requests_})
        except GoogleApiError as exc:
            raise self._failed(exc) from exc

    @staticmethod
    def _workbook(book: dict, tabs: Sequence[str] | None, formulas: bool, source: str) -> RawWorkbook:
        sheets = {s["properties"]["title"]: s for s in book.get("sheets", ())}
        titles = [info.title for info in fmt.sheet_infos(book) if not window.is_scratch(info.title)]
        wanted = wanted_titles(titles, tabs)
        grids = {t: fmt.sheet_grid(sheets[t], formulas) for t in wanted}
        dates = {t: found for t in wanted if (found := fmt.locale_dates(sheets[t]))}
        locale = book.get("properties", {}).get("locale")
        return RawWorkbook(titles, grids, source, locale=locale, locale_dates=dates)

    # Backend ----------------------------------------------------------------------------
    def exists(self) -> bool:
        try:
            self._client().get_json(f"{SHEETS_URL}/{self.key}", params={"fields": "spreadsheetId"})
        except GoogleApiError as exc:
            if exc.status == 404:
                return False
            if exc.status == 403:
                return True  # it is there; reading it will say whom to share it with
            raise self._failed(exc) from exc
        return True

    def read(self, tabs: Sequence[str] | None = None) -> RawWorkbook:
        return self._workbook(self._fetch(tabs), tabs, formulas=False, source=self.target)

    def apply(self, changes: ChangeSet, run: RunInfo) -> ApplyResult:
        if not changes:
            return ApplyResult(WritePlan(run), written=False)  # nothing to verify: no request
        lock = self._lock(run)
        tabs = [*sorted(changes.tabs), LOG_TAB]
        # Row guards ride on the lock's batches (no request of their own); from the state the
        # command read, since the verify read is the answer to the batch that places them.
        seed = f"{run.run_id} {secrets.token_hex(4)}"  # guard ids: never those of another apply, even of this run
        guards: list[Guard] = []
        tries = 0

        def place() -> list[dict]:
            """Guards for a try at the lock: the first on the sizes the command read; a later
            one (the grid may have shrunk while we waited, and a guard outside it would refuse
            the take) on the sizes now."""
            nonlocal guards, tries
            tries += 1
            if tries == 1 and getattr(self, "_sheets", None) is not None:
                infos, complete = self._sheets, self._sheets_complete
            else:
                infos, complete = self._sheet_list(), True
            guards = self._guards(infos, tabs, seed, -tries)
            if lock:  # the verify read riding on the take: the tabs it needs, as they are in `infos`
                new_ids = bool(changes.ids) and not getattr(self, "_indexed", False)
                lock.response_ranges = (verify_ranges(changes.tabs, new_ids, infos,
                                                      _KNOWN_TITLES.get(self.key, {}), complete)
                                        if getattr(self, "_registered", False) else None)
            return row_guard.place(guards, run.run_id)

        try:
            book = lock.acquire(place) if lock else None
        except GoogleApiError as exc:  # refused whole: neither the lock nor a guard was placed
            raise self._failed(exc) from exc
        placed = list(guards)  # the guards of the take that got through (a take is all or nothing)
        try:
            return self._apply_held(changes, run, book, lock, guards, placed, seed)
        except Exception:
            if lock:  # best effort; a lock left behind expires after its lease
                lock.release([row_guard.remove(g) for g in placed])
            raise

    def _guards(self, infos: Sequence[fmt.SheetInfo], tabs: Sequence[str], seed: str, attempt: int) -> list[Guard]:
        """One guard per tab the run may write that exists now (a tab the batch creates has
        no rows to shift)."""
        titles = {info.title: info for info in infos}
        found = []
        for name in tabs:
            title = contract().find_tab_title(name, titles) if name in contract().tabs else (
                name if name in titles else None)
            if title is not None and (titles[title].sheet_id, titles[title].rows) not in found:
                found.append((titles[title].sheet_id, titles[title].rows))
        return row_guard.guards_for(found, seed, attempt)

    def _rows_moved(self, guards: Sequence[Guard]) -> bool:
        """After a refused write: did a guard leave its row (a person inserted or deleted rows)?"""
        client = self._client()
        for guard in guards:
            try:
                found = client.get_json(f"{SHEETS_URL}/{self.key}/developerMetadata/{guard.metadata_id}")
            except GoogleApiError as exc:
                if exc.status != 404:
                    raise
                found = None
            if row_guard.moved(guard, found):
                return True
        return False

    def _apply_held(self, changes: ChangeSet, run: RunInfo, book: dict | None, lock: SheetLock | None,
                    guards: list[Guard], placed: list[Guard], seed: str) -> ApplyResult:
        tabs = [*sorted(changes.tabs), LOG_TAB]
        sent: _Sent | None = None
        notes: list[str] = []
        moved = undone = reshaped = 0
        scratch: list[int] = []  # scratch tabs of this apply's undone writes: the next write deletes them
        gone: set[int] = set()  # recorded scratch tabs a person deleted by hand (found by a refused write)
        index_refused = False  # a write refused with the log's ID index in it went again without it
        for attempt in range(1, MAX_LOST_WRITES + MAX_WINDOW_UNDOS + 3 + MAX_GONE_SCRATCH):
            # The lock's answer is the first verify read; everything is read when there is none
            # (a lost answer), or when the log's last rows it names are all blank (its end is above them).
            whole = book is None or not (lock and lock.last_ranged)
            if book is None or (not whole and not log_end_seen(book, lock.response_ranges if lock else None)):
                book, whole = self._fetch(fields=VERIFY_FIELDS), True
            fresh = self._workbook(book, tabs, formulas=True, source=self.target)
            known = self._logged_ids(book, fresh, None if whole or lock is None else lock.response_ranges)
            if known is None and changes.ids:
                # New IDs, and no index to check them on (none, or the log's rows moved under
                # it): the log whole, once (a ranged read of the same tabs); the write keeps a new index.
                book = self._fetch(tabs, fields=VERIFY_FIELDS)
                whole = self._sheets_complete
                fresh = self._workbook(book, tabs, formulas=True, source=self.target)
                known = self._logged_ids(book, fresh, None)
            if sent is not None and run_logged(fresh, run.run_id):
                notes.append(_("the answer to the write was lost, but its rows are in Ändringslogg: it was applied"))
                # Its copy is in the spreadsheet too (a scratch tab outlives the batch): check it.
                if window.moved_rows(sent.captures, window.grids_of(book), sent.expected()):
                    undone += 1
                    placed[:] = [g for g in placed if g not in guards]  # the write removed them
                    book, guards, made = self._undo(run, lock, sent, book, tabs, seed, attempt, placed, notes, undone)
                    scratch += made
                    sent = None
                    continue
                self._forget([g for g in placed if g not in guards])
                self._sheets = None
                self._old_scratch += sent.scratch_ids()
                return ApplyResult(sent.plan, written=True, notes=notes)
            plan = resolve(changes, fresh, run, fmt.number_format_lookup(book), fmt.extras_lookup(book))
            if not plan:
                if lock:
                    lock.release([row_guard.remove(g) for g in placed]
                                 + self._drop_scratch(book, scratch, self._now(lock), whole, gone))
                return ApplyResult(plan, written=False, notes=notes)
            infos = {info.title: info for info in fmt.sheet_infos(book)}
            taken = {info.sheet_id for info in infos.values()}
            requests_ = []
            for title, writes in plan.tabs.items():
                requests_ += fmt.tab_requests(writes, infos.get(title), lambda: _claim_id(taken))
            index = google_ids.after_write(known, plan, fresh) if known is not None else None
            if index is not None:  # atomic with the log rows it covers
                requests_ += google_ids.replace_requests(None if index_refused else index)
            this = self._copy_of(plan, fresh, infos, requests_, taken, lock)
            drops = self._drop_scratch(book, scratch, self._now(lock), whole, gone)
            requests_ = drops + window.capture_requests(this.captures) + requests_
            ranges = window.response_ranges(this.captures, this.written_tabs())
            body: dict[str, Any] = {"includeSpreadsheetInResponse": True, "responseIncludeGridData": True,
                                    "responseRanges": ranges} if ranges else {}
            planned_on, book = book, None  # a retry reads again
            try:
                if lock:
                    requests_ = lock.fence(row_guard.check_and_remove(guards, run.run_id) + requests_)
                answer = self._client().post_json(f"{SHEETS_URL}/{self.key}:batchUpdate",
                                                  {"requests": requests_, **body},
                                                  {"fields": window.RESPONSE_FIELDS} if body else None)
            except WriteOutcomeUnknown as exc:
                sent = this
                notes.append(_("{problem}; checked and retried").format(problem=exc))
                continue
            except GoogleApiError as exc:
                missing = _NO_GRID.search(exc.message) if exc.status == 400 else None
                if missing and {"deleteSheet": {"sheetId": int(missing.group(1))}} in drops:
                    # A recorded scratch tab a person deleted by hand: nothing was written (the
                    # batch is atomic, the lock and guards still hold). Which ones are gone (one
                    # small read of the tab list), then the same write without them.
                    present = {info.sheet_id for info in self._sheet_list()}
                    gone |= {r.sheet_id for r in window.records_in(planned_on) if r.sheet_id not in present}
                    gone.add(int(missing.group(1)))
                    book = planned_on
                    continue
                if exc.status == 400 and guards and self._rows_moved(guards):
                    # Nothing was written (the batch is atomic): read again, plan again.
                    moved += 1
                    notes.append(_("a person inserted or deleted rows while this run wrote; nothing was written "
                                   "then, the rows were read again and the write made on them"))
                    guards = self._guards(self._sheet_list(), tabs, seed, attempt)
                    placed += guards
                    book = self._read_after(lock, row_guard.place(guards, run.run_id))
                    continue
                if lock and lock.lost():
                    raise SpreadsheetLocked(_("{target}: another chas-sheets run took over the lock of this run (it "
                                              "held it past its lease); nothing was written, run again").format(
                                                  target=self.target)) from None
                if _reshaped(exc):  # refused whole (atomic): read again and write once more, like after a sort
                    if reshaped:
                        raise BackendError(_("{target}: the sheet changed while this run wrote (a column or tab was "
                                             "removed or renamed); nothing was written, run again").format(
                                                 target=self.target)) from None
                    reshaped += 1
                    notes.append(_("a column or tab was removed or renamed while this run wrote; nothing was written "
                                   "then, the sheet was read again and the write made on it"))
                    continue  # `book` is None: the next try reads again
                if index is not None and not index_refused:
                    # Refused for no reason above: perhaps the index (past Google's metadata
                    # limit). Nothing was written (atomic); once more without it, the old one
                    # deleted, so runs read the whole log to check new IDs, as without one.
                    index_refused = True
                    book = planned_on
                    continue
                raise self._failed(exc) from exc
            after = answer.get("updatedSpreadsheet") or {}
            if window.moved_rows(this.captures, window.grids_of(after), this.expected()):
                undone += 1
                placed[:] = [g for g in placed if g not in guards]  # the write removed them
                book, guards, made = self._undo(run, lock, this, after, tabs, seed, attempt, placed, notes, undone)
                scratch += made
                continue
            self._forget([g for g in placed if g not in guards])
            self._sheets = None  # our write changed row counts: the next apply asks again
            if index is not None:
                self._indexed = not index_refused and google_ids.id_index.encode(index) is not None
            self._old_scratch += this.scratch_ids()  # this backend's next write deletes them
            return ApplyResult(plan, written=True, notes=notes)
        if moved:
            raise BackendError(_("{target}: rows kept being inserted or deleted while this run wrote; nothing was "
                                 "written, run again").format(target=self.target))
        raise BackendError(_("{target}: the write's answer was lost {n} times and it is not in Ändringslogg; nothing "
                             "was written, try again later").format(target=self.target, n=MAX_LOST_WRITES + 1))

    @staticmethod
    def _logged_ids(book: dict, fresh: RawWorkbook, ranges: Sequence[str] | None) -> set[str] | None:
        """The IDs Ändringslogg names, as a verify read read with `ranges` shows them: from
        its grid when it took the log whole, else from the index checked against the log's
        last rows (then kept in `fresh` for the plan); None when not known without reading
        the whole log."""
        if google_ids.first_read_row(ranges) <= 2:
            return google_ids.whole_log_ids(fresh)
        known = google_ids.logged(book, fresh, ranges)
        fresh.logged_ids = known
        return known

    # The window between the verify read and the write (google_window) -----------------------
    def _now(self, lock: SheetLock | None) -> dt.datetime:
        return dt.datetime.fromtimestamp(lock.clock() if lock else time.time(), dt.timezone.utc)

    def _copy_of(self, plan: WritePlan, fresh: RawWorkbook, infos: dict[str, fmt.SheetInfo], requests_: list[dict],
                 taken: set[int], lock: SheetLock | None) -> "_Sent":
        """What this write does, and the copy of the rows it touches that rides in it."""
        done = window.written(plan.tabs, infos)
        created = {r["addSheet"]["properties"]["title"]: r["addSheet"]["properties"]["sheetId"]
                   for r in requests_ if "addSheet" in r and r["addSheet"]["properties"]["title"] not in infos}
        stamp, token = self._now(lock), secrets.token_hex(3)  # the lock's clock: the one stale_scratch reads
        captures = window.plan_captures(window.write_rows(done), infos, lambda: _claim_id(taken),
                                        lambda n: window.scratch_title(stamp, token, n))
        return _Sent(plan, fresh, done, captures, created, infos)

    def _drop_scratch(self, book: dict, scratch: Sequence[int], now: dt.datetime, whole: bool,
                      gone: set[int] = frozenset()) -> list[dict]:
        """Deletions, riding on the next batch, of this apply's and this backend's earlier scratch
        tabs and of other runs' stale ones (older than the lock's lease), each with its record:
        found by their records in the verify read's spreadsheet-level metadata, and by title
        when it read every tab (`whole`: tabs of versions that did not record them). A record
        whose tab is not there (`gone`, or missing from a whole read) is deleted alone."""
        infos = fmt.sheet_infos(book)
        present = {info.sheet_id for info in infos}
        own = {*scratch, *self._old_scratch}
        requests_: list[dict] = []
        recorded: set[int] = set()
        for record in window.records_in(book):
            recorded.add(record.sheet_id)
            if record.sheet_id in own or window.is_stale(record.title, now, LEASE_SECONDS):
                if record.sheet_id not in gone and (record.sheet_id in present or not whole):
                    requests_ += window.delete_sheets([record.sheet_id])
                requests_.append(window.forget_request(record))
        unrecorded = [info.sheet_id for info in infos if window.is_scratch(info.title) and info.sheet_id not in recorded
                      and (info.sheet_id in own or window.is_stale(info.title, now, LEASE_SECONDS))]
        # Read whole, all scratch tabs were seen: from now on they are all recorded.
        marked = [window.registered_request()] if whole and not window.registered(book) else []
        return requests_ + window.delete_sheets(unrecorded) + marked

    def _undo(self, run: RunInfo, lock: SheetLock | None, sent: "_Sent", after: dict, tabs: Sequence[str],
              seed: str, attempt: int, placed: list[Guard], notes: list[str], undone: int
              ) -> tuple[dict, list[Guard], list[int]]:
        """Put back what a write did on rows that were not the planned ones, from its copy, in
        the batch that takes the lock again (its answer is the next verify read); that batch
        copies the rows it pastes on first, so it is checked like the write. Returns the new
        verify read, the row guards placed with it and the scratch tabs now to delete."""
        copies = window.grids_of(after)
        inserts, pastes, touched = window.undo_requests(sent.done, sent.captures, sent.created)
        now_sizes = {info.title: info for info in fmt.sheet_infos(after)}
        counts = window.inserted_counts(sent.done)
        sizes = {title: fmt.SheetInfo(info.sheet_id, title, info.index,
                                      now_sizes.get(title, info).rows + counts.get(title, 0),
                                      now_sizes.get(title, info).columns)
                 for title, info in sent.infos.items()}
        taken = {info.sheet_id for info in sizes.values()} | set(sent.created.values()) | set(sent.scratch_ids())
        stamp, token = self._now(lock), secrets.token_hex(3)
        checks = window.plan_captures(touched, sizes, lambda: _claim_id(taken),
                                      lambda n: window.scratch_title(stamp, token, n))
        by_title = {cap.title: cap for cap in sent.captures}
        expected = {w.title: window.after_write(copies.get(by_title[w.title].scratch_title, [])
                                                if w.title in by_title else [], w)
                    for w in sent.done if not w.created}
        guards = self._guards(list(sizes.values()), tabs, seed, 1000 + attempt)
        requests_ = inserts + window.capture_requests(checks) + pastes + row_guard.place(guards, run.run_id)
        keep = sent.scratch_ids() + [cap.scratch_id for cap in checks]
        kept = [(cap.scratch_id, cap.scratch_title) for cap in [*sent.captures, *checks]]
        try:
            book = self._read_after_undo(lock, requests_, checks)
        except (BackendError, GoogleApiError) as exc:
            self._keep(kept)
            raise BackendError(_("{target}: rows were sorted or edited while this run wrote, and putting back what "
                                 "it wrote failed ({problem}); the rows as they were are kept in the tabs named "
                                 "'{prefix}…'").format(target=self.target, problem=exc,
                                                       prefix=window.KEPT_PREFIX)) from None
        placed += guards
        if window.moved_rows(checks, window.grids_of(book), expected):
            self._keep(kept)
            raise BackendError(_("{target}: rows were sorted or edited again while this run put back what it "
                                 "wrote; nothing is lost: the rows as they were are kept in the tabs named "
                                 "'{prefix}…', compare them by hand").format(target=self.target,
                                                                            prefix=window.KEPT_PREFIX))
        rows = sorted({f"{cap.title} {row + 1}" for cap in sent.captures for row in cap.rows})
        notes.append(ngettext("a person sorted or edited rows in the instant this run wrote; what it wrote there "
                              "was put back ({n} row), the rows were read again and the write made on them",
                              "a person sorted or edited rows in the instant this run wrote; what it wrote there "
                              "was put back ({n} rows), the rows were read again and the write made on them",
                              len(rows)).format(n=len(rows)))
        if undone >= MAX_WINDOW_UNDOS:
            raise BackendError(_("{target}: rows kept being sorted or edited while this run wrote; what it wrote "
                                 "was put back each time, so nothing was lost or written; run again").format(
                                     target=self.target))
        return book, guards, keep

    def _read_after_undo(self, lock: SheetLock | None, requests_: list[dict], checks: Sequence[window.Capture] = ()
                         ) -> dict:
        """The undo with the lock's take (its answer is the next verify read, with the undo's own
        copies: a take that names its tabs would leave them out, and every row then looks moved)."""
        if lock is not None:
            named = lock.response_ranges
            if named:
                lock.response_ranges = [*named, *window.response_ranges(checks, [])]
            try:
                book = lock.acquire(lambda: list(requests_))
            finally:
                lock.response_ranges = named
            return book if book is not None else self._fetch()
        answer = self._client().post_json(f"{SHEETS_URL}/{self.key}:batchUpdate", {
            "requests": requests_, "includeSpreadsheetInResponse": True, "responseIncludeGridData": True},
            {"fields": f"updatedSpreadsheet({fmt.READ_FIELDS})"})
        return answer.get("updatedSpreadsheet") or {}

    def _keep(self, scratch: Sequence[tuple[int, str]]) -> None:
        """Scratch tabs shown and renamed, their records deleted, so no later write deletes them
        (best effort)."""
        stamp = self._now(None).strftime("%Y-%m-%d %H.%M.%S")
        batches = [[{"updateSheetProperties": {"properties": {
            "sheetId": sheet_id, "title": f"{window.KEPT_PREFIX}{stamp} {n + 1}", "hidden": False},
            "fields": "title,hidden"}}, window.forget_by_value(sheet_id, title)]
            for n, (sheet_id, title) in enumerate(scratch)]
        for requests_ in batches:  # one by one: a tab already gone does not stop the others
            try:
                self._client().post_json(f"{SHEETS_URL}/{self.key}:batchUpdate", {"requests": requests_},
                                         repeatable=True)
            except (BackendError, GoogleApiError):
                pass

    def _sizes(self) -> list[fmt.SheetInfo]:
        """Tab sizes as of the read the changes were planned on; asked for (one small read)
        only when this backend wrote since its last read, so a guard is never placed beyond
        the grid (that would refuse the lock's take)."""
        sheets = getattr(self, "_sheets", None)
        return sheets if sheets is not None else self._sheet_list()

    def _sheet_list(self) -> list[fmt.SheetInfo]:
        """Every tab's id and size now (a small read, to place new guards on bottom rows)."""
        try:
            found = self._client().get_json(f"{SHEETS_URL}/{self.key}", params={
                "fields": "sheets.properties(sheetId,title,index,gridProperties(rowCount,columnCount))"})
        except GoogleApiError as exc:
            raise self._failed(exc) from exc
        return fmt.sheet_infos(found)

    def _read_after(self, lock: SheetLock | None, requests_: list[dict]) -> dict:
        """New guards placed and the verify read, in one batch (atomic: the guards' rows are
        those of the state read)."""
        assert lock is not None  # guards only ride with the lock
        try:
            return lock.read_after(requests_)
        except WriteOutcomeUnknown as exc:
            raise BackendError(_("{target}: {reason} while reading again after a person moved rows; nothing was "
                                 "written, run again").format(target=self.target, reason=exc.reason)) from None
        except GoogleApiError as exc:
            raise self._failed(exc) from exc

    def _forget(self, stale: Sequence[Guard]) -> None:
        """Remove guards of earlier attempts (best effort: a guard whose row a person deleted
        is gone already, and a guard left behind is invisible and harmless)."""
        if not stale:
            return
        try:
            self._client().post_json(f"{SHEETS_URL}/{self.key}:batchUpdate",
                                     {"requests": [row_guard.remove(g) for g in stale]}, repeatable=True)
        except BackendError:
            pass

    def create(self, kind: str) -> None:
        """Build the template in this spreadsheet: only a blank one (a new 'Untitled
        spreadsheet' from Google Drive); init never overwrites people's data."""
        layout = layout_for(kind)
        book = self._fetch()
        if any(fmt.sheet_grid(sheet, formulas=True) for sheet in book.get("sheets", ())):
            raise SpreadsheetNotFound(_("{target} already holds data; init never overwrites a spreadsheet").format(
                target=self.target))
        old = [info.sheet_id for info in fmt.sheet_infos(book)]
        self._format(layout, old)

    def _format(self, layout, old_sheet_ids: list[int]) -> None:
        """The template in one batch. Sent again only after a read shows the lost one was not
        applied: Google applies a batch whole or not at all, so the template's new tab ids
        being there means it was (sent twice, addSheet under the same ids would fail)."""
        taken = set(old_sheet_ids)
        ids = [_claim_id(taken) for _ in layout.tabs]
        requests_ = fmt.layout_requests(layout, ids, old_sheet_ids)
        for _attempt in range(MAX_LOST_WRITES + 1):
            try:
                self._batch_update(requests_)
                return
            except WriteOutcomeUnknown:
                try:
                    book = self._client().get_json(f"{SHEETS_URL}/{self.key}",
                                                   params={"fields": "sheets.properties.sheetId"})
                except GoogleApiError as exc:
                    raise self._failed(exc) from exc
                if set(ids) <= {info.sheet_id for info in fmt.sheet_infos(book)}:
                    return
        raise BackendError(_("{target}: the template's answer was lost {n} times and it is not there; try again "
                             "later").format(target=self.target, n=MAX_LOST_WRITES + 1))

    @classmethod
    def new(cls, kind: str, *, title: str | None = None, share: Iterable[str] = (), folder_id: str | None = None,
            credentials: str | None = None, session: requests.Session | None = None, api_url: str | None = None,
            retry: RetryPolicy | None = None, app_properties: dict[str, str] | None = None) -> "GoogleSpreadsheet":
        """A new spreadsheet built from the template of `kind` (Drive files.create + one
        batchUpdate), shared with the given e-mails. `app_properties` (Drive's private,
        per-app file properties) are set in the same files.create, so a run that stops right
        after it can find the file again (`find_created`)."""
        share = check_share_addresses(share)
        layout = layout_for(kind)
        connection = Connection(credentials, session, api_url, retry)
        scopes = (SPREADSHEETS, DRIVE_FILE)
        client, who = connection.client(scopes)
        body: dict[str, Any] = {"name": title or layout.title, "mimeType": SPREADSHEET_MIME}
        if folder_id:
            body["parents"] = [folder_id]
        if app_properties:
            body["appProperties"] = dict(app_properties)
        # Repeatable: if a lost answer hid a create that was done, the repeat leaves one extra,
        # empty spreadsheet in the account's Drive; nothing a person made is touched.
        created = client.post_json(f"{DRIVE_URL}/files", body, {"supportsAllDrives": "true", "fields": "id"},
                                   repeatable=True)
        sheet = cls(created["id"], credentials, session=session, api_url=api_url, retry=retry)
        sheet._clients[scopes] = sheet._clients[(SPREADSHEETS,)] = (client, who)
        sheet._format(layout, [0])  # a new spreadsheet's only tab ('Sheet1') has id 0
        if share:
            sheet.share(share)
        return sheet

    @property
    def title(self) -> str:
        """The spreadsheet's title from the last read (the URL before any read)."""
        return getattr(self, "_title", "") or self.display_name

    def resolve_relative(self, reference: str) -> str:
        """A Google spreadsheet names others by URL, key or absolute path; a relative path has no
        folder to be relative to, so it comes back marked, and opening it says why it cannot."""
        from chas_sheets.backends.references import UNRESOLVABLE_PREFIX, is_google_reference

        if is_google_reference(reference) or Path(reference).expanduser().is_absolute():
            return reference
        return UNRESOLVABLE_PREFIX + reference

    # Drive: sharing ---------------------------------------------------------------------
    def share(self, emails: Iterable[str], role: str = "writer", notify: bool = True) -> list[str]:
        """Invite people by e-mail (never 'anyone with the link'); returns who was invited."""
        invited = []
        for email in check_share_addresses(emails):
            body = {"type": "user", "role": role, "emailAddress": email}
            params = {"sendNotificationEmail": "true" if notify else "false", "fields": "id"}
            try:
                # Repeatable: inviting the same person with the same role again leaves one permission.
                self._client(DRIVE_FILE).post_json(f"{DRIVE_URL}/files/{self.key}/permissions", body, params,
                                                   repeatable=True)
            except GoogleApiError as exc:
                raise self._failed(exc) from exc
            invited.append(email)
        return invited

    def unshare(self, email: str, permissions: list[dict] | None = None) -> int:
        """Take `email`'s access away (an owner's stays); returns how many permissions went.
        Repeatable: a permission already gone (a lost answer, a second run) is not an error.
        `permissions`: a `list_permissions()` answer the caller already has (saves a request)."""
        removed = 0
        for permission in self.list_permissions() if permissions is None else permissions:
            if (permission.get("emailAddress") or "").strip().lower() != email.strip().lower() \
                    or permission.get("role") == "owner":
                continue
            try:
                url = f"{DRIVE_URL}/files/{self.key}/permissions/{permission['id']}"
                self._client(DRIVE_FILE).request("delete", url, params={"supportsAllDrives": "true"}, repeatable=True)
            except GoogleApiError as exc:
                if exc.status != 404:
                    raise self._failed(exc) from exc
            removed += 1
        return removed

    def parent_folder(self) -> str | None:
        """The Drive folder the spreadsheet lies in (new spreadsheets go beside it), if any."""
        try:
            found = self._client(DRIVE_METADATA).get_json(f"{DRIVE_URL}/files/{self.key}",
                                                          {"fields": "parents", "supportsAllDrives": "true"})
        except GoogleApiError as exc:
            raise self._failed(exc) from exc
        parents = found.get("parents") or []
        return parents[0] if parents else None

    def sole_editor(self) -> str | None:
        """The e-mail of the one person besides this tool's own account who can edit the
        spreadsheet (Drive files.get, its `permissions`: one request), else None. See
        `sole_editor_of` for why this, and not Drive's revisions, is what can tell."""
        own = self._own_email()
        if own is None:
            return None
        try:
            found = self._client(DRIVE_METADATA).get_json(f"{DRIVE_URL}/files/{self.key}", {
                "fields": "permissions(type,role,emailAddress)", "supportsAllDrives": "true"})
        except GoogleApiError:
            return None  # cannot tell: the row is answered all the same, Beställd av left blank
        return sole_editor_of(found.get("permissions"), own)

    def _own_email(self) -> str | None:
        """The address of the account this tool acts as: a service account's, the emulator's;
        None for a person's own login (which permission is theirs is not known without asking)."""
        if self.connection.session is not None or self.connection.api_url or api_url_from_env():
            return EMULATOR_ACCOUNT
        return service_account_email(self.connection.credentials)

    def list_permissions(self) -> list[dict]:
        """Who has access: Drive's Permission resources (type, role, emailAddress, domain)."""
        found: list[dict] = []
        params = {"fields": "nextPageToken,permissions(id,type,role,emailAddress,domain,allowFileDiscovery)",
                  "pageSize": "100", "supportsAllDrives": "true"}
        client = self._client(DRIVE_METADATA)
        while True:
            try:
                page = client.get_json(f"{DRIVE_URL}/files/{self.key}/permissions", params)
            except GoogleApiError as exc:
                raise self._failed(exc) from exc
            found += page.get("permissions", [])
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]


EDITING_ROLES = ("owner", "organizer", "fileOrganizer", "writer")


def sole_editor_of(permissions: Sequence[Mapping[str, Any]] | None, own: str) -> str | None:
    """Who typed a new row, where Drive can prove it: the spreadsheet's one editor besides `own`.

    Drive's revisions cannot prove it: a Sheets revision gathers the edits of a stretch of time
    and names only 'the last user to modify this revision' (several people typing within it are
    one revision with one name), and the list 'might be incomplete' for frequently edited
    Sheets; the file's `lastModifyingUser` names the last edit of any cell. Who CAN edit is
    exact: with one person besides the tool, a row the tool did not write is theirs. None when
    a group, a domain or anyone with the link may edit, when several people may, and when
    Drive does not list the permissions (files in shared drives, or no right to see them)."""
    if not permissions:
        return None
    editors = [p for p in permissions if p.get("role") in EDITING_ROLES]
    if any(p.get("type") != "user" or not p.get("emailAddress") for p in editors):
        return None
    people = {p["emailAddress"].strip().lower() for p in editors} - {own.strip().lower()}
    return people.pop() if len(people) == 1 else None


def find_created(key: str, value: str, *, credentials: str | None = None, **connection: Any) -> list[dict]:
    """Spreadsheets this app created with the private file property `key`=`value` (Drive
    files.list, q `appProperties has {...}`, as Google documents it; with the drive.file scope it
    sees only files the app created): each file's id, createdTime, parents and appProperties, oldest first."""
    client, _scopes = Connection(credentials, **connection).client((SPREADSHEETS, DRIVE_FILE))
    quoted = value.replace("\\", "\\\\").replace("'", "\\'")
    params = {"q": f"appProperties has {{ key='{key}' and value='{quoted}' }} and trashed = false",
              "fields": "nextPageToken,files(id,createdTime,parents,appProperties)", "pageSize": "1000",
              "supportsAllDrives": "true", "includeItemsFromAllDrives": "true"}
    found: list[dict] = []
    while True:
        try:
            page = client.get_json(f"{DRIVE_URL}/files", params)
        except GoogleApiError as exc:
            raise BackendError(_("Drive: looking for spreadsheets this tool created: {message}").format(
                message=exc.message)) from exc
        found += page.get("files", [])
        if not page.get("nextPageToken"):
            return sorted(found, key=lambda f: f.get("createdTime") or "")
        params["pageToken"] = page["nextPageToken"]


def _reshaped(exc: GoogleApiError) -> bool:
    """A write refused because the grid it was planned on changed after the verify read: a
    column deleted (a range beyond the grid) or a tab renamed or deleted (a range naming it)."""
    return exc.status == 400 and any(sign in exc.message for sign in (
        "exceeds grid limits", "Unable to parse range", "No grid with id"))


@dataclass
class _Sent:
    """A write batch: its plan, the verify read it was planned on, what it does and its copy."""

    plan: WritePlan
    fresh: RawWorkbook
    done: list[window.Written]
    captures: list[window.Capture]
    created: dict[str, int] = field(default_factory=dict)  # tabs it adds: title -> sheetId
    infos: dict[str, fmt.SheetInfo] = field(default_factory=dict)  # every tab as the verify read saw it

    def expected(self) -> dict:
        return {cap.title: window.as_read(self.fresh.grids.get(cap.title, [])) for cap in self.captures}

    def scratch_ids(self) -> list[int]:
        return [cap.scratch_id for cap in self.captures]

    def written_tabs(self) -> list[str]:
        """The tabs there before the write (rewritten ones too): their sizes after it are asked for."""
        return [title for title in self.plan.tabs if title in self.infos]


def _claim_id(taken: set[int]) -> int:
    sheet_id = fmt.new_sheet_id(taken)
    taken.add(sheet_id)
    return sheet_id


# The titles of the contract's tabs in each spreadsheet this process read whole: a tab known by
# an alias is then asked for by that title. Only titles that were there: a tab missing then
# may have been added since, so it is asked for by its own name again.
_KNOWN_TITLES: dict[str, dict[str, str]] = {}


def _remember_titles(key: str, titles: Sequence[str]) -> None:
    found = {name: title for name in contract().tabs if (title := contract().find_tab_title(name, titles))}
    _KNOWN_TITLES[key] = found


def quoted_title(title: str) -> str:
    """A tab's title as an A1 range: always quoted, a quote inside doubled (`'Att göra'`)."""
    return "'" + title.replace("'", "''") + "'"


def ranged_read(tabs: Sequence[str], known: Mapping[str, str]) -> list[str] | None:
    """The `ranges` of a read of `tabs` (contract names or titles): each tab whole, by the title
    this process last saw it under, else by its own name, and Ändringslogg's first row when
    the log is not among them (its id and size, for the row guard the write places on it).
    Google answers such a read with those tabs only (properties and cells), and refuses it
    whole (400 "Unable to parse range") when one title is not there.

    None (read everything, as one request) when a tab asked for may well not be there, so
    that a refused read never costs a request more than reading everything: unless this
    process saw them, the tabs asked for must all be in the template of every kind `init`
    makes with the first of them (Leads and Kontaktlogg are in every CRM; Medlemmar is only
    in a group's, so `status`, which asks for it in any CRM, reads everything; the nightly's
    own tabs are in none before their first night)."""
    unseen = [name for name in tabs if name not in known]
    if unseen:
        holding = [set(kind.tabs) for kind in contract().kinds.values() if unseen[0] in kind.tabs]
        if not holding or any(not set(unseen) <= kind for kind in holding):
            return None
    titles: list[str] = []
    for name in tabs:
        title = known.get(name, name)
        if title not in titles:
            titles.append(title)
    ranges = [quoted_title(title) for title in titles]
    log = known.get(LOG_TAB, LOG_TAB)
    if log not in titles and LOG_TAB not in tabs:
        ranges.append(f"{quoted_title(log)}!1:1")
    return ranges


def verify_ranges(tabs: Iterable[str], new_ids: bool, infos: Sequence[fmt.SheetInfo],
                  known: Mapping[str, str], complete: bool = False) -> list[str] | None:
    """The `responseRanges` of the verify read of a run writing `tabs` (contract names or
    titles), given the tabs as the run last saw them (`infos`): each of them whole, and
    Ändringslogg's header row and its last LOG_TAIL_ROWS rows (an open range to the grid's
    end, so rows another run added since are in it); the log whole when the run hands out
    new IDs with no index of the log's IDs to check them on (`new_ids`: they must not be
    named in it). A tab it writes that the run did not
    read (Körningar, where every run is listed) is named as `ranged_read` would, or left out
    when `infos` lists every tab (`complete`: it is not there, the write creates it); None
    (every tab) when it may well not be there, or the log is not in `infos`. A tab named that
    is not there refuses the lock's take: the next try reads the tab list first (lock.acquire).
    Every spreadsheet-level metadata comes with it, scratch records included."""
    titles = {info.title: info for info in infos}
    log = contract().find_tab_title(LOG_TAB, titles)
    if log is None:
        return None
    wanted: list[str] = []
    for name in sorted(tabs):
        title = contract().find_tab_title(name, titles) if name in contract().tabs else (
            name if name in titles else None)
        if title is None:
            if complete:
                continue
            if ranged_read([name], known) is None:
                return None
            title = known.get(name, name)
        if title not in wanted:
            wanted.append(title)
    if new_ids and log not in wanted:
        wanted.append(log)
    ranges = [quoted_title(title) for title in wanted]
    if log not in wanted:
        info = titles[log]
        start = max(2, info.rows - LOG_TAIL_ROWS + 1)
        ranges += [f"{quoted_title(log)}!1:1", f"{quoted_title(log)}!A{start}:{column_letter(max(info.columns, 1))}"]
    return ranges


def log_end_seen(book: Mapping[str, Any], ranges: Sequence[str] | None) -> bool:
    """False when the verify read took Ändringslogg's last rows only (not from row 2) and they
    are all blank: the log's end is above them, so where the run's rows go is not known."""
    tail = next((r for r in ranges or () if re.search(r"!A\d+:[A-Z]+$", r)), None)
    if tail is None:
        return True
    start = int(re.search(r"!A(\d+):", tail).group(1))
    if start <= 2:
        return True
    title = tail[:tail.rindex("!")][1:-1].replace("''", "'")
    sheet = next((s for s in book.get("sheets") or () if s.get("properties", {}).get("title") == title), None)
    grid = fmt.sheet_grid(sheet, formulas=True) if sheet else []
    return any(not is_blank(value) for row in grid[start - 1:] for value in row)


def run_logged(fresh: RawWorkbook, run_id: str) -> bool:
    """True when Ändringslogg holds a row of this run (so its write was applied)."""
    title = contract().find_tab_title(LOG_TAB, fresh.grids.keys())
    if title is None:
        return False
    spec = contract().tab(LOG_TAB)
    grid = fresh.grids[title]
    try:
        header = find_header(spec, grid, title)
    except Exception:  # no readable header: the run cannot be in it
        return False
    index = header.positions.get(spec.headers[0])
    return index is not None and any(
        index < len(row) and as_text(row[index]) == run_id for row in grid[header.row:])


def create_spreadsheet(title: str, kind: str, *, credentials: str | None = None, share: Iterable[str] = (),
                       **connection: Any) -> str:
    """`init` on Google: a new spreadsheet from the template of `kind`; returns its URL."""
    return GoogleSpreadsheet.new(kind, title=title, credentials=credentials, share=share, **connection).target


# Drive's changes feed: which of many files changed since the last run --------------------
@dataclass
class ChangedFiles:
    changed: set[str]  # of the files asked about: content or metadata changed
    removed: set[str]  # of the files asked about: deleted, or access lost
    next_page_token: str  # keep it for the next run


def start_page_token(**connection: Any) -> str:
    """Where the changes feed stands now: save it, and ask `modified_since` next time."""
    client, _scopes = Connection(**connection).client((SPREADSHEETS, DRIVE_METADATA))
    return client.get_json(f"{DRIVE_URL}/changes/startPageToken", {"supportsAllDrives": "true"})["startPageToken"]


def modified_since(file_ids: Iterable[str], page_token: str, **connection: Any) -> ChangedFiles:
    """One walk of the changes feed (usually one request) tells which of `file_ids` changed."""
    wanted = set(file_ids)
    client, _scopes = Connection(**connection).client((SPREADSHEETS, DRIVE_METADATA))
    changed: set[str] = set()
    removed: set[str] = set()
    params = {"pageToken": page_token, "pageSize": "1000", "supportsAllDrives": "true",
              "includeItemsFromAllDrives": "true", "fields": "nextPageToken,newStartPageToken,changes(fileId,removed)"}
    while True:
        try:
            page = client.get_json(f"{DRIVE_URL}/changes", params)
        except GoogleApiError as exc:
            raise BackendError(_("Drive changes feed: {message} (page token {token})").format(
                message=exc.message, token=quote(page_token))) from exc
        for change in page.get("changes", []):
            file_id = change.get("fileId")
            if file_id in wanted:
                (removed if change.get("removed") else changed).add(file_id)
        if page.get("newStartPageToken"):
            return ChangedFiles(changed - removed, removed, page["newStartPageToken"])
        params["pageToken"] = page["nextPageToken"]
