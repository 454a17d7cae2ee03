"""The ceasefire: a truce Moscow and Ankara reach when both sides' costs pass a threshold.

A scenario can also force one (``ceasefire.active``, usually from a scripted event). While
it holds, nothing flies, the offensive stops and Russia and Damascus do not climb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import EscalationModel


class Ceasefire:
    """Whether a truce holds, and when one is reached.

    Attributes:
        until: First day after a reached ceasefire (-1 if none was reached).
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        self.until = -1

    def holds(self, day: int) -> bool:
        """True while a reached or scripted ceasefire holds on ``day``."""
        return self.model.config.ceasefire.active or day < self.until

    def reached(self, day: int, turkish_dead: int, government_losses_fighters: float) -> bool:
        """Start a ceasefire if both sides' cumulative costs passed their thresholds; log it.

        Returns:
            True if one starts today.
        """
        cf = self.model.config.ceasefire
        if (
            self.holds(day)
            or turkish_dead < cf.turkey_casualties_soldiers
            or government_losses_fighters < cf.government_losses_fighters
        ):
            return False
        self.until = day + cf.duration_days
        self.model.log_event(
            "Russia-Turkey",
            "ceasefire",
            f"ceasefire for {cf.duration_days} days: strikes and offensives stop",
            f"both sides' costs passed their thresholds: {turkish_dead} "
            f"Turkish soldiers killed (>= {cf.turkey_casualties_soldiers:.0f}), "
            f"{government_losses_fighters:,.0f} government fighters lost "
            f"(>= {cf.government_losses_fighters:,.0f}); Russia's patience with Turkey "
            f"resets to {self.model.config.russia.patience_after_ceasefire:.2f}: the deal gives "
            "Turkey new time to keep its Sochi commitments, and patience wears down again "
            "once the ceasefire ends",
        )
        return True
