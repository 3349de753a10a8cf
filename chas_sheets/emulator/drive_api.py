"""Drive v3: files create/get/list/update/delete/copy/export, permissions, comments, and the
changes feed (which files' content changed since a page token)."""

from __future__ import annotations

import copy
import csv
import io
import re

from chas_sheets.backends.google_http import EMULATOR_ACCOUNT
from chas_sheets.emulator import discovery, fieldmask, grid
from chas_sheets.emulator.errors import ApiError, bad_request, not_found
from chas_sheets.emulator.model import SPREADSHEET_MIME, DriveFile, rfc3339

OWNER_EMAIL = EMULATOR_ACCOUNT  # the account every request acts as (whatever its token)
# The account's own ids, in the shapes Google gives them: its user id (the `ouid` of a link) and
# its My Drive folder ("0A...", ending in base64 "ROOT"). No client can know them in advance.
ACCOUNT_USER_ID = "100000000000000000001"
ROOT_FOLDER_ID = "0AAAAAAAAAAAAUk9PVA"
# A native spreadsheet's size as Drive v2 reports it, whatever it holds: both recorded imports
# (a 294-byte CSV) answer fileSize and quotaBytesUsed "1024" (ClientTest.test_import_csv).
NATIVE_FILE_BYTES = "1024"
DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
DEFAULT_PERMISSION_FIELDS = "kind,id,type,role"
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
TYPES = ("user", "group", "domain", "anyone")


def _file_view(call, drive_file: DriveFile, default: str = DEFAULT_FILE_FIELDS) -> dict:
    return fieldmask.apply(fieldmask.parse(call.param("fields") or default), drive_file.resource())


def create_file(call):
    body = call.body or {}
    discovery.validate_body("drive.v3", "File", body)
    now = call.store.clock.now()
    mime = body.get("mimeType") or "application/octet-stream"
    name = body.get("name") or ("Untitled spreadsheet" if mime == SPREADSHEET_MIME else "Untitled")
    file_id = call.store.new_file_id()
    drive_file = DriveFile(
        file_id, name, mime, now, now, parents=list(body.get("parents") or []),
        permissions=[_owner_permission()],
        extra={k: copy.deepcopy(v) for k, v in body.items()
               if k in ("description", "properties", "appProperties") and v is not None},
    )
    if mime == SPREADSHEET_MIME:
        drive_file.spreadsheet = call.store.new_spreadsheet(name, file_id)
    call.store.add_file(drive_file)
    return 200, _file_view(call, drive_file)


def _owner_permission() -> dict:
    return {
        "kind": "drive#permission", "id": "00000000000000000001", "type": "user", "role": "owner",
        "emailAddress": OWNER_EMAIL, "displayName": "chas-sheets emulator",
    }


def get_file(call, file_id):
    drive_file = call.store.get_file(file_id)
    if call.param("alt") == "media":
        raise bad_request("Only files with binary content can be downloaded. Use Export with Docs Editors files.")
    return 200, _file_view(call, drive_file)


def update_file(call, file_id):
    body = call.body or {}
    discovery.validate_body("drive.v3", "File", body)
    drive_file = call.store.get_file(file_id)
    if body.get("name"):
        drive_file.name = body["name"]
        if drive_file.spreadsheet:
            drive_file.spreadsheet.properties["title"] = body["name"]
    for key in ("description", "properties", "appProperties"):
        if body.get(key) is not None:
            drive_file.extra[key] = copy.deepcopy(body[key])
    drive_file.parents += [p for p in (call.param("addParents") or "").split(",") if p]
    removed = {p for p in (call.param("removeParents") or "").split(",") if p}
    drive_file.parents = [p for p in drive_file.parents if p not in removed]
    call.store.touch(file_id)
    return 200, _file_view(call, drive_file)


def import_v2(call, file_id):
    """Drive v2 `PUT /upload/drive/v2/files/{id}?uploadType=media&convert=true` with a CSV body
    (gspread's import_csv): the spreadsheet's content is replaced by one tab named after the
    file holding the CSV, parsed as if typed. Google's converter also set the time zone to
    America/Los_Angeles in the recording (ClientTest.test_import_csv); the emulator does too."""
    from chas_sheets.emulator.cellvalues import cell_from_user_entered
    from chas_sheets.emulator.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet

    drive_file = call.store.get_file(file_id)
    if drive_file.spreadsheet is None or not call.flag("convert"):
        raise bad_request("The emulator imports only CSV into a spreadsheet (convert=true).")
    raw = call.body if isinstance(call.body, (bytes, str)) else b""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    rows = list(csv.reader(io.StringIO(text)))
    book = drive_file.spreadsheet
    sheet = Sheet(properties={
        "sheetId": call.store.new_int_id(), "title": drive_file.name, "index": 0, "sheetType": "GRID",
        "gridProperties": {"rowCount": max(DEFAULT_ROWS, len(rows)),
                           "columnCount": max([DEFAULT_COLUMNS] + [len(r) for r in rows])}})
    grid.write_cells(sheet, 0, 0, [[v if v != "" else None for v in r] for r in rows], cell_from_user_entered)
    book.sheets, book.named_ranges, book.developer_metadata = [sheet], [], []
    book.properties["timeZone"] = "America/Los_Angeles"
    call.store.touch(file_id)
    return 200, _v2_resource(drive_file)


def _v2_resource(drive_file: DriveFile) -> dict:
    "Drive v2's File resource, for the one v2 call the emulator answers (the fields it knows)."
    fid, owner = drive_file.file_id, {
        "kind": "drive#user", "displayName": OWNER_EMAIL, "emailAddress": OWNER_EMAIL,
        "isAuthenticatedUser": True, "permissionId": "00000000000000000001",
        "picture": {"url": "https://lh3.googleusercontent.com/a/default-user=s64"}}
    export = "https://docs.google.com/spreadsheets/export?id=" + fid + "&exportFormat="
    return {
        "kind": "drive#file", "id": fid, "title": drive_file.name, "mimeType": drive_file.mime_type,
        "selfLink": f"https://www.googleapis.com/drive/v2/files/{fid}",
        "alternateLink": f"https://docs.google.com/spreadsheets/d/{fid}/edit?usp=drivesdk",
        "userPermission": {"kind": "drive#permission", "id": "me", "type": "user", "role": "owner",
                           "selfLink": f"https://www.googleapis.com/drive/v2/files/{fid}/permissions/me",
                           "pendingOwner": False},
        "ownerNames": [OWNER_EMAIL], "owners": [owner], "lastModifyingUserName": OWNER_EMAIL,
        "lastModifyingUser": owner, "editable": True, "writersCanShare": True, "copyable": True,
        "appDataContents": False, "shared": False, "explicitlyTrashed": False,
        "copyRequiresWriterPermission": False, "spaces": ["drive"],
        "labels": {"viewed": True, "restricted": False, "starred": False, "hidden": False, "trashed": False},
        "capabilities": {"canEdit": True, "canCopy": True},
        "exportLinks": {mime: export + kind for mime, kind in (
            ("application/x-vnd.oasis.opendocument.spreadsheet", "ods"), ("text/tab-separated-values", "tsv"),
            ("application/pdf", "pdf"), ("application/zip", "zip"), ("text/csv", "csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
            ("application/vnd.oasis.opendocument.spreadsheet", "ods"))},
        "createdDate": rfc3339(drive_file.created), "modifiedDate": rfc3339(drive_file.modified),
        "embedLink": f"https://docs.google.com/spreadsheets/d/{fid}/htmlembed?ouid={ACCOUNT_USER_ID}",
        "parents": [{"kind": "drive#parentReference", "id": ROOT_FOLDER_ID, "isRoot": True,
                     "selfLink": f"https://www.googleapis.com/drive/v2/files/{fid}/parents/{ROOT_FOLDER_ID}",
                     "parentLink": f"https://www.googleapis.com/drive/v2/files/{ROOT_FOLDER_ID}"}],
        "version": str(drive_file.version), "fileSize": NATIVE_FILE_BYTES, "quotaBytesUsed": NATIVE_FILE_BYTES,
    }


def delete_file(call, file_id):
    call.store.remove_file(file_id)
    return 204, None


def copy_file(call, file_id):
    body = call.body or {}
    discovery.validate_body("drive.v3", "File", body)
    source = call.store.get_file(file_id)
    now = call.store.clock.now()
    new_id = call.store.new_file_id()
    name = body.get("name") or f"Copy of {source.name}"
    duplicate = DriveFile(
        new_id, name, source.mime_type, now, now,
        parents=list(body.get("parents") or source.parents), permissions=[_owner_permission()],
        extra=copy.deepcopy(source.extra),
    )
    if source.spreadsheet:
        duplicate.spreadsheet = copy.deepcopy(source.spreadsheet)
        duplicate.spreadsheet.spreadsheet_id = new_id
        duplicate.spreadsheet.properties["title"] = name
    call.store.add_file(duplicate)
    return 200, _file_view(call, duplicate)


_CLAUSE = re.compile(
    r"""^\s*(?:(?P<field>name|mimeType|trashed|fullText)\s*(?P<op>=|!=|contains)\s*(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|true|false)"""
    r"""|(?P<parent>'(?:[^'\\]|\\.)*')\s+in\s+parents)\s*$""",
    re.IGNORECASE,
)


# `properties has { key='k' and value='v' }` (appProperties: the app's private ones). Google
# wants both key and value: a key alone is `Invalid Value` (400).
_PROPERTY = re.compile(
    r"""^\s*(?P<kind>properties|appProperties)\s+has\s+\{\s*key\s*=\s*'(?P<key>(?:[^'\\]|\\.)*)'\s+and\s+"""
    r"""value\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*\}\s*$""")


def _unquote(text: str) -> str:
    return text.replace("\\'", "'").replace("\\\\", "\\")


def _query_matcher(q: str):
    """Drive's `q` for the clauses clients use: name, mimeType, trashed, `'id' in parents`,
    `(app)properties has {...}`, joined by `and`."""
    # `and` inside `{ ... }` belongs to a property clause, not between clauses.
    clauses = [c for c in re.split(r"\s+and\s+(?![^{}]*\})", q.strip(), flags=re.IGNORECASE) if c]
    tests = []
    for clause in clauses:
        prop = _PROPERTY.match(clause)
        if prop:
            kind, key, value = prop.group("kind"), _unquote(prop.group("key")), _unquote(prop.group("value"))
            tests.append(lambda f, k=kind, key=key, v=value: (f.extra.get(k) or {}).get(key) == v)
            continue
        match = _CLAUSE.match(clause)
        if not match:
            raise bad_request(f"Invalid Value: {q}")
        if match.group("parent"):
            parent = match.group("parent")[1:-1].replace("\\'", "'")
            tests.append(lambda f, p=parent: p in (f.parents or ["root"]))
            continue
        field, op, value = match.group("field").lower(), match.group("op").lower(), match.group("value")
        if field == "trashed":
            tests.append(lambda f, v=value.lower(): v == "false")
            continue
        text = value[1:-1].replace("\\'", "'").replace('\\"', '"')

        def test(f, field=field, op=op, text=text):
            actual = f.name if field in ("name", "fulltext") else f.mime_type
            if op == "contains":
                return text.lower() in actual.lower()
            return (actual == text) == (op == "=")
        tests.append(test)
    return lambda f: all(t(f) for t in tests)


def list_files(call):
    matcher = _query_matcher(call.param("q") or "")
    found = [f for f in call.store.files.values() if matcher(f)]
    order = call.param("orderBy") or ""
    if order.startswith("modifiedTime"):
        found.sort(key=lambda f: f.modified, reverse="desc" in order)
    elif order.startswith("name"):
        found.sort(key=lambda f: f.name, reverse="desc" in order)
    size = int(call.param("pageSize") or 100)
    start = int(call.param("pageToken") or 0)
    page = found[start : start + size]
    body = {"kind": "drive#fileList", "incompleteSearch": False, "files": [f.resource() for f in page]}
    if start + size < len(found):
        body["nextPageToken"] = str(start + size)
    fields = call.param("fields") or "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
    return 200, fieldmask.apply(fieldmask.parse(fields), body)


def export_file(call, file_id):
    drive_file = call.store.get_file(file_id)
    mime = call.param("mimeType")
    if drive_file.spreadsheet is None or mime not in ("text/csv", "text/tab-separated-values"):
        raise bad_request(f"Export of {drive_file.mime_type} to {mime} is not supported by the emulator.")
    sheet = drive_file.spreadsheet.sheets[0]
    span = grid.a1.Span().clamp(sheet.row_count, sheet.col_count)
    rows = grid.read_values(sheet, span, grid.ROWS, "FORMATTED_VALUE", "FORMATTED_STRING")
    out = io.StringIO()
    csv.writer(out, delimiter="," if mime == "text/csv" else "\t", lineterminator="\r\n").writerows(rows)
    text = out.getvalue().removesuffix("\r\n")  # Google ends the last line without a newline
    return 200, ("raw", mime, text.encode("utf-8"))


def list_comments(call, file_id):
    call.store.get_file(file_id)
    return 200, {"comments": []}


# --- permissions ------------------------------------------------------------------------

def create_permission(call, file_id):
    body = call.body or {}
    discovery.validate_body("drive.v3", "Permission", body)
    drive_file = call.store.get_file(file_id)
    if body.get("role") not in ROLES:
        raise ApiError(400, "The permission role field is required." if not body.get("role")
                       else f"Invalid permission role: {body.get('role')}.", drive=True)
    if body.get("type") not in TYPES:
        raise ApiError(400, "The permission type field is required.", drive=True)
    if body["type"] in ("user", "group") and not body.get("emailAddress"):
        raise ApiError(400, "The permission emailAddress field is required.", drive=True)
    permission = {"kind": "drive#permission", "id": str(call.store.new_int_id()), "type": body["type"], "role": body["role"]}
    for key in ("emailAddress", "domain", "allowFileDiscovery", "expirationTime"):
        if body.get(key) is not None:
            permission[key] = body[key]
    if permission.get("emailAddress"):
        permission["displayName"] = permission["emailAddress"].split("@")[0]
    drive_file.permissions.append(permission)
    return 200, fieldmask.apply(fieldmask.parse(call.param("fields") or DEFAULT_PERMISSION_FIELDS), copy.deepcopy(permission))


def list_permissions(call, file_id):
    drive_file = call.store.get_file(file_id)
    body = {"kind": "drive#permissionList", "permissions": copy.deepcopy(drive_file.permissions)}
    fields = call.param("fields") or "kind,nextPageToken,permissions(kind,id,type,role)"
    return 200, fieldmask.apply(fieldmask.parse(fields), body)


def delete_permission(call, file_id, permission_id):
    drive_file = call.store.get_file(file_id)
    kept = [p for p in drive_file.permissions if p["id"] != permission_id]
    if len(kept) == len(drive_file.permissions):
        raise not_found(f"Permission not found: {permission_id}.", drive=True)
    drive_file.permissions = kept
    return 204, None


# --- changes ----------------------------------------------------------------------------

def start_page_token(call):
    return 200, {"kind": "drive#startPageToken", "startPageToken": str(len(call.store.changes) + 1)}


def list_changes(call):
    token = call.param("pageToken")
    if not token or not token.isdigit():
        raise ApiError(400, "Invalid Value", drive=True)
    since = int(token)
    latest: dict[str, dict] = {}
    for change in call.store.changes:
        if change["seq"] >= since:
            latest.pop(change["fileId"], None)  # keep each file once, at its latest change
            latest[change["fileId"]] = change
    changes = []
    for change in latest.values():
        drive_file = call.store.files.get(change["fileId"])
        entry = {
            "kind": "drive#change", "changeType": "file", "time": rfc3339(change["time"]),
            "removed": change["removed"] or drive_file is None, "fileId": change["fileId"],
        }
        if drive_file is not None and not entry["removed"]:
            entry["file"] = drive_file.resource()
        changes.append(entry)
    body = {"kind": "drive#changeList", "newStartPageToken": str(len(call.store.changes) + 1), "changes": changes}
    fields = call.param("fields")
    return 200, fieldmask.apply(fieldmask.parse(fields), body) if fields else body
