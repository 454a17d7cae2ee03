"""State actors: Turkey, Russia and the Syrian government, each on an escalation ladder.

Each state reads observable signals, turns them into a pressure score and moves at most one
rung a day (see :mod:`sim.mechanisms.ladder`). Every move is logged with its reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, NamedTuple

import mesa

from sim.mechanisms.ladder import (
    decide_rung,
    dominant,
    gate_by_other_side,
    pressure_by_rung,
    weighted_components,
)
from sim.world.codes import NEVER_DAY
from sim.world.schema import GovernmentConfig, RungEffects, RussiaConfig, TurkeyConfig

if TYPE_CHECKING:
    from sim.model import EscalationModel


class Signals(NamedTuple):
    """What the states can observe at the start of a day."""

    border_displaced_people: int
    opposition_ground_lost_km2: float  # over Turkey's window
    opposition_towns_lost_people: int  # census population of the towns lost since day 0
    turkish_casualties_window: float
    government_losses_window: float
    turkey_rung_share: float
    russia_rung_share: float
    russia_patience: float  # after today's wear
    ceasefire: bool


class StateActor(mesa.Agent, ABC):
    """A state with an escalation ladder.

    Attributes:
        rung: Current rung index (0 = bottom).
        pressure: Last pressure score computed.
        n_rungs: Rungs on the ladder, fixed for the run (events may change a rung's
            contents, not their number).
    """

    actor_name = "state"
    #: Whether a ceasefire stops this state from climbing (it may still step down).
    bound_by_ceasefire = True

    def __init__(self, model: EscalationModel):
        super().__init__(model)
        self.rung = 0
        self.pressure = 0.0
        self.n_rungs = len(self.config.ladder)
        self.last_move_day = NEVER_DAY

    @property
    @abstractmethod
    def config(self) -> TurkeyConfig | RussiaConfig | GovernmentConfig:
        """The section of the live scenario for this state."""

    @property
    def effects(self) -> RungEffects:
        """Effects of the current rung."""
        return self.config.ladder[self.rung].effects

    @property
    def rung_name(self) -> str:
        """Name of the current rung."""
        return self.config.ladder[self.rung].name

    @property
    def rung_share(self) -> float:
        """Position on the ladder, 0 (bottom) to 1 (top)."""
        top = self.n_rungs - 1
        return self.rung / top if top else 0.0

    def follow_forced_rung(self, day: int) -> None:
        """Jump to the scenario's forced rung, if one is set and not yet held; log it."""
        forced = self.config.forced_rung
        if forced is None or forced == self.rung:
            return
        old = self.rung_name
        self.rung = min(forced, self.n_rungs - 1)
        self.last_move_day = day
        self.model.log_event(
            self.actor_name,
            "rung_forced",
            f"{old} -> {self.rung_name}: {self.config.ladder[self.rung].description}",
            "the scenario forces this rung",
        )

    @abstractmethod
    def pressure_now(self, signals: Signals) -> float:
        """Today's pressure score."""

    def pressure_per_rung(self, signals: Signals) -> list[float]:
        """Today's pressure as each rung counts it, shape ``(n_rungs,)``."""
        return [self.pressure] * self.n_rungs

    def other_side_share(self, signals: Signals) -> float:
        """The other side's position on its ladder, 0..1, that gated rungs wait for."""
        return signals.turkey_rung_share

    @abstractmethod
    def explain(self, signals: Signals, rung: int) -> str:
        """A sentence naming what drives the pressure ``rung`` counts (written for a move)."""

    def decide(self, signals: Signals) -> None:
        """Move at most one rung, and log why (a forced rung only updates the pressure)."""
        ladder = self.config.ladder
        self.pressure = self.pressure_now(signals)
        if self.config.forced_rung is not None:
            return
        day = self.model.day
        per_rung = gate_by_other_side(
            self.pressure_per_rung(signals),
            self.other_side_share(signals),
            [ladder[i].other_side_share_at_least for i in range(self.n_rungs)],
        )
        new = decide_rung(
            self.rung,
            [ladder[i].enter_at for i in range(self.n_rungs)],
            per_rung,
            day - self.last_move_day,
            self.config.cooldown_days,
            self.config.hysteresis,
        )
        if new == self.rung or (new > self.rung and signals.ceasefire and self.bound_by_ceasefire):
            return
        old_name = self.rung_name
        if new > self.rung:
            rule = f"pressure {per_rung[new]:.2f} reached {ladder[new].enter_at:.2f}"
            kind = "rung_up"
            why = self.explain(signals, new)
        else:
            floor = ladder[self.rung].enter_at * (1 - self.config.hysteresis)
            rule = f"pressure {per_rung[self.rung]:.2f} fell below {floor:.2f}"
            gate = ladder[self.rung].other_side_share_at_least
            if gate is not None and self.other_side_share(signals) < gate - 1e-9:
                rule = (
                    f"the other side stands {self.other_side_share(signals):.0%} up its "
                    f"ladder, under the {gate:.0%} this rung answers"
                )
            kind = "rung_down"
            why = self.explain(signals, self.rung)
        self.rung = new
        self.last_move_day = day
        self.model.log_event(
            self.actor_name,
            kind,
            f"{old_name} -> {self.rung_name}: {ladder[new].description}",
            f"{why}; {rule}",
        )


class Turkey(StateActor):
    """Turkey: climbs as displacement piles up at its border and its proxies lose ground.

    Its upper rungs may need other signals (a rung's ``carried_by``): by default only
    Turkish soldiers killed carry it onto ``mass_reinforcement`` and ``spring_shield``.
    """

    actor_name = "Turkey"
    bound_by_ceasefire = False  # Ankara kept reinforcing during truces

    @property
    def config(self) -> TurkeyConfig:  # noqa: D102
        return self.model.config.turkey

    def _parts(self, signals: Signals) -> dict[str, float]:
        cfg = self.config
        return weighted_components(
            {
                "border": (signals.border_displaced_people, cfg.crisis_threshold_people),
                "ground": (signals.opposition_ground_lost_km2, cfg.territory_loss_threshold_km2),
                "towns": (signals.opposition_towns_lost_people, cfg.towns_lost_threshold_people),
                "casualties": (signals.turkish_casualties_window, cfg.casualty_threshold_soldiers),
            }
        )

    def pressure_now(self, signals: Signals) -> float:  # noqa: D102
        parts = self._parts(signals)
        return max(parts.values()) + self.config.other_side_weight * signals.russia_rung_share

    def pressure_per_rung(self, signals: Signals) -> list[float]:  # noqa: D102
        cfg = self.config
        return pressure_by_rung(
            self._parts(signals),
            [cfg.ladder[i].carried_by for i in range(self.n_rungs)],
            cfg.other_side_weight * signals.russia_rung_share,
        )

    def other_side_share(self, signals: Signals) -> float:  # noqa: D102
        return signals.russia_rung_share

    def explain(self, signals: Signals, rung: int) -> str:  # noqa: D102
        cfg = self.config
        texts = {
            "border": f"{signals.border_displaced_people:,} newly displaced people near the "
            f"Turkish border (crisis threshold {cfg.crisis_threshold_people:,})",
            "ground": f"the opposition lost {signals.opposition_ground_lost_km2:,.0f} km² in "
            f"{cfg.window_days} days",
            "towns": f"the opposition has lost towns of {signals.opposition_towns_lost_people:,}"
            f" people (threshold {cfg.towns_lost_threshold_people:,})",
            "casualties": f"{signals.turkish_casualties_window:.0f} Turkish soldiers killed in "
            f"{cfg.window_days} days",
        }
        return texts[dominant(self._parts(signals), cfg.ladder[rung].carried_by)]


class Russia(StateActor):
    """Russia: its patience with Turkey's Sochi commitments wears down while HTS holds ground."""

    actor_name = "Russia"

    def __init__(self, model: EscalationModel):
        super().__init__(model)
        self.patience = model.config.russia.patience_initial

    @property
    def config(self) -> RussiaConfig:  # noqa: D102
        return self.model.config.russia

    def wear_patience(self, hts_holds_ground: bool, deal_holds: bool) -> None:
        """Patience falls each day HTS still holds ground, unless a reached ceasefire holds.

        A truce (or a scripted pause) is no deal with Ankara: the patience keeps wearing
        through it, as Moscow's did from 31 Aug to 19 Dec 2019.
        """
        if hts_holds_ground and not deal_holds:
            self.patience = max(0.0, self.patience - self.config.patience_decay_per_day)

    def agree_to_ceasefire(self) -> None:
        """A ceasefire restores Moscow's patience (``russia.patience_after_ceasefire``)."""
        self.patience = self.config.patience_after_ceasefire

    def pressure_now(self, signals: Signals) -> float:  # noqa: D102
        return (1.0 - self.patience) + self.config.other_side_weight * signals.turkey_rung_share

    def explain(self, signals: Signals, rung: int) -> str:  # noqa: D102
        return (
            f"patience with Turkey's Sochi commitments at {self.patience:.2f}; "
            f"Turkey {signals.turkey_rung_share:.0%} up its ladder"
        )


class SyrianGovernment(StateActor):
    """Damascus: pushes as Russia's patience runs out, holds back as its losses mount."""

    actor_name = "Syrian government"

    @property
    def config(self) -> GovernmentConfig:  # noqa: D102
        return self.model.config.government

    def pressure_now(self, signals: Signals) -> float:  # noqa: D102
        cfg = self.config
        drive = 1.0 - signals.russia_patience
        cost = cfg.loss_weight * signals.government_losses_window / cfg.cost_fighters
        return max(0.0, drive - cost)

    def explain(self, signals: Signals, rung: int) -> str:  # noqa: D102
        return (
            f"Russian backing {1.0 - signals.russia_patience:.2f} against losses of "
            f"{signals.government_losses_window:,.0f} fighters in {self.config.window_days} days"
        )

    def pacing_factor(self, border_displaced_people: int, turkey_threshold: int) -> float:
        """Salami tactics: the share of full tempo the government allows itself.

        Full tempo up to ``salami_full_tempo_share`` of the ceiling (``salami_margin x
        threshold``), falling linearly to none at the ceiling; 1 when off.
        """
        cfg = self.config
        if not cfg.salami_tactics:
            return 1.0
        ceiling = cfg.salami_margin * turkey_threshold
        if ceiling <= 0:
            return 0.0
        slope = 1.0 / (1.0 - cfg.salami_full_tempo_share)
        return float(min(1.0, max(0.0, slope * (ceiling - border_displaced_people) / ceiling)))
