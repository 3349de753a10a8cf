"""The harvest's split on many random career groups: how often a member loses a company it
ranked first and won in the draw, version 1 (the richest gives, whatever it ranked) against
version 2 (the giver's ranks count), with fairness and speed measured in the same run.

Run: python benchmarks/harvest_bench.py [--groups N] [--seeds K]
Groups of 6-8 members over 20-40 warm companies; each member marks 4-14 of them, popular
companies more often (a few companies everybody wants, as at a real harvest meeting), ranks
the first few 1, 2, 3 ... and marks the rest `x`.
"""

from __future__ import annotations

import argparse
import random
import time

from chas_sheets.harvest.lottery import allocate


def random_group(rng: random.Random) -> dict[str, dict[str, int | None]]:
    companies = [f"Bolag {n}" for n in range(rng.randint(20, 40))]
    weights = [1 / (1 + n) ** 0.8 for n in range(len(companies))]  # a few hot companies
    wishes = {}
    for member in range(rng.randint(6, 8)):
        chosen: list[str] = []
        while len(chosen) < rng.randint(4, 14):
            company = rng.choices(companies, weights)[0]
            if company not in chosen:
                chosen.append(company)
        ranked = rng.randint(0, min(5, len(chosen)))
        wishes[f"Medlem {member}"] = {c: (n + 1 if n < ranked else None) for n, c in enumerate(chosen)}
    return wishes


def lost_first_choices(wishes, allocation) -> int:
    "Members who won their rank-1 company in the draw and do not hold it after evening out."
    return sum(1 for draw in allocation.draws.values() for member in draw.winners
               if wishes[member][draw.company] == 1 and draw.company not in allocation.bundles[member])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=400)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20270401)
    groups = [random_group(rng) for _ in range(args.groups)]
    figures = {}
    for version in (1, 2):
        splits = won = lost = splits_with_loss = unfair = moves = 0
        started = time.perf_counter()
        for wishes in groups:
            for seed in range(args.seeds):
                allocation = allocate(wishes, f"seed {seed}", version=version)
                splits += 1
                won += sum(1 for d in allocation.draws.values() for m in d.winners if wishes[m][d.company] == 1)
                n = lost_first_choices(wishes, allocation)
                lost += n
                splits_with_loss += n > 0
                unfair += not allocation.fairness_report().ok
                moves += len(allocation.moves)
        figures[version] = dict(seconds=time.perf_counter() - started, splits=splits, won=won, lost=lost,
                                splits_with_loss=splits_with_loss, unfair=unfair, moves=moves)
    print(f"{args.groups} random groups x {args.seeds} seeds = {figures[1]['splits']} splits")
    for version, f in figures.items():
        print(f"version {version}: rank-1 companies won in the draw and then moved away: {f['lost']} of "
              f"{f['won']} ({f['lost'] / max(f['won'], 1):.1%}); splits where it happened: "
              f"{f['splits_with_loss'] / f['splits']:.1%}; not fair (EF1, cap, only-wanters): {f['unfair']}; "
              f"moves per split {f['moves'] / f['splits']:.2f}")
    ratio = figures[2]["lost"] / max(figures[1]["lost"], 1)
    print(f"version 2 moves away {ratio:.2f}x the first choices version 1 did; "
          f"time per split v2/v1: {figures[2]['seconds'] / figures[1]['seconds']:.2f}x "
          f"({figures[2]['seconds'] / figures[2]['splits'] * 1000:.2f} ms per split)")


if __name__ == "__main__":
    main()
