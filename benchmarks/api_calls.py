"""API requests per run: the Google backend vs the naive gspread pattern, on the emulator.

Two identical student CRMs (N leads) get the same job: mark M leads `Kontaktad` with a
`Bearbetad` date and log every change in Ändringslogg. A third, untouched CRM is only read.
- ours: `read_tables` + `GoogleSpreadsheet.apply` (one read, one verify read, one batchUpdate);
- naive: per tab `open_by_key` + `worksheet` + `get_all_values`, then one `update_cell`
  per changed cell and one `append_row` per log row.
Counts come from the emulator's /_emulator/stats, per spreadsheet. Run:
    python benchmarks/api_calls.py [--leads 200] [--changed 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import gspread

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import read_tables
from chas_sheets.sheet.changes import ChangeSet
from chas_sheets.sheet.writeplan import RunInfo

TABS = ("Leads", "Ändringslogg")


def seed(app, leads: int) -> str:
    backend = GoogleSpreadsheet.new("student", session=emulator_session(app))
    ws = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(backend.key).worksheet("Leads")
    headers = ws.row_values(1)
    rows = [{"ID": f"L-{i:06d}", "Företag": f"Företag {i} AB", "Telefon": f"070{i:07d}", "Status": "Ny"}
            for i in range(leads)]
    ws.update([[row.get(h, "") for h in headers] for row in rows], "A2", raw=True)
    return backend.key


def ours(app, key: str, changed: int, day: dt.date) -> None:
    from chas_sheets.backends.google import GoogleSpreadsheet

    backend = GoogleSpreadsheet(key, session=emulator_session(app))
    df = read_tables(backend, ["Leads"])["Leads"].df
    changes = ChangeSet()
    for row_id in list(df.index)[:changed]:
        changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], "Kontaktad")
        changes.set_cell("Leads", row_id, "Bearbetad", None, day)
    if changes:
        backend.apply(changes, RunInfo.new("benchmark"))


def naive(app, key: str, changed: int, day: dt.date) -> None:
    client = gspread.Client(auth=None, session=emulator_session(app))
    sheets, grids = {}, {}
    for tab in TABS:  # the usual tutorial pattern: open, find the tab, read it, per tab
        sheets[tab] = client.open_by_key(key).worksheet(tab)
        grids[tab] = sheets[tab].get_all_values()
    leads, log = sheets["Leads"], sheets["Ändringslogg"]
    headers = grids["Leads"][0]
    status, processed = headers.index("Status") + 1, headers.index("Bearbetad") + 1
    for number, row in enumerate(grids["Leads"][1:changed + 1], start=2):
        leads.update_cell(number, status, "Kontaktad")
        leads.update_cell(number, processed, day.isoformat())
        for column, before, after in (("Status", row[status - 1], "Kontaktad"), ("Bearbetad", "", day.isoformat())):
            log.append_row(["benchmark", "", "naive", "Leads", row[0], column, before, after])


def measure(app, key: str, job, *args) -> tuple[int, float]:
    before = app.stats()["bySpreadsheet"].get(key, 0)
    started = time.perf_counter()
    job(app, key, *args)
    return app.stats()["bySpreadsheet"].get(key, 0) - before, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--changed", type=int, default=30)
    args = parser.parse_args()
    app = make_app()
    day = dt.date(2027, 5, 12)
    keys = {name: seed(app, args.leads) for name in ("ours", "naive", "quiet-ours", "quiet-naive")}
    rows = [
        ("changed CRM", measure(app, keys["ours"], ours, args.changed, day),
         measure(app, keys["naive"], naive, args.changed, day)),
        ("unchanged CRM", measure(app, keys["quiet-ours"], ours, 0, day),
         measure(app, keys["quiet-naive"], naive, 0, day)),
    ]
    print(f"{args.leads} leads, {args.changed} leads changed (2 cells each, every change logged)")
    print(f"{'':15}{'ours':>10}{'naive':>10}{'ratio':>9}   wall ours / naive")
    for label, (our_calls, our_time), (naive_calls, naive_time) in rows:
        print(f"{label:15}{our_calls:>10}{naive_calls:>10}{naive_calls / our_calls:>8.1f}x"
              f"   {our_time:.2f}s / {naive_time:.2f}s")


if __name__ == "__main__":
    main()
