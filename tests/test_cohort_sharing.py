"""Sharing changes in Ändringslogg (sharing/access_log): the pure parts, planned from Drive's
permissions and the log; the Google round trip is in test_cohort_google."""

from __future__ import annotations

from chas_sheets.sharing.access_log import (
    SHARING,
    AccessChange,
    change_to,
    log_rows,
    logged,
    plan_restore,
    role_of,
)
from chas_sheets.sheet.changelog import LOG_TAB
from chas_sheets.sheet.tables import RawWorkbook, load_table

OWNER = {"type": "user", "role": "owner", "emailAddress": "tool@example.iam.gserviceaccount.com"}


def person(email: str, role: str) -> dict:
    return {"type": "user", "role": role, "emailAddress": email}


def log(*rows) -> object:
    headers = ["Körning", "Tid", "Kommando", "Flik", "Rad-ID", "Kolumn", "Före", "Efter"]
    grid = [headers] + [[r[0], "2026-11-10 10:00:00", "cohort move", "", r[1], r[2], r[3], r[4]] for r in rows]
    return load_table(RawWorkbook([LOG_TAB], {LOG_TAB: grid}, "crm"), LOG_TAB)


def test_a_persons_role_is_their_highest_and_case_does_not_matter():
    permissions = [OWNER, person("Ann@X.se", "reader"), person("ann@x.se ", "writer"),
                   {"type": "domain", "role": "writer", "domain": "x.se"}]
    assert role_of(permissions, "ann@x.se") == "writer"
    assert role_of(permissions, "bo@x.se") == ""  # a domain permission is nobody's own access


def test_change_to_says_what_changes_and_never_touches_an_owner():
    permissions = [OWNER, person("ann@x.se", "writer")]
    assert change_to(permissions, "ann@x.se", "writer") is None
    assert change_to(permissions, "ann@x.se", "reader") == AccessChange("ann@x.se", "writer", "reader")
    assert change_to(permissions, "bo@x.se", "writer") == AccessChange("bo@x.se", "", "writer")
    assert change_to(permissions, OWNER["emailAddress"], "") is None


def test_log_rows_are_ordinary_andringslogg_rows_with_their_own_kolumn():
    [row] = log_rows([AccessChange("ann@x.se", "writer", "")], "cohort move")
    assert row.tab == LOG_TAB
    assert row.values == {"Rad-ID": "ann@x.se", "Kolumn": SHARING, "Före": "writer", "Efter": ""}


def test_a_runs_changes_to_one_person_collapse_to_first_before_and_last_after():
    table = log(("R1", "ann@x.se", SHARING, "writer", "reader"), ("R2", "ann@x.se", SHARING, "reader", ""),
                ("R1", "Ann@x.se", SHARING, "reader", ""), ("R1", "L-1", "Status", "Ny", "Kontaktad"))
    assert logged(table, "R1") == [(2, AccessChange("ann@x.se", "writer", ""))]
    assert logged(table, "R3") == []


def test_restore_is_compare_and_set():
    entries = [(2, AccessChange("ann@x.se", "writer", "")), (3, AccessChange("bo@x.se", "", "writer")),
               (4, AccessChange("cy@x.se", "writer", "reader")), (5, AccessChange("di@x.se", "", "writer"))]
    permissions = [OWNER, person("bo@x.se", "writer"), person("cy@x.se", "writer"), person("di@x.se", "reader")]
    plan = plan_restore(entries, permissions)
    assert plan.changes == [AccessChange("ann@x.se", "", "writer"), AccessChange("bo@x.se", "writer", "")]
    assert plan.already == 1  # cy is an editor again already
    assert plan.left == ["sharing (Ändringslogg row 5): access changed after the run (the run left editor, now "
                         "read-only)"]
    assert plan.planned == ["sharing (Ändringslogg row 2): no access -> editor",
                            "sharing (Ändringslogg row 3): editor -> no access"]
