"""``EscalationModel``: the wiring of one run, and the order of the day.

Each phase of the day has one owner (docs/architecture.md):

1. scripted events change the live scenario (here);
2. the states read the day's :class:`~sim.agents.states.Signals` and move on their ladders
   (:mod:`sim.agents.states`); a ceasefire may be reached (:mod:`sim.agents.ceasefire`);
3. the air campaign flies its sorties (:mod:`sim.agents.air_campaign`);
4. government forces attack, the rebels counter-attack and the alliance updates
   (:mod:`sim.agents.armed_groups`, through :mod:`sim.world.territory`);
5. civilians perceive risk, leave, travel and arrive (:mod:`sim.agents.civilians`,
   :mod:`sim.agents.places`);
6. checkpoints and the border crossing serve their queues (:mod:`sim.agents.places`);
7. the owners record the day for tomorrow's windows, and the day is measured and the
   population ledger checked (:mod:`sim.metrics`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim.agents.air_campaign import AirCampaign
from sim.agents.armed_groups import GovernmentForces, RebelAlliance, RebelGroup
from sim.agents.ceasefire import Ceasefire
from sim.agents.civilians import Civilians
from sim.agents.places import Places
from sim.agents.states import Russia, Signals, SyrianGovernment, Turkey
from sim.metrics import TIMESERIES_COLUMNS as TIMESERIES_COLUMNS
from sim.metrics import LedgerError as LedgerError  # re-exported: importers keep working
from sim.metrics import Measurement
from sim.world.codes import GOVERNMENT, HTS, NLF
from sim.world.geography import Geography, build_geography
from sim.world.layers import build_grid
from sim.world.loader import apply_changes, event_day
from sim.world.schema import Capture, Scenario, ScriptedEvent
from sim.world.territory import Territory

#: Control code of each captor a scripted capture may name.
CAPTORS = {"government": GOVERNMENT, "hts": HTS, "nlf": NLF}


class EscalationModel(mesa.Model):
    """Escalation and displacement in Idlib, one day per step.

    Args:
        config: A validated scenario (see :mod:`sim.world.schema`).
        geography: A prebuilt grid for this scenario (built from the scenario if omitted).
        rng: Seed or generator; defaults to ``config.seed``.

    Attributes:
        config: The live scenario (scripted events replace it).
        day: Days since ``start_date`` (0 before the first step).
        events: The event log, rows of (day, date, actor, kind, detail, reason).
        territory: The control map and the fields derived from it.
        air_campaign, turkey, russia, government: The air campaign and the states.
        government_forces, hts, nlf, alliance: The armed groups and the rebel alliance.
        places: Camps, checkpoints and the crossing (also ``camps``, ``checkpoints``,
            ``crossing``).
        civilians: Residents, the displaced and their destinations (also ``residents``,
            ``displaced``, ``destinations``, ``risk``).
        measurement: The timeseries, camp and checkpoint tables (:mod:`sim.metrics`);
            ``datacollector`` is Mesa's collector with one reporter per column.
    """

    def __init__(
        self,
        config: Scenario,
        geography: Geography | None = None,
        rng: int | np.random.Generator | None = None,
    ):
        super().__init__(rng=config.seed if rng is None else rng)
        self.config = config
        self.config_at_start = config
        self.geo = geography if geography is not None else build_geography(config)
        self.day = 0
        #: Run length and calendar, fixed for the run (scripted events cannot move them).
        self.days, self.start_date = config.days, config.start_date
        self.events: list[tuple[int, str, str, str, str, str]] = []
        self.ceasefire = Ceasefire(self)
        self._scripted = self._schedule_scripted_events()
        self.grid = build_grid(self.geo.shape, self.random)
        self.territory = Territory(self.grid, self.geo, config.days, self.log_event)
        self.control = self.territory.control
        self.population_home_start = self.geo.population0
        towns = [t for t in self.geo.towns if self.control[t.row, t.col] in (HTS, NLF)]
        self._opposition_town_cells = np.array(
            [np.ravel_multi_index((t.row, t.col), self.geo.shape) for t in towns], dtype=np.int64
        )
        self._opposition_town_people = np.array(
            [t.census_population for t in towns], dtype=np.int64
        )

        # Actors.
        self.air_campaign = AirCampaign(self)
        self.hazard = self.air_campaign.hazard
        self.turkey = Turkey(self)
        self.russia = Russia(self)
        self.government = SyrianGovernment(self)
        # Turkey decides first, then Russia, then Damascus (AgentSet keeps this order).
        self.states = AgentSet([self.turkey, self.russia, self.government], random=self.random)
        rebels = config.rebels
        self.government_forces = GovernmentForces(
            self, "government forces", GOVERNMENT, config.government.strength_fighters
        )
        self.hts = RebelGroup(self, "HTS", HTS, rebels.hts_strength_fighters)
        self.nlf = RebelGroup(self, "NLF", NLF, rebels.nlf_strength_fighters)
        self.alliance = RebelAlliance(self)

        # Civilians and the places they go.
        self.places = Places(self)
        self.camps, self.checkpoints = self.places.camps, self.places.checkpoints
        self.crossing = self.places.crossing
        self.civilians = Civilians(self)
        self.residents, self.displaced = self.civilians.residents, self.civilians.displaced
        self.destinations, self.risk = self.civilians.destinations, self.civilians.risk

        # The population ledger: stocks that leave Idlib's map, and flows.
        self.population_total = int(self.geo.population0.sum()) + self.places.initial_camp_people
        self.crossed_to_turkey = 0
        self.exited_via_checkpoints = 0
        self.civilian_deaths = 0
        self.displaced_cumulative = 0
        self.displacement_movements = 0

        self._record_history()
        for cp in self.checkpoints:
            cp.update_status()
        self.measurement = Measurement()
        self.datacollector = self.measurement.datacollector
        self.camp_rows = self.measurement.camp_rows
        self.checkpoint_rows = self.measurement.checkpoint_rows
        self.measurement.measure(self)

    def _schedule_scripted_events(self) -> dict[int, list[ScriptedEvent]]:
        plan: dict[int, list[ScriptedEvent]] = defaultdict(list)
        for event in self.config.events:
            plan[event_day(self.config, event)].append(event)
        return plan

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance the model by one day."""
        self.day += 1
        self._apply_scripted_events()
        self._states_decide()
        pacing = self.pacing()
        self.civilian_deaths += self.air_campaign.strike(pacing, self.ceasefire_active)
        intensity = self.offensive_intensity()
        self._fight(intensity)
        left_home, movements = self.civilians.move(intensity, self.air_campaign.hazard)
        self.displaced_cumulative += left_home
        self.displacement_movements += movements
        exited, crossed = self.places.serve_queues(
            self.rng,
            self.config.civilians.queue_giveup_per_day,
            self.destinations,
            self.displaced.sheltering,
        )
        self.exited_via_checkpoints += exited
        self.crossed_to_turkey += crossed
        self._record_history()
        self.measurement.measure(self)
        if self.day >= self.days:
            self.running = False

    def _apply_scripted_events(self) -> None:
        for event in self._scripted.get(self.day, ()):
            if event.set:
                self.config = apply_changes(self.config, event.set)
                changes = ", ".join(f"{k} = {v!r}" for k, v in event.set.items())
                self.log_event("scenario", "scripted", changes, event.note or "scripted event")
            if event.capture is not None:
                self._scripted_capture(event.capture, event.note)
            if event.turkish_soldiers_killed is not None:
                self.air_campaign.add_turkish_dead(
                    event.turkish_soldiers_killed,
                    "(scripted)",
                    event.note or "scripted event",
                )
        for state in (self.turkey, self.russia, self.government):
            state.follow_forced_rung(self.day)

    def _scripted_capture(self, capture: Capture, note: str) -> None:
        """Hand the ground around a named place or a point to the captor (a scripted event)."""
        if capture.place is not None:
            town = next(t for t in self.geo.towns if t.name == capture.place)
            lat, lon, where = town.lat, town.lon, capture.place
        else:
            lat, lon = capture.lat, capture.lon
            where = f"{lat:.3f} N {lon:.3f} E"
        self.territory.capture_around(
            lat,
            lon,
            capture.radius_km,
            CAPTORS[capture.by],
            f"scripted capture of {where} ({note or 'scenario event'})",
            self.day,
            self.alliance.cooperation,
        )

    def signals(self) -> Signals:
        """What the states observe this morning (Russia's patience worn for today)."""
        t = self.config.turkey
        g = self.config.government
        return Signals(
            border_displaced_people=self._border_displaced_yesterday(),
            opposition_ground_lost_km2=self.territory.ground_lost_km2(t.window_days, self.day),
            opposition_towns_lost_people=self.opposition_towns_lost_people(),
            turkish_casualties_window=self.air_campaign.turkish_dead.increase(
                t.window_days, self.day
            ),
            government_losses_window=self.government_forces.losses_by_day.increase(
                g.window_days, self.day
            ),
            turkey_rung_share=self.turkey.rung_share,
            russia_rung_share=self.russia.rung_share,
            russia_patience=self.russia.patience,
            ceasefire=self.ceasefire_active,
        )

    def opposition_towns_lost_people(self) -> int:
        """People (census) of the towns HTS or the NLF held on day 0 now held by the government."""
        held = self.control.ravel()[self._opposition_town_cells] == GOVERNMENT
        return int(self._opposition_town_people[held].sum())

    def _states_decide(self) -> None:
        hts_holds_ground = bool(self.territory.cells_held[HTS] > 0)
        self.russia.wear_patience(hts_holds_ground, self.ceasefire.deal_holds(self.day))
        self.states.do("decide", self.signals())
        killed = self.air_campaign.turkish_soldiers_killed
        turkey = self.turkey
        on_top = turkey.n_rungs > 1 and turkey.rung == turkey.n_rungs - 1
        on_top_since = turkey.last_move_day if on_top else None
        pause = self.ceasefire.reached(
            self.day, killed, self.government_forces.losses_fighters, on_top_since
        )
        if pause == "ceasefire":
            self.russia.agree_to_ceasefire()

    def _fight(self, intensity: float) -> None:
        self.government_forces.attack(intensity, self.air_campaign.impact)
        self.government_forces.fire_on_turkish_posts(intensity)
        self.alliance.counterattack(intensity)
        self.alliance.update(
            self.territory.ground_lost_km2(self.config.rebels.threat_window_days, self.day)
        )
        for group in (self.government_forces, self.hts, self.nlf):
            group.replenish()

    def _border_displaced_yesterday(self) -> int:
        return int(self.places.border_displaced_by_day.values[self.day - 1])

    def _record_history(self) -> None:
        """Each owner keeps today's value of what tomorrow's windows look back on."""
        self.territory.record(self.day)
        self.air_campaign.record(self.day)
        self.government_forces.record(self.day)
        self.places.record(self.day, self.displaced.sheltering)

    # ------------------------------------------------------------ today's state
    @property
    def date(self) -> dt.date:
        """Calendar date of the current day."""
        return self.start_date + dt.timedelta(days=self.day)

    @property
    def ceasefire_active(self) -> bool:
        """True while a reached or scripted ceasefire holds."""
        return self.ceasefire.holds(self.day)

    def pacing(self) -> float:
        """Share of full tempo the government allows itself today (salami tactics)."""
        return self.government.pacing_factor(
            self._border_displaced_yesterday(), self.config.turkey.crisis_threshold_people
        )

    def offensive_intensity(self) -> float:
        """Today's government ground tempo, 0..1."""
        if self.ceasefire_active:
            return 0.0
        return self.government.effects.offensive_intensity * self.pacing()

    @property
    def turkish_soldiers_killed(self) -> int:
        """Turkish soldiers killed so far (kept by the air campaign)."""
        return self.air_campaign.turkish_soldiers_killed

    @property
    def sorties_today(self) -> int:
        """Sorties flown today (kept by the air campaign)."""
        return self.air_campaign.sorties_today

    def log_event(self, actor: str, kind: str, detail: str, reason: str) -> None:
        """Append a row to the event log."""
        self.events.append((self.day, self.date.isoformat(), actor, kind, detail, reason))

    # ------------------------------------------------------------------ the run
    def timeseries(self) -> dict[str, list]:
        """The measured days as columns: ``{column: [day 0, day 1, ...]}``."""
        return self.measurement.timeseries()

    def run(self, progress=None) -> None:
        """Run to ``days``; ``progress`` (if given) is called with each finished day."""
        while self.running and self.day < self.days:
            self.step()
            if progress is not None:
                progress(self.day)
