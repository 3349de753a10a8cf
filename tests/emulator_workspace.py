"""The nightly run against the Sheets API emulator: a register and its CRMs as Google
spreadsheets, for tests and `benchmarks/nightly_bench.py` (no network, no credentials).

`fill` creates a spreadsheet from its template and writes the rows under its headers in one
request; `EmulatorWorkspace` opens CRM references the way the CLI does (same backend class),
counting requests per spreadsheet in the emulator's own stats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from chas_sheets.backends import google_key
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.nightly.state import Combined, DriveChanges, LocalFiles
from chas_sheets.sheet.layout import layout_for


def _cell(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()  # RAW text: the reader parses ISO dates
    return "" if value is None else value


@dataclass
class EmulatorWorkspace:
    app: Any  # chas_sheets.emulator.Emulator
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(total_seconds=120))

    def session(self):
        from chas_sheets.emulator import emulator_session

        return emulator_session(self.app)

    def open(self, target: str) -> GoogleSpreadsheet:
        return GoogleSpreadsheet(google_key(target) or target, session=self.session(), retry=self.retry)

    def detector(self) -> Combined:
        return Combined(LocalFiles(), DriveChanges(session=self.session(), retry=self.retry))

    def fill(self, kind: str, tabs: Mapping[str, Sequence[Mapping[str, Any]]]) -> GoogleSpreadsheet:
        """A new spreadsheet of `kind` with `tabs` rows (dicts by header) written RAW."""
        sheet = GoogleSpreadsheet.new(kind, session=self.session(), retry=self.retry)
        headers = {tab.title: list(tab.headers) for tab in layout_for(kind).tabs}
        data = []
        for title, rows in tabs.items():
            columns = headers[title] + [k for row in rows for k in row if k not in headers[title]]
            columns = list(dict.fromkeys(columns))
            values = [columns] + [[_cell(row.get(c)) for c in columns] for row in rows]
            data.append({"range": f"'{title}'!A1", "values": values})
        if data:
            sheet._client().post_json(f"https://sheets.googleapis.com/v4/spreadsheets/{sheet.key}/values:batchUpdate",
                                      {"valueInputOption": "RAW", "data": data})
        return sheet
