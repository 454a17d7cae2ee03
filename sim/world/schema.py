"""The scenario schema: every key a scenario file may set, with its type, unit and default.

All defaults live here, in one place. Figures taken from ``scenarios/data`` carry their
source in the field description; everything else is marked as an estimate. The README's
scenario reference is generated from these descriptions (``idlib-sim scenarios --keys``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

BorderPolicy = Literal["sealed", "quota", "open"]
#: The signals whose pressure components Turkey reads (:class:`sim.agents.states.Turkey`).
TurkeySignal = Literal["border", "ground", "towns", "casualties"]

#: Marks a key that is a user's choice rather than a model parameter (reference "basis").
SETTING = {"basis": "setting"}
#: Marks a rung effect whose default means "no effect".
NEUTRAL = {"basis": "neutral default"}


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The schema class inside a field's type (``X``, ``list[X]``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = section_model(arg)
        if found is not None:
            return found
    return None


#: Dates a scenario may use: wide enough for any study, narrow enough to stay computable.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


class KeyValueError(ValueError):
    """A check across keys that blames one of them.

    Attributes:
        path: Key path of the blamed key, relative to the section that checks it.
    """

    def __init__(self, path: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.path = path


def _is_number(annotation: Any) -> bool:
    """Whether a field holds an int or a float (possibly ``| None``), not a bool."""
    if annotation in (int, float):
        return True
    args = get_args(annotation)
    return bool(args) and all(a in (int, float, type(None)) for a in args)


class _Section(BaseModel):
    """Base for all scenario sections: unknown keys are errors, values are re-validated.

    Numbers are numbers: ``true``, ``yes`` (YAML booleans) and text such as ``"12"`` are
    refused where a number is expected, as are ``.nan`` and ``.inf``; ``1.5`` is not an
    integer. NumPy numbers are numbers too (sweep designs pass them).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or not _is_number(field.annotation):
            return value
        is_int = int in (field.annotation, *get_args(field.annotation))
        kind = "an integer" if is_int else "a number"
        if isinstance(value, bool):
            raise ValueError(f"expected {kind}, not true/false (got {str(value).lower()})")
        if isinstance(value, str):
            raise ValueError(f"expected {kind}, not text (got {value!r})")
        return value


class Place(_Section):
    """A named point on the map."""

    name: str = Field(description="Display name.", json_schema_extra=SETTING)
    lat: float = Field(
        ge=34.5, le=37.0, description="Latitude, degrees north (WGS84).", json_schema_extra=SETTING
    )
    lon: float = Field(
        ge=35.5, le=38.0, description="Longitude, degrees east (WGS84).", json_schema_extra=SETTING
    )


class GridConfig(_Section):
    """How Idlib is cut into square cells."""

    cell_km: float = Field(
        2.0,
        ge=1.0,
        le=10.0,
        description="Cell side, km. Rates are per km² or per km of front, so outcomes' means "
        "agree within 7 % across 1-3 km cells; on 3 km cells the typical run has a fifth fewer "
        "checkpoint exits (docs/validation.md, 'Cell size'). Finer cells cost more.",
        json_schema_extra=SETTING,
    )


class PopulationConfig(_Section):
    """The civilian population at risk (the opposition-held area at the start)."""

    total: int = Field(
        3_000_000,
        ge=1_000,
        le=50_000_000,
        description="People in the opposition-held area at the start (about 3 million in "
        "2019, half of them displaced before; places.csv README).",
    )
    initial_in_camps_share: float = Field(
        0.2,
        ge=0.0,
        le=0.9,
        description="Share of `total` already living in the border camp clusters on day 0 "
        "(estimate: ~600,000 in the Atmeh-Qah cluster, places.csv).",
    )
    town_share: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Share of residents placed in the named towns in proportion to their "
        "census populations; the rest is spread evenly over OCHA settlement points (estimate).",
    )


class ControlConfig(_Section):
    """How the initial front line splits the map between actors."""

    front_line: Literal["2019_05", "2020_03"] = Field(
        "2019_05",
        description="Which estimated front line sets initial control.",
        json_schema_extra=SETTING,
    )
    nlf_front_depth_km: float = Field(
        15.0,
        ge=0.0,
        le=100.0,
        description="Opposition cells whose centre lies within this distance of the front "
        "line and south of `nlf_south_of_lat` are held by the NLF; the rest by HTS, which "
        "ruled most of Idlib after January 2019 (places.csv sources).",
    )
    nlf_south_of_lat: float = Field(
        35.85, ge=35.0, le=36.5, description="Latitude (deg N) north of which HTS holds all."
    )


class RungEffects(_Section):
    """What standing on a rung does to the mechanisms. Neutral values do nothing."""

    sortie_multiplier: float = Field(
        1.0, ge=0.0, le=20.0, description="Times base sorties.", json_schema_extra=NEUTRAL
    )
    offensive_intensity: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Government ground offensive, 0 (none) to 1 (all-out).",
        json_schema_extra=NEUTRAL,
    )
    offensive_axes: int | None = Field(
        None,
        ge=1,
        description="Government: the offensive attacks along the first this many of "
        "`government.axes` (unset: all of them); the other axes draw no effort beyond "
        "`government.off_axis_effort`.",
        json_schema_extra=NEUTRAL,
    )
    nlf_strength_multiplier: float = Field(
        1.0,
        ge=0.1,
        le=5.0,
        description="Turkish arms: NLF combat power multiplier.",
        json_schema_extra=NEUTRAL,
    )
    deterrence_radius_km: float = Field(
        0.0,
        ge=0.0,
        le=50.0,
        description="Strikes avoided within this radius of Turkish posts.",
        json_schema_extra=NEUTRAL,
    )
    government_losses_per_day: float = Field(
        0.0,
        ge=0.0,
        le=0.05,
        description="Turkish fire: share of government strength lost daily.",
        json_schema_extra=NEUTRAL,
    )
    bombardment_effectiveness_multiplier: float = Field(
        1.0,
        ge=0.0,
        le=2.0,
        description="Drones, air defence: hazard and deaths per sortie.",
        json_schema_extra=NEUTRAL,
    )
    border_policy: BorderPolicy | None = Field(
        None, description="Overrides `border.policy` while on this rung.", json_schema_extra=NEUTRAL
    )
    turkish_fire_support: float = Field(
        0.0,
        ge=0.0,
        le=5.0,
        description="Direct Turkish fire: extra defensive power (share).",
        json_schema_extra=NEUTRAL,
    )
    strikes_near_turkish_positions: bool = Field(
        False,
        description="Russia: ignore Turkish deterrence, expose Turkish troops.",
        json_schema_extra=NEUTRAL,
    )
    troop_exposure: float = Field(
        1.0,
        ge=0.0,
        le=20.0,
        description="Turkey: troops exposed to strikes near posts.",
        json_schema_extra=NEUTRAL,
    )


class Rung(_Section):
    """One step of a state's escalation ladder."""

    name: str = Field(description="Short name, used in events.csv.", json_schema_extra=SETTING)
    description: str = Field(
        "",
        description="Plain-language description for students.",
        json_schema_extra=SETTING,
    )
    enter_at: float = Field(
        0.0, ge=0.0, description="Pressure score (dimensionless) at which the state climbs here."
    )
    carried_by: list[TurkeySignal] | None = Field(
        None,
        min_length=1,
        description="Turkey's ladder only: the signals whose pressure can carry Turkey onto "
        "this rung and keep it there (`border` displacement, `ground` lost, `towns` lost, "
        "Turkish `casualties`); unset, all of them. Russia's rung share adds to every rung's "
        "pressure.",
    )
    other_side_share_at_least: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="A rung that answers the other side's move: the state counts no "
        "pressure toward it (and steps down off it) until the other side stands at least "
        "this high on its ladder, as a share of the way up (0 bottom, 1 top). Russia's and "
        "the government's rungs read Turkey's ladder, Turkey's rungs read Russia's; unset, "
        "no gate.",
    )
    effects: RungEffects = Field(default_factory=RungEffects)


def _rungs(*rows: tuple) -> list[Rung]:
    """Rungs from ``(name, description, enter_at, effects[, carried_by[, gate]])`` rows."""
    return [
        Rung(
            name=row[0],
            description=row[1],
            enter_at=row[2],
            effects=RungEffects(**row[3]),
            carried_by=row[4] if len(row) > 4 else None,
            other_side_share_at_least=row[5] if len(row) > 5 else None,
        )
        for row in rows
    ]


def default_turkey_ladder() -> list[Rung]:
    """Turkish rungs climbed in 2019-20 (escalation_ladder.json); effect sizes are estimates.

    Historically (kept out of the descriptions, which the app shows beside simulated dates):
    protests May 2019; arms to the NLF 24-26 May 2019; return fire from 16 June 2019; mass
    reinforcement February 2020; Operation Spring Shield 27 Feb - 5 Mar 2020.

    Displacement does not carry the two top rungs (``carried_by``): Turkey did not climb
    them in July-August 2019, when displacement and lost ground were already large (Khan
    Shaykhun fell 20 Aug 2019, its OP 9 encircled). It sent its army (``mass_reinforcement``)
    from 2 Feb 2020, once the winter offensive had taken Ma'arrat al-Nu'man (28 Jan) and
    neared Saraqib, so the towns lost carry that rung, as do Turkish dead; it launched
    Spring Shield after its soldiers were killed at Saraqib (7, 3 Feb), Taftanaz (5, 10 Feb)
    and Balyun (34, 27 Feb), so only the dead carry that one (escalation_ladder.json
    turkish_rungs; timeline_2019_2020.csv capture, turkish_casualties and turkish_move rows).

    Troop exposure follows the troops Turkey had in Idlib: 12 posts of 125-150 soldiers in
    2019 (1 = those garrisons; convoys add a little), ~6,500 more by mid-Feb 2020 (about 5
    times) and over 10,300 by May 2020 (about 6; actors.json Turkey).
    """
    return _rungs(
        (
            "diplomatic_protest",
            "Protests and talks in the Astana/Sochi channels",
            0.0,
            {},
        ),
        (
            "arm_nlf",
            "Armoured vehicles, Grad launchers and TOW missiles to the NLF",
            0.3,
            {"nlf_strength_multiplier": 1.4},
        ),
        (
            "reinforce_posts",
            "Convoys reinforce the observation posts; Turkey refuses to leave them",
            0.5,
            {"nlf_strength_multiplier": 1.4, "deterrence_radius_km": 6.0, "troop_exposure": 1.2},
        ),
        (
            "return_fire",
            "Turkish posts and artillery shell government positions",
            0.8,
            {
                "nlf_strength_multiplier": 1.4,
                "deterrence_radius_km": 6.0,
                "government_losses_per_day": 0.0002,
                "turkish_fire_support": 0.2,
                "troop_exposure": 1.5,
            },
        ),
        (
            "mass_reinforcement",
            "Thousands of troops and new tripwire posts",
            1.0,
            {
                "nlf_strength_multiplier": 1.5,
                "deterrence_radius_km": 10.0,
                "government_losses_per_day": 0.0005,
                "turkish_fire_support": 0.5,
                "troop_exposure": 5.0,
            },
            ["towns", "casualties"],
        ),
        (
            "spring_shield",
            "A drone and artillery campaign against government forces, as Spring Shield",
            1.4,
            {
                "nlf_strength_multiplier": 1.6,
                "deterrence_radius_km": 10.0,
                "government_losses_per_day": 0.003,
                "turkish_fire_support": 1.0,
                "bombardment_effectiveness_multiplier": 0.6,
                "troop_exposure": 6.2,
            },
            ["casualties"],
        ),
    )


def default_russia_ladder() -> list[Rung]:
    """Russian air-war rungs (escalation_ladder.json counter-moves); sizes are estimates.

    Historically: intensive bombardment as on 30 April 2019; strikes near Turkish positions
    as at Balyun, 27 February 2020.

    Strikes near Turkish positions answer Turkey's army (``other_side_share_at_least`` 0.8,
    Turkey on ``mass_reinforcement`` or above): Russian jets struck the Turkish-backed push
    on Nayrab and a Turkish post near Qminas on 20 Feb 2020, and Moscow said the Turkish
    troops hit at Balyun were "inside militant formations" (timeline_2019_2020.csv
    russian_move rows of 20 and 28 Feb 2020), not in 2019, when Turkey only held its posts.
    """
    return _rungs(
        ("political_cover", "Diplomatic cover for Damascus; few Russian strikes", 0.0, {}),
        (
            "air_support",
            "Russian aircraft support the government offensive",
            0.3,
            {"sortie_multiplier": 2.0},
        ),
        (
            "intensive_bombardment",
            "Intensive bombardment of towns and roads",
            0.6,
            {"sortie_multiplier": 4.0},
        ),
        (
            "strikes_near_turkish_positions",
            "Strikes close to Turkish posts and convoys",
            1.0,
            {"sortie_multiplier": 5.0, "strikes_near_turkish_positions": True},
            None,
            0.8,
        ),
    )


def default_government_ladder() -> list[Rung]:
    """Government ground-offensive rungs (escalation_ladder.json); sizes are estimates.

    Historically: a limited offensive in northern Hama from May 2019; a major offensive on
    several axes (Dawn of Idlib 2) from December 2019.
    """
    return _rungs(
        ("hold", "Forces hold the line", 0.0, {}),
        ("probing", "Shelling and probing attacks", 0.2, {"offensive_intensity": 0.15}),
        (
            "limited_offensive",
            "A limited offensive on one axis",
            0.4,
            # The spring 2019 campaign's axes only: Kafr Nabudah and Khan Shaykhun, northern
            # Hama and southern Idlib (escalation_ladder.json; timeline capture rows).
            {"offensive_intensity": 0.4, "offensive_axes": 2},
        ),
        (
            "major_offensive",
            "A major offensive on several axes",
            0.7,
            {"offensive_intensity": 0.8},
        ),
    )


class LadderConfig(_Section):
    """Common decision rules of a state's ladder."""

    cooldown_days: int = Field(10, ge=0, le=365, description="Days between two moves.")
    hysteresis: float = Field(
        0.25,
        ge=0.0,
        le=0.95,
        description="Step down only when pressure < enter_at x (1 - hysteresis).",
    )
    forced_rung: int | None = Field(
        None,
        ge=0,
        description="Hold the state on this rung (for scripted events and teaching); "
        "0 is the bottom rung, and it must be a rung of the ladder.",
        json_schema_extra=SETTING,
    )

    @model_validator(mode="after")
    def _forced_rung_on_ladder(self) -> LadderConfig:
        ladder = getattr(self, "ladder", None)
        if self.forced_rung is not None and ladder is not None and self.forced_rung >= len(ladder):
            raise KeyValueError(
                ("forced_rung",),
                f"rung {self.forced_rung} is not on the ladder, which has rungs "
                f"0..{len(ladder) - 1}",
            )
        return self


class TurkeyConfig(LadderConfig):
    """Turkey: protector of the opposition, afraid of a refugee wave."""

    crisis_threshold_people: int = Field(
        500_000,
        ge=1,
        description="People newly displaced near the Turkish border at which Turkey's "
        "pressure reaches 1 (estimate; Erdogan spoke of ~1 million 'moving toward' "
        "the border on 3 Feb 2020, displacement_2019.json). At least 1; for a Turkey "
        "that ignores its border, set it above `population.total`.",
    )
    territory_loss_threshold_km2: float = Field(
        400.0, gt=0, description="Opposition ground lost over `window_days` at pressure 1."
    )
    towns_lost_threshold_people: int = Field(
        200_000,
        ge=1,
        description="Census population of the towns the opposition has lost since the run "
        "began (the towns and cities of places.csv held by HTS or the NLF on day 0 and now "
        "held by the government) at which the `towns` pressure reaches 1. Estimate, placed "
        "between two dated facts: Turkey sent convoys but no army when the first campaign "
        "had taken Kafr Nabudah, Qalaat al-Madiq, Habit, Khan Shaykhun, Morek and Kafr Zita "
        "(118,410 people by 23 Aug 2019), and sent ~6,500 troops from 2 Feb 2020 once "
        "Ma'arrat al-Nu'man (58,008) had fallen too (176,418 by 28 Jan 2020) "
        "(places.csv census figures; timeline_2019_2020.csv capture and turkish_move rows): "
        "with Russia's rung share, 200,000 puts the first below and the second above "
        "`mass_reinforcement`.",
    )
    casualty_threshold_soldiers: float = Field(
        20.0, gt=0, description="Turkish soldiers killed over `window_days` at pressure 1."
    )
    other_side_weight: float = Field(
        0.3, ge=0, le=2, description="Pressure added per unit of Russia's rung share."
    )
    window_days: int = Field(30, ge=1, le=365, description="Window for losses, days.")
    casualties_per_exposed_sortie: float = Field(
        0.002,
        ge=0,
        description="Expected soldiers killed per sortie within 5 km of a post per unit of "
        "troop exposure (estimate; 54 killed in Feb 2020, actors.json).",
    )
    post_exposure_radius_km: float = Field(
        5.0,
        ge=0,
        le=50,
        description="Strikes this close to a Turkish observation post endanger its soldiers, "
        "and the other side's ground this close puts the post under fire (estimate).",
    )
    casualties_per_front_post_day: float = Field(
        0.01,
        ge=0,
        le=5,
        description="Expected Turkish soldiers killed a day by government ground fire at "
        "each observation post with the front within `post_exposure_radius_km`: in "
        "opposition ground with government ground near, or encircled in government ground "
        "with opposition ground near (Turkey kept encircled posts manned, as Morek's from "
        "Aug 2019; escalation_ladder.json), per unit of troop exposure and of offensive "
        "intensity; times `targeted_casualty_multiplier` while Russia strikes near Turkish "
        "positions. Estimate from 2019: 1 soldier killed (OP 11, 27 Jun 2019; timeline "
        "turkish_casualties rows) in about 120 days with about 3 posts near the front, "
        "intensity 0.4 and exposure 1.5 gives ~0.005, rounded up to 0.01 (0.04 before, set "
        "from Feb 2020, gave ~10 dead in the free run's 2019). It lets a free run reach the "
        "top rungs, which only Turkish dead (and, for `mass_reinforcement`, the towns lost) "
        "carry; a history run scripts its dead and sets it to 0.",
    )
    targeted_casualty_multiplier: float = Field(
        10.0,
        ge=1,
        le=20,
        description="Times more soldiers killed at the posts and per exposed sortie while "
        "Russia's rung strikes near Turkish positions on purpose. Estimate from Feb 2020: "
        "59 killed from 3 Feb to 5 Mar 2020 (timeline turkish_casualties rows), ~1.9 a day, "
        "at about 4 posts, intensity 0.8, exposure 5, is ~12 times "
        "`casualties_per_front_post_day`, rounded to 10 (3 before): in 2019 the fire around "
        "the posts was deconflicted (Russia blamed militants for the 13 Jun 2019 shelling), "
        "in 2020 Turkish troops were struck directly (Saraqib, Taftanaz, Balyun).",
    )
    observation_posts: list[Place] = Field(
        default_factory=lambda: [
            Place(name="OP 9 Morek", lat=35.375, lon=36.70),
            Place(name="OP 6 Surman", lat=35.554, lon=36.785),
            Place(name="OP 5 Tal Tuqan", lat=35.87, lon=36.93),
            Place(name="OP 11 Sher Mughar", lat=35.58, lon=36.43),
            Place(name="OP 4 al-Eis", lat=36.03, lon=36.97),
        ],
        description="Turkish observation posts (places.csv; coordinates are estimates).",
    )
    ladder: list[Rung] = Field(
        default_factory=default_turkey_ladder,
        min_length=1,
        description="Turkey's rungs, bottom first. Displacement at the border and lost "
        "ground carry the lower rungs; `mass_reinforcement` is `carried_by` the towns lost "
        "or Turkish soldiers killed, `spring_shield` by the dead only (plus Russia's rung "
        "share, which is highest when it strikes near Turkish posts): Turkey sent ~6,500 "
        "troops from 2 Feb 2020 once Ma'arrat al-Nu'man had fallen (28 Jan) and its "
        "soldiers were being killed near Saraqib, and launched Spring Shield after 34 were "
        "killed at Balyun on 27 Feb 2020, not in Jul-Aug 2019 when displacement alone was "
        "already high (escalation_ladder.json turkish_rungs; timeline_2019_2020.csv, "
        "capture, turkish_casualties and turkish_move rows).",
    )


class RussiaConfig(LadderConfig):
    """Russia: air power, patron of Damascus, counterpart of Turkey at Sochi."""

    patience_initial: float = Field(
        0.55, ge=0, le=1, description="Patience with Turkey's Sochi commitments, 0..1."
    )
    patience_decay_per_day: float = Field(
        0.002,
        ge=0,
        le=1,
        description="Patience lost each day HTS still holds ground, through truces too (not "
        "while a reached ceasefire holds). Estimate: from 0.55 it runs out over the eight "
        "months from the spring offensive to the winter one (29 Apr - 19 Dec 2019, "
        "timeline_2019_2020.csv offensive rows), not in the first three months (0.004 "
        "before: Damascus went all-out in July 2019, Russia struck near Turkish posts from "
        "31 Jul 2019).",
    )
    patience_after_ceasefire: float = Field(
        1.0, ge=0, le=1, description="Patience restored when a ceasefire is reached (estimate)."
    )
    other_side_weight: float = Field(
        0.3, ge=0, le=2, description="Pressure added per unit of Turkey's rung share."
    )
    ladder: list[Rung] = Field(default_factory=default_russia_ladder, min_length=1)


class GovernmentConfig(LadderConfig):
    """The Syrian government and its forces."""

    strength_fighters: float = Field(
        60_000, gt=0, description="Forces committed to Idlib (estimate; actors.json has none)."
    )
    loss_weight: float = Field(
        0.5, ge=0, le=5, description="Pressure removed per unit of losses over `cost_fighters`."
    )
    cost_fighters: float = Field(
        3_000, gt=0, description="Losses over `window_days` that weigh 1 (estimate)."
    )
    window_days: int = Field(30, ge=1, le=365, description="Window for losses, days.")
    salami_tactics: bool = Field(
        False,
        description="Pace the offensive so that border displacement stays under Turkey's "
        "crisis threshold.",
        json_schema_extra=SETTING,
    )
    salami_margin: float = Field(
        0.7, gt=0, le=1, description="Share of Turkey's threshold the pacing aims to stay under."
    )
    salami_full_tempo_share: float = Field(
        0.5,
        ge=0,
        le=0.95,
        description="Share of the pacing ceiling up to which the offensive keeps full tempo; "
        "tempo then falls linearly to none at the ceiling (estimate).",
    )
    axes: list[Place] = Field(
        default_factory=lambda: [
            Place(name="Kafr Nabudah", lat=35.445, lon=36.457),
            Place(name="Khan Shaykhun", lat=35.439, lon=36.651),
            Place(name="Ma'arrat al-Nu'man", lat=35.65, lon=36.667),
            Place(name="Saraqib", lat=35.864, lon=36.801),
        ],
        description="Offensive axes: attacks concentrate near these places (places.csv).",
    )
    axis_width_km: float = Field(12.0, gt=0, description="Spread of effort around an axis.")
    off_axis_effort: float = Field(
        0.001,
        gt=0,
        le=1,
        description="Attack effort on a front cell far from every axis, relative to one on an "
        "axis (estimate).",
    )
    ladder: list[Rung] = Field(default_factory=default_government_ladder, min_length=1)


class CeasefireConfig(_Section):
    """When the sides stop (as on 5 March 2020)."""

    turkey_casualties_soldiers: float = Field(
        50.0, gt=0, description="Turkish dead (cumulative) that make Ankara accept a deal."
    )
    government_losses_fighters: float = Field(
        3_000,
        gt=0,
        description="Government losses (cumulative) that make Moscow accept a pause: a truce "
        "(`truce_days`) while Turkey's dead are under `turkey_casualties_soldiers`, a "
        "ceasefire once they are past it (estimate).",
    )
    duration_days: int = Field(365, ge=0, description="How long a reached ceasefire holds.")
    turkey_top_rung_days: int | None = Field(
        8,
        ge=1,
        le=3650,
        description="Days Turkey's army fights on its top rung before Moscow and Ankara "
        "agree a ceasefire, whatever the dead (sourced: the Turkish strikes on government "
        "positions began on 27 Feb 2020, after Balyun, and the Moscow protocol's ceasefire "
        "held from 6 Mar, 8 days later; timeline_2019_2020.csv turkish_move and ceasefire "
        "rows). Without it the deal waited for Turkey's dead to reach "
        "`turkey_casualties_soldiers` while the offensive still ran, and a pause in the "
        "offensive a few dead short left the free run's war going to the end of the year in "
        "a third of seeds. null: only the dead and losses bring a ceasefire.",
    )
    truce_days: int = Field(
        110,
        ge=0,
        le=3650,
        description="How long a truce holds, days: reached once a run, when the government's "
        "cumulative losses pass `government_losses_fighters` while Turkey's dead are still "
        "under `turkey_casualties_soldiers`; it leaves Russia's patience as it was, so the "
        "offensive resumes when it ends (sourced: the unilateral government truce of 31 Aug "
        "2019, after the spring campaign took Khan Shaykhun, held on the ground until the "
        "winter offensive of 19 Dec 2019, 110 days; timeline_2019_2020.csv truce and "
        "offensive rows). 0: no truce.",
    )
    active: bool = Field(
        False, description="Force a ceasefire (for scripted events).", json_schema_extra=SETTING
    )


class TargetWeights(_Section):
    """How the day's sorties are shared between target classes."""

    front: float = Field(0.5, ge=0, description="Cells near the front line.")
    towns: float = Field(0.35, ge=0, description="Populated cells, by population.")
    roads: float = Field(0.15, ge=0, description="Cells along the M4 and M5 highways.")


class BombardmentConfig(_Section):
    """Russian and government air and artillery strikes."""

    sorties_per_day: float = Field(
        12.0,
        ge=0,
        le=5_000,
        description="Base sorties a day, before rung multipliers (SOHR counted 12-22 Russian "
        "strikes on active days, actors.json).",
    )
    target_weights: TargetWeights = Field(default_factory=TargetWeights)
    front_band_km: float = Field(10.0, gt=0, description="Depth of the targeted front band.")
    spread_km: float = Field(2.0, ge=0, description="Spatial spread of a strike's effect.")
    hazard_decay_per_day: float = Field(0.8, ge=0, le=1, description="Hazard kept each day.")
    lethal_area_km2_per_sortie: float = Field(
        1.2e-4,
        ge=0,
        le=0.04,
        description="Lethal area of a sortie, km²: its expected dead are this times the "
        "people per km² where its effect falls (estimate, tuned on 2 km cells to OHCHR's "
        "1,089 civilian dead 29 Apr-29 Aug 2019).",
    )
    deterrence_factor: float = Field(
        0.8, ge=0, le=1, description="Share of strikes avoided within the deterrence radius."
    )
    recorded_strikes_per_day: float | None = Field(
        None,
        ge=0,
        le=5_000,
        description="Air strikes a day as a record counts them (SOHR and news tallies, "
        "scenarios/data/timeline_2019_2020.csv), for a conflict-driven history run: when set, "
        "the day's sorties are this times `sorties_per_recorded_strike`, whatever the rungs, "
        "the government's pacing or a ceasefire (the record says what flew); empty: the "
        "rungs decide.",
        json_schema_extra=SETTING,
    )
    focus_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of the day's sorties that fall inside the focus area "
        "(`focus_lat`, `focus_lon`, `focus_radius_km`), spread there as the target weights "
        "spread them; the rest fall as usual. For a conflict-driven history run, where a "
        "record names the localities struck (timeline rows of kind bombardment); 0: no "
        "focus.",
        json_schema_extra=SETTING,
    )
    focus_lat: float = Field(
        35.65,
        ge=34.5,
        le=37.0,
        description="Latitude of the centre of the strikes' focus area, degrees north.",
        json_schema_extra=SETTING,
    )
    focus_lon: float = Field(
        36.65,
        ge=35.5,
        le=38.0,
        description="Longitude of the centre of the strikes' focus area, degrees east.",
        json_schema_extra=SETTING,
    )
    focus_radius_km: float = Field(
        15.0,
        gt=0,
        le=200,
        description="Radius of the strikes' focus area, km.",
        json_schema_extra=SETTING,
    )
    sorties_per_recorded_strike: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Model sorties per recorded air strike (sortie-equivalents per strike "
        "counted by SOHR-style tallies, which mix jet raids and barrel bombs), applied to "
        "`recorded_strikes_per_day`; estimate, 1 until calibrated on spring 2019.",
    )


class CombatConfig(_Section):
    """Ground combat along the front."""

    advance_km_per_day: float = Field(
        0.8,
        ge=0,
        le=10,
        description="How far the front moves a day at overwhelming odds, km (km² taken per "
        "km of front, the front's length smoothed over `front_smoothing_km`; estimate).",
    )
    front_smoothing_km: float = Field(
        6.0,
        gt=0,
        le=20,
        description="Scale of the front in km: the line's length is measured smoothed over "
        "it (a line ragged at the scale of the cells is not longer for it, so the ground "
        "taken a day does not grow as the cells shrink), and the draws of which front cells "
        "fall are alike within it (model choice: two sides of the largest cell in use, 3 km, "
        "so that the Gaussian is resolved on every grid; at 4.5 km, 1.5 cells of 3 km, the "
        "front ran ahead on 3 km cells; docs/validation.md, 'The fighting in km').",
    )
    counterattack_km_per_day: float = Field(
        0.1,
        ge=0,
        le=10,
        description="How far rebels push back a day at full cooperation, km (km² retaken per "
        "km of just-lost line; that line is the just-taken ground / "
        "`counterattack_depth_km`; estimate).",
    )
    counterattack_depth_km: float = Field(
        2.0,
        gt=0,
        le=20,
        description="Depth of just-taken ground one km of the government's line holds, km: "
        "the government spreads its force along just-taken ground / this, so the more it has "
        "just taken, the thinner it holds it (estimate).",
    )
    pocket_max_km2: float = Field(
        9.0,
        ge=0,
        le=1_000,
        description="Cut-off opposition pockets up to this area give up when the offensive "
        "reaches them, km² (at least one cell; estimate).",
    )
    scripted_front: bool = Field(
        False,
        description="Control changes only by scripted `capture` events (a conflict-driven "
        "history run, where the front is input): no offensive captures, no pockets giving "
        "up, no counter-attacks; the fighting still wears the forces down.",
        json_schema_extra=SETTING,
    )
    counterattack_window_days: int = Field(10, ge=0, description="Days a lost cell stays 'hot'.")
    attrition_per_day: float = Field(
        0.0005, ge=0, le=0.1, description="Lanchester attrition coefficient, per day."
    )
    bombardment_support: float = Field(
        2.0,
        ge=0,
        description="Attack power added per unit of strike density on a front cell "
        "(sortie-equivalents per km²; estimate).",
    )
    replenish_per_day: float = Field(
        0.01, ge=0, le=1, description="Share of losses made good each day."
    )
    strength_floor_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of its initial strength a force never falls below (estimate).",
    )
    counterattack_min_intensity: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Government tempo rebels face on just-lost cells while its offensive is "
        "paused, 0..1 (estimate).",
    )


class RebelsConfig(_Section):
    """HTS and the NLF: rivals that join forces under threat."""

    hts_strength_fighters: float = Field(
        15_000, gt=0, description="HTS fighters (10,000-30,000 in 2018-20, actors.json)."
    )
    nlf_strength_fighters: float = Field(
        30_000, gt=0, description="NLF fighters (20,000-38,500, actors.json)."
    )
    alliance_threshold: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Threat (0..1) above which cooperation rises ('a battle for survival').",
    )
    cooperation_initial: float = Field(0.2, ge=0, le=1, description="Cooperation on day 0.")
    joined_at_cooperation: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Cooperation at and above which HTS and the NLF count as allied (logged).",
    )
    cooperation_rise_per_day: float = Field(0.08, ge=0, le=1, description="Rise under threat.")
    cooperation_decay_per_day: float = Field(0.02, ge=0, le=1, description="Decay without.")
    defence_concentration: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of each group's combat power moved to the front cells where the "
        "government attacks (in proportion to its effort there), the rest spread evenly "
        "over the group's front. Estimate: in May-July 2019 the NLF, Jaysh al-Izza and HTS "
        "massed in northern Hama, with Turkish TOWs, and stalled the offensive there (Kafr "
        "Nabudah lost 8 May, retaken 22 May; Jibin and Tal Malah retaken 6 Jun; "
        "timeline_2019_2020.csv); with 0 the spring offensive took Khan Shaykhun by late "
        "June instead of 20 Aug 2019.",
    )
    cooperation_bonus: float = Field(
        0.6, ge=0, le=5, description="Defensive power added at full cooperation (share)."
    )
    defence_pooled_at_full_cooperation: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of each group's combat power spread over the whole front HTS and "
        "the NLF hold, rather than over its own, at full cooperation (times `cooperation` "
        "below it). 0 (the default): each group defends only its own line, so the NLF's "
        "whole force stands on its shrinking belt. 1 brings the winter's dates on 1 and 2 km "
        "cells together but puts 3 km cells weeks ahead, and with the other defaults the "
        "free run's winter comes weeks later (docs/validation.md, 'What is left'): kept at 0, "
        "a lever for that study.",
    )
    threat_window_days: int = Field(14, ge=1, description="Window for ground lost, days.")
    threat_scale_km2: float = Field(
        150.0, gt=0, description="Ground lost over the window that makes threat 1."
    )


class BorderConfig(_Section):
    """The Turkish border."""

    policy: BorderPolicy = Field(
        "sealed",
        description="sealed: nobody crosses; quota: up to quota_per_day; open: all.",
        json_schema_extra=SETTING,
    )
    quota_per_day: int = Field(
        0, ge=0, description="Crossings a day under `quota`.", json_schema_extra=SETTING
    )
    crossing: Place = Field(
        default_factory=lambda: Place(name="Bab al-Hawa", lat=36.230639, lon=36.692639),
        description="Where people queue to cross (places.csv).",
    )
    zone_km: float = Field(
        15.0, gt=0, description="Cells this close to the border count for border pressure."
    )


class Checkpoint(Place):
    """A crossing into government-held areas."""

    open_from_day: int = Field(0, ge=0, description="First day it lets people through.")
    close_from_day: int | None = Field(
        None,
        ge=0,
        description="First day it is shut again (not before `open_from_day`; equal means "
        "it never opens).",
        json_schema_extra=SETTING,
    )
    capacity_per_day: int = Field(0, ge=0, description="People it lets through a day.")

    @model_validator(mode="after")
    def _closes_after_opening(self) -> Checkpoint:
        if self.close_from_day is not None and self.close_from_day < self.open_from_day:
            raise KeyValueError(
                ("close_from_day",),
                f"day {self.close_from_day} is before open_from_day ({self.open_from_day})",
            )
        return self


def default_checkpoints() -> list[Checkpoint]:
    """Checkpoints from places.csv; opening days from escalation_ladder.json (day 0 = 29 Apr)."""
    return [
        Checkpoint(
            name="Abu al-Duhur", lat=35.74056, lon=37.04667, open_from_day=0, capacity_per_day=300
        ),
        Checkpoint(name="Suran", lat=35.2897, lon=36.7433, open_from_day=115, capacity_per_day=300),
        Checkpoint(name="Habit", lat=35.44, lon=36.53667, open_from_day=259, capacity_per_day=300),
        Checkpoint(
            name="al-Hader", lat=36.03129, lon=37.0054, open_from_day=259, capacity_per_day=300
        ),
    ]


class Camp(Place):
    """A cluster of displacement camps."""

    capacity_people: int = Field(
        ge=0,
        description="People it can hold: arrivals are admitted only below it (a camp may "
        "start above it, overcrowded, if its initial share is large).",
    )
    initial_share: float = Field(
        0.0, ge=0, le=1, description="Share of the initially camped population living here."
    )


def default_camps() -> list[Camp]:
    """Camp clusters from places.csv; capacities are estimates."""
    return [
        Camp(
            name="Atmeh-Qah cluster",
            lat=36.28,
            lon=36.71,
            capacity_people=800_000,
            initial_share=0.7,
        ),
        Camp(
            name="al-Dana", lat=36.21444, lon=36.76972, capacity_people=250_000, initial_share=0.1
        ),
        Camp(
            name="Sarmada", lat=36.1866, lon=36.72393, capacity_people=150_000, initial_share=0.05
        ),
        Camp(name="Harem", lat=36.2, lon=36.517, capacity_people=100_000, initial_share=0.05),
        Camp(name="Salqin", lat=36.133, lon=36.45, capacity_people=100_000, initial_share=0.05),
        Camp(
            name="Maarat Misrin",
            lat=36.01139,
            lon=36.67167,
            capacity_people=100_000,
            initial_share=0.05,
        ),
    ]


class CiviliansConfig(_Section):
    """How people perceive risk, leave and choose where to go."""

    tolerance_median: float = Field(
        1.0, gt=0, description="Median risk a person tolerates before leaving."
    )
    tolerance_sigma: float = Field(0.7, ge=0, le=3, description="Log-spread of tolerance.")
    tolerance_classes: int = Field(4, ge=1, le=16, description="Tolerance groups per cell.")
    max_leave_probability_per_day: float = Field(
        0.05, ge=0, le=1, description="Daily chance of leaving at very high risk."
    )
    leave_steepness: float = Field(
        2.0,
        ge=1,
        le=12,
        description="Hill exponent of the daily chance of leaving in risk / tolerance: "
        "how sharply leaving switches on as risk passes a person's tolerance (2: many "
        "leave slowly well below it; 6: few do, and those above it go within days).",
    )
    memory_decay_per_day: float = Field(0.7, ge=0, le=1, description="Share of risk remembered.")
    hazard_weight: float = Field(
        4.0,
        ge=0,
        description="Risk per unit of bombardment hazard (sortie-equivalents per km², "
        "decaying; estimate).",
    )
    front_weight: float = Field(0.5, ge=0, description="Risk next to an active front.")
    front_scale_km: float = Field(5.0, gt=0, description="Decay length of front risk.")
    control_change_weight: float = Field(
        2.0, ge=0, description="Risk where ground changed hands in the last few days."
    )
    control_change_scale_km: float = Field(
        4.0,
        gt=0,
        le=100,
        description="How far the fear of ground changing hands reaches, km: the standard "
        "deviation of the Gaussian that weighs the share of the ground around a place "
        "that changed sides (a share of area, the same on every grid). People flee the "
        "towns next to a captured place, not only the place itself (OCHA SitReps of "
        "Dec 2019 - Feb 2020: communities emptied as the front approached, before they "
        "were taken; estimate).",
    )
    control_change_memory_days: int = Field(
        7,
        ge=0,
        le=365,
        description="Days a change of control nearby frightens residents (ground lost and "
        "retaken within them counts no more).",
    )
    front_fear_floor: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share of the front's risk felt while no offensive is under way (estimate).",
    )
    social_weight: float = Field(2.0, ge=0, description="Risk per share of neighbours leaving.")
    social_window_km: float = Field(
        6.0,
        gt=0,
        le=30,
        description="Side of the square around a cell whose people count as its neighbours, "
        "km (model choice: the 3x3 cells of the 2 km grid the model was calibrated on; a "
        "fixed number of cells would be a window 3 km wide on 1 km cells and 9 km on 3 km).",
    )
    secondary_tolerance_factor: float = Field(
        3.0, gt=0, description="Displaced people tolerate this many times more before moving on."
    )
    speed_km_per_day: float = Field(20.0, gt=0, le=500, description="Travel speed.")
    distance_cost_per_km: float = Field(0.03, ge=0, description="Disutility per route km.")
    camp_pull: float = Field(1.0, description="Attraction of a camp with room.")
    town_pull: float = Field(0.0, description="Attraction of a safer town.")
    town_host_share: float = Field(
        0.5,
        gt=0,
        le=5,
        description="Displaced people a town hosts before it counts as full, as a share of "
        "its residents on day 0 (at least `town_host_min_people`).",
    )
    town_host_min_people: float = Field(
        1000.0,
        ge=1,
        description="Displaced people even the smallest town hosts before it counts as full.",
    )
    turkey_pull: float = Field(2.0, description="Attraction of crossing when allowed.")
    checkpoint_pull: float = Field(
        -7.5,
        description="Attraction of exiting to government areas (low: ~3,000 of ~270,000 "
        "displaced in May 2019 went that way, displacement_2019.json). It also stands "
        "for the last stretch to the gate, across the line, which routes leave out "
        "(they end behind the line, so that exits do not depend on the cell size): -7.5 "
        "keeps the default run's exits where -5 put them when routes ran on through "
        "government-held ground (estimate).",
    )
    danger_weight: float = Field(
        2.0, ge=0, description="Disutility per unit of perceived risk at the destination."
    )
    crowding_weight: float = Field(2.0, ge=0, description="Disutility per unit of fill.")
    soft_camp_capacity: bool = Field(
        False, description="Let camps overfill.", json_schema_extra=SETTING
    )
    queue_giveup_per_day: float = Field(
        0.1, ge=0, le=1, description="Share of a closed queue that gives up each day."
    )
    queue_full_days: int = Field(
        7,
        ge=1,
        le=365,
        description="A queue this many days of capacity long counts as full when people "
        "choose where to go.",
    )
    government_area_cost: float = Field(
        8.0, ge=1, description="Route cost multiplier through government-held cells."
    )
    front_crossing_km: float = Field(
        4.0,
        ge=0,
        description="Extra route length of crossing the front line, km (front cells cost "
        "1 + this / cell side per km; estimate).",
    )
    route_refresh_days: int = Field(
        5,
        ge=1,
        le=365,
        description="After control changes, routes are recomputed at most this often: "
        "people learn of new front lines with some delay (model choice, for speed).",
    )
    route_cell_km: float = Field(
        4.0,
        ge=1.0,
        le=20.0,
        description="Routes are computed on cells about this size (a whole number of model "
        "cells); route lengths are known to about one such cell (model choice, for speed).",
        json_schema_extra=SETTING,
    )


class Capture(_Section):
    """Ground that changes hands on an event's day, whatever the fighting would do.

    Around a named town (``place``) or a point (``lat`` and ``lon``) for captures whose
    place is not in places.csv.
    """

    place: str | None = Field(
        None,
        description="A town or city of scenarios/data/places.csv, by name (or give `lat` "
        "and `lon`).",
        json_schema_extra=SETTING,
    )
    lat: float | None = Field(
        None,
        ge=34.5,
        le=37.0,
        description="Latitude of a captured point not in places.csv, degrees north (WGS84).",
        json_schema_extra=SETTING,
    )
    lon: float | None = Field(
        None,
        ge=35.5,
        le=38.0,
        description="Longitude of a captured point not in places.csv, degrees east (WGS84).",
        json_schema_extra=SETTING,
    )
    radius_km: float = Field(
        gt=0,
        le=50,
        description="Cells whose centre lies within this distance of the place change hands.",
        json_schema_extra=SETTING,
    )
    by: Literal["government", "hts", "nlf"] = Field(
        "government", description="Who takes the ground.", json_schema_extra=SETTING
    )

    @model_validator(mode="after")
    def _place_or_point(self) -> Capture:
        point = (self.lat is not None, self.lon is not None)
        if self.place is not None and any(point):
            raise ValueError("give either `place` or `lat` and `lon`, not both")
        if self.place is None and not all(point):
            raise ValueError("give `place`, or both `lat` and `lon`")
        return self


class ScriptedEvent(_Section):
    """A scenario change on a given day, for history and teaching."""

    day: int | None = Field(
        None, ge=0, description="Day it happens (day 0 = start_date).", json_schema_extra=SETTING
    )
    date: dt.date | None = Field(
        None,
        ge=EARLIEST_DATE,
        le=LATEST_DATE,
        description="Or the date it happens.",
        json_schema_extra=SETTING,
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted keys and their new values.",
        json_schema_extra=SETTING,
    )
    capture: Capture | None = Field(
        None,
        description="Ground that changes hands that day: `{place, radius_km, by}` or "
        "`{lat, lon, radius_km, by}` (a dated input of a conflict-driven history run).",
        json_schema_extra=SETTING,
    )
    turkish_soldiers_killed: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Turkish soldiers killed that day, soldiers, added to the model's own "
        "count (a dated input of a conflict-driven history run, from the record, e.g. 34 "
        "at Balyun on 27 Feb 2020).",
        json_schema_extra=SETTING,
    )
    note: str = Field(
        "", description="Why, in words (goes into events.csv).", json_schema_extra=SETTING
    )

    @model_validator(mode="after")
    def _one_when(self) -> ScriptedEvent:
        if (self.day is None) == (self.date is None):
            raise ValueError("give exactly one of `day` or `date`")
        if not self.set and self.capture is None and self.turkish_soldiers_killed is None:
            raise ValueError(
                "`set` must name at least one key, or give a `capture` or `turkish_soldiers_killed`"
            )
        return self


class Scenario(_Section):
    """A complete scenario: what a run needs, defaults filled in."""

    name: str = Field(
        "default", description="Scenario name (output folder, plots).", json_schema_extra=SETTING
    )
    description: str = Field(
        "", description="What the scenario is about.", json_schema_extra=SETTING
    )
    days: int = Field(
        365, ge=1, le=3_650, description="Days to simulate.", json_schema_extra=SETTING
    )
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Random seed.", json_schema_extra=SETTING)
    start_date: dt.date = Field(
        dt.date(2019, 4, 29),
        ge=EARLIEST_DATE,
        le=LATEST_DATE,
        description="Date of day 0 (the spring 2019 offensive began).",
    )
    grid: GridConfig = Field(default_factory=GridConfig)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    control: ControlConfig = Field(default_factory=ControlConfig)
    bombardment: BombardmentConfig = Field(default_factory=BombardmentConfig)
    combat: CombatConfig = Field(default_factory=CombatConfig)
    turkey: TurkeyConfig = Field(default_factory=TurkeyConfig)
    russia: RussiaConfig = Field(default_factory=RussiaConfig)
    government: GovernmentConfig = Field(default_factory=GovernmentConfig)
    ceasefire: CeasefireConfig = Field(default_factory=CeasefireConfig)
    rebels: RebelsConfig = Field(default_factory=RebelsConfig)
    border: BorderConfig = Field(default_factory=BorderConfig)
    checkpoints: list[Checkpoint] = Field(default_factory=default_checkpoints)
    camps: list[Camp] = Field(default_factory=default_camps)
    civilians: CiviliansConfig = Field(default_factory=CiviliansConfig)
    events: list[ScriptedEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        shares = sum(c.initial_share for c in self.camps)
        if self.camps and self.population.initial_in_camps_share > 0 and shares <= 0:
            raise KeyValueError(
                ("camps",), "no camp has an initial_share for the initial camp population"
            )
        for ladder_name in ("turkey", "russia", "government"):
            ladder = getattr(self, ladder_name).ladder
            steps = [r.enter_at for r in ladder]
            if steps != sorted(steps):
                raise KeyValueError(
                    (ladder_name, "ladder"), "enter_at must not decrease up the ladder"
                )
            carried = [i for i, r in enumerate(ladder) if r.carried_by is not None]
            if ladder_name != "turkey" and carried:
                raise KeyValueError(
                    (ladder_name, "ladder", carried[0], "carried_by"),
                    "only Turkey's ladder reads `carried_by` (its pressure has named signals)",
                )
        return self
