"""The app's event log: each day's events in plain words, with their reasons.

The model logs terse rows (actor, kind, detail, reason). Right after each day the
:class:`Narrator` turns that day's new rows into sentences a class can read, using the
model's state on that same day for the numbers behind each move. Headline moves (rungs,
alliance, ceasefire, checkpoints, the border, camps, towns changing hands, scripted
events) are kept apart from the routine (each few km² of ground, each soldier killed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.app.measure import daily_series
from sim.world.geography import CONTROL_NAMES, GOVERNMENT

if TYPE_CHECKING:
    from sim.model import EscalationModel

HEADLINE_KINDS = frozenset(
    {
        "rung_up",
        "rung_down",
        "rung_forced",
        "ceasefire",
        "truce",
        "alliance_formed",
        "alliance_split",
        "checkpoint_open",
        "checkpoint_closed",
        "border_policy",
        "camp_full",
        "camp_room",
        "scripted",
    }
)
ACTOR_NAMES = {"government": "Government forces", "HTS": "HTS", "NLF": "The NLF"}
STATE_NAMES = {"Syrian government": "The Syrian government"}
OWNER_NAMES = {"government": "the government", "HTS": "HTS", "NLF": "the NLF", "Turkey": "Turkey"}
PROPER_WORDS = {"nlf": "NLF", "hts": "HTS", "turkish": "Turkish", "russian": "Russian"}
# A parenthesis naming a year, e.g. "(24-26 May 2019)": history, not the simulated date.
_HISTORICAL_DATE = re.compile(r"\s*\([^()]*\b(?:19|20)\d\d\b[^()]*\)")
_TOOK = re.compile(r"took ([\d,.]+) km² from (.+) near (.+)$")
_RATIO = re.compile(r"force ratio ([\d.]+)")
_KILLED = re.compile(r"^(\d+) Turkish soldiers? killed")
_STRIKES = re.compile(r"^(\d+) strikes within (\d+) km")


@dataclass(frozen=True)
class LogLine:
    """One line of the app's event log.

    Attributes:
        day: Simulated day (0 = the scenario's start date).
        date: Simulated calendar date.
        headline: True for the moves that change the story, False for the routine.
        text: The sentence, without the date.
    """

    day: int
    date: dt.date
    headline: bool
    text: str

    def __str__(self) -> str:
        return f"{format_date(self.date)} — {self.text}"


def format_date(date: dt.date) -> str:
    """``12 Jun 2019``."""
    return f"{date.day} {date:%b %Y}"


def rung_label(name: str) -> str:
    """A rung's name for people: ``return_fire`` -> ``Return fire``."""
    words = [PROPER_WORDS.get(w, w) for w in name.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def plain_description(description: str) -> str:
    """A rung's description without the historical date it may quote.

    The simulated date of a move differs from history's, so a date in the description
    would contradict the log line it sits in.
    """
    return _HISTORICAL_DATE.sub("", description).strip()


def _window_increase(values: list, day: int, window: int) -> float:
    """Increase of a cumulative series over ``window`` days up to ``day``."""
    return float(values[day] - values[max(day - window, 0)])


class Narrator:
    """Keeps the app's event log of one model run, newest last.

    Call :meth:`after_step` once after each day; it reads the rows the model logged
    that day and the state they were logged in.

    Attributes:
        lines: Every line so far, oldest first.
    """

    def __init__(self, model: EscalationModel):
        self.lines: list[LogLine] = []
        self._seen = 0
        self._town_owner = {t.name: int(model.control[t.row, t.col]) for t in model.geo.towns}
        self.after_step(model)  # the rows of day 0 (checkpoints open at the start)

    def headlines(self) -> list[LogLine]:
        """Headline lines, newest first."""
        return [line for line in reversed(self.lines) if line.headline]

    def routine(self) -> list[LogLine]:
        """Routine lines, newest first."""
        return [line for line in reversed(self.lines) if not line.headline]

    def after_step(self, model: EscalationModel) -> None:
        """Add the lines for the day just simulated."""
        new = model.events[self._seen :]
        self._seen = len(model.events)
        series = daily_series(model) if model.day > 0 else None
        for _day, _date, actor, kind, detail, reason in new:
            text = self._sentence(model, series, actor, kind, detail, reason)
            self.lines.append(LogLine(model.day, model.date, kind in HEADLINE_KINDS, text))
        self._towns_changing_hands(model)

    # ------------------------------------------------------------ sentences
    def _sentence(
        self,
        model: EscalationModel,
        series: dict[str, list] | None,
        actor: str,
        kind: str,
        detail: str,
        reason: str,
    ) -> str:
        if kind in ("rung_up", "rung_down", "rung_forced"):
            return self._rung(model, series, actor, kind)
        if kind == "ceasefire":
            return self._ceasefire(model)
        if kind == "truce":
            return self._truce(model)
        if kind in ("alliance_formed", "alliance_split"):
            return self._alliance(model, kind)
        if kind in ("checkpoint_open", "checkpoint_closed"):
            return self._checkpoint(model, actor, kind, reason)
        if kind in ("camp_full", "camp_room"):
            return self._camp(model, actor, kind)
        if kind == "control_change":
            return self._ground(actor, detail, reason)
        if kind == "casualties":
            return self._casualties(model, detail, reason)
        if kind == "border_policy":
            old, _, new = detail.removeprefix("border ").partition(" -> ")
            return (
                f"Turkey's border policy changes from {old} to {new}: it follows Turkey's "
                f"rung, '{rung_label(model.turkey.rung_name)}', or a scenario change"
            )
        if kind == "scripted":
            return f"Scenario event: {reason}: {_plain_changes(detail)}"
        return f"{actor}: {detail} ({reason})"

    def _rung(
        self, model: EscalationModel, series: dict[str, list] | None, actor: str, kind: str
    ) -> str:
        state = {"Turkey": model.turkey, "Russia": model.russia}.get(actor, model.government)
        rung = state.config.ladder[state.rung]
        verb = {"rung_up": "moves up to", "rung_down": "steps down to"}.get(kind, "is set to")
        who = STATE_NAMES.get(actor, actor)
        head = f"{who} {verb} '{rung_label(rung.name)}' ({plain_description(rung.description)})"
        if kind == "rung_forced" or series is None:
            return f"{head}: the scenario sets this rung"
        yesterday = model.day - 1
        if state is model.turkey:
            read = state.rung + 1 if kind == "rung_down" else state.rung  # the rung it weighed
            why = _turkey_reason(model, series, yesterday, read)
        elif state is model.russia:
            why = (
                f"its patience with Turkey's Sochi promises stands at {model.russia.patience:.2f}"
                " of 1 (it wears down every day HTS holds ground)"
            )
            if model.turkey.rung > 0:
                why += f", and Turkey is on '{rung_label(model.turkey.rung_name)}'"
        else:
            cfg = model.config.government
            backing = 1.0 - model.russia.patience
            lost = _window_increase(series["government_losses"], yesterday, cfg.window_days)
            losses = f"the loss of {lost:,.0f} fighters in {cfg.window_days} days"
            if kind == "rung_up":
                why = f"Russian backing ({backing:.2f}) outweighs {losses}"
            else:
                why = f"{losses} weighs against Russian backing ({backing:.2f})"
        return f"{head}: {why}"

    def _ceasefire(self, model: EscalationModel) -> str:
        cf = model.config.ceasefire
        return (
            f"Russia and Turkey agree a ceasefire for {cf.duration_days} days: no strikes and "
            f"no offensive while it holds. Both sides' costs passed their limits: "
            f"{model.turkish_soldiers_killed} Turkish soldiers killed (limit "
            f"{cf.turkey_casualties_soldiers:.0f}) and "
            f"{model.government_forces.losses_fighters:,.0f} government fighters lost (limit "
            f"{cf.government_losses_fighters:,.0f}). Russia's patience with Turkey starts "
            "afresh at 1: the deal gives Turkey new time to keep its promises, and the "
            "patience wears down again once the ceasefire ends"
        )

    def _truce(self, model: EscalationModel) -> str:
        cf = model.config.ceasefire
        return (
            f"Damascus pauses: a truce for {cf.truce_days} days, no strikes and no offensive "
            f"while it holds. The campaign has cost {model.government_forces.losses_fighters:,.0f}"
            f" government fighters (limit {cf.government_losses_fighters:,.0f}), but Turkey has "
            f"lost only {model.turkish_soldiers_killed} soldiers (a deal needs "
            f"{cf.turkey_casualties_soldiers:.0f}), so Russia's patience with Turkey stays at "
            f"{model.russia.patience:.2f} and the offensive resumes when the truce ends"
        )

    def _alliance(self, model: EscalationModel, kind: str) -> str:
        cfg = model.config.rebels
        threat = model.alliance.threat
        lost = model.territory.ground_lost_km2(cfg.threat_window_days, model.day)
        because = (
            f"the opposition lost {lost:,.0f} km² in {cfg.threat_window_days} days, a threat "
            f"of {threat:.2f}"
        )
        if kind == "alliance_formed":
            return (
                f"HTS and the NLF join forces in a battle for survival: {because}, above their "
                f"alliance threshold of {cfg.alliance_threshold:.2f}"
            )
        return (
            f"HTS and the NLF drift apart: {because}, below their alliance threshold of "
            f"{cfg.alliance_threshold:.2f}, and old rivalries return"
        )

    def _checkpoint(self, model: EscalationModel, name: str, kind: str, reason: str) -> str:
        point = next((cp for cp in model.checkpoints if cp.name == name), None)
        if kind == "checkpoint_open" and point is not None:
            cfg = point.config
            return (
                f"The {name} checkpoint opens: up to {cfg.capacity_per_day:,} people a day may "
                f"leave for government-held areas (it is scheduled from day {cfg.open_from_day} "
                "and stands on government-held ground)"
            )
        why = {
            "the ground is not government-held": "the ground around it is no longer "
            "government-held",
            "capacity set to zero": "its capacity is set to zero",
            "scheduled closure": "it is scheduled to close",
        }.get(reason, reason)
        return f"The {name} checkpoint closes: {why}"

    def _camp(self, model: EscalationModel, name: str, kind: str) -> str:
        camp = next((c for c in model.camps if c.name == name), None)
        size = f" ({camp.population:,} people)" if camp is not None else ""
        if kind == "camp_full":
            return (
                f"The {name} camps are full{size}: newcomers now settle in informal sites "
                "beside them"
            )
        return f"The {name} camps have room again{size}"

    def _ground(self, actor: str, detail: str, reason: str) -> str:
        took = _TOOK.search(detail)
        if took is None:
            return f"{actor} {detail} ({reason})"
        km2, old, near = took.groups()
        way = reason.split(":", 1)[0]
        who = ACTOR_NAMES.get(actor, actor)
        if "pocket" in way:
            return (
                f"{who} take {km2} km² from {old} near {near}: an encircled pocket, cut off "
                "from the rest of the opposition, surrenders"
            )
        fight = "a counter-attack" if way.startswith("counter-attack") else "the offensive"
        ratio = _RATIO.search(reason)
        odds = f" (attacker:defender force ratio {float(ratio.group(1)):.2f} : 1)" if ratio else ""
        return f"{who} take {km2} km² from {old} near {near} in {fight}{odds}"

    def _casualties(self, model: EscalationModel, detail: str, reason: str) -> str:
        killed, strikes = _KILLED.match(detail), _STRIKES.match(reason)
        if killed is None or strikes is None:
            return f"{detail} ({reason})"
        n = int(killed.group(1))
        soldiers = "soldier" if n == 1 else "soldiers"
        return (
            f"{n} Turkish {soldiers} killed at the observation posts: {strikes.group(1)} "
            f"strikes fell within {strikes.group(2)} km of them, with Russia on "
            f"'{rung_label(model.russia.rung_name)}'"
        )

    def _towns_changing_hands(self, model: EscalationModel) -> None:
        for town in model.geo.towns:
            owner = int(model.control[town.row, town.col])
            before = self._town_owner[town.name]
            if owner == before:
                continue
            self._town_owner[town.name] = owner
            name = town.name.split(" (")[0]
            how = "in the government offensive" if owner == GOVERNMENT else "in a counter-attack"
            self.lines.append(
                LogLine(
                    model.day,
                    model.date,
                    True,
                    f"{name} falls to {OWNER_NAMES[CONTROL_NAMES[owner]]}, taken from "
                    f"{OWNER_NAMES[CONTROL_NAMES[before]]} {how}",
                )
            )


def _plain_changes(detail: str) -> str:
    """A scripted event's ``key = value`` list, with the common switches in words."""
    words = {
        "ceasefire.active = True": "a ceasefire starts",
        "ceasefire.active = False": "the ceasefire ends",
    }
    parts = [words.get(part.strip(), f"sets {part.strip()}") for part in detail.split(", ")]
    return "; ".join(parts)


def _turkey_reason(
    model: EscalationModel, series: dict[str, list], yesterday: int, rung: int
) -> str:
    """What weighs most in Turkey's pressure on ``rung`` today, in words, with its threshold."""
    cfg = model.config.turkey
    border = int(series["border_displaced_people"][yesterday])
    ground = model.territory.ground_lost_km2(cfg.window_days, model.day)
    killed = _window_increase(series["turkish_soldiers_killed"], yesterday, cfg.window_days)
    towns = model.opposition_towns_lost_people()
    parts = [
        (
            border / cfg.crisis_threshold_people,
            f"{border:,} newly displaced people are near its border (its crisis threshold: "
            f"{cfg.crisis_threshold_people:,})",
        ),
        (
            ground / cfg.territory_loss_threshold_km2,
            f"the opposition lost {ground:,.0f} km² in {cfg.window_days} days (its threshold: "
            f"{cfg.territory_loss_threshold_km2:,.0f} km²)",
        ),
        (
            towns / cfg.towns_lost_threshold_people,
            f"the opposition has lost towns where {towns:,} people lived (its threshold: "
            f"{cfg.towns_lost_threshold_people:,})",
        ),
        (
            killed / cfg.casualty_threshold_soldiers,
            f"{killed:.0f} Turkish soldiers were killed in {cfg.window_days} days (its "
            f"threshold: {cfg.casualty_threshold_soldiers:.0f})",
        ),
    ]
    carried_by = cfg.ladder[rung].carried_by  # the signals this rung reads
    if carried_by is not None:
        names = ("border", "ground", "towns", "casualties")
        parts = [part for name, part in zip(names, parts, strict=True) if name in carried_by]
    why = max(parts, key=lambda part: part[0])[1]  # the first of equals, as Turkey reads it
    if model.russia.rung > 0:
        why += f", and Russia is on '{rung_label(model.russia.rung_name)}'"
    return why
