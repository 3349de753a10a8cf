"""A lock on one Google spreadsheet, so two chas-sheets runs never interleave their writes.

Why a lock at all: compare-and-set (writeplan.resolve) protects cells a person edits, but two
runs that verify-read at the same moment both plan their Ändringslogg rows (and appended
rows) for the same free rows, and the second write would land on the first one's rows.

How: one piece of spreadsheet-level developer metadata, key `chas-sheets-lock`, value
"<run id> <expiry, UTC ISO>", always under the same fixed `metadataId`. Creating metadata
under an id that exists fails the whole batchUpdate (Google applies a batch all or nothing),
so taking the lock is an atomic test-and-set without any extra read.

The request budget stays at 3 for a changed spreadsheet (read, verify, write), because the
lock rides on requests the run makes anyway:
- take + verify-read = ONE batchUpdate: `createDeveloperMetadata` with
  `includeSpreadsheetInResponse` and `responseIncludeGridData`, so its answer IS the verify
  read (the old separate `spreadsheets.get` is gone).
- write + release = ONE batchUpdate: the writes are fenced by [delete the lock if it still
  holds OUR value, create it again with our value] in front of them (the create fails, and
  with it the whole write, if another run took the lock over after ours expired) and the
  release (delete our value) behind them.
Creating the lock metadata only inside the write batch would NOT be a lock: two runs could
still verify-read at the same time and plan the same rows; the lock must be held from before
the verify-read until the write.
The row guards (google_guard) ride on the same two batches: placed with the take, checked
and removed at the front of the write.
Costs beyond the budget only when something happens: a run that finds nothing to write after
its verify-read releases with one more batchUpdate; a run that finds the lock held polls it
(one small `spreadsheets.get` of the metadata, then a new try) until WAIT_SECONDS, then gives
up with SpreadsheetLocked. A crashed run's lock expires after LEASE_SECONDS and the next run
takes it over atomically (delete-that-value + create in one batch). A take whose answer was
lost (500, 503, dropped connection) is resolved by reading the lock: our run id there means we hold
it; nobody's means the take was not applied, and it is tried again within RETRY_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from typing import Callable

from chas_sheets.backends.google_http import GoogleApiError, WriteOutcomeUnknown
from chas_sheets.errors import BackendError, SpreadsheetLocked
from chas_sheets.i18n import _

LOCK_KEY = "chas-sheets-lock"
# A fixed id is what makes creating the lock a test-and-set (int32, positive).
LOCK_METADATA_ID = int.from_bytes(hashlib.sha256(LOCK_KEY.encode()).digest()[:4], "big") & 0x7FFFFFFF or 1
# A run holds the lock for two requests (verify, write); each may retry for up to a minute.
LEASE_SECONDS = 300.0
WAIT_SECONDS = 30.0
RETRY_SECONDS = 60.0  # lost answers to taking the lock: as long as the HTTP layer retries
METADATA_FIELDS = "developerMetadata(metadataId,metadataKey,metadataValue)"


@dataclass(frozen=True)
class LockValue:
    run_id: str
    expires: float  # seconds since the epoch

    def text(self) -> str:
        stamp = dt.datetime.fromtimestamp(self.expires, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.run_id} {stamp}"

    @classmethod
    def parse(cls, text: str) -> "LockValue":
        run_id, _space, stamp = (text or "").rpartition(" ")
        try:
            expires = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
        except ValueError:
            expires = 0.0  # unreadable: treat as expired, so a damaged lock never blocks forever
        return cls(run_id or text, expires)

    def until(self) -> str:
        return dt.datetime.fromtimestamp(self.expires, dt.timezone.utc).strftime("%H:%M:%S UTC")


# Pure request builders ----------------------------------------------------------------------
def _lookup(value: str | None = None) -> dict:
    lookup: dict = {"metadataId": LOCK_METADATA_ID}
    if value is not None:
        lookup["metadataValue"] = value
    return {"dataFilter": {"developerMetadataLookup": lookup}}


def create_request(value: str) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": LOCK_METADATA_ID, "metadataKey": LOCK_KEY, "metadataValue": value,
        "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}}}


def delete_request(value: str) -> dict:
    """Delete the lock only while it holds `value` (a lock someone else took is not touched)."""
    return {"deleteDeveloperMetadata": _lookup(value)}


def fenced(requests_: list[dict], value: str) -> list[dict]:
    """The write batch: applied only while the lock still holds `value`; releases it at the end."""
    return [delete_request(value), create_request(value), *requests_, delete_request(value)]


def lock_value_in(book: dict) -> str | None:
    """The lock's value in a spreadsheet resource (its spreadsheet-level developer metadata)."""
    for meta in book.get("developerMetadata") or ():
        if meta.get("metadataId") == LOCK_METADATA_ID:
            return meta.get("metadataValue", "")
    return None


@dataclass
class SheetLock:
    """One run's hold on one spreadsheet. `post(body, params)` sends a batchUpdate,
    `get(params)` a spreadsheets.get (both raise GoogleApiError; `post` takes `repeatable=True`
    for a request that may be sent twice); waits use `sleep`."""

    target: str
    run_id: str
    post: Callable[[dict, dict], dict]
    get: Callable[[dict], dict]
    read_fields: str
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    lease_seconds: float = LEASE_SECONDS
    wait_seconds: float = WAIT_SECONDS
    retry_seconds: float = RETRY_SECONDS
    value: str = ""
    waited: list[float] = field(default_factory=list)
    # The tabs (A1 ranges) the read riding on a take names; None: every tab. The answer keeps
    # the spreadsheet-level metadata (the lock, scratch records) either way.
    response_ranges: list[str] | None = None
    last_ranged: bool = False  # whether the last answer named only some tabs

    def acquire(self, also: Callable[[], list[dict]] | None = None) -> dict | None:
        """Take the lock; returns the spreadsheet as read right after taking it (the verify
        read), or None when that answer was lost (the caller then reads it). `also()`: requests
        applied atomically with the take (the row guards, google_guard), so they are in place
        in the very state the verify read shows; asked for again before every new try, as the
        spreadsheet may have changed while we waited.

        A take whose answer was lost (500, 503, dropped connection) is safe to resolve: the lock
        carries our run id, so one read of it says whether the take got through. If it did
        not, it is tried again within `retry_seconds` (the HTTP retry budget); only a lock
        another run holds makes us wait (up to `wait_seconds`) and then give up."""
        deadline = self.clock() + self.wait_seconds
        lost_since, lost_waited = self.clock(), 0.0  # the retry budget for lost answers
        attempt = refused_unlocked = 0
        range_refused = False
        while True:
            self.value = LockValue(self.run_id, self.clock() + self.lease_seconds).text()
            extra = also() if also else []
            lost: WriteOutcomeUnknown | None = None
            refusal: GoogleApiError | None = None
            try:
                return self._take([create_request(self.value), *extra])
            except WriteOutcomeUnknown as exc:
                lost = exc  # did it get through? the lock's value says
            except GoogleApiError as exc:
                if exc.status != 400:
                    raise
                refusal = exc
                if "Unable to parse range" in exc.message and not range_refused:
                    # A tab the read riding on the take names is not there (a person deleted
                    # it): refused whole, so nothing was taken. The next try names the tabs as
                    # they are now (`also` reads the tab list), at once: whether another run
                    # holds the lock, that take says (one request less than asking first).
                    range_refused = True
                    continue
            current = self.current()
            holder = LockValue.parse(current) if current is not None else None
            if holder is not None and holder.run_id == self.run_id:
                self.value = current
                return None  # ours: the answer was lost, not the request
            wait = min(2.0 ** min(attempt, 3), 8.0)  # capped exponent: no overflow when polls are many
            if holder is not None:
                if holder.expires <= self.clock():
                    try:  # a crashed run's lock: take it over, atomically, only if still that one
                        return self._take([delete_request(current), create_request(self.value), *extra])
                    except (WriteOutcomeUnknown, GoogleApiError):
                        pass  # raced with another run taking it over (or lost): look again after a wait
                if self.clock() >= deadline:
                    raise SpreadsheetLocked(
                        _("{target} is being written by another chas-sheets run ({run_id}, holding it until {until} "
                          "at the latest); try again when it has finished").format(
                              target=self.target, run_id=holder.run_id, until=holder.until()))
                wait = min(wait, max(0.0, deadline - self.clock()))
            elif lost is not None:  # nobody holds it: our take was not applied, so take it again
                spent = max(self.clock() - lost_since, lost_waited)  # waits count even when sleep is faked
                if spent + wait > self.retry_seconds:
                    raise BackendError(_("{target}: could not take the chas-sheets lock, the Sheets API kept "
                                         "failing ({reason}); nothing was written, try again later").format(
                                             target=self.target, reason=lost.reason))
                lost_waited += wait
            elif refusal is not None:
                refused_unlocked += 1  # once is a race with a run releasing it; twice is something else
                if refused_unlocked >= 2:
                    raise BackendError(_("{target}: Google refused the chas-sheets lock though no other run holds "
                                         "it ({message}); nothing was written").format(
                                             target=self.target, message=refusal.message))
            attempt += 1
            self.waited.append(wait)
            self.sleep(wait)

    def _take(self, requests_: list[dict]) -> dict:
        return self.read_after(requests_)

    def read_after(self, requests_: list[dict]) -> dict:
        """Apply `requests_` (while holding the lock) and answer with the spreadsheet as it is
        right after them: a verify read atomic with them."""
        body = {"requests": requests_, "includeSpreadsheetInResponse": True, "responseIncludeGridData": True}
        if self.response_ranges:
            body["responseRanges"] = list(self.response_ranges)
        self.last_ranged = bool(self.response_ranges)
        answer = self.post(body, {"fields": f"updatedSpreadsheet({self.read_fields},{METADATA_FIELDS})"})
        return answer.get("updatedSpreadsheet") or {}

    def current(self) -> str | None:
        return lock_value_in(self.get({"fields": METADATA_FIELDS}))

    def fence(self, requests_: list[dict]) -> list[dict]:
        return fenced(requests_, self.value)

    def release(self, also: list[dict] | None = None) -> None:
        """Give the lock back when there was nothing to write (the write batch releases it
        otherwise), with `also` (removing row guards) in the same batch if that works.
        Best effort: if this fails, the lease ends the lock anyway."""
        for requests_ in ([*(also or []), delete_request(self.value)], [delete_request(self.value)])[:2 if also else 1]:
            try:  # deleting our value twice is harmless: repeatable, retried even after a 503
                self.post({"requests": requests_}, {"fields": "spreadsheetId"}, repeatable=True)
                return
            except BackendError:
                pass

    def lost(self) -> bool:
        """True when the lock is no longer ours (a write refused with 400 then says why)."""
        try:
            return self.current() != self.value
        except BackendError:
            return False
