"""Time and peak memory of `nightly` over many individual CRMs (local backend), and requests
per CRM on the Sheets API emulator (first night, the night after, a quiet night).

    python benchmarks/nightly_bench.py                 # 250 CRMs of 100-300 leads, 20 on the emulator
    python benchmarks/nightly_bench.py --crms 25 --google-crms 5   # a quick run
    python benchmarks/nightly_bench.py --crms 0 --google-crms 0 --memory 10,50,250   # peak memory per size
    python benchmarks/nightly_bench.py --crms 0 --google-crms 0 --memory 1000        # the big size alone

Local nights run the real CLI in a child process, so the CPU time and the peak resident memory
measured are the run's own (the child's rusage, from os.wait4). The first night's CPU is put
beside an openpyxl load + save of the same workbooks (each CRM loaded whole and saved, in a
child process of its own), as a ratio; and beside the floor of any write through openpyxl: each
original loaded plus the workbook the night left saved (the first night fills every ID and logs
each change in `Ändringslogg`, so it saves about three times the cells it loaded).
`--memory` measures the peak (and the CPU) of a first and a quiet night per number of CRMs: flat
memory is a peak that does not grow with the number of CRMs.
The emulator part runs on a manual clock with Google's 60-per-minute quota: the pacer's waits
pass instantly, and any 429 would show as a retry wait.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
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


def child(code: str, *args: str) -> tuple[float, float, str]:
    """Run `code` in a child Python: its CPU seconds (user + system), its peak resident MB and
    its standard output. os.wait4 gives this child's own rusage, not the maximum of all children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(err.read().decode())
        return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode()


def night(register: Path) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds and peak MB of the child process, and its JSON."""
    code = "import sys; from chas_sheets.cli import main; sys.argv[0] = 'chas-sheets'; main()"
    started = time.perf_counter()
    cpu, peak, out = child(code, "--today", TODAY.isoformat(), "nightly", str(register), "--apply", "--json")
    return time.perf_counter() - started, cpu, peak, json.loads(out)


LOAD_SAVE = """
import sys, openpyxl
for path in sys.argv[1:]:
    openpyxl.load_workbook(path).save(path + ".copy")
"""
# The floor of a write through openpyxl: the original loaded, the workbook as written saved
# (it prints the CPU spent loading the written ones, which is no part of the floor).
LOAD_ORIGINAL_SAVE_WRITTEN = """
import sys, time, openpyxl
aside = 0.0
for original, written in zip(sys.argv[1::2], sys.argv[2::2]):
    openpyxl.load_workbook(original)
    started = time.process_time()
    wb = openpyxl.load_workbook(written)
    aside += time.process_time() - started
    wb.save(written + ".copy")
print(aside)
"""


def crm_files(folder: Path) -> list[str]:
    return sorted(str(p) for p in (folder / "studerande").glob("*.xlsx"))


def local_part(crms: int, low: int, high: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, _ = build_local(Path(tmp) / "small", max(crms // 5, 1), low, high)
        big, leads = build_local(Path(tmp) / "big", crms, low, high)
        originals = Path(tmp) / "originals"
        shutil.copytree(big.parent / "studerande", originals / "studerande")
        print(f"local: {crms} individual CRMs, {leads} leads ({leads / crms:.0f} per CRM)")
        load_save, _, _ = child(LOAD_SAVE, *crm_files(originals))  # whole process, as the nightly's
        night(small)  # its first night: the peaks compared are of quiet nights (the big one's last)
        small_peak = night(small)[2]
        first_cpu = peak = 0.0
        for label in ("first night (writes every CRM)", "second night (re-reads them)", "quiet night"):
            seconds, cpu, peak, data = night(big)
            first_cpu = first_cpu or cpu
            read = sum(o["read"] for o in data["crms"].values())
            print(f"  {label:32} {seconds:7.1f} s  CPU {cpu:7.1f} s  {cpu / crms * 1000:6.0f} ms/CRM  peak {peak:6.0f} MB  "
                  f"read {read}  written changes {sum(o['written'] for o in data['crms'].values())}")
        pairs = [p for pair in zip(crm_files(originals), crm_files(big.parent)) for p in pair]
        spent, _, aside = child(LOAD_ORIGINAL_SAVE_WRITTEN, *pairs)
        floor = spent - float(aside)
        print(f"  openpyxl load + save of the same {crms} workbooks: CPU {load_save:.1f} s; first night "
              f"{first_cpu / load_save:.2f}x that (goal: 1.5x)")
        print(f"  floor of a write through openpyxl (original loaded, workbook as written saved): CPU {floor:.1f} s = "
              f"{floor / load_save:.2f}x the load + save; first night {first_cpu / floor:.2f}x the floor")
        print(f"  peak memory, {crms} CRMs vs {max(crms // 5, 1)}: {peak / small_peak:.2f}x "
              f"(~1x = one CRM in memory at a time)")


def memory_part(sizes: list[int], leads: int) -> None:
    """Peak memory of a first and a quiet night per number of CRMs (CRMs of `leads` leads)."""
    print(f"peak memory of the nightly (resident, child process), CRMs of {leads} leads (goal: flat, under 250 MB)")
    for crms in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            register, total = build_local(Path(tmp) / "w", crms, leads, leads)
            figures = []
            for label in ("first night", "quiet night"):
                seconds, cpu, peak, _ = night(register)
                figures.append(f"{label} {peak:5.0f} MB (CPU {cpu:6.1f} s, {seconds:5.0f} s)")
            print(f"  {crms:5} CRMs, {total:7} leads: {'  '.join(figures)}", flush=True)


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
    parser.add_argument("--crms", type=int, default=250, help="0 to skip the local time part")
    parser.add_argument("--min-leads", type=int, default=100)
    parser.add_argument("--max-leads", type=int, default=300)
    parser.add_argument("--google-crms", type=int, default=20, help="0 to skip the emulator part")
    parser.add_argument("--memory", default="", metavar="SIZES",
                        help="peak memory per number of CRMs, e.g. 10,50,250,1000 (CRMs of 200 leads)")
    args = parser.parse_args()
    if args.crms:
        local_part(args.crms, args.min_leads, args.max_leads)
    if args.memory:
        memory_part([int(n) for n in args.memory.split(",")], 200)
    if args.google_crms:
        google_part(args.google_crms, args.min_leads, args.max_leads)


if __name__ == "__main__":
    main()
