"""The Google backend on the emulator: request budget, retries, faults, init, sharing, auth.

Request counts come from the emulator's own stats; waits are recorded by a fake sleep, so
nothing here really sleeps and no test depends on timing.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import stat
import threading
import time

import gspread
import pytest
import requests
import urllib3
from click.testing import CliRunner
from lost_answers import losing_answer_to_post

from chas_sheets.backends import google_auth, google_key
from chas_sheets.backends.google import GoogleSpreadsheet, modified_since, start_page_token
from chas_sheets.backends.google_http import GoogleApiError, RetryingHTTPClient, RetryPolicy, WriteOutcomeUnknown
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app, make_emulator_server
from chas_sheets.emulator.control import ManualClock
from chas_sheets.errors import BackendError, InvalidInput, SpreadsheetNotFound
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.changes import ChangeSet, TabReplacement
from chas_sheets.sheet.writeplan import RunInfo


def fast_retry(**options) -> RetryPolicy:
    return RetryPolicy(**{"total_seconds": 30, "sleep": lambda seconds: None, **options})


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def crm(app):
    """A student CRM made by init, with two leads typed in by a person (gspread, RAW)."""
    backend = GoogleSpreadsheet.new("student", session=emulator_session(app), retry=fast_retry())
    ws = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key).worksheet("Leads")
    headers = ws.row_values(1)
    rows = [{"ID": "L-AAAAAA", "Företag": "A", "Status": "Ny"}, {"ID": "L-BBBBBB", "Företag": "B", "Status": "Ny"}]
    ws.update([[row.get(h, "") for h in headers] for row in rows], "A2", raw=True)
    return backend


def status_cell(app, backend) -> str:
    ws = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key).worksheet("Leads")
    return gspread.utils.rowcol_to_a1(2, ws.row_values(1).index("Status") + 1)


def mark_contacted(backend) -> ChangeSet:
    df = read_tables(backend, ["Leads"])["Leads"].df
    changes = ChangeSet()
    for row_id in df.index:
        changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], "Kontaktad")
    return changes


def statuses(backend) -> dict:
    return dict(read_tables(backend, ["Leads"])["Leads"].df["Status"])


def log_rows(backend) -> list:
    return list(read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df["Körning"])


def requests_to(app, key) -> int:
    return app.stats()["bySpreadsheet"].get(key, 0)


# The request budget ------------------------------------------------------------------
def test_a_changed_spreadsheet_costs_three_requests_and_an_unchanged_one_one(app, crm):
    other = GoogleSpreadsheet.new("student", session=emulator_session(app), retry=fast_retry())
    before = {key: requests_to(app, key) for key in (crm.key, other.key)}
    outcomes = [execute(backend, mark_contacted(backend), "test", apply=True) for backend in (crm, other)]
    assert [o.applied for o in outcomes] == [True, False]  # no leads in `other`: nothing to change
    assert requests_to(app, crm.key) - before[crm.key] == 3  # read, verify, write
    assert requests_to(app, other.key) - before[other.key] == 1  # read only: nothing to write
    assert statuses(crm) == {"L-AAAAAA": "Kontaktad", "L-BBBBBB": "Kontaktad"}


def test_the_write_is_one_atomic_batch_update(app, crm):
    before = dict(app.stats()["byMethod"])
    crm.apply(mark_contacted(crm), RunInfo.new("test"))
    after = app.stats()["byMethod"]
    grew = {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)}
    # one read; the lock's batchUpdate answers with the spreadsheet (the verify read); the write
    assert grew == {"sheets.spreadsheets.get": 1, "sheets.spreadsheets.batchUpdate": 2}


# Concurrency -------------------------------------------------------------------------
def test_the_emulators_concurrent_editor_is_not_overwritten(app, crm):
    app.faults.concurrent_edit(crm.key, f"Leads!{status_cell(app, crm)}", [["Ja"]], after_reads=1)
    changes = mark_contacted(crm)  # the command's read; the person edits right after it
    result = crm.apply(changes, RunInfo.new("test"))
    assert statuses(crm) == {"L-AAAAAA": "Ja", "L-BBBBBB": "Kontaktad"}
    assert len(result.skipped) == 1 and "L-AAAAAA" in result.skipped[0]


# Retries -----------------------------------------------------------------------------
def test_429s_and_500s_on_reads_are_survived_with_bounded_jittered_waits(app, crm):
    crm.connection.retry = policy = fast_retry(rand=lambda: 0.5)  # jitter fixed: the growth is what is tested
    crm._clients.clear()
    app.faults.fail(times=2, status=429, method="GET")
    app.faults.fail(times=2, status=500, method="GET")
    assert statuses(crm) == {"L-AAAAAA": "Ny", "L-BBBBBB": "Ny"}
    assert len(policy.waits) == 4
    assert all(0 < w <= policy.cap_seconds for w in policy.waits)
    assert policy.waits[1] > policy.waits[0] * 1.4  # exponential


def test_a_429_on_the_write_is_retried_and_applied_once(app, crm):
    changes = mark_contacted(crm)
    app.faults.fail(times=2, status=429, method="POST")
    run = RunInfo.new("test")
    assert crm.apply(changes, run).written
    assert log_rows(crm) == [run.run_id, run.run_id]


def test_a_lost_write_that_was_not_applied_is_written_again_once(app, crm):
    crm.locking = False  # the first POST must be the write itself (with the lock: test_locks.py)
    changes = mark_contacted(crm)
    app.faults.fail(times=1, status=500, method="POST")  # a 500 on a write: outcome unknown
    app.faults.drop(times=1, method="POST")
    run = RunInfo.new("test")
    result = crm.apply(changes, run)
    assert result.written and len(result.notes) == 2
    assert statuses(crm) == {"L-AAAAAA": "Kontaktad", "L-BBBBBB": "Kontaktad"}
    assert log_rows(crm) == [run.run_id, run.run_id]


def test_a_write_applied_whose_answer_was_lost_is_not_written_twice(app, crm):
    backend = GoogleSpreadsheet(crm.key, session=emulator_session(losing_answer_to_post(app)), retry=fast_retry())
    backend.locking = False  # the first POST must be the write itself (with the lock: test_locks.py)
    run = RunInfo.new("test")
    result = backend.apply(mark_contacted(backend), run)
    assert result.written and "it was applied" in result.notes[-1]
    assert log_rows(backend) == [run.run_id, run.run_id]  # not doubled
    assert app.stats()["byMethod"]["sheets.spreadsheets.batchUpdate"] == 2  # init's and this run's


def test_quota_429_honours_retry_after():
    clock = ManualClock()  # the emulator's quota window and our waits share one fake clock
    app = make_app(read_quota_per_minute=1, clock=clock)
    policy = RetryPolicy(total_seconds=120, sleep=clock.sleep, clock=clock.now)
    backend = GoogleSpreadsheet.new("student", session=emulator_session(app), retry=policy)
    backend.read()
    assert backend.read().titles  # the second read within the minute gets a 429 first
    assert len(policy.waits) == 1 and policy.waits[0] >= 59  # Retry-After, not the 1-2 s backoff


def test_pacing_keeps_a_long_run_inside_the_per_minute_quota():
    clock = ManualClock()
    start = clock.now()
    app = make_app(read_quota_per_minute=10, write_quota_per_minute=10, clock=clock)
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.now, pace_seconds=6.0)  # 10 a minute
    backends = [GoogleSpreadsheet.new("student", session=emulator_session(app), retry=policy) for _ in range(3)]
    for _ in range(4):  # 12 reads: more than a minute's quota if sent at once
        for backend in backends:
            backend.read()
    assert policy.waits == []  # never a 429
    assert clock.now() - start >= 6 * 17  # 18 requests (6 to create, 12 reads), 6 s apart


def test_giving_up_on_a_quota_that_stays_exhausted_is_a_clear_error(app, crm):
    app.faults.fail(times=100, status=429)
    crm.connection.retry = policy = fast_retry(total_seconds=20)
    crm._clients.clear()
    with pytest.raises(BackendError, match=r"still failing after \d+ tries .*error 429") as err:
        crm.read()
    assert sum(policy.waits) <= 20 and "\n" not in str(err.value)


def test_an_emulator_address_where_nothing_listens_fails_at_once_saying_what_to_do():
    """Not 35 s of silent retries: a refused connection to CHAS_SHEETS_API_URL is one line."""
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = fast_retry(total_seconds=10)
    backend = GoogleSpreadsheet("k" * 44, api_url=f"http://127.0.0.1:{port}", retry=policy)
    with pytest.raises(BackendError) as err:
        backend.read()
    message = str(err.value)
    assert f"http://127.0.0.1:{port}" in message and "CHAS_SHEETS_API_URL" in message
    assert "chas-sheets emulator" in message and "unset" in message and "\n" not in message
    assert policy.waits == []  # not one retry


def test_the_cli_on_an_emulator_address_where_nothing_listens_is_one_line_at_once(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["status", "k" * 44])
    assert result.exit_code == 1
    assert time.monotonic() - started < 5  # the retry policy would take 60 s
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: nothing answers at http://127.0.0.1:{port} (CHAS_SHEETS_API_URL): start the "
                     "emulator with `chas-sheets emulator`, or unset CHAS_SHEETS_API_URL to use Google"]


def test_google_failing_for_a_while_is_retried_and_said_once():
    said = []
    session = ScriptedSession(requests.ConnectionError("Connection aborted."), 503, requests.ReadTimeout(), 200)
    client = RetryingHTTPClient(None, session, retry=fast_retry(announce=said.append), api_url="")
    assert client.request("GET", "https://sheets.googleapis.com/v4/spreadsheets/k").ok
    assert session.calls == 4  # Google's transient failures keep their retries...
    assert said == ["note: the Google Sheets API: connection dropped; retrying for up to 30s"]  # ...said once


def test_the_policy_from_the_environment_says_so_on_stderr_once_per_process(capsys, monkeypatch):
    from chas_sheets.backends import google_http

    monkeypatch.setattr(google_http, "_told", [])
    for _ in range(2):  # two clients (a nightly opens many): one note
        client = RetryingHTTPClient(None, ScriptedSession(refused(), 200), api_url="")
        client.retry.sleep = lambda seconds: None
        assert client.request("GET", "https://sheets.googleapis.com/v4/spreadsheets/k").ok
    err = capsys.readouterr().err
    assert err.count("retrying") == 1 and err.startswith("note: the Google Sheets API: ")


class ScriptedSession:
    """A session answering from a script: a status code, or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = 0

    def request(self, method, url, **options):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        response = requests.Response()
        response.status_code = step
        response._content = b"{}" if step < 400 else json.dumps({"error": {"message": f"m{step}"}}).encode()
        return response


def refused() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))


@pytest.mark.parametrize("method, script, outcome", [
    ("POST", [refused(), 200], 2),  # never sent: a write is retried
    ("POST", [429, 429, 200], 3),  # refused by the quota before anything was done: retried
    ("POST", [503], WriteOutcomeUnknown),  # UNAVAILABLE may hide an applied write: never repeated blindly
    ("POST", [500], WriteOutcomeUnknown),  # maybe applied: never repeated blindly
    ("POST", [requests.ReadTimeout()], WriteOutcomeUnknown),  # sent, no answer in time
    ("POST", [requests.ConnectionError("Connection aborted.")], WriteOutcomeUnknown),
    ("GET", [500, 503, requests.ConnectionError("Connection aborted."), requests.ReadTimeout(), 200], 5),
    ("GET", [400], GoogleApiError),  # a bad request is not retried
])
def test_what_is_retried(method, script, outcome):
    session = ScriptedSession(*script)
    client = RetryingHTTPClient(None, session, retry=fast_retry(), api_url="")
    if isinstance(outcome, int):
        assert client.request(method, "https://sheets.googleapis.com/v4/spreadsheets/k").ok
        assert session.calls == outcome
    else:
        with pytest.raises(outcome):
            client.request(method, "https://sheets.googleapis.com/v4/spreadsheets/k")
        assert session.calls == 1


@pytest.fixture
def loopback(app, monkeypatch):
    """The emulator served on a loopback port, with CHAS_SHEETS_API_URL pointing at it."""
    server = make_emulator_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{server.server_port}")
    yield server
    server.shutdown()
    server.server_close()


def test_loopback_http_through_chas_sheets_api_url(crm, loopback):
    backend = GoogleSpreadsheet(crm.key)  # no credentials needed
    assert backend.apply(mark_contacted(backend), RunInfo.new("test")).written
    assert statuses(backend) == {"L-AAAAAA": "Kontaktad", "L-BBBBBB": "Kontaktad"}


def test_cli_init_on_google_prints_the_new_spreadsheets_url(app, loopback):
    from click.testing import CliRunner

    from chas_sheets.cli import cli

    result = CliRunner().invoke(cli, ["init", "student", "google:Mitt CRM", "--share", "anna@example.se"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()  # stdout is the URL alone, for scripts
    # on the emulator the URL opens in no browser: stderr says what it is for
    assert "emulator" in result.stderr and "TARGET" in result.stderr and "browser" in result.stderr
    key = google_key(url)
    assert key and app.store.files[key].name == "Mitt CRM"
    assert GoogleSpreadsheet(key).read().titles == ["Leads", "Kontaktlogg", "Event", "Att göra", "Körningar",
                                                    "Ändringslogg"]


@pytest.mark.parametrize("share", ["anyone", "*@gmail.com", "anna@skola.se,bo@skola.se", "anna@skola"])
def test_init_refuses_a_share_that_is_not_one_person_before_creating_anything(app, loopback, share):
    from click.testing import CliRunner

    from chas_sheets.cli import cli
    from chas_sheets.privacy import mask_output

    before, sent = set(app.store.files), app.stats()["total"]
    result = CliRunner().invoke(cli, ["init", "student", "google:Mitt CRM", "--share", share])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [mask_output(  # addresses in output are masked
        f"Error: --share '{share}' is not one person's e-mail address; a spreadsheet is shared only with "
        "named people (give --share once per person)")]
    assert set(app.store.files) == before and app.stats()["total"] == sent  # nothing sent, no orphan


# Errors ------------------------------------------------------------------------------
def test_unknown_and_unshared_spreadsheets_are_one_line_errors(app, crm):
    with pytest.raises(SpreadsheetNotFound, match="not found, or no access — share it with"):
        GoogleSpreadsheet("x" * 44, session=emulator_session(app), retry=fast_retry()).read()
    app.faults.fail(times=1, status=403)
    with pytest.raises(SpreadsheetNotFound, match="no access — share it with") as err:
        crm.read()
    assert "\n" not in str(err.value)
    assert not GoogleSpreadsheet("x" * 44, session=emulator_session(app), retry=fast_retry()).exists()
    assert crm.exists()


# init, sharing, charts ---------------------------------------------------------------
def test_init_builds_validations_protections_colours_and_a_frozen_bold_header(app):
    backend = GoogleSpreadsheet.new("group", share=["anna@example.se"], session=emulator_session(app), retry=fast_retry())
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    meta = book.fetch_sheet_metadata({"includeGridData": "true", "ranges": ["Leads!A1:Z2"]})
    leads = meta["sheets"][0]
    headers = [c["userEnteredValue"]["stringValue"] for c in leads["data"][0]["rowData"][0]["values"]]
    assert [w.title for w in book.worksheets()] == [
        "Leads", "Kontaktlogg", "Event", "Medlemmar", "Skörd", "Körningar", "Ändringslogg"]
    assert leads["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert all(c["userEnteredFormat"]["textFormat"]["bold"] for c in leads["data"][0]["rowData"][0]["values"])
    second = leads["data"][0]["rowData"][1]["values"]
    rule = second[headers.index("Temperatur")]["dataValidation"]
    assert rule["condition"]["type"] == "ONE_OF_LIST" and not rule.get("strict", False)
    assert "Varm" in [v["userEnteredValue"] for v in rule["condition"]["values"]]
    protected = leads["protectedRanges"]
    assert protected and all(p["warningOnly"] for p in protected)
    assert {p["range"]["startColumnIndex"] for p in protected} == {headers.index("ID"), headers.index("Bearbetad")}
    formulas = [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in leads["conditionalFormats"]]
    assert len(formulas) == 2 and "Varm" in formulas[1]
    grey = leads["conditionalFormats"][0]["booleanRule"]["format"]["backgroundColor"]
    assert round(grey["red"] * 255) == 0xD9
    widths = leads["data"][0]["columnMetadata"]
    assert widths[headers.index("Kommentar")]["pixelSize"] > widths[headers.index("ID")]["pixelSize"]
    permissions = backend.list_permissions()
    assert {"type": "user", "role": "writer", "emailAddress": "anna@example.se"}.items() <= next(
        p for p in permissions if p.get("emailAddress") == "anna@example.se").items()
    assert all(p["type"] != "anyone" for p in permissions)


def test_sharing_is_only_with_named_people(crm):
    for bad in ("anyone", "anyoneWithLink", "not an email"):
        with pytest.raises(InvalidInput):
            crm.share([bad])


def test_create_formats_only_a_blank_spreadsheet(app, crm):
    blank = gspread.Client(auth=None, session=emulator_session(app)).create("Untitled spreadsheet")
    backend = GoogleSpreadsheet(blank.id, session=emulator_session(app), retry=fast_retry())
    backend.create("register")
    # the register kind's tabs, the nightly's tool-owned Gruppbild and Dialoger among them
    assert backend.read().titles == ["Grupper", "Studerande", "Kalender", "Gruppbild", "Dialoger", "Ändringslogg"]
    with pytest.raises(SpreadsheetNotFound, match="already holds data"):
        crm.create("student")


def test_a_replaced_tab_gets_one_native_chart_and_keeps_its_id(app):
    backend = GoogleSpreadsheet.new("register", session=emulator_session(app), retry=fast_retry())
    chart = {"type": "column", "title": "Företag mot mål", "category": "Grupp", "series": ["Företag", "Mål"]}
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key)
    ids = []
    for rows in ((("G1", 3, 10),), (("G1", 5, 10), ("G2", 7, 10))):
        replacement = TabReplacement("Dashboard", ("Grupp", "Företag", "Mål"), rows, chart)
        assert backend.apply(ChangeSet(replacements=[replacement]), RunInfo.new("nightly")).written
        sheet = next(s for s in book.fetch_sheet_metadata()["sheets"] if s["properties"]["title"] == "Dashboard")
        ids.append(sheet["properties"]["sheetId"])
        assert len(sheet["charts"]) == 1
    assert ids[0] == ids[1]
    assert backend.read(["Dashboard"]).grids["Dashboard"] == [["Grupp", "Företag", "Mål"], ["G1", 5, 10], ["G2", 7, 10]]


# Drive's changes feed ----------------------------------------------------------------
def test_the_changes_feed_names_only_the_files_changed_since_the_token(app, crm):
    other = GoogleSpreadsheet.new("student", session=emulator_session(app), retry=fast_retry())
    connection = {"session": emulator_session(app), "retry": fast_retry()}
    token = start_page_token(**connection)
    quiet = modified_since([crm.key, other.key], token, **connection)
    assert quiet.changed == set() and quiet.removed == set()
    crm.apply(mark_contacted(crm), RunInfo.new("test"))
    busy = modified_since([crm.key, other.key], quiet.next_page_token, **connection)
    assert busy.changed == {crm.key}
    assert modified_since([crm.key], busy.next_page_token, **connection).changed == set()


# Credentials -------------------------------------------------------------------------
class FakeFlow:
    """The installed-app flow without a browser or network: hands back a fixed token."""

    runs = 0

    def __init__(self, client_config, scopes):
        self.scopes = scopes

    def run_local_server(self, **options):
        from google.oauth2.credentials import Credentials

        FakeFlow.runs += 1
        expiry = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=1)
        return Credentials(token="access-secret", expiry=expiry, refresh_token="refresh-secret", client_id="id",
                           client_secret="client-secret", token_uri="https://oauth2.googleapis.com/token",
                           scopes=list(self.scopes))


def test_the_student_login_caches_its_token_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(google_auth.os, "umask", lambda mask: 0)  # even a careless umask gives 0600
    client = {"installed": {"client_id": "id", "client_secret": "s", "auth_uri": "https://a", "token_uri": "https://t"}}
    FakeFlow.runs = 0
    first = google_auth.user_login(client, [google_auth.SPREADSHEETS], flow_factory=FakeFlow)
    token = tmp_path / "chas-sheets" / "token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert json.loads(token.read_text())["refresh_token"] == "refresh-secret"
    again = google_auth.user_login(client, [google_auth.SPREADSHEETS], flow_factory=FakeFlow)
    assert FakeFlow.runs == 1 and again.credentials.token == first.credentials.token  # from the cache
    google_auth.user_login(client, [google_auth.SPREADSHEETS, google_auth.DRIVE_FILE], flow_factory=FakeFlow)
    assert FakeFlow.runs == 2  # a new scope asks again, once
    assert set(json.loads(token.read_text())["scopes"]) == {google_auth.SPREADSHEETS, google_auth.DRIVE_FILE}


def test_a_service_account_file_names_its_email_and_asks_only_for_needed_scopes(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({"type": "service_account", "client_email": "crm@skola.iam.gserviceaccount.com",
                                "private_key": pem, "private_key_id": "1", "token_uri": "https://t"}))
    identity = google_auth.load_identity(path, [google_auth.SPREADSHEETS])
    assert identity.who == "crm@skola.iam.gserviceaccount.com"
    assert list(identity.credentials.scopes) == [google_auth.SPREADSHEETS]
    path.write_text("{not json, and secret")
    with pytest.raises(BackendError) as err:
        google_auth.load_identity(path, [google_auth.SPREADSHEETS])
    assert "secret" not in str(err.value)


class _NoNetworkSession:
    """What AuthorizedSession does on a machine that cannot reach Google: the token fetch fails."""

    def __init__(self, error):
        self.error, self.calls = error, 0

    def request(self, **kwargs):
        self.calls += 1
        raise self.error


def test_no_network_for_the_token_is_retried_then_one_line():
    from google.auth.exceptions import TransportError

    from chas_sheets.backends.google_http import RetryingHTTPClient

    session = _NoNetworkSession(TransportError("HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): "
                                               "Max retries exceeded (Failed to resolve 'oauth2.googleapis.com')"))
    client = RetryingHTTPClient(None, session, retry=fast_retry())
    with pytest.raises(BackendError) as err:
        client.request("post", "https://sheets.googleapis.com/v4/spreadsheets/x:batchUpdate", json={})
    assert session.calls > 1  # never sent, so even a write is tried again
    assert "cannot reach Google to log in (name lookup failed)" in str(err.value) and "\n" not in str(err.value)


def test_credentials_google_refuses_are_one_line_at_once():
    from google.auth.exceptions import RefreshError

    from chas_sheets.backends.google_http import RetryingHTTPClient

    session = _NoNetworkSession(RefreshError("invalid_grant: Invalid JWT Signature.", {"error": "invalid_grant"}))
    with pytest.raises(BackendError, match=r"^Google refused the credentials \(invalid_grant: Invalid JWT "):
        RetryingHTTPClient(None, session, retry=fast_retry()).request("get", "https://sheets.googleapis.com/v4/x")
    assert session.calls == 1


def test_unshare_takes_one_persons_access_and_a_second_time_changes_nothing(app, crm):
    crm.share(["anna@skola.se", "bo@skola.se"], notify=False)
    assert crm.unshare("ANNA@skola.se ") == 1
    assert crm.unshare("anna@skola.se") == 0
    emails = {p.get("emailAddress") for p in crm.list_permissions()}
    assert "bo@skola.se" in emails and "anna@skola.se" not in emails
