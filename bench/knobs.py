"""What the speed settings cost in outcomes: the same seeds run under each setting.

``python -m bench.knobs [--seeds N] [--variant "KEY=VALUE ..."] ...`` runs the default
scenario for 365 days (2 km cells) over seeds 0..N-1, once with the scenario's own
settings and once per variant, each run in a fresh process pinned to one core with one
BLAS thread. It prints, per setting, the mean and standard deviation over the seeds of
the run time and of the headline outcomes, and, per outcome, the difference of the
means in units of its standard error: a setting that only trades speed should move the
outcomes by no more than the seeds already do.

A variant's overrides are applied after ``days=365 grid.cell_km=2``, so a variant can
also change the length of the run or the cell size. Without ``--variant`` it compares
the two routing settings that exist for speed, ``civilians.route_cell_km`` (routing cell
size) and ``civilians.route_refresh_days``, with the default routing cell size (4 km)
as a control that must match the first row.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench import cases

DEFAULT_VARIANTS = (
    "civilians.route_cell_km=4",
    "civilians.route_cell_km=6",
    "civilians.route_refresh_days=10",
)

OUTCOMES = (
    "displaced_cumulative",
    "displacement_movements",
    "in_camps",
    "exited_via_checkpoints",
    "crossed_to_turkey",
    "civilian_deaths",
    "territory_government",
)


def run_one(overrides: list[str], settings: cases.Settings) -> dict:
    """One run in a fresh process on one core: its run time and last day's outcomes.

    Raises:
        RuntimeError: The child process failed (its message is kept).
    """
    spec = {"kind": "run", "overrides": overrides, "outcomes": True}
    result = cases.run_child(spec, settings)
    if "error" in result:
        raise RuntimeError(f"run with {' '.join(overrides)} failed: {result['error']}")
    return {"seconds": result["run_s"], **result["outcomes"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.knobs", description=__doc__)
    p.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 (default 20)")
    p.add_argument("--variant", action="append", help='overrides, e.g. "civilians.route_cell_km=6"')
    args = p.parse_args(argv)
    variants = ["(scenario as is)", *(args.variant or DEFAULT_VARIANTS)]
    results: dict[str, list[dict]] = {v: [] for v in variants}
    settings = cases.Settings(repeats=1, quick=False, sweep_runs=0, cpus=[0])
    for seed in range(args.seeds):
        for v in variants:
            extra = [] if v == "(scenario as is)" else v.split()
            overrides = ["days=365", "grid.cell_km=2", f"seed={seed}", *extra]
            try:
                results[v].append(run_one(overrides, settings))
            except RuntimeError as exc:
                cases.log(f"bench.knobs: {exc}")
                return 1
        cases.log(f"seed {seed} done")

    base = results[variants[0]]
    seeds = f"seeds 0..{args.seeds - 1}"
    base_run = "365 days, 2 km cells (a variant's overrides come after these)"
    print(f"{cases.SCENARIO}, {base_run}, {seeds}; mean ± sd over seeds\n")
    print("| setting | run s | " + " | ".join(OUTCOMES) + " |")
    print("|---" * (len(OUTCOMES) + 2) + "|")
    for v in variants:
        rows = results[v]
        cells = [_mean_sd([r["seconds"] for r in rows], 3)]
        for k in OUTCOMES:
            values = [r[k] for r in rows]
            text = _mean_sd(values, 3 if k == "territory_government" else 0)
            if v != variants[0]:
                text += f" ({_z(values, [b[k] for b in base]):+.1f} se)"
            cells.append(text)
        print(f"| {v} | " + " | ".join(cells) + " |")
    print("\n(+z se): difference from the first row in standard errors of the difference.")
    return 0


def _mean_sd(values: list[float], digits: int) -> str:
    mean, sd = statistics.mean(values), statistics.stdev(values)
    return f"{mean:,.{digits}f} ± {sd:,.{digits}f}"


def _z(values: list[float], base: list[float]) -> float:
    n = len(values)
    se = ((statistics.variance(values) + statistics.variance(base)) / n) ** 0.5
    return (statistics.mean(values) - statistics.mean(base)) / se if se > 0 else 0.0


if __name__ == "__main__":
    sys.exit(main())
