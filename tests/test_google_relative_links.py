"""A relative path written inside a Google spreadsheet has no folder to be relative to: it is
reported where it is followed (nightly, audit, undo, harvest) and never read from, or
created in, the current folder."""

from __future__ import annotations

import json

import gspread
import pytest
from click.testing import CliRunner
from test_google_backend import loopback  # noqa: F401 - the emulator on a loopback port

from chas_sheets.backends import UNRESOLVABLE_PREFIX, open_spreadsheet
from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.errors import InvalidInput

KEY = "1" + "k" * 43


def test_google_marks_relative_paths_and_opening_one_says_why(tmp_path):
    sheet = GoogleSpreadsheet(KEY)
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit"
    assert sheet.resolve_relative(url) == url
    assert sheet.resolve_relative(str(tmp_path / "anna.xlsx")) == str(tmp_path / "anna.xlsx")
    marked = sheet.resolve_relative("../studerande/anna.xlsx")
    assert marked == UNRESOLVABLE_PREFIX + "../studerande/anna.xlsx"
    with pytest.raises(InvalidInput, match=r"the link '\.\./studerande/anna\.xlsx' is a relative path"):
        open_spreadsheet(marked)
    # A local workbook resolves the same link against its own folder.
    assert LocalWorkbook(tmp_path / "grupp.xlsx").resolve_relative("anna.xlsx") == str(tmp_path / "anna.xlsx")


@pytest.fixture
def app():
    return make_app()


def test_nightly_on_a_google_register_reports_a_relative_link_and_reads_no_local_file(
        app, loopback, tmp_path, monkeypatch):
    session = emulator_session(app)
    register, group = GoogleSpreadsheet.new("register", session=session), GoogleSpreadsheet.new("group", session=session)
    book = gspread.Client(auth=None, session=session).open_by_key(register.key)

    def fill(tab, rows):
        sheet = book.worksheet(tab)
        headers = sheet.row_values(1)
        sheet.update([[row.get(h, "") for h in headers] for row in rows], "A2", raw=True)

    fill("Grupper", [{"Grupp": "Nord", "Gruppens CRM": group.target}])
    fill("Studerande", [{"Namn": "Anna Berg", "Grupp": "Nord", "Individuellt CRM": "anna.xlsx"}])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "anna.xlsx").write_bytes(b"not read")  # a file that must not be taken for hers
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "nightly", register.target, "--json"])
    assert result.exit_code == 1, result.output
    anna = next(s for s in json.loads(result.stdout)["students"] if s["name"] == "Anna Berg")
    assert anna["status"] == "error"
    assert "är en relativ sökväg, som ett kalkylark hos Google inte kan följa" in anna["reason"]  # the Dashboard's Swedish
    assert (tmp_path / "anna.xlsx").read_bytes() == b"not read"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anna.xlsx"]
