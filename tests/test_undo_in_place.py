"""undo puts a removed row back where it stood (between the neighbours its removal logged), on
the local backend and on the Google emulator: a person's range formula over the rows grows back
over it; a sort since, a neighbour deleted since and a log from before the place was logged are
each handled and said."""

from __future__ import annotations

import datetime as dt
import json

import gspread
import openpyxl
import pytest
from test_backend_contract import GoogleHarness, LocalHarness, harness  # noqa: F401 (harness: a fixture)
from test_undo import undo

from chas_sheets.dedupe.plan import plan_dedupe
from chas_sheets.runner import execute, read_tables
from chas_sheets.sheet.rowplace import RowPlace, RowSlots, final_rows, place_of

TODAY = dt.date(2027, 5, 12)
LEADS = [
    {"ID": "L-AAAAAA", "Företag": "Volvo Personvagnar AB", "Kontaktperson": "Anna Svensson", "Status": "Ny",
     "Tillagd": dt.date(2027, 3, 1)},
    {"ID": "L-BBBBBB", "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": "Anna Svensson", "Status": "Ny",
     "Tillagd": dt.date(2027, 3, 2), "Kommentar": "Dubblett?"},
    {"ID": "L-CCCCCC", "Företag": "Spotify AB", "Kontaktperson": "Maja Ek", "Status": "Dialog",
     "Tillagd": dt.date(2027, 3, 4)},
    {"ID": "L-DDDDDD", "Företag": "Ericsson AB", "Kontaktperson": "Lisa Berg", "Status": "Ny",
     "Tillagd": dt.date(2027, 3, 5)},
]
SUMMARY = "=COUNTA(Leads!B2:B5)"  # a person's count of the leads, on a tab of their own


def order(backend) -> list[str]:
    """The leads' IDs top to bottom, as the tab shows them."""
    table = read_tables(backend, ["Leads"])["Leads"]
    return sorted(table.df.index, key=lambda row_id: table.sheet_rows[row_id])


def with_summary(harness, leads=LEADS):  # noqa: F811 (the fixture)
    backend = harness.create("group", Leads=leads)
    if isinstance(harness, LocalHarness):
        def write(wb):
            wb.create_sheet("Översikt")["B1"] = SUMMARY
        harness._edit(write)
    else:
        harness.book.add_worksheet("Översikt", 10, 4).update([[SUMMARY]], "B1", value_input_option="USER_ENTERED")
    return backend


def summary(harness) -> str:  # noqa: F811 (the fixture)
    if isinstance(harness, LocalHarness):
        return openpyxl.load_workbook(harness.backend.path)["Översikt"]["B1"].value
    return harness.book.worksheet("Översikt").acell("B1", value_render_option="FORMULA").value


def dedupe(backend) -> str:
    changes, _ = plan_dedupe(read_tables(backend, ["Leads"], ["Kontaktlogg"]), [], TODAY)
    outcome = execute(backend, changes, "dedupe", apply=True)
    assert outcome.written
    return outcome.run.run_id


def person_reorders(harness, ids: list[str]) -> None:  # noqa: F811 (the fixture)
    """A person sorts Leads: its rows, whole, in the order of `ids`."""
    if isinstance(harness, LocalHarness):
        def write(wb):
            ws = wb["Leads"]
            rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2) if r[0].value}
            for offset, row_id in enumerate(ids, start=2):
                for col, value in enumerate(rows[row_id], start=1):
                    ws.cell(row=offset, column=col).value = value
        harness._edit(write)
        return
    ws = harness.book.worksheet("Leads")
    rows = {r[0]: r for r in ws.get_all_values()[1:] if r and r[0]}
    ws.update([rows[row_id] for row_id in ids], "A2", raw=True)


def person_deletes(harness, row_id: str) -> None:  # noqa: F811 (the fixture)
    """A person deletes a lead's row (right-click, delete row)."""
    if isinstance(harness, LocalHarness):
        def write(wb):
            ws = wb["Leads"]
            ws.delete_rows(next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == row_id))
        harness._edit(write)
        return
    ws = harness.book.worksheet("Leads")
    ws.delete_rows(ws.col_values(1).index(row_id) + 1)


def blank_places(harness) -> None:  # noqa: F811 (the fixture)
    """The log as a version before this one wrote it: `Efter` of a removed row blank."""
    if isinstance(harness, LocalHarness):
        def write(wb):
            ws = wb["Ändringslogg"]
            headers = [c.value for c in ws[1]]
            for r in range(2, ws.max_row + 1):
                if ws.cell(row=r, column=headers.index("Kolumn") + 1).value == "(rad borttagen)":
                    ws.cell(row=r, column=headers.index("Efter") + 1).value = None
        harness._edit(write)
        return
    ws = harness.book.worksheet("Ändringslogg")
    grid = ws.get_all_values()
    for r, row in enumerate(grid[1:], start=2):
        if row[grid[0].index("Kolumn")] == "(rad borttagen)":
            ws.update([[""]], gspread.utils.rowcol_to_a1(r, grid[0].index("Efter") + 1), raw=True)


# --- the attack: a summary formula gets its row back ------------------------------------------

def test_undo_of_a_dedupe_gives_a_summary_formula_its_rows_back(harness):  # noqa: F811
    backend = with_summary(harness)
    run_id = dedupe(backend)
    assert order(backend) == ["L-AAAAAA", "L-CCCCCC", "L-DDDDDD"]
    assert summary(harness) == "=COUNTA(Leads!B2:B4)"  # the removal shrank it, as Excel and Google do
    log = read_tables(backend, ["Ändringslogg"])["Ändringslogg"].df
    removed = log[log["Kolumn"] == "(rad borttagen)"].iloc[0]
    assert RowPlace.from_log(removed["Efter"]) == RowPlace("L-AAAAAA", "L-CCCCCC")  # where it stood, by ID

    result = undo(harness, run_id)
    assert result.failed == [] and result.sheets[0].skipped == []
    assert any("re-inserted whole where it stood" in line for line in result.sheets[0].report.planned)
    assert order(backend) == ["L-AAAAAA", "L-BBBBBB", "L-CCCCCC", "L-DDDDDD"]  # its neighbours as before
    assert summary(harness) == SUMMARY  # ...and counted again
    back = read_tables(backend, ["Leads"])["Leads"]
    assert back.text("L-BBBBBB", "Företag") == "VOLVO PERSONVAGNAR AB"
    assert back.value("L-BBBBBB", "Tillagd") == dt.date(2027, 3, 2)  # a date again
    assert back.text("L-BBBBBB", "Kommentar") == "Dubblett?"


def test_two_neighbouring_rows_removed_by_one_run_come_back_in_their_order(harness):  # noqa: F811
    third = {"ID": "L-EEEEEE", "Företag": "Volvo Personvagnar", "Kontaktperson": "Anna Svensson", "Status": "Ny",
             "Tillagd": dt.date(2027, 3, 3)}
    backend = with_summary(harness, [*LEADS[:2], third, *LEADS[2:]])  # rows 3 and 4 are both Volvo's duplicates
    run_id = dedupe(backend)
    assert order(backend) == ["L-AAAAAA", "L-CCCCCC", "L-DDDDDD"]
    assert summary(harness) == "=COUNTA(Leads!B2:B3)"
    undo(harness, run_id)
    assert order(backend) == ["L-AAAAAA", "L-BBBBBB", "L-EEEEEE", "L-CCCCCC", "L-DDDDDD"]
    assert summary(harness) == "=COUNTA(Leads!B2:B5)"  # the range the person wrote covers rows 2..5 again


# --- what people did between the run and its undo ----------------------------------------------

def test_a_tab_sorted_since_gets_the_row_at_its_end_and_the_undo_says_why(harness):  # noqa: F811
    backend = with_summary(harness)
    run_id = dedupe(backend)
    person_reorders(harness, ["L-DDDDDD", "L-CCCCCC", "L-AAAAAA"])  # Företag, Ö to A
    result = undo(harness, run_id)
    assert result.failed == []
    assert order(backend) == ["L-DDDDDD", "L-CCCCCC", "L-AAAAAA", "L-BBBBBB"]  # nothing between wrong neighbours
    line = next(line for line in result.sheets[0].report.planned if "L-BBBBBB" in line)
    assert "at the end of the tab" in line and "no longer next to each other" in line
    assert "L-AAAAAA" in line and "L-CCCCCC" in line


@pytest.mark.parametrize("gone, expected", [
    ("L-AAAAAA", ["L-BBBBBB", "L-CCCCCC", "L-DDDDDD"]),  # the one above gone: above the one below
    ("L-CCCCCC", ["L-AAAAAA", "L-BBBBBB", "L-DDDDDD"]),  # the one below gone: below the one above
])
def test_a_neighbour_deleted_since_leaves_the_other_to_place_it(harness, gone, expected):  # noqa: F811
    backend = with_summary(harness)
    run_id = dedupe(backend)
    person_deletes(harness, gone)
    result = undo(harness, run_id)
    assert result.failed == [] and result.sheets[0].skipped == []
    assert order(backend) == expected
    assert any("L-BBBBBB" in line and "where it stood" in line for line in result.sheets[0].report.planned)


def test_both_neighbours_deleted_since_the_row_goes_at_the_end(harness):  # noqa: F811
    backend = with_summary(harness)
    run_id = dedupe(backend)
    person_deletes(harness, "L-AAAAAA")
    person_deletes(harness, "L-CCCCCC")
    result = undo(harness, run_id)
    assert order(backend) == ["L-DDDDDD", "L-BBBBBB"]
    line = next(line for line in result.sheets[0].report.planned if "L-BBBBBB" in line)
    assert "at the end of the tab" in line and "are gone" in line


def test_a_log_entry_written_before_places_were_logged_still_undoes_at_the_end(harness):  # noqa: F811
    backend = with_summary(harness)
    run_id = dedupe(backend)
    blank_places(harness)  # as the previous version logged a removed row: `Efter` blank
    result = undo(harness, run_id)
    assert result.failed == [] and result.sheets[0].skipped == []
    assert order(backend) == ["L-AAAAAA", "L-CCCCCC", "L-DDDDDD", "L-BBBBBB"]  # today's behaviour, as before
    assert any("L-BBBBBB" in line and "the log does not say where it stood" in line
               for line in result.sheets[0].report.planned)
    assert read_tables(backend, ["Leads"])["Leads"].text("L-BBBBBB", "Kommentar") == "Dubblett?"


def test_the_undo_of_the_undo_logs_the_place_again_and_a_third_undo_puts_it_back_there(harness):  # noqa: F811
    backend = with_summary(harness)
    first = undo(harness, dedupe(backend))
    second = undo(harness, first.run.run_id)  # the redo: the row goes again, its place logged anew
    assert order(backend) == ["L-AAAAAA", "L-CCCCCC", "L-DDDDDD"]
    undo(harness, second.run.run_id)
    assert order(backend) == ["L-AAAAAA", "L-BBBBBB", "L-CCCCCC", "L-DDDDDD"]
    assert summary(harness) == SUMMARY


# --- the pure parts -------------------------------------------------------------------------

def test_a_place_is_read_from_the_log_only_when_it_is_one():
    assert RowPlace.from_log(RowPlace("L-A", "").to_json()) == RowPlace("L-A", "")
    for old in (None, "", "x", "[1]", json.dumps({"above": 1, "below": "L-B"}), "{not json"):
        assert RowPlace.from_log(old) is None


def test_a_row_is_placed_among_its_nearest_neighbours_with_an_id():
    ids = {2: "L-A", 3: "L-B", 5: "L-C"}  # row 4 blank
    assert place_of(3, [2, 3, 5], ids) == RowPlace("L-A", "L-C")
    assert place_of(2, [2, 3, 5], ids) == RowPlace("", "L-B")  # first: only the header above
    assert place_of(5, [2, 3, 5], ids) == RowPlace("L-B", "")  # last: nothing below
    assert place_of(5, [2, 3, 5], ids, gone={3}) == RowPlace("L-A", "")  # a row removed before it does not count


def test_slots_put_rows_back_between_their_neighbours_and_number_them_after_the_deletions():
    slots = RowSlots({"L-A": 2, "L-C": 5, "L-D": 6}, header_row=1)  # rows 3 and 4 blank
    first = slots.put("L-B", RowPlace("L-A", "L-C"))  # blank rows between do not part neighbours
    second = slots.put("L-X", RowPlace("L-B", "L-C"))  # below a row put back in the same write
    top = slots.put("L-0", RowPlace("", "L-A"))  # under the header
    assert slots.put("L-Y", RowPlace("L-D", "L-A")) is None  # sorted apart: not placed
    assert slots.put("L-Z", RowPlace("L-GONE", "L-GONE2")) is None  # both gone: not placed
    assert slots.put("L-E", RowPlace("L-GONE", "L-D")) is not None  # one gone: the other places it
    assert final_rows([first, second, top], deleted=[]) == [2, 4, 5]  # L-0 on 2, L-A on 3, L-B on 4, L-X on 5
    assert final_rows([first, second], deleted=[2]) == [2, 3]  # L-A deleted by the same write


def test_why_a_row_goes_at_the_end_is_said_in_swedish_and_in_english():
    from chas_sheets import i18n
    from chas_sheets.sheet.writeplan import not_placed

    slots = RowSlots({"L-A": 3, "L-C": 2}, header_row=1)  # sorted: C now above A
    place = RowPlace("L-A", "L-C")
    assert slots.put("L-B", place) is None
    assert "no longer next to each other" in not_placed(place, slots)
    i18n.set_language("sv")
    assert not_placed(place, slots) == ("raderna den stod mellan (L-A, L-C) står inte längre intill varandra (fliken "
                                        "har sorterats, eller rader har flyttats eller lagts till mellan dem)")
    assert not_placed(RowPlace("L-X", ""), slots) == "raden som stod intill den (L-X) finns inte längre"
