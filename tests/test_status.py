"""status: figures and queues on a hand-made CRM; the command's output."""

import datetime as dt
import json

from click.testing import CliRunner
from test_contactlog import crm_tables, entry, lead
from test_mark_processed import demo_crm

from chas_sheets.cli import cli
from chas_sheets.sheet.tables import RawWorkbook, load_tables
from chas_sheets.status.report import render, status_report

D = dt.date
TODAY = D(2026, 5, 20)  # a Wednesday in Sprint 2

LEADS = [
    lead("L-1", "Volvo AB", "Anna"),        # 2 unanswered, last 12/5 -> queue, next LinkedIn
    lead("L-2", "AB Volvo (publ)", "Bo"),   # 1 unanswered by phone on 2/5 -> queue first, next Mejl
    lead("L-3", "Scania", status="Dialog"),  # hand-set Dialog, nothing logged -> quiet dialogue
    lead("L-4", "Saab", "Cia"),             # Svar 18/5 -> a dialogue, not quiet
    lead("L-5", "Saab", "Dan"),             # Svar 1/5 -> quiet for 19 days
    lead("L-6", "Klarna"),                  # 3 unanswered -> Ingen respons; the company's only lead
    lead("L-7", "Spotify", "Eva"),          # 3 unanswered -> Ingen respons, but Spotify has an open lead
    lead("L-8", "Spotify", "Finn"),         # Ny
    lead("L-9", "Epiroc", status="Ja"),     # hand-set Ja
    lead("L-10", "Kry", status="Kontaktad"),  # hand-set Kontaktad, nothing logged -> queue, try Telefon
]
LOG = [
    entry("5/5", "Volvo", "Telefon", "Inget svar", contact="Anna"),
    entry("12/5", "Volvo", "Mejl", "Inget svar", contact="Anna"),
    entry("2/5", "Volvo", "Telefon", "Inget svar", contact="Bo"),
    entry("18/5", "Saab", "Telefon", "Svar", contact="Cia"),
    entry("1/5", "Saab", "Mejl", "Svar", contact="Dan"),
    entry("11/5", "Klarna", "Telefon", "Inget svar"),
    entry("13/5", "Klarna", "Mejl", "Inget svar"),
    entry("19/5", "Klarna", "LinkedIn", "Inget svar"),
    entry("4/5", "Spotify", "Telefon", "Inget svar", contact="Eva"),
    entry("6/5", "Spotify", "Telefon", "Inget svar", contact="Eva"),
    entry("8/5", "Spotify", "Mejl", "Inget svar", contact="Eva"),
    entry("14/5", "Okänt AB", "Telefon", "Nej"),
]


def test_figures_against_the_goal_and_the_calendar():
    report = status_report(crm_tables(LEADS, LOG), TODAY)
    assert report.kind == "individual" and report.goal == 50
    assert report.companies == len({"volvo", "scania", "saab", "klarna", "spotify", "epiroc", "kry"})
    assert report.period.name == "Sprint 2"
    assert (report.deadline.date, report.deadline.days_left) == (D(2026, 6, 30), (D(2026, 6, 30) - TODAY).days)
    assert (report.leads, report.processed, report.open) == (10, 3, 7)  # Klarna, Spotify/Eva, Epiroc
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    days = [D(2026, 5, int(row["Datum"].split("/")[0])) for row in LOG]
    assert report.attempts_this_week == sum(monday <= day <= TODAY for day in days)  # 18/5, 19/5
    assert report.attempts_last_week == sum(monday - dt.timedelta(days=7) <= day < monday for day in days)
    assert report.unmatched_log_rows == 1


def test_follow_up_queue_oldest_first_with_the_next_channel():
    report = status_report(crm_tables(LEADS, LOG), TODAY)
    assert [(item.lead_id, item.next_channel) for item in report.follow_ups] == [
        ("L-10", "Telefon"), ("L-2", "Mejl"), ("L-1", "LinkedIn")]
    assert report.follow_ups[1].days_since == (TODAY - D(2026, 5, 2)).days
    assert report.follow_ups[2].attempts == "5/5 Telefon, 12/5 Mejl"


def test_quiet_dialogues_and_companies_for_a_new_contact_person():
    report = status_report(crm_tables(LEADS, LOG), TODAY)
    assert [item.lead_id for item in report.quiet_dialogs] == ["L-3", "L-5"]
    assert [(c.company, c.contacts_tried, c.last_contact) for c in report.new_contact_companies] == [
        ("Klarna", 1, D(2026, 5, 19))]


def test_group_crm_goal_is_30_leads_before_big_bang_day():
    report = status_report(crm_tables(LEADS, LOG, kind="group"), D(2025, 11, 15))  # cohort 2026, before 1 Dec
    assert (report.kind, report.goal, report.period.name) == ("group", 30, "Fas 1")
    assert (report.toward_goal, report.companies) == (len(LEADS), 7)  # leads count, not companies
    assert (report.deadline.name, report.deadline.date) == ("Big Bang Day: at least 30 leads", D(2025, 12, 1))
    assert f"Goal: {len(LEADS)} of 30 leads ({30 - len(LEADS)} to go)" in render(report)


def test_group_delmal_counts_leads_added_since_big_bang_day():
    added = ["2025-10-01", "2025-11-30", "2025-12-01", "1/12/2025", "2026-01-20", None, "snart"]
    grids = {"Leads": [["ID", "Företag", "Tillagd"], *([f"L-{n}", f"Firma {n}", day] for n, day in enumerate(added))],
             "Medlemmar": [["Namn"], ["Ada"]]}
    tables = load_tables(RawWorkbook(["Leads", "Medlemmar"], grids, "g.xlsx"), ["Leads"], ["Medlemmar"])
    report = status_report(tables, D(2026, 1, 25), big_bang_day=D(2025, 12, 1), delmal=5)
    assert (report.goal, report.goal_since, report.leads, report.toward_goal) == (5, D(2025, 12, 1), 7, 3)
    assert "Goal: 3 of 5 leads added since Big Bang Day 2025-12-01 (Delmål; 2 to go)" in render(report)


def test_render_names_leads_without_contact_details():
    tables = crm_tables([lead("L-1", "Volvo", "Anna", phone="070-123 45 67", mail="anna@volvo.se")],
                        [entry("12/5", "Volvo", "Telefon", "Inget svar")])
    text = "\n".join(render(status_report(tables, TODAY)))
    assert "Volvo (Anna)" in text and "-> try Mejl" in text
    assert "070" not in text and "anna@" not in text


def test_status_command_terminal_and_json(tmp_path):
    path = demo_crm(tmp_path)
    result = CliRunner().invoke(cli, ["--today", "2026-05-20", "status", str(path)])
    assert result.exit_code == 0, result.output
    assert "Sprint 2" in result.output and "Companies: 3 of 50" in result.output
    result = CliRunner().invoke(cli, ["--today", "2026-05-20", "status", str(path), "--json"])
    data = json.loads(result.stdout)
    assert data["companies"] == 3 and data["deadline"]["days_left"] == 41
    assert [c["company"] for c in data["new_contact_companies"]] == ["Volvo AB"]


def test_status_missing_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["status", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error:") and len(result.output.strip().splitlines()) == 1


def test_rows_without_an_id_are_named_by_row_not_by_an_id_that_is_not_in_the_sheet(make_crm, today):
    path = make_crm(Leads=[{"Företag": "Volvo", "Kontaktperson": "Anna"}],
                    Kontaktlogg=[{"Datum": "2027-05-10", "Företag": "Volvo", "Kanal": "Telefon", "Utfall": "Inget svar"}])
    result = CliRunner().invoke(cli, ["--today", today.isoformat(), "status", str(path)])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.strip().startswith("Volvo"))
    assert "[row 2]" in line and "L-" not in line
