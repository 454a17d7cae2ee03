"""The figure of a calibration: the model's median and 90 % band against the record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from sim.experiments import store
from sim.experiments.observed import ObservedSeries


def plot_fit(
    folder: Path,
    column: str,
    fitted: ObservedSeries,
    out: Path,
    aside: ObservedSeries | None = None,
    title: str = "",
) -> Path:
    """Plot the runs of a sweep folder (one point, several seeds) against the record.

    Args:
        folder: Sweep folder of the check runs (daily ``date`` and ``column``).
        column: The model column compared.
        fitted: The record points inside the fit window (filled markers).
        out: The PNG to write.
        aside: Record points outside the fit window, drawn hollow ("not fitted").
        title: The figure's title.

    Returns:
        ``out``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [pq.read_table(p).to_pydict() for _, p in store.iter_finished(folder)]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if runs:
        length = min(len(r["date"]) for r in runs)
        dates = [dt.date.fromisoformat(d) for d in runs[0]["date"][:length]]
        values = np.array([r[column][:length] for r in runs], dtype=float)
        low, median, high = np.quantile(values, [0.05, 0.5, 0.95], axis=0)
        ax.fill_between(dates, low, high, color="#457b9d", alpha=0.3, lw=0, label="model 5-95 %")
        ax.plot(dates, median, color="#1d3557", label=f"model median ({len(runs)} seeds)")
    ax.plot(fitted.dates, fitted.values, "o", color="#e63946", label="record (fitted)")
    if aside is not None and aside.dates:
        ax.plot(
            aside.dates, aside.values, "o", mfc="none", color="#e63946", label="record (not fitted)"
        )
        ax.axvline(fitted.dates[-1], color="grey", lw=0.8, ls="--")
    ax.set_ylabel(f"{column} / {fitted.name}")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
