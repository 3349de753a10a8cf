"""`chas-sheets selftest google`: the assumptions the tool makes about Google, checked once on
the school's real account before anyone trusts the tool with a CRM.

No test here can reach Google, so each thing the tool's correctness rests on and only Google
can settle is asked of Google itself, on a scratch spreadsheet the self-test creates (with the
tool's own creation path) and deletes again:

- the write lock: a second `createDeveloperMetadata` under an existing `metadataId` fails the
  whole batch, and nothing else in that batch is applied (google_lock depends on both);
- the spreadsheets the tool creates are Swedish (`sv_SE`, `Europe/Stockholm`), and typed
  input parses as a Swedish student means it: `11/4` is 11 April, `1,5` is one and a half;
- RAW and `stringValue` text stay text: `0701234567` keeps its zero, `=1+1` is no formula;
- Drive's changes feed lists an edit to the scratch spreadsheet (and, with `--shared`, to a
  spreadsheet only shared with the account), so the nightly run may skip quiet CRMs;
- the scopes the tool asks for suffice, each request made with exactly those;
- a large write and a large read (a CRM with a long `Ändringslogg`) go through in one request;
- the index of the IDs Ändringslogg names (google_ids), at its largest, is kept as
  spreadsheet-level developer metadata and comes back whole with a read naming one tab;
- the rules the write path rests on that only the API reference states (google_rules): ranged
  answers keep the spreadsheet's metadata, deleting what is gone, missing tabs and ranges
  refused whole, row metadata following its row.

Each check is a function of a `Probe` (the clients and the scratch spreadsheet) returning
`Check`s; `run_selftest` runs them in order, always deletes the scratch spreadsheet, and never
stops at a failure: a school wants every line at once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Iterator

from chas_sheets.backends.google import SHEETS_WEB_URL, GoogleSpreadsheet
from chas_sheets.backends.google_auth import DRIVE_FILE, DRIVE_METADATA, SPREADSHEETS
from chas_sheets.backends.google_http import DRIVE_URL, SHEETS_URL, GoogleApiError
from chas_sheets.errors import BackendError
from chas_sheets.i18n import _
from chas_sheets.selftest import google_rules
from chas_sheets.selftest.probe import BIG_ROWS, SCRATCH_TAB, Check, Probe

__all__ = ["BIG_ROWS", "CHECKS", "SCRATCH_TAB", "Check", "Probe", "run_selftest"]

SWEDISH_LOCALE = "sv_SE"
SWEDISH_TIME_ZONE = "Europe/Stockholm"
SHEETS_EPOCH = dt.date(1899, 12, 30)  # serial 0 of a Sheets date
BIG_COLUMNS = 8  # Ändringslogg's width


def _cell_text(value: str) -> dict:
    return {"userEnteredValue": {"stringValue": value}}


def _reason(exc: Exception) -> str:
    return f"{exc.status} {exc.message}" if isinstance(exc, GoogleApiError) else str(exc)


# The checks ----------------------------------------------------------------------------------
def check_creation(probe: Probe) -> Iterator[Check]:
    """The scratch spreadsheet, made as `init` makes one; its locale and time zone."""
    title = f"chas-sheets selftest {probe.today.isoformat()} {secrets.token_hex(3)}"
    connection = probe.connection
    probe.scratch = GoogleSpreadsheet.new("student", title=title, credentials=connection.credentials,
                                          session=connection.session, api_url=connection.api_url,
                                          retry=connection.retry)
    added = probe.batch(probe.scratch.key, [{"addSheet": {"properties": {
        "title": SCRATCH_TAB, "gridProperties": {"rowCount": 10, "columnCount": 10}}}}])
    probe.tab_id = added["replies"][0]["addSheet"]["properties"]["sheetId"]
    found = probe.sheets.get_json(f"{SHEETS_URL}/{probe.scratch.key}", {"fields": "properties(locale,timeZone)"})
    props = found.get("properties", {})
    locale, zone = props.get("locale", "?"), props.get("timeZone", "?")
    yield Check(_("new spreadsheets are Swedish"), locale == SWEDISH_LOCALE and zone == SWEDISH_TIME_ZONE,
                _("locale {locale}, time zone {zone}").format(locale=locale, zone=zone),
                "" if locale == SWEDISH_LOCALE and zone == SWEDISH_TIME_ZONE else
                _("CRMs made by init or cohort would read dates a student types (11/4) the American way; "
                  "do not use this version of chas-sheets to create CRMs"))


def check_lock(probe: Probe) -> Iterator[Check]:
    """google_lock takes the lock by creating developer metadata under a fixed id: a second
    take must fail, and fail whole (the cell written beside it must not change)."""
    assert probe.scratch is not None
    key, metadata_id = probe.scratch.key, 1 + secrets.randbelow(2**31 - 2)
    lock = {"createDeveloperMetadata": {"developerMetadata": {
        "metadataId": metadata_id, "metadataKey": "chas-sheets.selftest", "metadataValue": "first",
        "location": {"spreadsheet": True}, "visibility": "PROJECT"}}}
    probe.batch(key, [lock])
    second = json.loads(json.dumps(lock))
    second["createDeveloperMetadata"]["developerMetadata"]["metadataValue"] = "second"
    beside = {"updateCells": {"rows": [{"values": [_cell_text("applied")]}], "fields": "userEnteredValue",
                              "start": {"sheetId": probe.tab_id, "rowIndex": 0, "columnIndex": 9}}}
    try:
        probe.batch(key, [beside, second])
        refused = False
    except GoogleApiError as exc:
        refused = exc.status == 400
    cell = probe.cells(f"'{SCRATCH_TAB}'!J1")
    applied = bool(cell) and (cell[0].get("userEnteredValue") or {}).get("stringValue") == "applied"
    ok = refused and not applied
    found = (_("a second take under the same id was refused whole") if ok else
             _("a second take was accepted") if not refused else _("refused, but the rest of its batch was applied"))
    yield Check(_("the write lock holds"), ok, found,
                "" if ok else _("two chas-sheets runs could write one CRM at once and overwrite each other; "
                                "do not run the nightly and a student's command on the same CRM at the same time"))


def check_typed_input(probe: Probe) -> Iterator[Check]:
    """What a student types into the sheet, parsed by the spreadsheet's locale."""
    assert probe.scratch is not None
    tab = SCRATCH_TAB
    probe.sheets.post_json(f"{SHEETS_URL}/{probe.scratch.key}/values:batchUpdate", {
        "valueInputOption": "USER_ENTERED", "data": [{"range": f"'{tab}'!A1:B1", "values": [["11/4", "1,5"]]}]})
    date_cell, decimal_cell = (probe.cells(f"'{tab}'!A1:B1") + [{}, {}])[:2]
    serial = (date_cell.get("effectiveValue") or {}).get("numberValue")
    as_date = SHEETS_EPOCH + dt.timedelta(days=int(serial)) if isinstance(serial, (int, float)) else None
    april = as_date is not None and (as_date.month, as_date.day) == (4, 11)  # the year is Google's "this year"
    yield Check(_("typed 11/4 is 11 April"), april,
                _("stored as {value}").format(value=as_date.isoformat() if as_date else _shown(date_cell)),
                "" if april else
                _("dates students type are read as another day; the processed rule would close the wrong leads: "
                  "set File > Settings > Locale to Sweden in every CRM"))
    number = (decimal_cell.get("effectiveValue") or {}).get("numberValue")
    yield Check(_("typed 1,5 is one and a half"), number == 1.5, _("stored as {value}").format(value=_shown(decimal_cell)),
                "" if number == 1.5 else _("numbers with a decimal comma are text in this spreadsheet's locale"))


def check_text_stays_text(probe: Probe) -> Iterator[Check]:
    """RAW values and `stringValue` cells (how the tool writes) are never parsed."""
    assert probe.scratch is not None
    tab = SCRATCH_TAB
    typed = ["0701234567", "=1+1", "2027-04-11", "556036-0793"]
    probe.sheets.post_json(f"{SHEETS_URL}/{probe.scratch.key}/values:batchUpdate", {
        "valueInputOption": "RAW", "data": [{"range": f"'{tab}'!A2:D2", "values": [typed]}]})
    probe.batch(probe.scratch.key, [{"updateCells": {
        "rows": [{"values": [_cell_text(text) for text in typed]}], "fields": "userEnteredValue",
        "start": {"sheetId": probe.tab_id, "rowIndex": 2, "columnIndex": 0}}}])
    raw = [(c.get("effectiveValue") or {}).get("stringValue") for c in probe.cells(f"'{tab}'!A2:D2")]
    written = [(c.get("effectiveValue") or {}).get("stringValue") for c in probe.cells(f"'{tab}'!A3:D3")]
    ok = raw == typed and written == typed
    yield Check(_("text stays text"), ok, _("phone, formula-like text, ISO date and org. number kept as typed") if ok
                else _("RAW gave {raw}, stringValue gave {written}").format(raw=raw, written=written),
                "" if ok else _("phone numbers could lose their zero or text become formulas: do not use chas-sheets"))


def check_changes_feed(probe: Probe) -> Iterator[Check]:
    """The nightly run skips spreadsheets the changes feed does not list; it must list edits."""
    assert probe.scratch is not None
    feed = probe.client(DRIVE_METADATA)
    token = feed.get_json(f"{DRIVE_URL}/changes/startPageToken", {"supportsAllDrives": "true"})["startPageToken"]
    probe.sheets.post_json(f"{SHEETS_URL}/{probe.scratch.key}/values:batchUpdate", {
        "valueInputOption": "RAW", "data": [{"range": f"'{SCRATCH_TAB}'!A5", "values": [["edit"]]}]})
    wanted = {probe.scratch.key: _("the changes feed lists an edit to a spreadsheet the account made")}
    if probe.shared:
        # An invisible edit (developer metadata, no cell touched) to a spreadsheet shared with the account.
        metadata_id = 1 + secrets.randbelow(2**31 - 2)
        probe.batch(probe.shared, [{"createDeveloperMetadata": {"developerMetadata": {
            "metadataId": metadata_id, "metadataKey": "chas-sheets.selftest", "metadataValue": "probe",
            "location": {"spreadsheet": True}, "visibility": "PROJECT"}}}])
        probe.batch(probe.shared, [{"deleteDeveloperMetadata": {"dataFilter": {
            "developerMetadataLookup": {"metadataId": metadata_id}}}}])
        wanted[probe.shared] = _("the changes feed lists an edit to a spreadsheet shared with the account")
    seen = _feed_lists(probe, feed, token, set(wanted))
    for key, what in wanted.items():
        ok = key in seen
        yield Check(what, ok,
                    _("listed") if ok else _("not listed within {seconds:.0f} s").format(seconds=probe.wait_seconds),
                    "" if ok else _("the nightly run could skip a CRM a person changed: run nightly with --full "
                                    "until this passes"))


def _feed_lists(probe: Probe, feed, token: str, keys: set[str]) -> set[str]:
    seen: set[str] = set()
    waited = 0.0
    while True:
        params = {"pageToken": token, "pageSize": "1000", "supportsAllDrives": "true",
                  "includeItemsFromAllDrives": "true", "fields": "nextPageToken,newStartPageToken,changes(fileId)"}
        while True:
            page = feed.get_json(f"{DRIVE_URL}/changes", params)
            seen |= {change.get("fileId") for change in page.get("changes", [])} & keys
            if not page.get("nextPageToken"):
                break
            params["pageToken"] = page["nextPageToken"]
        if seen == keys or waited >= probe.wait_seconds:
            return seen
        probe.sleep(5.0)
        waited += 5.0


def check_size(probe: Probe) -> Iterator[Check]:
    """A big write and the full read of a CRM with a long Ändringslogg, each in one request."""
    assert probe.scratch is not None
    row = ["20270512-020000-abcd", "2027-05-12 02:00:00", "nightly", "Leads", "L-ABCDEF", "Status",
           "Kontaktad", "Bearbetad"]
    try:
        probe.batch(probe.scratch.key, [
            {"appendDimension": {"sheetId": probe.tab_id, "dimension": "ROWS", "length": probe.big_rows}},
            {"appendCells": {"sheetId": probe.tab_id, "fields": "userEnteredValue",
                             "rows": [{"values": [_cell_text(v) for v in row[:BIG_COLUMNS]]}] * probe.big_rows}}])
        started = time.perf_counter()
        answer = probe.sheets.request("get", f"{SHEETS_URL}/{probe.scratch.key}", params={
            "includeGridData": "true", "fields": "sheets(properties.title,data.rowData.values(userEnteredValue,"
                                                 "effectiveValue))"})
        size, seconds = len(answer.content), time.perf_counter() - started
    except (GoogleApiError, BackendError) as exc:
        yield Check(_("a write and a read of {n:,} log rows").format(n=probe.big_rows), False, _reason(exc),
                    _("a CRM with a long Ändringslogg could not be written or read in one request"))
        return
    yield Check(_("a write and a read of {n:,} log rows").format(n=probe.big_rows), True,
                _("one request each; the read was {mb:.1f} MB in {seconds:.1f} s").format(mb=size / 1e6,
                                                                                          seconds=seconds), "")


def check_id_index(probe: Probe) -> Iterator[Check]:
    """The log's ID index at the most the tool keeps (id_index.MAX_CHARS) is accepted as
    spreadsheet-level metadata, and a read naming one tab gives it back whole."""
    from chas_sheets.sheet import id_index

    assert probe.scratch is not None
    key, name = probe.scratch.key, _("the log's ID index fits in the spreadsheet's metadata")
    rng = secrets.SystemRandom()
    ids: set[str] = set()
    text = ""
    while True:  # an index as long as the tool keeps one
        ids |= {"L-" + "".join(rng.choice(id_index.ALPHABET) for _ in range(6)) for _ in range(500)}
        longer = id_index.encode(id_index.IdIndex(frozenset(ids), 1, "0" * 16))
        if longer is None:
            break
        text = longer
    meta_key = "chas-sheets.selftest-index"
    try:
        probe.batch(key, [{"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": meta_key, "metadataValue": text, "location": {"spreadsheet": True},
            "visibility": "DOCUMENT"}}}])
        found = probe.sheets.get_json(f"{SHEETS_URL}/{key}", {
            "ranges": f"'{SCRATCH_TAB}'!A1:A1", "fields": "developerMetadata(metadataKey,metadataValue)"})
    except (GoogleApiError, BackendError) as exc:
        yield Check(name, False, _reason(exc),
                    _("every write that keeps the index would be refused, then made again without it: runs that "
                      "hand out new IDs read the whole Ändringslogg (slower, never wrong)"))
        return
    back = [m.get("metadataValue") for m in found.get("developerMetadata") or () if m.get("metadataKey") == meta_key]
    ok = back == [text]
    found_text = (_("{n:,} characters kept and read back whole") if ok else
                  _("{n:,} characters kept, but not read back as written")).format(n=len(text))
    yield Check(name, ok, found_text,
                "" if ok else _("new IDs would be checked on a cut index: do not use this version with Google"))


def check_scopes(probe: Probe) -> Iterator[Check]:
    """Every request above was made with only the tool's scopes; say which, so a school can
    grant exactly these (an OAuth consent screen or a domain-wide delegation)."""
    yield Check(_("the tool's scopes suffice"), True,
                ", ".join(scope.rsplit("/", 1)[-1] for scope in (SPREADSHEETS, DRIVE_FILE, DRIVE_METADATA)), "")


CHECKS: tuple[Callable[[Probe], Iterator[Check]], ...] = (
    check_creation, check_lock, check_typed_input, check_text_stays_text, *google_rules.CHECKS,
    check_changes_feed, check_size, check_id_index,
)


def run_selftest(probe: Probe) -> list[Check]:
    """Every check, in order; one that cannot run is a FAIL naming why. The scratch spreadsheet
    is deleted at the end whatever happened (a note says where it is if it cannot be)."""
    results: list[Check] = []
    scope_refused = False
    try:
        for check in CHECKS:
            if check is not check_creation and probe.scratch is None:
                break  # nothing to check on
            try:
                results.extend(check(probe))
            except (GoogleApiError, BackendError) as exc:
                scope_refused |= isinstance(exc, GoogleApiError) and exc.status == 403
                results.append(Check(_title_of(check), False, _("could not run: {reason}").format(reason=_reason(exc)),
                                     _("see the line above; the other checks went on")))
    finally:
        _delete_scratch(probe)
    if probe.scratch is not None and not scope_refused:
        results.extend(check_scopes(probe))
    elif scope_refused:
        results.append(Check(_("the tool's scopes suffice"), False, _("Google refused a request (403)"),
                             _("give the account the Sheets, drive.file and drive.metadata.readonly scopes, "
                               "and share the spreadsheets with it as editor")))
    return results


def _delete_scratch(probe: Probe) -> None:
    if probe.scratch is None:
        return
    try:
        probe.client(DRIVE_FILE).request("delete", f"{DRIVE_URL}/files/{probe.scratch.key}",
                                         params={"supportsAllDrives": "true"}, repeatable=True)
    except (GoogleApiError, BackendError):
        probe.notes.append(_("the scratch spreadsheet could not be deleted: {url} (delete it by hand)").format(
            url=SHEETS_WEB_URL.format(key=probe.scratch.key)))


def _title_of(check: Callable) -> str:
    return {check_creation: _("a new spreadsheet"), check_lock: _("the write lock holds"),
            check_typed_input: _("typed input"), check_text_stays_text: _("text stays text"),
            check_changes_feed: _("the changes feed"), check_size: _("large requests"),
            **{rule: _(title) for rule, title in google_rules.TITLES.items()}}.get(check, check.__name__)


def _shown(cell: dict) -> str:
    value = cell.get("effectiveValue") or cell.get("userEnteredValue") or {}
    if not value:
        return _("an empty cell")
    (kind, content), = value.items()
    return f"{kind.removesuffix('Value')} {content!r}"
