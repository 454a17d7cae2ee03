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
import re
import shutil
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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


RUN_MARK = "idlib-sim"
#: Kinds of file a run folder holds; a folder with anything else is never replaced.
RUN_FILE_SUFFIXES = (".csv", ".json", ".yaml", ".png")
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:(?P<kind>partial|old)-(?P<pid>\d+)|lock)$")


class OutputError(Exception):
    """The output folder cannot be claimed or written; ``str()`` is one line for the user."""


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is recognisably a run folder this tool wrote.

    It is when its ``summary.json`` names idlib-sim as the package that wrote it and it
    holds only files of the kinds a run writes (no subfolders, no other files).
    """
    try:
        entries = list(folder.iterdir())
        summary_text = (folder / "summary.json").read_text(encoding="utf-8")
        package = json.loads(summary_text)["provenance"]["package"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if package != RUN_MARK:
        return False
    return all(
        p.is_file() and not p.is_symlink() and p.suffix in RUN_FILE_SUFFIXES for p in entries
    )


def check_out_dir(out_dir: Path, overwrite: bool) -> str | None:
    """Return a problem message if ``out_dir`` may not be written, else None.

    A missing or empty folder may be written; a run folder of this tool may be replaced
    with ``overwrite``; anything else (a file, a symbolic link, a folder of other files)
    is refused.
    """
    if out_dir.is_symlink():
        return f"{out_dir}: is a symbolic link; give the folder it points to, or another name"
    if out_dir.exists() and not out_dir.is_dir():
        return f"{out_dir}: exists and is not a folder"
    try:
        empty = not out_dir.is_dir() or not any(out_dir.iterdir())
    except OSError as exc:
        return f"{out_dir}: cannot read the folder ({exc.strerror})"
    if empty:
        return None
    if not overwrite:
        return (
            f"{out_dir}: folder exists and is not empty (use --overwrite to replace a run folder)"
        )
    if not is_run_folder(out_dir):
        return (
            f"{out_dir}: not an idlib-sim run folder (its summary.json does not name idlib-sim, "
            "or it holds other files); --overwrite replaces only run folders, so it is left as is"
        )
    return None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: assume it is a live run
    return True


def clean_leftovers(parent: Path) -> list[str]:
    """Remove what killed runs left in ``parent``; return one note per thing done.

    A run holds the lock file ``.NAME.lock`` (its process id inside) while it runs, fills
    ``.NAME.partial-PID`` and, when it replaces a run folder, briefly keeps the old one as
    ``.NAME.old-PID``. When that process no longer runs these are leftovers of a killed
    run (SIGKILL, power loss): locks and partial folders go; an old run folder comes back
    as ``NAME`` if nothing took its place, else it goes.
    """
    notes: list[str] = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return notes
    for path in entries:
        match = _LEFTOVER.match(path.name)
        if not match or path.is_symlink():
            continue
        kind = match["kind"] or "lock"
        pid = int(match["pid"]) if match["pid"] else _lock_owner(path)
        if pid is None or _pid_alive(pid):
            continue
        target = parent / match["name"]
        try:
            if kind == "lock" and path.is_file():
                path.unlink()
                notes.append(f"removed the lock of a killed run: {path}")
            elif kind == "partial" and path.is_dir() and _only_run_files(path):
                shutil.rmtree(path)
                notes.append(f"removed the unfinished folder of a killed run: {path}")
            elif kind == "old" and path.is_dir() and is_run_folder(path):
                if target.exists() or target.is_symlink():
                    shutil.rmtree(path)
                    notes.append(f"removed the replaced run folder a killed run left: {path}")
                else:
                    os.rename(path, target)
                    notes.append(f"restored {target}, which a killed run was replacing")
        except OSError as exc:
            notes.append(f"could not clean up {path} ({exc.strerror})")
    return notes


def _only_run_files(folder: Path) -> bool:
    return all(p.is_file() and p.suffix in RUN_FILE_SUFFIXES for p in folder.iterdir())


@dataclass
class OutputClaim:
    """An output folder claimed for one run: a lock beside it and a hidden folder to fill.

    Use as a context manager: leaving it without :meth:`commit` removes the hidden folder,
    the lock and any parent folders the claim created, so nothing is left behind.
    """

    out_dir: Path
    tmp_dir: Path
    lock: Path
    overwrite: bool = False
    created: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    locked: bool = False
    committed: bool = False

    def __enter__(self) -> OutputClaim:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def commit(self) -> Path:
        """Move the filled hidden folder into place as ``out_dir``; release the lock.

        SIGINT and SIGTERM wait until this is done, so the folder is either the old one
        or the new one, never a mix.

        Raises:
            OutputError: When the folder could not be moved into place.
        """
        blocked = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            out, old = self.out_dir, self.out_dir.parent / f".{self.out_dir.name}.old-{os.getpid()}"
            problem = check_out_dir(out, self.overwrite)
            if problem:
                raise OutputError(problem)
            moved_aside = False
            try:
                if out.is_dir() and any(out.iterdir()):
                    os.rename(out, old)
                    moved_aside = True
                os.rename(self.tmp_dir, out)  # replaces a missing or empty folder in one step
            except OSError as exc:
                if moved_aside:
                    os.rename(old, out)  # put the previous run folder back
                raise OutputError(f"{out}: cannot move the run folder into place ({exc})") from None
            self.committed = True
            if moved_aside:  # what is left of it, the next run's clean-up removes
                shutil.rmtree(old, ignore_errors=True)
            self.lock.unlink(missing_ok=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return out

    def release(self) -> None:
        """Undo an uncommitted claim (safe to call twice)."""
        if self.committed:
            return
        if self.locked:  # never another run's lock or folder
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.lock.unlink(missing_ok=True)
            self.locked = False
        for folder in self.created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break
        self.created = []


def claim_out_dir(out_dir: Path, overwrite: bool) -> OutputClaim:
    """Claim ``out_dir`` for one run before it starts; the check users get before day 1.

    Creates missing parent folders, cleans leftovers of killed runs beside it (see
    :func:`clean_leftovers`), takes the lock ``.NAME.lock`` beside it by an exclusive
    create (a second run to the same folder fails here), checks the folder may be written
    (see :func:`check_out_dir`) and creates the hidden folder the run is written to.

    Returns:
        The claim; the caller fills ``tmp_dir`` and calls :meth:`OutputClaim.commit`.

    Raises:
        OutputError: One line saying why the folder cannot be used; nothing is left.
    """
    out_dir = Path(out_dir)
    text = str(out_dir)
    if "\0" in text:
        raise OutputError(f"{text!r}: a folder name cannot hold a NUL byte")
    parent, name = out_dir.parent, out_dir.name
    if not name or name in (".", ".."):
        raise OutputError(f"{text}: give a folder name for the run, not {name or text!r}")
    ancestors = (out_dir.parent, *out_dir.parent.parents)
    blocking = next((p for p in ancestors if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"{text}: {blocking} is a file, not a folder")
    created = [p for p in ancestors if not p.exists() and not p.is_symlink()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(f"{text}: cannot create the folder {parent} ({exc.strerror})") from None
    claim = OutputClaim(
        out_dir=out_dir,
        tmp_dir=parent / f".{name}.partial-{os.getpid()}",
        lock=parent / f".{name}.lock",
        overwrite=overwrite,
        created=created,
        notes=clean_leftovers(parent),
    )
    try:
        _take_lock(claim)
        problem = check_out_dir(out_dir, overwrite)
        if problem:
            raise OutputError(problem)
        try:
            claim.tmp_dir.mkdir()
        except OSError as exc:
            raise OutputError(f"{text}: cannot write in {parent} ({exc.strerror})") from None
    except BaseException:
        claim.release()
        raise
    return claim


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _take_lock(claim: OutputClaim) -> None:
    """Create the claim's lock exclusively, holding this process's id.

    One retry after a dead owner. Signals wait while the lock is created and filled, so
    that an interrupted run never leaves a lock without its owner's id.
    """
    lock, out_dir = claim.lock, claim.out_dir
    for _attempt in range(2):
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            claim.locked = True  # from here on, release() removes it
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            return
        except FileExistsError:
            owner = _lock_owner(lock)
            if owner is not None and not _pid_alive(owner):
                lock.unlink(missing_ok=True)
                continue
            who = f"pid {owner}" if owner is not None else "unknown process"
            raise OutputError(
                f"{out_dir}: another run ({who}) is writing this folder; wait for it to end "
                f"or choose another --out (if no run is going on, remove {lock})"
            ) from None
        except OSError as exc:
            problem = f"{out_dir}: cannot write in {lock.parent} ({exc.strerror})"
            raise OutputError(problem) from None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    raise OutputError(f"{out_dir}: could not take the lock {lock}")


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def write_run_folder(
    model: EscalationModel,
    out_dir: Path,
    wall_time_s: float,
    command: str,
    plots: bool = True,
    claim: OutputClaim | None = None,
) -> Path:
    """Write the run folder into a claimed hidden sibling, then move it into place.

    Args:
        model: A finished model.
        out_dir: The run folder to write.
        wall_time_s: Seconds the run took (goes into ``summary.json``).
        command: The command line that ran it (goes into ``summary.json``).
        plots: Whether to draw the PNG figures.
        claim: The claim taken before the run (:func:`claim_out_dir`); without one the
            folder is claimed here, allowed to replace a run folder.

    Returns:
        ``out_dir``. An interrupted or failed write leaves no half-written folder behind.

    Raises:
        OutputError: When the folder cannot be claimed or moved into place.
    """
    if claim is None:
        with claim_out_dir(Path(out_dir), overwrite=True) as own:
            return write_run_folder(model, out_dir, wall_time_s, command, plots, own)
    tmp = claim.tmp_dir
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
    return claim.commit()
