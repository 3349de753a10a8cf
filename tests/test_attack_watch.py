"""Attack: students ordering jobs in `Körningar` (no terminal) and reading the answer there.

1. A request that fails inside a library job answers in English with command-line advice
   (`run with --seed ...`, `no run 'x' in Ändringslogg of <path>`) in a Swedish sheet whose
   readers have no terminal; the watch's own reasons are Swedish.
2. `Skörd` ordered before the group's Skörd tab was prepared (only possible from a terminal)
   answers `Klar` with every member given 0 companies, as if the harvest were done.
3. Completing a harvest (the same seed again: README's advice after a partial failure, and what
   the watch does with a claim it finds logged) copies back a lead a member has deleted since.
"""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
from test_watch import (  # noqa: F401 — the fixture is used by name
    ANNA,
    BO,
    LEADS,
    cli_run,
    order,
    runs_tab,
    watch,
    workspace,
)

from chas_sheets.watch.requests import claim_text

SEED = "Lotto 2027-04-05: 3 8 15 22 31 34 35"


def test_a_second_skord_is_answered_in_swedish_without_command_line_advice(workspace):  # noqa: F811 - the fixture imported above
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", SEED)
    order(group, "Skörd", "Lotto 2027-04-06: 1 2 3 4 5 6 7")  # a second member, another seed
    watch(workspace)
    second = runs_tab(group)[-1]
    assert second["Status"] == "Fel"  # right: the wishes were split once
    assert "--seed" not in second["Resultat"] and "wishes" not in second["Resultat"]
    first_seed = SEED
    assert f"beställ Skörd igen med {first_seed} i Argument" in second["Resultat"], second["Resultat"]


def test_an_angra_with_a_mistyped_run_id_is_answered_in_swedish(workspace):  # noqa: F811 - the fixture imported above
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Ångra", "20270403-101010-abcd")
    watch(workspace)
    answer = runs_tab(group)[-1]
    assert answer["Status"] == "Fel"
    assert "no run" not in answer["Resultat"] and "latest runs" not in answer["Resultat"]
    assert answer["Resultat"].startswith("ingen körning 20270403-101010-abcd"), answer["Resultat"]


def test_an_angra_with_a_mistyped_run_id_offers_runs_people_made_not_the_watchs_own(workspace):  # noqa: F811
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Bearbetade")  # a run a person ordered
    order(group, "Baka bullar")  # Fel: only the watch's own bookkeeping is written for it
    watch(workspace)
    order(group, "Ångra", "20270403-101010-abcd")
    watch(workspace)
    log = {r["Körning"]: r["Kommando"] for r in _rows(group, "Ändringslogg")}
    assert "watch" in log.values()  # the watch's bookkeeping is logged (the IDs it gave the new rows)
    answer = runs_tab(group)[-1]["Resultat"]
    offered = re.findall(r"\d{8}-\d{6}-[0-9a-f]{4}", answer.split("de senaste här:")[1])
    assert offered and all(log[run] != "watch" for run in offered), answer
    assert "(Bearbetade," in answer  # the job as the sheet names it, not the command


def test_angra_of_a_harvest_in_a_members_own_crm_is_fel_and_points_to_the_group(workspace):  # noqa: F811
    group = workspace / "grupper" / "g1.xlsx"
    anna = workspace / "studerande" / "anna.xlsx"
    order(group, "Skörd", SEED)
    watch(workspace)
    harvest_id = re.search(r"körning (\d{8}-\d{6}-[0-9a-f]{4})", runs_tab(group)[-1]["Resultat"]).group(1)
    copied = _harvested(anna)
    order(anna, "Ångra", harvest_id)
    watch(workspace)
    answer = runs_tab(anna)[-1]
    assert answer["Status"] == "Fel" and "gruppens CRM" in answer["Resultat"], answer["Resultat"]
    assert _harvested(anna) == copied  # her copy stays, as the group's Skörd says
    order(group, "Ångra", harvest_id)  # where the README says a harvest is undone
    watch(workspace)
    assert runs_tab(group)[-1]["Status"] == "Klar" and _harvested(anna) == []


def _rows(path, tab):
    ws = openpyxl.load_workbook(path)[tab]
    grid = list(ws.iter_rows(values_only=True))
    return [dict(zip(grid[0], r)) for r in grid[1:] if any(v is not None for v in r)]


def test_skord_before_the_tab_is_prepared_is_fel_not_an_empty_klar(tmp_path, make_crm):
    (tmp_path / "grupper").mkdir()
    (tmp_path / "studerande").mkdir()
    members = [{"Namn": ANNA, "Individuellt CRM": "../studerande/anna.xlsx"},
               {"Namn": BO, "Individuellt CRM": "../studerande/bo.xlsx"}]
    group = make_crm("group", "grupper/g1.xlsx", Leads=LEADS, Medlemmar=members)
    make_crm("student", "studerande/anna.xlsx")
    make_crm("student", "studerande/bo.xlsx")
    make_crm("register", "register.xlsx", Grupper=[{"Grupp": "G1", "Gruppens CRM": "grupper/g1.xlsx"}],
             Studerande=[{"Namn": ANNA, "Grupp": "G1", "Individuellt CRM": "studerande/anna.xlsx"},
                         {"Namn": BO, "Grupp": "G1", "Individuellt CRM": "studerande/bo.xlsx"}])
    order(group, "Skörd", SEED)  # the meeting orders the split; nobody ran --prepare in a terminal
    watch(tmp_path)
    answer = runs_tab(group)[-1]
    assert answer["Status"] == "Fel", answer["Resultat"]
    assert answer["Resultat"].startswith("Skörd listar inga företag än"), answer["Resultat"]
    assert "\n" not in answer["Resultat"] and "chas-sheets" not in answer["Resultat"]
    assert _harvested(tmp_path / "studerande" / "anna.xlsx") == []


def _harvested(path):
    ws = openpyxl.load_workbook(path)["Leads"]
    headers = [c.value for c in ws[1]]
    source = headers.index("Källa")
    return [r for r in range(2, ws.max_row + 1) if str(ws.cell(r, source + 1).value or "").startswith("Skörd")]


def test_completing_a_harvest_does_not_bring_back_a_lead_a_member_deleted(workspace):  # noqa: F811 - the fixture imported above
    group = workspace / "grupper" / "g1.xlsx"
    anna = workspace / "studerande" / "anna.xlsx"
    first = cli_run("harvest", group, "--seed", SEED, "--apply")
    assert first.exit_code == 0, first.output
    copied = _harvested(anna)
    assert copied
    wb = openpyxl.load_workbook(anna)
    wb["Leads"].delete_rows(copied[0])  # Anna does not want this contact: her edit
    wb.save(anna)

    again = cli_run("harvest", group, "--seed", SEED, "--apply")  # e.g. Bo's CRM had failed the first time
    assert again.exit_code == 0, again.output
    assert len(_harvested(anna)) == len(copied) - 1
    assert "1 lead copied before and deleted since, not copied again" in again.output, again.output


def _delete_first_harvested(path):
    wb = openpyxl.load_workbook(path)
    rows = _harvested(path)
    wb["Leads"].delete_rows(rows[0])
    wb.save(path)
    return len(rows)


def test_completing_a_harvest_from_the_sheet_does_not_bring_back_a_lead_a_member_deleted(workspace):  # noqa: F811
    group = workspace / "grupper" / "g1.xlsx"
    anna, bo = workspace / "studerande" / "anna.xlsx", workspace / "studerande" / "bo.xlsx"
    bo.write_bytes(b"not a workbook")  # Bo's CRM cannot be read: the split stops half-way
    order(group, "Skörd", SEED)
    watch(workspace)
    first = runs_tab(group)[-1]
    assert first["Status"] == "Fel" and "samma frö" in first["Resultat"], first["Resultat"]
    had = _delete_first_harvested(anna)  # Anna does not want this contact
    bo.unlink()  # fixed: a missing local CRM is made from the template

    order(group, "Skörd", SEED)  # Resultat's advice: the same seed again completes the split
    watch(workspace)
    again = runs_tab(group)[-1]
    assert again["Status"] == "Klar", again["Resultat"]
    assert len(_harvested(anna)) == had - 1  # her deletion stands
    assert len(_harvested(bo)) == had  # Bo got his share (the same number: everything was marked by both)
    assert "0 leads" in again["Resultat"].split(ANNA)[1].split(",")[0]  # nothing new for Anna


def test_a_claim_completed_under_the_harvests_own_id_keeps_a_members_deletion(workspace):  # noqa: F811
    group = workspace / "grupper" / "g1.xlsx"
    anna = workspace / "studerande" / "anna.xlsx"
    order(group, "Skörd", SEED)
    watch(workspace)
    harvest_id = re.search(r"körning (\d{8}-\d{6}-[0-9a-f]{4})", runs_tab(group)[-1]["Resultat"]).group(1)
    had = _delete_first_harvested(anna)
    # a watch stopped after the harvest wrote, before it answered: found Kör with the harvest's id
    order(group, "Skörd", SEED, Status="Kör", Resultat=claim_text(harvest_id, dt.datetime.now()))
    (answer,) = watch(workspace).answers
    assert answer.status == "Klar", answer.result
    assert len(_harvested(anna)) == had - 1


def test_a_new_split_of_other_wishes_copies_again_what_an_earlier_split_copied(workspace):  # noqa: F811
    """Only this split's own copies count: another split (the wishes changed) is a new harvest."""
    group = workspace / "grupper" / "g1.xlsx"
    anna = workspace / "studerande" / "anna.xlsx"
    assert cli_run("harvest", group, "--seed", SEED, "--apply").exit_code == 0
    had = _delete_first_harvested(anna)
    wb = openpyxl.load_workbook(group)  # Bo takes back his wish for one company: other wishes
    ws = wb["Skörd"]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Företag")
    headers = [c.value for c in ws[top]]
    ws.cell(top + 1, headers.index(BO) + 1).value = None
    wb.save(group)
    again = cli_run("harvest", group, "--seed", "another meeting", "--apply")
    assert again.exit_code == 0, again.output
    assert len(_harvested(anna)) == had
