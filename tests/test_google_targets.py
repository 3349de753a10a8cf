"""How a Google spreadsheet is named: a malformed address or a mistyped CHAS_SHEETS_API_URL is
one clear line (exit 1), never taken for a local file or for an outage."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from chas_sheets.backends import google_key, open_spreadsheet
from chas_sheets.backends.google_http import api_url_from_env
from chas_sheets.cli import cli
from chas_sheets.errors import InvalidInput

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    return lines[0]


@pytest.mark.parametrize("target", [
    "https://docs.google.com/spreadsheets/d/",  # no key
    "https://docs.google.com/spreadsheets/",
    "https://docs.google.com/document/d/1AbCdEf/edit",  # a Google Docs document
    "http://example.com/crm.xlsx",
    "docs.google.com/document/d/1AbCdEf",  # no scheme, still an address
])
def test_an_address_that_is_not_a_google_sheet_is_one_line_error(target, monkeypatch):
    monkeypatch.delenv("CHAS_SHEETS_API_URL", raising=False)
    line = one_line_error(run("check", target))
    assert f"{target} is not a Google Sheets address: expected https://docs.google.com/spreadsheets/d/<key>/" in line
    assert "no such file" not in line


def test_google_title_is_only_for_init():
    line = one_line_error(run("check", "google:Nope"))
    assert "google:Nope" in line and "init" in line and "no such file" not in line


def test_real_sheet_addresses_and_local_paths_still_open():
    assert open_spreadsheet(f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0").key == KEY
    assert open_spreadsheet(KEY).key == KEY
    assert google_key(f"https://docs.google.com/spreadsheets/d/{KEY}") == KEY
    for path in ("crm.xlsx", "mapp/google-crm.xlsx", "C:\\crm\\elev.xlsx"):
        assert type(open_spreadsheet(path)).__name__ == "LocalWorkbook"
    with pytest.raises(InvalidInput):
        open_spreadsheet("https://drive.google.com/file/d/abc/view")


@pytest.mark.parametrize("value", ["127.0.0.1:8791", "localhost:8765", "http//127.0.0.1:8765",
                                   "ftp://127.0.0.1:8765", "http://127.0.0.1:8765/v4/spreadsheets"])
def test_a_mistyped_api_url_is_one_line_error_not_an_outage(value, monkeypatch):
    monkeypatch.setenv("CHAS_SHEETS_API_URL", value)
    line = one_line_error(run("check", KEY))
    assert f"CHAS_SHEETS_API_URL={value}" in line and "http://127.0.0.1:8765" in line
    assert "still failing" not in line and "InvalidSchema" not in line


@pytest.mark.parametrize("value, expected", [("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
                                             ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
                                             (" https://localhost ", "https://localhost"),
                                             ("http://[::1]:8765", "http://[::1]:8765"),
                                             ("", None)])
def test_well_formed_api_urls_are_taken(value, expected, monkeypatch):
    monkeypatch.setenv("CHAS_SHEETS_API_URL", value)
    assert api_url_from_env() == expected
