"""Command line: ``idlib-sim run | validate | scenarios``.

Bad input gives one line per problem on stderr and exit status 2, never a traceback,
and no output folder is left behind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path

from sim.world.loader import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
EXAMPLES = """examples:
  idlib-sim run scenarios/default.yaml
  idlib-sim run scenarios/default.yaml --days 120 --seed 7 --out results/short
  idlib-sim run scenarios/default.yaml --set border.policy=open --set checkpoints=[]
  idlib-sim validate scenarios/*.yaml
  idlib-sim scenarios --keys        # every scenario key with unit, default and range
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idlib-sim",
        description="Agent-based escalation simulator of the 2019-20 Idlib crisis "
        "(for study and teaching, not a forecast).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"idlib-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run one scenario and write a run folder",
        description="Run one scenario and write a run folder (timeseries.csv, events.csv, "
        "camps.csv, checkpoints.csv, summary.json, scenario.yaml, PNG figures).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument(
        "--out",
        type=Path,
        help="output folder (default: results/<name>-seed<seed>-<time>)",
    )
    run.add_argument("--seed", type=int, help="random seed (same as --set seed=N)")
    run.add_argument("--days", type=int, help="days to simulate (same as --set days=N)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set turkey.crisis_threshold_people=200000; "
        "VALUE is read as YAML (so --set checkpoints=[] works); repeatable",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary line")
    run.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    run.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")

    val = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Check scenario files; print one line per problem; exit 2 if any.",
    )
    val.add_argument("files", type=Path, nargs="+", help="scenario YAML files")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    sc = sub.add_parser(
        "scenarios",
        help="list the shipped scenarios, or every scenario key",
        description="List the scenarios in a folder, or print the scenario key reference.",
    )
    sc.add_argument("--dir", type=Path, default=Path("scenarios"), help="folder to list")
    sc.add_argument("--keys", action="store_true", help="print every key as a Markdown table")
    from sim.experiments.cli import add_subcommands as add_sweep_commands

    add_sweep_commands(sub)  # sweep, export, compact, compare, sensitivity
    return parser


def _fail(problems: list[str]) -> int:
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cmd_run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.days is not None:
        overrides.append(f"days={args.days}")
    try:
        scenario = load_scenario(args.scenario, overrides)
    except ScenarioError as exc:
        return _fail([str(p) for p in exc.problems])

    from sim.runs.output import check_out_dir

    out = args.out
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("results") / f"{scenario.name}-seed{scenario.seed}-{stamp}"
    problem = check_out_dir(out, args.overwrite)
    if problem:
        return _fail([problem])

    from tqdm import tqdm

    from sim.model import EscalationModel
    from sim.runs.output import write_run_folder

    started = time.perf_counter()
    model = EscalationModel(scenario)
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=scenario.days, unit="day", disable=not show, desc=scenario.name) as bar:
        model.run(progress=lambda _day: bar.update(1))
    wall = time.perf_counter() - started
    command = "idlib-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    write_run_folder(model, out, wall, command, plots=not args.no_plots)
    if not args.quiet:
        print(
            f"{scenario.name}: {scenario.days} days (seed {scenario.seed}) in {wall:.1f} s; "
            f"{model.displaced_cumulative:,} left home, "
            f"{sum(c.population for c in model.camps):,} in camps, "
            f"{model.crossed_to_turkey:,} crossed to Turkey, "
            f"{model.exited_via_checkpoints:,} exited via checkpoints, "
            f"{model.civilian_deaths:,} civilian deaths -> {out}"
        )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    problems: list[str] = []
    for path in args.files:
        try:
            scenario = load_scenario(path, args.overrides)
        except ScenarioError as exc:
            problems.extend(str(p) for p in exc.problems)
        else:
            print(f"ok: {path} ({scenario.name}, {scenario.days} days)")
    return _fail(problems) if problems else 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    if args.keys:
        from sim.world.reference import key_reference

        print(key_reference())
        return 0
    files = sorted(args.dir.glob("*.yaml"))
    if not files:
        return _fail([f"{args.dir}: no scenario files"])
    problems = []
    for path in files:
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        first_line = s.description.strip().splitlines()[0] if s.description.strip() else ""
        print(f"{str(path):40s} {s.days:4d} days  {first_line}")
    return _fail(problems) if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``idlib-sim`` command."""
    args = _parser().parse_args(argv)
    handlers = {"run": _cmd_run, "validate": _cmd_validate, "scenarios": _cmd_scenarios}
    try:
        return (getattr(args, "handler", None) or handlers[args.command])(args)
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
