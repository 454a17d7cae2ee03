"""``idlib-sim calibrate``: its arguments and what it prints (the work is in ``calibrate``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from pathlib import Path

EXIT_BAD_INPUT = 2

EXAMPLES = """examples:
  idlib-sim calibrate scenarios/history_2019_2020.yaml \\
      --observed scenarios/data/displacement_2019.csv \\
      --params experiments/calibrate_spring_2019.yaml --fit-until 2019-08-31 \\
      --out results/calibrate/spring_2019
  (the same command again continues a killed calibration)
  ... --scheduler tcp://10.0.0.5:8786      run on a Dask cluster
  ... --budget 200 --seeds 6               a longer, finer fit
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_calibrate_command(sub: argparse._SubParsersAction) -> None:
    """Add ``calibrate`` to ``sub``."""
    from sim.experiments.calibrate import DEFAULT_BUDGET, MAX_PARAMS

    cal = sub.add_parser(
        "calibrate",
        help="fit scenario keys to a dated record (minimise the ARD over seeds)",
        description=textwrap.fill(
            f"Fit up to {MAX_PARAMS} scenario keys (a params file: each key with a prior "
            "range) to a dated record by minimising the ARD (mean over observed dates of "
            "|model - observed| / observed), averaged over replicate seeds with common "
            "random numbers. A Latin hypercube screen, then two narrower Latin hypercube "
            "rounds around the best points, all run by the sweep engine (local pool or "
            "Dask; one folder per stage under --out, so running the command again resumes "
            "it), then a check of the best point over --final-seeds seeds. Writes "
            "SCENARIO_calibrated.yaml (extends SCENARIO), fit.png and points.csv (every "
            "point and its ARD). Nothing after --fit-until enters the fit.",
            width=88,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cal.add_argument("scenario", type=Path, help="scenario YAML file to calibrate")
    cal.add_argument(
        "--observed",
        type=Path,
        metavar="FILE",
        required=True,
        help="dated record: CSV, or displacement_2019.json",
    )
    cal.add_argument(
        "--observed-column", metavar="NAME", help="value column of the record (default: its first)"
    )
    cal.add_argument(
        "--params", type=Path, metavar="FILE", required=True, help="params YAML file (keys, ranges)"
    )
    cal.add_argument(
        "--column",
        metavar="NAME",
        default="displacement_movements",
        help="model column compared (default displacement_movements: moves, as OCHA counts)",
    )
    cal.add_argument(
        "--fit-from", type=_date, metavar="DATE", help="first record date fitted (default: start)"
    )
    cal.add_argument(
        "--fit-until",
        type=_date,
        metavar="DATE",
        help="last record date fitted; later ones never enter the fit",
    )
    cal.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default results/calibrate/<name>)"
    )
    cal.add_argument(
        "--seeds", type=int, metavar="N", default=4, help="replicates per point (default 4)"
    )
    cal.add_argument(
        "--final-seeds",
        type=int,
        metavar="N",
        default=10,
        help="replicates of the best point's check (10)",
    )
    cal.add_argument(
        "--budget",
        type=int,
        metavar="POINTS",
        default=DEFAULT_BUDGET,
        help=f"design points in all, half screen, half refinement (default {DEFAULT_BUDGET})",
    )
    cal.add_argument(
        "--root-seed", type=int, metavar="N", default=0, help="seed of seeds and designs (0)"
    )
    cal.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: CPUs)"
    )
    cal.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")
    cal.add_argument("--quiet", action="store_true", help="no progress bars or stage lines")
    cal.set_defaults(handler=cmd_calibrate)


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``idlib-sim calibrate``."""
    from sim.experiments.calibrate import (
        NEAR_BEST_ARD,
        Calibration,
        CalibrationError,
        calibrate,
        load_params,
    )
    from sim.experiments.observed import ObservedError, load_observed
    from sim.experiments.store import SweepFolderError
    from sim.world.loader import ScenarioError, load_scenario

    for name in ("seeds", "final_seeds", "budget", "workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return _fail([f"--{name.replace('_', '-')}: must be at least 1 (got {value})"])
    try:
        scenario = load_scenario(args.scenario)
        params = load_params(args.params, args.scenario)
        record = load_observed(args.observed, args.observed_column)
    except (ScenarioError, CalibrationError) as exc:
        return _fail([str(p) for p in exc.problems])
    except ObservedError as exc:
        return _fail([str(exc)])
    from sim.experiments.calibrate import check_columns

    if args.column not in check_columns():
        return _fail([f"--column: unknown model column {args.column!r}"])
    first = args.fit_from or scenario.start_date
    last = args.fit_until or scenario.start_date + dt.timedelta(days=scenario.days)
    fitted = record.between(first, last)
    if not fitted.dates:
        return _fail([f"{args.observed}: no observation from {first} to {last}"])
    aside = record.between(last + dt.timedelta(days=1), dt.date.max)
    out = args.out or Path("results") / "calibrate" / args.scenario.stem
    cal = Calibration(
        scenario=args.scenario,
        params=params,
        observed=fitted,
        column=args.column,
        out=out,
        seeds=args.seeds,
        final_seeds=args.final_seeds,
        budget=args.budget,
        root_seed=args.root_seed,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
        aside=aside,
    )
    try:
        result = calibrate(cal)
    except SweepFolderError as exc:
        return _fail([f"{exc} (another calibration? use another --out)"])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted: run the same command again to continue ({out})", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.scheduler:
            return _fail([f"--scheduler {args.scheduler}: {exc}"])
        raise
    if not args.quiet:
        for line in cal.log:
            print(line)
    lo, med, hi = (float(q) for q in _quantiles(result.check_ards))
    print(f"fitted ({len(fitted.dates)} dates, {fitted.dates[0]} to {fitted.dates[-1]}):")
    width = max(len(k) for k in result.best)
    print(f"  {'key':<{width}}  fitted     near-best range       prior")
    for key, value in result.best.items():
        low, high = params.params[key].range
        near_low, near_high = result.near_best[key]
        print(
            f"  {key:<{width}}  {value:<9.4g}  {near_low:.4g} to {near_high:<9.4g}  "
            f"{low:g} to {high:g}"
        )
    print(f"  (near-best: points whose mean ARD is within {NEAR_BEST_ARD} of the best)")
    print(
        f"ARD {result.ard_mean:.3f} (mean over {args.seeds} seeds); check over "
        f"{len(result.check_ards)} seeds: median {med:.3f} (10-90 %: {lo:.3f}-{hi:.3f})"
    )
    print(f"-> {result.scenario_file}, {result.plot_file}, {result.points_file}")
    return 0


def _quantiles(values):
    import numpy as np

    if len(values) == 0:
        return (float("nan"),) * 3
    return np.quantile(values, [0.1, 0.5, 0.9])
