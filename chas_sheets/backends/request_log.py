"""The Google requests of the last minute, remembered across processes.

Google's per-minute quota is per user, not per process: a nightly run started right after a
busy minute (a run that failed and is started again, another job with the same account)
must count what that minute already spent, or its first CRMs meet 429s. A request pacer
(`nightly.run.RequestPacer`: `before(expected)`, `record(count)`, a `sent` window and a
`clock`) is wrapped by `RememberingPacer`, which starts it with the last minute's requests
from a small file in the user's cache folder and adds its own to the file as they are sent.

Best effort: a file that cannot be read, parsed, locked or written is as if empty; it never
stops a run. One file per account (the credentials file, or your own login), none for the
emulator (its quota is not Google's).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WINDOW_SECONDS = 60.0  # Google's quotas refill per minute
CACHE_DIR_ENV = "XDG_CACHE_HOME"
API_URL_ENV = "CHAS_SHEETS_API_URL"  # google_http's: spelt here so that a local run never imports requests


def cache_dir() -> Path:
    """The user's cache folder for chas-sheets: $XDG_CACHE_HOME or ~/.cache, on Windows %LOCALAPPDATA%."""
    base = os.environ.get(CACHE_DIR_ENV)
    if not base and os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        base = os.environ["LOCALAPPDATA"]
    base = base or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chas-sheets"


def request_log(credentials: str | None) -> RequestLog | None:
    """The log of the account `credentials` names (None: your own login); None when requests go
    to an emulator (CHAS_SHEETS_API_URL)."""
    if os.environ.get(API_URL_ENV, "").strip():
        return None
    account = hashlib.sha256(os.path.abspath(credentials).encode() if credentials else b"login").hexdigest()[:12]
    return RequestLog(cache_dir() / f"google-requests-{account}.json")


class RequestLog:
    """A file of (time, count) entries for the requests of the last minute (wall-clock time:
    the only clock two processes share)."""

    def __init__(self, path: Path, wall: Callable[[], float] = time.time):
        self.path, self.wall = Path(path), wall

    def recent(self) -> list[tuple[float, int]]:
        """(seconds ago, count) of every entry of the last minute; [] when the file cannot be read."""
        now = self.wall()
        return [(now - when, count) for when, count in self._entries() if 0 <= now - when < WINDOW_SECONDS]

    def add(self, count: int) -> None:
        """Add `count` requests sent now, dropping entries older than a minute (best effort)."""
        if count <= 0:
            return
        with contextlib.suppress(OSError), self._locked():
            now = self.wall()
            kept = [[when, n] for when, n in self._entries() if 0 <= now - when < WINDOW_SECONDS]
            self._write({"requests": [*kept, [now, count]]})

    def _entries(self) -> list[tuple[float, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [(float(when), int(count)) for when, count in data["requests"]]
        except (OSError, ValueError, KeyError, TypeError):  # missing, damaged, from another version
            return []

    @contextlib.contextmanager
    def _locked(self):
        """Two processes adding at once must not drop each other's entries; a lock not had within
        a second is done without (the entry may then be lost, the run never is)."""
        from filelock import FileLock, Timeout  # only when a request is logged

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path) + ".lock", timeout=1.0)
        try:
            lock.acquire()
        except (Timeout, OSError):
            yield
            return
        try:
            yield
        finally:
            lock.release()

    def _write(self, data: dict[str, Any]) -> None:
        """Replace the file whole: a reader never sees half of it."""
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class RememberingPacer:
    """A request pacer that starts with the last minute's requests from `log` (of this and
    other processes) and adds its own to it as they are recorded."""

    def __init__(self, pacer: Any, log: RequestLog | None):
        self.pacer, self.log = pacer, log
        self.logged = 0
        if log is not None:
            now = pacer.clock()
            pacer.sent.extend((now - ago, count) for ago, count in sorted(log.recent(), reverse=True))

    @property
    def waited(self) -> float:
        return self.pacer.waited

    def before(self, expected: int) -> None:
        self.pacer.before(expected)

    def record(self, count: int) -> None:
        self.pacer.record(count)
        self._log(count)

    def settle(self, total: int) -> None:
        """Log what the run sent that was never recorded (the register's last write), given the
        run's `total` requests."""
        self._log(total - self.logged)

    def _log(self, count: int) -> None:
        if count > 0 and self.log is not None:
            self.log.add(count)
        self.logged += max(count, 0)
