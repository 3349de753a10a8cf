"""How a spreadsheet is named: a Google Sheets URL or key, or a local path (no I/O here)."""

from __future__ import annotations

import re
from pathlib import PurePath

from chas_sheets.i18n import _

_SHEETS_URL = re.compile(r"^https?://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")
# An address, never a file name: a path would collapse its '//' and say 'no such file'.
_ADDRESS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://|docs\.google\.com/)", re.IGNORECASE)
CREATE_PREFIX = "google:"  # init's google:TITLE: a spreadsheet to create, not one to open
# A relative path found inside a Google spreadsheet: it has no folder to be relative to, so it
# is marked (Backend.resolve_relative) and refused when opened, never read from the current folder.
UNRESOLVABLE_PREFIX = "relative-in-google:"
# What openpyxl opens (a workbook and its macro/template variants); any other ending (.csv,
# .ods, .xls, .numbers) is refused by name before openpyxl lists its formats at people.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


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


def not_openable(target: str) -> str | None:
    """Why `target` names neither a Google spreadsheet nor a local workbook, if it does not."""
    if google_key(target) is not None:
        return None
    if _ADDRESS.match(target):
        return _("{target} is not a Google Sheets address: expected "
                 "https://docs.google.com/spreadsheets/d/<key>/...").format(target=target)
    if target.startswith(UNRESOLVABLE_PREFIX):
        return _("the link '{link}' is a relative path, which a Google spreadsheet cannot resolve: put the "
                 "CRM's URL (or an absolute path) in its place").format(link=target.removeprefix(UNRESOLVABLE_PREFIX))
    if target.startswith(CREATE_PREFIX):
        return _("{target}: google:TITLE only names a new spreadsheet for `chas-sheets init` to create; "
                 "give an existing one's URL (https://docs.google.com/spreadsheets/d/<key>/...)").format(target=target)
    return unsupported_file(target)


def unsupported_file(target: str) -> str | None:
    """Why a local path is no workbook chas-sheets can open (its ending), if it is not one."""
    suffix = PurePath(target).suffix.lower()
    if not suffix or suffix in WORKBOOK_SUFFIXES:
        return None
    return _("{target}: chas-sheets does not read {suffix} files; give an .xlsx workbook, a Google Sheets URL "
             "or key, or google:TITLE (a new Google spreadsheet, for `chas-sheets init`)").format(
                 target=target, suffix=suffix)
