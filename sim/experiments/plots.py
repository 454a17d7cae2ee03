"""Figures of a sweep: outcome distributions side by side, daily series with bands, indices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.experiments import store
from sim.experiments.tables import read_plan_indexed


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_distributions(table: pd.DataFrame, metrics: list[str], out: Path) -> Path:
    """One panel per metric: each scenario's runs as a box with the points over it.

    Returns:
        The PNG written (``out/distributions.png``).
    """
    plt = _pyplot()
    ok = table[table["status"] == "ok"]
    names = list(pd.unique(ok["scenario"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.6), squeeze=False)
    rng = np.random.default_rng(0)  # jitter of the points only
    for ax, metric in zip(axes[0], metrics, strict=True):
        groups = [ok.loc[ok["scenario"] == s, metric].dropna().to_numpy() for s in names]
        ax.boxplot(groups, showfliers=False, whis=(5, 95))
        for i, values in enumerate(groups, start=1):
            ax.plot(i + rng.uniform(-0.15, 0.15, values.size), values, ".", alpha=0.5, ms=4)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=30, ha="right")
        ax.set_title(metric, fontsize=9)
    fig.suptitle("Outcomes over runs (box: quartiles, whiskers: 5-95 %)", fontsize=10)
    fig.tight_layout()
    path = out / "distributions.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def series_bands(folder: Path, column: str) -> pd.DataFrame | None:
    """Per scenario and day: median and 5-95 % band of a kept daily column over runs.

    Returns:
        Rows (scenario, day, median, low, high), or ``None`` if the column was not kept.
    """
    plan = read_plan_indexed(folder)
    by_scenario: dict[str, list[np.ndarray]] = {}
    days: np.ndarray | None = None
    for index, path in store.iter_finished(folder):
        if column not in pq.read_schema(path).names:
            return None
        table = pq.read_table(path, columns=["day", column])
        days = table.column("day").to_numpy()
        values = table.column(column).to_numpy().astype(float)
        by_scenario.setdefault(plan.loc[index, "scenario"], []).append(values)
    if days is None:
        return None
    rows = []
    for scenario, runs in by_scenario.items():
        stack = np.vstack(runs)
        low, mid, high = np.quantile(stack, [0.05, 0.5, 0.95], axis=0)
        rows.append(
            pd.DataFrame(
                {"scenario": scenario, "day": days, "median": mid, "low": low, "high": high}
            )
        )
    return pd.concat(rows, ignore_index=True)


def plot_series_bands(folder: Path, column: str, out: Path) -> Path | None:
    """Median line and 5-95 % band of a daily column per scenario (``series_COLUMN.png``)."""
    bands = series_bands(folder, column)
    if bands is None:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for scenario, group in bands.groupby("scenario", sort=False):
        line = ax.plot(group["day"], group["median"], label=str(scenario))[0]
        ax.fill_between(
            group["day"], group["low"], group["high"], alpha=0.2, color=line.get_color()
        )
    ax.set_xlabel("day")
    ax.set_ylabel(column)
    ax.set_title(f"{column}: median and 5-95 % of runs", fontsize=10)
    ax.legend()
    fig.tight_layout()
    path = out / f"series_{column}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_indices(frame: pd.DataFrame, out: Path) -> Path:
    """Bar plot of sensitivity indices with their confidence intervals (``indices.png``)."""
    plt = _pyplot()
    value_columns = [c for c in frame.columns if c not in ("factor",) and not c.endswith("_conf")]
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(frame)), 4))
    width = 0.8 / len(value_columns)
    x = np.arange(len(frame))
    for i, name in enumerate(value_columns):
        conf = frame.get(f"{name}_conf")
        ax.bar(x + i * width, frame[name], width, yerr=conf, capsize=3, label=name)
    ax.set_xticks(
        x + width * (len(value_columns) - 1) / 2, frame["factor"], rotation=20, ha="right"
    )
    ax.legend()
    ax.set_title(str(frame.attrs.get("title", "sensitivity indices")), fontsize=10)
    fig.tight_layout()
    path = out / "indices.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
