"""Dates that mean what the person typed, whatever the spreadsheet's locale.

Google reads typed input by the spreadsheet's `properties.locale`; one created through the
API without one is en_US, where `11/4` is November 4. So chas-sheets creates every
spreadsheet in sv_SE / Europe/Stockholm, reads dates from their serial and format (never the
locale's text), and `check` warns about a CRM in another locale with dates typed in it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_cohort_google import run, started  # noqa: F401 - cohort start on Google, through the CLI
from test_harvest_google import ws  # noqa: F401 - the emulator workspace served on loopback

from chas_sheets.backends import google_format as fmt
from chas_sheets.backends.google import GoogleSpreadsheet, create_spreadsheet
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.check.report import check_workbook
from chas_sheets.emulator import Emulator, ManualClock, emulator_session
from chas_sheets.emulator.cellvalues import cell_from_user_entered
from chas_sheets.programme.calendar import parse_date
from chas_sheets.sheet.layout import layout_for
from chas_sheets.sheet.tables import load_table

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3/files"
TODAY = dt.date(2027, 4, 14)  # a student logs a call made on 11 April
NOON_TODAY = dt.datetime(2027, 4, 14, 12, tzinfo=dt.UTC).timestamp()


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def fast_retry() -> RetryPolicy:
    return RetryPolicy(total_seconds=30, sleep=lambda seconds: None)


@pytest.fixture
def app():
    return Emulator(clock=ManualClock(NOON_TODAY), seed=11)


@pytest.fixture
def session(app):
    return emulator_session(app)


def properties(session, key: str) -> dict:
    answer = session.get(f"{SHEETS}/{key}", params={"fields": "properties(locale,timeZone)"})
    answer.raise_for_status()
    return answer.json()["properties"]


def set_locale(session, key: str, locale: str) -> None:
    """What a spreadsheet made outside chas-sheets' init has (or a person chose)."""
    answer = session.post(f"{SHEETS}/{key}:batchUpdate", json={"requests": [{"updateSpreadsheetProperties": {
        "properties": {"locale": locale}, "fields": "locale"}}]})
    answer.raise_for_status()


def type_in(session, key: str, range_: str, values: list[list]) -> None:
    """A person typing: USER_ENTERED is parsed as if typed in the UI."""
    answer = session.put(f"{SHEETS}/{key}/values/{range_}", params={"valueInputOption": "USER_ENTERED"},
                         json={"values": values})
    answer.raise_for_status()


def stored(session, key: str, range_: str) -> list[dict]:
    answer = session.get(f"{SHEETS}/{key}", params={
        "ranges": range_, "includeGridData": "true",
        "fields": "sheets.data.rowData.values(userEnteredValue,userEnteredFormat.numberFormat)"})
    answer.raise_for_status()
    return answer.json()["sheets"][0]["data"][0]["rowData"][0]["values"]


def blank_spreadsheet(session) -> str:
    """A spreadsheet made in Drive, as Google makes it without a locale."""
    answer = session.post(DRIVE, json={"name": "Ny", "mimeType": "application/vnd.google-apps.spreadsheet"},
                          params={"fields": "id"})
    answer.raise_for_status()
    return answer.json()["id"]


# 1. every spreadsheet chas-sheets creates is Swedish --------------------------------------
@pytest.mark.parametrize("kind", ["group", "student", "register"])
def test_init_creates_spreadsheets_in_swedish_locale_and_stockholm_time(session, kind):
    url = create_spreadsheet(f"CRM {kind}", kind, session=session, retry=fast_retry())
    key = url.rsplit("/", 1)[-1]
    assert properties(session, key) == {"locale": "sv_SE", "timeZone": "Europe/Stockholm"}


def test_init_on_a_blank_google_spreadsheet_makes_it_swedish_too(session):
    key = blank_spreadsheet(session)
    assert properties(session, key) == {"locale": "en_US", "timeZone": "Etc/GMT"}  # Google's default
    GoogleSpreadsheet(key, session=session, retry=fast_retry()).create("student")
    assert properties(session, key) == {"locale": "sv_SE", "timeZone": "Europe/Stockholm"}


def test_the_locale_rides_in_the_template_batch_not_a_request_of_its_own(app, session):
    GoogleSpreadsheet.new("student", session=session, retry=fast_retry())
    assert app.stats()["byMethod"] == {"drive.files.create": 1, "sheets.spreadsheets.batchUpdate": 1}
    first = fmt.layout_requests(layout_for("student"), list(range(1, 10)))[0]  # set before anything is typed
    assert first == {"updateSpreadsheetProperties": {"properties": {"locale": "sv_SE", "timeZone": "Europe/Stockholm"},
                                                     "fields": "locale,timeZone"}}


def test_every_spreadsheet_a_cohort_start_and_individual_create_is_swedish(ws, started):
    _, register = started
    result = run("cohort", "individual", register, "--all", "--apply")
    assert result.exit_code == 0, result.output
    books = [f.spreadsheet for f in ws.app.store.files.values() if f.spreadsheet is not None]
    assert len(books) > 20  # the register, the group CRMs and an individual CRM per student
    assert {(b.properties["locale"], b.properties["timeZone"]) for b in books} == {("sv_SE", "Europe/Stockholm")}


# 2. the emulator parses typed input by the spreadsheet's locale -----------------------------
TYPED = ["11/4", "1,5", "14/4", "2027-04-11", "TRUE", "1.5"]


def test_a_spreadsheet_created_without_a_locale_is_en_us_like_google(session):
    assert properties(session, blank_spreadsheet(session))["locale"] == "en_US"


def test_typing_in_an_en_us_spreadsheet(session):
    key = blank_spreadsheet(session)
    type_in(session, key, "A1", [TYPED])
    cells = stored(session, key, "A1:F1")
    assert cells[0] == {"userEnteredValue": {"numberValue": serial(dt.date(2027, 11, 4))},  # month first
                        "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "M/d"}}}
    assert cells[1] == {"userEnteredValue": {"stringValue": "1,5"}}  # a comma is no decimal point here
    assert cells[2] == {"userEnteredValue": {"stringValue": "14/4"}}  # no 14th month: text
    assert cells[3]["userEnteredValue"] == {"numberValue": serial(dt.date(2027, 4, 11))}  # ISO: everywhere
    assert cells[4] == {"userEnteredValue": {"boolValue": True}}
    assert cells[5] == {"userEnteredValue": {"numberValue": 1.5}}


def test_typing_in_a_swedish_spreadsheet(session):
    key = blank_spreadsheet(session)
    set_locale(session, key, "sv_SE")
    type_in(session, key, "A1", [TYPED])
    cells = stored(session, key, "A1:F1")
    assert cells[0] == {"userEnteredValue": {"numberValue": serial(dt.date(2027, 4, 11))},  # day first
                        "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "d/M"}}}
    assert cells[1] == {"userEnteredValue": {"numberValue": 1.5}}  # decimal comma
    assert cells[2]["userEnteredValue"] == {"numberValue": serial(dt.date(2027, 4, 14))}
    assert cells[3]["userEnteredValue"] == {"numberValue": serial(dt.date(2027, 4, 11))}
    assert cells[4] == {"userEnteredValue": {"boolValue": True}}
    assert cells[5] == {"userEnteredValue": {"stringValue": "1.5"}}  # a point is no decimal separator here


@pytest.mark.parametrize(("locale", "typed", "value"), [
    ("en_US", "1,234.5", 1234.5), ("sv_SE", "1 234,5", 1234.5), ("sv_SE", "12,5%", 0.125),
    ("en_US", "11/4/2026", serial(dt.date(2026, 11, 4))), ("sv_SE", "11/4/2026", serial(dt.date(2026, 4, 11))),
])
def test_numbers_and_dates_with_year_follow_the_locale(locale, typed, value):
    assert cell_from_user_entered(typed, locale, TODAY)["userEnteredValue"] == {"numberValue": value}


@pytest.mark.parametrize(("locale", "typed"), [("sv_SE", "1,234.5"), ("en_US", "1 234,5"), ("sv_SE", "$5")])
def test_another_locales_form_stays_text(locale, typed):
    assert cell_from_user_entered(typed, locale, TODAY) == {"userEnteredValue": {"stringValue": typed}}


def test_a_yearless_date_takes_the_year_of_the_spreadsheets_own_today(app, session):
    """New Year's Eve 23:30 in Greenwich is already 1 January in Stockholm."""
    app.store.clock.current = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC).timestamp()
    key = blank_spreadsheet(session)
    session.post(f"{SHEETS}/{key}:batchUpdate", json={"requests": [fmt.locale_request()]}).raise_for_status()
    type_in(session, key, "A1", [["11/4"]])
    assert stored(session, key, "A1")[0]["userEnteredValue"] == {"numberValue": serial(dt.date(2027, 4, 11))}


# 3. reads: the serial and its format, never the locale's text; check warns ------------------
def crm_with_a_logged_call(session, locale: str | None) -> GoogleSpreadsheet:
    """A group CRM (made by init) where a student logged a call on 11 April as `11/4`."""
    backend = GoogleSpreadsheet.new("group", session=session, retry=fast_retry())
    if locale:
        set_locale(session, backend.key, locale)
    type_in(session, backend.key, "Kontaktlogg!A2", [["K1", "11/4", "Acme AB", "", "", "Telefon", "Ja", "Anna"]])
    return GoogleSpreadsheet(backend.key, session=session, retry=fast_retry())


def test_a_date_typed_in_a_crm_made_by_init_is_the_day_the_person_meant(session):
    backend = crm_with_a_logged_call(session, None)
    raw = backend.read()
    assert backend.requests_sent == 1  # the locale comes with the one read
    assert raw.locale == "sv_SE"
    log = load_table(raw, "Kontaktlogg")
    assert log.df.loc["K1", "Datum"] == dt.date(2027, 4, 11)
    assert not [f for f in check_workbook(raw, TODAY, "group").findings if "locale" in f.message]


def test_a_date_typed_in_an_en_us_crm_is_flagged_by_check_with_the_fix(session):
    backend = crm_with_a_logged_call(session, "en_US")
    raw = backend.read()
    assert backend.requests_sent == 1
    # Google stored November 4: the read gives what the cell holds (its serial), not a guess ...
    assert load_table(raw, "Kontaktlogg").df.loc["K1", "Datum"] == dt.date(2027, 11, 4)
    assert raw.locale_dates == {"Kontaktlogg": [(2, 1, "month_first")]}
    # ... and check says so, in one line with the fix.
    findings = [f for f in check_workbook(raw, TODAY, "group").findings if "locale" in f.message]
    assert len(findings) == 1
    line = findings[0].line()
    assert findings[0].level == "warning" and "\n" not in line
    assert "en_US, not Swedish" in line and "11/4 is 4 November" in line
    assert "Kontaktlogg row 2 [Datum]" in line
    assert "Arkiv > Inställningar > Språkkod: Sverige" in line and "retype" in line


def test_a_month_first_date_left_from_before_the_switch_to_swedish_is_still_flagged(session):
    """Changing the locale does not re-read a cell: the 4 November typed as 11/4 stays."""
    backend = crm_with_a_logged_call(session, "en_US")
    set_locale(session, backend.key, "sv_SE")
    type_in(session, backend.key, "Kontaktlogg!A3", [["K2", "12/4", "Beta AB"]])  # typed after: 12 April
    raw = backend.read()
    log = load_table(raw, "Kontaktlogg")
    assert log.df.loc["K1", "Datum"] == dt.date(2027, 11, 4)
    assert log.df.loc["K2", "Datum"] == dt.date(2027, 4, 12)
    (finding,) = [f for f in check_workbook(raw, TODAY, "group").findings if "11/4" in f.message]
    assert finding.level == "warning"
    assert "1 date shows the month before the day" in finding.message
    assert "Kontaktlogg row 2 [Datum]" in finding.message and "row 3" not in finding.message


def test_iso_and_text_dates_in_an_en_us_crm_are_not_flagged_and_text_reads_the_swedish_way(session):
    backend = GoogleSpreadsheet.new("group", session=session, retry=fast_retry())
    set_locale(session, backend.key, "en_US")
    type_in(session, backend.key, "Kontaktlogg!A2", [["K1", "2027-04-11", "Acme AB"], ["K2", "14/4", "Beta AB"]])
    raw = GoogleSpreadsheet(backend.key, session=session, retry=fast_retry()).read()
    log = load_table(raw, "Kontaktlogg")
    assert log.df.loc["K1", "Datum"] == dt.date(2027, 4, 11)
    assert log.df.loc["K2", "Datum"] == "14/4"  # text, as Google keeps it ...
    assert parse_date(log.df.loc["K2", "Datum"], TODAY) == dt.date(2027, 4, 14)  # ... read the Swedish way
    assert raw.locale_dates == {}
    findings = [f for f in check_workbook(raw, TODAY, "group").findings if "locale" in f.message]
    assert [f.level for f in findings] == ["info"]  # no date at risk yet; the fix is still named


def test_many_dates_are_named_three_then_counted(session):
    backend = GoogleSpreadsheet.new("group", session=session, retry=fast_retry())
    set_locale(session, backend.key, "en_US")
    type_in(session, backend.key, "Kontaktlogg!A2", [[f"K{i}", f"{i}/4", "Acme AB"] for i in range(1, 6)])
    raw = GoogleSpreadsheet(backend.key, session=session, retry=fast_retry()).read()
    (finding,) = [f for f in check_workbook(raw, TODAY, "group").findings if "locale" in f.message]
    assert "5 dates" in finding.message and "Kontaktlogg row 4 [Datum] and 2 more" in finding.message


def test_a_local_xlsx_has_no_locale_and_gets_no_locale_warning(tmp_path):
    path = tmp_path / "crm.xlsx"
    backend = LocalWorkbook(path)
    backend.create("group")
    from workbooks import write_rows

    write_rows(path, "Kontaktlogg", [{"ID": "K1", "Datum": dt.date(2027, 11, 4), "Företag": "Acme AB"}])
    raw = LocalWorkbook(path).read()
    assert raw.locale is None and raw.locale_dates == {}
    assert not [f for f in check_workbook(raw, TODAY, "group").findings if "locale" in f.message]


@pytest.mark.parametrize(("number_format", "order"), [
    ({"type": "DATE", "pattern": "M/d"}, "month_first"), ({"type": "DATE", "pattern": "d/M/yyyy"}, "day_first"),
    ({"type": "DATE"}, "locale"), ({"type": "DATE_TIME", "pattern": "M/d/yyyy H:mm:ss"}, "month_first"),
    ({"type": "DATE", "pattern": "yyyy-mm-dd"}, None), ({"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}, None),
    ({"type": "DATE", "pattern": "d mmm yyyy"}, None), ({"type": "TIME", "pattern": "H:mm"}, None),
    ({"type": "NUMBER", "pattern": "#,##0"}, None), (None, None),
])
def test_which_date_formats_hang_on_the_locale(number_format, order):
    assert fmt.typed_date_order(number_format) == order
