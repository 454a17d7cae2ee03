"""Measurement: the columns of ``timeseries.csv``, the day's values and the population ledger.

Each column is declared once, in :data:`COLUMNS`, as a name and a function of the model and
the day's :class:`Tally`. The model's Mesa ``DataCollector`` has one reporter per column,
so ``model.datacollector.get_model_vars_dataframe()`` has the columns by name. Nothing
here changes the model; the dynamics never read what is measured here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import mesa

from sim.world.codes import GOVERNMENT, HTS, NLF

if TYPE_CHECKING:
    from sim.model import EscalationModel


class LedgerError(RuntimeError):
    """The population ledger does not balance: a bug, never a user error."""


@dataclass(frozen=True)
class Tally:
    """The day's stocks of people, counted once and shared by the columns."""

    at_home: int
    sheltering: int
    in_transit: int
    waiting_at_checkpoints: int
    waiting_at_border: int
    in_camps: int
    camp_capacity: int

    @property
    def displaced_inside(self) -> int:
        """People away from home inside Idlib: sheltering, on the road or queueing."""
        return (
            self.sheltering + self.in_transit + self.waiting_at_checkpoints + self.waiting_at_border
        )


def count(model: EscalationModel) -> Tally:
    """Count the day's stocks of people."""
    in_camps = capacity = 0
    for c in model.camps:
        in_camps += c.population
        capacity += c.capacity_people
    return Tally(
        at_home=int(model.residents.at_home.sum()),
        sheltering=int(model.displaced.sheltering.sum()),
        in_transit=model.displaced.in_transit(),
        waiting_at_checkpoints=sum(cp.queue for cp in model.checkpoints),
        waiting_at_border=model.crossing.queue,
        in_camps=in_camps,
        camp_capacity=capacity,
    )


def check_ledger(model: EscalationModel, tally: Tally) -> None:
    """Raise :class:`LedgerError` unless the six stocks add up to the population exactly."""
    ledger = (
        tally.at_home
        + tally.displaced_inside
        + tally.in_camps
        + model.crossed_to_turkey
        + model.exited_via_checkpoints
        + model.civilian_deaths
    )
    if ledger != model.population_total:
        raise LedgerError(
            f"day {model.day}: ledger sums to {ledger:,}, expected {model.population_total:,}"
        )


def _territory_share(model: EscalationModel, code: int) -> float:
    """Share of the governorate's cells held by ``code``."""
    territory = model.territory
    return int(territory.cells_held_in_governorate[code]) / max(territory.governorate_cells, 1)


def _border_pressure(m: EscalationModel, t: Tally) -> float:
    """People in camps, sheltering near the border or queueing to cross, per camp place."""
    near = t.in_camps + m.places.sheltering_near_border + t.waiting_at_border
    return near / max(t.camp_capacity, 1)


Column = Callable[["EscalationModel", Tally], Any]

#: Every column of ``timeseries.csv``, in order, with how to measure it. The first 18 are
#: the DESIGN.md contract.
COLUMNS: dict[str, Column] = {
    "day": lambda m, t: m.day,
    "date": lambda m, t: m.date.isoformat(),
    "population_total": lambda m, t: m.population_total,
    "at_home": lambda m, t: t.at_home,
    "displaced_inside": lambda m, t: t.displaced_inside,
    "in_camps": lambda m, t: t.in_camps,
    "crossed_to_turkey": lambda m, t: m.crossed_to_turkey,
    "exited_via_checkpoints": lambda m, t: m.exited_via_checkpoints,
    "civilian_deaths": lambda m, t: m.civilian_deaths,
    "displaced_cumulative": lambda m, t: m.displaced_cumulative,
    "border_pressure": _border_pressure,
    "turkey_rung": lambda m, t: m.turkey.rung,
    "russia_rung": lambda m, t: m.russia.rung,
    "sorties": lambda m, t: m.air_campaign.sorties_today,
    "territory_government": lambda m, t: _territory_share(m, GOVERNMENT),
    "territory_hts": lambda m, t: _territory_share(m, HTS),
    "territory_nlf": lambda m, t: _territory_share(m, NLF),
    "rebel_cooperation": lambda m, t: m.alliance.cooperation,
    "government_rung": lambda m, t: m.government.rung,
    "border_displaced_people": lambda m, t: m.places.border_displaced_people,
    "in_transit": lambda m, t: t.in_transit,
    "waiting_at_checkpoints": lambda m, t: t.waiting_at_checkpoints,
    "waiting_at_border": lambda m, t: t.waiting_at_border,
    "left_home_today": lambda m, t: int(m.residents.left_today.sum()),
    "displacement_movements": lambda m, t: m.displacement_movements,
    "hazard_max": lambda m, t: float(m.air_campaign.hazard.max()),
    "turkey_pressure": lambda m, t: m.turkey.pressure,
    "russia_pressure": lambda m, t: m.russia.pressure,
    "government_pressure": lambda m, t: m.government.pressure,
    "russia_patience": lambda m, t: m.russia.patience,
    "rebel_threat": lambda m, t: m.alliance.threat,
    "ceasefire": lambda m, t: int(m.ceasefire_active),
    "government_strength": lambda m, t: m.government_forces.strength_fighters,
    "hts_strength": lambda m, t: m.hts.strength_fighters,
    "nlf_strength": lambda m, t: m.nlf.strength_fighters,
    "government_losses": lambda m, t: m.government_forces.losses_fighters,
    "turkish_soldiers_killed": lambda m, t: m.air_campaign.turkish_soldiers_killed,
}

#: Columns of ``timeseries.csv``, in order.
TIMESERIES_COLUMNS = tuple(COLUMNS)
#: The DESIGN.md contract: the first 18 columns, whose names stay.
CONTRACT_COLUMNS = TIMESERIES_COLUMNS[:18]


def _report(column: str, model: EscalationModel) -> Any:
    """DataCollector reporter: today's value of ``column``."""
    return COLUMNS[column](model, model.measurement.tally)


class Measurement:
    """Measures the model at the end of each day: the timeseries, camps and checkpoints.

    Attributes:
        tally: Today's stocks of people.
        datacollector: Mesa's collector, one model reporter per column of
            :data:`TIMESERIES_COLUMNS`.
        camp_rows: Rows of ``camps.csv``: (day, camp, population, capacity).
        checkpoint_rows: Rows of ``checkpoints.csv``: (day, checkpoint, open, queue, exits
            today, exits in total).
    """

    def __init__(self) -> None:
        self.tally: Tally | None = None
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_report, name) for name in TIMESERIES_COLUMNS}
        )
        self.camp_rows: list[tuple[int, str, int, int]] = []
        self.checkpoint_rows: list[tuple[int, str, int, int, int, int]] = []

    def measure(self, model: EscalationModel) -> None:
        """Check the ledger and record today's row of every table."""
        self.tally = count(model)
        check_ledger(model, self.tally)
        self.datacollector.collect(model)
        self.camp_rows.extend(
            (model.day, c.name, c.population, c.capacity_people) for c in model.camps
        )
        self.checkpoint_rows.extend(
            (model.day, cp.name, int(cp.is_open), cp.queue, cp.exits_today, cp.exits_total)
            for cp in model.checkpoints
        )

    def timeseries(self) -> dict[str, list]:
        """The measured days as columns: ``{column: [day 0, day 1, ...]}``."""
        return {name: list(self.datacollector.model_vars[name]) for name in TIMESERIES_COLUMNS}
