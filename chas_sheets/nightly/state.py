"""What the nightly run remembers between nights, and how it tells which CRMs changed.

The state lives in the register's tool-owned tab `Nattkörning` (so it travels with the
register, on Google as locally): one row per CRM with the version last read, the night it
was read and a compressed summary of what the figures need (`nightly.crm_summary.CrmSummary`), plus
one row holding Drive's changes-feed page token. A CRM whose version is unchanged and whose
summary is there is not read again: its figures are recomputed from the summary for today.

A `ChangeDetector` tells which CRMs may have changed:
- `LocalFiles`: the SHA-256 of the file (content, not mtime, so a copy or a touch is no change);
- `DriveChanges`: Drive's changes feed (`changes.getStartPageToken` once, then `changes.list`
  from the saved token: one request tells which of hundreds of files changed). The token is
  taken at the start of the run, so the run's own writes show up the next night: such a CRM
  is read once more (one request), finds nothing to change and is quiet from then on.
`detector_for(targets, connection)` combines them by the kind of each reference.

A CRM that could not be read keeps its row (summary and the night it was last read) with
the version `REREAD`, so it is read again next night whatever the detector says, and its
last summary stands in for it in the cross-CRM tabs meanwhile. The run's note on what it
could not update is the row `NOTE_ROW`.
"""

from __future__ import annotations

import abc
import base64
import functools
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from chas_sheets.backends import google_key
from chas_sheets.sheet.values import as_text

if TYPE_CHECKING:
    from chas_sheets.nightly.crm_summary import CrmSummary

STATE_TAB = "Nattkörning"
STATE_HEADERS = ("CRM", "Version", "Läst", "Sammanfattning")
FEED_ROW = "(Drive ändringsflöde)"  # the row whose Version is the changes feed's page token
NOTE_ROW = "(Obs)"  # the row whose Sammanfattning is the run's note (CRMs it could not read)
REREAD = "läs igen"  # the Version of a CRM that could not be read: never skipped next night
# Google keeps at most 50,000 characters in a cell; a bigger summary is not kept (the CRM is
# then simply read every night).
MOST_SUMMARY_CHARS = 45_000


@dataclass(frozen=True)
class StateEntry:
    version: str
    read_on: str  # ISO date of the night it was last read
    summary: str  # encoded CrmSummary ('' when none)


@dataclass
class NightState:
    page_token: str | None = None
    entries: dict[str, StateEntry] = field(default_factory=dict)
    note: str = ""

    def rows(self) -> tuple[tuple[Any, ...], ...]:
        rows = [(FEED_ROW, self.page_token, "", "")] if self.page_token else []
        rows += [(NOTE_ROW, "", "", self.note)] if self.note else []
        rows += [(target, e.version, e.read_on, e.summary) for target, e in sorted(self.entries.items())]
        return tuple(rows)


def parse_state(grid: Sequence[Sequence[Any]] | None) -> NightState:
    """The state from the tab's cells; a missing or damaged tab is an empty state (read all)."""
    state = NightState()
    if not grid:
        return state
    headers = [as_text(cell) for cell in grid[0]]
    if not all(h in headers for h in STATE_HEADERS):
        return state
    at = {h: headers.index(h) for h in STATE_HEADERS}
    for cells in grid[1:]:
        value = lambda h: as_text(cells[at[h]]) if at[h] < len(cells) else ""  # noqa: E731
        target = value("CRM")
        if target == FEED_ROW:
            state.page_token = value("Version") or None
        elif target == NOTE_ROW:
            state.note = value("Sammanfattning")
        elif target:
            state.entries[target] = StateEntry(value("Version"), value("Läst"), value("Sammanfattning"))
    return state


def encode_summary(data: Mapping[str, Any]) -> str:
    """Compact text for one cell ('' when too big for a Google cell)."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text = "z1:" + base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    return text if len(text) <= MOST_SUMMARY_CHARS else ""


def decode_summary(text: str) -> dict | None:
    """The summary, or None when blank or unreadable (then the CRM is read again)."""
    if not text.startswith("z1:"):
        return None
    try:
        return json.loads(zlib.decompress(base64.b64decode(text[3:])).decode("utf-8"))
    except (ValueError, zlib.error):
        return None


# Decoded summaries alive at once through PackedSummary: the figures of one CRM, then the next.
DECODED_KEPT = 4


class PackedSummary:
    """A CRM's summary held as its encoded cell text, decoded on use: what the night keeps of
    each CRM until the cross-CRM figures are made (decoded, a summary of 200 leads takes about
    twenty times the memory of its text, and the night holds one per CRM). It answers as the
    `CrmSummary` it encodes; the last few decoded are cached, so one CRM's figures decode it once."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    @classmethod
    def of(cls, summary: CrmSummary) -> PackedSummary | CrmSummary:
        """`summary` packed; as it is when too big for a cell (it is then not kept in the state either)."""
        text = encode_summary(summary.to_dict())
        return cls(text) if text else summary

    @classmethod
    def from_text(cls, text: str) -> PackedSummary | None:
        """A kept summary, or None when blank or unreadable."""
        return cls(text) if decode_summary(text) is not None else None

    def unpacked(self) -> CrmSummary:
        return _unpacked(self.text)

    def __getattr__(self, name: str) -> Any:
        return getattr(_unpacked(self.text), name)


@functools.lru_cache(maxsize=DECODED_KEPT)
def _unpacked(text: str) -> CrmSummary:
    from chas_sheets.nightly.crm_summary import CrmSummary  # here: `watch` starts without pandas

    return CrmSummary.from_dict(decode_summary(text) or {"kind": ""})


@dataclass
class Detection:
    versions: dict[str, str]  # target -> version to save once it has been read
    unchanged: set[str]  # targets that need no read (unchanged, with a usable summary)
    page_token: str | None = None  # the changes feed's token to save
    requests: int = 0  # requests the detection cost (Google)


class ChangeDetector(abc.ABC):
    """Which of `targets` may have changed since the state was saved."""

    @abc.abstractmethod
    def detect(self, targets: Sequence[str], state: NightState) -> Detection: ...


def _summarised(state: NightState, target: str) -> bool:
    """Whether the target may be skipped: a usable summary, and it was read when last tried."""
    entry = state.entries.get(target)
    return entry is not None and entry.version != REREAD and decode_summary(entry.summary) is not None


class LocalFiles(ChangeDetector):
    """Local workbooks: the content hash is the version."""

    def detect(self, targets: Sequence[str], state: NightState) -> Detection:
        versions = {}
        for target in targets:
            version = file_version(target)
            if version:
                versions[target] = version
        unchanged = {t for t, v in versions.items()
                     if state.entries.get(t) and state.entries[t].version == v and _summarised(state, t)}
        return Detection(versions, unchanged)


def file_version(path: str) -> str:
    """'sha256:…' of the file's bytes, '' when it cannot be read (the read will report why)."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""
    return content_version(digest)


def content_version(sha256_hex: str) -> str:
    """A local file's version as the state keeps it, from the SHA-256 of its bytes."""
    return f"sha256:{sha256_hex[:32]}"


def version_after_write(detected: str, digests: tuple[str, str] | None) -> str | None:
    """The version to keep for a file this night wrote, so the next night does not read it
    again for our own write: only when the write was verified against the very bytes the
    change detection saw (else someone saved in between, and their edit needs a read)."""
    if digests is None or not detected or detected != content_version(digests[0]):
        return None
    return content_version(digests[1])


class DriveChanges(ChangeDetector):
    """Google spreadsheets: Drive's changes feed since the saved page token.

    `connection` is what `backends.google.Connection` takes (credentials, session, api_url,
    retry): the same account that reads the CRMs, so the feed shows the files it can see.
    """

    def __init__(self, **connection: Any):
        self.connection = connection

    def detect(self, targets: Sequence[str], state: NightState) -> Detection:
        from chas_sheets.backends.google import modified_since, start_page_token  # gspread is slow to import

        if not state.page_token:  # first night: read everything, start the feed now
            token = start_page_token(**self.connection)
            return Detection({t: f"feed:{token}" for t in targets}, set(), token, requests=1)
        keys = {t: google_key(t) or t for t in targets}
        feed = modified_since(set(keys.values()), state.page_token, **self.connection)
        moved = feed.changed | feed.removed
        unchanged = {t for t, key in keys.items() if key not in moved and _summarised(state, t)}
        versions = {t: f"feed:{feed.next_page_token}" for t in targets}
        return Detection(versions, unchanged, feed.next_page_token, requests=1)


class Everything(ChangeDetector):
    """Read every CRM every night (`--full`)."""

    def detect(self, targets: Sequence[str], state: NightState) -> Detection:
        return Detection({t: "" for t in targets}, set())


class Combined(ChangeDetector):
    """Local references to LocalFiles, Google ones to DriveChanges."""

    def __init__(self, local: ChangeDetector, google: ChangeDetector | None):
        self.local, self.google = local, google

    def detect(self, targets: Sequence[str], state: NightState) -> Detection:
        google = [t for t in targets if google_key(t)]
        local = [t for t in targets if not google_key(t)]
        found = self.local.detect(local, state)
        if google and self.google is not None:
            remote = self.google.detect(google, state)
            found.versions.update(remote.versions)
            found.unchanged |= remote.unchanged
            found.page_token, found.requests = remote.page_token, found.requests + remote.requests
        else:
            found.page_token = state.page_token
        return found


def detector_for(connection: Mapping[str, Any] | None = None) -> ChangeDetector:
    return Combined(LocalFiles(), DriveChanges(**(connection or {})))


def updated_state(old: NightState, detection: Detection, read: Mapping[str, str], today: str,
                  keep: Iterable[str]) -> NightState:
    """The state to save: read CRMs with their new version and summary ('' summary: not kept),
    skipped CRMs as they were, CRMs that could not be read with their last summary and the
    version `REREAD` (one bad night must not forget them), CRMs no longer in the register dropped."""
    state = NightState(detection.page_token or old.page_token)
    for target in keep:
        if target in read:
            state.entries[target] = StateEntry(detection.versions.get(target, ""), today, read[target])
        elif target in old.entries and target in detection.unchanged:
            state.entries[target] = old.entries[target]
        elif target in old.entries:
            state.entries[target] = StateEntry(REREAD, old.entries[target].read_on, old.entries[target].summary)
    return state
