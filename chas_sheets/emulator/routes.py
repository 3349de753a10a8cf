"""Google's URL paths -> (API method name, handler, arguments, read or write)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from chas_sheets.emulator import drive_api, sheets_api, values_api


@dataclass
class Route:
    api_method: str  # Google's method id, e.g. sheets.spreadsheets.values.get
    handler: Callable
    args: tuple
    spreadsheet_id: str | None = None  # the spreadsheet the handler needs loaded
    is_write: bool = False
    quota: str | None = None  # "read"/"write" for Sheets API calls (Drive has its own quotas)
    touches: str | None = None  # file id whose content a successful call changes


_SHEETS = re.compile(r"^/v4/spreadsheets/(?P<id>[^/:]+)(?P<rest>.*)$", re.DOTALL)
_VALUES_SUFFIX = re.compile(r"^(?P<range>.*?)(?P<verb>:append|:clear)?$", re.DOTALL)
_DRIVE_FILE = re.compile(r"^/drive/v3/files/(?P<id>[^/]+)(?P<rest>(/.*)?)$")
_DRIVE_V2_UPLOAD = re.compile(r"^/upload/drive/v2/files/(?P<id>[^/]+)$")


def _sheets(method_id, handler, sid, *args, write=False) -> Route:
    return Route(method_id, handler, args, sid, write, "write" if write else "read", sid if write else None)


def match(http_method: str, path: str) -> Route | None:
    "None when no Google method lives at this path and HTTP method."
    if path == "/v4/spreadsheets" and http_method == "POST":
        return Route("sheets.spreadsheets.create", sheets_api.create, (), None, True, "write")
    if m := _SHEETS.match(path):
        return _match_sheets(http_method, m.group("id"), m.group("rest"))
    if path == "/drive/v3/files":
        if http_method == "GET":
            return Route("drive.files.list", drive_api.list_files, ())
        if http_method == "POST":
            return Route("drive.files.create", drive_api.create_file, (), is_write=True)
    if path == "/drive/v3/changes/startPageToken" and http_method == "GET":
        return Route("drive.changes.getStartPageToken", drive_api.start_page_token, ())
    if path == "/drive/v3/changes" and http_method == "GET":
        return Route("drive.changes.list", drive_api.list_changes, ())
    if m := _DRIVE_FILE.match(path):
        return _match_drive_file(http_method, m.group("id"), m.group("rest"))
    if (m := _DRIVE_V2_UPLOAD.match(path)) and http_method == "PUT":
        return Route("drive.files.update(v2 upload)", drive_api.import_v2, (m.group("id"),), is_write=True)
    return None


def _match_sheets(http_method: str, sid: str, rest: str) -> Route | None:
    table = {
        ("GET", ""): ("sheets.spreadsheets.get", sheets_api.get, False),
        ("POST", ":batchUpdate"): ("sheets.spreadsheets.batchUpdate", sheets_api.batch_update, True),
        ("GET", "/values:batchGet"): ("sheets.spreadsheets.values.batchGet", values_api.batch_get, False),
        ("POST", "/values:batchUpdate"): ("sheets.spreadsheets.values.batchUpdate", values_api.batch_update, True),
        ("POST", "/values:batchClear"): ("sheets.spreadsheets.values.batchClear", values_api.batch_clear, True),
        ("POST", "/developerMetadata:search"): ("sheets.spreadsheets.developerMetadata.search", sheets_api.search_metadata, False),
    }
    if (http_method, rest) in table:
        method_id, handler, write = table[(http_method, rest)]
        return _sheets(method_id, handler, sid, write=write)
    if rest.startswith("/developerMetadata/") and http_method == "GET":
        return _sheets("sheets.spreadsheets.developerMetadata.get", sheets_api.get_metadata, sid,
                       rest[len("/developerMetadata/"):])
    if rest.startswith("/values/"):
        # The range may contain '/' (a %2F the server already decoded): take it all.
        m = _VALUES_SUFFIX.match(rest[len("/values/"):])
        range_text, verb = m.group("range"), m.group("verb")
        if verb == ":append" and http_method == "POST":
            return _sheets("sheets.spreadsheets.values.append", values_api.append, sid, range_text, write=True)
        if verb == ":clear" and http_method == "POST":
            return _sheets("sheets.spreadsheets.values.clear", values_api.clear, sid, range_text, write=True)
        if verb is None and http_method == "GET":
            return _sheets("sheets.spreadsheets.values.get", values_api.get, sid, range_text)
        if verb is None and http_method == "PUT":
            return _sheets("sheets.spreadsheets.values.update", values_api.update, sid, range_text, write=True)
    return None


def _match_drive_file(http_method: str, fid: str, rest: str) -> Route | None:
    table = {
        ("GET", ""): ("drive.files.get", drive_api.get_file, False),
        ("PATCH", ""): ("drive.files.update", drive_api.update_file, True),
        ("DELETE", ""): ("drive.files.delete", drive_api.delete_file, True),
        ("POST", "/copy"): ("drive.files.copy", drive_api.copy_file, True),
        ("GET", "/export"): ("drive.files.export", drive_api.export_file, False),
        ("GET", "/comments"): ("drive.comments.list", drive_api.list_comments, False),
        ("GET", "/permissions"): ("drive.permissions.list", drive_api.list_permissions, False),
        ("POST", "/permissions"): ("drive.permissions.create", drive_api.create_permission, True),
    }
    if (http_method, rest) in table:
        method_id, handler, write = table[(http_method, rest)]
        return Route(method_id, handler, (fid,), is_write=write)
    if rest.startswith("/permissions/") and http_method == "DELETE":
        return Route("drive.permissions.delete", drive_api.delete_permission, (fid, rest[len("/permissions/"):]), is_write=True)
    return None
