"""Time and peak memory of `nightly` over many individual CRMs (local backend), and requests
per CRM on the Sheets API emulator (first night, the night after, a quiet night).

    python benchmarks/nightly_bench.py                 # 250 CRMs of 100-300 leads, 20 on the emulator
    python benchmarks/nightly_bench.py --crms 25 --google-crms 5   # a quick run

Local nights run the real CLI in a child process, so the peak resident memory measured is the
run's own (ru_maxrss of the child). "One CRM in memory at a time" shows as a peak that hardly
grows with the number of CRMs: compared as a ratio with a register of a fifth as many CRMs.
The emulator part runs on a manual clock with Google's 60-per-minute quota: the pacer's waits
pass instantly, and any 429 would show as a retry wait.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from chas_sheets.demo.workspace import COMPANIES
from chas_sheets.sheet.layout import layout_for

TODAY = dt.date(2027, 5, 12)
OUTCOMES = ["Inget svar"] * 6 + ["Svar"] * 2 + ["Nej", "Ja"]


def crm_rows(rng: random.Random, leads: int) -> dict[str, list[dict]]:
    names = [c.name for c in COMPANIES] + [f"Firma {n} AB" for n in range(2000)]
    lead_rows, log = [], []
    for name in rng.sample(names, leads):
        added = TODAY - dt.timedelta(days=rng.randint(0, 40))
        contact = f"{rng.choice('ABCDEFGH')}. {rng.choice(['Berg', 'Ek', 'Lund', 'Holm'])}"
        lead_rows.append({"Företag": name, "Kontaktperson": contact, "Typ": rng.choice(["Konsultbolag", "Startup"]),
                          "Telefon": f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                          "Tillagd": added, "Status": "Ny"})
        day = added
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            day += dt.timedelta(days=rng.randint(1, 5))
            if day > TODAY:
                break
            log.append({"Datum": day, "Företag": name, "Kontaktperson": contact, "Kanal": "Telefon",
                        "Utfall": rng.choice(OUTCOMES)})
    return {"Leads": lead_rows, "Kontaktlogg": log}


def write_workbook(path: Path, kind: str, tabs: dict[str, list[dict]]) -> None:
    # Not write_only: such files carry no sheet dimension, and a read-only read then gives
    # rows without their trailing blanks, which the ID fingerprint check takes for an edit.
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for tab in layout_for(kind).tabs:
        ws = wb.create_sheet(tab.title)
        ws.append(tab.headers)
        for row in tabs.get(tab.title, ()):
            ws.append([row.get(h) for h in tab.headers])
    wb.save(path)


def build_local(folder: Path, crms: int, low: int, high: int) -> tuple[Path, int]:
    """The register and how many leads its CRMs hold."""
    rng = random.Random(f"nightly-bench|{crms}")
    (folder / "studerande").mkdir(parents=True)
    students, leads = [], 0
    for n in range(crms):
        rows = crm_rows(rng, rng.randint(low, high))
        leads += len(rows["Leads"])
        write_workbook(folder / "studerande" / f"s{n}.xlsx", "student", rows)
        students.append({"Namn": f"Studerande {n}", "Grupp": f"G{n // 7}", "Individuellt CRM": f"studerande/s{n}.xlsx"})
    write_workbook(folder / "register.xlsx", "register", {"Studerande": students})
    return folder / "register.xlsx", leads


def night(register: Path) -> tuple[float, float, dict]:
    """Seconds, peak MB of the child process, and its JSON."""
    code = "import sys; from chas_sheets.cli import main; sys.argv[0] = 'chas-sheets'; main()"
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, "-c", code, "--today", TODAY.isoformat(), "nightly", str(register),
                           "--apply", "--json"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return seconds, max(peak, before) / 1024, json.loads(done.stdout)


def local_part(crms: int, low: int, high: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, _ = build_local(Path(tmp) / "small", max(crms // 5, 1), low, high)
        big, leads = build_local(Path(tmp) / "big", crms, low, high)
        print(f"local: {crms} individual CRMs, {leads} leads ({leads / crms:.0f} per CRM)")
        _, small_peak, _ = night(small)
        for label in ("first night (writes every CRM)", "second night (re-reads them)", "quiet night"):
            seconds, peak, data = night(big)
            read = sum(o["read"] for o in data["crms"].values())
            print(f"  {label:32} {seconds:7.1f} s  {seconds / crms * 1000:6.0f} ms/CRM  peak {peak:6.0f} MB  "
                  f"read {read}  written changes {sum(o['written'] for o in data['crms'].values())}")
        print(f"  peak memory, {crms} CRMs vs {max(crms // 5, 1)}: {peak / small_peak:.2f}x "
              f"(goal: under 500 MB; ~1x = one CRM in memory at a time)")


def google_part(crms: int, low: int, high: int) -> None:
    from chas_sheets.emulator import make_app
    from chas_sheets.emulator.control import ManualClock
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test machinery
    from emulator_workspace import EmulatorWorkspace

    from chas_sheets.nightly.run import RequestPacer, run_nightly

    clock = ManualClock()
    app = make_app(read_quota_per_minute=60, write_quota_per_minute=60, clock=clock)
    ws = EmulatorWorkspace(app)
    rng = random.Random("nightly-bench-google")
    targets = [ws.fill("student", crm_rows(rng, rng.randint(low, high))) for _ in range(crms)]
    register = ws.fill("register", {"Studerande": [
        {"Namn": f"S{n}", "Individuellt CRM": t.target} for n, t in enumerate(targets)]})
    clock.advance(120)
    print(f"emulator: {crms} individual CRMs, quota 60 requests/minute, manual clock")
    for label in ("first night", "second night", "quiet night"):
        app.stats_counter.reset()
        waits_before, started = len(ws.retry.waits), clock.now()
        result = run_nightly(ws.open(register.target), TODAY, apply=True, open_backend=ws.open,
                             detector=ws.detector(), pacer=RequestPacer(clock=clock.now, sleep=clock.sleep))
        stats = app.stats()
        per_crm = [stats["bySpreadsheet"].get(t.key, 0) for t in targets]
        changed = [n for n, o in zip(per_crm, result.report.crms.values()) if o.written]
        print(f"  {label:13} requests {stats['total']:4}  per changed CRM max {max(changed, default=0)}  "
              f"per unchanged CRM max {max((n for n, o in zip(per_crm, result.report.crms.values()) if not o.written), default=0)}  "
              f"429s/retries {len(ws.retry.waits) - waits_before}  paced over {clock.now() - started:4.0f} s (simulated)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crms", type=int, default=250)
    parser.add_argument("--min-leads", type=int, default=100)
    parser.add_argument("--max-leads", type=int, default=300)
    parser.add_argument("--google-crms", type=int, default=20, help="0 to skip the emulator part")
    args = parser.parse_args()
    local_part(args.crms, args.min_leads, args.max_leads)
    if args.google_crms:
        google_part(args.google_crms, args.min_leads, args.max_leads)


if __name__ == "__main__":
    main()
