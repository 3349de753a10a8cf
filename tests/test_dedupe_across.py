"""dedupe --across: over-processed companies across the CRMs of a small register in tmp_path."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.nightly.dedupe_across import report_across

# Five students hold Volvo Personvagnar, spelled four ways ("Volvo Cars" joined by its website); four of
# them called it within 14 days. AB Volvo (another company) is held by four students, none
# of whom called it. Spotify is held by three students only.
VOLVO = ["Volvo Personvagnar AB", "VOLVO PERSONVAGNAR AB", "Volvo Personvagnar", "Volvo Cars", "Volvo Personvagnar AB"]
CALLS = ["2027-04-29", "2027-05-03", "2027-05-08", "2027-05-12", None]  # 14 days: 29/4-12/5


@pytest.fixture
def register(make_crm, tmp_path):
    students = []
    for n, (name, day) in enumerate(zip(VOLVO, CALLS)):
        student = f"Student {n + 1}"
        leads = [{"ID": "L-V", "Företag": name, "Webbplats": "https://www.volvocars.com/se/" if n in (0, 3) else None},
                 {"ID": "L-A", "Företag": "AB Volvo", "Webbplats": "volvogroup.com"} if n < 4 else {"ID": "L-X", "Företag": "Hemnet"},
                 {"ID": "L-S", "Företag": "Spotify AB"} if n < 3 else {"ID": "L-Y", "Företag": "Klarna"}]
        log = [{"Datum": day, "Företag": name, "Lead-ID": "L-V", "Kanal": "Telefon", "Utfall": "Inget svar"}] if day else []
        make_crm("student", f"studerande/s{n + 1}.xlsx", Leads=leads, Kontaktlogg=log)
        students.append({"Namn": student, "Grupp": "Sthlm 1", "Individuellt CRM": f"studerande/s{n + 1}.xlsx"})
    students.append({"Namn": "Saknad", "Grupp": "Sthlm 1", "Individuellt CRM": "studerande/saknas.xlsx"})
    make_crm("group", "grupper/sthlm.xlsx", Leads=[{"ID": "L-G", "Företag": "Volvo Personvagnar"}])
    return make_crm("register", "register.xlsx", Grupper=[{"Grupp": "Sthlm 1", "Gruppens CRM": "grupper/sthlm.xlsx"}],
                    Studerande=students)


def test_companies_in_more_than_three_crms_or_called_by_more_than_three_students(register, today):
    report = report_across(LocalWorkbook(register), LocalWorkbook, today)
    assert report.crms_read == 6  # five students and the group; the missing CRM is an error
    assert [who for who, _ in report.errors] == ["Saknad"]
    by_name = {company.name: company for company in report.companies}
    assert set(by_name) == {"Volvo Personvagnar AB", "AB Volvo"}
    volvo = by_name["Volvo Personvagnar AB"]
    assert volvo.holders == ("Student 1", "Student 2", "Student 3", "Student 4", "Student 5")
    assert volvo.contacters == ("Student 1", "Student 2", "Student 3", "Student 4")
    assert len(volvo.reasons) == 2
    ab_volvo = by_name["AB Volvo"]
    assert ab_volvo.holders == ("Student 1", "Student 2", "Student 3", "Student 4") and not ab_volvo.contacters


def test_the_command_reports_and_writes_nothing(register, tmp_path):
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.xlsx")}
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", "--across", str(register)])
    assert result.exit_code == 0, result.output
    assert "Volvo Personvagnar AB" in result.output and "Spotify" not in result.output
    assert "error: Saknad" in result.output
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", "--across", str(register), "--json"])
    data = json.loads(result.stdout)
    assert {c["company"] for c in data["overprocessed"]} == {"Volvo Personvagnar AB", "AB Volvo"}
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.xlsx")} == before


def test_across_refuses_apply(register):
    result = CliRunner().invoke(cli, ["dedupe", "--across", str(register), "--apply"])
    assert result.exit_code == 2


@pytest.fixture
def harvested(make_crm):
    """Viktor called Bitsoft on 26/3 (the group's log); the harvest copied that row, `Av` and
    all, into three members' CRMs."""
    copied = [{"Datum": "2027-03-26", "Företag": "Bitsoft AB", "Lead-ID": "L-B", "Kanal": "Telefon",
               "Utfall": "Svar", "Av": "Viktor Åkesson"}]
    students = []
    for name in ("Viktor Åkesson", "Nora Larsson", "Hugo Olsson", "Erik Karlsson"):
        own = name.split()[0].lower()
        log = [{**copied[0], "Av": "Viktor"}] if own == "viktor" else copied  # his own row, first name only
        make_crm("student", f"studerande/{own}.xlsx", Leads=[{"ID": "L-B", "Företag": "Bitsoft AB"}], Kontaktlogg=log)
        students.append({"Namn": name, "Grupp": "Sthlm 1", "Individuellt CRM": f"studerande/{own}.xlsx"})
    make_crm("group", "grupper/sthlm.xlsx", Leads=[{"ID": "L-G", "Företag": "Bitsoft AB"}], Kontaktlogg=copied)
    return make_crm("register", "register.xlsx", Studerande=students,
                    Grupper=[{"Grupp": "Sthlm 1", "Gruppens CRM": "grupper/sthlm.xlsx"}])


def test_history_the_harvest_copied_counts_once_for_whoever_made_the_contact(harvested):
    report = report_across(LocalWorkbook(harvested), LocalWorkbook, dt.date(2027, 4, 3))
    bitsoft = next(c for c in report.companies if c.name == "Bitsoft AB")  # held in 4 individual CRMs
    assert bitsoft.contacters == ("Viktor Åkesson",)  # one student called it, not four
    assert len(bitsoft.reasons) == 1  # held in too many CRMs; not contacted by too many


def test_copied_history_is_not_the_members_own_attempts(harvested):
    result = CliRunner().invoke(cli, ["--today", "2027-04-03", "nightly", str(harvested), "--json"])
    attempts = {s["name"]: s["attempts_28"] for s in json.loads(result.stdout)["students"]}
    assert attempts == {"Viktor Åkesson": 1, "Nora Larsson": 0, "Hugo Olsson": 0, "Erik Karlsson": 0}


def test_after_a_nightly_only_changed_crms_are_read_and_the_answer_is_the_same(register, tmp_path, monkeypatch):
    from chas_sheets.nightly.state import LocalFiles
    from workbooks import write_rows

    today = dt.date(2027, 5, 12)
    full = report_across(LocalWorkbook(register), LocalWorkbook, today)
    for _ in range(2):  # the second night records the versions the first night's writes left
        run = CliRunner().invoke(cli, ["--today", today.isoformat(), "nightly", str(register), "--apply"])
        assert run.exit_code in (0, 1), run.output
    # A person edits one CRM after the night: only that one is read again.
    write_rows(tmp_path / "studerande" / "s5.xlsx", "Leads", [{"ID": "L-Z", "Företag": "Ericsson"}])
    opened = []

    def opener(target):
        opened.append(target)
        return LocalWorkbook(target)

    quick = report_across(LocalWorkbook(register), opener, today, LocalFiles())
    assert quick.crms_kept >= 5 and quick.crms_read <= 2  # s5 (and the missing one, tried again)
    assert any(t.endswith("s5.xlsx") for t in opened) and not any(t.endswith("s1.xlsx") for t in opened)
    assert [(c.name, c.holders, c.contacters) for c in quick.companies] == [
        (c.name, c.holders, c.contacters) for c in full.companies]
    assert quick.leads == full.leads + 1
    result = CliRunner().invoke(cli, ["--today", today.isoformat(), "dedupe", "--across", str(register)])
    assert "unchanged since the nightly run" in result.output
    result = CliRunner().invoke(cli, ["--today", today.isoformat(), "dedupe", "--across", str(register), "--full"])
    assert "unchanged since the nightly run" not in result.output
