"""Comment cleaning on the labelled corpus: facts kept, speculation removed, speed.

Run: python benchmarks/clean_bench.py [--rules FILE] [--rounds N]
Speed is reported per comment and as a ratio to compiling the rules, both measured here.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from chas_sheets.clean.rules import clean_comment, evaluate, load_rules

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "comment_corpus.toml"
HELDOUT = CORPUS.with_name("comment_heldout.toml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", help="a rules file to try instead of the packaged one")
    parser.add_argument("--rounds", type=int, default=50, help="passes over the corpus for speed")
    args = parser.parse_args()

    started = time.perf_counter()
    rules = load_rules(args.rules)
    compile_seconds = time.perf_counter() - started

    corpus = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["comment"]
    scores = evaluate(corpus, rules)
    print(f"corpus: {len(corpus)} comments, {scores.facts} fact and {scores.speculation} speculation fragments")
    print(f"facts kept:          {scores.facts_kept:6.1%}  (goal 100 %)")
    print(f"speculation removed: {scores.speculation_removed:6.1%}  (goal at least 90 %)")
    for text, fragment in scores.lost:
        print(f"  LOST fact {fragment!r} in {text!r}")
    for text, fragment in scores.stayed:
        print(f"  stayed    {fragment!r} in {text!r}")
    heldout = tomllib.loads(HELDOUT.read_text(encoding="utf-8"))["comment"]
    held = evaluate(heldout, rules)
    print(f"held-out (labelled before tuning, never tuned on): {len(heldout)} comments, facts kept "
          f"{held.facts_kept:.1%}, speculation removed {held.speculation_removed:.1%}")
    for text, fragment in held.lost:
        print(f"  LOST fact {fragment!r} in {text!r}")
    for text, fragment in held.stayed:
        print(f"  stayed    {fragment!r} in {text!r}")

    texts = [entry["text"] for entry in corpus] * args.rounds
    started = time.perf_counter()
    for text in texts:
        clean_comment(text, rules)
    seconds = time.perf_counter() - started
    per_comment = seconds / len(texts)
    print(f"speed: {len(texts) / seconds:,.0f} comments/second ({len(texts)} cleaned, {per_comment * 1e6:.0f} µs each)")
    print(f"compiling the rules once costs as much as cleaning {compile_seconds / per_comment:,.0f} comments")


if __name__ == "__main__":
    main()
