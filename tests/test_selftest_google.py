"""`chas-sheets selftest google`: it passes on the emulator (as strict as Google), and fails the
right line, and only that line, on an emulator made to break one assumption at a time."""

from __future__ import annotations

import datetime as dt
import json
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from click.testing import CliRunner

from chas_sheets.backends.google import Connection
from chas_sheets.backends.google_http import RetryPolicy
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.selftest.google import Probe, run_selftest

TODAY = dt.date(2027, 5, 12)


def probe_for(app, **options) -> Probe:
    options.setdefault("big_rows", 300)  # the school's run writes 5,000; the emulator checks every cell
    return Probe(Connection(session=emulator_session(app), retry=RetryPolicy(total_seconds=5)), TODAY,
                 wait_seconds=0, sleep=lambda _s: None, **options)


class Misbehaving:
    """The emulator, made wrong in one way: a WSGI layer that rewrites what goes in or comes out."""

    def __init__(self, app, request=None, response=None):
        self.app, self.request, self.response = app, request, response

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if self.response:
            answer = self.response(method, path, body)
            if answer is not None:
                status, payload = answer
                start_response(status, [("Content-Type", "application/json")])
                return [json.dumps(payload).encode()]
        if self.request and body:
            body = json.dumps(self.request(method, path, json.loads(body))).encode()
        import io

        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        return self.app(environ, start_response)


def _walk(value, visit):
    """Apply `visit` to every dict inside a request body (in place)."""
    if isinstance(value, dict):
        visit(value)
        for child in value.values():
            _walk(child, visit)
    elif isinstance(value, list):
        for child in value:
            _walk(child, visit)
    return value


def lock_accepts_duplicates(method, path, body):
    return _walk(body, lambda d: d.pop("metadataId", None) if "metadataKey" in d else None)


def keeps_us_locale(method, path, body):
    def drop(d):
        if isinstance(d.get("properties"), dict):
            d["properties"].pop("locale", None)
            d["properties"].pop("timeZone", None)
    return _walk(body, drop)


def typed_input_as_raw(method, path, body):
    if body.get("valueInputOption") == "USER_ENTERED":
        body["valueInputOption"] = "RAW"
    return body


def raw_parsed(method, path, body):
    if body.get("valueInputOption") == "RAW":
        body["valueInputOption"] = "USER_ENTERED"
    return body


def feed_blind(method, path, body):
    if path.endswith("/drive/v3/changes"):
        return "200 OK", {"kind": "drive#changeList", "changes": [], "newStartPageToken": "999999"}
    return None


def feed_scope_refused(method, path, body):
    if "/drive/v3/changes" in path:
        return "403 Forbidden", {"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
                                           "status": "PERMISSION_DENIED"}}
    return None


def large_bodies_refused(method, path, body):
    if len(body) > 50_000:
        return "413 Request Entity Too Large", {"error": {"code": 413, "message": "Request too large",
                                                          "status": "INVALID_ARGUMENT"}}
    return None


def metadata_limit_lower(method, path, body):
    """A Google keeping less developer metadata than the ID index takes."""
    sent = json.loads(body) if body else {}
    for request in (sent.get("requests") or []) if isinstance(sent, dict) else []:
        meta = (request.get("createDeveloperMetadata") or {}).get("developerMetadata") or {}
        if len(meta.get("metadataValue") or "") > 10_000:
            return "400 Bad Request", {"error": {"code": 400, "message": "metadata too large",
                                                 "status": "INVALID_ARGUMENT"}}
    return None


def metadata_cut(method, path, body):
    """A Google keeping only the first 1,000 characters of a metadata value."""
    for request in (body.get("requests") or []) if isinstance(body, dict) else []:
        meta = (request.get("createDeveloperMetadata") or {}).get("developerMetadata") or {}
        if meta.get("metadataValue"):
            meta["metadataValue"] = meta["metadataValue"][:1000]
    return body


def results(app, **options) -> dict[str, bool]:
    return {check.name: check.passed for check in run_selftest(probe_for(app, **options))}


def test_every_assumption_holds_on_the_emulator():
    app = make_app()
    found = results(app)
    assert found and all(found.values()), [name for name, ok in found.items() if not ok]
    assert len(found) == 15
    assert not app.store.files  # the scratch spreadsheet was deleted


# name of the line that must fail -> the way the emulator is made wrong
BROKEN = {
    "the write lock holds": {"request": lock_accepts_duplicates},
    "new spreadsheets are Swedish": {"request": keeps_us_locale},
    "typed 11/4 is 11 April": {"request": typed_input_as_raw},
    "text stays text": {"request": raw_parsed},
    "the changes feed lists an edit to a spreadsheet the account made": {"response": feed_blind},
    "a write and a read of 300 log rows": {"response": large_bodies_refused},
    "the tool's scopes suffice": {"response": feed_scope_refused},
    "the log's ID index fits in the spreadsheet's metadata": {"response": metadata_limit_lower},
}


@pytest.mark.parametrize("line", BROKEN)
def test_a_misbehaving_google_fails_the_right_line(line):
    found = results(Misbehaving(make_app(), **BROKEN[line]))
    failed = {name for name, ok in found.items() if not ok}
    assert line in failed
    expected_along = {  # what necessarily fails with it
        "new spreadsheets are Swedish": {"typed 11/4 is 11 April", "typed 1,5 is one and a half"},
        "typed 11/4 is 11 April": {"typed 1,5 is one and a half"},
        "the tool's scopes suffice": {"the changes feed"},
    }.get(line, set())
    assert failed - {line} == expected_along


def test_an_index_google_cuts_fails_its_line():
    found = results(Misbehaving(make_app(), request=metadata_cut))
    assert {name for name, ok in found.items() if not ok} == {"the log's ID index fits in the spreadsheet's metadata"}


def test_the_shared_spreadsheet_is_checked_and_left_as_it_was():
    from chas_sheets.backends.google import GoogleSpreadsheet

    app = make_app()
    shared = GoogleSpreadsheet.new("group", session=emulator_session(app), retry=RetryPolicy(total_seconds=5))
    before = shared.read().grids
    found = results(app, shared=shared.key)
    assert found["the changes feed lists an edit to a spreadsheet shared with the account"] is True
    assert shared.read().grids == before
    assert not app.store.get_spreadsheet(shared.key).developer_metadata  # the probe's metadata is gone again
    assert list(app.store.files) == [shared.key]  # the scratch spreadsheet was deleted


def test_the_scratch_spreadsheet_is_deleted_even_when_a_check_cannot_run():
    app = make_app()
    found = results(Misbehaving(app, response=feed_scope_refused))
    assert found["the tool's scopes suffice"] is False
    assert not app.store.files


@pytest.fixture
def served(monkeypatch):
    servers = []

    def serve(app):
        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        monkeypatch.setenv("CHAS_SHEETS_API_URL", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("CHAS_SHEETS_RETRY_SECONDS", "5")

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_command_prints_a_line_per_assumption_and_exits_0_when_all_pass(served):
    served(make_app())
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "selftest", "google", "--wait", "0"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 15 and all(line.startswith("PASS") for line in lines)
    assert "15 passed, 0 failed" in result.stderr


def test_the_command_exits_1_and_says_what_a_fail_means(served):
    served(Misbehaving(make_app(), request=lock_accepts_duplicates))
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "selftest", "google", "--wait", "0", "--json"])
    assert result.exit_code == 1
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["the write lock holds"]["passed"] is False
    assert "at once" in checks["the write lock holds"]["meaning"]


def test_a_shared_that_is_no_spreadsheet_is_a_usage_error():
    result = CliRunner().invoke(cli, ["selftest", "google", "--shared", "not a url"])
    assert result.exit_code == 2
    assert "--shared" in result.output


# Google's rules that only the API reference states (no recorded session shows them) --------
# rule the emulator is made to break (control.RULES) -> the line that must fail, alone
REFERENCE_RULES = {
    "ranged_get_keeps_spreadsheet_metadata": "a ranged read keeps the spreadsheet's metadata",
    "ranged_batch_answer_keeps_spreadsheet_metadata": "a ranged write answer keeps the spreadsheet's metadata",
    "unmatched_metadata_delete_allowed": "deleting metadata that matches nothing is no error",
    "missing_sheet_delete_refused": "deleting a missing tab refuses the whole write",
    "missing_tab_range_refused": "a range naming a missing tab refuses the whole request",
    "row_metadata_follows_rows": "row metadata moves with its row",
}
# Lines that rest on a rule as well as their own: the ID index is read back by a ranged read,
# so a Google whose ranged reads drop the spreadsheet's metadata fails that line too.
ALSO_FAILS = {"ranged_get_keeps_spreadsheet_metadata": {"the log's ID index fits in the spreadsheet's metadata"}}


def test_every_reference_rule_of_the_emulator_has_its_line():
    from chas_sheets.emulator.control import RULES

    assert set(REFERENCE_RULES) == set(RULES)
    assert set(REFERENCE_RULES.values()) <= set(results(make_app()))


@pytest.mark.parametrize("rule", REFERENCE_RULES)
def test_a_google_without_a_reference_rule_fails_its_line_and_only_it(rule):
    app = make_app()
    app.rules.switch_off(rule)
    found = results(app)
    failed = {name for name, ok in found.items() if not ok}
    assert failed == {REFERENCE_RULES[rule]} | ALSO_FAILS.get(rule, set())
    assert not app.store.files  # the scratch spreadsheet was deleted all the same


def _scratch_after_rule_checks(app):
    """The scratch spreadsheet as the reference-rule checks leave it (before it is deleted)."""
    from chas_sheets.selftest import google_rules
    from chas_sheets.selftest.google import check_creation

    probe = probe_for(app)
    lines = list(check_creation(probe))
    book = app.store.get_spreadsheet(probe.scratch.key)
    before = (list(book.developer_metadata), book.sheet_by_id(probe.tab_id).row_count,
              [s.sheet_id for s in book.sheets])
    for check in google_rules.CHECKS:
        lines += list(check(probe))
    book = app.store.get_spreadsheet(probe.scratch.key)
    after = (list(book.developer_metadata), book.sheet_by_id(probe.tab_id).row_count, [s.sheet_id for s in book.sheets])
    return lines, before, after


@pytest.mark.parametrize("rule", [None, *REFERENCE_RULES])
def test_the_reference_rule_checks_leave_the_scratch_spreadsheet_as_they_found_it(rule):
    app = make_app()
    if rule:
        app.rules.switch_off(rule)
    lines, before, after = _scratch_after_rule_checks(app)
    assert [line.name for line in lines if not line.passed] == ([REFERENCE_RULES[rule]] if rule else [])
    assert after == before  # no metadata left, the tab's rows as they were, no tab added or removed


def test_a_rule_switched_off_over_http_fails_the_command(served):
    import os

    import requests

    app = make_app()
    served(app)
    url = os.environ["CHAS_SHEETS_API_URL"]
    listed = requests.post(f"{url}/_emulator/rules", json={"off": ["row_metadata_follows_rows"]}, timeout=5).json()
    assert listed["rules"]["row_metadata_follows_rows"]["holds"] is False
    assert listed["rules"]["missing_tab_range_refused"]["holds"] is True
    assert requests.post(f"{url}/_emulator/rules", json={"off": ["no_such_rule"]}, timeout=5).status_code == 400
    result = CliRunner().invoke(cli, ["--today", TODAY.isoformat(), "selftest", "google", "--wait", "0"])
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == ["FAIL  row metadata moves with its row: stayed on row 8 when a row was inserted above it"]
    assert "wrong leads" in result.stdout
    assert requests.delete(f"{url}/_emulator/rules", json={}, timeout=5).status_code == 200
    assert not app.rules.off


def test_a_reference_rule_line_in_swedish_and_in_english():
    from chas_sheets import i18n

    app = make_app()
    app.rules.switch_off("missing_sheet_delete_refused")
    i18n.set_language("sv")
    swedish = [check for check in run_selftest(probe_for(app)) if not check.passed]
    i18n.set_language("en")
    english = [check for check in run_selftest(probe_for(app)) if not check.passed]
    assert [c.name for c in english] == ["deleting a missing tab refuses the whole write"]
    assert len(swedish) == 1 and swedish[0].name != english[0].name
    assert swedish[0].found != english[0].found and swedish[0].meaning != english[0].meaning
    assert "chas-sheets kontroll" in swedish[0].meaning
