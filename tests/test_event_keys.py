"""Scripted events may change only what the model reads after day 0 (issue #13, item 12).

The keys fixed on day 0 are found by watching the model read its scenario
(:mod:`sim.event_keys`); an event setting one is refused when the scenario is loaded,
with the key and the event's line, and `idlib-sim validate` exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.event_keys import fixed_keys
from sim.world.loader import ScenarioError, load_scenario

HEADER = "name: x\ndays: 20\ngrid: {cell_km: 8}\nevents:\n  - day: 5\n    set:\n"  # lines 1-6


def _load_with_event(tmp_path: Path, setting: str):
    path = tmp_path / "s.yaml"
    path.write_text(HEADER + f"      {setting}\n", encoding="utf-8")  # line 7
    return path, load_scenario(path)


# The changes issue #13 found crashing or silently doing nothing.
REFUSED = {
    "checkpoints: []": "checkpoints",
    "turkey.ladder: [{name: only, description: one rung, enter_at: 0.0}]": "turkey.ladder",
    "border.crossing: {name: X, lat: 36.0, lon: 36.6}": "border.crossing",
    "turkey.observation_posts: []": "turkey.observation_posts",
    "government.axes: [{name: X, lat: 35.5, lon: 36.6}]": "government.axes",
    "camps[0].capacity_people: 5": "camps",
    "rebels.hts_strength_fighters: 1000": "rebels.hts_strength_fighters",
}


@pytest.mark.parametrize("setting", REFUSED)
def test_events_on_keys_fixed_on_day_0_are_refused_with_key_and_line(tmp_path, setting):
    with pytest.raises(ScenarioError) as info:
        _load_with_event(tmp_path, setting)
    (problem,) = info.value.problems
    key = setting.split(":")[0]
    assert problem.key == f"events[0].set.{key}"
    assert problem.line == 7
    assert "cannot change during a run" in problem.message
    assert REFUSED[setting] in problem.message


@pytest.mark.parametrize(
    "setting",
    [
        "ceasefire.active: true",
        "border.policy: open",
        "checkpoints[0].capacity_per_day: 5000",
        "turkey.ladder[1].enter_at: 0.05",
        "civilians.front_crossing_km: 6.0",
    ],
)
def test_events_on_keys_read_every_day_are_accepted(tmp_path, setting):
    _, scenario = _load_with_event(tmp_path, setting)
    assert len(scenario.events) == 1


def test_validate_exits_2_with_one_line_naming_file_line_and_key(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(HEADER + "      checkpoints: []\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"{path}:7: events[0].set.checkpoints:" in err[0]


def test_the_fixed_keys_come_from_the_model_not_a_list():
    fixed = {".".join(k) for k in fixed_keys()}
    # What the model builds from on day 0 ...
    assert {"grid.cell_km", "seed", "days", "start_date", "population.total"} <= fixed
    assert {"checkpoints.#", "checkpoints.[].lat", "turkey.ladder.#"} <= fixed
    # ... and nothing it reads again every day.
    assert not {"ceasefire.active", "border.policy", "bombardment.sorties_per_day"} & fixed
    assert "checkpoints.[].capacity_per_day" not in fixed
