"""The harvest: Skörd prepared from the warm companies, the split, and the copies into members' CRMs."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.clean.rules import clean_comment
from chas_sheets.cli import cli
from chas_sheets.errors import InvalidInput
from chas_sheets.harvest.lottery import ONE_SENTENCE, allocate
from chas_sheets.harvest.prepare import PreparedRow, PrepareReport, member_names, read_wishes, rule_note
from chas_sheets.harvest.run import HarvestRun, MemberCopy
from chas_sheets.harvest.split import SplitReport, plan_split
from chas_sheets.runner import read_tables
from chas_sheets.sheet.tables import RawWorkbook, load_tables
from chas_sheets.sheet.writeplan import RunInfo

TODAY = dt.date(2027, 4, 3)
SEVEN = ["Alva Ek", "Bilal Haddad", "Cecilia Lund", "Dawit Tesfaye", "Elin Berg", "Farah Ali", "Gustav Nord"]
HOT_SIX = ["Volvo Cars", "Ericsson", "Spotify", "Klarna", "Saab", "Scania"]
GROUP_TABS = (["Leads", "Medlemmar"], ["Kontaktlogg", "Skörd", "Ändringslogg"])


def run(*args):
    return CliRunner().invoke(cli, ["--today", TODAY.isoformat(), *[str(a) for a in args]])


def header_row(ws) -> int:
    "The 1-based header row: the first with two cells or more (Skörd has its rule in a row above)."
    return next(r for r in range(1, ws.max_row + 1) if sum(c.value is not None for c in ws[r]) > 1)


def rows(path, tab):
    "Every non-blank row of a tab as {header: value}."
    ws = openpyxl.load_workbook(path)[tab]
    grid = list(ws.iter_rows(values_only=True))
    top = header_row(ws)
    headers = list(grid[top - 1])
    return [dict(zip(headers, r)) for r in grid[top:] if any(v is not None for v in r)]


def hot_leads(companies=HOT_SIX):
    "Two contact persons per company, all warm."
    return [{"Företag": c, "Kontaktperson": f"{who} {c.split()[0]}", "Temperatur": "Varm",
             "Telefon": "070-123 45 67", "Kommentar": "Ringde 12/3, bad om CV. Verkar chill ställe haha"}
            for c in companies for who in ("Anna", "Bo")]


def members(names=SEVEN, *, no_path=()):
    return [{"Namn": n, "Individuellt CRM": "" if n in no_path else f"studerande/{n.split()[0].lower()}.xlsx"}
            for n in names]


@pytest.fixture
def group(make_crm):
    def make(leads=None, log=(), people=None, name="grupp.xlsx"):
        tabs = {"Leads": leads if leads is not None else hot_leads(), "Medlemmar": people or members()}
        if log:
            tabs["Kontaktlogg"] = list(log)
        return make_crm("group", name, **tabs)
    return make


def mark(path, wishes):
    "Write marks into Skörd: {member: {company: 'x' or rank}} by header and Företag."
    wb = openpyxl.load_workbook(path)
    ws = wb["Skörd"]
    top = header_row(ws)
    headers = [c.value for c in ws[top]]
    row_of = {ws.cell(r, 1).value: r for r in range(top + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    for member, wanted in wishes.items():
        col = headers.index(member) + 1 if member in headers else len(headers) + 1
        if member not in headers:
            headers.append(member)
            ws.cell(top, col).value = member
        for company, value in wanted.items():
            ws.cell(row_of[company], col).value = value
    wb.save(path)


def tables_of(path):
    return read_tables(LocalWorkbook(path), *GROUP_TABS)


def prepared(group, wishes, **kwargs):
    path = group(**kwargs)
    assert run("harvest", path, "--prepare", "--apply").exit_code == 0
    mark(path, wishes)
    return path


def everyone_wants_everything(names=SEVEN):
    return {n: {c: "x" for c in HOT_SIX} for n in names}


# --- prepare -----------------------------------------------------------------------------------


def test_prepare_one_row_per_warm_company_spelling_variants_one_row(group):
    leads = [
        {"Företag": "Volvo Cars AB", "Webbplats": "https://www.volvocars.com", "Temperatur": "Varm", "Kontaktperson": "Eva"},
        {"Företag": "VOLVO CARS", "Kontaktperson": "Per"},
        {"Företag": "Volvo Cars", "E-post": "kim@volvocars.com"},
        {"Företag": "Kall AB", "Temperatur": "Kall"},
        {"Företag": "Svarade AB"},
        {"Företag": "Nekade AB"},
    ]
    log = [
        {"Datum": dt.date(2027, 3, 1), "Företag": "Svarade AB", "Kanal": "Telefon", "Utfall": "Svar"},
        {"Datum": dt.date(2027, 3, 9), "Företag": "Svarade AB", "Kanal": "Mejl", "Utfall": "Inget svar"},
        {"Datum": dt.date(2027, 3, 1), "Företag": "Nekade AB", "Kanal": "Telefon", "Utfall": "Svar"},
        {"Datum": dt.date(2027, 3, 2), "Företag": "Nekade AB", "Kanal": "Telefon", "Utfall": "Nej"},
    ]
    path = group(leads, log, members(SEVEN[:3]))
    result = run("harvest", path, "--prepare", "--apply")
    assert result.exit_code == 0, result.output
    skord = rows(path, "Skörd")
    assert [r["Företag"] for r in skord] == ["Svarade AB", "Volvo Cars AB"]
    assert skord[1]["Antal leads"] == 3 and skord[1]["Företagsnyckel"] == "volvocars.com"
    assert skord[0]["Senaste kontakt"].date() == dt.date(2027, 3, 9)
    ws = openpyxl.load_workbook(path)["Skörd"]
    headers = [c.value for c in ws[2]]  # row 1 holds the split's rule (see test_skord_states_its_rule...)
    assert headers[:5] == ["Företag", *SEVEN[:3], "Antal leads"]


def test_prepare_again_keeps_marks_adds_new_companies_at_the_end_and_new_members(group):
    path = prepared(group, {"Alva Ek": {"Saab": "x", "Volvo Cars": 1}}, leads=hot_leads(["Volvo Cars", "Saab"]),
                    people=members(SEVEN[:2]))
    wb = openpyxl.load_workbook(path)
    wb["Leads"].append([None, "Zeta Zoftware AB"] + [None] * 12 + ["Varm"])
    wb["Medlemmar"].append(["Cecilia Lund"])
    wb.save(path)
    result = run("harvest", path, "--prepare", "--apply")
    assert result.exit_code == 0, result.output
    skord = rows(path, "Skörd")
    assert [r["Företag"] for r in skord] == ["Saab", "Volvo Cars", "Zeta Zoftware AB"]
    assert [r["Alva Ek"] for r in skord] == ["x", 1, None]
    assert "Cecilia Lund" in skord[0]
    again = run("harvest", path, "--prepare", "--apply")
    assert "nothing to change" in again.output


def test_prepare_without_warm_companies_writes_the_layout_once(group):
    path = group([{"Företag": "Kall AB", "Temperatur": "Kall"}], people=members(SEVEN[:2]))
    first = run("harvest", path, "--prepare", "--apply")
    assert first.exit_code == 0 and "0 warm companies" in first.output
    assert [c.value for c in openpyxl.load_workbook(path)["Skörd"][2]][:3] == ["Företag", *SEVEN[:2]]
    assert "nothing to change" in run("harvest", path, "--prepare", "--apply").output


# --- reading wishes ----------------------------------------------------------------------------


def test_wishes_read_ranks_and_x_and_every_member(group):
    path = prepared(group, {"Alva Ek": {"Saab": 2, "Volvo Cars": 1, "Scania": "x"}, "Bilal Haddad": {"Saab": " X "}})
    tables = tables_of(path)
    wishes = read_wishes(tables["Skörd"], member_names(tables))
    assert wishes["Alva Ek"] == {"saab": 2, "cars volvo": 1, "scania": None}
    assert wishes["Bilal Haddad"] == {"saab": None}
    assert wishes["Gustav Nord"] == {}


@pytest.mark.parametrize("header,value,needle", [
    ("Bertil Okänd", "x", "column 'Bertil Okänd': the column matches no member"),
    ("Alva Ek", "ja tack", "column 'Alva Ek': the wish 'ja tack' is not understood"),
    ("Alva Ek", 0, "column 'Alva Ek': the wish 0 is not understood"),
])
def test_bad_skord_cells_and_columns_are_clear_errors(group, header, value, needle):
    path = prepared(group, {header: {"Saab": value}})
    result = run("harvest", path)
    assert result.exit_code == 1
    assert needle in result.output and "tab 'Skörd' row" in result.output and "(Saab)" in result.output


def test_forgiving_member_columns(group):
    path = prepared(group, {})
    wb = openpyxl.load_workbook(path)
    ws = wb["Skörd"]
    for cell in ws[header_row(ws)]:
        if cell.value == "Alva Ek":
            cell.value = "alva EK"
        if cell.value == "Bilal Haddad":
            cell.value = "Bilal"
    wb.save(path)
    mark(path, {"alva EK": {"Saab": "x"}, "Bilal": {"Saab": "x"}})
    tables = tables_of(path)
    wishes = read_wishes(tables["Skörd"], member_names(tables))
    assert wishes["Alva Ek"] == {"saab": None} and wishes["Bilal Haddad"] == {"saab": None}


# --- the split ---------------------------------------------------------------------------------


def test_seven_members_six_hot_companies_with_a_member_without_wishes_and_without_a_crm(group, tmp_path):
    wishes = everyone_wants_everything(SEVEN[:6])  # Gustav marks nothing
    path = prepared(group, wishes, people=members(SEVEN, no_path=["Farah Ali"]))
    result = run("harvest", path, "--seed", "möte 2027-04-03", "--apply")
    assert result.exit_code == 0, result.output
    assigned = {r["Företag"]: r["Tilldelad"].split(", ") for r in rows(path, "Skörd")}
    assert all(len(holders) == 3 for holders in assigned.values())  # 6 want each: exactly 3 seats used
    sizes = {m: sum(m in h for h in assigned.values()) for m in SEVEN}
    assert sizes["Gustav Nord"] == 0 and max(sizes.values()) - min(v for m, v in sizes.items() if m != "Gustav Nord") <= 1
    assert "Farah Ali -> (no individual CRM): no 'Individuellt CRM' in Medlemmar; skipped" in result.output
    assert not (tmp_path / "studerande" / "gustav.xlsx").exists()  # nothing to copy: not created
    for member in SEVEN[:5]:  # every CRM was missing: created from the template, then filled
        got = rows(tmp_path / "studerande" / f"{member.split()[0].lower()}.xlsx", "Leads")
        companies = sorted({r["Företag"] for r in got})
        assert companies == sorted(c for c, h in assigned.items() if member in h)
        assert len(got) == 2 * len(companies)  # every contact person of each company
        assert all(r["Temperatur"] == "Varm" and r["Källa"] == "Skörd grupp" and r["ID"].startswith("L-") for r in got)
        assert all(r["Telefon"] == "070-123 45 67" for r in got)
    log = rows(path, "Ändringslogg")
    notes = [r["Efter"] for r in log if r["Kolumn"] == "(skörd)"]
    assert "frö: möte 2027-04-03" in notes
    assert any(n.startswith("åtagande: ") for n in notes) and sum(n.startswith("lottning: ") for n in notes) == 6
    assert len({r["Körning"] for r in log if r["Kolumn"] == "(skörd)"}) == 1
    # the CRMs the run writes too, named for `undo`: those with companies and a path
    assert sorted(r["Efter"] for r in log if r["Kolumn"] == "(körning i)") == sorted(
        f"studerande/{m.split()[0].lower()}.xlsx" for m in SEVEN[:5])


def test_the_same_seed_gives_the_same_split_and_rows_and_columns_do_not_matter(group, tmp_path):
    path = prepared(group, {n: {c: (i + j) % 4 + 1 if (i + j) % 3 else "x" for j, c in enumerate(HOT_SIX)}
                            for i, n in enumerate(SEVEN)})
    _, plans, report = plan_split(tables_of(path), "fixed seed", TODAY)
    again = plan_split(tables_of(path), "fixed seed", TODAY)[2]
    assert report.allocation.bundles == again.allocation.bundles

    # Shuffle Skörd's rows and columns: the commitment and the split stay the same.
    wb = openpyxl.load_workbook(path)
    ws = wb["Skörd"]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    top = header_row(ws)  # the rule's row above the table stays on top
    order = list(reversed(range(len(grid[top - 1]))))
    shuffled = grid[:top - 1] + [[grid[top - 1][i] for i in order]] + [[r[i] for i in order]
                                                                       for r in reversed(grid[top:])]
    ws.delete_rows(1, ws.max_row)
    for r in shuffled:
        ws.append(r)
    wb.save(path)
    moved = plan_split(tables_of(path), "fixed seed", TODAY)[2]
    assert moved.allocation.commitment == report.allocation.commitment
    assert moved.allocation.bundles == report.allocation.bundles
    assert {p.member: p.companies for p in plans} == {m: b for m, b in report.allocation.bundles.items()}


def test_apply_twice_adds_nothing_the_second_time(group, tmp_path):
    path = prepared(group, everyone_wants_everything())
    assert run("harvest", path, "--seed", "s", "--apply").exit_code == 0
    before = {p.name: len(rows(p, "Leads")) for p in (tmp_path / "studerande").glob("*.xlsx")}
    log_before = len(rows(path, "Ändringslogg"))
    second = run("harvest", path, "--apply")  # no --seed: the logged seed of these wishes is used
    assert second.exit_code == 0, second.output
    assert "seed logged in run" in second.output and "already logged" in second.output
    assert {p.name: len(rows(p, "Leads")) for p in (tmp_path / "studerande").glob("*.xlsx")} == before
    assert len(rows(path, "Ändringslogg")) == log_before
    assert "added 0 leads and 0 log rows" in second.output and "nothing new to write" in second.output
    other = run("harvest", path, "--seed", "another", "--apply")
    assert other.exit_code == 1 and "already split with seed s" in other.output


def test_a_crash_after_some_members_then_a_rerun_completes_without_duplicates(group, tmp_path, monkeypatch):
    path = prepared(group, everyone_wants_everything())
    calls = {"n": 0}
    real_apply = LocalWorkbook.apply

    def failing_apply(self, changes, run_info):
        calls["n"] += 1
        if calls["n"] == 3:  # the group CRM, one member, then the crash
            raise RuntimeError("power cut")
        return real_apply(self, changes, run_info)

    monkeypatch.setattr(LocalWorkbook, "apply", failing_apply)
    crashed = run("harvest", path, "--seed", "s", "--apply")
    assert isinstance(crashed.exception, RuntimeError)
    written = sorted(p.name for p in (tmp_path / "studerande").glob("*.xlsx") if rows(p, "Leads"))
    assert len(written) == 1
    monkeypatch.setattr(LocalWorkbook, "apply", real_apply)

    rerun = run("harvest", path, "--apply")
    assert rerun.exit_code == 0, rerun.output
    assigned = {r["Företag"]: r["Tilldelad"].split(", ") for r in rows(path, "Skörd")}
    for member in SEVEN:
        got = rows(tmp_path / "studerande" / f"{member.split()[0].lower()}.xlsx", "Leads")
        keys = [(r["Företag"], r["Kontaktperson"]) for r in got]
        assert len(keys) == len(set(keys))
        assert sorted({r["Företag"] for r in got}) == sorted(c for c, h in assigned.items() if member in h)
    assert all(len(h) <= 3 for h in assigned.values())


def test_an_unreachable_crm_is_reported_and_the_others_are_written(group, tmp_path):
    path = prepared(group, everyone_wants_everything(SEVEN[:4]), people=members(SEVEN[:4]))
    (tmp_path / "studerande").mkdir()
    (tmp_path / "studerande" / "bilal.xlsx").write_text("not a workbook")
    result = run("harvest", path, "--seed", "s", "--apply")
    assert result.exit_code == 1
    assert "Bilal Haddad -> " in result.output and "FAILED" in result.output
    assert "failed: Bilal Haddad" in result.output
    for member in ("alva", "cecilia", "dawit"):
        assert rows(tmp_path / "studerande" / f"{member}.xlsx", "Leads")
    assert rows(path, "Skörd")[0]["Tilldelad"]


def test_the_split_renders_its_members_and_ends_with_the_one_summary_line():
    report = SplitReport("grupp.xlsx", allocate({"Alva Ek": {"saab": None}, "Bilal Haddad": {}}, seed="s"),
                         {"saab": "Saab AB"}, ["Alva Ek", "Bilal Haddad"])
    alva = MemberCopy("Alva Ek", "alva.xlsx", companies=1, leads=2, log_rows=1)
    bilal = MemberCopy("Bilal Haddad", "bilal.xlsx", failed=True, problem="not a workbook")
    dry = HarvestRun(report, "generated", applied=False, group_planned=3, members=[alva, bilal])
    assert dry.render()[:len(report.render())] == report.render()
    assert dry.render()[len(report.render()):] == [
        "Individual CRMs (dry run):", "  Alva Ek -> alva.xlsx: would add 2 leads and 1 log rows of 1 company",
        "  Bilal Haddad -> bilal.xlsx: FAILED: not a workbook"]
    assert dry.notes("grupp.xlsx") == [
        "seed generated: to apply exactly this split run with --seed s --apply",
        "grupp.xlsx: would make 3 changes and copy into 1 individual CRM (dry run; add --apply to write)",
        "failed: Bilal Haddad (the others were planned; fix and run again to complete the split)"]

    alva.written = True
    run_info = RunInfo.new("harvest")
    applied = HarvestRun(report, "given", applied=True, run=run_info, group_planned=3, group_written=2,
                         group_skipped=["Skörd row 2: changed since read"], members=[alva])
    assert applied.render()[-2] == "Individual CRMs (written):"
    assert applied.notes("grupp.xlsx") == [
        "skipped: Skörd row 2: changed since read",
        f"grupp.xlsx: wrote 2 changes as run {run_info.run_id}; 1 individual CRM written (logged in Ändringslogg)"]
    done = HarvestRun(report, "logged in run R-1", applied=True, run=run_info, members=[MemberCopy("Alva Ek")])
    assert done.notes("grupp.xlsx") == ["seed logged in run R-1", "grupp.xlsx: nothing new to write; this split is complete"]


def test_copies_clean_comments_keep_own_rows_and_do_not_add_a_lead_twice(group, tmp_path):
    log = [{"Datum": dt.date(2027, 3, 2), "Företag": "SAAB", "Kontaktperson": "Anna", "Kanal": "Telefon",
            "Utfall": "Svar", "Anteckning": "Pratade med Anna. Tror hon gillar oss"}]
    path = prepared(group, {"Alva Ek": {"Saab": "x"}}, leads=hot_leads(["Saab"]), log=log, people=members(SEVEN[:1]))
    own = {"ID": "L-OWN111", "Företag": "Saab AB", "Kontaktperson": "anna saab", "Kommentar": "min egen anteckning"}
    crm = tmp_path / "studerande" / "alva.xlsx"
    crm.parent.mkdir()
    LocalWorkbook(crm).create("student")
    from workbooks import write_rows
    write_rows(crm, "Leads", [own])
    result = run("harvest", path, "--seed", "s", "--apply")
    assert result.exit_code == 0, result.output
    got = rows(crm, "Leads")
    assert got[0]["ID"] == own["ID"] and got[0]["Kommentar"] == own["Kommentar"] and got[0]["Källa"] is None
    assert [r["Kontaktperson"] for r in got] == ["anna saab", "Bo Saab"]  # Anna was there already
    original = hot_leads(["Saab"])[1]["Kommentar"]
    assert got[1]["Kommentar"] == clean_comment(original).text != original
    assert rows(path, "Leads")[1]["Kommentar"] == original  # the group's comment stays as it was
    history = rows(crm, "Kontaktlogg")
    assert len(history) == 1 and history[0]["Anteckning"] == "Pratade med Anna."
    assert history[0]["Lead-ID"] == own["ID"]  # Anna's attempt points at the lead she already had


# --- invariants on random wishes -----------------------------------------------------------------


def _memory_group(marks):
    "An in-memory group CRM: every company warm, Skörd marked as given (names x companies)."
    people = SEVEN[:len(marks)]
    companies = HOT_SIX
    skord = [["Företag", *people, "Företagsnyckel"]]
    skord += [[c, *[marks[i][j] for i in range(len(people))], c.lower()] for j, c in enumerate(companies)]
    grids = {"Leads": [["ID", "Företag", "Temperatur"]] + [[f"L-{n}", c, "Varm"] for n, c in enumerate(companies)],
             "Medlemmar": [["Namn"]] + [[p] for p in people], "Skörd": skord}
    return load_tables(RawWorkbook(list(grids), grids, "memory"), ["Leads", "Medlemmar"], ["Skörd"]), people


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.sampled_from([None, "x", 1, 2, 3]), min_size=6, max_size=6), min_size=1, max_size=7),
       st.text(min_size=1, max_size=8))
def test_random_marks_never_more_than_three_only_those_who_asked_all_when_three_or_fewer(marks, seed):
    tables, people = _memory_group(marks)
    if not any(mark is not None for row in marks for mark in row):  # nothing to split: refused
        with pytest.raises(InvalidInput, match="nobody has entered wishes in Skörd"):
            plan_split(tables, seed, TODAY)
        return
    changes, plans, report = plan_split(tables, seed, TODAY)
    assigned = {c.row_id: (c.new or "").split(", ") if c.new else [] for c in changes.cells if c.column == "Tilldelad"}
    for j, company in enumerate(HOT_SIX):
        asked = {people[i] for i in range(len(people)) if marks[i][j] is not None}
        holders = set(assigned.get(company.lower(), []))
        assert holders <= asked and len(holders) <= 3
        if len(asked) <= 3:
            assert holders == asked
    assert report.allocation.fairness_report().ef1
    assert {p.member: set(p.companies) for p in plans} == {m: {c for c, h in assigned.items() if m in h} for m in people}


# --- a Skörd typed by hand (the sheet contract: Företag and one column per member, no key) ------


def hand_typed_skord(path, header, rows_):
    wb = openpyxl.load_workbook(path)
    if "Skörd" in wb.sheetnames:
        del wb["Skörd"]
    ws = wb.create_sheet("Skörd")
    for row in [header, *rows_]:
        ws.append(row)
    wb.save(path)


def test_a_skord_typed_by_hand_is_matched_to_leads_by_company_and_split(group, tmp_path):
    people = SEVEN[:4]
    path = group(people=members(people))
    # Spelt as people type: another case, a legal form, and one company with no lead at all.
    hand_typed_skord(path, ["Företag", *people], [
        ["VOLVO CARS AB", "x", "x", "x", "x"],
        ["ericsson", "1", None, "x", None],
        ["Spotify", None, "x", None, "1"],
        ["Nokia", "x", "x", None, None],
    ])
    result = run("harvest", path, "--seed", "handskrivet", "--apply")
    assert result.exit_code == 0, result.output
    assert "Skörd row 5 (Nokia): no lead of this company in Leads" in result.output
    skord = rows(path, "Skörd")
    assigned = {r["Företag"]: r.get("Tilldelad") for r in skord}
    assert assigned["VOLVO CARS AB"].split(", ") and len(assigned["VOLVO CARS AB"].split(", ")) == 3  # 4 wanted: drawn
    assert sorted(assigned["ericsson"].split(", ")) == ["Alva Ek", "Cecilia Lund"]
    assert assigned["Nokia"] is None
    keys = {r["Företag"]: r["Företagsnyckel"] for r in skord}
    assert keys["Nokia"] is None and all(keys[c] for c in ("VOLVO CARS AB", "ericsson", "Spotify"))
    alva = rows(tmp_path / "studerande" / "alva.xlsx", "Leads")
    assert {"Ericsson"} <= {r["Företag"] for r in alva}  # copied from Leads, as spelt there
    # A second run finds the rows by the keys the first one wrote: nothing new.
    again = run("harvest", path, "--apply")
    assert again.exit_code == 0 and "already logged" in again.output


def test_a_skord_whose_only_marks_name_a_company_without_leads_is_refused_naming_the_row(group):
    path = group(people=members(SEVEN[:2]))
    hand_typed_skord(path, ["Företag", *SEVEN[:2]], [["Nokia", "x", "1"], ["Saab", None, None]])
    result = run("harvest", path, "--seed", "s", "--apply")
    assert result.exit_code == 1
    assert result.output.splitlines() == [(
        "Error: no wish in Skörd can be split: Skörd row 2 (Nokia): no lead of this company in Leads; its marks "
        "are left out of the split (add its leads, or remove the row)")]


def test_a_company_typed_twice_by_hand_is_one_clear_error(group):
    path = group(people=members(SEVEN[:2]))
    hand_typed_skord(path, ["Företag", *SEVEN[:2]], [["Volvo Cars", "x", None], ["volvo cars ab", None, "x"]])
    result = run("harvest", path, "--seed", "s")
    assert result.exit_code == 1
    assert "rows 2 and 3 are both" in result.output and "Traceback" not in result.output


def test_prepare_adds_no_second_row_for_a_company_typed_by_hand(group):
    path = group(people=members(SEVEN[:2]))
    hand_typed_skord(path, ["Företag", *SEVEN[:2]], [["Volvo Cars AB", "x", None]])
    assert run("harvest", path, "--prepare", "--apply").exit_code == 0
    companies = [r["Företag"] for r in rows(path, "Skörd")]
    assert companies.count("Volvo Cars AB") == 1 and "Volvo Cars" not in companies
    assert sorted(companies) == sorted(["Volvo Cars AB", *HOT_SIX[1:]])


def test_the_split_lists_warm_companies_nobody_marked_and_the_cold_research(group):
    leads = hot_leads(HOT_SIX[:3]) + [{"Företag": "Kallbolaget AB", "Kontaktperson": "Eva Kall"}]
    path = prepared(group, {SEVEN[0]: {"Volvo Cars": "x"}, SEVEN[1]: {"Ericsson": 1}},
                    leads=leads, people=members(SEVEN[:2]))
    result = run("harvest", path, "--seed", "s", "--json")
    assert result.exit_code == 0, result.output
    import json
    found = json.loads(result.stdout)
    assert found["unclaimed"] == ["Spotify"] and found["cold"] == ["Kallbolaget AB"]
    text = run("harvest", path, "--seed", "s").output
    assert "Warm companies nobody wanted (1)" in text and "Kallbolaget AB" in text


# --- a seed nobody chooses: its source fixed while members still mark ---------------------------


def test_a_fixed_seed_source_takes_only_seeds_that_start_with_it(group):
    path = prepared(group, everyone_wants_everything(SEVEN[:5]), people=members(SEVEN[:5]))
    fixed = run("harvest", path, "--prepare", "--seed-source", "Lotto 2027-04-05", "--apply")
    assert fixed.exit_code == 0, fixed.output
    assert "Seed source: Lotto 2027-04-05" in fixed.output
    notes = [r["Efter"] for r in rows(path, "Ändringslogg") if r["Kolumn"] == "(skörd)"]
    assert notes == ["frökälla: Lotto 2027-04-05"]

    chosen = run("harvest", path, "--seed", "my lucky seed")  # a preview with a chosen seed: refused
    assert chosen.exit_code == 1 and "must start with the fixed source 'Lotto 2027-04-05'" in chosen.output
    bare = run("harvest", path)  # no seed at all: says what to give
    assert bare.exit_code == 1 and '--seed "Lotto 2027-04-05: ' in bare.output
    only_source = run("harvest", path, "--seed", "Lotto 2027-04-05")  # the drawn numbers are missing
    assert only_source.exit_code == 1

    drawn = run("harvest", path, "--seed", "lotto 2027-04-05: 3 8 15 22 31 34 35", "--apply")
    assert drawn.exit_code == 0, drawn.output
    assert "Seed source (fixed" in drawn.output and "Lotto 2027-04-05" in drawn.output

    changed = run("harvest", path, "--prepare", "--seed-source", "Eurojackpot 2027-04-06", "--apply")
    assert changed.exit_code == 1 and "cannot be changed" in changed.output
    same = run("harvest", path, "--prepare", "--seed-source", "lotto 2027-04-05", "--apply")
    assert same.exit_code == 0
    assert [r["Efter"] for r in rows(path, "Ändringslogg") if r["Efter"] and r["Efter"].startswith("frökälla")] == [
        "frökälla: Lotto 2027-04-05"]


def test_seed_source_belongs_to_prepare(group):
    path = group()
    result = run("harvest", path, "--seed-source", "Lotto")
    assert result.exit_code == 2 and "--prepare" in result.output


# --- the rule written in Skörd; a split with no wish; the language people read -------------------


def test_prepare_writes_the_rule_in_swedish_above_the_table_and_every_read_looks_below_it(group):
    path = group(leads=hot_leads(["Volvo Cars", "Saab"]), people=members(SEVEN[:2]))
    assert run("harvest", path, "--prepare", "--apply").exit_code == 0  # the CLI speaks English here
    ws = openpyxl.load_workbook(path)["Skörd"]
    assert ws["A1"].value == rule_note()  # the sheet is the programme's: Swedish whatever the CLI's language
    assert ws["A1"].value.startswith("Så delas skörden: Företag som tre eller färre har önskat")
    assert "bara om inget annat kan flyttas" in ws["A1"].value  # rank 1 won in the draw: the last to move
    assert [c.value for c in ws[1]][1:] == [None] * (ws.max_column - 1)  # alone in its row: no member column
    assert [c.value for c in ws[2]][:3] == ["Företag", *SEVEN[:2]]

    mark(path, {SEVEN[0]: {"Saab": 1, "Volvo Cars": "x"}, SEVEN[1]: {"Saab": "x"}})
    split = run("--lang", "sv", "harvest", path, "--seed", "s", "--apply")
    assert split.exit_code == 0, split.output
    assert split.output.splitlines()[0] == ws["A1"].value  # what the split prints is what the tab says
    assert {r["Företag"]: r["Tilldelad"] for r in rows(path, "Skörd")} == {
        "Saab": "Alva Ek, Bilal Haddad", "Volvo Cars": "Alva Ek"}
    assert openpyxl.load_workbook(path)["Skörd"]["A1"].value == rule_note()  # the split leaves it be
    assert "nothing to change" in run("harvest", path, "--prepare", "--apply").output


def test_an_old_skord_without_the_rule_row_still_reads_and_prepares(group):
    path = prepared(group, {SEVEN[0]: {"Saab": "x"}}, leads=hot_leads(["Volvo Cars", "Saab"]),
                    people=members(SEVEN[:2]))
    wb = openpyxl.load_workbook(path)
    wb["Skörd"].delete_rows(1)  # as --prepare wrote it before the rule had a row
    wb.save(path)
    assert openpyxl.load_workbook(path)["Skörd"]["A1"].value == "Företag"
    again = run("harvest", path, "--prepare", "--apply")
    assert again.exit_code == 0 and "nothing to change" in again.output  # marks are there: never rewritten
    split = run("harvest", path, "--seed", "s", "--apply")
    assert split.exit_code == 0, split.output
    assert {r["Företag"]: r["Tilldelad"] for r in rows(path, "Skörd")} == {"Saab": "Alva Ek", "Volvo Cars": None}


def test_a_split_with_no_wish_is_refused_in_one_line_that_says_what_to_do(group, tmp_path):
    path = group(people=members(SEVEN[:2]))
    assert run("harvest", path, "--prepare", "--apply").exit_code == 0
    log_before = rows(path, "Ändringslogg")
    for args in ([], ["--apply"], ["--seed", "s", "--apply"]):
        result = run("harvest", path, *args)
        assert result.exit_code == 1, result.output
        assert result.output.splitlines() == [(
            "Error: nobody has entered wishes in Skörd (6 companies, 2 members): each member marks the companies "
            "they want in their own column (x, or 1, 2, 3 … most wanted first), then run the split again")]
    assert rows(path, "Ändringslogg") == log_before  # no IDs, no audit, nothing written anywhere
    assert {r["Tilldelad"] for r in rows(path, "Skörd")} == {None}
    assert not (tmp_path / "studerande").exists()
    swedish = run("--lang", "sv", "harvest", path, "--apply")
    assert swedish.exit_code == 1 and swedish.output.startswith("Fel: ingen har skrivit in önskningar i Skörd")  # Click's word too


def test_a_split_of_a_skord_without_companies_points_to_prepare_before_any_talk_of_seeds(group):
    path = group([{"Företag": "Kall AB", "Temperatur": "Kall"}], people=members(SEVEN[:2]))
    never_prepared = run("harvest", path, "--apply")  # init made Skörd's header, nobody ran --prepare
    assert never_prepared.exit_code == 1
    assert "nobody has entered wishes in Skörd: it lists no companies yet; run `chas-sheets harvest --prepare`" \
        in never_prepared.output
    assert run("harvest", path, "--prepare", "--seed-source", "Lotto 2027-04-05", "--apply").exit_code == 0
    fixed = run("harvest", path)  # a fixed seed source would ask for a seed: the missing wishes come first
    assert fixed.exit_code == 1 and "lists no companies yet" in fixed.output and "--seed" not in fixed.output


def test_harvest_lines_are_swedish_or_english_never_both():
    from chas_sheets import i18n

    wishes = {"Alva Ek": {"saab": 1}, "Bilal Haddad": {"saab": None}, "Cecilia Lund": {"saab": 2},
              "Dawit Tesfaye": {"saab": None}}
    report = SplitReport("grupp.xlsx", allocate(wishes, seed="s"), {"saab": "Saab AB"}, list(wishes))
    alva = MemberCopy("Alva Ek", "alva.xlsx", companies=1, leads=2, log_rows=1, leads_present=1, written=True)
    split = HarvestRun(report, "given", applied=True, group_planned=3, group_written=3, members=[alva])
    prepare = PrepareReport("grupp.xlsx", [PreparedRow("saab", "Saab AB", 1, dt.date(2027, 3, 9), "", True)],
                            list(wishes))
    i18n.set_language("sv")
    sv = [*split.render(), *prepare.render(), str(report.allocation.fairness_report())]
    i18n.set_language("en")
    en = [*split.render(), *prepare.render(), str(report.allocation.fairness_report())]
    assert sv[0] == f"Så delas skörden: {ONE_SENTENCE['sv']}"
    assert en[0] == f"How the harvest is split: {ONE_SENTENCE['en']}"
    assert "Lottade företag (fler än tre önskade dem):" in sv and "Companies drawn by lot (more than three wanted them):" in en
    assert sv[-5:-2] == ["Individuella CRM (skrivna):",
                         "  Alva Ek -> alva.xlsx: lade till 2 leads och 1 loggrader för 1 företag; 1 lead fanns redan",
                         "Skörd: 1 varmt företag (1 nya), 4 medlemmar"]
    assert en[-5:-2] == ["Individual CRMs (written):",
                         "  Alva Ek -> alva.xlsx: added 2 leads and 1 log rows of 1 company; 1 lead already there",
                         "Skörd: 1 warm company (1 new), 4 members"]
    assert sv[-2] == "+ Saab AB [saab]: 1 lead, senaste kontakt 2027-03-09; "
    assert en[-2] == "+ Saab AB [saab]: 1 lead, last contact 2027-03-09; "
    assert sv[-1].startswith("Rättvisekontroll: OK") and en[-1].startswith("Fairness check: OK")
    english_words = ("added", "companies", "warm", "wishes", "Fairness", "draw")
    assert not [line for line in sv if any(word in line for word in english_words)]
