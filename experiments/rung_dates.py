"""When a state first reaches each rung of its ladder, over replicate seeds.

Runs a scenario over seeds 0..N-1 and prints, for each rung of one state's ladder, how
many seeds reach it and the first date they do (median and 10-90 % range over the
seeds that reach it), beside a dated record if given (e.g. Turkey's Spring Shield,
27 Feb 2020). A simple serial or process-pool loop over the public model API; the sweep
engine (``sim.experiments``) will take this over.

Example::

    python -m experiments.rung_dates scenarios/history_2019_2020.yaml --seeds 10
    python -m experiments.rung_dates SCENARIO --state russia --record RUNG=YYYY-MM-DD
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

from sim.model import EscalationModel
from sim.world.loader import ScenarioError, load_scenario

STATES = ("turkey", "russia", "government")
#: When Turkey climbed its rungs (scenarios/data/escalation_ladder.json, turkish_rungs;
#: timeline_2019_2020.csv): arms to the NLF and convoys to the posts 24 May 2019, first
#: return fire with heavy weapons 16 Jun 2019, ~6,500 troops sent in from 2 Feb 2020,
#: Spring Shield from 27 Feb 2020 (after Balyun).
TURKEY_RECORD = (
    "arm_nlf=2019-05-24",
    "reinforce_posts=2019-05-24",
    "return_fire=2019-06-16",
    "mass_reinforcement=2020-02-02",
    "spring_shield=2020-02-27",
)


def first_dates(
    scenario: Path, seed: int, state: str, changes: tuple[str, ...]
) -> list[dt.date | None]:
    """First date the state is on each rung or above (None: never), one per rung."""
    model = EscalationModel(load_scenario(scenario, [*changes, f"seed={seed}"]))
    model.run()
    series = model.timeseries()
    rungs = np.asarray(series[f"{state}_rung"])
    dates = series["date"]
    n = len(getattr(model.config, state).ladder)
    out: list[dt.date | None] = []
    for rung in range(n):
        reached = np.flatnonzero(rungs >= rung)
        out.append(dt.date.fromisoformat(str(dates[reached[0]])) if reached.size else None)
    return out


def _task(task: tuple[Path, int, str, tuple[str, ...]]) -> list[dt.date | None]:
    return first_dates(*task)


def _quantile_date(dates: list[dt.date], q: float) -> dt.date:
    ordinals = np.array([d.toordinal() for d in dates], dtype=float)
    return dt.date.fromordinal(round(float(np.quantile(ordinals, q))))


def report(
    names: list[str],
    runs: list[list[dt.date | None]],
    record: dict[str, dt.date],
) -> list[str]:
    """Markdown table: per rung, seeds reaching it, first date median [10-90 %], record."""
    lines = [
        "| rung | seeds reaching it | first date, median [10-90 %] | record | median - record |",
        "|---|---|---|---|---|",
    ]
    for i, name in enumerate(names):
        reached = [run[i] for run in runs if run[i] is not None]
        real = record.get(name)
        if reached:
            median = _quantile_date(reached, 0.5)
            span = f"{median} [{_quantile_date(reached, 0.1)} – {_quantile_date(reached, 0.9)}]"
            gap = f"{(median - real).days:+d} days" if real else ""
        else:
            span, gap = "never", ""
        lines.append(f"| {name} | {len(reached)} of {len(runs)} | {span} | {real or ''} | {gap} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.rung_dates",
        description="Run a scenario over seeds 0..N-1 and print when a state first reaches "
        "each rung of its ladder (median and 10-90 %% over seeds).",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("--state", choices=STATES, default="turkey", help="default turkey")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--record",
        action="append",
        default=None,
        metavar="RUNG=YYYY-MM-DD",
        help="the date a rung was really reached, shown beside the model's (default for "
        "Turkey: its rungs' dates in escalation_ladder.json, see TURKEY_RECORD)",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario, args.overrides)
        given = args.record
        if given is None:
            given = list(TURKEY_RECORD) if args.state == "turkey" else []
        record = {
            name: dt.date.fromisoformat(text)
            for name, text in (item.split("=", 1) for item in given)
        }
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: --record: {exc} (expected RUNG=YYYY-MM-DD)", file=sys.stderr)
        return 2
    names = [rung.name for rung in getattr(scenario, args.state).ladder]
    unknown = sorted(set(record) - set(names))
    if unknown:
        print(f"error: --record: no rung {unknown} (rungs: {', '.join(names)})", file=sys.stderr)
        return 2
    start = time.perf_counter()
    tasks = [(args.scenario, s, args.state, tuple(args.overrides)) for s in range(args.seeds)]
    runs = []
    with ProcessPoolExecutor(max_workers=max(args.workers, 1)) as pool:
        for out in tqdm(pool.map(_task, tasks), total=len(tasks), unit="run", disable=args.quiet):
            runs.append(out)
    print(
        f"{args.scenario}: {args.state}'s rungs, seeds 0-{args.seeds - 1} "
        f"({time.perf_counter() - start:.0f} s, {args.workers} workers)\n"
    )
    print("\n".join(report(names, runs, record)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
