"""The sweep commands of ``idlib-sim``: sweep, export, compact, compare, sensitivity.

:func:`add_subcommands` adds them to the main parser; each sets ``handler`` to the
function that runs it (which returns the exit status).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2

SWEEP_EXAMPLES = """examples:
  idlib-sim sweep experiments/smoke.yaml --out results/smoke
  idlib-sim sweep experiments/smoke.yaml --out results/smoke --plan
  idlib-sim sweep experiments/open_vs_sealed.yaml --out results/ovs --workers 8
  idlib-sim sweep experiments/open_vs_sealed.yaml --out results/ovs --resume
  idlib-sim sweep experiments/open_vs_sealed.yaml --out results/ovs --scheduler tcp://10.0.0.5:8786
"""


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep``, ``export``, ``compact``, ``compare``, ``sensitivity``, ``calibrate``."""
    raw = argparse.RawDescriptionHelpFormatter
    sw = sub.add_parser(
        "sweep",
        help="run an experiment (many runs) into a sweep folder",
        description="Run every run of an experiment file: local worker processes by "
        "default, or an existing Dask cluster with --scheduler. One Parquet file per run "
        "under DIR/runs/; a killed sweep continues with --resume.",
        epilog=SWEEP_EXAMPLES,
        formatter_class=raw,
    )
    sw.add_argument("experiment", type=Path, help="experiment YAML file (see experiments/)")
    sw.add_argument("--out", type=Path, help="sweep folder (default: results/sweeps/<name>)")
    sw.add_argument("--workers", type=int, help="local worker processes (default: CPUs)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")
    sw.add_argument("--resume", action="store_true", help="continue a sweep folder")
    sw.add_argument(
        "--plan", action="store_true", help="show runs, seeds, time estimate; run nothing"
    )
    sw.add_argument(
        "--retry-failed", action="store_true", help="with --resume: run failed runs again"
    )
    sw.add_argument("--batch", type=int, help="runs per task (default: automatic)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary line")
    sw.set_defaults(handler=cmd_sweep)

    ex = sub.add_parser(
        "export",
        help="write a sweep's runs as CSV",
        description="Write one row per (run, day) in plan order: two sweeps of the same "
        "experiment export identical bytes.",
    )
    ex.add_argument("folder", type=Path, help="sweep folder")
    ex.add_argument("--csv", type=Path, help="one row per (run, day)")
    ex.add_argument("--runs", type=Path, help="one row per run: outcomes, or the error")
    ex.set_defaults(handler=cmd_export)

    co = sub.add_parser(
        "compact",
        help="merge a sweep's run files into one Parquet dataset",
        description="Write DIR/compact/series.parquet (every kept day of every run) and "
        "DIR/compact/outcomes.parquet (one row per run). The run files stay.",
    )
    co.add_argument("folder", type=Path, help="sweep folder")
    co.set_defaults(handler=cmd_compact)

    cmp = sub.add_parser(
        "compare",
        help="compare the scenarios of a sweep (medians, intervals, paired differences)",
        description="Per scenario: median and 90 %% interval over runs of each metric. "
        "Paired differences (same design point and replicate, so the same seed) with "
        "bootstrap intervals: every scenario against the first, or --between A B. "
        "Metrics: final.COLUMN (or COLUMN), peak.COLUMN, first_day.turkey_rung>=K.",
        formatter_class=raw,
    )
    cmp.add_argument("folder", type=Path, help="sweep folder")
    cmp.add_argument("--metric", action="append", help="outcome (repeatable)")
    cmp.add_argument("--between", nargs=2, metavar=("A", "B"), help="difference A - B only")
    cmp.add_argument(
        "--by-point", action="store_true", help="summary per scenario and design point"
    )
    cmp.add_argument("--out", type=Path, help="where CSV and plots go (default DIR/compare)")
    cmp.add_argument("--series", action="append", help="daily column to plot with bands")
    cmp.add_argument("--no-plots", action="store_true", help="tables only")
    cmp.set_defaults(handler=cmd_compare)

    se = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris indices of a sobol/morris sweep",
        description="Sensitivity indices (SALib) of one metric: Sobol first-order and "
        "total for a sobol design, Morris mu* and sigma for a morris design. Each design "
        "point's metric is its mean over replicates.",
    )
    se.add_argument("folder", type=Path, help="sweep folder")
    se.add_argument("--metric", required=True, help="outcome, e.g. final.displaced_cumulative")
    se.add_argument("--scenario", help="scenario variant (default: the first)")
    se.add_argument("--out", type=Path, help="where CSV and plot go (default DIR/sensitivity)")
    se.set_defaults(handler=cmd_sensitivity)

    from sim.experiments.calibrate_cli import add_calibrate_command

    add_calibrate_command(sub)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``idlib-sim sweep``."""
    from sim.experiments.spec import ExperimentError, load_experiment

    try:
        exp = load_experiment(args.experiment)
    except ExperimentError as exc:
        return _fail([str(p) for p in exc.problems])
    for name in ("workers", "batch"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return _fail([f"--{name}: must be at least 1 (got {value})"])
    from sim.experiments.executors import default_workers

    if args.plan:
        from sim.experiments.pilot import describe_plan

        print(describe_plan(exp, 1 if args.scheduler else args.workers or default_workers()))
        return 0
    from sim.experiments.store import SweepFolderError
    from sim.experiments.sweep import run_sweep

    out = args.out or Path("results") / "sweeps" / exp.name
    try:
        report = run_sweep(
            exp,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            retry_failed=args.retry_failed,
            batch=args.batch,
            progress=None if not args.quiet else False,
        )
    except SweepFolderError as exc:
        return _fail([str(exc)])
    except KeyboardInterrupt:
        from sim.experiments.store import runs_on_disk

        done = len(runs_on_disk(out))
        print(f"interrupted: {done} runs on disk in {out}; continue with --resume", file=sys.stderr)
        return 130
    except OSError as exc:
        if args.scheduler:
            return _fail([f"--scheduler {args.scheduler}: {exc}"])
        raise
    if not args.quiet:
        print(
            f"{exp.name}: {report.planned} runs planned, {report.skipped} already on disk, "
            f"{report.finished} finished, {report.failed} failed, in {report.seconds:.1f} s "
            f"-> {out}"
        )
    return 0


def _sweep_folder(folder: Path):
    from sim.experiments.store import SweepFolderError, read_plan

    try:
        read_plan(folder)
    except SweepFolderError as exc:
        return str(exc)
    return None


def cmd_export(args: argparse.Namespace) -> int:
    """``idlib-sim export``."""
    if problem := _sweep_folder(args.folder):
        return _fail([problem])
    if not args.csv and not args.runs:
        return _fail(["export: give --csv FILE and/or --runs FILE"])
    from sim.experiments.tables import export_csv, export_runs_csv

    if args.csv:
        rows = export_csv(args.folder, args.csv)
        print(f"{rows} rows (run x day) -> {args.csv}")
    if args.runs:
        rows = export_runs_csv(args.folder, args.runs)
        print(f"{rows} runs -> {args.runs}")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """``idlib-sim compact``."""
    if problem := _sweep_folder(args.folder):
        return _fail([problem])
    from sim.experiments.tables import COMPACT, compact

    days, runs = compact(args.folder)
    print(f"{days} rows (run x day), {runs} runs -> {args.folder / COMPACT}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``idlib-sim compare``."""
    if problem := _sweep_folder(args.folder):
        return _fail([problem])
    from sim.experiments import compare
    from sim.experiments.tables import outcome_table

    metrics = [compare.metric_column(m) for m in (args.metric or compare.DEFAULT_METRICS)]
    table = outcome_table(args.folder)
    try:
        stats = compare.summary(table, metrics, by_point=args.by_point)
        diffs = compare.differences(table, metrics, tuple(args.between) if args.between else None)
    except compare.CompareError as exc:
        return _fail([str(exc)])
    out = args.out or args.folder / "compare"
    out.mkdir(parents=True, exist_ok=True)
    stats.to_csv(out / "summary.csv", index=False, lineterminator="\n")
    diffs.to_csv(out / "differences.csv", index=False, lineterminator="\n")
    failed = int((table["status"] != "ok").sum())
    print(compare.format_summary(stats))
    if len(diffs):
        print()
        print(compare.format_differences(diffs))
    if failed:
        print(f"\n{failed} failed run(s) left out (idlib-sim export DIR --runs FILE lists them)")
    written = ["summary.csv", "differences.csv"]
    if not args.no_plots:
        from sim.experiments.plots import plot_distributions, plot_series_bands

        written.append(plot_distributions(table, metrics, out).name)
        for column in args.series or ["displaced_cumulative"]:
            path = plot_series_bands(args.folder, column, out)
            if path is not None:
                written.append(path.name)
    print(f"\n-> {out}: {', '.join(written)}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``idlib-sim sensitivity``."""
    if problem := _sweep_folder(args.folder):
        return _fail([problem])
    from sim.experiments import sensitivity
    from sim.experiments.compare import metric_column

    try:
        frame = sensitivity.indices(args.folder, metric_column(args.metric), args.scenario)
    except sensitivity.SensitivityError as exc:
        return _fail([str(exc)])
    out = args.out or args.folder / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "indices.csv", index=False, lineterminator="\n")
    print(sensitivity.format_indices(frame))
    from sim.experiments.plots import plot_indices

    plot = plot_indices(frame, out)
    print(f"\n-> {out}: indices.csv, {plot.name}")
    return 0
