"""The nightly's memory does not grow with the number of CRMs: what it keeps of each CRM until
the cross-CRM figures is its summary's encoded text, no more than a few summaries are decoded
at once, and a CRM's workbook and tables are gone before the next CRM is read, also under the
CLI's batch-tuned garbage collector (which would otherwise leave their reference cycles to the
end of the run). Counted with the collector's own list of live objects, so nothing is timed.
The cross-CRM `Överbearbetning` keeps a few integers per lead, never every lead of every CRM at
once: its traced peak hardly moves when the CRMs are doubled (a ratio of two peaks of one run)."""

from __future__ import annotations

import datetime as dt
import gc
import random
import tracemalloc

import openpyxl
import pytest

from chas_sheets.backends import open_spreadsheet
from chas_sheets.cli import GC_THRESHOLDS
from chas_sheets.nightly import report as report_module
from chas_sheets.nightly import run as run_module
from chas_sheets.nightly import state
from chas_sheets.nightly.crm_summary import CrmSummary
from chas_sheets.nightly.report import CrmOwner
from chas_sheets.nightly.run import run_nightly
from chas_sheets.nightly.state import DECODED_KEPT, Everything, PackedSummary
from chas_sheets.sheet.tables import Table

TODAY = dt.date(2027, 5, 12)
CRMS = 8  # more than DECODED_KEPT, so keeping every summary decoded shows


def _live(kind: type) -> int:
    return sum(isinstance(o, kind) for o in gc.get_objects())


@pytest.fixture
def register(make_crm):
    students = []
    for n in range(CRMS):
        leads = [{"Företag": f"Bolag {n}-{i} AB", "Kontaktperson": f"Person {i}", "Tillagd": dt.date(2027, 5, 1)}
                 for i in range(6)]
        log = [{"Datum": dt.date(2027, 5, 3), "Företag": f"Bolag {n}-0 AB", "Kanal": "Telefon", "Utfall": "Inget svar"}]
        make_crm("student", f"studerande/s{n}.xlsx", Leads=leads, Kontaktlogg=log)
        students.append({"Namn": f"Studerande {n}", "Grupp": "G1", "Individuellt CRM": f"studerande/s{n}.xlsx"})
    return make_crm("register", "register.xlsx", Studerande=students)


@pytest.fixture
def batch_collector():
    """The collector as the CLI tunes it for batch work (cli.tune_garbage_collector), without
    freezing the test process's objects."""
    before = gc.get_threshold()
    state._unpacked.cache_clear()  # summaries other tests decoded
    gc.collect()
    gc.set_threshold(*GC_THRESHOLDS)
    yield
    gc.set_threshold(*before)


def test_one_crms_workbook_and_tables_at_a_time_and_summaries_kept_encoded(register, monkeypatch, batch_collector):
    alive = []  # as each CRM is read: (openpyxl workbooks, tables, decoded summaries) of those before
    read_crm = run_module._Night._read_crm
    # what other tests of this process left alive is no part of the night
    before = (_live(openpyxl.Workbook), _live(Table), _live(CrmSummary))

    def counting(self, job):
        now = (_live(openpyxl.Workbook), _live(Table), _live(CrmSummary))
        alive.append(tuple(n - b for n, b in zip(now, before)))
        read_crm(self, job)

    monkeypatch.setattr(run_module._Night, "_read_crm", counting)
    decoded_while_reporting = []
    overprocessing = report_module.overprocessing

    def counting_overprocessing(owners, summaries, today):
        found = overprocessing(owners, summaries, today)  # it reads every CRM's leads and attempts
        decoded_while_reporting.append(_live(CrmSummary) - before[2])
        return found

    monkeypatch.setattr(report_module, "overprocessing", counting_overprocessing)
    result = run_nightly(open_spreadsheet(str(register)), TODAY, apply=True, open_backend=open_spreadsheet,
                         detector=Everything())

    assert len(alive) == CRMS
    assert all(o.written for o in result.report.crms.values())  # each CRM was written: a workbook loaded
    # each CRM's read finds those before it gone (the one workbook: the register's own read)
    assert max(workbooks for workbooks, _, _ in alive) <= 1, alive
    assert max(tables for _, tables, _ in alive) == 0, alive
    assert max(summaries for _, _, summaries in alive) <= 1, alive
    # the figures decode one CRM at a time: never every CRM's summary at once
    assert decoded_while_reporting and decoded_while_reporting[0] <= DECODED_KEPT
    assert all(isinstance(o.summary, PackedSummary) for o in result.report.crms.values())
    # and what is kept is exactly what was planned: the figures read the same through the text
    packed = next(iter(result.report.crms.values())).summary
    assert packed.unpacked().leads == 6 and packed.leads == 6 and len(packed.lead_rows) == 6


def test_a_packed_summary_answers_as_the_summary_it_encodes():
    summary = CrmSummary("individual", leads=2, lead_rows=[["L-1", "A AB", "", "", "", "2027-05-01", "Anna", ""]],
                         attempts=[["2027-05-03", "Anna", ["L-1"]]], offers=1, interviews=2)
    packed = PackedSummary.of(summary)
    assert isinstance(packed, PackedSummary) and packed.text.startswith("z1:")
    assert packed.unpacked() == summary
    assert packed.live_offers == 3  # a property of CrmSummary
    assert packed.attempt_dates() == [(dt.date(2027, 5, 3), "Anna")]  # a method
    assert PackedSummary.from_text("") is None and PackedSummary.from_text("z1:damaged") is None


def _aggregation_peak(crms: int, aggregate=None) -> int:
    """Traced peak bytes of `Överbearbetning`'s aggregation over `crms` CRMs of 100 leads kept as
    the night keeps them (encoded), above what was allocated before it."""
    rng = random.Random("aggregation")
    companies = [f"Företag {n} AB" for n in range(400)]
    owners, summaries = [], {}
    for n in range(crms):
        rows = [[f"L-{i}", rng.choice(companies), "", "", "", "2027-05-01", "", ""] for i in range(100)]
        attempts = [[f"2027-05-{rng.randrange(1, 12):02}", "", [f"L-{rng.randrange(100)}"]] for _ in range(100)]
        summary = CrmSummary("individual", leads=100, lead_rows=rows, attempts=attempts)
        summaries[f"studerande/s{n}.xlsx"] = PackedSummary.of(summary)
        owners.append(CrmOwner(f"studerande/s{n}.xlsx", "individual", f"Studerande {n}"))
    state._unpacked.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        found = (aggregate or report_module.overprocessing)(owners, summaries, TODAY)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert found  # 100 leads a CRM from 400 companies: many are in more than 3 CRMs
    return peak


def test_the_cross_crm_aggregation_does_not_hold_every_lead_at_once():
    """Twice the CRMs, hardly more memory: what grows is a few integers per lead (as the old
    aggregation, holding every lead of every CRM at once, did: x1.5 here)."""
    small, big = _aggregation_peak(40), _aggregation_peak(80)
    assert big / small < 1.3, (small, big)
