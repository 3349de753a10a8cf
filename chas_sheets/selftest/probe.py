"""What the self-test's checks share: a `Check` (one line of the report) and the `Probe`
(clients with exactly the tool's scopes, and the scratch spreadsheet the checks work on)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chas_sheets.backends.google import Connection, GoogleSpreadsheet
from chas_sheets.backends.google_auth import SPREADSHEETS
from chas_sheets.backends.google_http import SHEETS_URL

BIG_ROWS = 5_000  # log rows in the large read/write: a busy CRM after a term of nightly runs
SCRATCH_TAB = "Selftest"  # a tab of its own, so every write stays inside its grid


@dataclass
class Check:
    name: str
    passed: bool
    found: str  # what Google answered, in a few words
    meaning: str  # what it means for the school, on a FAIL (or a note on a PASS)

    def line(self) -> str:
        # PASS/FAIL stay as they are: the words a script greps for
        head = f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.found}"
        return head if self.passed and not self.meaning else f"{head}\n      {self.meaning}"

    def to_dict(self) -> dict:
        return {"check": self.name, "passed": self.passed, "found": self.found, "meaning": self.meaning}


@dataclass
class Probe:
    """What the checks share: clients with exactly the tool's scopes, and the scratch spreadsheet."""

    connection: Connection
    today: dt.date
    shared: str | None = None  # key of a spreadsheet shared with the account (--shared)
    wait_seconds: float = 60.0  # how long the changes feed may take to list an edit
    big_rows: int = BIG_ROWS  # log rows in the large write and read
    sleep: Callable[[float], None] = time.sleep
    scratch: GoogleSpreadsheet | None = None
    tab_id: int = 0
    notes: list[str] = field(default_factory=list)

    def client(self, *scopes: str):
        return self.connection.client(scopes)[0]

    @property
    def sheets(self):
        return self.client(SPREADSHEETS)

    def batch(self, key: str, requests_: list[dict], fields: str | None = None, **extra) -> dict:
        """One batchUpdate; `extra` goes into its body, `fields` (a mask of the answer) into the query."""
        return self.sheets.post_json(f"{SHEETS_URL}/{key}:batchUpdate", {"requests": requests_, **extra},
                                     params={"fields": fields} if fields else None)

    def cells(self, a1: str) -> list[dict]:
        """The first row of `a1` in the scratch spreadsheet, as CellData."""
        assert self.scratch is not None
        found = self.sheets.get_json(f"{SHEETS_URL}/{self.scratch.key}", {
            "ranges": a1, "includeGridData": "true",
            "fields": "sheets.data.rowData.values(userEnteredValue,effectiveValue,userEnteredFormat.numberFormat,"
                      "effectiveFormat.numberFormat)"})
        data = found["sheets"][0].get("data") or [{}]
        rows = data[0].get("rowData") or [{}]
        return rows[0].get("values") or []
