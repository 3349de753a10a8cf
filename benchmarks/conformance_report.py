"""How closely the emulator answers like Google: replay gspread's 122 recorded sessions.

    python benchmarks/conformance_report.py                 # matched/total per endpoint and cassette
    python benchmarks/conformance_report.py --details       # plus the first difference of each miss
    python benchmarks/conformance_report.py --write-baseline  # record what passes now

The baseline (tests/data/conformance_baseline.json) is what tests/test_conformance.py holds
the emulator to: an interaction that matched before must keep matching.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the cassette replay is test machinery

from conformance_replay import CASSETTES_ENV, cassette_folder, replay_all  # noqa: E402

CASSETTES = cassette_folder()
BASELINE = ROOT / "tests" / "data" / "conformance_baseline.json"
# Recordings whose answers depend on the recording account, not on what the session sent:
# no emulator started empty can give them, so they are counted apart.
ACCOUNT_DEPENDENT = {
    "ClientTest.test_openall.json": "the other files in the recording account's Drive",
    "ClientTest.test_open_all_has_metadata.json": "the other files in the recording account's Drive",
    "ClientTest.test_access_private_spreadsheet.json": "a spreadsheet another account owns",
}


# Why a class of misses of self-contained recordings stays: measured, not modelled.
KNOWN_CAUSES = {
    "sheets.spreadsheets.get .sheets[].data[].columnMetadata[].pixelSize":
        "autoResizeDimensions measures text as Google renders it: the one recording (twice) is 1024 'A' -> 8691 px; "
        "Arial's metrics (Liberation Sans, the same advance widths: 'A' 1366/2048 em) give 9107 px at 10 pt before "
        "any padding, so no width table follows from it but the answer itself",
}


def miss_class(outcome) -> str:
    """What kind of difference a miss is: its endpoint and where the answers first differ,
    without list indices (`.sheets[0].data[0].columnMetadata[0].pixelSize` -> one class)."""
    where = re.sub(r"\[\d+\]", "[]", outcome.difference.split(":", 1)[0])
    if outcome.difference.startswith("status"):
        where = " ".join(outcome.difference.split()[:4])
    return f"{outcome.endpoint.split('[', 1)[0]} {where}"


def remaining(outcomes) -> tuple[collections.Counter, collections.Counter]:
    "Misses of the self-contained recordings by class, and of the account-dependent ones by reason."
    classes, account = collections.Counter(), collections.Counter()
    for o in outcomes:
        if o.matched:
            continue
        if o.cassette in ACCOUNT_DEPENDENT:
            account[ACCOUNT_DEPENDENT[o.cassette]] += 1
        else:
            classes[miss_class(o)] += 1
    return classes, account


def baseline_of(outcomes) -> dict:
    passing = collections.defaultdict(list)
    for o in outcomes:
        if o.matched:
            passing[o.cassette].append(o.index)
    totals = collections.Counter(o.cassette for o in outcomes)
    return {
        "about": "Interactions of ../shared/conformance/gspread-cassettes the emulator answers like Google. "
                 "Regenerate with: python benchmarks/conformance_report.py --write-baseline",
        "matched": sum(len(v) for v in passing.values()),
        "total": len(outcomes),
        "fully_passing_cassettes": sorted(c for c in totals if len(passing[c]) == totals[c]),
        "passing_interactions": {c: passing[c] for c in sorted(passing)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--details", action="store_true", help="print the first difference of every miss")
    parser.add_argument("--write-baseline", action="store_true", help=f"write {BASELINE.relative_to(ROOT)}")
    args = parser.parse_args()
    if not CASSETTES.is_dir():
        print(f"No recorded Google sessions at {CASSETTES}: set {CASSETTES_ENV} to the "
              f"shared conformance folder", file=sys.stderr)
        return 1
    started = time.perf_counter()
    outcomes = replay_all(CASSETTES)
    seconds = time.perf_counter() - started

    by_endpoint = collections.defaultdict(lambda: [0, 0])
    by_cassette = collections.defaultdict(lambda: [0, 0])
    for o in outcomes:
        for table, key in ((by_endpoint, o.endpoint), (by_cassette, o.cassette)):
            table[key][0] += o.matched
            table[key][1] += 1
    print("Per endpoint (matched/total):")
    for name, (ok, total) in sorted(by_endpoint.items(), key=lambda kv: (-kv[1][1], kv[0])):
        print(f"  {ok:5d}/{total:<5d} {name}")
    print("\nPer cassette (matched/total):")
    for name, (ok, total) in sorted(by_cassette.items()):
        mark = "ok " if ok == total else "   "
        print(f"  {mark}{ok:4d}/{total:<4d} {name.removesuffix('.json')}")
    matched = sum(o.matched for o in outcomes)
    full = sum(ok == total for ok, total in by_cassette.values())
    print(f"\nTotal: {matched}/{len(outcomes)} interactions match Google; "
          f"{full}/{len(by_cassette)} cassettes fully; replayed in {seconds:.1f} s")
    classes, account = remaining(outcomes)
    print(f"\nSelf-contained recordings: {sum(classes.values())} answers still differ from Google's, by class:")
    for name, count in classes.most_common():
        print(f"  {count:4d}  {name}")
        if name in KNOWN_CAUSES:
            print(f"        {KNOWN_CAUSES[name]}")
    print(f"Account-dependent recordings (not reproducible from an empty emulator): {sum(account.values())}")
    for name, count in account.most_common():
        print(f"  {count:4d}  {name}")
    if args.details:
        print("\nMisses:")
        for o in outcomes:
            if not o.matched:
                print(f"  {o.cassette}#{o.index} {o.endpoint}: {o.difference}")
    if args.write_baseline:
        BASELINE.write_text(json.dumps(baseline_of(outcomes), indent=1) + "\n", encoding="utf-8")
        print(f"\nWrote {BASELINE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
