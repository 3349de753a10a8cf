"""What a long Ändringslogg costs a command's read, locally and on Google (the emulator).

Run: python benchmarks/read_bench.py [--log-rows N] [--rounds K]
A student CRM of 300 leads and 600 contact-log rows whose Ändringslogg holds N rows (default
20,000: a busy CRM after a term of nightly runs). Locally, `mark-processed` reads Leads and
Kontaktlogg only (the log is checked when writing); the figure beside it is the same read with
the log, as every command read before. On Google (the emulator, through the backend) the bytes
and requests of that read, and of a run that changes 30 leads (read, verify, write): the
verify read names the tabs written and the log's last rows, except in a CRM's first write.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from chas_sheets.backends.local import LocalWorkbook  # noqa: E402
from chas_sheets.runner import read_tables  # noqa: E402

LOG = ["Körning", "Tid", "Kommando", "Flik", "Rad-ID", "Kolumn", "Före", "Efter"]


def build(path: Path, log_rows: int) -> None:
    LocalWorkbook(path).create("student")
    wb = openpyxl.load_workbook(path)
    leads, contact, log = wb["Leads"], wb["Kontaktlogg"], wb["Ändringslogg"]
    heads = [c.value for c in leads[1]]
    for n in range(300):
        row = {"ID": f"L-{n:06d}", "Företag": f"Bolag {n} AB", "Kontaktperson": f"Person {n}", "Status": "Ny"}
        leads.append([row.get(h) for h in heads])
    cheads = [c.value for c in contact[1]]
    for n in range(600):
        row = {"Datum": "2027-04-0%d" % (n % 9 + 1), "Företag": f"Bolag {n % 300} AB", "Kanal": "Telefon",
               "Utfall": "Inget svar", "Lead-ID": f"L-{n % 300:06d}"}
        contact.append([row.get(h) for h in cheads])
    for n in range(log_rows):
        log.append([f"20270{n % 9 + 1}01-020000-ab{n % 97:02d}", "2027-05-01 02:00:00", "nightly", "Leads",
                    f"L-{n % 300:06d}", "Status", "Ny", "Kontaktad"])
    wb.save(path)


def timed(fn, rounds: int) -> float:
    best = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        best.append(time.process_time() - started)
    return sorted(best)[len(best) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crm.xlsx"
        build(path, args.log_rows)
        backend = LocalWorkbook(path)
        lean = timed(lambda: read_tables(backend, ["Leads"], ["Kontaktlogg"]), args.rounds)
        whole = timed(lambda: read_tables(backend, ["Leads"], ["Kontaktlogg", "Ändringslogg"]), args.rounds)
        print(f"local read of a CRM with {args.log_rows:,} log rows: {lean * 1000:.0f} ms CPU for the tabs "
              f"mark-processed needs, {whole * 1000:.0f} ms with the log ({whole / lean:.1f}x)")
        try:
            import wsgiadapter  # noqa: F401 - the emulator's in-process transport is the test extra
        except ImportError:
            print("(the Google figure needs the test extra: pip install -e '.[test]')")
            return
        google(path, args.log_rows)


def google(path: Path, log_rows: int) -> None:
    """The same CRM on the emulator: bytes and requests of the read `mark-processed` makes, and of
    a run that changes 30 leads (read, verify, write), through the Google backend itself."""
    from chas_sheets.backends.google import GoogleSpreadsheet
    from chas_sheets.backends.google_http import SHEETS_URL
    from chas_sheets.emulator import emulator_session, make_app
    from chas_sheets.sheet.changes import ChangeSet
    from chas_sheets.sheet.writeplan import RunInfo

    app = make_app()
    received = [0]
    session = emulator_session(app)
    session.hooks["response"].append(lambda response, *a, **k: received.__setitem__(0, received[0] + len(response.content)))
    sheet = GoogleSpreadsheet.new("student", session=session)
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = {title: [[("" if v is None else v) for v in row] for row in wb[title].iter_rows(values_only=True)]
            for title in ("Leads", "Kontaktlogg", "Ändringslogg")}
    client = sheet._client()
    log_id = next(i.sheet_id for i in sheet._sheet_list() if i.title == "Ändringslogg")
    client.post_json(f"{SHEETS_URL}/{sheet.key}:batchUpdate", {"requests": [{"appendDimension": {
        "sheetId": log_id, "dimension": "ROWS", "length": max(0, len(rows["Ändringslogg"]) - 1000)}}]})
    client.post_json(f"{SHEETS_URL}/{sheet.key}/values:batchUpdate", {"valueInputOption": "RAW", "data": [
        {"range": f"'{title}'!A1", "values": grid} for title, grid in rows.items()]})

    def measured(job) -> tuple[int, int]:
        backend = GoogleSpreadsheet(sheet.key, session=session)
        received[0] = 0
        job(backend)
        return backend.requests_sent, received[0]

    def change(backend, status: str) -> None:
        df = read_tables(backend, ["Leads"], ["Kontaktlogg"])["Leads"].df
        changes = ChangeSet()
        for row_id in list(df.index)[:30]:
            changes.set_cell("Leads", row_id, "Status", df.loc[row_id, "Status"], status)
        backend.apply(changes, RunInfo.new("benchmark"))

    reads, read_bytes = measured(lambda backend: read_tables(backend, ["Leads"], ["Kontaktlogg"]))
    # A CRM's first write reads every tab once (scratch tabs of older versions are found by title);
    # every later one reads the tabs it writes and the log's last rows.
    first, first_bytes = measured(lambda backend: change(backend, "Kontaktad"))
    runs, run_bytes = measured(lambda backend: change(backend, "Ny"))
    print(f"Google (emulator), {log_rows:,} log rows: the read mark-processed makes: {reads} request, "
          f"{read_bytes / 1e6:.2f} MB; a run that changes 30 leads: {runs} requests, {run_bytes / 1e6:.2f} MB "
          f"(a CRM's first write: {first} requests, {first_bytes / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
