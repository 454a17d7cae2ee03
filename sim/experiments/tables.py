"""Read a sweep folder back: one row per run (outcomes), or one row per (run, day).

The runs are read file by file in plan order, so memory holds one run's days at a time
when streaming, and two sweeps of the same experiment give identical tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments import store
from sim.experiments.task import run_meta

#: Columns identifying a run, first in every table.
ID_COLUMNS = ("run_id", "scenario", "point", "replicate", "seed")
COMPACT = "compact"
OUTCOMES_FILE = "outcomes.parquet"
SERIES_FILE = "series.parquet"


def _factor_columns(plan: pd.DataFrame) -> list[str]:
    fixed = {"index", *ID_COLUMNS}
    return [c for c in plan.columns if c not in fixed]


def iter_series(out: Path) -> Iterator[pd.DataFrame]:
    """Each finished run's kept days, in plan order, with the run's identity columns first."""
    plan = read_plan_indexed(out)
    factors = _factor_columns(plan)
    for index, path in store.iter_finished(out):
        days = pq.read_table(path).to_pandas()
        row = plan.loc[index]
        ident = {c: row[c] for c in (*ID_COLUMNS, *factors)}
        frame = pd.DataFrame({c: [v] * len(days) for c, v in ident.items()})
        yield pd.concat([frame, days.reset_index(drop=True)], axis=1)


def read_plan_indexed(out: Path) -> pd.DataFrame:
    """The plan, indexed by run index."""
    return store.read_plan(out).set_index("index", drop=False)


def _compacted_outcomes(out: Path, expected: int) -> pd.DataFrame | None:
    path = out / COMPACT / OUTCOMES_FILE
    if not path.is_file():
        return None
    table = pd.read_parquet(path)
    return table if len(table) == expected else None


def outcome_table(out: Path) -> pd.DataFrame:
    """One row per run on disk: identity, factors, ``status`` (ok/failed), ``error``, outcomes.

    Uses ``compact/outcomes.parquet`` when it covers every run on disk.
    """
    on_disk = store.runs_on_disk(out)
    cached = _compacted_outcomes(out, len(on_disk))
    if cached is not None:
        return cached
    plan = read_plan_indexed(out)
    rows = []
    for index, path in store.iter_finished(out):
        meta = run_meta(pq.read_schema(path).metadata)
        rows.append({"index": index, "status": "ok", "error": "", **meta["outcomes"]})
    for failure in store.failures(out):
        rows.append({"index": failure["index"], "status": "failed", "error": failure["error"]})
    if not rows:
        return plan.iloc[0:0].assign(status=[], error=[])
    found = pd.DataFrame(rows).set_index("index").sort_index()
    table = plan.loc[found.index].join(found)
    return table.reset_index(drop=True)


def export_csv(out: Path, target: Path) -> int:
    """Write one row per (run, day) to ``target`` (plan order, then day).

    Returns:
        Rows written. The file appears only when complete.
    """
    tmp = target.with_name(f".{target.name}.tmp")
    rows = 0
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        for i, frame in enumerate(iter_series(out)):
            frame.to_csv(fh, index=False, header=i == 0, lineterminator="\n")
            rows += len(frame)
    tmp.replace(target)
    return rows


def export_runs_csv(out: Path, target: Path) -> int:
    """Write one row per run (outcomes, or the error of a failed run) to ``target``."""
    table = outcome_table(out)
    tmp = target.with_name(f".{target.name}.tmp")
    table.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(target)
    return len(table)


def compact(out: Path) -> tuple[int, int]:
    """Merge the run files into ``DIR/compact/series.parquet`` and ``outcomes.parquet``.

    The run files stay (they are the record a resume reads).

    Returns:
        Rows written to the series and outcome files.
    """
    folder = out / COMPACT
    folder.mkdir(exist_ok=True)
    series_tmp = folder / f".{SERIES_FILE}.tmp"
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for frame in iter_series(out):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(series_tmp, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    if writer is not None:
        series_tmp.replace(folder / SERIES_FILE)
    outcomes = outcome_table(out)
    store.write_atomic(folder / OUTCOMES_FILE, _parquet_bytes(outcomes))
    return rows, len(outcomes)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def describe(out: Path) -> str:
    """One line: runs planned, finished, failed, still to do."""
    plan = store.read_plan(out)
    failed = len(store.failures(out))
    done = len(store.runs_on_disk(out)) - failed
    todo = len(plan) - done - failed
    return json.dumps({"planned": len(plan), "finished": done, "failed": failed, "to_do": todo})
