"""Bad inputs through every writing command with --apply, on copies: is any value lost?

    python benchmarks/safety_report.py [--fuzz N]

For each scenario (the hostile corpus, then N random workbooks from the fuzz test's
strategy) the writing commands run one after another with --apply on a copy. Afterwards
every non-empty cell of the original must still be in the workbook, or in Ändringslogg
(a cleaned comment's original, a removed row's JSON). Prints the number of scenarios and
command runs, crashes (tracebacks) and values lost: the goal is zero and zero.

Then the file scenarios, each one `mark-processed --apply` on a CRM with something to write: a
person saving during the run (between the tool's re-read and its replace), the workbook open in
Excel or LibreOffice, read-only, reached through a symlink, with macros (.xlsm), with a note.
Each must either write without losing anything (the person's edit, the macros, the note, the link)
or refuse in one line and leave the file byte for byte as it was.

Then the Google scenarios, on the emulator: `dedupe --apply` and `mark-processed --apply` on a
group CRM while a person acts in the instant between the run's verify read and its write (sorts
Leads, inserts a row, types into a cell the run writes), or while Google applies the write and
its answer is lost (503). Each reports the values lost: an original value found nowhere (sheet
or Ändringslogg), the person's edit overwritten, or a value of a calm run on another lead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import openpyxl
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from workbooks import book  # noqa: E402

from chas_sheets.backends.local import LocalWorkbook  # noqa: E402
from chas_sheets.backends.xlsx_parts import VBA_PART  # noqa: E402
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
                    logged |= _logged(as_text(value))
    return cells, logged


def _logged(text: str) -> set[str]:
    """A log cell's text, and the values inside it when it holds a removed row (JSON)."""
    found = {text}
    if text.startswith("{"):
        try:
            found.update(as_text(v) for v in json.loads(text).values())
        except ValueError:
            pass
    return found


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


# The file scenarios -------------------------------------------------------------------------------
PERSONS_EDIT = "Ringde, ring igen fredag"


def _crm(folder: Path, name: str) -> Path:
    """A CRM with one lead without an ID: mark-processed --apply has something to write."""
    path = folder / name
    LocalWorkbook(path).create("student")
    _fill(path, {"Leads": [["Företag", "Kommentar"], ["Volvo", None]]})
    return path


def _mark(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--today", "2027-05-12", "mark-processed", str(path), "--apply"])
    return result.exit_code, result.output


def _written(path: Path) -> bool:
    ws = openpyxl.load_workbook(path)["Leads"]
    return bool(ws.cell(row=2, column=[c.value for c in ws[1]].index("ID") + 1).value)


def _refused_untouched(path: Path, before: bytes, code: int, output: str, why: str) -> list[str]:
    lost = [] if path.read_bytes() == before else [f"(written although {why})"]
    if code != 1 or sum(line.startswith("Error:") for line in output.splitlines()) != 1:
        lost.append(f"(not refused in one line although {why})")
    return lost


def person_saves_during_run(folder: Path) -> list[str]:
    from openpyxl.workbook.workbook import Workbook

    path = _crm(folder, "person_saves.xlsx")
    real_save, saves = Workbook.save, []

    def person_saves_meanwhile(wb, filename):
        real_save(wb, filename)  # the tool's temporary file; now the person saves the workbook
        saves.append(filename)
        if len(saves) == 1:
            mine = openpyxl.load_workbook(path)
            ws = mine["Leads"]
            ws.cell(row=2, column=[c.value for c in ws[1]].index("Kommentar") + 1).value = PERSONS_EDIT
            real_save(mine, path)

    Workbook.save = person_saves_meanwhile
    try:
        code, output = _mark(path)
    finally:
        Workbook.save = real_save
    lost = [] if PERSONS_EDIT in cell_texts(path)[0] else ["(the person's edit saved during the run)"]
    return lost + ([] if code == 0 and _written(path) else ["(the run's own change, not written)"])


def open_in(program: str, lock: str):
    def scenario(folder: Path) -> list[str]:
        path = _crm(folder, f"open_in_{program}.xlsx")
        (folder / lock.format(name=path.name)).write_text("someone,host")
        before = path.read_bytes()
        return _refused_untouched(path, before, *_mark(path), f"open in {program}")
    return scenario


def read_only(folder: Path) -> list[str]:
    path = _crm(folder, "read_only.xlsx")
    path.chmod(0o444)
    before = path.read_bytes()
    return _refused_untouched(path, before, *_mark(path), "read-only")


def symlinked(folder: Path) -> list[str]:
    real = _crm(folder, "real.xlsx")
    (folder / "links").mkdir()
    link = folder / "links" / "linked.xlsx"
    link.symlink_to(real)
    before, _ = cell_texts(real)
    code, _ = _mark(link)
    lost = [] if link.is_symlink() else ["(the symlink, replaced by a copy)"]
    lost += [] if code == 0 and _written(real) else ["(the run's change to the real file)"]
    return lost + sorted(before - cell_texts(real)[0])


def with_macros(folder: Path) -> list[str]:
    from test_local_write_safety import VBA, with_macros as add_macros

    path = add_macros(_crm(folder, "macros.xlsx"))
    code, _ = _mark(path)
    with zipfile.ZipFile(path) as archive:
        kept = VBA_PART in archive.namelist() and archive.read(VBA_PART) == VBA
        macro_type = b"macroEnabled.main+xml" in archive.read("[Content_Types].xml")
    lost = [] if kept else ["(the macros, vbaProject.bin)"]
    lost += [] if macro_type else ["(the macro-enabled content type: Excel would not open it)"]
    return lost + ([] if code == 0 and _written(path) else ["(the run's own change, not written)"])


def with_note(folder: Path) -> list[str]:
    from openpyxl.comments import Comment

    path = _crm(folder, "note.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Leads"]["B2"].comment = Comment("Ring efter lunch", "Anna")
    wb.save(path)
    code, _ = _mark(path)
    note = openpyxl.load_workbook(path)["Leads"]["B2"].comment
    lost = [] if note is not None and note.text == "Ring efter lunch" else ["(the note on Leads!B2)"]
    return lost + ([] if code == 0 and _written(path) else ["(the run's own change, not written)"])


FILE_SCENARIOS = {
    "person_saves_during_run": person_saves_during_run,
    "open_in_excel": open_in("Excel", "~${name}"),
    "open_in_libreoffice": open_in("LibreOffice", ".~lock.{name}#"),
    "read_only": read_only,
    "symlink": symlinked,
    "xlsm_macros": with_macros,
    "cell_note": with_note,
}


# The Google scenarios (emulator) ---------------------------------------------------------------
def _google_texts(backend) -> tuple[set[str], set[str]]:
    """Every non-empty cell's text, and every text kept in Ändringslogg (as `cell_texts`)."""
    cells, logged = set(), set()
    raw = backend.read()
    for title, grid in raw.grids.items():
        for row in grid:
            texts = [as_text(v) for v in row if not is_blank(v)]
            cells.update(texts)
            if title == "Ändringslogg":
                for text in texts:
                    logged |= _logged(text)
    return cells, logged


def _leads_by_id(backend) -> dict[str, dict[str, str]]:
    from chas_sheets.runner import read_tables

    df = read_tables(backend, ["Leads"])["Leads"].df
    return {row_id: {k: as_text(v) for k, v in df.loc[row_id].items() if not is_blank(v)} for row_id in df.index}


def _google_runs(ws, backend, arm) -> list[str]:
    """dedupe, then mark-processed, with --apply semantics; `arm(key)` arms the fault before each."""
    from test_google_write_windows import TODAY

    from chas_sheets.dedupe.plan import plan_dedupe
    from chas_sheets.processed.plan import plan_mark_processed
    from chas_sheets.runner import execute, read_tables

    failures = []
    for name, plan in (("dedupe", lambda t: plan_dedupe(t, [], TODAY)[0]),
                       ("mark-processed", lambda t: plan_mark_processed(t, TODAY)[0])):
        if arm is not None:
            arm(ws.app, backend.key)
        try:
            execute(backend, plan(read_tables(backend, ["Leads"], ["Kontaktlogg"])), name, apply=True)
        except Exception as exc:  # a refusal is allowed (nothing lost is then checked); a crash is counted
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    return failures


GOOGLE_EDIT = ("Leads!T2", "Ringde igen, vill ses")  # Volvo's Kommentar: a cell dedupe writes


def _person_sorts(app, key):
    app.faults.person_sorts(key, "Leads", column=1, descending=True, method="batchUpdate")


def _person_inserts_row(app, key):
    app.faults.person_inserts_rows(key, "Leads", before=3, method="batchUpdate")


def _person_edits_cell(app, key):
    if not getattr(app, "_edited", False):  # once: the person types one thing
        app._edited = True
        app.faults.person_edits(key, GOOGLE_EDIT[0], [[GOOGLE_EDIT[1]]], method="batchUpdate")


def _lost_answer(app, key):
    app.faults.fail(status=503, path=key, method="batchUpdate", skip=1, after_apply=True)


GOOGLE_SCENARIOS = {
    "google_person_sorts_leads": _person_sorts,
    "google_person_inserts_a_row": _person_inserts_row,
    "google_person_edits_a_written_cell": _person_edits_cell,
    "google_503_after_apply": _lost_answer,
}


def run_google_scenarios() -> dict[str, tuple[int, list[str]]]:
    """Scenario -> (values lost, what), each against the same runs on a calm copy."""
    from emulator_workspace import EmulatorWorkspace
    from test_google_write_windows import LEADS, LOG

    from chas_sheets.backends.google_http import RetryPolicy
    from chas_sheets.emulator import make_app

    logging.getLogger("wsgiadapter").setLevel(logging.CRITICAL)  # the faults' 400s and 503s are the point

    def crm():
        ws = EmulatorWorkspace(make_app(), RetryPolicy(total_seconds=60, sleep=lambda seconds: None))
        return ws, ws.fill("group", {"Leads": LEADS, "Kontaktlogg": LOG})

    calm_ws, calm = crm()
    _google_runs(calm_ws, calm, None)
    expected = _leads_by_id(calm)
    found = {}
    for name, arm in GOOGLE_SCENARIOS.items():
        ws, backend = crm()
        before, _ = _google_texts(backend)
        if name == "google_person_edits_a_written_cell":
            before.discard(next(lead["Kommentar"] for lead in LEADS if lead["ID"] == "L-AAAAAA"))  # the person's
        failures = _google_runs(ws, backend, arm)
        after, logged = _google_texts(backend)
        lost = [f"(value) {text[:30]}" for text in sorted(before - after - logged)]
        now = _leads_by_id(backend)
        edited = name == "google_person_edits_a_written_cell"
        if edited and now.get("L-AAAAAA", {}).get("Kommentar") != GOOGLE_EDIT[1]:
            lost.append("(the person's edit, overwritten)")
        for row_id, cells in expected.items():  # a value of the calm run on another lead, or missing
            for column, text in cells.items():
                if not (edited and (row_id, column) == ("L-AAAAAA", "Kommentar")) \
                        and now.get(row_id, {}).get(column) != text:
                    lost.append(f"(misplaced) {row_id} {column}")
        found[name] = (len(lost), lost + failures)
    return found


def run_file_scenarios(folder: Path) -> dict[str, list[str]]:
    """Scenario -> what was lost (or written although it should have been refused)."""
    lost = {}
    for name, scenario in FILE_SCENARIOS.items():
        own = folder / name
        own.mkdir()
        if missing := scenario(own):
            lost[name] = missing
    return lost


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
        files = Path(tmp, "files")
        files.mkdir()
        file_lost = run_file_scenarios(files)
        lost.update(file_lost)
    google = run_google_scenarios()
    lost.update({name: what for name, (count, what) in google.items() if count or what})
    corpus_count = len(scenarios) - sum(n.startswith("fuzz_") for n in scenarios)
    print(f"Scenarios: {len(scenarios)} ({corpus_count} hostile workbooks, {len(scenarios) - corpus_count} fuzz cases)")
    print(f"Command runs with --apply: {total_runs} ({', '.join(c[0] for c in COMMANDS)})")
    print(f"File scenarios: {len(FILE_SCENARIOS)} ({', '.join(FILE_SCENARIOS)}), "
          f"{len(FILE_SCENARIOS) - len(file_lost)} without loss")
    for name in FILE_SCENARIOS:
        print(f"  {name}: values lost {len(file_lost.get(name, []))}")
    print(f"Google scenarios (emulator, dedupe + mark-processed --apply): {len(google)}")
    for name, (count, what) in google.items():
        print(f"  {name}: values lost {count}" + (f"; {'; '.join(what[:3])}" if what else ""))
    print(f"Crashes (tracebacks): {total_crashes}")
    for name, missing in lost.items():
        print(f"  LOST in {name}: {', '.join(repr(m[:40]) for m in missing[:5])}")
    print("Zero data lost" if not lost else f"DATA LOST in {len(lost)} scenarios")
    print(f"({time.perf_counter() - started:.1f} s)")
    sys.exit(1 if lost or total_crashes else 0)


if __name__ == "__main__":
    main()
