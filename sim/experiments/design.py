"""Design points: where in factor space the runs go (grid, LHS, Sobol, Morris or a CSV)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.spec import Experiment, Factor


def salib_problem(exp: Experiment) -> dict[str, Any]:
    """The SALib problem dict of an experiment's (ranged) factors, in file order."""
    names = list(exp.factors)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(exp.factors[n].range) for n in names],  # type: ignore[arg-type]
    }


def _levels(factor: Factor) -> list[Any]:
    if factor.choices is not None:
        return list(factor.choices)
    low, high = factor.range  # type: ignore[misc]
    values = np.linspace(low, high, factor.levels).tolist()
    return [round(v) for v in values] if factor.integer else values


def _scale(unit: np.ndarray, exp: Experiment) -> np.ndarray:
    """Map points in [0, 1]^D onto the factors' ranges."""
    bounds = np.array([exp.factors[n].range for n in exp.factors], dtype=float)
    return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])


def design_points(exp: Experiment) -> pd.DataFrame:
    """The experiment's design: one row per point, one column per factor.

    Returns:
        A frame indexed 0..P-1; with no factors, one point with no columns.
    """
    names = list(exp.factors)
    kind = exp.design.kind
    if not names and kind != "csv":
        return pd.DataFrame(index=pd.RangeIndex(1))
    if kind == "grid":
        rows = list(itertools.product(*(_levels(exp.factors[n]) for n in names)))
        frame = pd.DataFrame(rows, columns=names)
    elif kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), seed=exp.design.seed).random(exp.design.points)
        frame = pd.DataFrame(_scale(unit, exp), columns=names)
    elif kind == "sobol":
        from SALib.sample import sobol

        values = sobol.sample(salib_problem(exp), exp.design.points, calc_second_order=False)
        frame = pd.DataFrame(values, columns=names)
    elif kind == "morris":
        from SALib.sample import morris

        values = morris.sample(
            salib_problem(exp),
            exp.design.points,
            num_levels=exp.design.levels,
            seed=exp.design.seed,
        )
        frame = pd.DataFrame(values, columns=names)
    else:
        frame = pd.read_csv(Path(exp.source).parent / str(exp.design.file))
    for name in names:
        if name in frame and exp.factors[name].integer:
            frame[name] = frame[name].round().astype(np.int64)
    return frame.reset_index(drop=True)
