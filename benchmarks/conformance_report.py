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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the cassette replay is test machinery

from conformance_replay import CASSETTES_ENV, cassette_folder, replay_all  # noqa: E402

CASSETTES = cassette_folder()
BASELINE = ROOT / "tests" / "data" / "conformance_baseline.json"


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
