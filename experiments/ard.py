"""How far a scenario's runs are from a dated record: the ARD over replicate seeds.

Runs a scenario over seeds 0..N-1 and prints, for each observed date, the record and
the model's median and 10-90 % range, then the ARD (mean over observed dates of
``|model - observed| / observed``) per seed with its median and 10-90 % range. A simple
serial or process-pool loop over the public model API; the sweep engine
(``sim.experiments``) will take this over.

Example::

    python -m experiments.ard scenarios/history_2019_2020.yaml --seeds 10 --to 2019-08-31
    python -m experiments.ard scenarios/default.yaml --observed FILE --column in_camps
    python -m experiments.ard scenarios/history_2019_2020_calibrated.yaml \
        --observed scenarios/data/displacement_winter_2019_2020.csv \
        --from 2019-12-01 --since 2019-11-30 --plot docs/images/winter_2019_2020.png
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

from sim.experiments.observed import ObservedError, ObservedSeries, ard, load_observed, model_at
from sim.model import EscalationModel
from sim.world.loader import ScenarioError, load_scenario

DEFAULT_RECORD = Path("scenarios/data/displacement_2019.csv")


def run_series(
    scenario: Path, seed: int, column: str, changes: tuple[str, ...]
) -> tuple[list[str], list[float]]:
    """Dates and one column of a run of ``scenario`` at ``seed``."""
    model = EscalationModel(load_scenario(scenario, [*changes, f"seed={seed}"]))
    model.run()
    series = model.timeseries()
    return series["date"], series[column]


def _task(task: tuple[Path, int, str, tuple[str, ...]]) -> tuple[list[str], list[float]]:
    return run_series(*task)


def record_within_run(
    scenario: Path,
    observed: Path,
    observed_column: str | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> ObservedSeries | None:
    """The record's points from ``first`` to ``last`` that lie within the scenario's run.

    Returns:
        The points, or None after printing one ``error:`` line per problem to stderr (a
        bad record or scenario, or no point within the run's dates).
    """
    try:
        record = load_observed(observed, observed_column)
        config = load_scenario(scenario, overrides)
    except ObservedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return None
    end = config.start_date + dt.timedelta(days=config.days)
    record = record.between(first or config.start_date, min(last or end, end))
    if not record.dates:
        print(f"error: {observed}: no observation within the run's dates", file=sys.stderr)
        return None
    return record


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the comparison window to a command line.

    ``--from``/``--to`` bound the record's dates compared; ``--since`` counts the model
    from that date (moves since then, as the record counts them).
    """
    parser.add_argument("--from", dest="first", type=dt.date.fromisoformat, help="first date")
    parser.add_argument("--to", dest="last", type=dt.date.fromisoformat, help="last date")
    parser.add_argument(
        "--since", type=dt.date.fromisoformat, help="count the model from this date"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.ard",
        description="Run a scenario over seeds 0..N-1 and print its ARD against a dated "
        "record (mean over observed dates of |model - observed| / observed).",
    )
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument(
        "--observed",
        type=Path,
        default=DEFAULT_RECORD,
        help=f"dated record, CSV or displacement_2019.json (default {DEFAULT_RECORD})",
    )
    parser.add_argument("--observed-column", help="value column of the record (default: its first)")
    parser.add_argument(
        "--column",
        default="displacement_movements",
        help="model column compared (default displacement_movements: moves, as OCHA counts)",
    )
    add_window_arguments(parser)
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="also draw the model's median and 5-95 %% band against the record to this file",
    )
    args = parser.parse_args(argv)
    record = record_within_run(
        args.scenario, args.observed, args.observed_column, args.overrides, args.first, args.last
    )
    if record is None:
        return 2
    start = time.perf_counter()
    tasks = [(args.scenario, s, args.column, tuple(args.overrides)) for s in range(args.seeds)]
    bar = tqdm(total=len(tasks), desc="runs", unit="run", disable=args.quiet)
    runs = []
    if args.workers <= 1:  # in this process: no fork
        for task in tasks:
            runs.append(_task(task))
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for out in pool.map(_task, tasks):
                runs.append(out)
                bar.update()
    bar.close()
    print(report(args, record, runs, time.perf_counter() - start))
    if args.plot:
        plot(args, record, runs)
        print(f"plot: {args.plot}")
    return 0


def report(
    args: argparse.Namespace,
    record: ObservedSeries,
    runs: list[tuple[list[str], list[float]]],
    wall_s: float,
) -> str:
    """The Markdown tables: model against record per date, then the ARD over seeds."""
    at = np.array([model_at(d, v, record.dates, args.since) for d, v in runs])
    scores = np.array([ard(d, v, record, args.since) for d, v in runs])
    lines = [
        f"{args.scenario} against {args.observed} ({record.name}), model column "
        f"`{args.column}`{'' if args.since is None else f' since {args.since}'}, "
        f"seeds 0-{args.seeds - 1} ({wall_s:.0f} s, {args.workers} workers)",
        "",
        "| date | observed | model median [10-90 %] | relative difference of the median |",
        "|---|---|---|---|",
    ]
    for i, date in enumerate(record.dates):
        obs = record.values[i]
        lo, med, hi = np.quantile(at[:, i], [0.1, 0.5, 0.9])
        lines.append(
            f"| {date} | {obs:,.0f} | {med:,.0f} [{lo:,.0f}–{hi:,.0f}] | {(med - obs) / obs:+.2f} |"
        )
    lo, med, hi = np.quantile(scores, [0.1, 0.5, 0.9])
    lines += [
        "",
        f"ARD over {record.dates[0]} – {record.dates[-1]} ({len(record.dates)} dates): "
        f"median {med:.2f} (10-90 %: {lo:.2f}–{hi:.2f}) over {len(scores)} seeds",
    ]
    return "\n".join(lines)


def plot(
    args: argparse.Namespace, record: ObservedSeries, runs: list[tuple[list[str], list[float]]]
) -> None:
    """Draw the model's daily median and 5-95 % band over seeds against the record."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dates = [dt.date.fromisoformat(d) for d in runs[0][0]]
    values = np.array([v for _, v in runs], dtype=float)
    start = args.since or record.dates[0] - dt.timedelta(days=30)
    keep = [i for i, d in enumerate(dates) if start <= d <= record.dates[-1]]
    if args.since is not None:
        values = values - values[:, [dates.index(args.since)]]
    shown = [dates[i] for i in keep]
    low, median, high = np.quantile(values[:, keep], [0.05, 0.5, 0.95], axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.2), constrained_layout=True)
    ax.fill_between(shown, low, high, color="#1f3b5c", alpha=0.2, label="model 5-95 %")
    ax.plot(shown, median, color="#1f3b5c", label=f"model median ({len(runs)} seeds)")
    ax.plot(record.dates, record.values, "o", color="#d62f3a", label="record")
    since = f" since {args.since}" if args.since else ""
    ax.set_ylabel(f"{args.column}{since}")
    ax.set_title(f"{args.scenario.name} against {args.observed.name}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    args.plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.plot, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
