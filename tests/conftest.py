"""Shared fixtures: small workbooks built from the templates, named after what they show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from workbooks import write_rows

from chas_sheets.backends.local import LocalWorkbook

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Tests read messages in English (the msgids) unless they ask for a language: the
    machine's locale must not decide what a test sees. tests/test_catalogs.py and
    tests/test_swedish.py run in Swedish."""
    from chas_sheets import i18n

    monkeypatch.setenv(i18n.LANG_ENV, "en")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def make_crm(tmp_path):
    """make_crm(kind="student", Leads=[{...}], Kontaktlogg=[...]) -> path of a new workbook."""

    def make(kind: str = "student", name: str = "crm.xlsx", **tabs) -> Path:
        path = tmp_path / name
        LocalWorkbook(path).create(kind)
        for tab, rows in tabs.items():
            write_rows(path, tab, rows)
        return path

    return make


@pytest.fixture
def today() -> dt.date:
    return dt.date(2027, 5, 12)


@pytest.fixture(autouse=True, scope="session")
def calamine_reads_what_openpyxl_reads():
    """Every local workbook a test reads through openpyxl is read through python-calamine as
    well (backends.local_read, what `check` uses), and the grids must be the same: so every
    workbook the suite builds, in every state a test leaves it in, holds the calamine read to
    openpyxl's. A workbook local_read hands back to openpyxl (None) is not compared;
    tests/test_local_read.py shows it is compared often."""
    from comparing_readers import compare_reads

    real = LocalWorkbook.read

    def read(self, tabs=None):
        raw = real(self, tabs)
        if not self.reading_only:
            compare_reads(self.path, tabs, raw)
        return raw

    LocalWorkbook.read = read
    yield
    LocalWorkbook.read = real


def pytest_terminal_summary(terminalreporter):
    from comparing_readers import COUNTS

    if COUNTS["compared"] or COUNTS["openpyxl only"]:
        terminalreporter.write_line(f"local reads compared with python-calamine's: {COUNTS['compared']}; "
                                    f"left to openpyxl alone: {COUNTS['openpyxl only']}")
