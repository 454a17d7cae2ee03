"""The sweep folder: one Parquet file per run, written atomically, beside the plan.

Layout of ``DIR``::

    experiment.yaml   the resolved experiment (base path absolute) and its digest
    design.csv        the design table (one row per point)
    plan.csv          every run: index, run_id, scenario, point, replicate, seed, factors
    status.log        one JSON line per finished or failed run (for people; not read back)
    runs/r000042.parquet      a finished run (kept days and columns; outcomes in metadata)
    runs/r000042.failed.json  a run that raised: its error

A run is on disk when one of its two files exists; both are written to a temporary name
and renamed, so a killed sweep leaves whole files or none.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.experiments.plan import Run
from sim.experiments.spec import Experiment
from sim.experiments.task import RunResult

RUNS = "runs"
EXPERIMENT_FILE = "experiment.yaml"
PLAN_FILE = "plan.csv"
DESIGN_FILE = "design.csv"
STATUS_FILE = "status.log"


class SweepFolderError(Exception):
    """The output folder cannot take this sweep (message is one line for the user)."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def plan_table(runs: list[Run]) -> pd.DataFrame:
    """The plan as a table, one row per run."""
    rows = [
        {
            "index": r.index,
            "run_id": r.run_id,
            "scenario": r.scenario,
            "point": r.point,
            "replicate": r.replicate,
            "seed": str(r.seed),
            **r.factors,
        }
        for r in runs
    ]
    return pd.DataFrame(rows)


def _experiment_text(exp: Experiment) -> str:
    data = {"digest": exp.digest(), **exp.resolved()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def prepare_folder(
    out: Path, exp: Experiment, runs: list[Run], points: pd.DataFrame, resume: bool
) -> None:
    """Create the sweep folder, or check that a folder to resume holds this experiment.

    Raises:
        SweepFolderError: ``out`` holds files but ``resume`` is false, or it holds another
            experiment (different digest).
    """
    stored = out / EXPERIMENT_FILE
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise SweepFolderError(f"{out}: folder is not empty (use --resume to continue it)")
        if not stored.is_file():
            raise SweepFolderError(f"{out}: not a sweep folder (no {EXPERIMENT_FILE})")
        digest = (yaml.safe_load(stored.read_text(encoding="utf-8")) or {}).get("digest")
        if digest != exp.digest():
            raise SweepFolderError(
                f"{out}: holds a different experiment (digest {str(digest)[:12]}): the "
                "experiment file, what its base scenario says or the model's code changed "
                "since its runs; resume only the same experiment on the same code"
            )
        return
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    write_atomic(out / DESIGN_FILE, points.to_csv(index_label="point").encode())
    write_atomic(out / PLAN_FILE, plan_table(runs).to_csv(index=False).encode())
    write_atomic(stored, _experiment_text(exp).encode())  # last: marks the folder as a sweep


def run_path(out: Path, index: int, failed: bool = False) -> Path:
    """Path of a run's file."""
    suffix = ".failed.json" if failed else ".parquet"
    return out / RUNS / f"r{index:06d}{suffix}"


def _index_of(name: str) -> int | None:
    stem = name.split(".", 1)[0]
    if not (stem.startswith("r") and stem[1:].isdigit()) or name.startswith("."):
        return None
    return int(stem[1:])


def runs_on_disk(out: Path) -> set[int]:
    """Indices of runs with a finished or failed file (temporary files are not counted)."""
    folder = out / RUNS
    if not folder.is_dir():
        return set()
    indices = (_index_of(entry.name) for entry in os.scandir(folder))
    return {index for index in indices if index is not None}


def remove_temporaries(out: Path) -> int:
    """Delete the temporary files a killed sweep left (never renamed, so never counted).

    Only the sweep that is about to write into ``out`` may call this.

    Returns:
        Files removed.
    """
    folder = out / RUNS
    stale = [e.path for e in os.scandir(folder) if e.name.startswith(".") and ".tmp-" in e.name]
    for path in stale:
        os.unlink(path)
    return len(stale)


def forget_failures(out: Path) -> int:
    """Delete the failure records, so that a resumed sweep runs those runs again.

    Returns:
        Records deleted.
    """
    paths = list((out / RUNS).glob("r*.failed.json"))
    for path in paths:
        path.unlink()
    return len(paths)


def write_result(out: Path, result: RunResult) -> None:
    """Store one run's result atomically and log it."""
    if result.parquet is not None:
        write_atomic(run_path(out, result.index), result.parquet)
        event: dict[str, Any] = {"run": result.index, "status": "ok"}
    else:
        failure = {"index": result.index, "error": result.error, "traceback": result.detail}
        write_atomic(run_path(out, result.index, failed=True), json.dumps(failure).encode())
        event = {"run": result.index, "status": "failed", "error": result.error}
    event["seconds"] = round(result.seconds, 4)
    event["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(out / STATUS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event) + "\n")


def read_plan(out: Path) -> pd.DataFrame:
    """The plan table of a sweep folder.

    Raises:
        SweepFolderError: ``out`` is not a sweep folder.
    """
    path = out / PLAN_FILE
    if not (out / EXPERIMENT_FILE).is_file() or not path.is_file():
        raise SweepFolderError(f"{out}: not a sweep folder (no {EXPERIMENT_FILE} or {PLAN_FILE})")
    return pd.read_csv(path, dtype={"seed": str})


def read_experiment(out: Path) -> dict[str, Any]:
    """The resolved experiment stored in a sweep folder (plain data)."""
    return yaml.safe_load((out / EXPERIMENT_FILE).read_text(encoding="utf-8"))


def iter_finished(out: Path) -> Iterator[tuple[int, Path]]:
    """``(index, path)`` of every finished run file, in plan order."""
    folder = out / RUNS
    indexed = [(_index_of(e.name), Path(e.path)) for e in os.scandir(folder)]
    for index, path in sorted((i, p) for i, p in indexed if i is not None):
        if path.name.endswith(".parquet"):
            yield index, path


def failures(out: Path) -> list[dict[str, Any]]:
    """Every failed run's record, in plan order."""
    paths = sorted((out / RUNS).glob("r*.failed.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]
