"""Time every simulated day and group the days by what happened on them.

``python -m bench.days [--set KEY=VALUE ...]`` runs the default scenario (365 days, 2 km
unless overridden) without a profiler, times each ``model.step()`` with
``time.perf_counter`` and prints, for each kind of day, how many there were, their
median and mean cost and their share of the run. A run's cost follows its story: a
day with strikes and a ground offensive costs more than a quiet day, and a day on which
the route tables are recomputed costs most.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.cases import SCENARIO
from bench.worker import sim_digest

KINDS = (
    ("routes recomputed", lambda d: d["refreshed"]),
    ("strikes and offensive", lambda d: d["sorties"] and d["offensive"]),
    ("strikes only", lambda d: d["sorties"] and not d["offensive"]),
    ("offensive only", lambda d: d["offensive"] and not d["sorties"]),
    ("quiet (no strikes, no offensive)", lambda d: True),
)


def time_days(overrides: list[str]) -> list[dict]:
    """Run the scenario and return one record per day: seconds and what happened."""
    from sim.model import EscalationModel
    from sim.world.loader import load_scenario

    model = EscalationModel(load_scenario(SCENARIO, overrides))
    days = []
    while model.running:
        refreshes = model.destinations.version  # counts route refreshes
        start = time.perf_counter()
        model.step()
        seconds = time.perf_counter() - start
        days.append(
            {
                "seconds": seconds,
                "refreshed": model.destinations.version != refreshes,
                "sorties": model.sorties_today > 0,
                "offensive": model.offensive_intensity() > 0,
            }
        )
    return days


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.days", description=__doc__)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    overrides = ["days=365", *args.overrides]
    days = time_days(overrides)
    total = sum(d["seconds"] for d in days)
    print(f"{SCENARIO} with {overrides}; sim/ sources sha256 {sim_digest()}")
    print(f"{len(days)} days in {total:.3f} s (steps only, no build)\n")
    print("| kind of day | days | median ms | mean ms | share of run |")
    print("|---|---|---|---|---|")
    left = list(days)
    for name, belongs in KINDS:
        mine = [d for d in left if belongs(d)]
        left = [d for d in left if not belongs(d)]
        if not mine:
            continue
        ms = [1e3 * d["seconds"] for d in mine]
        share = sum(d["seconds"] for d in mine) / total
        print(
            f"| {name} | {len(mine)} | {statistics.median(ms):.2f} | "
            f"{statistics.mean(ms):.2f} | {share:.0%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
