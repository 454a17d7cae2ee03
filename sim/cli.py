"""Command line: ``idlib-sim run | validate | scenarios``.

Bad input gives one line per problem on stderr and exit status 2, never a traceback,
and no output folder is left behind. Ctrl-C (SIGINT) and SIGTERM stop a run the same
way: what was being written is removed, and the exit status is 130 or 143.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import EscalationModel
    from sim.runs.output import OutputClaim
    from sim.world.schema import Scenario

# Heavy modules (pydantic, numpy, mesa) are imported inside the commands, after the
# signal handlers are in place, so that Ctrl-C during start-up is handled too.

EXIT_BAD_INPUT = 2
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
#: Longest folder name made from a scenario name (without the seed and time added).
NAME_SLUG_CHARS = 60
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
        description="Run one scenario and write a run folder (timeseries.csv, events.csv,\n"
        "camps.csv, checkpoints.csv, summary.json, scenario.yaml, PNG figures).\n"
        "The folder is checked and locked before day 1 and appears complete or not at all.\n"
        "Exit status: 0 done, 2 bad input or unusable --out, 130 Ctrl-C, 143 SIGTERM.",
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
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run folder (one whose summary.json names idlib-sim and "
        "that holds only run files); any other folder is refused and left as is",
    )

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
    from sim.app.cli import add_subcommand as add_app_subcommand
    from sim.experiments.cli import add_subcommands as add_sweep_commands

    add_sweep_commands(sub)  # sweep, export, compact, compare, sensitivity
    add_app_subcommand(sub)
    return parser


def _fail(problems: list[str]) -> int:
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def name_slug(name: str) -> str:
    """A safe folder name from a scenario name: letters, digits, ``-`` and ``_`` only.

    The name is a label: ``../../x`` or ``/tmp/x`` become ``x``, never a path.
    """
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")[:NAME_SLUG_CHARS].strip("-_")
    return slug or "run"


def _claim_default_out(scenario_name: str, seed: int) -> OutputClaim:
    """Claim ``results/<slug>-seed<seed>-<time>``, adding ``-2``, ``-3`` if it is taken."""
    from sim.runs.output import OutputError, claim_out_dir

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{name_slug(scenario_name)}-seed{seed}-{stamp}"
    for n in range(1, 100):
        out = Path("results") / (base if n == 1 else f"{base}-{n}")
        try:
            return claim_out_dir(out, overwrite=False)
        except OutputError:
            if n == 99 or not (out.exists() or (out.parent / f".{out.name}.lock").exists()):
                raise
    raise AssertionError("unreachable")


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.runs.output import OutputError, claim_out_dir
    from sim.world.loader import ScenarioError, events_after_end, load_scenario

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.days is not None:
        overrides.append(f"days={args.days}")
    try:
        scenario = load_scenario(args.scenario, overrides)
    except ScenarioError as exc:
        return _fail([str(p) for p in exc.problems])
    skipped = events_after_end(scenario)
    if skipped:
        print(
            f"note: {skipped} scripted event(s) fall after day {scenario.days} and do not happen",
            file=sys.stderr,
        )

    # The output place is claimed and checked before day 1, not after the run.
    try:
        if args.out is None:
            claim = _claim_default_out(scenario.name, scenario.seed)
        else:
            claim = claim_out_dir(args.out, args.overwrite)
    except OutputError as exc:
        return _fail([str(exc)])
    out = claim.out_dir
    with claim:
        for note in claim.notes:  # shown even with --quiet: the user's folder changed
            print(f"note: {note}", file=sys.stderr)
        try:
            model, wall = _simulate(scenario, args)
            command = "idlib-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
            from sim.runs.output import write_run_folder

            write_run_folder(model, out, wall, command, plots=not args.no_plots, claim=claim)
            if not args.quiet:
                print(
                    f"{scenario.name}: {scenario.days} days (seed {scenario.seed}) in "
                    f"{wall:.1f} s; {model.displaced_cumulative:,} left home, "
                    f"{sum(c.population for c in model.camps):,} in camps, "
                    f"{model.crossed_to_turkey:,} crossed to Turkey, "
                    f"{model.exited_via_checkpoints:,} exited via checkpoints, "
                    f"{model.civilian_deaths:,} civilian deaths -> {out}"
                )
        except OutputError as exc:
            return _fail([str(exc)])
        except KeyboardInterrupt as exc:
            if not claim.committed:
                raise
            # The signal came after the folder was moved into place: it is complete.
            print(f"interrupted; the run folder is complete: {out}", file=sys.stderr)
            return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    return 0


def _simulate(scenario: Scenario, args: argparse.Namespace) -> tuple[EscalationModel, float]:
    from tqdm import tqdm

    from sim.model import EscalationModel

    started = time.perf_counter()
    model = EscalationModel(scenario)
    show = not args.quiet and sys.stderr.isatty()
    with tqdm(total=scenario.days, unit="day", disable=not show, desc=scenario.name) as bar:
        model.run(progress=lambda _day: bar.update(1))
    return model, time.perf_counter() - started


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.world.loader import ScenarioError, load_scenario

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
    from sim.world.loader import ScenarioError, load_scenario

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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it cleans up as after Ctrl-C."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    # Once is enough: a second signal must not cut the clean-up short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``idlib-sim`` command; returns the exit status."""
    handlers = {"run": _cmd_run, "validate": _cmd_validate, "scenarios": _cmd_scenarios}
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    command = None
    try:
        args = _parser().parse_args(argv)
        command = args.command
        code = handlers.get(command, getattr(args, "handler", None))(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as Terminated
        # These commands leave nothing behind when interrupted (a sweep keeps finished runs).
        clean = command in (None, "run", "validate", "scenarios")
        print("interrupted; nothing was written" if clean else "interrupted", file=sys.stderr)
        return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
