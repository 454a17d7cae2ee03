"""The territory: who holds each cell, since when, and the fields derived from it.

One owner for the control map. Every change goes through :meth:`Territory.change_control`,
which logs it and drops the derived fields (front, exposed cells, distance to government
ground, cells held); each is recomputed on first use after a change, as
``functools.cached_property`` does for Mesa's own cells.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
from mesa.discrete_space import OrthogonalVonNeumannGrid
from scipy import ndimage

from sim.mechanisms import displacement as disp
from sim.mechanisms.combat import (
    captured_cells,
    exposed_government_cells,
    front_cells,
    front_km_per_cell,
)
from sim.world.codes import CONTROL_NAMES, GOVERNMENT, HTS, NEVER_DAY, NLF, TURKEY
from sim.world.geography import Geography
from sim.world.history import DailySeries
from sim.world.layers import attach_layer

#: Above this many newly government-held cells, a full distance transform is cheaper than
#: lowering the old distance field cell by cell (the numbers are the same either way).
FEW_GAINED_CELLS = 64

#: The fields derived from control, dropped on every change.
DERIVED_FIELDS = (
    "opposition_mask",
    "front_mask",
    "exposed_government_mask",
    "distance_to_government_km",
    "distance_to_opposition_km",
    "cells_held",
    "cells_held_in_governorate",
)


class Territory:
    """The control map and what follows from it.

    Args:
        grid: The model's grid; the control map is attached to it as the ``control`` layer.
        geo: The map (initial control, cell size, governorate, towns).
        days: Days of the run (the history holds one value per day, day 0 included).
        log: ``log(actor, kind, detail, reason)`` appends to the event log.

    Attributes:
        control: Control code of each cell, ``(rows, cols)`` int8 (:mod:`sim.world.codes`).
        captured_day: Day each cell last changed hands (``NEVER_DAY`` if never).
        last_owner: Owner of each cell before its last change (initial owner if none).
        version: Number of changes of control so far.
        last_change_day: Day of the last change (``NEVER_DAY`` if none).
        opposition_cells: Cells held by HTS or the NLF at the end of each day.
    """

    def __init__(
        self,
        grid: OrthogonalVonNeumannGrid,
        geo: Geography,
        days: int,
        log: Callable[[str, str, str, str], None],
    ):
        self.geo = geo
        self.control = attach_layer(grid, "control", geo.control0)
        self.captured_day = np.full(geo.shape, NEVER_DAY, dtype=np.int64)
        self.last_owner = geo.control0.copy()
        self.version = 0
        self.last_change_day = NEVER_DAY
        self.opposition_cells = DailySeries(days)
        self._log = log
        self._governorate_cells = np.flatnonzero(geo.in_governorate)
        self._nearness: dict[float, np.ndarray] = {}
        self._front_km: dict[float, np.ndarray] = {}
        # Changes of government ground since the distance to it was last computed.
        self._government_gained: list[np.ndarray] = []
        self._government_lost = False
        self._distance_before: np.ndarray | None = None
        # Government-held cells at the end of each day since the last change, by day:
        # {day: mask}; a day without an entry looks like the latest day before it.
        self._government_held_on: dict[int, np.ndarray] = {0: geo.control0 == GOVERNMENT}
        self._recorded_version = 0

    def change_control(
        self,
        cells: np.ndarray,
        new_owner: int,
        ratio: np.ndarray | None,
        how: str,
        day: int,
        cooperation: float,
    ) -> None:
        """Hand ``cells`` (flat indices) to ``new_owner``; log one event per previous owner.

        Args:
            cells: Flat cell indices, ascending, ``(k,)``.
            new_owner: Control code of the new owner.
            ratio: The attacker:defender force ratio on each of ``cells`` (logged),
                ``(k,)``; None where no fight decided it (a pocket that gave up, a
                scripted capture).
            how: What happened, for the log (with ``ratio`` None, the whole reason).
            day: Today.
            cooperation: Today's rebel cooperation, 0..1 (logged).
        """
        if cells.size == 0:
            return
        control = self.control.ravel()
        owners = control[cells]
        if new_owner == GOVERNMENT:
            self._government_gained.append(cells)
        elif (owners == GOVERNMENT).any():
            self._government_lost = True
        for old in (GOVERNMENT, HTS, NLF):
            lost = owners == old
            n = int(np.count_nonzero(lost))
            if not n or old == new_owner:
                continue
            rows, cols = np.divmod(cells[lost], self.geo.shape[1])
            near = self.geo.nearest_town(rows, cols)
            km2 = n * self.geo.cell_area_km2
            if ratio is None:
                why = how
            else:
                why = (
                    f"{how}: attacker:defender force ratio "
                    f"{float(np.mean(ratio[lost])):.2f} : 1, rebel cooperation {cooperation:.2f}"
                )
            self._log(
                CONTROL_NAMES[new_owner],
                "control_change",
                f"took {km2:,.0f} km² from {CONTROL_NAMES[old]} near {near}",
                why,
            )
        self.last_owner.ravel()[cells] = owners
        self.captured_day.ravel()[cells] = day
        control[cells] = new_owner
        self.version += 1
        self.last_change_day = day
        for name in DERIVED_FIELDS:
            self.__dict__.pop(name, None)
        self._nearness.clear()
        self._front_km.clear()

    def capture_around(
        self,
        lat: float,
        lon: float,
        radius_km: float,
        new_owner: int,
        how: str,
        day: int,
        cooperation: float,
    ) -> int:
        """Hand the ground within ``radius_km`` of a point to ``new_owner`` (a scripted capture).

        Cells held by the other sides whose centre lies within the radius change hands
        through :meth:`change_control` (logged, derived fields dropped); Turkish-held
        ground never does.

        Args:
            lat: Latitude of the captured place, degrees north.
            lon: Longitude, degrees east.
            radius_km: Radius of the captured ground, km.
            new_owner: Control code of the captor.
            how: What happened, for the log.
            day: Today.
            cooperation: Today's rebel cooperation, 0..1 (logged).

        Returns:
            The number of cells that changed hands.
        """
        distance = self.geo.distance_km(lat, lon)
        cells = captured_cells(self.control, distance, radius_km, new_owner)
        self.change_control(cells, new_owner, None, how, day, cooperation)
        return int(cells.size)

    def record(self, day: int) -> None:
        """Keep today's opposition-held cells for the history windows."""
        self.opposition_cells[day] = int(self.opposition_mask.sum())
        if self.version != self._recorded_version:
            self._government_held_on[day] = self.control == GOVERNMENT
            self._recorded_version = self.version

    def government_held_on(self, day: int) -> np.ndarray:
        """Government-held cells at the end of ``day`` (the start for ``day <= 0``): bool."""
        days = [d for d in self._government_held_on if d <= max(day, 0)]
        return self._government_held_on[max(days)]

    def ground_lost_km2(self, days: int, today: int) -> float:
        """Net opposition ground lost over the last ``days`` up to yesterday, km² (≥ 0)."""
        lost = -self.opposition_cells.increase(days, today)
        return max(0.0, lost) * self.geo.cell_area_km2

    @cached_property
    def opposition_mask(self) -> np.ndarray:
        """Cells held by HTS or the NLF: bool ``(rows, cols)``."""
        return (self.control == HTS) | (self.control == NLF)

    @cached_property
    def front_mask(self) -> np.ndarray:
        """Opposition cells touching government ground: bool ``(rows, cols)``."""
        return front_cells(self.control)

    @cached_property
    def exposed_government_mask(self) -> np.ndarray:
        """Government cells touching opposition ground: bool ``(rows, cols)``."""
        return exposed_government_cells(self.control)

    @cached_property
    def cells_held(self) -> np.ndarray:
        """Cells held per control code, ``(4,)`` int."""
        return np.bincount(self.control.ravel(), minlength=TURKEY + 1)

    @cached_property
    def cells_held_in_governorate(self) -> np.ndarray:
        """Cells of Idlib governorate held per control code, ``(4,)`` int."""
        return np.bincount(self.control.ravel()[self._governorate_cells], minlength=TURKEY + 1)

    @property
    def governorate_cells(self) -> int:
        """Cells in Idlib governorate."""
        return self._governorate_cells.size

    @cached_property
    def distance_to_government_km(self) -> np.ndarray:
        """Straight-line distance to government ground, km: float ``(rows, cols)``.

        When government ground only grew by a few cells since the last computation, the
        old field is lowered to the distance from the new cells (the same numbers as a
        full Euclidean distance transform, which is run otherwise).
        """
        gained = self._government_gained
        previous = self._distance_before
        lost = self._government_lost
        self._government_gained, self._government_lost = [], False
        n_gained = sum(cells.size for cells in gained)
        if previous is None or lost or n_gained > FEW_GAINED_CELLS:
            value = ndimage.distance_transform_edt(self.control != GOVERNMENT) * self.geo.cell_km
        elif n_gained == 0:
            value = previous
        else:
            n_rows, n_cols = self.control.shape
            rows, cols = np.divmod(np.concatenate(gained), n_cols)
            squared = (np.arange(n_rows)[None, :, None] - rows[:, None, None]) ** 2 + (
                np.arange(n_cols)[None, None, :] - cols[:, None, None]
            ) ** 2
            value = np.minimum(previous, np.sqrt(squared.min(axis=0)) * self.geo.cell_km)
        self._distance_before = value
        return value

    @cached_property
    def distance_to_opposition_km(self) -> np.ndarray:
        """Straight-line distance to opposition (HTS or NLF) ground, km: float ``(rows, cols)``."""
        return ndimage.distance_transform_edt(~self.opposition_mask) * self.geo.cell_km

    def recent_change_nearness(self, day: int, memory_days: int, scale_km: float) -> np.ndarray:
        """Nearness to ground the front crossed in the last ``memory_days``, 0..1.

        The ground that changed sides (government-held or not) between the end of day
        ``day - memory_days - 1`` and now, through
        :func:`~sim.mechanisms.displacement.changed_ground_nearness`. Ground lost and
        retaken within those days does not count: the churn of single cells at the line,
        taken and taken back, grows as the cells shrink. Float ``(rows, cols)``.
        """
        changed = (self.control == GOVERNMENT) != self.government_held_on(day - memory_days - 1)
        return disp.changed_ground_nearness(changed, self.geo.cell_km, scale_km)

    def front_nearness(self, scale_km: float) -> np.ndarray:
        """``exp(-distance to government ground / scale_km)``: float ``(rows, cols)``."""
        if scale_km not in self._nearness:
            self._nearness[scale_km] = np.exp(-self.distance_to_government_km / scale_km)
        return self._nearness[scale_km]

    def front_km_per_cell(self, smoothing_km: float) -> np.ndarray:
        """Km of line each front cell stands for, smoothed over ``smoothing_km``.

        See :func:`sim.mechanisms.combat.front_km_per_cell`; float ``(rows, cols)``.
        """
        if smoothing_km not in self._front_km:
            self._front_km[smoothing_km] = front_km_per_cell(
                self.control, self.geo.cell_km, smoothing_km
            )
        return self._front_km[smoothing_km]

    def front_length_km(self, smoothing_km: float) -> float:
        """Length of the front, smoothed over ``smoothing_km``, km."""
        return float(self.front_km_per_cell(smoothing_km).sum())

    def fresh_government_ground(self, day: int, window_days: int) -> np.ndarray:
        """Ground the government took from the rebels in the last ``window_days`` and holds.

        Returns:
            bool ``(rows, cols)``.
        """
        return (
            (self.control == GOVERNMENT)
            & (day - self.captured_day <= window_days)
            & (self.last_owner != GOVERNMENT)
        )
