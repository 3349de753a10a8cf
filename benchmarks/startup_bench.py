"""Start-up cost: the CPU time of a bare Python, `chas-sheets --help` and `chas-sheets check`.

Each case is run as its own process, several times, the cases taking turns (so a busy machine
slows them alike); the median CPU time (user + system of the child) is printed, with its ratio
to the bare interpreter, beside the issue's bars (--help under 0.15 s, check under 0.5 s).
`check` reads a group CRM of a demo workspace built once in a temporary folder, as it does
(python-calamine) and as it did before (openpyxl), and the floor under it is shown: importing
pandas alone, and importing everything check imports without running it. Run:
    python benchmarks/startup_bench.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TODAY = "2027-03-10"
HELP_BAR, CHECK_BAR = 0.15, 0.5
# An installed package has its .pyc files (pip compiles them); with PYTHONDONTWRITEBYTECODE set,
# every run would compile chas_sheets' own modules from source again (~0.1 s), which no user pays.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
# check reading through openpyxl as it did before local_read (every read falls back to it)
CHECK_WITH_OPENPYXL = ("import sys, runpy\n"
                       "from chas_sheets.backends import local_read\n"
                       "local_read.read_values = lambda *args: None\n"
                       "sys.argv = ['chas-sheets', *sys.argv[1:]]\n"
                       "runpy.run_module('chas_sheets.cli', run_name='__main__')\n")
CHECK_IMPORTS = ("import chas_sheets.cli, chas_sheets.cli.check_cmd, chas_sheets.backends.local, "
                 "chas_sheets.backends.local_read, python_calamine")


def _children_cpu() -> float:
    """User + system CPU time of the finished children: getrusage counts in microseconds where
    there is one, os.times in clock ticks (10 ms, too coarse for a 0.05 s difference)."""
    try:
        import resource
    except ImportError:  # Windows
        times = os.times()
        return times.children_user + times.children_system
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(argv: list[str]) -> float:
    """The CPU time (user + system) one run of `argv` takes."""
    before = _children_cpu()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return _children_cpu() - before


def medians(cases: list[tuple[str, list[str]]], runs: int) -> dict[str, float]:
    for _label, argv in cases:
        cpu_seconds(argv)  # warm the file cache and write the .pyc files first
    times: dict[str, list[float]] = {label: [] for label, _argv in cases}
    for _ in range(runs):
        for label, argv in cases:
            times[label].append(cpu_seconds(argv))
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    py = sys.executable
    cli = [py, "-m", "chas_sheets.cli"]
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "demo"
        subprocess.run([*cli, "--today", TODAY, "demo", str(workspace)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        crm = min((workspace / "grupper").glob("*.xlsx"))
        check_args = ["--today", TODAY, "check", str(crm)]
        cases = [
            ("python -c pass", [py, "-c", "pass"]),
            ("python -c 'import pandas'", [py, "-c", "import pandas"]),
            ("python -c 'import openpyxl'", [py, "-c", "import openpyxl"]),
            ("import all check imports (no run)", [py, "-c", CHECK_IMPORTS]),
            ("chas-sheets --help", [*cli, "--help"]),
            (f"check grupper/{crm.name} (calamine)", [*cli, *check_args]),
            (f"check grupper/{crm.name} (read through openpyxl)", [py, "-c", CHECK_WITH_OPENPYXL, *check_args]),
        ]
        result = medians(cases, args.runs)
    bare = result["python -c pass"] or 1e-9
    print(f"median CPU time of {args.runs} runs ({os.cpu_count()} cores, Python {sys.version.split()[0]})"
          + (" (PYTHONDONTWRITEBYTECODE unset for the runs: .pyc files used, as installed)"
             if "PYTHONDONTWRITEBYTECODE" in os.environ else ""))
    for label, seconds in result.items():
        print(f"  {label:<54} {seconds:6.3f} s  {seconds / bare:5.1f}x bare Python")
    check_now, check_before = result[cases[5][0]], result[cases[6][0]]
    pandas, imports = result["python -c 'import pandas'"], result["import all check imports (no run)"]
    print(f"--help: {result['chas-sheets --help']:.3f} s against a bar of {HELP_BAR} s")
    print(f"check: {check_now:.3f} s (reading through openpyxl: {check_before:.3f} s) against a bar of {CHECK_BAR} s; "
          f"importing pandas alone takes {pandas:.3f} s ({pandas / CHECK_BAR:.0%} of the bar), "
          f"everything check imports {imports:.3f} s, reading and checking the CRM {check_now - imports:.3f} s")


if __name__ == "__main__":
    main()
