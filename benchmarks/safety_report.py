"""Bad inputs through every writing command with --apply, on copies: is any value lost?

    python benchmarks/safety_report.py [--fuzz N]

For each scenario (the hostile corpus, then N random workbooks from the fuzz test's
strategy) the writing commands run one after another with --apply on a copy. Afterwards
every non-empty cell of the original must still be in the workbook, or in Ändringslogg
(a cleaned comment's original, a removed row's JSON). Prints the number of scenarios and
command runs, crashes (tracebacks) and values lost: the goal is zero and zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import openpyxl
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from workbooks import book  # noqa: E402

from chas_sheets.backends.local import LocalWorkbook  # noqa: E402
from chas_sheets.cli import cli  # noqa: E402
from chas_sheets.sheet.values import as_text, is_blank  # noqa: E402

COMMANDS = (["mark-processed", "--apply"], ["clean-comments", "--apply"], ["dedupe", "--apply"],
            ["harvest", "--prepare", "--apply"])
LEADS = ["ID", "Företag", "Kontaktperson", "Telefon", "Status", "Bearbetad", "Kommentar"]
LOG = ["Datum", "Företag", "Kontaktperson", "Kanal", "Utfall"]
DAY = dt.date(2027, 5, 3)


def corpus(folder: Path) -> dict[str, Path]:
    """The hostile corpus of tests/test_hostile_input.py, as workbooks."""
    lead = ["", "Volvo", "Anna", "0701234567", "Ny", None, "Ringde 3/5. Verkar chill typ lol"]
    log = [DAY, "Volvo", "Anna", "Telefon", "Ja"]
    cases = {
        "header_only": {"Leads": [LEADS], "Kontaktlogg": [LOG]},
        "title_row": {"Leads": [["Våra leads"], [], LEADS, lead], "Kontaktlogg": [LOG, log]},
        "duplicate_headers": {"Leads": [[*LEADS, "Företag"], [*lead, "Volvo Cars"]], "Kontaktlogg": [LOG, log]},
        "formulas": {"Leads": [LEADS, ["", "Volvo", "Anna", "0701", "Ny", None, '="Ringde "&"3/5"']],
                     "Kontaktlogg": [LOG, log]},
        "dates_as_numbers_and_text": {"Leads": [LEADS, lead], "Kontaktlogg": [
            LOG, ["2027-05-02", "Volvo", "Anna", "Telefon", "Nej"], ["3/5 2027", "Volvo", "Anna", "Mejl", "Inget svar"],
            [(DAY - dt.date(1899, 12, 30)).days, "Volvo", "Anna", "Telefon", "Ja"]]},
        "long_cell": {"Leads": [LEADS, [*lead[:6], "Ringde 22/2, pratade med Fatima. Verkar chill. " * 600]],
                      "Kontaktlogg": [LOG, log]},
        "emoji_rtl": {"Leads": [LEADS, ["", "Volvo 🚗", "אנה כהן", "+972 50 123", "Ny", None, "שלום 👋 مرحبا lol"]],
                      "Kontaktlogg": [LOG, [DAY, "Volvo", "אנה כהן", "Telefon", "Ja"]]},
        "duplicates_to_merge": {"Leads": [LEADS, lead, ["", "Volvo AB", "Anna", "0701234567", "Kontaktad"],
                                          ["", "AB Volvo", "Bo", "0702", None]], "Kontaktlogg": [LOG, log]},
        "renamed_tab": {"Mina bolag": [LEADS, lead], "Kontaktlogg": [LOG, log]},
        "alias_tab": {"kontakter": [LEADS, lead], "KONTAKTLOGG": [LOG, log]},
        "missing_leads": {"Kontaktlogg": [LOG, log]},
        "missing_column": {"Leads": [["ID", "Namn"], ["", "x"]]},
        "empty_sheet": {"Leads": []},
    }
    paths = {name: book(folder / f"{name}.xlsx", tabs) for name, tabs in cases.items()}
    paths["merged_cells"] = book(folder / "merged_cells.xlsx", {
        "Leads": [["Leads"], LEADS, lead, ["", "Volvo", "Bo", "0702", None]],
        "Kontaktlogg": [LOG, [DAY, "Volvo", "Bo", "Telefon", "Ja"]]}, {"Leads": ["A1:G1", "E3:E4"]})
    hidden = book(folder / "hidden.xlsx", cases["title_row"])
    wb = openpyxl.load_workbook(hidden)
    wb["Leads"].row_dimensions[4].hidden = wb["Leads"].column_dimensions["E"].hidden = True
    wb.save(hidden)
    paths["hidden"] = hidden
    empty = folder / "empty_file.xlsx"
    empty.write_bytes(b"")
    paths["empty_file"] = empty
    group = folder / "group.xlsx"
    LocalWorkbook(group).create("group")
    _fill(group, {"Leads": [LEADS, lead], "Kontaktlogg": [LOG, log], "Medlemmar": [["Namn"], ["Anna"], ["Bo"]]})
    paths["group"] = group
    return paths


def _fill(path: Path, tabs: dict[str, list[list]]) -> None:
    wb = openpyxl.load_workbook(path)
    for title, rows in tabs.items():
        ws = wb[title]
        headers = [c.value for c in ws[1]]
        for row in rows[1:]:
            ws.append([dict(zip(rows[0], row)).get(h) for h in headers])
    wb.save(path)


def fuzz_cases(folder: Path, count: int) -> dict[str, Path]:
    from hypothesis import HealthCheck, given, settings
    from test_fuzz import workbooks

    raws = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,  # the same cases every run
              suppress_health_check=list(HealthCheck))
    @given(workbooks())
    def collect(raw):
        raws.append(raw)

    collect()
    return {f"fuzz_{i}": book(folder / f"fuzz_{i}.xlsx", {t: raw.grids[t] for t in raw.titles if _valid_title(t)})
            for i, raw in enumerate(raws[:count]) if any(_valid_title(t) for t in raw.titles)}


def _valid_title(title: str) -> bool:
    return 0 < len(title) <= 31 and not set(title) & set("[]:*?/\\") and title.isprintable()


def cell_texts(path: Path) -> tuple[set[str], set[str]]:
    """Every non-empty cell's text, and every text kept in Ändringslogg (removed rows' values too)."""
    cells, logged = set(), set()
    wb = openpyxl.load_workbook(path)  # formulas as formulas: they must be kept as written
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells.update(as_text(v) for v in row if not is_blank(v))
        if ws.title == "Ändringslogg":
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    text = as_text(value)
                    logged.add(text)
                    if text.startswith("{"):
                        try:
                            logged.update(as_text(v) for v in json.loads(text).values())
                        except ValueError:
                            pass
    return cells, logged


def run_scenario(original: Path, work: Path) -> tuple[int, int, list[str]]:
    """Runs, crashes, and the original values found nowhere afterwards."""
    copy = work / original.name
    shutil.copy(original, copy)
    runs = crashes = 0
    for command in COMMANDS:
        result = CliRunner().invoke(cli, ["--today", "2027-05-12", command[0], str(copy), *command[1:]])
        runs += 1
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        crashes += crashed or "Traceback" in result.output
    if original.stat().st_size == 0:
        return runs, crashes, [] if copy.read_bytes() == b"" else ["(the empty file was changed)"]
    before, _ = cell_texts(original)
    after, logged = cell_texts(copy)
    return runs, crashes, sorted(before - after - logged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=50, help="random workbooks to add (default 50)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp, "in"), Path(tmp, "out")
        folder.mkdir()
        work.mkdir()
        scenarios = {**corpus(folder), **fuzz_cases(folder, args.fuzz)}
        total_runs = total_crashes = 0
        lost: dict[str, list[str]] = {}
        for name, path in scenarios.items():
            runs, crashes, missing = run_scenario(path, work)
            total_runs += runs
            total_crashes += crashes
            if missing:
                lost[name] = missing
    corpus_count = len(scenarios) - sum(n.startswith("fuzz_") for n in scenarios)
    print(f"Scenarios: {len(scenarios)} ({corpus_count} hostile workbooks, {len(scenarios) - corpus_count} fuzz cases)")
    print(f"Command runs with --apply: {total_runs} ({', '.join(c[0] for c in COMMANDS)})")
    print(f"Crashes (tracebacks): {total_crashes}")
    for name, missing in lost.items():
        print(f"  LOST in {name}: {', '.join(repr(m[:40]) for m in missing[:5])}")
    print("Zero data lost" if not lost else f"DATA LOST in {len(lost)} scenarios")
    print(f"({time.perf_counter() - started:.1f} s)")
    sys.exit(1 if lost or total_crashes else 0)


if __name__ == "__main__":
    main()
