"""The command line as a user meets it: help, errors, exit codes, init, check, demo."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


@pytest.mark.parametrize("name", cli.list_commands(None))
def test_every_command_has_help_and_a_readme_section(name):
    result = run(name, "--help")
    assert result.exit_code == 0
    command = cli.get_command(None, name)
    assert command.help and len(command.help.split()) >= 8, f"{name} needs a real --help text"
    headings = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any(f"`{name}`" in h for h in headings), f"README has no section headed `{name}`"


def test_usage_error_exits_2_and_library_error_is_one_line(tmp_path):
    assert run("check").exit_code == 2
    result = run("check", tmp_path / "missing.xlsx")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("Error:") and "Traceback" not in result.output
    assert run("--today", "31/4", "check", "x.xlsx").exit_code == 2


def test_init_makes_workbooks_with_dropdowns_bold_frozen_headers(tmp_path):
    for kind in ("group", "student", "register"):
        path = tmp_path / f"{kind}.xlsx"
        assert run("init", kind, path).exit_code == 0
        wb = openpyxl.load_workbook(path)
        first = wb.worksheets[0]
        assert first.freeze_panes == "A2"
        assert all(c.font.bold for c in first[1] if c.value)
    leads = openpyxl.load_workbook(tmp_path / "student.xlsx")["Leads"]
    lists = {dv.formula1 for dv in leads.data_validations.dataValidation}
    assert '"Ny,Kontaktad,Dialog,Ja,Möte bokat,Intervju,Arbetsprov,Erbjudande,Nej,Ingen respons"' in lists
    assert '"Varm,Kall"' in lists
    assert "Skörd" in openpyxl.load_workbook(tmp_path / "group.xlsx").sheetnames
    assert run("init", "student", tmp_path / "student.xlsx").exit_code == 1  # never overwrites


def test_check_reports_findings_on_a_deliberately_bad_crm(make_crm, today):
    path = make_crm(Leads=[
        {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Org.nr": "556074-3088", "Telefon": "0701234567"},
        {"ID": "L-BBBBBB", "Företag": "", "Telefon": "070"},
        {"ID": "L-CCCCCC", "Företag": "Spotify", "E-post": "anna(at)spotify.com", "Status": "Kanske"},
        {"ID": "L-DDDDDD", "Företag": "VOLVO PERSONVAGNAR", "LinkedIn": "https://linkedin.com/in/x", "Prio": "1"},
        {"ID": "L-EEEEEE", "Företag": "Klarna", "Kontaktperson": "Nils"},
    ], Kontaktlogg=[{"Datum": "2027-05-02", "Företag": "Spotify", "Kanal": "Brevduva", "Utfall": "Svar"}])
    result = run("--today", today, "check", path, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    found = {(f["tab"], f["row"], f["column"]) for f in report["findings"] if f["level"] == "warning"}
    assert ("Leads", 2, "Org.nr") in found            # Luhn fails
    assert ("Leads", 3, "Företag") in found           # no company
    assert ("Leads", 4, "E-post") in found            # malformed e-mail
    assert ("Leads", 4, "Status") in found            # unknown vocabulary
    assert ("Leads", 6, None) in found                # no contact way
    assert ("Kontaktlogg", 2, "Kanal") in found
    assert ("Leads", 5, None) not in found            # LinkedIn is a contact way
    assert report["volume"]["companies"] == 3         # Volvo spelled twice is one company
    assert report["volume"]["goal"] == 50
    leads = next(s for s in report["structure"] if s["tab"] == "Leads")
    assert leads["unknown_columns"] == ["Prio"]
    assert "0701234567" not in result.output          # never prints contact details


def test_check_exits_1_when_the_crm_cannot_be_used(make_crm):
    path = make_crm()
    wb = openpyxl.load_workbook(path)
    del wb["Leads"]
    wb.save(path)
    result = run("check", path)
    assert result.exit_code == 1
    assert "Leads" in result.output and "missing" in result.output


def test_demo_builds_a_workspace_that_check_reads(tmp_path, today):
    folder = tmp_path / "demo"
    result = run("--today", today, "demo", folder)
    assert result.exit_code == 0, result.output
    groups = sorted((folder / "grupper").glob("*.xlsx"))
    students = sorted((folder / "studerande").glob("*.xlsx"))
    assert len(groups) == 3 and len(students) >= 15
    for crm in (*groups, students[0], folder / "register.xlsx"):
        checked = run("--today", today, "check", crm, "--json")
        assert checked.exit_code == 0, checked.output
    group = json.loads(run("--today", today, "check", groups[0], "--json").stdout)
    assert group["kind"] == "group" and group["volume"]["leads"] >= 30
    aliased = [s for g in groups for s in json.loads(run("check", g, "--json").stdout)["structure"] if s["aliases_used"]]
    assert aliased, "the demo should show aliased headers"
    assert run("--today", today, "demo", folder).exit_code == 1  # never overwrites


def test_demo_is_deterministic_for_a_date(tmp_path, today):
    run("--today", today, "demo", tmp_path / "a")
    run("--today", today, "demo", tmp_path / "b")
    def cells(path):
        return [[c for c in row] for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows(values_only=True)]
    assert cells(tmp_path / "a" / "register.xlsx") == cells(tmp_path / "b" / "register.xlsx")
