"""Reading the register: groups and students with their CRMs resolved, the calendar."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from workbooks import write_rows

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.errors import InvalidInput, MissingTab
from chas_sheets.programme.register import read_register

URL = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"


@pytest.fixture
def register(make_crm):
    path = make_crm("register", "reg/register.xlsx",
                    Grupper=[{"Grupp": "Sthlm 1", "Region": "Stockholm", "Gruppens CRM": "grupper/sthlm.xlsx",
                              "Big Bang Day": dt.date(2026, 12, 8), "Delmål": 45},
                             {"Grupp": "Gbg 1", "Gruppens CRM": URL, "Big Bang Day": "8/12/2026"},
                             {"Grupp": "", "Region": "Skåne"}],
                    Studerande=[{"Namn": "Anna Berg", "Grupp": "Sthlm 1", "Individuellt CRM": "studerande/anna.xlsx",
                                 "LIA registrerad": "2027-05-03", "CV design": "Ja"},
                                {"Namn": "Omar Khalil", "Grupp": "Gbg 1", "Individuellt CRM": "",
                                 "Placerad": dt.date(2027, 10, 4), "LIA registrerad": "snart"}])
    return path


def test_groups_and_students_with_crms_resolved_relative_to_the_register(register):
    # read on a day after Omar's placement: a date after --today does not exist yet (test_cohorts)
    reg, _ = read_register(LocalWorkbook(register), dt.date(2027, 10, 12))
    sthlm, gbg = reg.groups
    assert sthlm.crm == str(register.parent / "grupper/sthlm.xlsx") and sthlm.crm_ref == "grupper/sthlm.xlsx"
    assert sthlm.big_bang_day == dt.date(2026, 12, 8) and sthlm.delmal == 45
    assert gbg.crm == URL and gbg.big_bang_day == dt.date(2026, 12, 8)
    anna, omar = reg.students
    assert anna.crm == str(register.parent / "studerande/anna.xlsx")
    assert anna.lia_registered == dt.date(2027, 5, 3) and anna.placed is None
    assert omar.crm == "" and omar.placed == dt.date(2027, 10, 4) and omar.lia_registered is None
    assert [m.name for m in reg.members_of("Sthlm 1")] == ["Anna Berg"]


def test_unusable_cells_and_nameless_rows_are_warnings(register):
    reg, _ = read_register(LocalWorkbook(register), dt.date(2027, 5, 12))
    assert any("no group name" in w for w in reg.warnings)
    assert any("'snart' is not a date" in w for w in reg.warnings)


def test_phase1_columns_only_where_the_register_has_them(register):
    reg, _ = read_register(LocalWorkbook(register))
    assert reg.phase1_columns == ("CV design", "CV ATS", "LinkedIn", "Commitmentavtal")  # the template has all
    assert dict(reg.students[0].phase1)["CV design"] == "Ja"
    wb = openpyxl.load_workbook(register)
    ws = wb["Studerande"]
    for col in range(ws.max_column, 0, -1):
        if ws.cell(1, col).value in ("CV ATS", "LinkedIn"):
            ws.delete_cols(col)
    wb.save(register)
    reg, _ = read_register(LocalWorkbook(register))
    assert reg.phase1_columns == ("CV design", "Commitmentavtal")


def test_the_default_calendar_unless_the_register_has_a_kalender(register):
    reg, _ = read_register(LocalWorkbook(register))
    assert reg.calendar is None
    assert [p.name for p in reg.calendar_for(dt.date(2027, 5, 12))][3] == "Sprint 1"
    write_rows(register, "Kalender", [{"Period": "Sprint 1", "Start": dt.date(2027, 4, 7), "Slut": dt.date(2027, 5, 7)}])
    reg, _ = read_register(LocalWorkbook(register))
    assert [(p.name, p.start) for p in reg.calendar_for(dt.date(2027, 5, 1))] == [("Sprint 1", dt.date(2027, 4, 7))]


def test_a_broken_kalender_is_an_error_not_a_guess(register):
    write_rows(register, "Kalender", [{"Period": "Sprint 1", "Start": "första april", "Slut": dt.date(2027, 4, 30)}])
    with pytest.raises(InvalidInput, match="Kalender row 2"):
        read_register(LocalWorkbook(register))


def test_a_register_without_studerande_names_the_tab(register):
    wb = openpyxl.load_workbook(register)
    del wb["Studerande"]
    wb.save(register)
    with pytest.raises(MissingTab, match="register .*Studerande"):
        read_register(LocalWorkbook(register))


def test_a_note_pasted_as_a_crm_is_named_by_row_never_shown(tmp_path):
    """dedupe --across and nightly read the same register: neither prints the note or crashes."""
    from click.testing import CliRunner
    from workbooks import write_rows

    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.cli import cli

    register = tmp_path / "register.xlsx"
    LocalWorkbook(register).create("register")
    short = "Ring Anna Berg imorgon\nhon vet mer"  # a line break: no path has one
    long = "Ring Anna Berg imorgon, hon vet mer om LIA, kolla med henne " * 6  # longer than any file name
    write_rows(register, "Studerande", [{"Namn": "Ada", "Individuellt CRM": short},
                                        {"Namn": "Bo", "Individuellt CRM": long}])
    for command in (["dedupe", "--across"], ["nightly"]):
        result = CliRunner().invoke(cli, ["--today", "2027-05-12", *command, str(register)])
        assert "Traceback" not in result.output and "Anna Berg" not in result.output, result.output
        for row in (2, 3):
            assert f"Studerande row {row}: Individuellt CRM holds text, not a path or a Google Sheets address" \
                in result.output, (command, result.output)
