"""Calibrate scenario keys to a dated record: minimise the ARD averaged over replicate seeds.

A params file declares at most :data:`MAX_PARAMS` scenario keys, each with a prior range.
The objective of a point (one value per key) is the ARD of one model column against the
record (:func:`sim.experiments.observed.ard`), averaged over ``seeds`` replicates with
common random numbers: replicate *r* has the same seed at every point of every stage, so
two points are compared on the same draws.

Method. Every stage is a sweep run by :func:`sim.experiments.sweep.run_sweep`, into its
own folder under the output folder (so it runs on the local pool or on a Dask cluster,
and a killed calibration continues where it stopped when the same command is run again):

1. *Screen*: a Latin hypercube over the prior box (half of the budget).
2. *Refinement*: two rounds of a narrower Latin hypercube, each made of one small box
   around each of the best :data:`KEEP_BEST` points so far (half-width 15 % of the prior
   range in the first round, 5 % in the second), clipped to the prior box.
3. *Check*: the best point, run over the whole scenario with ``final_seeds`` replicates,
   for the plot and the reported ARD (median over seeds).

Why narrower LHS rounds rather than Nelder-Mead: even with common random numbers the
objective is a step function of the keys (people leave in whole-person draws, cells fall
or not), so a simplex of a few points compares noise once it has shrunk to the noise's
scale and may stop early or wander; it also evaluates one point at a time, which leaves
most of a cluster idle, and its path cannot be resumed from a folder of runs without
replaying it. A Latin hypercube round evaluates all its points at once, only ranks
points (it never differentiates the noise), and each round's design follows from the
runs on disk, so resuming replays it exactly.

Out of sample. The record comes in already cut to the fit window (``idlib-sim calibrate
--fit-until`` cuts it before anything runs), and the screen and refinement runs stop on
its last date, so no later figure can enter the objective.

Resuming needs the same output folder at the same path: the stages' experiments name
their scenario and design files by absolute path, and a folder that holds another
calibration is refused.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments import store
from sim.experiments.observed import ObservedSeries, ard
from sim.experiments.spec import (
    CONTRACT_COLUMNS,
    Experiment,
    ExperimentError,
    _key_text,
    _line,
    _message,
    _read,
    override_text,
)
from sim.experiments.sweep import run_sweep
from sim.experiments.task import run_meta
from sim.world.loader import Problem, ScenarioError, load_scenario, parse_key

#: Most keys a params file may declare.
MAX_PARAMS = 8
#: Points kept from one stage as centres of the next stage's boxes.
KEEP_BEST = 3
#: Half-width of a refinement box, as a share of the prior range, per round.
REFINE_HALF_WIDTHS = (0.15, 0.05)
#: Points whose mean ARD is within this of the best one span a key's "near-best range".
NEAR_BEST_ARD = 0.02
#: Default number of design points evaluated in screen and refinement together.
DEFAULT_BUDGET = 96


class CalibrationError(ExperimentError):
    """A params file (or its use with a scenario) is wrong; one ``Problem`` per problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prior(_Strict):
    """One calibrated key: its prior range and why it is calibrated."""

    range: tuple[float, float] = Field(description="Lowest and highest value tried.")
    integer: bool = Field(
        False, description="Round tried values to whole numbers (set for whole-number keys)."
    )
    why: str = Field("", description="Why this key shapes the record, and why this range.")

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        if not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        return self


class Params(_Strict):
    """A validated params file."""

    description: str = ""
    params: dict[str, Prior] = Field(min_length=1, max_length=MAX_PARAMS)
    set: dict[str, Any] = Field(
        default_factory=dict, description="Fixed overrides of every run (dotted keys)."
    )
    source: str = ""

    @property
    def names(self) -> list[str]:
        """The calibrated keys, in file order."""
        return list(self.params)

    def bounds(self) -> np.ndarray:
        """The prior box, ``(D, 2)``: low and high of each key."""
        return np.array([self.params[n].range for n in self.params], dtype=float)


def load_params(path: str | Path, scenario: str | Path) -> Params:
    """Read a params file and check each key against the scenario at both ends of its range.

    Raises:
        CalibrationError: One problem per line, ``FILE:LINE: key.path: message``.
    """
    path = Path(path)
    try:
        data, lines = _read(path)
    except ExperimentError as exc:
        raise CalibrationError(exc.problems) from None
    data.pop("source", None)
    try:
        params = Params.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = _message(error)
            if loc == ("params",) and error["type"] == "too_long":
                message = f"at most {MAX_PARAMS} keys may be calibrated"
            problems.append(Problem(str(path), _line(lines, loc), _key_text(loc), message))
        raise CalibrationError(problems) from None
    problems: list[Problem] = []
    fixed = [override_text(k, v) for k, v in params.set.items()]
    loaded = None
    try:
        loaded = load_scenario(scenario, fixed)
    except ScenarioError as exc:
        problems += [
            Problem(str(path), _line(lines, ("set",)), "set", p.message) for p in exc.problems
        ]
    for key, prior in params.params.items():
        where = ("params", key)
        try:
            parts = parse_key(key)
        except ValueError as exc:
            problems.append(Problem(str(path), _line(lines, where), f"params.{key}", str(exc)))
            continue
        if any(isinstance(p, int) for p in parts):
            message = "list items cannot be calibrated (the fitted scenario could not set them)"
            problems.append(Problem(str(path), _line(lines, where), f"params.{key}", message))
            continue
        if loaded is not None and isinstance(_value_at(loaded, parts), int):
            prior.integer = True  # a whole-number key: the designs round to it
        for value in prior.range:
            if prior.integer:
                value = round(value)
            try:
                load_scenario(scenario, [*fixed, override_text(key, value)])
            except ScenarioError as exc:
                problems += [
                    Problem(str(path), _line(lines, where), f"params.{key}", p.message)
                    for p in exc.problems
                ]
                break
    if problems:
        raise CalibrationError(problems)
    return params


def _value_at(scenario: Any, parts: tuple[str | int, ...]) -> Any:
    node = scenario
    for part in parts:
        node = getattr(node, str(part), None)
    return None if isinstance(node, bool) else node


@dataclass
class Calibration:
    """What to fit and how hard.

    Attributes:
        scenario: The scenario file calibrated.
        params: The keys and their priors.
        observed: The record, already cut to the fit window.
        column: The model's daily column compared with the record.
        out: The output folder.
        seeds: Replicates per point (common random numbers).
        final_seeds: Replicates of the check of the best point.
        budget: Design points in screen and refinement together.
        root_seed: Root of the replicate seeds and of the Latin hypercubes.
        workers: Local worker processes (default: the CPUs).
        scheduler: A Dask scheduler address, instead of the local pool.
        progress: Progress bars (default: when stderr is a terminal).
        aside: Record points after the fit window, only drawn on the plot.
        log: One line per stage, filled in as the stages finish.
    """

    scenario: Path
    params: Params
    observed: ObservedSeries
    column: str = "displacement_movements"
    out: Path = Path("results/calibrate")
    seeds: int = 4
    final_seeds: int = 10
    budget: int = DEFAULT_BUDGET
    root_seed: int = 0
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None
    aside: ObservedSeries | None = None
    log: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CalibrationResult:
    """The outcome of a calibration.

    Attributes:
        best: The fitted value of each key.
        ard_mean: The best point's ARD averaged over the calibration seeds.
        check_ards: The ARD of each check run (``final_seeds`` of them) at the best point.
        points: Every evaluated point: stage, point, one column per key, ``ard_mean``,
            ``ard_sd``, ``runs``.
        scenario_file: The fitted scenario written.
        plot_file: The plot written.
        points_file: The CSV of ``points``.
        near_best: Lowest and highest value of each key over the points whose mean ARD is
            within :data:`NEAR_BEST_ARD` of the best: how tightly the record pins it.
    """

    best: dict[str, float | int]
    ard_mean: float
    check_ards: np.ndarray
    points: pd.DataFrame
    scenario_file: Path
    plot_file: Path
    points_file: Path
    near_best: dict[str, tuple[float, float]]


def near_best_ranges(points: pd.DataFrame, names: list[str]) -> dict[str, tuple[float, float]]:
    """Each key's lowest and highest value over the points within NEAR_BEST_ARD of the best."""
    scored = points.dropna(subset=["ard_mean"])
    near = scored[scored["ard_mean"] <= scored["ard_mean"].min() + NEAR_BEST_ARD]
    return {n: (float(near[n].min()), float(near[n].max())) for n in names}


def stage_sizes(budget: int) -> tuple[int, ...]:
    """Design points of the screen and of each refinement round (budget split 2:1:1)."""
    rounds = len(REFINE_HALF_WIDTHS)
    screen = max(2, math.ceil(budget / 2))
    each = max(KEEP_BEST, (budget - screen) // rounds)
    return (screen, *([each] * rounds))


def window_overrides(scenario: Path, fixed: list[str], last: dt.date) -> dict[str, Any]:
    """Overrides that end a run on ``last``: its length, and its events up to that day.

    Events after ``last`` are left out (a scenario refuses events outside its run); none
    of them could change a day up to ``last``.
    """
    loaded = load_scenario(scenario, fixed)
    days = (last - loaded.start_date).days + 1
    events = []
    for event in loaded.events:
        day = event.day if event.day is not None else (event.date - loaded.start_date).days
        if day <= days:
            events.append(event.model_dump(mode="json", exclude_none=True))
    return {"days": days, "events": events}


def _experiment(
    cal: Calibration, name: str, window: dict[str, Any], design: dict[str, Any]
) -> Experiment:
    fixed = {**cal.params.set, **window}
    factors = {
        k: {"range": list(p.range), "integer": p.integer} for k, p in cal.params.params.items()
    }
    return Experiment.model_validate(
        {
            "name": name,
            "base": str(cal.scenario.resolve()),
            "set": fixed,
            "factors": factors,
            "design": design,
            "replicates": cal.seeds if name != "check" else cal.final_seeds,
            "root_seed": cal.root_seed,
            "outputs": {"series": ["day", "date", cal.column]},
            "source": str(cal.out.resolve() / f"{name}.yaml"),
        }
    )


def run_ards(folder: Path, column: str, observed: ObservedSeries) -> pd.DataFrame:
    """The ARD of every finished run of a stage: columns point, replicate, ard, and the keys."""
    rows = []
    for _, path in store.iter_finished(folder):
        table = pq.read_table(path)
        meta = run_meta(table.schema.metadata)
        data = table.to_pydict()
        score = ard(data["date"], data[column], observed)
        rows.append({"point": meta["point"], "replicate": meta["replicate"], "ard": score})
    return pd.DataFrame(rows, columns=["point", "replicate", "ard"])


def point_scores(folder: Path, column: str, observed: ObservedSeries, seeds: int) -> pd.DataFrame:
    """Each design point of a stage with its ARD averaged over replicates.

    A point with a failed or missing replicate gets ``ard_mean`` NaN (never chosen).
    """
    design = pd.read_csv(folder / store.DESIGN_FILE).set_index("point")
    runs = run_ards(folder, column, observed)
    grouped = runs.groupby("point")["ard"]
    frame = design.copy()
    frame["runs"] = grouped.count().reindex(frame.index).fillna(0).astype(int)
    frame["ard_mean"] = grouped.mean().reindex(frame.index)
    frame["ard_sd"] = grouped.std(ddof=1).reindex(frame.index)
    frame.loc[frame["runs"] < seeds, "ard_mean"] = math.nan
    return frame.reset_index()


def refine_design(
    centres: np.ndarray, bounds: np.ndarray, half_width: float, points: int, seed: int
) -> np.ndarray:
    """Latin hypercube points in boxes around each centre, clipped to the prior box.

    Args:
        centres: ``(K, D)`` box centres.
        bounds: ``(D, 2)`` prior box.
        half_width: Box half-width as a share of each key's prior range.
        points: Points in all boxes together (split evenly, at least one a box).
        seed: LHS seed.

    Returns:
        ``(P, D)`` points, every one inside ``bounds``.
    """
    from scipy.stats import qmc

    span = bounds[:, 1] - bounds[:, 0]
    each = max(1, points // len(centres))
    out = []
    for k, centre in enumerate(centres):
        low = np.maximum(bounds[:, 0], centre - half_width * span)
        high = np.minimum(bounds[:, 1], centre + half_width * span)
        unit = qmc.LatinHypercube(d=len(span), seed=seed + k).random(each)
        out.append(low + unit * (high - low))
    return np.vstack(out)


def _best(frames: list[pd.DataFrame], k: int) -> pd.DataFrame:
    table = pd.concat(frames, ignore_index=True).dropna(subset=["ard_mean"])
    return table.sort_values(["ard_mean", "stage", "point"], kind="stable").head(k)


def calibrate(cal: Calibration) -> CalibrationResult:
    """Run the screen, the refinement rounds and the check; write the outputs.

    Writes into ``cal.out``: one sweep folder per stage (``screen``, ``refine1``,
    ``refine2``, ``check``), ``points.csv`` (every evaluated point and its ARD),
    ``<scenario>_calibrated.yaml`` and ``fit.png``.

    Raises:
        sim.experiments.store.SweepFolderError: ``cal.out`` holds another calibration.
        ValueError: No point could be scored (every run failed).
    """
    names = cal.params.names
    bounds = cal.params.bounds()
    fixed = [override_text(k, v) for k, v in cal.params.set.items()]
    window = window_overrides(cal.scenario, fixed, cal.observed.dates[-1])
    cal.out.mkdir(parents=True, exist_ok=True)
    sizes = stage_sizes(cal.budget)
    run = {
        "workers": cal.workers,
        "scheduler": cal.scheduler,
        "resume": True,
        "progress": cal.progress,
    }
    frames: list[pd.DataFrame] = []
    for stage, size in enumerate(sizes):
        name = "screen" if stage == 0 else f"refine{stage}"
        folder = cal.out / name
        if stage == 0:
            design: dict[str, Any] = {"kind": "lhs", "points": size, "seed": cal.root_seed}
        else:
            kept = _best(frames, KEEP_BEST)
            if kept.empty:
                raise ValueError(_no_score(cal.out / "screen"))
            centres = kept[names].to_numpy(dtype=float)
            values = refine_design(
                centres, bounds, REFINE_HALF_WIDTHS[stage - 1], size, cal.root_seed + 1000 * stage
            )
            csv = cal.out / f"{name}_design.csv"
            table = pd.DataFrame(values, columns=names)
            for key in names:
                if cal.params.params[key].integer:
                    table[key] = table[key].round().astype(np.int64)
            table.to_csv(csv, index=False, float_format="%.10g")
            design = {"kind": "csv", "file": str(csv.resolve())}
        exp = _experiment(cal, name, window, design)
        run_sweep(exp, folder, **run)
        frame = point_scores(folder, cal.column, cal.observed, cal.seeds)
        frame.insert(0, "stage", name)
        frames.append(frame)
        best = _best(frames, 1)
        if len(best):
            cal.log.append(f"{name}: {size} points, best ARD {best['ard_mean'].iloc[0]:.3f}")
    points = pd.concat(frames, ignore_index=True)
    best_row = _best(frames, 1)
    if best_row.empty:
        raise ValueError(_no_score(cal.out / "screen"))
    best = {
        n: int(best_row[n].iloc[0]) if cal.params.params[n].integer else float(best_row[n].iloc[0])
        for n in names
    }
    check = _experiment(cal, "check", {}, {"kind": "csv", "file": _check_design(cal, best)})
    check_folder = cal.out / "check"
    run_sweep(check, check_folder, **run)
    check_ards = run_ards(check_folder, cal.column, cal.observed)["ard"].to_numpy()
    points_file = cal.out / "points.csv"
    points.to_csv(points_file, index=False, float_format="%.6g", lineterminator="\n")
    ard_mean = float(best_row["ard_mean"].iloc[0])
    near = near_best_ranges(points, names)
    scenario_file = write_fitted_scenario(cal, best, ard_mean, check_ards, near)
    from sim.experiments.calibration_plot import plot_fit

    med = float(np.median(check_ards)) if len(check_ards) else math.nan
    title = (
        f"{cal.scenario.name} at the fitted values: ARD {med:.2f} (median over "
        f"{len(check_ards)} seeds), {cal.observed.dates[0]} to {cal.observed.dates[-1]}"
    )
    plot_file = plot_fit(
        check_folder, cal.column, cal.observed, cal.out / "fit.png", cal.aside, title
    )
    return CalibrationResult(
        best, ard_mean, check_ards, points, scenario_file, plot_file, points_file, near
    )


def _no_score(folder: Path) -> str:
    failed = store.failures(folder)
    why = f": {failed[0]['error']}" if failed else ""
    return f"no point could be scored, {len(failed)} runs failed in {folder}{why}"


def _check_design(cal: Calibration, best: dict[str, float]) -> str:
    csv = cal.out / "check_design.csv"
    pd.DataFrame([best]).to_csv(csv, index=False, float_format="%.10g")
    return str(csv.resolve())


def _nested(key: str, value: float) -> dict[str, Any]:
    parts = [str(p) for p in parse_key(key)]
    node: dict[str, Any] = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        node = {part: node}
    return node


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def fitted_values(cal: Calibration, best: dict[str, float | int]) -> dict[str, Any]:
    """The fitted keys and the params file's fixed overrides as nested scenario data.

    Values are rounded to 4 significant figures (well inside the noise of the fit).
    """
    data: dict[str, Any] = {}
    for key, value in {**cal.params.set, **best}.items():
        if isinstance(value, float):
            value = float(f"{value:.4g}")
        _merge(data, _nested(key, value))
    return data


def write_fitted_scenario(
    cal: Calibration,
    best: dict[str, float | int],
    ard_mean: float,
    check_ards: np.ndarray,
    near: dict[str, tuple[float, float]],
) -> Path:
    """Write ``<scenario stem>_calibrated.yaml``: ``extends:`` the scenario, sets the fit."""
    import os

    import yaml

    base = load_scenario(cal.scenario)
    path = cal.out / f"{cal.scenario.stem}_calibrated.yaml"
    relative = os.path.relpath(cal.scenario.resolve(), cal.out.resolve())
    first, last = cal.observed.dates[0], cal.observed.dates[-1]
    lo, med, hi = np.quantile(check_ards, [0.1, 0.5, 0.9]) if len(check_ards) else (math.nan,) * 3
    header = [
        f"# Calibrated by idlib-sim calibrate from {cal.scenario}, params {cal.params.source}:",
        f"# {len(cal.observed.dates)} observed dates of {cal.observed.name}, {first} to {last},",
        f"# against the model's {cal.column}.",
        f"# ARD at the fitted values: {ard_mean:.3f} (mean over {cal.seeds} calibration seeds);",
        f"# median {med:.3f} (10-90 %: {lo:.3f}-{hi:.3f}) over {len(check_ards)} seeds.",
        f"# Fitted value [near-best range: points within {NEAR_BEST_ARD} of the best ARD] "
        "(prior range):",
        *(
            f"#   {k} = {best[k]:.4g} [{near[k][0]:.4g} to {near[k][1]:.4g}] "
            f"({p.range[0]:g} to {p.range[1]:g})"
            for k, p in cal.params.params.items()
        ),
    ]
    body = {
        "extends": relative,
        "name": f"{base.name}_calibrated",
        "description": f"{base.name} with keys fitted to {cal.observed.name} "
        f"({first} to {last}); ARD {med:.2f}.",
        **fitted_values(cal, best),
    }
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    store.write_atomic(path, text.encode())
    return path


def check_columns() -> tuple[str, ...]:
    """Daily columns a calibration may compare (the model's, beyond the contract)."""
    from sim.experiments.simulate import series_columns

    return tuple(dict.fromkeys([*CONTRACT_COLUMNS, *series_columns()]))
