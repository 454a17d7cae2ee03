"""``ClassroomModel``: the escalation model as the app builds it, from a file and levers.

SolaraViz rebuilds the model on Reset by calling its class with keyword arguments, one
per input on the page; this class turns those into a scenario and keeps the app's
event log in step with the days.
"""

from __future__ import annotations

from pathlib import Path

from sim.app.levers import AS_IN_SCENARIO, Levers, resolve_choice, start_scenario
from sim.app.narrate import Narrator
from sim.model import EscalationModel
from sim.world.loader import load_scenario


class ClassroomModel(EscalationModel):
    """An :class:`EscalationModel` built from a scenario file name and the teaching levers.

    Args:
        scenario_file: A picker choice (the start scenario's file name or a shipped
            file's), or a path.
        sorties_per_day: Base sorties a day.
        crisis_threshold_people: Turkey's crisis threshold, people near the border.
        checkpoint_capacity_per_day: People each checkpoint lets through a day.
        checkpoint_pull: Willingness to exit via checkpoints (utility).
        border_policy: ``sealed``, ``open`` or "as in the scenario".
        alliance_threshold: Threat above which HTS and the NLF draw together, 0..1.
        seed: Random seed.

    Attributes:
        narrator: The plain-words event log of this run.
        scenario_path: The scenario file the run was built from.
    """

    def __init__(
        self,
        scenario_file: str = "",
        sorties_per_day: float | None = None,
        crisis_threshold_people: int | None = None,
        checkpoint_capacity_per_day: int | None = None,
        checkpoint_pull: float | None = None,
        border_policy: str = AS_IN_SCENARIO,
        alliance_threshold: float | None = None,
        seed: int | None = None,
    ):
        start = start_scenario()
        path = Path(scenario_file) if scenario_file else start
        if not path.is_absolute():
            path = resolve_choice(scenario_file, start)
        scenario = load_scenario(path)
        own = Levers.of(scenario)
        levers = Levers(
            sorties_per_day=_given(sorties_per_day, own.sorties_per_day),
            crisis_threshold_people=_given(crisis_threshold_people, own.crisis_threshold_people),
            checkpoint_capacity_per_day=_given(
                checkpoint_capacity_per_day, own.checkpoint_capacity_per_day
            ),
            checkpoint_pull=_given(checkpoint_pull, own.checkpoint_pull),
            border_policy=border_policy,
            alliance_threshold=_given(alliance_threshold, own.alliance_threshold),
            seed=_given(seed, own.seed),
        )
        self.scenario_path = path
        super().__init__(levers.apply(scenario))
        self.narrator = Narrator(self)

    def step(self) -> None:
        """Advance one day, then write that day's lines of the event log."""
        super().step()
        self.narrator.after_step(self)


def _given(value, default):
    return default if value is None else value
