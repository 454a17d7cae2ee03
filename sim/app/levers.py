"""The teaching levers: which scenario keys the app's sliders change, and their ranges.

The app builds every run from a scenario file plus these levers, so a class can change
one thing, press Reset and compare.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.world.loader import ScenarioError, apply_changes, load_scenario
from sim.world.schema import Scenario

#: Environment variable naming the scenario the app opens on (set by ``idlib-sim app``).
SCENARIO_ENV = "IDLIB_APP_SCENARIO"
#: The border-policy choice that keeps whatever the scenario file says.
AS_IN_SCENARIO = "as in the scenario"


def teaching_scenario() -> Path:
    """Path of the shipped teaching scenario, ``scenarios/teaching.yaml``."""
    return Path(__file__).resolve().parents[2] / "scenarios" / "teaching.yaml"


def start_scenario() -> Path:
    """The scenario the app opens on: ``$IDLIB_APP_SCENARIO``, else the teaching one."""
    env = os.environ.get(SCENARIO_ENV)
    return Path(env).resolve() if env else teaching_scenario()


def scenario_choices(start: Path) -> dict[str, Path]:
    """Scenario files offered by the picker: ``{file name: path}``.

    ``start`` first, then the valid shipped files in ``scenarios/`` (a shipped file
    with the same name as ``start`` gives way to it).
    """
    choices = {start.name: start}
    for path in sorted(teaching_scenario().parent.glob("*.yaml")):
        if path.name in choices:
            continue
        try:
            load_scenario(path)
        except ScenarioError:
            continue  # the picker offers only files that load
        choices[path.name] = path
    return choices


def resolve_choice(name: str, start: Path) -> Path:
    """The path of a picker choice: ``start`` if it has that name, else the shipped file."""
    return start if name == start.name else teaching_scenario().parent / name


@dataclass(frozen=True)
class Levers:
    """The values of the teaching levers for one run.

    Attributes:
        sorties_per_day: Base Russian and government sorties a day (before rungs).
        crisis_threshold_people: Newly displaced people near the border at which
            Turkey's border pressure reaches 1.
        checkpoint_capacity_per_day: People each checkpoint lets through a day.
        checkpoint_pull: How attractive leaving for government areas is (utility;
            more negative = fewer people willing).
        border_policy: ``sealed``, ``quota``, ``open`` or :data:`AS_IN_SCENARIO`
            (the app offers sealed and open; a quota needs a daily number).
        alliance_threshold: Threat (0..1) above which HTS and the NLF draw together.
        seed: Random seed.
    """

    sorties_per_day: float
    crisis_threshold_people: int
    checkpoint_capacity_per_day: int
    checkpoint_pull: float
    border_policy: str
    alliance_threshold: float
    seed: int

    @classmethod
    def of(cls, scenario: Scenario) -> Levers:
        """The levers as a scenario sets them."""
        capacities = [c.capacity_per_day for c in scenario.checkpoints]
        return cls(
            sorties_per_day=scenario.bombardment.sorties_per_day,
            crisis_threshold_people=scenario.turkey.crisis_threshold_people,
            checkpoint_capacity_per_day=max(capacities) if capacities else 0,
            checkpoint_pull=scenario.civilians.checkpoint_pull,
            border_policy=AS_IN_SCENARIO,
            alliance_threshold=scenario.rebels.alliance_threshold,
            seed=scenario.seed,
        )

    def apply(self, scenario: Scenario) -> Scenario:
        """Return ``scenario`` with these lever values set (the quota stays the file's)."""
        changes: dict[str, object] = {
            "bombardment.sorties_per_day": float(self.sorties_per_day),
            "turkey.crisis_threshold_people": int(self.crisis_threshold_people),
            "civilians.checkpoint_pull": float(self.checkpoint_pull),
            "rebels.alliance_threshold": float(self.alliance_threshold),
            "seed": int(self.seed),
        }
        for i in range(len(scenario.checkpoints)):
            changes[f"checkpoints[{i}].capacity_per_day"] = int(self.checkpoint_capacity_per_day)
        if self.border_policy != AS_IN_SCENARIO:
            changes["border.policy"] = self.border_policy
        return apply_changes(scenario, changes)


def slider_specs(levers: Levers, choices: list[str]) -> dict[str, dict]:
    """SolaraViz ``model_params``: one input per lever, starting at ``levers``.

    Args:
        levers: Starting values (those of the scenario the app opens on).
        choices: Scenario file names for the picker; the first is selected.
    """
    return {
        "scenario_file": {
            "type": "Select",
            "label": "Scenario",
            "value": choices[0],
            "values": choices,
        },
        "sorties_per_day": {
            "type": "SliderInt",
            "label": "Sorties a day (before Russia's multiplier)",
            "value": round(levers.sorties_per_day),
            "min": 0,
            "max": 60,
            "step": 2,
        },
        "crisis_threshold_people": {
            "type": "SliderInt",
            "label": "Turkey's crisis threshold (displaced near its border)",
            "value": levers.crisis_threshold_people,
            "min": 100_000,
            "max": 1_500_000,
            "step": 50_000,
        },
        "checkpoint_capacity_per_day": {
            "type": "SliderInt",
            "label": "Checkpoint capacity (people a day, each)",
            "value": levers.checkpoint_capacity_per_day,
            "min": 0,
            "max": 5_000,
            "step": 100,
        },
        "checkpoint_pull": {
            "type": "SliderFloat",
            "label": "Willingness to leave via checkpoints (utility)",
            "value": levers.checkpoint_pull,
            "min": -10.0,
            "max": 2.0,
            "step": 0.5,
        },
        "border_policy": {
            "type": "Select",
            "label": "Turkish border",
            "value": AS_IN_SCENARIO,
            "values": [AS_IN_SCENARIO, "sealed", "open"],
        },
        "alliance_threshold": {
            "type": "SliderFloat",
            "label": "HTS-NLF alliance threshold (threat, 0 to 1)",
            "value": levers.alliance_threshold,
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
        },
        "seed": {
            "type": "SliderInt",
            "label": "Seed",
            "value": levers.seed,
            "min": 0,
            "max": max(100, levers.seed),
            "step": 1,
        },
    }
