"""The sheets as they stood on a day: rows dated after it do not exist yet (pure).

`--today D` replays day D, so every read-only figure (check, status, the nightly summaries
and the register's dates) must see only what existed on D: a lead whose `Tillagd` is later,
a `Kontaktlogg` or `Event` row whose `Datum` is later, a `LIA registrerad` or `Placerad`
date that is later. This module is the one place that rule lives; it is applied to the
tables after the read and before planning. Writes never use it: a plan that writes works on
the full tables, so a write with a past --today leaves the later rows untouched.

A row whose date cannot be read is kept (nothing shows it is later). On the real today a
later date is a typo or a planned call: it is not counted either, and `hidden` says how many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Mapping

from chas_sheets.i18n import _, ngettext
from chas_sheets.programme.calendar import parse_date
from chas_sheets.sheet.tables import Table, Tables

# tab -> the column whose date says when the row came to exist
ROW_DATES = {"Leads": "Tillagd", "Kontaktlogg": "Datum", "Event": "Datum"}
# tab -> columns holding a date that is blanked (with the cells that go with it) when later:
# the row (a student) existed, the event it records had not happened yet
CELL_DATES = {"Studerande": {"LIA registrerad": ("LIA-företag",), "Placerad": ()}}


def later(value: object, day: dt.date) -> bool:
    """True when `value` is a date after `day` (a blank or unreadable cell is not)."""
    parsed = parse_date(value, day)
    return parsed is not None and parsed > day


def table_as_of(table: Table, day: dt.date) -> tuple[Table, int]:
    """`table` as it stood on `day`, and how many rows or cells were dated after it."""
    column = ROW_DATES.get(table.name)
    if column is not None and table.has(column):
        keep = [not later(value, day) for value in table.df[column]]
        hidden = len(keep) - sum(keep)
        if not hidden:
            return table, 0
        df = table.df[keep]
        kept = set(df.index)
        return dataclasses.replace(
            table, df=df, sheet_rows={k: v for k, v in table.sheet_rows.items() if k in kept},
            id_assignments=[a for a in table.id_assignments if a.new in kept]), hidden
    blanks = {c: with_it for c, with_it in CELL_DATES.get(table.name, {}).items() if table.has(c)}
    if not blanks:
        return table, 0
    df, hidden = None, 0
    for date_column, with_it in blanks.items():
        mask = [later(value, day) for value in table.df[date_column]]
        if not any(mask):
            continue
        df = table.df.copy() if df is None else df
        for c in (date_column, *(c for c in with_it if table.has(c))):
            df.loc[mask, c] = None
        hidden += sum(mask)
    return (table, 0) if df is None else (dataclasses.replace(table, df=df), hidden)


def tables_as_of(tables: Tables, day: dt.date) -> tuple[Tables, dict[str, int]]:
    """Every table as it stood on `day`, and per tab how many rows or cells were later."""
    out, hidden = {}, {}
    for name, table in tables.tables.items():
        out[name], count = table_as_of(table, day)
        if count:
            hidden[name] = count
    return dataclasses.replace(tables, tables=out), hidden


def hidden_text(hidden: Mapping[str, int], day: dt.date) -> str:
    """'3 Leads rows, 1 Kontaktlogg row dated after 2027-05-12 not counted', '' for none."""
    if not hidden:
        return ""
    parts = ", ".join(ngettext("{n} {tab} row", "{n} {tab} rows", n).format(n=n, tab=tab) for tab, n in hidden.items())
    return _("{rows} dated after {day} not counted").format(rows=parts, day=day.isoformat())
