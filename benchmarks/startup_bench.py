"""Start-up cost: the CPU time of a bare Python, `chas-sheets --help` and `chas-sheets check`.

Each is run as its own process, several times; the median CPU time (user + system, children
of this script) is printed, with its ratio to the bare interpreter. `check` reads a group CRM
of a demo workspace built once in a temporary folder. Run:
    python benchmarks/startup_bench.py [--runs 7]
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


def cpu_seconds(argv: list[str]) -> float:
    """The CPU time (user + system) one run of `argv` takes."""
    before = os.times()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def median_cpu(argv: list[str], runs: int) -> float:
    cpu_seconds(argv)  # warm the file cache and .pyc files first
    return statistics.median(cpu_seconds(argv) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "chas_sheets.cli"]
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "demo"
        subprocess.run([*cli, "--today", TODAY, "demo", str(workspace)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        crm = min((workspace / "grupper").glob("*.xlsx"))
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("chas-sheets --help", [*cli, "--help"]),
            (f"chas-sheets check grupper/{crm.name}", [*cli, "--today", TODAY, "check", str(crm)]),
        ]
        results = [(label, median_cpu(argv, args.runs)) for label, argv in cases]
    bare = results[0][1] or 1e-9
    print(f"median CPU time of {args.runs} runs ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    for label, seconds in results:
        print(f"  {label:<42} {seconds:6.3f} s  {seconds / bare:5.1f}x bare Python")


if __name__ == "__main__":
    main()
