"""A Google Sheets API v4 + Drive v3 emulator: Google's paths and JSON shapes, in memory.

Point a client at it by replacing only scheme and host (e.g. CHAS_SHEETS_API_URL). It refuses
what Google refuses, in Google's words (tokens and their scopes, the grid's edges, field masks,
request bodies; see auth.py, batch_requests.py, values_api.py), counts requests
(`/_emulator/stats`), enforces per-minute quotas with 429s, and injects faults.
"""

from __future__ import annotations

from chas_sheets.emulator.app import Emulator
from chas_sheets.emulator.client import emulator_session, gspread_client_for
from chas_sheets.emulator.control import ManualClock, SystemClock
from chas_sheets.emulator.server import make_emulator_server, serve


def make_app(state_file=None, read_quota_per_minute=None, write_quota_per_minute=None, **options) -> Emulator:
    "A fresh emulator (WSGI app); `state_file` persists spreadsheets as JSON across restarts."
    return Emulator(state_file=state_file, read_quota_per_minute=read_quota_per_minute,
                    write_quota_per_minute=write_quota_per_minute, **options)


__all__ = [
    "Emulator", "ManualClock", "SystemClock", "emulator_session", "gspread_client_for",
    "make_app", "make_emulator_server", "serve",
]
