"""The air campaign: Russian and government strikes, the hazard they leave, the dead they cause.

One agent flies the day's sorties: it picks targets (front band, populated cells, roads,
less near Turkish posts when deterred), spreads each strike's effect, updates the hazard
civilians perceive, kills civilians in the struck cells and, near Turkish observation
posts, Turkish soldiers. The arithmetic is in :mod:`sim.mechanisms.bombardment`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.mechanisms import bombardment as bomb
from sim.world.history import DailySeries
from sim.world.layers import attach_layer

if TYPE_CHECKING:
    from sim.model import EscalationModel


class AirCampaign(mesa.Agent):
    """Russian and government air power over Idlib.

    Attributes:
        hazard: Remembered strike density per cell (the ``hazard`` layer of the grid),
            sortie-equivalents per km², ``(rows, cols)``.
        impact: Today's spread strike density, sortie-equivalents per km², ``(rows, cols)``.
        sorties_today: Sorties flown today.
        turkish_soldiers_killed: Turkish soldiers killed near their posts so far.
        turkish_dead: ``turkish_soldiers_killed`` at the end of each day.
    """

    def __init__(self, model: EscalationModel):
        super().__init__(model)
        geo = model.geo
        config = model.config
        self.hazard = attach_layer(model.grid, "hazard", np.zeros(geo.shape))
        self.impact = np.zeros(geo.shape)
        self.sorties_today = 0
        self.turkish_soldiers_killed = 0
        self.turkish_dead = DailySeries(config.days, float)
        posts = config.turkey.observation_posts
        self.post_distance_km = np.min(
            np.stack([geo.distance_km(p.lat, p.lon) for p in posts])
            if posts
            else np.full((1, *geo.shape), np.inf),
            axis=0,
        )
        radius_km = config.turkey.post_exposure_radius_km
        self._near_posts = np.flatnonzero(self.post_distance_km <= radius_km)
        self._targets: tuple[tuple, bomb.GroundTargets | None] = ((), None)
        self._spread_matrices: tuple[float, tuple | None] = (0.0, None)  # (spread, matrices)
        self._focus: tuple[tuple, np.ndarray] = ((), np.zeros(0, dtype=bool))  # (area, mask)

    def strike(self, pacing: float, ceasefire: bool) -> int:
        """Fly today's sorties; return the civilians they killed.

        Args:
            pacing: Share of full tempo the government allows itself today, 0..1.
            ceasefire: Whether a ceasefire holds today (nothing flies, unless the scenario
                gives the recorded strikes a day: then those fly).
        """
        m = self.model
        cfg = m.config.bombardment
        russia_fx = m.russia.effects
        turkey_fx = m.turkey.effects
        if cfg.recorded_strikes_per_day is not None:  # a history run: the record says
            sorties = round(cfg.recorded_strikes_per_day * cfg.sorties_per_recorded_strike)
        elif ceasefire:
            sorties = 0
        else:
            sorties = round(cfg.sorties_per_day * russia_fx.sortie_multiplier * pacing)
        if sorties == 0:  # nothing flies: no impact, no deaths, hazard only decays
            self.sorties_today = 0
            self.impact = np.zeros(m.geo.shape)
            self.hazard *= cfg.hazard_decay_per_day
            return 0
        residents, displaced = m.residents, m.displaced
        people = residents.total() + displaced.sheltering
        ground = self._ground_targets()
        weights = bomb.target_weights(ground, people, cfg.target_weights.towns)
        if cfg.focus_share > 0:
            weights = bomb.focus_weights(weights, self._in_focus(ground.cells), cfg.focus_share)
        placed = np.zeros(m.geo.shape, dtype=np.int64)
        placed.ravel()[ground.cells] = bomb.place_sorties(m.rng, sorties, weights)
        self.sorties_today = int(placed.sum())
        effectiveness = turkey_fx.bombardment_effectiveness_multiplier
        spread_cells = cfg.spread_km / m.geo.cell_km
        if spread_cells > 0 and self._spread_matrices[0] != spread_cells:
            self._spread_matrices = (spread_cells, bomb.spread_matrices(m.geo.shape, spread_cells))
        matrices = self._spread_matrices[1] if spread_cells > 0 else None
        self.impact = effectiveness * bomb.spread_impact(
            placed, spread_cells, matrices, m.geo.cell_area_km2
        )
        self.hazard[...] = bomb.update_hazard(self.hazard, self.impact, cfg.hazard_decay_per_day)
        cells, dead = bomb.deaths_per_cell(
            m.rng, people, self.impact, cfg.lethal_area_km2_per_sortie
        )
        if cells.size:
            home = residents.at_home.reshape(len(residents.tolerance), -1)
            shelter = displaced.sheltering.ravel()
            groups = np.vstack([home[:, cells], shelter[cells]])
            share = bomb.share_without_replacement(m.rng, groups, dead)
            home[:, cells] -= share[:-1]
            shelter[cells] -= share[-1]
        self._hit_turkish_posts(placed)
        return int(dead.sum()) if cells.size else 0

    def _in_focus(self, cells: np.ndarray) -> np.ndarray:
        """Which of ``cells`` (flat) lie in the focus area of the strikes: bool ``(n,)``."""
        cfg = self.model.config.bombardment
        area = (cfg.focus_lat, cfg.focus_lon, cfg.focus_radius_km)
        if self._focus[0] != area:
            self._focus = (area, self.model.geo.distance_km(area[0], area[1]) <= area[2])
        return self._focus[1].ravel()[cells]

    def _hit_turkish_posts(self, placed: np.ndarray) -> None:
        """Draw Turkish soldiers killed by today's strikes near their posts; log them."""
        m = self.model
        cfg = m.config.turkey
        exposed = float(placed.ravel()[self._near_posts].sum())
        targeted = m.russia.effects.strikes_near_turkish_positions
        near_posts = cfg.targeted_casualty_multiplier if targeted else 1.0
        expected = (
            cfg.casualties_per_exposed_sortie
            * m.turkey.effects.troop_exposure
            * near_posts
            * exposed
        )
        killed = int(m.rng.poisson(expected)) if expected > 0 else 0
        if killed:
            self.add_turkish_dead(
                killed,
                "near observation posts",
                f"{exposed:.0f} strikes within {cfg.post_exposure_radius_km:.0f} km of Turkish "
                f"posts; "
                f"Russia on rung '{m.russia.rung_name}'",
            )

    def add_turkish_dead(self, killed: int, where: str, reason: str) -> None:
        """Count ``killed`` Turkish soldiers today (drawn or scripted) and log them."""
        self.turkish_soldiers_killed += killed
        self.model.log_event(
            "Turkey",
            "casualties",
            f"{killed} Turkish soldier{'s' if killed > 1 else ''} killed {where}",
            reason,
        )

    def record(self, day: int) -> None:
        """Keep today's Turkish dead for the states' windows."""
        self.turkish_dead[day] = self.turkish_soldiers_killed

    def _ground_targets(self) -> bomb.GroundTargets:
        """Front, road and deterrence parts of targeting, kept while their inputs hold."""
        m = self.model
        cfg = m.config.bombardment
        territory = m.territory
        radius = 0.0
        if not m.russia.effects.strikes_near_turkish_positions:
            radius = m.turkey.effects.deterrence_radius_km
        w = cfg.target_weights
        weights = (w.front, w.towns, w.roads)
        key = (territory.version, cfg.front_band_km, weights, radius, cfg.deterrence_factor)
        if self._targets[0] != key:
            targetable = territory.opposition_mask
            front_band = targetable & (territory.distance_to_government_km <= cfg.front_band_km)
            deterrence = self.post_distance_km <= radius if radius > 0 else None
            ground = bomb.ground_targets(
                targetable, front_band, m.geo.roads, weights, deterrence, cfg.deterrence_factor
            )
            self._targets = (key, ground)
        return self._targets[1]
