"""The seed's source, fixed before the wishes close: what keeps a group from shopping for seeds.

Why not log every preview instead: the split is public and deterministic by design (anyone
with the wishes and a seed can recompute it with hashlib), so a member can preview any number
of seeds on their own machine, and a count of logged previews would prove nothing. What does
close seed shopping is a seed that nobody chooses: its source (for example "Lotto 2027-04-05",
the numbers drawn that Saturday) is written into the group's `Ändringslogg` by
`harvest --prepare --seed-source` while members are still marking, and from then on every
split, previews included, takes only a seed that starts with that source. A source once fixed
cannot be changed; that is the point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _
from chas_sheets.sheet.changelog import HARVEST_AUDIT, LOG_TAB
from chas_sheets.sheet.changes import RowAppend
from chas_sheets.sheet.tables import Tables
from chas_sheets.text import fold

SEED_SOURCE = "frökälla"
_NOTE = re.compile(rf"^{SEED_SOURCE}: (?P<value>.*)$", re.DOTALL)


@dataclass(frozen=True)
class FixedSource:
    text: str
    run_id: str
    when: str  # the log row's time, as written

    def describe(self) -> str:
        return _("Seed source (fixed {when}, run {run}): {text}").format(when=self.when, run=self.run_id, text=self.text)


def fixed_source(tables: Tables) -> FixedSource | None:
    """The first seed source logged in the group's `Ändringslogg` (a later one never counts)."""
    log = tables.get(LOG_TAB)
    if log is None:
        return None
    for row_id in log.df.index:
        if log.text(row_id, "Kolumn") != HARVEST_AUDIT:
            continue
        match = _NOTE.match(log.text(row_id, "Efter"))
        if match:
            return FixedSource(match["value"], log.text(row_id, "Körning"), log.text(row_id, "Tid"))
    return None


def source_note(tables: Tables, text: str) -> list[RowAppend]:
    """The log row that fixes `text` as the seed source; none when it is fixed already, an
    error when another source is."""
    text = " ".join(text.split())
    if not text:
        raise InvalidInput(_("--seed-source is empty; give where the seed will come from, e.g. 'Lotto 2027-04-05'"))
    fixed = fixed_source(tables)
    if fixed is not None:
        if fold(fixed.text) == fold(text):
            return []
        raise InvalidInput(_("the seed source is already fixed as {source} (run {run}); it cannot be changed, so "
                             "that nobody can choose the seed").format(source=repr(fixed.text), run=fixed.run_id))
    return [RowAppend(LOG_TAB, {"Flik": "Skörd", "Kolumn": HARVEST_AUDIT, "Efter": f"{SEED_SOURCE}: {text}"},
                      "harvest seed source")]


def check_seed(fixed: FixedSource | None, seed: str | None) -> None:
    """With a fixed source, only a seed that starts with it (the drawn numbers after it) splits."""
    if fixed is None:
        return
    if seed is None:
        raise InvalidInput(_("the seed source is fixed: {source}; give --seed \"{text}: <what it gave>\" (for Lotto: "
                             "the numbers drawn)").format(source=repr(fixed.text), text=fixed.text))
    if not fold(seed).startswith(fold(fixed.text)) or not fold(seed)[len(fold(fixed.text)):]:
        raise InvalidInput(_("the seed must start with the fixed source {source} followed by what it gave, e.g. "
                             "--seed \"{text}: 3 8 15 22 31 34 35\"").format(source=repr(fixed.text), text=fixed.text))
