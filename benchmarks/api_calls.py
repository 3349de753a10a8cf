"""API requests per run: the Google backend vs the naive gspread pattern, on the emulator.

Two identical student CRMs (N leads) get the same job: mark M leads `Kontaktad` with a
`Bearbetad` date and log every change in Ändringslogg. A third, untouched CRM is only read.
- ours: `read_tables` + `GoogleSpreadsheet.apply` (one read, one verify read, one batchUpdate);
- naive: per tab `open_by_key` + `worksheet` + `get_all_values`, then one `update_cell`
  per changed cell and one `append_row` per log row.
Counts come from the emulator's /_emulator/stats, per spreadsheet. Run:
    python benchmarks/api_calls.py [--leads 200] [--changed 30] [--students 20 --group-size 7]
                                   [--log-rows 20000] [--only new-ids --only edge-cases ...]

A CRM with a long Ändringslogg (`--log-rows`): what a changing run downloads (requests, MB
received); a run handing out a new ID, checked on the log's ID index instead of the whole log
(a log naming the CRM's leads over and over, and one naming as many IDs as it has rows, too
many for the index: then the log is read whole, as before the index); and the edge cases: a
CRM's first write under this version, a scratch tab and the Körningar tab deleted by hand.

The cohort commands (`cohort start`, a second `start`, `individual --all`, `move` and its
`undo`), through the CLI against the emulator served on loopback: creating is per spreadsheet
(Drive files.create, one batchUpdate for the template, one permission per person), everything
else batched; the sharing a run changes is logged with the CRM's other changes (no request
of its own), and one Drive files.list a run looks for CRMs an interrupted run created.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import gspread

from chas_sheets.backends.google import GoogleSpreadsheet
from chas_sheets.emulator import emulator_session, make_app
from chas_sheets.runner import execute, read_tables
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


def with_log(app, leads: int, log_rows: int, distinct: bool = False) -> str:
    """A student CRM whose Ändringslogg carries `log_rows` rows (a busy CRM after a term),
    naming its leads over and over, or (`distinct`) each row another ID."""
    key = seed(app, leads)
    backend = GoogleSpreadsheet(key, session=emulator_session(app))
    client = backend._client()
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{key}"
    log_id = next(i.sheet_id for i in backend._sheet_list() if i.title == "Ändringslogg")
    if log_rows + 1 > 1000:
        client.post_json(f"{url}:batchUpdate", {"requests": [{"appendDimension": {
            "sheetId": log_id, "dimension": "ROWS", "length": log_rows + 1 - 1000}}]})
    def row_id(n: int) -> str:  # distinct: shaped as the tool's IDs (L- and six letters of its alphabet)
        if not distinct:
            return f"L-{n % leads:06d}"
        return "L-" + "".join("23456789ABCDEFGHJKLMNPQRSTUVWXYZ"[(n * 7919 + 12345) * 2654435761 >> (5 * i) & 31] for i in range(6))

    rows = [[f"20270{n % 9 + 1}01-020000-ab{n % 97:02d}", "2027-05-01 02:00:00", "nightly", "Leads",
             row_id(n), "Status", "Ny", "Kontaktad"] for n in range(log_rows)]
    client.post_json(f"{url}/values:batchUpdate", {"valueInputOption": "RAW",
                                                   "data": [{"range": "'Ändringslogg'!A2", "values": rows}]})
    return key


def bytes_and_requests(app, key: str, changed: int, day: dt.date) -> tuple[int, int]:
    """Requests and bytes received of `ours` on `key` (the Google backend's own read and write)."""
    received = [0]
    session = emulator_session(app)
    session.hooks["response"].append(lambda r, *a, **k: received.__setitem__(0, received[0] + len(r.content)))
    backend = GoogleSpreadsheet(key, session=session)
    df = read_tables(backend, ["Leads"])["Leads"].df
    changes = ChangeSet()
    for row_id in list(df.index)[:changed]:
        changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], "Kontaktad")
        changes.set_cell("Leads", row_id, "Bearbetad", None, day)
    if changes:
        backend.apply(changes, RunInfo.new("benchmark"))
    return backend.requests_sent, received[0]


def counted(app, key: str, *, clock: float | None = None):
    """A backend on `key` counting the bytes it receives (`backend.received[0]`)."""
    session = emulator_session(app)
    backend = GoogleSpreadsheet(key, session=session)
    backend.received = [0]
    session.hooks["response"].append(lambda r, *a, **k: backend.received.__setitem__(0, backend.received[0]
                                                                                      + len(r.content)))
    if clock is not None:
        backend.lock_options = {"clock": lambda: clock}
    return backend


def add_lead(app, key: str, company: str) -> None:
    """A lead a person typed without an ID: the next run gives it one."""
    leads = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(key).worksheet("Leads")
    headers = leads.row_values(1)
    leads.append_row([{"Företag": company, "Status": "Ny"}.get(h, "") for h in headers], value_input_option="RAW")


def new_id_run(app, key: str, company: str) -> tuple[int, int]:
    """Requests and bytes of a run handing out one new ID (the new lead `company`)."""
    add_lead(app, key, company)
    backend = counted(app, key)
    tables = read_tables(backend, ["Leads"])
    execute(backend, tables.id_changes(), "clean", True)  # listed in Körningar, as every --apply run
    return backend.requests_sent, backend.received[0]


def status_run(app, key: str, day: dt.date, clock: float | None = None) -> tuple[int, int]:
    """Requests and bytes of a run changing one lead's status (no new ID)."""
    backend = counted(app, key, clock=clock)
    df = read_tables(backend, ["Leads"])["Leads"].df
    changes = ChangeSet()
    row_id = next(iter(df.index))
    changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], "Kontaktad" if day.day % 2 else "Ny")
    changes.set_cell("Leads", row_id, "Bearbetad", df.loc[row_id, "Bearbetad"], day)
    execute(backend, changes, "mark-processed", True)
    return backend.requests_sent, backend.received[0]


def index_chars(app, key: str) -> str:
    try:
        from chas_sheets.backends.google_ids import INDEX_KEY
    except ImportError:  # a version without the index
        return "-"
    total = sum(len(m.get("metadataValue") or "") for m in app.store.get_spreadsheet(key).developer_metadata
                if m["metadataKey"] == INDEX_KEY)
    return f"{total:,}"


def edge_cases(app, leads: int, log_rows: int, day: dt.date) -> list[tuple[str, tuple[int, int]]]:
    """A CRM's first write under this version, a scratch tab a person deleted by hand, a
    Körningar tab a person deleted by hand: requests and bytes of the run that meets each."""
    key = with_log(app, leads, log_rows)
    found = [("first write (scratch tabs not yet recorded)", status_run(app, key, day))]
    book = gspread.Client(auth=None, session=emulator_session(app)).open_by_key(key)
    for ws in book.worksheets():
        if ws.title.startswith("chas-sheets kontroll "):
            book.del_worksheet(ws)
    later = time.time() + 3600  # the scratch records are past the lock's lease: the write deletes them
    found.append(("a scratch tab deleted by hand", status_run(app, key, day + dt.timedelta(days=1), later)))
    book.del_worksheet(book.worksheet("Körningar"))
    found.append(("Körningar deleted by hand", status_run(app, key, day + dt.timedelta(days=2), later + 3600)))
    return found


def measure(app, key: str, job, *args) -> tuple[int, float]:
    before = app.stats()["bySpreadsheet"].get(key, 0)
    started = time.perf_counter()
    job(app, key, *args)
    return app.stats()["bySpreadsheet"].get(key, 0) - before, time.perf_counter() - started


def cohort_counts(students: int, group_size: int) -> list[tuple[str, dict]]:
    """Requests of each cohort command on a class list of `students` in groups of `group_size`."""
    import csv
    import os
    import tempfile
    import threading

    from click.testing import CliRunner

    from chas_sheets.cli import cli
    from chas_sheets.emulator import make_emulator_server

    app = make_app()
    server = make_emulator_server(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["CHAS_SHEETS_API_URL"] = f"http://127.0.0.1:{server.server_port}"
    os.environ["CHAS_SHEETS_LANG"] = "en"  # the output below is read in English
    counts = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            roster = os.path.join(folder, "klass.csv")
            with open(roster, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["Namn", "E-post", "Grupp"])
                for n in range(students):
                    writer.writerow([f"Student {n}", f"s{n}@skola.example.se", f"Grupp {n // group_size + 1}"])

            def step(label: str, *args: str) -> str:
                before = app.stats()
                result = CliRunner().invoke(cli, ["--today", "2026-09-01", *args, "--apply"])
                if result.exit_code != 0:
                    raise SystemExit(result.output)
                after = app.stats()
                counts.append((label, {k: after[k] - before[k] for k in ("total", "reads", "writes")}))
                return result.output

            output = step("cohort start", "cohort", "start", roster, "--register", "google:Register")
            register = output.split("the new register: ")[1].split()[0]
            step("start again", "cohort", "start", roster, "--register", register)
            step("individual --all", "cohort", "individual", register, "--all")
            moved = step("move", "cohort", "move", register, "s0@skola.example.se", "--to", "Grupp 2")
            step("undo of the move", "undo", register, moved.split("done as run ")[1].split()[0])
    finally:
        server.shutdown()
        server.server_close()
        os.environ.pop("CHAS_SHEETS_API_URL", None)
        os.environ.pop("CHAS_SHEETS_LANG", None)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--changed", type=int, default=30)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--group-size", type=int, default=7)
    parser.add_argument("--log-rows", type=int, default=20_000, help="Ändringslogg rows of the long-log CRM")
    parser.add_argument("--only", choices=("ours-naive", "long-log", "new-ids", "edge-cases", "cohort"),
                        action="append", help="these parts only (repeat it); all of them by default")
    args = parser.parse_args()
    day = dt.date(2027, 5, 12)
    wanted = set(args.only or ("ours-naive", "long-log", "new-ids", "edge-cases", "cohort"))
    if "ours-naive" in wanted:
        ours_and_naive(args, day)
    if "long-log" in wanted:
        long_log(args, day)
    if "new-ids" in wanted:
        new_ids(args, day)
    if "edge-cases" in wanted:
        print(f"\nedge cases on a CRM with {args.log_rows:,} log rows: requests, MB received")
        for label, (calls, size) in edge_cases(make_app(), args.leads, args.log_rows, day):
            print(f"{label:45}{calls:>4}{size / 1e6:>9.2f} MB")
    if "cohort" in wanted:
        groups = -(-args.students // args.group_size)
        print(f"\ncohort: {args.students} students in {groups} groups (requests: total = reads + writes)")
        for label, count in cohort_counts(args.students, args.group_size):
            print(f"{label:18}{count['total']:>6} = {count['reads']:>4} + {count['writes']:>4}")


def ours_and_naive(args, day: dt.date) -> None:
    app = make_app()
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


def long_log(args, day: dt.date) -> None:
    long_app = make_app()
    print(f"\na CRM carrying {args.log_rows:,} Ändringslogg rows ({args.leads} leads): requests, MB received")
    # A CRM's first write under the scratch records reads every tab once (to find unrecorded
    # scratch tabs by title); every later one reads the tabs it writes and the log's last rows.
    key = with_log(long_app, args.leads, args.log_rows)
    for label, changed, crm, when in (("changed CRM, its first write", args.changed, key, day),
                                      ("changed CRM", args.changed, key, day + dt.timedelta(days=1)),
                                      ("unchanged CRM", 0, with_log(long_app, args.leads, args.log_rows), day)):
        calls, size = bytes_and_requests(long_app, crm, changed, when)
        print(f"{label:30}{calls:>10}{size / 1e6:>9.2f} MB")


def new_ids(args, day: dt.date) -> None:
    """A run giving one new lead its ID: checked on the log's ID index (google_ids), read in
    its tail; the index holds the log's IDs while they fit Google's metadata limit."""
    print(f"\na run handing out a new ID on a CRM with {args.log_rows:,} log rows, after its first write: "
          "requests, MB received")
    ids_app = make_app()
    for label, distinct in ((f"the log names its {args.leads} leads", False),
                            (f"the log names {args.log_rows:,} IDs", True)):
        key = with_log(ids_app, args.leads, args.log_rows, distinct=distinct)
        status_run(ids_app, key, day)  # the CRM's first write (its scratch tabs recorded from then on)
        for run, company in (("", "Nytt AB"), (", next run", "Nyare AB")):
            calls, size = new_id_run(ids_app, key, company)
            print(f"{label + run:38}{calls:>4}{size / 1e6:>9.2f} MB   index {index_chars(ids_app, key)} characters")


if __name__ == "__main__":
    main()
