"""Armed groups: government forces, HTS and the NLF, and the alliance between the two rebels.

Forces are strengths in fighters spread along the cells each group holds on the front.
Government forces attack along axes; rebels defend and counter-attack freshly lost cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.mechanisms import alliance, combat, turkish_posts
from sim.world.codes import CONTROL_NAMES, GOVERNMENT, HTS, NLF
from sim.world.history import DailySeries

if TYPE_CHECKING:
    from sim.model import EscalationModel


class ArmedGroup(mesa.Agent):
    """A fighting force with a strength that combat wears down and recruitment restores.

    Attributes:
        strength_fighters: Current strength.
        losses_fighters: Cumulative losses.
    """

    def __init__(self, model: EscalationModel, name: str, control_code: int, strength: float):
        super().__init__(model)
        self.name = name
        self.control_code = control_code
        self.initial_strength_fighters = strength
        self.strength_fighters = strength
        self.losses_fighters = 0.0

    def take_losses(self, fighters: float) -> None:
        """Lose up to ``fighters`` (never below ``combat.strength_floor_share`` of the start)."""
        floor = self.model.config.combat.strength_floor_share * self.initial_strength_fighters
        lost = max(0.0, min(fighters, self.strength_fighters - floor))
        self.strength_fighters -= lost
        self.losses_fighters += lost

    def replenish(self) -> None:
        """Make good a share of the gap to the initial strength."""
        gap = self.initial_strength_fighters - self.strength_fighters
        self.strength_fighters += self.model.config.combat.replenish_per_day * max(gap, 0.0)


class GovernmentForces(ArmedGroup):
    """Government ground forces: attack front cells along the offensive axes.

    Attributes:
        losses_by_day: ``losses_fighters`` at the end of each day.
        axis_effort: Relative attack effort per cell along each of the government's axes,
            ``exp(-distance / axis_width_km)``, ``(n_axes, rows, cols)``.
        post_cells: Flat cell index of each Turkish observation post, ``(n_posts,)``.
        post_fire_rng: The draws of Turkish dead at the posts, a stream of their own (spawned
            from the model's), so that switching that fire on or off leaves every other
            draw of a seed as it was.
    """

    _pockets_checked_version = -1  # control version last searched for cut-off pockets

    def __init__(self, model: EscalationModel, name: str, control_code: int, strength: float):
        super().__init__(model, name, control_code, strength)
        self.losses_by_day = DailySeries(model.config.days, float)
        geo, cfg = model.geo, model.config.government
        axes = [geo.distance_km(p.lat, p.lon) for p in cfg.axes]
        self.axis_effort = (
            np.exp(-np.stack(axes) / cfg.axis_width_km) if axes else np.ones((1, *geo.shape))
        )
        self._axis_weight: tuple[int | None, np.ndarray | None] = (-1, None)  # (axes, weight)
        posts = model.config.turkey.observation_posts
        self.post_cells = np.array(
            [np.ravel_multi_index(geo.cell_of(p.lat, p.lon), geo.shape) for p in posts],
            dtype=np.int64,
        )
        self.post_fire_rng = model.rng.spawn(1)[0]

    def axis_weight(self, axes_in_use: int | None) -> np.ndarray:
        """Relative attack effort per cell along the first ``axes_in_use`` axes (None: all).

        Returns:
            The sum of those axes' efforts plus ``government.off_axis_effort``,
            ``(rows, cols)``.
        """
        if self._axis_weight[0] != axes_in_use:
            effort = self.axis_effort[:axes_in_use].sum(axis=0)
            self._axis_weight = (axes_in_use, effort + self.model.config.government.off_axis_effort)
        return self._axis_weight[1]

    def fire_on_turkish_posts(self, intensity: float) -> None:
        """Shell the Turkish posts the front has reached; count the soldiers killed."""
        m = self.model
        cfg = m.config.turkey
        if intensity <= 0 or cfg.casualties_per_front_post_day <= 0 or not self.post_cells.size:
            return
        territory = m.territory
        targeted = (
            cfg.targeted_casualty_multiplier
            if m.russia.effects.strikes_near_turkish_positions
            else 1.0
        )
        posts = turkish_posts.posts_under_fire(
            territory.opposition_mask.ravel()[self.post_cells],
            territory.distance_to_government_km.ravel()[self.post_cells],
            territory.distance_to_opposition_km.ravel()[self.post_cells],
            cfg.post_exposure_radius_km,
        )
        killed = turkish_posts.draw_killed_at_posts(
            self.post_fire_rng,
            posts,
            intensity,
            m.turkey.effects.troop_exposure,
            cfg.casualties_per_front_post_day * targeted,
        )
        if killed:
            m.air_campaign.add_turkish_dead(
                killed,
                "by government ground fire",
                f"{posts} Turkish post{'s' if posts > 1 else ''} within "
                f"{cfg.post_exposure_radius_km:.0f} km of the front; offensive at "
                f"{intensity:.2f}",
            )

    def record(self, day: int) -> None:
        """Keep today's cumulative losses for the states' windows."""
        self.losses_by_day[day] = self.losses_fighters

    def _take_ground(self, intensity: float, front_impact: np.ndarray, cells: np.ndarray) -> None:
        """Draw which of the front ``cells`` (flat) fall today and hand them over."""
        m = self.model
        cfg = m.config.combat
        territory = m.territory
        axis = self.axis_weight(m.government.effects.offensive_axes).ravel()[cells]
        line_km = territory.front_km_per_cell(cfg.front_smoothing_km).ravel()[cells]
        effort = axis * line_km  # the attack's effort goes to km of line, not to cells
        attack = (
            self.strength_fighters
            * intensity
            * effort
            / max(float(effort.sum()), 1e-12)
            * (1.0 + cfg.bombardment_support * front_impact.ravel()[cells])
        )
        defence = m.alliance.defence_on(cells, effort, line_km)
        ratio = np.divide(attack, defence, out=np.zeros_like(attack), where=defence > 0)
        rate = combat.capture_rate_per_day(cfg.advance_km_per_day, line_km, m.geo.cell_km)
        p = combat.capture_probability(ratio, rate)
        draws = combat.correlated_uniforms(
            m.rng, m.geo.shape, cfg.front_smoothing_km, m.geo.cell_km
        )
        captured = np.flatnonzero(draws.ravel()[cells] < p)
        territory.change_control(
            cells[captured], GOVERNMENT, ratio[captured], "offensive", m.day, m.alliance.cooperation
        )

    def _take_pockets(self) -> None:
        """Cut-off pockets give up; they only appear when control changes."""
        m = self.model
        territory = m.territory
        if territory.version == self._pockets_checked_version:
            return
        most = combat.pocket_cells(m.config.combat.pocket_max_km2, m.geo.cell_area_km2)
        pockets = np.flatnonzero(combat.isolated_cells(territory.control, most))
        if pockets.size:
            territory.change_control(
                pockets,
                GOVERNMENT,
                None,
                "encircled pocket gave up: cut off from other opposition ground",
                m.day,
                m.alliance.cooperation,
            )
        self._pockets_checked_version = territory.version

    def attack(self, intensity: float, front_impact: np.ndarray) -> None:
        """One day of offensive at ``intensity`` (0..1) with today's bombardment impact."""
        m = self.model
        cfg = m.config.combat
        turkey = m.turkey.effects
        if turkey.government_losses_per_day > 0 and not m.ceasefire_active:
            self.take_losses(turkey.government_losses_per_day * self.strength_fighters)
        if intensity <= 0:
            return
        territory = m.territory
        front = territory.front_mask
        cells = front.ravel().nonzero()[0]  # the fighting happens on the front cells only
        if cells.size == 0:
            return
        if not cfg.scripted_front:  # with a scripted front, only capture events move it
            self._take_ground(intensity, front_impact, cells)
            self._take_pockets()

        defenders = m.alliance.defensive_power()
        gov_loss, def_loss = combat.lanchester_losses(
            self.strength_fighters * intensity, defenders * intensity, cfg.attrition_per_day
        )
        self.take_losses(gov_loss)
        held = territory.control.ravel()[cells]  # who still holds yesterday's front
        hts_front = int(np.count_nonzero(held == HTS))
        nlf_front = int(np.count_nonzero(held == NLF))
        share_hts = hts_front / max(hts_front + nlf_front, 1)
        m.hts.take_losses(def_loss * share_hts)
        m.nlf.take_losses(def_loss * (1 - share_hts))


class RebelGroup(ArmedGroup):
    """HTS or the NLF: holds cells, defends them, counter-attacks to retake lost ground."""

    def power_multiplier(self) -> float:
        """Combat power per fighter: Turkish arms (NLF), cooperation and Turkish fire."""
        m = self.model
        fx = m.turkey.effects
        arms = fx.nlf_strength_multiplier if self.control_code == NLF else 1.0
        coop = 1.0 + m.config.rebels.cooperation_bonus * m.alliance.cooperation
        return arms * coop * (1.0 + fx.turkish_fire_support)


class RebelAlliance(mesa.Agent):
    """Cooperation between HTS and the NLF (0..1): rivals that join forces to survive."""

    def __init__(self, model: EscalationModel):
        super().__init__(model)
        self.cooperation = model.config.rebels.cooperation_initial
        self.threat = 0.0
        self.joined = self.cooperation >= model.config.rebels.joined_at_cooperation

    def defensive_power(self) -> float:
        """Total rebel combat power (fighters times multipliers)."""
        m = self.model
        return sum(g.strength_fighters * g.power_multiplier() for g in (m.hts, m.nlf))

    def defence_on(
        self, cells: np.ndarray, attack_effort: np.ndarray, line_km: np.ndarray
    ) -> np.ndarray:
        """Rebel combat power on the given front cells (flat indices), ``(n,)``.

        Each group spreads its power over the front cells it holds, or, for the share
        ``rebels.defence_pooled_at_full_cooperation x cooperation``, over the whole
        front both hold: ``rebels.defence_concentration`` of it in proportion to the
        government's attack effort there (``attack_effort``, ``(n,)``), the rest along
        the line (in proportion to ``line_km``, the km of line each cell stands for,
        ``(n,)``; :func:`sim.mechanisms.combat.alliance_defence`).
        """
        m = self.model
        cfg = m.config.rebels
        return combat.alliance_defence(
            m.territory.control.ravel()[cells],
            {g.control_code: g.strength_fighters * g.power_multiplier() for g in (m.hts, m.nlf)},
            attack_effort,
            line_km,
            cfg.defence_concentration,
            cfg.defence_pooled_at_full_cooperation * self.cooperation,
        )

    def update(self, ground_lost_km2: float) -> None:
        """Update cooperation from the ground lost over the threat window; log changes."""
        cfg = self.model.config.rebels
        self.threat = alliance.rebel_threat(ground_lost_km2, cfg.threat_scale_km2)
        self.cooperation = alliance.update_cooperation(
            self.cooperation,
            self.threat,
            cfg.alliance_threshold,
            cfg.cooperation_rise_per_day,
            cfg.cooperation_decay_per_day,
        )
        joined = self.cooperation >= cfg.joined_at_cooperation
        if joined != self.joined:
            self.joined = joined
            why = (
                f"threat {self.threat:.2f} ({ground_lost_km2:,.0f} km² lost in "
                f"{cfg.threat_window_days} days) vs alliance threshold {cfg.alliance_threshold}"
            )
            if joined:
                self.model.log_event(
                    "HTS-NLF",
                    "alliance_formed",
                    f"HTS and the NLF fight together (cooperation {self.cooperation:.2f})",
                    f"a battle for survival: {why}",
                )
            else:
                self.model.log_event(
                    "HTS-NLF",
                    "alliance_split",
                    f"HTS and the NLF drift apart (cooperation {self.cooperation:.2f})",
                    f"the threat receded: {why}",
                )

    def counterattack(self, intensity: float) -> None:
        """Try to retake cells lost in the last days; success grows with cooperation."""
        m = self.model
        cfg = m.config.combat
        territory = m.territory
        if cfg.scripted_front:
            return  # the front is input: only scripted captures move it
        if m.day - territory.last_change_day > cfg.counterattack_window_days:
            return  # nothing was lost recently enough to retake
        fresh = territory.fresh_government_ground(m.day, cfg.counterattack_window_days)
        hot = np.flatnonzero(fresh & territory.exposed_government_mask)  # on the line
        if hot.size == 0:
            return
        fresh_km2 = float(np.count_nonzero(fresh)) * m.geo.cell_area_km2
        local_ratio = combat.counterattack_ratio(
            self.defensive_power(),
            m.government_forces.strength_fighters * max(intensity, cfg.counterattack_min_intensity),
            territory.front_length_km(cfg.front_smoothing_km),
            fresh_km2,
            cfg.counterattack_depth_km,
        )
        rate = combat.retake_rate_per_day(
            cfg.counterattack_km_per_day,
            fresh_km2,
            cfg.counterattack_depth_km,
            hot.size,
            m.geo.cell_km,
        )
        p = combat.capture_probability(local_ratio, rate)
        retaken = hot[combat.draw_among(m.rng, np.full(hot.size, p * self.cooperation))]
        if retaken.size:
            owner_before = territory.last_owner.ravel()[retaken]
            for code in (HTS, NLF):
                cells = retaken[owner_before == code]
                ratio = np.full(cells.size, local_ratio)
                how = f"counter-attack ({CONTROL_NAMES[code]})"
                territory.change_control(cells, code, ratio, how, m.day, self.cooperation)
