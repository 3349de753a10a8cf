"""dedupe: the planner on inline tables, the command on workbooks in tmp_path."""

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.company.matching import parse_orgnr
from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.errors import InvalidInput
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.tables import RawWorkbook, load_tables
from chas_sheets.sheet.values import as_text, row_from_json

TODAY = dt.date(2027, 5, 12)
HEADERS = ["ID", "Företag", "Org.nr", "Webbplats", "Kontaktperson", "Telefon", "E-post", "Temperatur",
           "Status", "Tillagd", "Kommentar", "Prio (egen)"]
LOG_HEADERS = ["ID", "Datum", "Företag", "Kontaktperson", "Lead-ID", "Kanal", "Utfall"]


def lead(lead_id, company, added=None, **cells):
    keys = {"orgnr": "Org.nr", "web": "Webbplats", "contact": "Kontaktperson", "phone": "Telefon",
            "mail": "E-post", "temp": "Temperatur", "comment": "Kommentar", "prio": "Prio (egen)"}
    return {"ID": lead_id, "Företag": company, "Tillagd": added, **{keys.get(k, k): v for k, v in cells.items()}}


def entry(day, company, lead_id=None, contact=None, row_id=None):
    return {"ID": row_id, "Datum": day, "Företag": company, "Kontaktperson": contact, "Lead-ID": lead_id,
            "Kanal": "Telefon", "Utfall": "Inget svar"}


def tables_of(leads, log=()):
    def grid(headers, rows):
        return [list(headers), *[[row.get(h) for h in headers] for row in rows]]

    grids = {"Leads": grid(HEADERS, leads), "Kontaktlogg": grid(LOG_HEADERS, log)}
    return load_tables(RawWorkbook(["Leads", "Kontaktlogg"], grids, "crm.xlsx"), ["Leads"], ["Kontaktlogg"])


def plan(leads, log=(), merge=()):
    return plan_dedupe(tables_of(leads, log), merge, TODAY)


def removed_ids(changes):
    return {r.row_id for r in changes.removals}


def cell(changes, row_id, column):
    found = [c.new for c in changes.cells if c.row_id == row_id and c.column == column]
    return found[-1] if found else None


# ------------------------------------------------------------------ the examples

VOLVO = [lead("L-1", "Volvo Personvagnar AB", "2027-01-10", contact="Anna Berg"),
         lead("L-2", "VOLVO PERSONVAGNAR AB", "2026-12-01", mail="anna.berg@volvocars.com"),
         lead("L-3", "Volvo Personvagnar", "2027-02-01", web="https://www.volvocars.com/se/", contact="anna berg")]


def test_volvo_spelled_three_ways_is_one_lead_kept_in_the_oldest_row_with_blanks_filled():
    changes, report = plan(VOLVO)
    (merge,) = report.merges
    assert merge.survivor == "L-2"  # added first, though third in the sheet
    assert removed_ids(changes) == {"L-1", "L-3"}
    assert cell(changes, "L-2", "Kontaktperson") == "Anna Berg"
    assert cell(changes, "L-2", "Webbplats") == "https://www.volvocars.com/se/"
    assert cell(changes, "L-2", "Företag") == "Volvo Personvagnar AB"  # the most complete spelling
    assert {"Kontaktperson", "Webbplats"} <= set(merge.filled)


@pytest.mark.parametrize("a, b", [("AB Volvo", "Volvo Personvagnar AB"), ("Sigma Technology", "Sigma IT"),
                                  ("Region Stockholm", "Region Skåne")])
def test_different_companies_stay_apart(a, b):
    changes, report = plan([lead("L-1", a, contact="Anna"), lead("L-2", b, contact="Anna")])
    assert not report.merges and not removed_ids(changes) and not report.renames
    assert report.companies == 2


def test_one_name_in_two_towns_is_reviewed_and_in_one_town_merged():
    def plan_with_towns(*towns):
        headers = [*HEADERS, "Ort"]
        grid = [headers, *[[{"ID": f"L-{n}", "Företag": "Anderssons Bygg HB", "Kontaktperson": "Anna",
                             "Ort": town}.get(h) for h in headers] for n, town in enumerate(towns, start=1)]]
        tables = load_tables(RawWorkbook(["Leads"], {"Leads": grid}, "crm.xlsx"), ["Leads"], [])
        return plan_dedupe(tables, (), TODAY)

    changes, report = plan_with_towns("Umeå", "Malmö")
    assert not removed_ids(changes) and len(report.review) == 1
    changes, report = plan_with_towns("Umeå", "UMEÅ")
    assert removed_ids(changes) == {"L-2"}


def test_different_valid_organisation_numbers_are_never_merged_even_by_the_same_name():
    changes, report = plan([lead("L-1", "Nordbygg AB", orgnr="556074-3089"),
                            lead("L-2", "Nordbygg AB", orgnr="556012-5790")])
    assert not removed_ids(changes)


def test_different_contact_persons_are_kept_but_the_company_is_spelled_one_way():
    changes, report = plan([lead("L-1", "Volvo Personvagnar AB", "2027-01-01", contact="Anna Berg", phone="070-111 22 33"),
                            lead("L-2", "volvo personvagnar", "2027-01-02", contact="Erik Ek", phone="070-999 88 77")])
    assert not removed_ids(changes)
    assert [(r.lead_id, r.new) for r in report.renames] == [("L-2", "Volvo Personvagnar AB")]
    assert report.companies == 1


def test_a_row_that_fits_two_different_contacts_is_kept_rather_than_guessed():
    changes, _ = plan([lead("L-1", "Klarna", "2027-01-01", contact="Anna Berg"),
                       lead("L-2", "Klarna", "2027-01-02", contact="Erik Ek"),
                       lead("L-3", "Klarna", "2027-01-03")])
    assert not removed_ids(changes)


def test_same_phone_typed_differently_is_the_same_person():
    changes, _ = plan([lead("L-1", "Saab AB", "2027-01-01", contact="A. Lind", phone="+46 70 413 55 91"),
                       lead("L-2", "Saab", "2027-01-02", contact="Bo Lind", phone="070-413 55 91")])
    assert removed_ids(changes) == {"L-2"}


def test_comments_joined_conflicts_noted_warm_wins_unknown_columns_kept():
    changes, report = plan([lead("L-1", "Saab AB", "2027-01-01", comment="Ring i maj", temp="Kall", Status="Ny"),
                            lead("L-2", "Saab AB", "2027-01-02", comment="ring i maj", temp="Varm",
                                 phone="08-123 45 67", prio="hög"),
                            lead("L-3", "Saab AB", "2027-01-03", comment="Vill ha CV", Status="Dialog")])
    assert removed_ids(changes) == {"L-2", "L-3"}
    comment = cell(changes, "L-1", "Kommentar")
    assert comment.splitlines() == ["Ring i maj", "Vill ha CV", "Dubblett L-3: Status Dialog"]
    assert cell(changes, "L-1", "Temperatur") == "Varm"
    assert cell(changes, "L-1", "Prio (egen)") == "hög"
    assert cell(changes, "L-1", "Telefon") == "08-123 45 67"
    assert cell(changes, "L-1", "Status") is None  # the survivor's own value stands


def test_log_rows_of_a_removed_lead_point_at_the_survivor():
    log = [entry("2027-02-01", "VOLVO PERSONVAGNAR AB", lead_id="L-1", row_id="K-1"),
           entry("2027-02-02", "Volvo Personvagnar", row_id="K-2"),
           entry("2027-02-03", "Volvo Personvagnar AB", lead_id="L-2", row_id="K-3")]
    changes, report = plan(VOLVO, log)
    log_cells = {c.row_id: c.new for c in changes.cells if c.tab == "Kontaktlogg"}
    assert log_cells == {"K-1": "L-2", "K-2": "L-2"}  # K-3 already points at the survivor
    assert len(report.repointed) == 2


# ------------------------------------------------------------------ review and --merge

def test_a_fuzzy_match_is_only_reviewed_and_merged_once_confirmed():
    leads = [lead("L-1", "Nordiska Bygglösningar", "2027-01-01", contact="Anna"),
             lead("L-2", "Nordiska Byggloesningar", "2027-01-02", contact="Anna")]
    changes, report = plan(leads)
    assert not removed_ids(changes)
    (candidate,) = report.review
    assert {candidate.a[0], candidate.b[0]} == {"L-1", "L-2"}
    changes, report = plan(leads, merge=[("L-2", "L-1")])
    assert removed_ids(changes) == {"L-2"} and not report.review


def test_merge_of_two_organisation_numbers_is_refused():
    leads = [lead("L-1", "Nordbygg AB", orgnr="556074-3089"), lead("L-2", "Nordbygg", orgnr="556012-5790")]
    with pytest.raises(InvalidInput, match="organisation"):
        plan(leads, merge=[("L-1", "L-2")])


def test_merge_naming_a_missing_lead_is_a_warning():
    _, report = plan(VOLVO, merge=[("L-1", "L-9")])
    assert any("L-9" in w for w in report.warnings)


# ------------------------------------------------------------------ idempotence, nothing lost

def _apply_twice(path, args=()):
    backend = LocalWorkbook(path)
    changes, report = plan_dedupe(read_tables(backend, ["Leads"], ["Kontaktlogg"]), args, TODAY)
    execute(backend, changes, "dedupe", True)
    again, _ = plan_dedupe(read_tables(LocalWorkbook(path), ["Leads"], ["Kontaktlogg"]), args, TODAY)
    return changes, report, again


def _values(path, tab):
    ws = openpyxl.load_workbook(path)[tab]
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_apply_merges_logs_removed_rows_whole_and_a_second_run_changes_nothing(make_crm):
    log = [entry("2027-02-01", "VOLVO PERSONVAGNAR AB", lead_id="L-1")]
    path = make_crm(Leads=[{k: v for k, v in r.items() if v is not None} for r in VOLVO], Kontaktlogg=log)
    before_header, before = _values(path, "Leads")
    changes, report, again = _apply_twice(path)
    assert removed_ids(changes) == {"L-1", "L-3"} and not again
    header, rows = _values(path, "Leads")
    assert [r[header.index("ID")] for r in rows if any(r)] == ["L-2"]
    log_header, log_rows = _values(path, "Ändringslogg")
    removed = [row_from_json(r[log_header.index("Före")]) for r in log_rows if r[log_header.index("Kolumn")] == "(rad borttagen)"]
    old_cells = [r[log_header.index("Före")] for r in log_rows if r[log_header.index("Kolumn")] != "(rad borttagen)"]
    # nothing lost: every value before is in the sheet after, or in Ändringslogg
    kept = {as_text(v) for r in rows for v in r} | {as_text(v) for row in removed for v in row.values()} | {
        as_text(v) for v in old_cells}
    assert {as_text(v) for r in before for v in r} - {""} <= kept
    _, log_after = _values(path, "Kontaktlogg")
    assert "L-2" in [c for r in log_after for c in r]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Nordbygg AB", "NORDBYGG", "Nordbygg Sverige AB", "Kvarn IT"]),
                          st.sampled_from(["556074-3089", "556012-5790", "5560160680", "", "556074-3088"]),
                          st.sampled_from(["", "Anna", "Erik"]),
                          st.sampled_from(["", "https://nordbygg.se", "kvarn.se"])), min_size=1, max_size=7))
def test_never_merges_rows_with_different_valid_organisation_numbers_and_settles_in_one_run(rows):
    leads = [lead(f"L-{n}", name, f"2027-01-{n + 1:02d}", orgnr=orgnr, contact=contact, web=web)
             for n, (name, orgnr, contact, web) in enumerate(rows)]
    changes, report = plan(leads)
    orgnr_of = {row["ID"]: parse_orgnr(row["Org.nr"]) for row in leads}
    for merge in report.merges:
        numbers = {orgnr_of[i] for i in (merge.survivor, *merge.removed)} - {None}
        assert len(numbers) <= 1
    # the rows as they would be after the plan: a second plan changes nothing
    after = {row["ID"]: dict(row) for row in leads if row["ID"] not in removed_ids(changes)}
    for change in changes.cells:
        after[change.row_id][change.column] = change.new
    again, _ = plan(list(after.values()))
    assert not again.cells and not again.removals


# ------------------------------------------------------------------ the command

def test_dry_run_masks_contact_details_and_json_lists_the_merge(make_crm):
    leads = [lead("L-1", "Volvo Personvagnar AB", "2027-01-01", phone="070-123 45 67", mail="anna@volvocars.com"),
             lead("L-2", "VOLVO PERSONVAGNAR", "2027-01-02", contact="Anna", comment="Ring 070-765 43 21")]
    path = make_crm(Leads=[{k: v for k, v in r.items() if v is not None} for r in leads])
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", str(path)])
    assert result.exit_code == 0, result.output
    assert "070-*** ** 67" in result.output and "a***@volvocars.com" in result.output
    assert "123 45" not in result.output and "anna@" not in result.output and "765 43" not in result.output
    assert "keep L-1 (oldest), remove L-2" in result.output
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", str(path), "--json"])
    data = json.loads(result.stdout)
    assert data["merges"][0]["removed"] == ["L-2"] and data["applied"] is False
    assert "123 45" not in result.stdout and "765 43" not in result.stdout


def test_merge_option_needs_two_ids(make_crm):
    path = make_crm(Leads=[{"ID": "L-1", "Företag": "Saab"}])
    result = CliRunner().invoke(cli, ["dedupe", str(path), "--merge", "L-1"])
    assert result.exit_code == 1 and "two lead IDs" in result.output


def test_a_merge_that_would_change_how_other_rows_match_is_left_for_review():
    # L-0 and L-3 are one lead (one org number), but merging them drops L-3's website, the
    # only thing that keeps L-2 (no org number) from joining L-1 (another org number).
    leads = [lead("L-0", "Nordbygg AB", "2027-01-01", orgnr="556074-3089", web="kvarn.se"),
             lead("L-1", "Nordbygg AB", "2027-01-02", orgnr="556012-5790", web="https://nordbygg.se"),
             lead("L-2", "Nordbygg AB", "2027-01-03", web="https://nordbygg.se"),
             lead("L-3", "Nordbygg AB", "2027-01-04", orgnr="556074-3089", web="https://nordbygg.se")]
    changes, report = plan(leads)
    assert not changes and report.left_alone == ["Nordbygg AB"]
    assert any("left as they are: Nordbygg AB" in line for line in report.render())


def test_a_dry_run_names_rows_without_an_id_by_sheet_row(make_crm):
    # IDs are drawn when the plan is written, so a dry run cannot promise one.
    path = make_crm(Leads=[{"Företag": "Saab AB", "Tillagd": "2027-01-01"}, {"Företag": "SAAB", "Tillagd": "2027-01-02"}])
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", str(path)])
    assert "keep row 2 (oldest), remove row 3" in result.output
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "dedupe", str(path), "--apply"])
    ws = openpyxl.load_workbook(path)["Leads"]
    (kept,) = [row[0] for row in ws.iter_rows(min_row=2, values_only=True) if any(row)]
    assert f"keep {kept} (oldest)" in result.output


def test_the_report_is_swedish_or_english_and_the_note_in_the_sheet_is_always_swedish():
    from chas_sheets import i18n

    leads = [lead("L-1", "Saab AB", "2027-01-01", Status="Ny"), lead("L-2", "Saab AB", "2027-01-02"),
             lead("L-3", "Saab AB", "2027-01-03", comment="Vill ha CV", Status="Dialog"),
             lead("L-4", "Nordiska Bygglösningar", "2027-01-01", contact="Anna"),
             lead("L-5", "Nordiska Byggloesningar", "2027-01-02", contact="Anna")]
    i18n.set_language("sv")
    sv_changes, sv_report = plan(leads)
    sv = sv_report.render()
    i18n.set_language("en")
    en_changes, en_report = plan(leads)
    en = en_report.render()
    # Written into the survivor's Kommentar: the sheet's language whatever the reader's
    assert cell(sv_changes, "L-1", "Kommentar") == cell(en_changes, "L-1", "Kommentar") == \
        "Vill ha CV\nDubblett L-3: Status Dialog"
    assert sv[0] == ("crm.xlsx: 5 leads, 3 företag; 1 dubblettleads (2 rader att slå ihop), "
                     "0 företagsnamn att göra lika, 1 par att granska")
    assert en[0] == ("crm.xlsx: 5 leads, 3 companies; 1 duplicate leads (2 rows to merge), "
                     "0 company names to unify, 1 pair to review")
    assert sv[1] == "Saab AB: L-1, L-2, L-3 är ett och samma lead (förenade av namnet 'saab')"
    assert en[1] == "Saab AB: L-1, L-2, L-3 are one lead (joined by name 'saab')"
    assert sv[2] == "  behåll L-1 (äldst), ta bort L-2, L-3, fyll i Kommentar"
    assert en[2] == "  keep L-1 (oldest), remove L-2, L-3, filling Kommentar"
    assert "Att granska (slås ihop först när du bekräftar med --merge ID,ID):" in sv
    assert "To review (merged only when you confirm with --merge ID,ID):" in en


def test_check_and_harvest_tell_one_name_in_two_towns_apart_as_dedupe_does():
    # check's duplicate warning and the harvest's "the member has it already" decide what one
    # company is the way dedupe does, towns included: a warning dedupe would not act on, or a
    # lead the harvest withholds because a namesake in another town is in the member's CRM, is wrong.
    from chas_sheets.harvest.copy_leads import plan_copy
    from chas_sheets.nightly.crm_summary import find_duplicate_leads

    def crm_with(*towns):
        headers = [*HEADERS, "Ort"]
        grid = [headers, *[[{"ID": f"L-{n}", "Företag": "Anderssons Bygg HB", "Kontaktperson": "Anna",
                             "Ort": town}.get(h) for h in headers] for n, town in enumerate(towns, start=1)]]
        return load_tables(RawWorkbook(["Leads"], {"Leads": grid}, "crm.xlsx"), ["Leads"], [])

    assert find_duplicate_leads(crm_with("Umeå", "Malmö")["Leads"]) == []
    assert [pair[:2] for pair in find_duplicate_leads(crm_with("Umeå", "UMEÅ")["Leads"])] == [["L-1", "L-2"]]
    member = crm_with("Malmö")
    incoming = {"G-1": [{"ID": "G-1", "Företag": "Anderssons Bygg HB", "Kontaktperson": "Anna", "Ort": "Umeå"}]}
    assert [a.values["Ort"] for a in plan_copy(member, incoming, {}, "Grupp 1", TODAY).appends] == ["Umeå"]
    incoming["G-1"][0]["Ort"] = "Malmö"
    assert plan_copy(member, incoming, {}, "Grupp 1", TODAY).appends == []
