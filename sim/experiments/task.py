"""What a worker does with a batch of runs: run each, keep its outputs, catch its failure.

Runs in worker processes (local pool or Dask). A run that raises becomes a failure result
with its error; it never stops the batch. Results travel back as Parquet bytes, so the
parent writes them without holding more than one batch.
"""

from __future__ import annotations

import ctypes
import functools
import io
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.plan import Run

#: The metadata key of a run file holding its identity and outcomes (JSON).
META_KEY = b"idlib_sim.run"
#: Rungs for which the first day of reaching them is kept, per ``*_rung`` column.
FIRST_DAY_RUNGS = (1, 2, 3, 4, 5)

Simulate = Callable[[str, list[str], int], dict[str, list]]


@dataclass(frozen=True)
class RunResult:
    """What one run gives back.

    Attributes:
        index: The run's position in the plan.
        parquet: The run file's bytes (``None`` if the run failed).
        error: ``"Type: message"`` of a failed run, else ``None``.
        detail: The failed run's traceback (last lines), else ``""``.
        seconds: Wall time of the run in the worker, s.
    """

    index: int
    parquet: bytes | None
    error: str | None
    detail: str
    seconds: float


def outcomes(series: dict[str, list]) -> dict[str, float]:
    """Scalar outcomes of one run from its full daily series.

    Returns:
        ``final.C`` (last day) and ``peak.C`` (maximum) of every numeric column ``C``, and
        ``first_day.R>=k`` (first day column ``R`` reaches rung ``k``; NaN if never) for
        every ``*_rung`` column.
    """
    out: dict[str, float] = {}
    for name, values in series.items():
        if not values or isinstance(values[0], str):
            continue
        arr = np.asarray(values, dtype=float)
        out[f"final.{name}"] = float(arr[-1])
        out[f"peak.{name}"] = float(arr.max())
    days = np.asarray(series["day"])
    for name in [n for n in series if n.endswith("_rung")]:
        arr = np.asarray(series[name])
        for k in FIRST_DAY_RUNGS:
            hit = np.flatnonzero(arr >= k)
            out[f"first_day.{name}>={k}"] = float(days[hit[0]]) if hit.size else math.nan
    return out


def run_table(run: Run, series: dict[str, list], keep: list[str], every_days: int) -> pa.Table:
    """The run's file contents: kept days of the kept columns, identity and outcomes as metadata."""
    n_days = len(series["day"])
    rows = sorted({*range(0, n_days, every_days), n_days - 1})
    columns = ["day", *[c for c in keep if c != "day"]]
    arrays = {c: pa.array([series[c][i] for i in rows]) for c in columns}
    meta = {
        "index": run.index,
        "run_id": run.run_id,
        "scenario": run.scenario,
        "point": run.point,
        "replicate": run.replicate,
        "seed": str(run.seed),
        "factors": run.factors,
        "outcomes": outcomes(series),
    }
    table = pa.table(arrays)
    return table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})


def table_bytes(table: pa.Table) -> bytes:
    """Parquet bytes of a table (zstd, no statistics: small files for short series)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", write_statistics=False)
    return sink.getvalue()


_M_TRIM_THRESHOLD = -1  # glibc mallopt parameters
_M_MMAP_THRESHOLD = -3
_HEAP_BYTES = 64 * 2**20


@functools.cache
def relax_malloc_trimming() -> bool:
    """Undo a small ``MALLOC_TRIM_THRESHOLD_`` in this process (glibc only), once.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes
    glibc's mmap threshold at 128 KiB: every day's arrays are then mapped and unmapped
    afresh, and a default-year run took 0.55 s against 0.41 s. Arrays up to 64 MiB go
    back to the heap here; a run's memory is a few MiB, so little is held back.

    Returns:
        Whether the setting was changed.
    """
    if not os.environ.get("MALLOC_TRIM_THRESHOLD_") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, _HEAP_BYTES)
        and libc.mallopt(_M_TRIM_THRESHOLD, _HEAP_BYTES)
    )


def execute_batch(
    base: str,
    runs: list[Run],
    keep: list[str],
    every_days: int,
    simulate: Simulate | None = None,
) -> list[RunResult]:
    """Run a batch of runs one after another in this process.

    Args:
        base: Base scenario file.
        runs: The runs to do.
        keep: Daily columns to keep.
        every_days: Keep every k-th day (and the last).
        simulate: The model call (default :func:`sim.experiments.simulate.run_scenario`).

    Returns:
        One result per run, in the order given.
    """
    if simulate is None:
        from sim.experiments.simulate import run_scenario as simulate
    relax_malloc_trimming()
    results = []
    for run in runs:
        started = time.perf_counter()
        try:
            series = simulate(base, list(run.overrides), run.seed)
            data = table_bytes(run_table(run, series, keep, every_days))
        except Exception as exc:  # a failing run is recorded, never fatal to the sweep
            message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            tail = "".join(traceback.format_exc().splitlines(keepends=True)[-12:])
            results.append(RunResult(run.index, None, message, tail, time.perf_counter() - started))
            continue
        results.append(RunResult(run.index, data, None, "", time.perf_counter() - started))
    return results


def run_meta(schema_metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    """The identity and outcomes stored in a run file's schema metadata."""
    return json.loads((schema_metadata or {})[META_KEY])
