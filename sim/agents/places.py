"""Places people go: camps, checkpoints and the border crossing, with their arrivals and queues.

Camps admit arrivals up to their room; checkpoints (into government-held areas) and the
crossing into Turkey hold queues and pass people up to their daily capacity while open.
:class:`Places` owns all of them and runs the day's two phases that involve them: taking
in the day's arrivals, and serving the queues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.mechanisms import displacement as disp
from sim.world.codes import GOVERNMENT, UNLIMITED_PEOPLE
from sim.world.geography import allocate_integers
from sim.world.history import DailySeries

if TYPE_CHECKING:
    from sim.agents.civilians import DestinationTable
    from sim.model import EscalationModel


class Camp(FixedAgent):
    """A cluster of displacement camps near the border, with a capacity."""

    def __init__(self, model: EscalationModel, cell, name: str, capacity: int, people: int):
        super().__init__(model)
        self.cell = cell
        self.name = name
        self.capacity_people = capacity
        self.population = people
        self.initial_population = people
        self.full = people >= capacity

    def room(self) -> int:
        """Places left (unbounded when the scenario makes capacity soft)."""
        if self.model.config.civilians.soft_camp_capacity:
            return UNLIMITED_PEOPLE
        return max(self.capacity_people - self.population, 0)

    def note_fill(self) -> None:
        """Log the day the camp fills up (once full it stays full: nobody leaves a camp)."""
        if not self.full and self.population >= self.capacity_people:
            self.full = True
            self.model.log_event(
                self.name,
                "camp_full",
                f"{self.population:,} people, capacity {self.capacity_people:,}",
                "arrivals filled the last places",
            )


class Checkpoint(FixedAgent):
    """A crossing point into government-held areas with a daily capacity and a queue."""

    def __init__(self, model: EscalationModel, cell, index: int):
        super().__init__(model)
        self.cell = cell
        self.index = index
        self.queue = 0
        self.exits_today = 0
        self.exits_total = 0
        self.is_open = False

    @property
    def config(self):
        """The live scenario entry of this checkpoint."""
        return self.model.config.checkpoints[self.index]

    @property
    def name(self) -> str:
        """Checkpoint name."""
        return self.config.name

    def update_status(self) -> None:
        """Open when scheduled and the ground is government-held; log every change."""
        cfg = self.config
        day = self.model.day
        scheduled = day >= cfg.open_from_day and (
            cfg.close_from_day is None or day < cfg.close_from_day
        )
        held = self.model.control[self.cell.coordinate] == GOVERNMENT
        now_open = scheduled and held and cfg.capacity_per_day > 0
        if now_open != self.is_open:
            self.is_open = now_open
            if now_open:
                why = f"scheduled from day {cfg.open_from_day} and on government-held ground"
            elif not held:
                why = "the ground is not government-held"
            elif cfg.capacity_per_day == 0:
                why = "capacity set to zero"
            else:
                why = "scheduled closure" if day >= cfg.open_from_day else "not yet scheduled"
            self.model.log_event(
                self.name,
                "checkpoint_open" if now_open else "checkpoint_closed",
                f"capacity {cfg.capacity_per_day:,} people a day; {self.queue:,} waiting",
                why,
            )


class BorderCrossing(FixedAgent):
    """The crossing into Turkey (Bab al-Hawa): passes people only as the policy allows."""

    def __init__(self, model: EscalationModel, cell):
        super().__init__(model)
        self.cell = cell
        self.queue = 0
        self.crossed_today = 0
        self.policy = self.policy_today()

    def capacity_today(self) -> int:
        """People the policy lets through today."""
        if self.policy == "open":
            return UNLIMITED_PEOPLE
        if self.policy == "quota":
            return self.model.config.border.quota_per_day
        return 0

    def policy_today(self) -> str:
        """Today's border policy: Turkey's rung may override the scenario's."""
        rung_policy = self.model.turkey.effects.border_policy
        return rung_policy if rung_policy is not None else self.model.config.border.policy

    def update_policy(self) -> None:
        """Follow the scenario or Turkey's rung; log changes."""
        policy = self.policy_today()
        if policy != self.policy:
            self.model.log_event(
                "Turkey",
                "border_policy",
                f"border {self.policy} -> {policy}",
                f"Turkey's rung '{self.model.turkey.rung_name}' or a scenario change",
            )
            self.policy = policy


class Places:
    """The camps, the checkpoints and the border crossing of a model.

    Args:
        model: The model (its scenario, grid and map).

    Attributes:
        camps: Camp agents, in scenario order.
        checkpoints: Checkpoint agents, in scenario order.
        crossing: The crossing into Turkey.
        initial_camp_people: People in camps on day 0.
        sheltering_near_border: People sheltering outside camps within ``border.zone_km``
            of the Turkish border at the end of the day.
        border_displaced_people: Newly displaced people near the border at the end of
            the day (new camp residents, those sheltering near it, those queueing to cross).
        border_displaced_by_day: ``border_displaced_people`` at the end of each day.
    """

    def __init__(self, model: EscalationModel):
        config, geo, grid = model.config, model.geo, model.grid
        pop = config.population
        in_camps = round(pop.total * pop.initial_in_camps_share) if config.camps else 0
        camp_people = allocate_integers(in_camps, np.array([c.initial_share for c in config.camps]))
        self.camps = [
            Camp(model, grid[geo.cell_of(c.lat, c.lon)], c.name, c.capacity_people, int(n))
            for c, n in zip(config.camps, camp_people, strict=True)
        ]
        self.checkpoints = [
            Checkpoint(model, grid[geo.cell_of(c.lat, c.lon)], i)
            for i, c in enumerate(config.checkpoints)
        ]
        crossing = config.border.crossing
        self.crossing = BorderCrossing(model, grid[geo.cell_of(crossing.lat, crossing.lon)])
        self.initial_camp_people = int(camp_people.sum())
        self.sheltering_near_border = 0
        self.border_displaced_people = 0
        self.border_displaced_by_day = DailySeries(config.days)
        self.model = model
        self._border_zone: tuple[float, np.ndarray] = (-1.0, np.zeros(0, dtype=np.int64))

    def record(self, day: int, sheltering: np.ndarray) -> None:
        """Count today's newly displaced people near the border (what Turkey watches).

        Args:
            day: Today.
            sheltering: People sheltering per cell, ``(rows, cols)`` int.
        """
        zone_km = self.model.config.border.zone_km
        if self._border_zone[0] != zone_km:  # the zone is fixed unless an event changes it
            self._border_zone = (
                zone_km,
                np.flatnonzero(self.model.geo.distance_to_border_km <= zone_km),
            )
        self.sheltering_near_border = int(sheltering.ravel()[self._border_zone[1]].sum())
        new_in_camps = 0
        for c in self.camps:
            new_in_camps += max(c.population - c.initial_population, 0)
        self.border_displaced_people = (
            new_in_camps + self.sheltering_near_border + self.crossing.queue
        )
        self.border_displaced_by_day[day] = self.border_displaced_people

    def update_status(self) -> None:
        """Open or close each checkpoint and follow today's border policy."""
        for cp in self.checkpoints:
            cp.update_status()
        self.crossing.update_policy()

    def receive(
        self,
        arrived: np.ndarray,
        open_now: np.ndarray,
        table: DestinationTable,
        sheltering: np.ndarray,
    ) -> None:
        """Hand today's arrivals to camps, towns, checkpoint queues and the border queue.

        Args:
            arrived: People arriving at each destination, ``(n_destinations,)`` int.
            open_now: Which destinations take people today, bool ``(n_destinations,)``.
            table: The destinations (kinds, cells, fallback cells).
            sheltering: People sheltering per cell, ``(rows, cols)`` int; those who stay
                outside a camp or queue are added here.
        """
        shelter = sheltering.ravel()
        # Camps admit up to their room; the rest stay in informal sites beside the camp.
        camps = table.camp_index[(arrived[table.camp_index] > 0) & open_now[table.camp_index]]
        room = np.array([self.camps[j].room() for j in camps], dtype=np.int64)
        admitted, turned_away = disp.admit(arrived[camps], room)
        for j, n in zip(camps, admitted, strict=True):
            self.camps[j].population += int(n)
            self.camps[j].note_fill()
        for i, cp in enumerate(self.checkpoints):
            cp.queue += int(arrived[table.checkpoint_index[i]])
        self.crossing.queue += int(arrived[table.crossing_index])
        # Everyone else shelters: those camps turned away beside the camp, arrivals at
        # open towns in the town, and arrivals at camps and towns that fell while they
        # travelled at the nearest opposition-held cell.
        stay = np.where(table.shelters, arrived, 0)
        stay[camps] = turned_away
        cells = np.where(open_now, table.flat_cell, table.fallback_cell)
        np.add.at(shelter, cells[table.shelters], stay[table.shelters])

    def serve_queues(
        self,
        rng: np.random.Generator,
        giveup_per_day: float,
        table: DestinationTable,
        sheltering: np.ndarray,
    ) -> tuple[int, int]:
        """Checkpoints and the crossing pass people; at closed points some give up.

        Args:
            rng: Random generator.
            giveup_per_day: Share of a closed queue that gives up each day.
            table: The destinations (where those who give up shelter).
            sheltering: People sheltering per cell, ``(rows, cols)`` int; those who give
                up are added here.

        Returns:
            ``(exited, crossed)``: people who left through checkpoints and who crossed
            into Turkey today.
        """
        queue = np.array([cp.queue for cp in self.checkpoints] + [self.crossing.queue])
        capacity = [cp.config.capacity_per_day for cp in self.checkpoints]
        capacity.append(min(self.crossing.capacity_today(), UNLIMITED_PEOPLE))
        is_open = [cp.is_open for cp in self.checkpoints] + [capacity[-1] > 0]
        passed, gave_up, queue = disp.serve_queue(
            rng,
            queue,
            np.array(capacity, dtype=np.int64),
            np.array(is_open),
            giveup_per_day,
        )
        # Those who give up shelter near where they waited.
        if gave_up.any():
            fallback = table.fallback_cell[table.queue_index]
            np.add.at(sheltering.ravel(), fallback, gave_up)
        for cp, q, n in zip(self.checkpoints, queue[:-1], passed[:-1], strict=True):
            cp.queue = int(q)
            cp.exits_today = int(n)
            cp.exits_total += int(n)
        self.crossing.queue = int(queue[-1])
        self.crossing.crossed_today = int(passed[-1])
        return int(passed[:-1].sum()), int(passed[-1])
