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

import openpyxl
import pytest
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

SEED = "Lotto 2027-04-05: 3 8 15 22 31 34 35"


@pytest.mark.xfail(strict=True, reason="watch writes the harvest's English, command-line error into a Swedish "
                                       "sheet's Resultat ('these wishes were already split ... run with --seed')")
def test_a_second_skord_is_answered_in_swedish_without_command_line_advice(workspace):  # noqa: F811 - the fixture imported above
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Skörd", SEED)
    order(group, "Skörd", "Lotto 2027-04-06: 1 2 3 4 5 6 7")  # a second member, another seed
    watch(workspace)
    second = runs_tab(group)[-1]
    assert second["Status"] == "Fel"  # right: the wishes were split once
    assert "--seed" not in second["Resultat"] and "wishes" not in second["Resultat"]


@pytest.mark.xfail(strict=True, reason="watch writes 'no run ... in Ändringslogg of <file path>; latest runs: ...' "
                                       "in English into Resultat for an Ångra with a mistyped run id")
def test_an_angra_with_a_mistyped_run_id_is_answered_in_swedish(workspace):  # noqa: F811 - the fixture imported above
    group = workspace / "grupper" / "g1.xlsx"
    order(group, "Ångra", "20270403-101010-abcd")
    watch(workspace)
    answer = runs_tab(group)[-1]
    assert answer["Status"] == "Fel"
    assert "no run" not in answer["Resultat"] and "latest runs" not in answer["Resultat"]


@pytest.mark.xfail(strict=True, reason="Skörd on a group whose Skörd tab was never prepared is 'Klar' with 0 "
                                       "companies for everyone instead of Fel saying the tab is empty")
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


def _harvested(path):
    ws = openpyxl.load_workbook(path)["Leads"]
    headers = [c.value for c in ws[1]]
    source = headers.index("Källa")
    return [r for r in range(2, ws.max_row + 1) if str(ws.cell(r, source + 1).value or "").startswith("Skörd")]


@pytest.mark.xfail(strict=True, reason="re-running a harvest to complete it (README: 'run the same command again') "
                                       "copies back a lead a member deleted from their own CRM since")
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
