"""The escalation clock: when each milestone of 2019-20 comes in the model, over seeds.

Runs a scenario over seeds 0..N-1 and prints one table: the first date each of Turkey's
rungs is reached, Russia first strikes near Turkish posts (its rung with
``strikes_near_turkish_positions``), Khan Shaykhun, Ma'arrat al-Nu'man and Saraqib first
fall to the government (the cell of the town in ``places.csv``), a truce or ceasefire first
holds, and the ceasefire still holding on the last day begins (never, if none holds then) -
the median and 10-90 % range over the seeds that reach it, beside the real date.
In a conflict-driven history run the captures and the ceasefires are inputs, so only the
rungs test the model there; in a free run everything is an outcome.

With ``--against KEY=VALUE`` the same seeds run a second time with that change too, and
a third table gives, per milestone, how many days later the variant's median comes, with
a 90 % bootstrap interval over seeds (each side's seeds resampled on their own): whether
that many seeds can tell the two apart.

Example::

    python -m experiments.milestones scenarios/default.yaml --seeds 10
    python -m experiments.milestones scenarios/history_2019_2020.yaml --seeds 10
    python -m experiments.milestones scenarios/default.yaml --seeds 200 \
        --set grid.cell_km=2 --against grid.cell_km=3
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from experiments.cell_size import resampled_centres
from experiments.rung_dates import TURKEY_RECORD, report
from sim.model import EscalationModel
from sim.world.codes import GOVERNMENT
from sim.world.loader import ScenarioError, load_scenario

TOWNS = ("Khan Shaykhun", "Ma'arrat al-Nu'man", "Saraqib")
#: The dated record (timeline_2019_2020.csv, escalation_ladder.json), by milestone name.
RECORD = {
    **{f"Turkey: {row.split('=')[0]}": row.split("=")[1] for row in TURKEY_RECORD},
    # Russian Su-24s strike the Nayrab push; a Turkish post near Qminas is hit (timeline).
    "Russia: strikes near Turkish posts": "2020-02-20",
    "Khan Shaykhun falls": "2019-08-20",
    "Ma'arrat al-Nu'man falls": "2020-01-28",
    "Saraqib falls": "2020-02-06",
    # The unilateral government truce that held until the winter offensive (the Astana
    # truce of 2-5 Aug 2019 came before it and lasted four days; timeline).
    "first truce or ceasefire": "2019-08-31",
    # The Moscow protocol, after the costs of February (timeline); truces came before it
    # on 2 Aug and 31 Aug 2019 and 12 Jan 2020.
    "ceasefire holding at the end": "2020-03-06",
}


def milestone_names(scenario_path: Path, changes: tuple[str, ...]) -> list[str]:
    """The milestones of a scenario, in table order."""
    scenario = load_scenario(scenario_path, list(changes))
    rungs = [f"Turkey: {rung.name}" for rung in scenario.turkey.ladder[1:]]
    return [
        *rungs,
        "Russia: strikes near Turkish posts",
        *(f"{town} falls" for town in TOWNS),
        "first truce or ceasefire",
        "ceasefire holding at the end",
    ]


def first_dates(scenario_path: Path, seed: int, changes: tuple[str, ...]) -> list[dt.date | None]:
    """First date of each milestone in one run (None: never), in :func:`milestone_names` order."""
    model = EscalationModel(load_scenario(scenario_path, [*changes, f"seed={seed}"]))
    ladder = model.config.turkey.ladder
    near_posts = [
        i
        for i, rung in enumerate(model.config.russia.ladder)
        if rung.effects.strikes_near_turkish_positions
    ]
    towns = {t.name: model.geo.cell_of(t.lat, t.lon) for t in model.geo.towns}
    cells = [towns[name] for name in TOWNS]
    turkey: list[dt.date | None] = [None] * (len(ladder) - 1)
    russia: dt.date | None = None
    falls: list[dt.date | None] = [None] * len(TOWNS)
    first_pause: dt.date | None = None
    last_pause: dt.date | None = None  # first day of the latest run of ceasefire days
    while model.running:
        model.step()
        date = model.date
        for rung in range(1, model.turkey.rung + 1):
            turkey[rung - 1] = turkey[rung - 1] or date
        if russia is None and near_posts and model.russia.rung >= near_posts[0]:
            russia = date
        for i, cell in enumerate(cells):
            if falls[i] is None and model.control[cell] == GOVERNMENT:
                falls[i] = date
        if model.ceasefire_active:
            first_pause = first_pause or date
            last_pause = last_pause or date
        else:
            last_pause = None
    return [*turkey, russia, *falls, first_pause, last_pause]


def _task(task: tuple[Path, int, tuple[str, ...]]) -> list[dt.date | None]:
    return first_dates(*task)


def median_shift_days(
    variant: np.ndarray,
    base: np.ndarray,
    level: float = 0.9,
    draws: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """How many days later the variant's median date comes, with a bootstrap interval.

    The seeds of each side are resampled with replacement on their own, ``draws`` times
    (conservative where the two share random numbers).

    Args:
        variant: Day numbers of one milestone over the variant's seeds that reach it,
            ``(n,)``.
        base: The same over the base's seeds, ``(m,)``.
        level: Share of the bootstrap differences the interval holds.
        draws: Bootstrap samples.
        seed: Seed of the resampling (the interval is reproducible).

    Returns:
        ``(shift, low, high)`` in days; all nan if either side is empty.
    """
    if variant.size == 0 or base.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    theirs = resampled_centres(variant, "median", rng, draws)
    ours = resampled_centres(base, "median", rng, draws)
    low, high = np.quantile(theirs - ours, [(1 - level) / 2, (1 + level) / 2])
    return float(np.median(variant) - np.median(base)), float(low), float(high)


def shift_table(
    names: list[str], base: list[list[dt.date | None]], variant: list[list[dt.date | None]]
) -> list[str]:
    """Markdown table: per milestone, the variant's median shift from the base's, in days."""
    lines = [
        "| milestone | seeds reaching it (base, variant) | variant - base, days [90 % interval] |",
        "|---|---|---|",
    ]
    for i, name in enumerate(names):
        sides = [
            np.array([d.toordinal() for d in (run[i] for run in runs) if d is not None])
            for runs in (base, variant)
        ]
        shift, low, high = median_shift_days(sides[1], sides[0])
        text = "—" if np.isnan(shift) else f"{shift:+.1f} [{low:+.1f}, {high:+.1f}]"
        lines.append(f"| {name} | {sides[0].size}, {sides[1].size} of {len(base)} | {text} |")
    return lines


def _run_seeds(
    scenario: Path, seeds: int, changes: tuple[str, ...], workers: int, quiet: bool
) -> list[list[dt.date | None]]:
    tasks = [(scenario, seed, changes) for seed in range(seeds)]
    with ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        return list(tqdm(pool.map(_task, tasks), total=len(tasks), unit="run", disable=quiet))


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.milestones",
        description="Run a scenario over seeds 0..N-1 and print when each milestone of "
        "2019-20 first comes (Turkey's rungs, Russian strikes near Turkish posts, the fall "
        "of Khan Shaykhun, Ma'arrat al-Nu'man and Saraqib, a ceasefire): median and "
        "10-90 %% over the seeds that reach it, beside the real date.",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--against",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="run the seeds again with this change too (repeatable) and print how many days "
        "later each milestone's median comes, with a 90 %% bootstrap interval",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    changes = tuple(args.overrides)
    variant = (*changes, *args.against)
    try:
        names = milestone_names(args.scenario, changes)
        if args.against and milestone_names(args.scenario, variant) != names:
            print("error: --against changes the milestones (Turkey's ladder)", file=sys.stderr)
            return 2
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    record = {name: dt.date.fromisoformat(RECORD[name]) for name in names if name in RECORD}
    sides = [("", changes)]
    if args.against:
        sides.append((" with " + " ".join(args.against), variant))
    tables = []
    for label, side_changes in sides:
        start = time.perf_counter()
        runs = _run_seeds(args.scenario, args.seeds, side_changes, args.workers, args.quiet)
        tables.append(runs)
        print(
            f"{args.scenario}{label}: milestones, seeds 0-{args.seeds - 1} "
            f"({time.perf_counter() - start:.0f} s, {args.workers} workers)\n"
        )
        table = report(names, runs, record)
        table[0] = table[0].replace("| rung |", "| milestone |")
        print("\n".join(table) + "\n")
    if args.against:
        print(f"Median shift with {' '.join(args.against)} (seeds resampled per side)\n")
        print("\n".join(shift_table(names, tables[0], tables[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
