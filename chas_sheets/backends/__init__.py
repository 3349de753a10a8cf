"""Pick the backend from how a spreadsheet is named: a path is local, a URL or key is Google."""

from __future__ import annotations

from chas_sheets.backends.base import ApplyResult, Backend
from chas_sheets.backends.references import (
    CREATE_PREFIX,
    UNRESOLVABLE_PREFIX,
    google_key,
    is_google_reference,
    not_openable,
)
from chas_sheets.errors import InvalidInput


def open_spreadsheet(target: str, *, credentials: str | None = None) -> Backend:
    key = google_key(str(target))
    if key is None and (problem := not_openable(str(target).strip())):
        raise InvalidInput(problem)
    if key is not None:
        from chas_sheets.backends.google import (
            GoogleSpreadsheet,  # imported only when needed: gspread is slow to import
        )

        return GoogleSpreadsheet(key, credentials=credentials)
    from chas_sheets.backends.local import LocalWorkbook

    return LocalWorkbook(target)


__all__ = ["ApplyResult", "Backend", "CREATE_PREFIX", "UNRESOLVABLE_PREFIX", "google_key", "is_google_reference",
           "not_openable", "open_spreadsheet"]
