"""The programme's findings on the nightly's Dashboard, Placering and its own tabs (issue 18):
the soft deadline, the phase-1 individual goals and the commitment agreement, the groups'
composition, live offers, the regrouping evidence (`Gruppbild`), the open dialogues
(`Dialoger`) and the long-recruitment count. Registers are crafted small, as in
tests/test_nightly_calendar.py, and judged on the day each rule starts."""

from __future__ import annotations

import datetime as dt

import pytest

from chas_sheets.nightly.crm_summary import CrmSummary, is_long_recruitment

d = dt.date


# --------------------------------------------------------------------------- 7. long recruitment
@pytest.mark.parametrize("typ, size, counted", [
    ("Konsultbolag", 3000, True), ("Konsultbolag", "250", True), ("Konsultbolag", 249, False),
    ("Konsultbolag", None, False), ("Offentlig sektor", "", False),  # blank: unknown, not large
    ("Startup", 3000, False),
])
def test_a_blank_size_is_unknown_not_a_long_recruitment(typ, size, counted):
    assert is_long_recruitment(typ, size) is counted
