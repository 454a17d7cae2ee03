"""Dated observed series (the record a model run is compared with) and the ARD between them.

An observed series is a list of (date, value) points with a name and its sources, read
from a CSV file (a ``date`` column and a value column, one row per point, a ``source``
column if any) or from the project's ``displacement_2019.json`` (its spring-2019
``wave1_apr_aug_2019.series``). The averaged relative difference (ARD, as in Flee's
validation) is the mean over the observed dates of ``|model - observed| / observed``.

Example::

    record = load_observed("scenarios/data/displacement_2019.csv")
    spring = record.between(dt.date(2019, 4, 29), dt.date(2019, 8, 31))
    ard(model.timeseries()["date"], model.timeseries()["displacement_movements"], spring)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The series ``displacement_2019.json`` holds, and the field with its values.
JSON_SERIES = ("wave1_apr_aug_2019", "series")
JSON_VALUE = "cumulative_displaced"


class ObservedError(ValueError):
    """An observed-series file is unreadable; the message is ``FILE:LINE: key: message``."""


@dataclass(frozen=True)
class ObservedSeries:
    """A dated record.

    Attributes:
        name: What is counted (the value column), e.g. ``cumulative_displacements``.
        dates: Observation dates, strictly increasing, ``(n,)``.
        values: Observed values, ``(n,)`` float, all positive.
        sources: One source per point (empty strings where none is given).
    """

    name: str
    dates: tuple[dt.date, ...]
    values: np.ndarray
    sources: tuple[str, ...]

    def between(self, first: dt.date, last: dt.date) -> ObservedSeries:
        """The points dated from ``first`` to ``last``, both included."""
        keep = [i for i, d in enumerate(self.dates) if first <= d <= last]
        return ObservedSeries(
            self.name,
            tuple(self.dates[i] for i in keep),
            self.values[keep],
            tuple(self.sources[i] for i in keep),
        )


def _date(text: str, where: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ObservedError(f"{where}: {key}: not a date (YYYY-MM-DD): {text!r}") from None


def _value(text: object, where: str, key: str) -> float:
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        raise ObservedError(f"{where}: {key}: not a number: {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ObservedError(f"{where}: {key}: must be a positive number (got {text!r})")
    return value


def _series(name: str, points: list[tuple[dt.date, float, str, str]], file: str) -> ObservedSeries:
    """Check the points (date, value, source, where) and make the series."""
    if not points:
        raise ObservedError(f"{file}: no observations")
    for (before, _, _, _), (date, _, _, where) in zip(points, points[1:], strict=False):
        if date <= before:
            raise ObservedError(f"{where}: date: {date} is not after the previous row's {before}")
    dates, values, sources, _ = zip(*points, strict=True)
    return ObservedSeries(name, tuple(dates), np.array(values, dtype=float), tuple(sources))


def _load_csv(path: Path, column: str | None) -> ObservedSeries:
    file = str(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if "date" not in header:
            raise ObservedError(f"{file}:1: date: no 'date' column (columns: {header})")
        if column is None:
            others = [h for h in header if h not in ("date", "source")]
            if not others:
                raise ObservedError(f"{file}:1: no value column beside 'date'")
            column = others[0]
        elif column not in header:
            raise ObservedError(f"{file}:1: {column}: no such column (columns: {header})")
        points = []
        for row in reader:
            where = f"{file}:{reader.line_num}"
            date = _date(row["date"], where, "date")
            points.append(
                (date, _value(row[column], where, column), row.get("source") or "", where)
            )
    return _series(column, points, file)


def _load_json(path: Path, column: str | None) -> ObservedSeries:
    file = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ObservedError(f"{file}:{exc.lineno}: {exc.msg}") from None
    node = data
    for i, key in enumerate(JSON_SERIES):
        if not isinstance(node, dict) or key not in node:
            raise ObservedError(f"{file}: {'.'.join(JSON_SERIES[: i + 1])}: missing")
        node = node[key]
    column = column or JSON_VALUE
    if not isinstance(node, list):
        raise ObservedError(f"{file}: {'.'.join(JSON_SERIES)}: expected a list of points")
    points = []
    for i, point in enumerate(node):
        key = f"{'.'.join(JSON_SERIES)}[{i}]"
        if not isinstance(point, dict) or "date" not in point or column not in point:
            raise ObservedError(f"{file}: {key}: expected 'date' and '{column}'")
        date = _date(point["date"], file, f"{key}.date")
        value = _value(point[column], file, f"{key}.{column}")
        points.append((date, value, str(point.get("source", "")), f"{file}: {key}"))
    return _series(column, points, file)


def load_observed(path: str | Path, column: str | None = None) -> ObservedSeries:
    """Read a dated observed series.

    Args:
        path: A CSV file with a ``date`` column (YYYY-MM-DD, increasing) and a value
            column, or a JSON file shaped like ``displacement_2019.json`` (``.json``).
        column: The value column (CSV; default: the first column other than ``date`` and
            ``source``) or the field of each JSON point (default ``cumulative_displaced``).

    Raises:
        ObservedError: Naming the file, line (CSV) or key, and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ObservedError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        return _load_json(path, column)
    return _load_csv(path, column)


def model_at(
    model_dates: Sequence[str | dt.date],
    model_values: Sequence[float] | np.ndarray,
    dates: Sequence[dt.date],
    since: dt.date | None = None,
) -> np.ndarray:
    """The model's values on the given dates, ``(len(dates),)``.

    Args:
        model_dates: The run's dates, one per day (``timeseries.csv``'s ``date``).
        model_values: The run's values of one column, one per day.
        dates: The dates wanted.
        since: If given, the model's value on this date is subtracted (counts since then).

    Raises:
        ValueError: A wanted date (or ``since``) is outside the run.
    """
    index = {
        dt.date.fromisoformat(d) if isinstance(d, str) else d: i for i, d in enumerate(model_dates)
    }
    values = np.asarray(model_values, dtype=float)
    wanted = list(dates) + ([since] if since is not None else [])
    missing = [d.isoformat() for d in wanted if d not in index]
    if missing:
        raise ValueError(f"dates outside the run: {', '.join(missing)}")
    out = values[[index[d] for d in dates]]
    return out - values[index[since]] if since is not None else out


def ard(
    model_dates: Sequence[str | dt.date],
    model_values: Sequence[float] | np.ndarray,
    observed: ObservedSeries,
    since: dt.date | None = None,
) -> float:
    """Averaged relative difference: mean over observed dates of ``|model - obs| / obs``.

    Args:
        model_dates: The run's dates, one per day.
        model_values: The run's values of the compared column (e.g.
            ``displacement_movements`` against OCHA's displacements), one per day.
        observed: The record; every one of its dates must lie within the run.
        since: Count the model from this date (its value then is subtracted), for a
            record that counts from a later baseline than the run's start.

    Returns:
        The ARD, >= 0 (0 = the model meets every observation).
    """
    if not observed.dates:
        raise ValueError("the observed series is empty")
    model = model_at(model_dates, model_values, observed.dates, since)
    return float(np.mean(np.abs(model - observed.values) / observed.values))
