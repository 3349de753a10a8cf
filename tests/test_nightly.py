"""`nightly` on hand-made registers: figures computed here from the rows the test wrote,
a missing and a corrupt CRM, idempotence, skipping unchanged CRMs, and the demo end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from chas_sheets.cli import cli
from chas_sheets.demo.workspace import build_demo
from chas_sheets.nightly.report import OWNED_TABS
from chas_sheets.nightly.run import RequestPacer
from chas_sheets.nightly.sharing import SHARING_HEADERS

TODAY = dt.date(2027, 5, 12)
day = lambda m, d: dt.date(2027, m, d)  # noqa: E731

ANNA_LEADS = [
    {"Företag": "Spotify AB", "Kontaktperson": "Eva Lund", "Typ": "Produktbolag", "Storlek": 3000,
     "Tillagd": day(4, 2), "Tillagd av": "Anna Berg"},
    {"Företag": "Spotify", "Kontaktperson": "Per Holm", "Typ": "Produktbolag", "Tillagd": day(4, 3)},
    {"Företag": "Klarna Bank AB", "Kontaktperson": "Sven Ek", "Typ": "Startup", "Tillagd": day(4, 4)},
    {"Företag": "Region Skåne", "Typ": "Offentlig sektor", "Tillagd": day(4, 1)},
]
ANNA_LOG = [
    {"Datum": day(5, 10), "Företag": "Spotify AB", "Kontaktperson": "Eva Lund", "Kanal": "Telefon", "Utfall": "Inget svar"},
    {"Datum": day(5, 11), "Företag": "Spotify AB", "Kontaktperson": "Eva", "Kanal": "Mejl", "Utfall": "Svar"},
    {"Datum": day(4, 20), "Företag": "KLARNA BANK AB", "Kanal": "Telefon", "Utfall": "Nej"},
    {"Datum": day(4, 1), "Företag": "Region Skåne", "Kanal": "Telefon", "Utfall": "Inget svar"},
    {"Datum": day(4, 3), "Företag": "Region Skåne", "Kanal": "Mejl", "Utfall": "inget svar"},
    {"Datum": "5/4", "Företag": "Region Skåne", "Kanal": "LinkedIn", "Utfall": "Inget svar"},
]
BO_LEADS = [{"Företag": "Tibber AB", "Kontaktperson": "Lisa Ek", "Tillagd": day(4, 28)},
            {"Företag": "Tibber", "Kontaktperson": "lisa ek", "Tillagd": day(4, 29)}]
GROUP_MEMBERS = ["Anna Berg", "Bo Ström", "Cia Holm", "Dan Ek"]
GROUP_LEADS = [
    {"Företag": "Spotify AB", "Kontaktperson": "Eva Lund", "Tillagd av": "Anna Berg", "Tillagd": dt.date(2026, 10, 1)},
    {"Företag": "Saab AB", "Tillagd av": "Anna", "Tillagd": dt.date(2026, 11, 2)},
    {"Företag": "Scania CV AB", "Tillagd av": "Bo Ström", "Tillagd": day(5, 1)},
    {"Företag": "Einride AB", "Tillagd av": "Okänd Person", "Tillagd": day(5, 2)},
]
# Four members contact Spotify within 14 days: over-processing, counted by `Av`.
GROUP_LOG = [{"Datum": day(4, 20 + i), "Företag": "Spotify AB", "Kanal": "Telefon", "Utfall": "Inget svar", "Av": who}
             for i, who in enumerate(["Anna Berg", "Bo Ström", "Cia Holm", "Dan Ek"])]


@pytest.fixture
def workspace(tmp_path, make_crm):
    make_crm("group", "grupper/g1.xlsx", Leads=GROUP_LEADS, Kontaktlogg=GROUP_LOG,
             Medlemmar=[{"Namn": n, "Individuellt CRM": ""} for n in GROUP_MEMBERS],
             Event=[{"Namn": "Meetup", "Datum": dt.date(2026, 10, 12)}])
    make_crm("student", "studerande/anna.xlsx", Leads=ANNA_LEADS, Kontaktlogg=ANNA_LOG)
    make_crm("student", "studerande/bo.xlsx", Leads=BO_LEADS)
    (tmp_path / "studerande" / "trasig.xlsx").write_bytes(b"PK\x03\x04 this is no workbook")
    students = [
        {"Namn": "Anna Berg", "Grupp": "G1", "Individuellt CRM": "studerande/anna.xlsx", "CV design": "Ja"},
        {"Namn": "Bo Ström", "Grupp": "G1", "Individuellt CRM": "studerande/bo.xlsx"},
        {"Namn": "Cia Holm", "Grupp": "G1", "Individuellt CRM": "studerande/finns-inte.xlsx"},
        {"Namn": "Dan Ek", "Grupp": "G1", "Individuellt CRM": "studerande/trasig.xlsx"},
        {"Namn": "Eva Ny", "Grupp": "G1", "Individuellt CRM": "", "LIA registrerad": day(5, 2), "LIA-företag": "Saab AB"},
    ]
    make_crm("register", "register.xlsx", Studerande=students, Grupper=[
        {"Grupp": "G1", "Gruppens CRM": "grupper/g1.xlsx", "Big Bang Day": dt.date(2026, 12, 8), "Delmål": 45}])
    return tmp_path


def run(workspace: Path, *args: str, today: dt.date = TODAY):
    return CliRunner().invoke(cli, ["--today", today.isoformat(), "nightly", str(workspace / "register.xlsx"), *args])


def tab(path: Path, title: str) -> list[list]:
    wb = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in wb[title].iter_rows()] if title in wb.sheetnames else []


def records(path: Path, title: str) -> list[dict]:
    rows = tab(path, title)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def recent(dates, days: int) -> int:
    return sum(0 <= (TODAY - d).days < days for d in dates)


def log_dates(log) -> list[dt.date]:
    return [d if isinstance(d, dt.date) else dt.date(2027, int(d.split("/")[1]), int(d.split("/")[0])) for d in
            (row["Datum"] for row in log)]


def test_student_figures_match_the_rows_written(workspace):
    result = run(workspace, "--json")
    data = json.loads(result.stdout)
    anna = by_name(data["students"])["Anna Berg"]
    dates = log_dates(ANNA_LOG)
    assert anna["companies"] == 3  # Spotify AB / Spotify are one company
    assert anna["leads"] == len(ANNA_LEADS)
    assert anna["attempts_7"] == recent(dates, 7) == 2
    assert anna["attempts_28"] == recent(dates, 28) == 3
    assert anna["dialogues"] == 1  # Spotify (Eva): Svar
    assert anna["processed"] == 2  # Klarna: Nej; Region Skåne: 3 unanswered
    # Spotify (3000 employees); Region Skåne has no Storlek (unknown, not large); Klarna is a startup
    assert anna["long_recruitment"] == 1
    assert anna["last_activity"] == max(dates).isoformat()
    assert anna["days_to_deadline"] == (day(6, 30) - TODAY).days
    assert (anna["status"], anna["reason"]) == ("behind", "3 av 50 företag (mål 2027-04-30)")
    bo = by_name(data["students"])["Bo Ström"]
    assert bo["duplicates"] == 1 and bo["companies"] == 1 and bo["attempts_7"] == 0
    eva = by_name(data["students"])["Eva Ny"]
    assert (eva["status"], eva["reason"]) == ("ok", "LIA registrerad 2027-05-02")


def test_a_missing_and_a_corrupt_crm_are_error_rows_and_the_rest_goes_on(workspace):
    result = run(workspace, "--apply")
    assert result.exit_code == 1
    dashboard = {row["Namn"]: row for row in records(workspace / "register.xlsx", "Dashboard")}
    # the Dashboard is Swedish whatever the command line's language (tests run in English)
    assert dashboard["Cia Holm"]["Status"] == "Fel" and "filen finns inte" in dashboard["Cia Holm"]["Orsak"]
    assert dashboard["Dan Ek"]["Status"] == "Fel" and "ingen läsbar arbetsbok" in dashboard["Dan Ek"]["Orsak"]
    assert dashboard["Cia Holm"]["Företag"] is None
    assert dashboard["Anna Berg"]["Status"] == "Efter" and dashboard["Anna Berg"]["Företag"] == 3
    assert dashboard["Anna Berg"]["Datum"].date() == TODAY
    assert "2 error" in result.stderr


def test_apply_writes_the_processed_rule_to_each_crm(workspace):
    run(workspace, "--apply")
    leads = {row["Företag"]: row for row in records(workspace / "studerande/anna.xlsx", "Leads")}
    assert leads["Klarna Bank AB"]["Status"] == "Nej"
    assert leads["Klarna Bank AB"]["Bearbetad"].date() == day(4, 20)
    assert leads["Region Skåne"]["Status"] == "Ingen respons"
    assert all(row["ID"] for row in leads.values())
    log = records(workspace / "studerande/anna.xlsx", "Kontaktlogg")
    assert all(row["Lead-ID"] for row in log)  # every row matched one lead (Spotify rows by person)


def test_a_dry_run_writes_nothing(workspace):
    before = {p: p.read_bytes() for p in workspace.rglob("*.xlsx")}
    result = run(workspace)
    assert result.exit_code == 1 and "dry run" in result.stderr
    assert {p: p.read_bytes() for p in workspace.rglob("*.xlsx")} == before


def test_running_twice_gives_the_same_tabs_and_a_quiet_night_reads_nothing(workspace):
    register = workspace / "register.xlsx"
    run(workspace, "--apply")
    first = {t: tab(register, t) for t in OWNED_TABS}
    second_run = json.loads(run(workspace, "--apply", "--json").stdout)
    assert {t: tab(register, t) for t in OWNED_TABS} == first
    # the first night wrote the CRMs, so they are read once more; then nothing is read
    third = json.loads(run(workspace, "--apply", "--json").stdout)
    readable = [t for t, o in third["crms"].items() if not o["error"]]
    assert readable and all(third["crms"][t]["unchanged"] for t in readable)
    assert all(not o["read"] for o in third["crms"].values())
    assert {t: tab(register, t) for t in OWNED_TABS} == first
    assert third["students"] == second_run["students"]  # figures from the kept summaries
    assert third["register"]["tabs_changed"] == []


def test_a_changed_crm_is_read_again(workspace, make_crm):
    run(workspace, "--apply")
    run(workspace, "--apply")
    path = workspace / "studerande/bo.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Leads"].append([None, "Northvolt AB"])
    wb.save(path)
    data = json.loads(run(workspace, "--apply", "--json").stdout)
    read = [t for t, o in data["crms"].items() if o["read"]]
    assert read == [str(path)]
    assert by_name(data["students"])["Bo Ström"]["companies"] == 2


def test_the_group_row_members_and_over_processing(workspace):
    run(workspace, "--apply")
    register = workspace / "register.xlsx"
    group = {row["Namn"]: row for row in records(register, "Dashboard")}["G1"]
    assert group["Leads"] == len(GROUP_LEADS) and group["Mål"] == 45
    assert group["Status"] == "OK" and group["Orsak"].startswith("gruppfasen avslutad")
    assert group["Nya leads 7 d"] == recent([r["Tillagd"] for r in GROUP_LEADS], 7)
    # The programme lead follows up the groups' dialogues (seed 001): contacts as for a student.
    assert group["Försök 7 d"] == recent(log_dates(GROUP_LOG), 7) == 0
    assert group["Försök 28 d"] == recent(log_dates(GROUP_LOG), 28) == 4
    assert group["Dialoger"] == 0  # four unanswered calls
    members = {row["Namn"]: row for row in records(register, "Medlemsbidrag")}
    assert members["Anna Berg"]["Leads tillagda"] == 2  # 'Anna' is Anna Berg
    assert members["Anna Berg"]["CV design"] == "Ja"
    assert members["Bo Ström"]["Leads tillagda 28 d"] == 1
    assert members["Okänd Person"]["Medlem"] == "Nej"
    assert {n: members[n]["Försök"] for n in GROUP_MEMBERS} == {n: 1 for n in GROUP_MEMBERS}
    assert members["Eva Ny"]["Medlem"] == "Ja"  # in the register's group, not in Medlemmar
    [spotify] = records(register, "Överbearbetning")
    assert spotify["Företag"] == "Spotify AB" and spotify["Antal kontaktare"] == 4
    assert spotify["Från"].date() == day(4, 20) and spotify["Till"].date() == day(4, 23)


def test_the_dashboard_has_a_chart_of_companies_against_the_goal(workspace):
    run(workspace, "--apply")
    wb = openpyxl.load_workbook(workspace / "register.xlsx")
    # openpyxl does not read charts back: the drawing part is the evidence
    from chas_sheets.backends.local import drawings_by_sheet

    assert "Dashboard" in drawings_by_sheet(workspace / "register.xlsx")
    assert wb["Dashboard"]["J1"].value == "Mot mål"


def test_the_pacer_keeps_any_minute_within_the_quota():
    now = [0.0]
    pacer = RequestPacer(per_minute=10, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    sent = []
    for _ in range(12):
        pacer.before(3)
        now[0] += 1
        pacer.record(3)
        sent.append((now[0], 3))
    for start, _ in sent:
        assert sum(n for t, n in sent if start <= t < start + 60) <= 10
    assert pacer.waited > 0


def test_the_demo_workspace_end_to_end(tmp_path):
    paths = build_demo(tmp_path / "demo", TODAY)
    register = paths["register"]
    args = ["--today", TODAY.isoformat(), "nightly", str(register), "--apply", "--json"]
    first = CliRunner().invoke(cli, args)
    data = json.loads(first.stdout)
    reg = openpyxl.load_workbook(register)
    students = [r[0].value for r in reg["Studerande"].iter_rows(min_row=2) if r[0].value]
    missing = {r[0].value for r in reg["Studerande"].iter_rows(min_row=2) if r[0].value and not r[4].value}
    assert missing  # the demo has students who have not set up their CRM yet
    assert first.exit_code == 0, first.output
    assert not [s for s in data["students"] if s["status"] == "error"]
    no_crm = {s["name"] for s in data["students"] if s["status"] == "behind" and "inget individuellt CRM" in s["reason"]}
    lia = {s["name"] for s in data["students"] if "LIA registrerad" in (s["reason"] or "")}
    assert no_crm | (missing & lia) == missing
    dashboard = records(register, "Dashboard")
    assert [r["Namn"] for r in dashboard if r["Typ"] == "Studerande"] == students
    assert len([r for r in dashboard if r["Typ"] == "Grupp"]) == reg["Grupper"].max_row - 1
    tabs = {t: tab(register, t) for t in (*OWNED_TABS, "Delning")}
    assert all(tabs[t] for t in OWNED_TABS)
    assert data["sharing"]["flagged"] == 0 and data["sharing"]["errors"] == 0  # the demo writes 0600
    assert tabs["Delning"] == [list(SHARING_HEADERS)]
    second = json.loads(CliRunner().invoke(cli, args).stdout)
    assert {t: tab(register, t) for t in (*OWNED_TABS, "Delning")} == tabs
    assert second["sharing"]["flagged"] == 0  # the night's writes kept the files private


# Dashboard header -> the figure `--json` gives for a group / a student (None: blank for that kind).
GROUP_COLUMNS = {"Namn": "name", "Grupp": "name", "Orsak": "reason", "Period": "period", "Företag": "companies",
                 "Leads": "leads", "Mot mål": "toward_goal", "Mål": "goal", "Nya leads 7 d": "new_leads_7",
                 "Bearbetade 7 d": "processed_7", "Balans 7 d": "balance_7", "Event": "events",
                 "Långa rekryteringar": None, "Försök 7 d": "attempts_7", "Försök 28 d": "attempts_28",
                 "Dialoger": "dialogues", "Bearbetade": None, "LIA registrerad": None, "Dagar till deadline": None,
                 "Kvalitetsvarningar": "quality_warnings", "Dubbletter": "duplicates",
                 "Senaste aktivitet": "last_activity", "CRM": "crm"}
STUDENT_COLUMNS = {"Namn": "name", "Grupp": "group", "Orsak": "reason", "Period": "period", "Företag": "companies",
                   "Leads": "leads", "Mål": "goal", "Nya leads 7 d": None, "Bearbetade 7 d": None, "Balans 7 d": None,
                   "Event": None, "Långa rekryteringar": "long_recruitment", "Försök 7 d": "attempts_7",
                   "Försök 28 d": "attempts_28", "Dialoger": "dialogues", "Bearbetade": "processed",
                   "LIA registrerad": "lia_registered", "Dagar till deadline": "days_to_deadline",
                   "Kvalitetsvarningar": "quality_warnings", "Dubbletter": "duplicates",
                   "Senaste aktivitet": "last_activity", "CRM": "crm"}


def as_json(value):
    """A value as `--json` gives it, a blank (None or '') as None: a cell read back, or a figure."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return None if value == "" else value


def test_every_dashboard_column_holds_the_figure_it_names(workspace):
    data = json.loads(run(workspace, "--apply", "--json").stdout)
    written = {(row["Typ"], row["Namn"]): row for row in records(workspace / "register.xlsx", "Dashboard")}
    assert len(written) == len(data["groups"]) + len(data["students"]) == 6
    for kind, figures, columns in (("Grupp", data["groups"], GROUP_COLUMNS),
                                   ("Studerande", data["students"], STUDENT_COLUMNS)):
        for f in figures:
            row = written[kind, f["name"]]
            assert {h: as_json(row[h]) for h in columns} == {h: as_json(f[key]) if key else None
                                                           for h, key in columns.items()}
            assert row["Status"] == {"ok": "OK", "behind": "Efter", "error": "Fel"}[f["status"]]
            assert row["Datum"].date() == TODAY
