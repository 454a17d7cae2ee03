"""Truces and ceasefires: pauses Moscow and Ankara reach when the fighting's costs pass a limit.

Two kinds are reached in a run. A **truce** when the government's losses alone pass
``ceasefire.government_losses_fighters`` (once a run: the first campaign's pause, as the
unilateral government truce of 31 Aug 2019) holds ``ceasefire.truce_days`` and leaves
Russia's patience as it was, so the offensive resumes when it ends. A **ceasefire** when
Turkey's dead pass ``ceasefire.turkey_casualties_soldiers`` too, or when Turkey's army has
fought on its top rung for ``ceasefire.turkey_top_rung_days`` (as the Moscow protocol of
6 Mar 2020, 8 days after Balyun), holds ``ceasefire.duration_days`` and restores Russia's
patience. A scenario can also force one (``ceasefire.active``, usually from a scripted
event). While either holds, nothing flies, the offensive stops and Russia and Damascus do
not climb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sim.model import EscalationModel

#: What :meth:`Ceasefire.reached` starts.
Pause = Literal["truce", "ceasefire"]


class Ceasefire:
    """Whether a truce or ceasefire holds, and when one is reached.

    Attributes:
        until: First day after the reached truce or ceasefire (-1 if none was reached).
        truce_day: Day the truce was reached (None: not yet).
        ceasefire_day: Day the ceasefire was reached (None: not yet).
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        self.until = -1
        self.truce_day: int | None = None
        self.ceasefire_day: int | None = None

    def holds(self, day: int) -> bool:
        """True while a reached or scripted truce or ceasefire holds on ``day``."""
        return self.model.config.ceasefire.active or day < self.until

    def deal_holds(self, day: int) -> bool:
        """True while a reached ceasefire (a deal with Ankara, not a truce) holds on ``day``."""
        return self.ceasefire_day is not None and day < self.until

    def reached(
        self,
        day: int,
        turkish_dead: int,
        government_losses_fighters: float,
        turkey_top_rung_since: int | None = None,
    ) -> Pause | None:
        """Start a ceasefire or a truce if one is reached today; log it.

        A ceasefire when Turkey's army has fought on its top rung for
        ``turkey_top_rung_days`` since the last pause, or when both sides' costs passed
        their limits; else a truce when the government's losses alone did (once a run).

        Args:
            day: Today.
            turkish_dead: Turkish soldiers killed so far.
            government_losses_fighters: Government fighters lost so far.
            turkey_top_rung_since: The day Turkey reached its top rung, if it stands on it
                today (None otherwise).

        Returns:
            ``"ceasefire"`` or ``"truce"`` if one starts today, else None.
        """
        cf = self.model.config.ceasefire
        if self.holds(day):
            return None
        at_war_days = 0
        if turkey_top_rung_since is not None:
            at_war_days = day - max(turkey_top_rung_since, self.until)  # since the last pause
        if cf.turkey_top_rung_days is not None and at_war_days >= cf.turkey_top_rung_days:
            return self._start_ceasefire(
                day,
                f"Turkey's army has fought on its top rung ({self.model.turkey.rung_name}) for "
                f"{at_war_days} days (>= {cf.turkey_top_rung_days}): Moscow and Ankara make a "
                "deal, as in the Moscow protocol 8 days after Balyun",
            )
        if government_losses_fighters < cf.government_losses_fighters:
            return None
        if turkish_dead >= cf.turkey_casualties_soldiers:
            return self._start_ceasefire(
                day,
                f"both sides' costs passed their thresholds: {turkish_dead} "
                f"Turkish soldiers killed (>= {cf.turkey_casualties_soldiers:.0f}), "
                f"{government_losses_fighters:,.0f} government fighters lost "
                f"(>= {cf.government_losses_fighters:,.0f})",
            )
        if self.truce_day is not None or self.ceasefire_day is not None or cf.truce_days == 0:
            return None
        return self._start(
            "truce",
            day,
            cf.truce_days,
            f"the government's campaign cost {government_losses_fighters:,.0f} fighters "
            f"(>= {cf.government_losses_fighters:,.0f}) while Turkey has lost {turkish_dead} "
            f"soldiers (< {cf.turkey_casualties_soldiers:.0f}): Damascus pauses, but Russia's "
            "patience with Turkey stays where it was, so the offensive resumes when the truce "
            "ends",
        )

    def _start_ceasefire(self, day: int, why: str) -> Pause:
        """Start a reached ceasefire today for ``why``; it restores Russia's patience."""
        return self._start(
            "ceasefire",
            day,
            self.model.config.ceasefire.duration_days,
            f"{why}; Russia's patience with Turkey resets to "
            f"{self.model.config.russia.patience_after_ceasefire:.2f}: the deal gives Turkey "
            "new time to keep its Sochi commitments, and patience wears down again once the "
            "ceasefire ends",
        )

    def _start(self, kind: Pause, day: int, length_days: int, why: str) -> Pause:
        """Start a truce or ceasefire of ``length_days`` today for ``why``; log it."""
        self.until = day + length_days
        if kind == "truce":
            self.truce_day = day
        else:
            self.ceasefire_day = day
        self.model.log_event(
            "Russia-Turkey",
            kind,
            f"{kind} for {length_days} days: strikes and offensives stop",
            why,
        )
        return kind
