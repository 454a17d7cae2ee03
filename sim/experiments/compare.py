"""Compare scenarios of a sweep: medians and 90 % intervals, paired differences with bootstrap.

Outcome names (columns of :func:`sim.experiments.tables.outcome_table`):
``final.C`` (last day of column C; a bare ``C`` means this), ``peak.C`` (maximum over the
days), ``first_day.turkey_rung>=k`` (first day Turkey stands on rung k or higher; runs that
never get there are counted apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_METRICS = (
    "final.displaced_cumulative",
    "peak.border_pressure",
    "final.exited_via_checkpoints",
    "final.civilian_deaths",
    "first_day.turkey_rung>=2",
)
#: Share of the replicates inside the reported interval.
INTERVAL = 0.90
BOOTSTRAP_SAMPLES = 2000


class CompareError(Exception):
    """The comparison asked for cannot be made (one line for the user)."""


def metric_column(name: str) -> str:
    """The outcome column of a metric name (``C`` means ``final.C``)."""
    return name if "." in name.split(">=")[0] else f"final.{name}"


def _check(table: pd.DataFrame, metrics: list[str], scenarios: list[str]) -> None:
    for m in metrics:
        if m not in table.columns:
            known = sorted(c for c in table.columns if c.startswith(("final.", "peak.", "first")))
            hint = ", ".join(known[:6]) + (", ..." if len(known) > 6 else "")
            raise CompareError(f"unknown metric {m!r}; known e.g.: {hint}")
    names = set(table["scenario"])
    for s in scenarios:
        if s not in names:
            raise CompareError(
                f"unknown scenario {s!r}; this sweep has: {', '.join(sorted(names))}"
            )


def summary(table: pd.DataFrame, metrics: list[str], by_point: bool = False) -> pd.DataFrame:
    """Per scenario (and design point) and metric: runs, median and the 90 % interval.

    Args:
        table: The outcome table (failed runs are left out here).
        metrics: Outcome columns.
        by_point: One group per (scenario, design point) instead of per scenario.

    Returns:
        Rows (scenario, [point,] metric, runs, defined, median, low, high), in sweep
        order; ``defined`` counts runs where the metric exists (a rung reached).
    """
    ok = table[table["status"] == "ok"]
    _check(table, metrics, [])
    tail = (1 - INTERVAL) / 2
    keys = ["scenario", "point"] if by_point else ["scenario"]
    rows = []
    for key, group in ok.groupby(keys, sort=False):
        label = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        for m in metrics:
            values = group[m].to_numpy(dtype=float)
            defined = values[~np.isnan(values)]
            stats = np.quantile(defined, [0.5, tail, 1 - tail]) if defined.size else [np.nan] * 3
            rows.append(
                {
                    **label,
                    "metric": m,
                    "runs": len(values),
                    "defined": int(defined.size),
                    "median": stats[0],
                    "low": stats[1],
                    "high": stats[2],
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PairedDifference:
    """A minus B over runs paired by (design point, replicate): same seed, same point."""

    a: str
    b: str
    metric: str
    pairs: int
    median: float
    mean: float
    low: float
    high: float
    share_a_higher: float


def paired_difference(
    table: pd.DataFrame,
    a: str,
    b: str,
    metric: str,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """Paired difference of ``metric`` between scenarios ``a`` and ``b``.

    The interval is a percentile bootstrap (pairs resampled) of the mean difference, at
    :data:`INTERVAL`. Pairs where either run failed or the metric is undefined are left out.
    """
    ok = table[table["status"] == "ok"]
    keys = ["point", "replicate"]
    left = ok[ok["scenario"] == a][[*keys, metric]]
    right = ok[ok["scenario"] == b][[*keys, metric]]
    both = left.merge(right, on=keys, suffixes=("_a", "_b")).dropna()
    d = (both[f"{metric}_a"] - both[f"{metric}_b"]).to_numpy(dtype=float)
    if d.size == 0:
        nan = float("nan")
        return PairedDifference(a, b, metric, 0, nan, nan, nan, nan, nan)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(samples, d.size))].mean(axis=1)
    tail = (1 - INTERVAL) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return PairedDifference(
        a,
        b,
        metric,
        int(d.size),
        float(np.median(d)),
        float(d.mean()),
        float(low),
        float(high),
        float((d > 0).mean()),
    )


def differences(
    table: pd.DataFrame, metrics: list[str], between: tuple[str, str] | None = None
) -> pd.DataFrame:
    """Paired differences: ``between`` (A, B), or every other scenario against the first."""
    names = list(pd.unique(table["scenario"]))
    if between is not None:
        _check(table, metrics, list(between))
        pairs = [between]
    else:
        _check(table, metrics, [])
        pairs = [(other, names[0]) for other in names[1:]]
    rows = [paired_difference(table, a, b, m).__dict__ for a, b in pairs for m in metrics]
    return pd.DataFrame(rows)


def _number(x: float) -> str:
    if x != x:  # NaN
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def format_summary(frame: pd.DataFrame) -> str:
    """A plain-text table of :func:`summary`."""
    lines = [f"{'scenario':16s} {'metric':32s} {'runs':>5s} {'median':>12s}  90 % interval"]
    for r in frame.itertuples():
        reach = "" if r.defined == r.runs else f"  (reached in {r.defined})"
        name = f"{r.scenario} p{r.point}" if "point" in frame.columns else r.scenario
        lines.append(
            f"{name:16s} {r.metric:32s} {r.runs:5d} {_number(r.median):>12s}  "
            f"[{_number(r.low)}, {_number(r.high)}]{reach}"
        )
    return "\n".join(lines)


def format_differences(frame: pd.DataFrame) -> str:
    """A plain-text table of :func:`differences`."""
    lines = [f"{'A - B':28s} {'metric':32s} {'pairs':>5s} {'mean':>12s}  90 % bootstrap  A>B"]
    for r in frame.itertuples():
        lines.append(
            f"{r.a + ' - ' + r.b:28s} {r.metric:32s} {r.pairs:5d} {_number(r.mean):>12s}  "
            f"[{_number(r.low)}, {_number(r.high)}]  {r.share_a_higher:.0%}"
        )
    return "\n".join(lines)
