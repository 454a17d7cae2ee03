"""What carries Turkey up its ladder, and what carries Russia onto strikes near its posts.

Displacement the lower rungs, lost ground or its dead mass reinforcement, its dead alone
Spring Shield; Russia strikes near Turkish posts only once Turkey has sent its army.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import REPO, run, series
from hypothesis import given
from hypothesis import strategies as st

from sim.mechanisms import ladder, turkish_posts
from sim.world.loader import ScenarioError, load_scenario
from sim.world.schema import default_turkey_ladder

LADDER = default_turkey_ladder()
ENTER_AT = [r.enter_at for r in LADDER]
CARRIED_BY = [r.carried_by for r in LADDER]
TOP = len(LADDER) - 1
MASS = next(i for i, r in enumerate(LADDER) if r.name == "mass_reinforcement")
#: A Turkey that feels its border at once, not lost ground, loses no soldiers of its own
#: and ignores Russia.
BORDER_ONLY = {
    "turkey.crisis_threshold_people": 1,
    "turkey.territory_loss_threshold_km2": 1e12,
    "turkey.other_side_weight": 0.0,
    "turkey.casualties_per_exposed_sortie": 0.0,
    "turkey.casualties_per_front_post_day": 0.0,
    "turkey.cooldown_days": 1,
}


@given(
    border=st.floats(0.0, 1e9, allow_nan=False),
    ground=st.floats(0.0, 1e9, allow_nan=False),
    towns=st.floats(0.0, 1e9, allow_nan=False),
    rung=st.integers(0, TOP),
)
def test_no_displacement_or_pace_of_loss_carries_turkey_onto_its_top_rungs(
    border, ground, towns, rung
):
    parts = {"border": border, "ground": ground, "towns": towns, "casualties": 0.0}
    pressure = ladder.pressure_by_rung(parts, CARRIED_BY, added=0.0)
    assert pressure[TOP] == 0.0  # Spring Shield: only the dead
    assert pressure[MASS] == towns  # mass reinforcement: the towns lost, or the dead
    no_towns = ladder.pressure_by_rung({**parts, "towns": 0.0}, CARRIED_BY, added=0.0)
    new = ladder.decide_rung(rung, ENTER_AT, no_towns, 100, 10, 0.25)
    assert new < MASS or new <= rung  # displacement or lost ground alone never climbs onto them


def test_the_top_rungs_count_the_dead_and_the_lower_ones_everything():
    parts = {"border": 5.0, "ground": 0.2, "towns": 0.4, "casualties": 1.5}
    pressure = ladder.pressure_by_rung(parts, CARRIED_BY, added=0.3)
    assert pressure[TOP] == pytest.approx(1.8)  # casualties + Russia's share
    assert pressure[MASS] == pytest.approx(1.8)  # the larger of the towns lost and the dead
    assert pressure[1] == pytest.approx(5.3)  # the largest signal
    assert ladder.decide_rung(TOP - 1, ENTER_AT, pressure, 100, 10, 0.25) == TOP
    # Without its dead, Turkey steps down off the top rung however large the border count.
    calm = ladder.pressure_by_rung({**parts, "casualties": 0.0}, CARRIED_BY, added=0.3)
    assert ladder.decide_rung(TOP, ENTER_AT, calm, 100, 10, 0.25) == TOP - 1


def test_posts_come_under_fire_only_near_the_front_on_either_side():
    # Posts: in opposition ground near government ground, far from it, at the limit;
    # encircled in government ground near opposition ground, and deep behind the lines.
    held = np.array([True, True, True, False, False])
    to_government = np.array([1.0, 9.0, 5.0, 0.0, 0.0])
    to_opposition = np.array([0.0, 0.0, 0.0, 3.0, 12.0])
    assert turkish_posts.posts_under_fire(held, to_government, to_opposition, 5.0) == 3
    assert turkish_posts.posts_under_fire(held, to_government, to_opposition, 2.0) == 1
    rng = np.random.default_rng(0)
    assert turkish_posts.draw_killed_at_posts(rng, 0, 1.0, 8.0, 1.0) == 0
    assert turkish_posts.draw_killed_at_posts(rng, 3, 0.0, 8.0, 1.0) == 0
    many = [turkish_posts.draw_killed_at_posts(rng, 3, 0.8, 6.0, 0.1) for _ in range(2000)]
    assert np.mean(many) == pytest.approx(3 * 0.8 * 6.0 * 0.1, rel=0.1)


def test_displacement_alone_climbs_the_lower_rungs_but_not_the_top_ones():
    model = run(days=90, **BORDER_ONLY)
    rungs = series(model, "turkey_rung")
    assert max(rungs) == MASS - 1  # every lower rung, however large the displacement
    assert series(model, "turkish_soldiers_killed")[-1] == 0


def test_scripted_dead_land_on_their_day_and_carry_turkey_to_the_top():
    event = {"day": 30, "turkish_soldiers_killed": 40, "note": "a Balyun-like strike"}
    model = run(days=60, events=[event], **BORDER_ONLY)
    killed = series(model, "turkish_soldiers_killed")
    assert killed[29] == 0 and killed[30] == 40 and killed[-1] == 40
    rows = [e for e in model.events if e[3] == "casualties"]
    assert [(e[0], e[5]) for e in rows] == [(30, "a Balyun-like strike")]
    rungs = series(model, "turkey_rung")
    assert max(rungs[:31]) < MASS  # Turkey reads yesterday's dead each morning
    assert rungs[31] == MASS and max(rungs) == TOP


def _write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scripted_toll_must_be_a_positive_count(tmp_path):
    path = _write(
        tmp_path,
        "days: 5\nevents:\n  - day: 2\n    turkish_soldiers_killed: 0\n    note: none\n",
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert str(error.value).startswith(f"{path}:4: events[0].turkish_soldiers_killed:")


def test_only_turkeys_ladder_names_carrying_signals(tmp_path):
    path = _write(
        tmp_path,
        "russia:\n  ladder:\n    - {name: a, enter_at: 0.0}\n"
        "    - {name: b, enter_at: 0.5, carried_by: [casualties]}\n",
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "russia.ladder[1].carried_by" in str(error.value)


def test_the_history_runs_turkish_dead_are_the_timelines_rows():
    scenario = load_scenario(REPO / "scenarios" / "history_2019_2020.yaml")
    scripted = [
        (e.date.isoformat(), e.turkish_soldiers_killed)
        for e in scenario.events
        if e.turkish_soldiers_killed is not None
    ]
    with open(REPO / "scenarios" / "data" / "timeline_2019_2020.csv", encoding="utf-8") as f:
        rows = [
            (row["date"], int(row["value"]))
            for row in csv.DictReader(f)
            if row["kind"] == "turkish_casualties" and row["date"] <= "2020-03-15"
        ]
    assert scripted == rows
    assert scenario.turkey.casualties_per_exposed_sortie == 0
    assert scenario.turkey.casualties_per_front_post_day == 0
