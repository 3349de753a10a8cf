"""Pick the backend from how a spreadsheet is named: a path is local, a URL or key is Google."""

from __future__ import annotations

import re

from .base import ApplyResult, Backend

_SHEETS_URL = re.compile(r"^https?://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")


def google_key(reference: str) -> str | None:
    """The spreadsheet key in a Google Sheets URL or a bare key, else None."""
    reference = reference.strip()
    match = _SHEETS_URL.match(reference)
    if match:
        return match.group(1)
    if _BARE_KEY.match(reference) and not reference.lower().endswith(".xlsx"):
        return reference
    return None


def is_google_reference(reference: str) -> bool:
    return google_key(reference) is not None


def open_spreadsheet(target: str, *, credentials: str | None = None) -> Backend:
    key = google_key(str(target))
    if key is not None:
        from .google import GoogleSpreadsheet  # imported only when needed: gspread is slow to import

        return GoogleSpreadsheet(key, credentials=credentials)
    from .local import LocalWorkbook

    return LocalWorkbook(target)


__all__ = ["ApplyResult", "Backend", "google_key", "is_google_reference", "open_spreadsheet"]
