"""google_window's pure parts: which rows the write copies, how a copy is checked, what the
undo sends, and which scratch tabs a take may delete."""

from __future__ import annotations

import datetime as dt

from chas_sheets.backends import google_window as window
from chas_sheets.backends.google_format import SheetInfo
from chas_sheets.sheet.writeplan import Formula, TabWrites

NOW = dt.datetime(2027, 5, 12, 9, 0, tzinfo=dt.timezone.utc)


def test_only_scratch_tabs_older_than_the_lease_go_with_a_take():
    young = SheetInfo(1, window.scratch_title(NOW - dt.timedelta(seconds=60), "ab", 0), 6, 5, 26)
    old = SheetInfo(2, window.scratch_title(NOW - dt.timedelta(seconds=400), "cd", 0), 7, 5, 26)
    unreadable = SheetInfo(3, window.SCRATCH_PREFIX + "x", 8, 5, 26)
    kept = SheetInfo(4, window.KEPT_PREFIX + "2027-05-12 08.00.00 1", 9, 5, 26)  # a person is to look at it
    leads = SheetInfo(5, "Leads", 0, 1000, 26)
    assert window.stale_scratch([young, old, unreadable, kept, leads], NOW, 300) == [2, 3]


def test_a_write_copies_the_rows_it_writes_or_deletes_inside_the_grid():
    writes = TabWrites("Leads", cells={(2, 19): "ny", (7, 15): "Ja"}, deletes=[4], first_append_row=9,
                       appends=[["L-NEW"]])
    infos = {"Leads": SheetInfo(11, "Leads", 0, 8, 21)}
    done = window.written({"Leads": writes}, infos)
    assert done[0].cells == {(1, 19): "ny", (6, 15): "Ja", (8, 0): "L-NEW"} and done[0].deleted == [3]
    ids = iter([90])
    caps = window.plan_captures(window.write_rows(done), infos, lambda: next(ids), lambda n: f"k{n}")
    assert [(c.rows, c.width) for c in caps] == [([1, 3, 6], 21)]  # row 9 is beyond the 8-row grid: nothing there
    requests = window.capture_requests(caps)
    assert requests[0]["addSheet"]["properties"]["hidden"] is True
    assert requests[0]["addSheet"]["properties"]["gridProperties"] == {"rowCount": 7, "columnCount": 21}
    # recorded in the same batch (spreadsheet-level), so a later run finds it without reading every tab
    assert requests[1]["createDeveloperMetadata"]["developerMetadata"] == {
        "metadataKey": window.SCRATCH_KEY, "metadataValue": "90 k0", "location": {"spreadsheet": True},
        "visibility": "DOCUMENT"}
    pastes = [r["copyPaste"] for r in requests[2:]]
    assert [(p["source"]["startRowIndex"], p["destination"]["startRowIndex"]) for p in pastes] == [(1, 1), (3, 3),
                                                                                                    (6, 6)]
    assert window.response_ranges(caps, ["Leads"]) == ["'k0'!A2:U2", "'k0'!A4:U4", "'k0'!A7:U7", "'Leads'!A1:A1"]


def test_many_scattered_rows_come_back_as_one_range():
    cap = window.Capture("Leads", 1, 2, "k", list(range(0, 400, 2)), 3)
    assert window.response_ranges([cap], []) == ["'k'!A1:C399"]


def test_a_copy_is_checked_cell_by_cell_and_a_formula_by_its_text():
    cap = window.Capture("Leads", 1, 2, "k", [1, 2], 3)
    verify = [["ID", "Företag", "Summa"], ["L-A", "Volvo", Formula("=B2&C1", "VolvoSumma")], ["L-B", "Saab"]]
    same = [[], ["L-A", "Volvo", Formula("=B2&C1", "annat resultat")], ["L-B", "Saab", None]]
    assert window.moved_rows([cap], {"k": same}, {"Leads": window.as_read(verify)}) == []
    sorted_ = [[], ["L-B", "Saab"], ["L-A", "Volvo", Formula("=B2&C1", "")]]
    assert window.moved_rows([cap], {"k": sorted_}, {"Leads": window.as_read(verify)}) == [("Leads", 2), ("Leads", 3)]
    assert window.moved_rows([cap], {}, {"Leads": window.as_read(verify)}) == [("Leads", 2), ("Leads", 3)]


def test_the_undo_inserts_deleted_rows_first_then_pastes_back_only_what_was_written():
    done = [window.Written("Leads", 11, {(1, 19): "ny", (9, 0): "L-NEW"}, [3, 6]),
            window.Written("Ändringslogg", -1, created=True)]
    cap = window.Capture("Leads", 11, 90, "k", [1, 3, 6], 21)
    inserts, rest, touched = window.undo_requests(done, [cap], {"Ändringslogg": 55})
    assert [r["insertDimension"]["range"]["startIndex"] for r in inserts] == [3, 6]  # ascending: back where they were
    kinds = [(next(iter(r)), r.get("copyPaste", r.get("updateCells", {})).get("destination", r.get("updateCells", {})
                                                                             .get("range", {})).get("startRowIndex"))
             for r in rest]
    assert kinds == [("copyPaste", 1), ("copyPaste", 3), ("copyPaste", 6), ("updateCells", 9),  # beyond the grid
                     ("deleteSheet", None)]  # the log tab the write added
    one_cell = rest[0]["copyPaste"]["source"]
    assert (one_cell["startColumnIndex"], one_cell["endColumnIndex"]) == (19, 20)  # only the cell it wrote
    whole = rest[1]["copyPaste"]["source"]
    assert (whole["startColumnIndex"], whole["endColumnIndex"]) == (0, 21)  # a deleted row comes back whole
    assert touched == {"Leads": [1, 3, 6, 9]}
