"""The out-of-sample ARD over every point a calibration could not tell from the best.

A calibration folder's ``points.csv`` holds every point tried with its ARD on the fitted
record. The points within ``--within`` of the best ARD fit that record about equally
well; this runs each of them over seeds 0..N-1 and prints its ARD on a second record (for
example the winter kept aside), so that the out-of-sample result is given as the spread
the fitted record leaves, not as one lucky point.

Example (the winter record against a spring calibration folder)::

    python -m experiments.near_best results/calibrate/spring_2019
        scenarios/history_2019_2020.yaml --seeds 4
        --observed scenarios/data/displacement_winter_2019_2020.csv
        --from 2019-12-01 --since 2019-11-30
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from experiments.ard import add_window_arguments, record_within_run, run_series
from sim.experiments.observed import ObservedSeries, ard

#: Columns of points.csv that are not keys.
NOT_KEYS = {"stage", "point", "runs", "ard_mean", "ard_sd"}


def near_best_points(points_csv: Path, within: float) -> list[tuple[float, dict[str, str]]]:
    """The points whose mean ARD lies within ``within`` of the best: ``(ard, {key: value})``."""
    with points_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    best = min(float(r["ard_mean"]) for r in rows)
    chosen = [r for r in rows if float(r["ard_mean"]) <= best + within]
    chosen.sort(key=lambda r: float(r["ard_mean"]))
    return [
        (float(r["ard_mean"]), {k: v for k, v in r.items() if k not in NOT_KEYS}) for r in chosen
    ]


def _score(task: tuple[Path, tuple[str, ...], int, ObservedSeries, dt.date | None]) -> float:
    scenario, changes, seed, record, since = task
    dates, moves = run_series(scenario, seed, "displacement_movements", changes)
    return ard(dates, moves, record, since)


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.near_best",
        description="Run every near-best point of a calibration on another record and "
        "print the spread of its ARD there.",
    )
    parser.add_argument("folder", type=Path, help="an `idlib-sim calibrate --out` folder")
    parser.add_argument("scenario", type=Path, help="the scenario that was calibrated")
    parser.add_argument("--observed", type=Path, required=True, help="the other record")
    add_window_arguments(parser)
    parser.add_argument("--within", type=float, default=0.02, help="of the best ARD (0.02)")
    parser.add_argument("--seeds", type=int, default=4, help="seeds 0..N-1 per point (4)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    args = parser.parse_args(argv)
    points_csv = args.folder / "points.csv"
    if not points_csv.is_file():
        print(f"error: {points_csv}: no such file (run idlib-sim calibrate first)", file=sys.stderr)
        return 2
    record = record_within_run(args.scenario, args.observed, first=args.first, last=args.last)
    if record is None:
        return 2
    points = near_best_points(points_csv, args.within)
    tasks = [
        (args.scenario, tuple(f"{k}={v}" for k, v in values.items()), seed, record, args.since)
        for _, values in points
        for seed in range(args.seeds)
    ]
    with ProcessPoolExecutor(max_workers=max(args.workers, 1)) as pool:
        scores = list(tqdm(pool.map(_score, tasks), total=len(tasks), unit="run", desc="runs"))
    per_point = np.asarray(scores).reshape(len(points), args.seeds).mean(axis=1)
    fitted = np.asarray([a for a, _ in points])
    lo, med, hi = np.quantile(per_point, [0.1, 0.5, 0.9])
    print(
        f"{len(points)} points within {args.within} of the best ARD ({fitted.min():.3f}) on "
        f"the fitted record; on {args.observed} ({record.dates[0]} – {record.dates[-1]}, "
        f"{args.seeds} seeds each): ARD median {med:.2f} (10-90 %: {lo:.2f}–{hi:.2f}, "
        f"all {per_point.min():.2f}–{per_point.max():.2f}); the best point's {per_point[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
