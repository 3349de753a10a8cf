"""Commands read only the tabs they need: Ändringslogg, which grows with every run, only when a
command names it; a new ID is still never one the log names, checked when it is written."""

from __future__ import annotations

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet, IdAssignment
from chas_sheets.sheet.tables import RawWorkbook, row_texts
from chas_sheets.sheet.writeplan import RunInfo, resolve

LOG_HEADERS = ["Körning", "Tid", "Kommando", "Flik", "Rad-ID", "Kolumn", "Före", "Efter"]


def test_a_command_does_not_read_the_change_log_unless_it_names_it(make_crm, monkeypatch):
    path = make_crm("student", "crm.xlsx", Leads=[{"ID": "L-AAAAAA", "Företag": "Volvo Cars"}])
    asked = []
    real = LocalWorkbook.read
    monkeypatch.setattr(LocalWorkbook, "read", lambda self, tabs=None: asked.append(tabs) or real(self, tabs))
    read_tables(LocalWorkbook(path), ["Leads"], ["Kontaktlogg"])
    read_tables(LocalWorkbook(path), ["Leads"], ["Ändringslogg"])
    assert asked == [["Leads", "Kontaktlogg"], ["Leads", "Ändringslogg"]]


def test_a_new_id_the_log_names_is_not_written_nor_anything_naming_it():
    leads = [["ID", "Företag", "Status"], [None, "Volvo Cars", "Ny"], ["L-BBBBBB", "Spotify", "Ny"]]
    log = [LOG_HEADERS, ["R-1", "2027-05-01 10:00:00", "dedupe", "Leads", "L-REUSE", "(rad borttagen)", "x", ""]]
    fresh = RawWorkbook(["Leads", "Ändringslogg"], {"Leads": leads, "Ändringslogg": log}, "crm.xlsx")
    changes = ChangeSet()
    changes.ids.append(IdAssignment("Leads", 2, row_texts(leads[1], 0), None, "L-REUSE"))
    changes.set_cell("Leads", "L-REUSE", "Status", "Ny", "Kontaktad")
    changes.set_cell("Leads", "L-BBBBBB", "Status", "Ny", "Kontaktad")
    plan = resolve(changes, fresh, RunInfo.new("test"))
    written = plan.tabs["Leads"].cells
    # The row gets the next derived ID instead (IDs are derived, so a dry run shows what --apply
    # writes); the one the log names is written nowhere, and the plan's cells follow the new ID.
    values = list(written.values())
    new_ids = [v for v in values if isinstance(v, str) and v.startswith("L-")]
    assert len(new_ids) == 1 and new_ids[0] not in ("L-REUSE", "L-BBBBBB")
    assert sorted(v for v in values if v not in new_ids) == ["Kontaktad", "Kontaktad"]
    assert "L-REUSE" not in values
