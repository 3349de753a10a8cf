"""What tests control: the clock, request counts, the per-minute quota, injected faults, and
Google's rules that rest on the API reference alone, each of which a test may switch off."""

from __future__ import annotations

import collections
import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from chas_sheets.emulator.errors import ApiError

WINDOW_SECONDS = 60.0


class SystemClock:
    "Real time; `sleep` really sleeps."

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock:
    "A clock tests move by hand: quotas refill and slow answers pass without sleeping."

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self.current = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += seconds


class Stats:
    "Request counts: total, per spreadsheet, per API method, reads vs writes."

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.reads = 0
        self.writes = 0
        self.by_spreadsheet = collections.Counter()
        self.by_method = collections.Counter()
        self.by_spreadsheet_kind = collections.defaultdict(collections.Counter)

    def count(self, method: str, spreadsheet_id: str | None, is_write: bool) -> None:
        with self._lock:
            self.total += 1
            kind = "writes" if is_write else "reads"
            setattr(self, kind, getattr(self, kind) + 1)
            self.by_method[method] += 1
            if spreadsheet_id:
                self.by_spreadsheet[spreadsheet_id] += 1
                self.by_spreadsheet_kind[spreadsheet_id][kind] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self.total,
                "reads": self.reads,
                "writes": self.writes,
                "bySpreadsheet": dict(self.by_spreadsheet),
                "bySpreadsheetKind": {k: dict(v) for k, v in self.by_spreadsheet_kind.items()},
                "byMethod": dict(self.by_method),
            }


class Quota:
    """Google's per-minute read and write quotas (per user): a sliding one-minute window."""

    def __init__(self, clock, reads_per_minute: int | None = None, writes_per_minute: int | None = None):
        self.clock = clock
        self.limits = {"read": reads_per_minute, "write": writes_per_minute}
        self.used = {"read": collections.deque(), "write": collections.deque()}
        self._lock = threading.Lock()

    def reset(self) -> None:
        for queue in self.used.values():
            queue.clear()

    def charge(self, kind: str) -> None:
        "Count one request, or raise 429 RESOURCE_EXHAUSTED like Google when over the limit."
        limit = self.limits[kind]
        if limit is None:
            return
        with self._lock:
            now = self.clock.now()
            queue = self.used[kind]
            while queue and queue[0] <= now - WINDOW_SECONDS:
                queue.popleft()
            if len(queue) >= limit:
                retry_after = max(1, int(queue[0] + WINDOW_SECONDS - now + 0.999))
                raise quota_error(kind, limit, retry_after)
            queue.append(now)


def quota_error(kind: str, limit: int, retry_after: int) -> ApiError:
    metric = "Read requests" if kind == "read" else "Write requests"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_limit_value": str(limit),
                "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                "service": "sheets.googleapis.com",
                "quota_limit": f"{kind.capitalize()}RequestsPerMinutePerUser",
            },
        }
    ]
    return ApiError(429, message, details, headers={"Retry-After": str(retry_after)})


@dataclass
class Fault:
    """One armed fault. kind: "error" (status), "drop" (close the connection), "slow" (delay
    seconds, then answer), "edit" (after a matching read, a concurrent editor writes),
    "person" (a person's edit, sort or row insert between two requests of a run).

    Which request: `method` and `path` narrow it; the first `skip` matching requests pass
    untouched, so "the second batchUpdate" is `method="batchUpdate", skip=1`.
    When: "error" and "drop" with `after_apply` let the request be applied first and then
    lose its answer (Google did the work; the client cannot know); "person" acts right after
    the matching request was handled (before its answer leaves) or, with `before`, right
    before it is handled."""

    kind: str
    times: int = 1
    status: int = 500
    delay: float = 0.0
    path: str | None = None  # substring of the decoded path
    method: str | None = None  # HTTP method or API method name, or its last part (batchUpdate)
    spreadsheet_id: str | None = None
    edit_range: str | None = None
    edit_values: list = field(default_factory=list)
    after_apply: bool = False
    skip: int = 0
    before: bool = False
    actions: list = field(default_factory=list)  # a person's: {"edit"|"sort"|"insertRows"|"requests": ...}
    fired: int = 0
    seen: int = 0  # matching requests so far (those skipped included)

    def matches(self, http_method: str, path: str, api_method: str, spreadsheet_id: str | None) -> bool:
        if self.path and self.path not in path:
            return False
        if self.method and self.method.upper() not in (http_method.upper(), api_method.upper(),
                                                       api_method.rpartition(".")[2].upper()):
            return False
        if self.spreadsheet_id and self.spreadsheet_id != spreadsheet_id:
            return False
        return True


class Faults:
    """Faults armed from tests (in process) or over HTTP (`POST /_emulator/faults`)."""

    def __init__(self):
        self.armed: list[Fault] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.armed.clear()

    def fail(self, times: int = 1, status: int = 500, path: str | None = None, method: str | None = None,
             after_apply: bool = False, skip: int = 0) -> Fault:
        """The next `times` matching requests answer `status` (500 by default); with
        `after_apply`, only after the request was applied (a 503 or 500 that hides a done write)."""
        return self._arm(Fault("error", times=times, status=status, path=path, method=method,
                               after_apply=after_apply, skip=skip))

    def drop(self, times: int = 1, path: str | None = None, method: str | None = None,
             after_apply: bool = False, skip: int = 0) -> Fault:
        """The next matching requests get their connection closed without an answer; with
        `after_apply`, after the request was applied (the answer is what is lost)."""
        return self._arm(Fault("drop", times=times, path=path, method=method, after_apply=after_apply, skip=skip))

    def slow(self, seconds: float, times: int = 1, path: str | None = None, method: str | None = None) -> Fault:
        "The next matching requests wait `seconds` (on the emulator's clock) before answering."
        return self._arm(Fault("slow", times=times, delay=seconds, path=path, method=method))

    def concurrent_edit(self, spreadsheet_id: str, range_: str, values: list, after_reads: int = 1) -> Fault:
        """A person edits `range_` (RAW values, rows-major) right after the client's next
        `after_reads` read(s) of the spreadsheet: between its read and its write."""
        return self._arm(
            Fault("edit", times=after_reads, spreadsheet_id=spreadsheet_id, edit_range=range_, edit_values=values)
        )

    def person(self, spreadsheet_id: str, actions: list[dict], method: str | None = None, path: str | None = None,
               skip: int = 0, before: bool = False) -> Fault:
        """A person acts once, right after (or `before`) the (skip+1)-th request matching
        `method`/`path` on this spreadsheet: any window between two requests of a run. Actions,
        in order: {"edit": {"range": "Leads!C2", "values": [["Ja"]]}} (RAW, as typed),
        {"sort": {"tab": "Leads", "column": 1, "descending": true}} (the rows under the header,
        0-based column), {"insertRows": {"tab": "Leads", "before": 2, "count": 1}} (1-based row),
        {"requests": [...]} (batchUpdate requests, as Google takes them)."""
        return self._arm(Fault("person", spreadsheet_id=spreadsheet_id, actions=list(actions), method=method,
                               path=path, skip=skip, before=before))

    def person_edits(self, spreadsheet_id: str, range_: str, values: list, **when) -> Fault:
        return self.person(spreadsheet_id, [{"edit": {"range": range_, "values": values}}], **when)

    def person_sorts(self, spreadsheet_id: str, tab: str, column: int, descending: bool = False, **when) -> Fault:
        return self.person(spreadsheet_id, [{"sort": {"tab": tab, "column": column, "descending": descending}}],
                           **when)

    def person_inserts_rows(self, spreadsheet_id: str, tab: str, before: int, count: int = 1, **when) -> Fault:
        return self.person(spreadsheet_id, [{"insertRows": {"tab": tab, "before": before, "count": count}}], **when)

    def arm_from_json(self, body: dict) -> Fault:
        kind = body.get("kind", "error")
        common = {k: body[k] for k in ("times", "path", "method") if k in body}
        window = {"after_apply": bool(body.get("afterApply", False)), "skip": int(body.get("skip", 0))}
        if kind == "error":
            return self.fail(status=body.get("status", 500), **common, **window)
        if kind == "drop":
            return self.drop(**common, **window)
        if kind == "slow":
            return self.slow(body.get("seconds", 1.0), **common)
        if kind == "edit":
            return self.concurrent_edit(body["spreadsheetId"], body["range"], body["values"], body.get("afterReads", 1))
        if kind == "person":
            actions = body["actions"]
            if not isinstance(actions, list) or not actions:
                raise ValueError("a person fault needs a list of actions")
            return self.person(body["spreadsheetId"], actions, method=body.get("method"), path=body.get("path"),
                               skip=window["skip"], before=bool(body.get("before", False)))
        raise ValueError(f"unknown fault kind: {kind}")

    def _arm(self, fault: Fault) -> Fault:
        with self._lock:
            self.armed.append(fault)
        return fault

    def take(self, kinds: tuple, http_method: str, path: str, api_method: str, spreadsheet_id: str | None,
             **phase) -> Fault | None:
        """The first armed fault of these kinds matching the request (and `phase`: after_apply
        or before, when given), used up once; a fault still skipping counts the request."""
        with self._lock:
            matching = [f for f in self.armed if f.kind in kinds and all(getattr(f, k) == v for k, v in phase.items())
                        and f.matches(http_method, path, api_method, spreadsheet_id)]
            for fault in matching:  # every matching fault counts the request, fired or not
                fault.seen += 1
            for fault in matching:
                if fault.seen > fault.skip:
                    fault.fired += 1
                    if fault.fired >= fault.times:
                        self.armed.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict]:
        with self._lock:
            return [dict(f.__dict__) for f in self.armed]


# Google's rules that no recorded session shows (the recordings hold no developer metadata and
# no refused range): the emulator follows the API reference. Each can be switched off, so a
# test shows that `selftest google` (which asks the real Google) notices a server without it.
RULES = {
    "ranged_get_keeps_spreadsheet_metadata":
        "spreadsheets.get with `ranges` still answers the spreadsheet-level developerMetadata",
    "ranged_batch_answer_keeps_spreadsheet_metadata":
        "a batchUpdate answer cut by `responseRanges` still has the spreadsheet-level developerMetadata",
    "missing_sheet_delete_refused":
        "deleteSheet of a sheet id that is not there refuses the whole batch ('No grid with id: N')",
    "unmatched_metadata_delete_allowed":
        "deleteDeveloperMetadata whose data filter matches nothing is no error",
    "missing_tab_range_refused":
        "`ranges` of a get, or `responseRanges` of a batchUpdate, naming a tab that is not there "
        "refuse the whole request ('Unable to parse range')",
    "row_metadata_follows_rows":
        "row developer metadata moves with rows inserted above it, and goes with its row",
}
_RULES_OFF: contextvars.ContextVar = contextvars.ContextVar("rules_off", default=frozenset())


def rule_holds(name: str) -> bool:
    "Whether the request now handled follows this rule (every rule holds unless switched off)."
    assert name in RULES, name
    return name not in _RULES_OFF.get()


class Rules:
    """The emulator's switches for RULES: all on, as Google; `switch_off` makes it wrong in one
    way (in process, or `POST /_emulator/rules {"off": [...]}`)."""

    def __init__(self):
        self.off: set[str] = set()

    def switch_off(self, *names: str) -> None:
        unknown = [name for name in names if name not in RULES]
        if unknown:
            raise ValueError(f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(RULES)}")
        self.off.update(names)

    def reset(self) -> None:
        self.off.clear()

    def listing(self) -> dict:
        return {name: {"holds": name not in self.off, "rule": text} for name, text in RULES.items()}

    @contextlib.contextmanager
    def in_force(self) -> Iterator[None]:
        "The rules as switched now, for the request handled inside."
        token = _RULES_OFF.set(frozenset(self.off))
        try:
            yield
        finally:
            _RULES_OFF.reset(token)
