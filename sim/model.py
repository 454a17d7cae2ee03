"""``EscalationModel``: one Mesa model wiring the states, armed groups and civilians.

One step is one day, in the order of DESIGN.md: scripted events, states decide,
bombardment, ground combat (and the HTS-NLF alliance), civilians move, checkpoints and
the border process their queues, then measurement and the population ledger check.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim.agents.air_campaign import AirCampaign
from sim.agents.armed_groups import GovernmentForces, RebelAlliance, RebelGroup
from sim.agents.civilians import (
    DestinationTable,
    DisplacedPeople,
    Residents,
)
from sim.agents.places import Places
from sim.agents.states import Russia, Signals, SyrianGovernment, Turkey
from sim.mechanisms import displacement as disp
from sim.metrics import TIMESERIES_COLUMNS as TIMESERIES_COLUMNS
from sim.metrics import LedgerError as LedgerError  # re-exported: importers keep working
from sim.metrics import Measurement
from sim.world.geography import (
    GOVERNMENT,
    HTS,
    NLF,
    Geography,
    build_geography,
)
from sim.world.layers import attach_layer, build_grid
from sim.world.loader import apply_changes
from sim.world.schema import Scenario
from sim.world.territory import Territory

RECENT_CHANGE_DAYS = 7  # control changes this recent frighten residents


class EscalationModel(mesa.Model):
    """Escalation and displacement in Idlib, one day per step.

    Args:
        config: A validated scenario (see :mod:`sim.world.schema`).
        geography: A prebuilt grid for this scenario (built from the scenario if omitted).
        rng: Seed or generator; defaults to ``config.seed``.

    Attributes:
        day: Days since ``config.start_date`` (0 before the first step).
        events: The event log, rows of (day, date, actor, kind, detail, reason).
        measurement: The timeseries, camp and checkpoint tables (:mod:`sim.metrics`).
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
        self.events: list[tuple[int, str, str, str, str, str]] = []
        self.grid = build_grid(self.geo.shape, self.random)
        self.territory = Territory(self.grid, self.geo, config.days, self.log_event)
        self.control = self.territory.control
        self.risk = attach_layer(self.grid, "risk", np.zeros(self.geo.shape))
        self.population_home_start = self.geo.population0
        self.ceasefire_until = -1
        self._scripted = self._schedule_scripted_events()

        # Fixed geography the mechanisms reuse every day.
        axes = [self.geo.distance_km(p.lat, p.lon) for p in config.government.axes]
        width = config.government.axis_width_km
        self.axis_weight = (
            np.sum(np.exp(-np.stack(axes) / width), axis=0) if axes else np.ones(self.geo.shape)
        ) + 1e-3

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

        # Civilians.
        self.residents = Residents(self, self.geo.population0)
        self.places = Places(self)
        self.camps = self.places.camps
        self.checkpoints = self.places.checkpoints
        self.crossing = self.places.crossing
        self.population_total = int(self.geo.population0.sum()) + self.places.initial_camp_people
        self.displaced = DisplacedPeople(self, self.geo.shape, self._n_destinations())
        self.destinations = DestinationTable(self)
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
        self._measure()

    # ----------------------------------------------------------------- helpers
    def _n_destinations(self) -> int:
        return len(self.camps) + len(self.geo.towns) + len(self.checkpoints) + 1

    def _schedule_scripted_events(self) -> dict[int, list]:
        plan: dict[int, list] = defaultdict(list)
        for event in self.config.events:
            day = event.day if event.day is not None else (event.date - self.config.start_date).days
            plan[day].append(event)
        return plan

    @property
    def date(self) -> dt.date:
        """Calendar date of the current day."""
        return self.config.start_date + dt.timedelta(days=self.day)

    @property
    def ceasefire_active(self) -> bool:
        """True while a reached or scripted ceasefire holds."""
        return self.config.ceasefire.active or self.day < self.ceasefire_until

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

    def border_policy(self) -> str:
        """Today's border policy: Turkey's rung may override the scenario's."""
        rung_policy = self.turkey.effects.border_policy
        return rung_policy if rung_policy is not None else self.config.border.policy

    def defensive_power(self) -> float:
        """Total rebel combat power (fighters times multipliers)."""
        return sum(g.strength_fighters * g.power_multiplier() for g in (self.hts, self.nlf))

    def defence_on(self, cells: np.ndarray) -> np.ndarray:
        """Rebel combat power on the given front cells (flat indices), ``(n,)``.

        Each group's power is spread evenly over the front cells it holds.
        """
        held = self.control.ravel()[cells]
        out = np.zeros(cells.size)
        for group in (self.hts, self.nlf):
            mine = held == group.control_code
            n = int(np.count_nonzero(mine))
            if n:
                out[mine] = group.strength_fighters * group.power_multiplier() / n
        return out

    def _border_displaced_yesterday(self) -> int:
        return int(self.places.border_displaced_by_day.values[self.day - 1])

    def _record_history(self) -> None:
        self.territory.record(self.day)
        self.air_campaign.record(self.day)
        self.government_forces.record(self.day)
        self.places.record(self.day, self.displaced.sheltering)

    # -------------------------------------------------------------------- step
    def step(self) -> None:
        """Advance the model by one day."""
        self.day += 1
        self._apply_scripted_events()
        self._states_decide()
        self._bombard()
        self._fight()
        self._civilians_move()
        exited, crossed = self.places.serve_queues(
            self.rng,
            self.config.civilians.queue_giveup_per_day,
            self.destinations,
            self.displaced.sheltering,
        )
        self.exited_via_checkpoints += exited
        self.crossed_to_turkey += crossed
        self._record_history()
        self._measure()
        if self.day >= self.config.days:
            self.running = False

    def _apply_scripted_events(self) -> None:
        for event in self._scripted.get(self.day, ()):
            self.config = apply_changes(self.config, event.set)
            changes = ", ".join(f"{k} = {v!r}" for k, v in event.set.items())
            self.log_event("scenario", "scripted", changes, event.note or "scripted event")
        for state in (self.turkey, self.russia, self.government):
            forced = state.config.forced_rung
            if forced is not None and forced != state.rung:
                old = state.rung_name
                state.rung = min(forced, len(state.config.ladder) - 1)
                state.last_move_day = self.day
                self.log_event(
                    state.actor_name,
                    "rung_forced",
                    f"{old} -> {state.rung_name}: {state.config.ladder[state.rung].description}",
                    "the scenario forces this rung",
                )

    def _signals(self) -> Signals:
        t = self.config.turkey
        g = self.config.government
        return Signals(
            border_displaced_people=self._border_displaced_yesterday(),
            opposition_ground_lost_km2=self.territory.ground_lost_km2(t.window_days, self.day),
            turkish_casualties_window=self.air_campaign.turkish_dead.increase(
                t.window_days, self.day
            ),
            government_losses_window=self.government_forces.losses_by_day.increase(
                g.window_days, self.day
            ),
            turkey_rung_share=self.turkey.rung_share,
            russia_rung_share=self.russia.rung_share,
            hts_holds_ground=bool(self.territory.cells_held[HTS] > 0),
            ceasefire=self.ceasefire_active,
        )

    def _states_decide(self) -> None:
        self.states.do("decide", self._signals())
        cf = self.config.ceasefire
        if (
            not self.ceasefire_active
            and self.air_campaign.turkish_soldiers_killed >= cf.turkey_casualties_soldiers
            and self.government_forces.losses_fighters >= cf.government_losses_fighters
        ):
            self.ceasefire_until = self.day + cf.duration_days
            self.russia.patience = 1.0
            self.log_event(
                "Russia-Turkey",
                "ceasefire",
                f"ceasefire for {cf.duration_days} days: strikes and offensives stop",
                f"both sides' costs passed their thresholds: "
                f"{self.air_campaign.turkish_soldiers_killed} "
                f"Turkish soldiers killed (>= {cf.turkey_casualties_soldiers:.0f}), "
                f"{self.government_forces.losses_fighters:,.0f} government fighters lost "
                f"(>= {cf.government_losses_fighters:,.0f})",
            )

    def pacing(self) -> float:
        """Share of full tempo the government allows itself today (salami tactics)."""
        return self.government.pacing_factor(
            self._border_displaced_yesterday(), self.config.turkey.crisis_threshold_people
        )

    def _bombard(self) -> None:
        self.civilian_deaths += self.air_campaign.strike(self.pacing(), self.ceasefire_active)

    def offensive_intensity(self) -> float:
        """Today's government ground tempo, 0..1."""
        if self.ceasefire_active:
            return 0.0
        return self.government.effects.offensive_intensity * self.pacing()

    def _fight(self) -> None:
        intensity = self.offensive_intensity()
        self.government_forces.attack(intensity, self.air_campaign.impact)
        self.alliance.counterattack(intensity)
        self.alliance.update(
            self.territory.ground_lost_km2(self.config.rebels.threat_window_days, self.day)
        )
        for group in (self.government_forces, self.hts, self.nlf):
            group.replenish()

    def _civilians_move(self) -> None:
        cfg = self.config.civilians
        table = self.destinations
        table.follow_control(self.day)
        self.places.update_status()
        open_now = table.available()  # fixed for the rest of the day

        self.places.receive(self.displaced.arrivals(), open_now, table, self.displaced.sheltering)

        territory = self.territory
        proximity = territory.front_nearness(cfg.front_scale_km) * max(
            self.offensive_intensity(), 0.1
        )
        recent = 0.0  # no cell changed hands recently
        if self.day - territory.last_change_day <= RECENT_CHANGE_DAYS:
            recent = (self.day - territory.captured_day <= RECENT_CHANGE_DAYS).astype(float)
        at_home = self.residents.total()
        present = at_home + self.displaced.sheltering
        left_yesterday = self.residents.left_today + self.displaced.moved_on_today
        social = disp.neighbours_leaving_share(left_yesterday, present + left_yesterday)
        self.risk[...] = disp.perceived_risk(
            self.risk,
            self.hazard,
            proximity,
            recent,
            social,
            (cfg.hazard_weight, cfg.front_weight, cfg.control_change_weight, cfg.social_weight),
            cfg.memory_decay_per_day,
        )
        can_go = table.reachable_cells(open_now).reshape(present.shape)
        left = self.residents.leave(can_go & (at_home > 0))
        moved = self.displaced.move_on(can_go)
        left_home = int(left.sum())
        self.displaced_cumulative += left_home
        self.displacement_movements += left_home + int(moved.sum())
        self.displaced.depart(left + moved, table, open_now)

    def _measure(self) -> None:
        self.measurement.measure(self)

    def timeseries(self) -> dict[str, list]:
        """The collected days as columns: ``{column: [day 0, day 1, ...]}``."""
        return self.measurement.timeseries()

    def run(self, progress=None) -> None:
        """Run to ``config.days``; ``progress`` (if given) is called with each finished day."""
        while self.running and self.day < self.config.days:
            self.step()
            if progress is not None:
                progress(self.day)
