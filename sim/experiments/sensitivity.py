"""Sensitivity indices of a sobol or morris sweep (SALib).

Each design point's metric is its mean over replicates (replicates share seeds across
points, so the seed noise is the same at every point).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.store import read_experiment
from sim.experiments.tables import outcome_table


class SensitivityError(Exception):
    """The sweep cannot give these indices (one line for the user)."""


def _problem(experiment: dict) -> dict:
    names = list(experiment["factors"])
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(experiment["factors"][n]["range"]) for n in names],
    }


def indices(folder: Path, metric: str, scenario: str | None = None) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu_star, sigma) indices of ``metric`` per factor.

    Raises:
        SensitivityError: Not a sobol/morris sweep, unknown metric or scenario, runs
            missing or failed, or the metric undefined at some point.
    """
    experiment = read_experiment(folder)
    kind = experiment["design"]["kind"]
    if kind not in ("sobol", "morris"):
        raise SensitivityError(f"{folder}: a {kind} design; sensitivity needs sobol or morris")
    table = outcome_table(folder)
    names = list(experiment["scenarios"])
    scenario = scenario or names[0]
    if scenario not in names:
        raise SensitivityError(f"unknown scenario {scenario!r}; this sweep has {', '.join(names)}")
    if metric not in table.columns:
        raise SensitivityError(f"unknown metric {metric!r}")
    rows = table[table["scenario"] == scenario]
    points = pd.read_csv(folder / "design.csv", index_col="point")
    expected = len(points) * experiment["replicates"]
    ok = rows[rows["status"] == "ok"]
    if len(ok) < expected:
        raise SensitivityError(
            f"{expected - len(ok)} of {expected} runs of {scenario!r} missing or failed "
            "(finish the sweep with --resume first)"
        )
    y = ok.groupby("point")[metric].mean().reindex(points.index).to_numpy(dtype=float)
    if np.isnan(y).any():
        raise SensitivityError(f"{metric} is undefined at some design points")
    problem = _problem(experiment)
    if kind == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, seed=0)
        frame = pd.DataFrame(
            {
                "factor": problem["names"],
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
            }
        )
    else:
        from SALib.analyze import morris

        x = points[problem["names"]].to_numpy(dtype=float)
        res = morris.analyze(problem, x, y, num_levels=experiment["design"]["levels"], seed=0)
        frame = pd.DataFrame(
            {
                "factor": problem["names"],
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "sigma": res["sigma"],
            }
        )
    frame.attrs["title"] = f"{kind} indices of {metric} ({scenario})"
    return frame


def format_indices(frame: pd.DataFrame) -> str:
    """A plain-text table of the indices."""
    cols = [c for c in frame.columns if c != "factor"]
    lines = [
        str(frame.attrs.get("title", "")),
        f"{'factor':36s} " + " ".join(f"{c:>12s}" for c in cols),
    ]
    for _, row in frame.iterrows():
        lines.append(f"{row['factor']:36s} " + " ".join(f"{row[c]:12.4g}" for c in cols))
    return "\n".join(lines)
