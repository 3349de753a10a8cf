"""New row IDs are derived from the read, not drawn: a dry run shows exactly the IDs the
--apply right after writes, and a new ID is still never one the spreadsheet holds or its
Ändringslogg names (sheet/tables.new_id_factory)."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
from click.testing import CliRunner
from workbooks import write_rows

from chas_sheets.backends.local import LocalWorkbook
from chas_sheets.cli import cli
from chas_sheets.sheet.tables import load_table, load_tables, new_id_factory
from chas_sheets.watch.requests import listing_row

NEW_ID = re.compile(r"\b[LK]-[2-9A-HJ-NP-Z]{6}\b")
DAY = dt.date.today() - dt.timedelta(days=3)


def _crm(tmp_path, leads, log=(), name="crm.xlsx"):
    path = tmp_path / name
    LocalWorkbook(path).create("student")
    write_rows(path, "Leads", leads)
    if log:
        write_rows(path, "Kontaktlogg", list(log))
    return path


def _column(path, tab, header):
    ws = openpyxl.load_workbook(path)[tab]
    headers = [c.value for c in ws[1]]
    return [row[headers.index(header)] for row in ws.iter_rows(min_row=2, values_only=True)
            if any(v is not None for v in row)]


def test_the_dry_run_shows_the_ids_that_apply_then_writes(tmp_path):
    path = _crm(tmp_path, [{"Företag": "Volvo", "Status": "Ny"}, {"Företag": "Scania", "Status": "Ny"}],
                [{"Datum": DAY, "Företag": "Volvo", "Kanal": "Telefon", "Utfall": "Ja"},
                 {"Datum": DAY, "Företag": "Scania", "Kanal": "Mejl", "Utfall": "Nej"}])
    runner = CliRunner()
    dry = runner.invoke(cli, ["mark-processed", str(path)])
    assert dry.exit_code == 0, dry.output
    shown = set(NEW_ID.findall(dry.output))
    assert len(shown) == 2, dry.output  # Volvo's and Scania's new lead IDs, named in the plan

    applied = runner.invoke(cli, ["mark-processed", str(path), "--apply"])
    assert applied.exit_code == 0, applied.output
    assert set(NEW_ID.findall(applied.output)) == shown  # the apply planned the same IDs...
    written = set(_column(path, "Leads", "ID"))
    assert written == shown  # ...and wrote them
    assert set(_column(path, "Kontaktlogg", "Lead-ID")) == shown  # the log names them too


def test_the_same_read_gives_the_same_ids_and_rows_alike_get_different_ones(tmp_path):
    path = _crm(tmp_path, [{"Företag": "Volvo"}, {"Företag": "Volvo"}, {"Företag": "Scania"}])
    first = load_table(LocalWorkbook(path).read(), "Leads")
    again = load_table(LocalWorkbook(path).read(), "Leads")
    ids = [a.new for a in first.id_assignments]
    assert ids == [a.new for a in again.id_assignments]
    assert len(set(ids)) == 3  # two Volvo rows alike: still two IDs


def test_a_derived_id_that_the_log_names_is_not_given_again(tmp_path):
    """A row removed, and later typed again as it was, gets a new ID: its old one is in Ändringslogg."""
    path = _crm(tmp_path, [{"Företag": "Volvo"}])
    derived = load_table(LocalWorkbook(path).read(), "Leads").id_assignments[0].new
    write_rows(path, "Ändringslogg", [{"Körning": "20270101-000000-abcd", "Tid": "2027-01-01 00:00:00",
                                       "Kommando": "dedupe", "Flik": "Leads", "Rad-ID": derived,
                                       "Kolumn": "(rad borttagen)", "Före": '{"Företag": "Volvo"}'}])
    tables = load_tables(LocalWorkbook(path).read(), ["Leads"])
    (assignment,) = tables["Leads"].id_assignments
    assert assignment.new != derived and NEW_ID.fullmatch(assignment.new)


def test_a_factory_never_returns_a_taken_id_and_unseeded_calls_follow_the_ids_held():
    taken: set[str] = set()
    make = new_id_factory("L", taken)
    first = make("same seed")
    second = make("same seed")
    assert first != second and {first, second} <= taken
    # A spreadsheet's IDs decide the sequence of calls without a seed (the harvest's copies):
    # the same read gives the same sequence, another spreadsheet another one

    def sequence(held):
        make = new_id_factory("K", set(held))
        return [make(), make()]

    assert sequence({"K-AAAAAA"}) == sequence({"K-AAAAAA"})
    assert len(set(sequence({"K-AAAAAA"}))) == 2
    assert sequence({"K-AAAAAA"}) != sequence({"K-BBBBBB"})


def test_each_listed_run_gets_its_own_row_id():
    started = dt.datetime(2027, 5, 12, 8, 0)
    a = listing_row("dedupe", "20270512-080000-aaaa", started, "1 cell")
    b = listing_row("dedupe", "20270512-080000-bbbb", started, "1 cell")
    assert a.values["ID"] != b.values["ID"]
    assert a.values["ID"] == listing_row("dedupe", "20270512-080000-aaaa", started, "1 cell").values["ID"]


def test_a_row_typed_again_after_its_id_was_logged_gets_the_next_id_on_a_read_without_the_log(tmp_path):
    """mark-processed plans without reading Ändringslogg: the derived ID may be one the log names
    (the row was removed, then typed again as it was). It is not skipped run after run: the row
    gets the next ID derived for it, and the contact log's link names that one."""
    path = _crm(tmp_path, [{"Företag": "Volvo", "Status": "Ny"}],
                [{"Datum": DAY, "Företag": "Volvo", "Kanal": "Telefon", "Utfall": "Ja"}])
    planned = load_table(LocalWorkbook(path).read(["Leads"]), "Leads").id_assignments[0].new
    write_rows(path, "Ändringslogg", [{"Körning": "20270101-000000-abcd", "Tid": "2027-01-01 00:00:00",
                                       "Kommando": "dedupe", "Flik": "Leads", "Rad-ID": planned,
                                       "Kolumn": "(rad borttagen)", "Före": '{"Företag": "Volvo"}'}])
    result = CliRunner().invoke(cli, ["mark-processed", str(path), "--apply"])
    assert result.exit_code == 0, result.output
    (written,) = _column(path, "Leads", "ID")
    assert written != planned and NEW_ID.fullmatch(written)
    assert _column(path, "Kontaktlogg", "Lead-ID") == [written]
    assert "skipped" not in result.output
