"""`Beställd av`: filled only where the API proves who ordered a request.

Drive's revisions cannot prove who typed a row (a Sheets revision names only the last of the
people who edited within it; the drive.v3 description of `Revision.lastModifyingUser` is "the
last user to modify this revision", and revisions.list "might be incomplete" for Sheets). Who
CAN edit is exact: a CRM one person besides the tool may edit has its new requests written by
that person. One Drive request, only on a poll that finds new requests.
"""

from __future__ import annotations

import datetime as dt

import pytest
from emulator_workspace import EmulatorWorkspace

from chas_sheets.backends.google import sole_editor_of
from chas_sheets.backends.google_http import EMULATOR_ACCOUNT, RetryPolicy
from chas_sheets.emulator import make_app
from chas_sheets.runner import read_tables
from chas_sheets.watch.requests import Request, claim, finished, first_seen, ordered_by, waiting
from chas_sheets.watch.service import Watch

TODAY = dt.date(2027, 4, 3)
NOW = dt.datetime(2027, 4, 3, 10, 0)
ANNA, BO = "anna@skola.example.se", "bo@skola.example.se"
OWN = EMULATOR_ACCOUNT


def user(email, role="writer"):
    return {"type": "user", "role": role, "emailAddress": email}


# The rule -------------------------------------------------------------------------------------
def test_one_editor_besides_the_tool_is_named():
    assert sole_editor_of([user(OWN, "owner"), user(ANNA)], OWN) == ANNA
    assert sole_editor_of([user(OWN, "owner"), user(ANNA, "owner")], OWN) == ANNA
    # readers and commenters cannot type a row
    assert sole_editor_of([user(OWN, "owner"), user(ANNA), user(BO, "reader"), user(BO, "commenter")], OWN) == ANNA


@pytest.mark.parametrize("permissions", [
    [user(OWN, "owner"), user(ANNA), user(BO)],  # two people may have typed it
    [user(OWN, "owner"), user(ANNA), {"type": "anyone", "role": "writer"}],  # anyone with the link
    [user(OWN, "owner"), user(ANNA), {"type": "domain", "role": "writer", "domain": "skola.example.se"}],
    [user(OWN, "owner"), {"type": "group", "role": "writer", "emailAddress": "grupp1@skola.example.se"}],
    [user(OWN, "owner")],  # only the tool
    [],  # Drive lists no permissions (a shared drive's file, or no right to see them)
    None,
])
def test_anything_else_is_not_proof(permissions):
    assert sole_editor_of(permissions, OWN) is None


def test_a_first_seen_row_gets_the_orderer_once_and_a_typed_one_is_kept():
    new = Request("J-1", 2, "Bearbetade", "", "", "", "", True)
    seen = Request("J-2", 3, "Bearbetade", "", "Väntar", "2027-04-03 09:58", "", True)
    typed = Request("J-3", 4, "Bearbetade", "", "", "", "", True, ordered_by="Anna P")
    marked = ordered_by([new, seen, typed], ANNA)
    assert [r.orderer for r in marked] == [ANNA, "", ANNA]
    assert first_seen(marked) == [marked[0], marked[2]]
    for changes in (claim(marked[0], "20270403-100000-abcd", NOW), waiting(marked[0], NOW),
                    finished(marked[0], "Klar", "klart", NOW)):
        assert [(c.column, c.old, c.new) for c in changes.cells if c.column == "Beställd av"] == [
            ("Beställd av", None, ANNA)]
    assert not [c for c in claim(marked[2], "20270403-100000-abcd", NOW).cells if c.column == "Beställd av"]
    assert ordered_by([new], None) == [new]


# On the emulator -------------------------------------------------------------------------------
@pytest.fixture
def ws():
    return EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=30, sleep=lambda seconds: None))


def _crm_with_a_request(ws, share):
    crm = ws.fill("student", {"Leads": [{"ID": "L-AAAAAA", "Företag": "Volvo", "Status": "Ny"}],
                              "Körningar": [{"Jobb": "Bearbetade"}]})
    crm.share(share, notify=False)
    register = ws.fill("register", {"Studerande": [{"Namn": "Anna", "Grupp": "G1", "Individuellt CRM": crm.target}]})
    return register, crm


def _runs(ws, crm):
    table = read_tables(ws.open(crm.target), ["Körningar"])["Körningar"]
    return [{c: table.df.at[r, c] for c in table.df.columns} for r in table.df.index]


def _drive_gets(ws, poll) -> tuple[object, int]:
    before = ws.app.stats()
    result = poll()
    after = ws.app.stats()
    return result, after["byMethod"].get("drive.files.get", 0) - before["byMethod"].get("drive.files.get", 0)


def test_a_crm_only_its_student_can_edit_has_her_as_the_orderer(ws, tmp_path):
    register, crm = _crm_with_a_request(ws, [ANNA])
    service = Watch(register.target, ws.open, ws.detector(), tmp_path / "state.json", today=lambda: TODAY)
    first, asked = _drive_gets(ws, service.poll)
    assert [(a.job, a.status) for a in first.answers] == [("Bearbetade", "Klar")]
    (row,) = _runs(ws, crm)[:1]
    assert row["Beställd av"] == ANNA and row["Beställd"]
    assert asked == 1  # the one request that tells who can edit
    _second, asked = _drive_gets(ws, service.poll)  # reads its own write again: no new request there
    third, asked_quiet = _drive_gets(ws, service.poll)
    assert asked == 0 and asked_quiet == 0 and third.read == []


def test_a_crm_two_people_can_edit_leaves_the_orderer_blank(ws, tmp_path):
    register, crm = _crm_with_a_request(ws, [ANNA, BO])
    service = Watch(register.target, ws.open, ws.detector(), tmp_path / "state.json", today=lambda: TODAY)
    first = service.poll()
    assert [(a.job, a.status) for a in first.answers] == [("Bearbetade", "Klar")]
    (row,) = _runs(ws, crm)[:1]
    assert not row["Beställd av"] and row["Status"] == "Klar"


def test_a_drive_refusal_leaves_the_orderer_blank_and_serves_the_request(ws, tmp_path, monkeypatch):
    from chas_sheets.backends.google import GoogleSpreadsheet
    from chas_sheets.backends.google_http import GoogleApiError

    register, crm = _crm_with_a_request(ws, [ANNA])

    def refused(self, url, params=None):
        raise GoogleApiError(403, "Request had insufficient authentication scopes.")

    real_client = GoogleSpreadsheet._client

    def client(self, *scopes):
        found = real_client(self, *scopes)
        if scopes:
            found.get_json = refused.__get__(found)
        return found

    monkeypatch.setattr(GoogleSpreadsheet, "_client", client)
    service = Watch(register.target, ws.open, ws.detector(), tmp_path / "state.json", today=lambda: TODAY)
    assert [(a.job, a.status) for a in service.poll().answers] == [("Bearbetade", "Klar")]
    monkeypatch.undo()
    (row,) = _runs(ws, crm)[:1]
    assert not row["Beställd av"]
