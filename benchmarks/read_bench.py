"""What a long Ändringslogg costs a command's read, locally and on Google (the emulator).

Run: python benchmarks/read_bench.py [--log-rows N] [--rounds K]
A student CRM of 300 leads and 600 contact-log rows whose Ändringslogg holds N rows (default
20,000: a busy CRM after a term of nightly runs). Locally, `mark-processed` reads Leads and
Kontaktlogg only (the log is checked when writing); the figure beside it is the same read with
the log, as every command read before. On Google one request reads the whole spreadsheet, so
the answer's size is printed with and without the long log.
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
            from emulator_workspace import EmulatorWorkspace  # noqa: F401 - the emulator is the test extra
            from chas_sheets.emulator import emulator_session, make_app
        except ImportError:
            print("(the Google figure needs the test extra: pip install -e '.[test]')")
            return
        from chas_sheets.backends.google import GoogleSpreadsheet
        from chas_sheets.backends.google_http import SHEETS_URL

        app = make_app()
        sheet = GoogleSpreadsheet.new("student", session=emulator_session(app))
        wb = openpyxl.load_workbook(path, read_only=True)
        data = [{"range": f"'{title}'!A1", "values": [[("" if v is None else v) for v in row]
                                                       for row in wb[title].iter_rows(values_only=True)]}
                for title in ("Leads", "Kontaktlogg")]
        client = sheet._client()
        client.post_json(f"{SHEETS_URL}/{sheet.key}/values:batchUpdate", {"valueInputOption": "RAW", "data": data})
        small = len(client.request("get", f"{SHEETS_URL}/{sheet.key}", params={"includeGridData": "true"}).content)
        log = [[("" if v is None else v) for v in row] for row in wb["Ändringslogg"].iter_rows(values_only=True)]
        client.post_json(f"{SHEETS_URL}/{sheet.key}:batchUpdate", {"requests": [{"appendDimension": {
            "sheetId": sheet._sheet_list()[-1].sheet_id, "dimension": "ROWS", "length": len(log)}}]})
        client.post_json(f"{SHEETS_URL}/{sheet.key}/values:batchUpdate", {"valueInputOption": "RAW", "data": [
            {"range": "'Ändringslogg'!A1", "values": log}]})
        big = len(client.request("get", f"{SHEETS_URL}/{sheet.key}", params={"includeGridData": "true"}).content)
        print(f"Google (emulator), one full read: {small / 1e6:.2f} MB without the log, {big / 1e6:.2f} MB with "
              f"{args.log_rows:,} log rows ({big / small:.1f}x): the read is still one request, but the log "
              "is downloaded every time")


if __name__ == "__main__":
    main()
