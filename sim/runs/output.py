"""The run folder: the files a single run writes, atomically (all or nothing).

Contract (README, "Run folder"): ``timeseries.csv``, ``events.csv``, ``camps.csv``,
``checkpoints.csv``, ``summary.json``, ``scenario.yaml`` and the PNG figures.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import sim
from sim.world.loader import scenario_hash, scenario_yaml

if TYPE_CHECKING:
    from sim.model import EscalationModel

EVENT_COLUMNS = ("day", "date", "actor", "kind", "detail", "reason")
CAMP_COLUMNS = ("day", "camp", "population", "capacity_people")
CHECKPOINT_COLUMNS = ("day", "checkpoint", "open", "queue", "exits", "exits_total")


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return format(float(value), ".10g")
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a fixed float format, so that equal runs give equal bytes."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def timeseries_rows(model: EscalationModel) -> list[list[Any]]:
    """One row per day (day 0 = the start), columns as ``TIMESERIES_COLUMNS``."""
    return [list(row) for row in zip(*model.timeseries().values(), strict=True)]


def summary(model: EscalationModel, wall_time_s: float, command: str) -> dict[str, Any]:
    """Headline outcomes and provenance of a finished run."""
    import mesa

    data = model.timeseries()
    turkey_top = int(max(data["turkey_rung"]))
    crisis_day = next(
        (
            int(d)
            for d, v in zip(data["day"], data["border_displaced_people"], strict=True)
            if v >= model.config.turkey.crisis_threshold_people
        ),
        None,
    )
    ceasefire_day = next(
        (int(d) for d, v in zip(data["day"], data["ceasefire"], strict=True) if v), None
    )
    return {
        "scenario": model.config.name,
        "seed": model.config.seed,
        "days": model.config.days,
        "start_date": model.config.start_date.isoformat(),
        "end_date": model.date.isoformat(),
        "outcomes": {
            "displaced_cumulative": model.displaced_cumulative,
            "displacement_movements": int(data["displacement_movements"][-1]),
            "displaced_inside": int(data["displaced_inside"][-1]),
            "in_camps": int(data["in_camps"][-1]),
            "crossed_to_turkey": model.crossed_to_turkey,
            "exited_via_checkpoints": model.exited_via_checkpoints,
            "civilian_deaths": model.civilian_deaths,
            "peak_border_displaced_people": int(max(data["border_displaced_people"])),
            "peak_border_pressure": float(max(data["border_pressure"])),
            "day_border_displacement_reached_crisis_threshold": crisis_day,
            "turkey_top_rung": model.config.turkey.ladder[turkey_top].name,
            "russia_top_rung": model.config.russia.ladder[int(max(data["russia_rung"]))].name,
            "territory_government_final": float(data["territory_government"][-1]),
            "ceasefire_day": ceasefire_day,
            "turkish_soldiers_killed": model.turkish_soldiers_killed,
            "government_losses": round(model.government_forces.losses_fighters),
        },
        "ledger": {"population_total": model.population_total, "balanced_every_day": True},
        "provenance": {
            "package": "idlib-sim",
            "version": sim.__version__,
            "scenario_hash_sha256": scenario_hash(model.config_at_start),
            "seed": model.config.seed,
            "wall_time_s": round(wall_time_s, 3),
            "command": command,
            "python": platform.python_version(),
            "mesa": mesa.__version__,
            "numpy": np.__version__,
        },
    }


def check_out_dir(out_dir: Path, overwrite: bool) -> str | None:
    """Return a problem message if ``out_dir`` may not be written, else None."""
    if out_dir.exists() and not out_dir.is_dir():
        return f"{out_dir}: exists and is not a folder"
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        return f"{out_dir}: folder exists and is not empty (use --overwrite to replace it)"
    return None


def write_run_folder(
    model: EscalationModel, out_dir: Path, wall_time_s: float, command: str, plots: bool = True
) -> Path:
    """Write the run folder to a temporary sibling, then move it into place.

    An interrupted write leaves no half-written ``out_dir`` behind.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        from sim.model import TIMESERIES_COLUMNS

        files = {
            "timeseries.csv": csv_text(TIMESERIES_COLUMNS, timeseries_rows(model)),
            "events.csv": csv_text(EVENT_COLUMNS, model.events),
            "camps.csv": csv_text(CAMP_COLUMNS, model.camp_rows),
            "checkpoints.csv": csv_text(CHECKPOINT_COLUMNS, model.checkpoint_rows),
            "scenario.yaml": scenario_yaml(model.config_at_start),
            "summary.json": json.dumps(summary(model, wall_time_s, command), indent=2) + "\n",
        }
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        if plots:
            from sim.runs import plots as figures

            figures.write_all(model, tmp)
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out_dir
