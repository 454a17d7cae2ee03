"""The escalation clock: the first campaign's truce, Russia answering Turkey's army, the towns
lost and Turkish troop exposure, the spring offensive's axes and the rebels' defence."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run, series

from sim.mechanisms import combat, ladder
from sim.world.codes import HTS, NLF

#: A cheap first campaign: the government's losses pass the limit within days, Turkey's never.
EARLY_TRUCE = {
    "ceasefire.government_losses_fighters": 50.0,
    "ceasefire.turkey_casualties_soldiers": 1e9,
    "ceasefire.truce_days": 15,
}


def test_a_truce_stops_the_fighting_for_its_length_then_the_offensive_resumes():
    m = run(**EARLY_TRUCE)
    truces = [row[0] for row in m.events if row[3] == "truce"]
    assert len(truces) == 1  # once a run, though the losses stay past the limit
    day = truces[0]
    assert 0 < day < 60 - 15 - 5
    pause = series(m, "ceasefire")
    assert pause[day : day + 15] == [1] * 15 and max(pause[day + 15 :]) == 0
    assert max(series(m, "sorties")[day : day + 15]) == 0
    assert sum(series(m, "sorties")[day + 15 :]) > 0  # the air war comes back
    losses = series(m, "government_losses")
    assert losses[day + 14] == losses[day]  # no fighting while it holds
    assert losses[-1] > losses[day + 15]  # and fighting again after
    # A truce is no deal with Ankara: Russia's patience keeps wearing through it.
    patience = series(m, "russia_patience")
    assert patience[day + 14] < patience[day] < 1.0


def test_without_a_truce_length_there_is_no_truce():
    m = run(**{**EARLY_TRUCE, "ceasefire.truce_days": 0})
    assert not any(row[3] == "truce" for row in m.events)
    assert max(series(m, "ceasefire")) == 0


def test_the_truce_does_not_come_once_turkeys_dead_pass_their_limit_too():
    # Both limits low: the deal (a ceasefire restoring Russia's patience), not a truce.
    m = run(**{**EARLY_TRUCE, "ceasefire.turkey_casualties_soldiers": 1.0, "days": 120})
    kinds = [row[3] for row in m.events if row[3] in ("truce", "ceasefire")]
    assert "ceasefire" in kinds
    day = next(row[0] for row in m.events if row[3] == "ceasefire")
    assert series(m, "russia_patience")[day] == 1.0


#: Turkey held on its top rung from day 1, with neither side's costs able to bring a pause.
TURKEY_AT_WAR = {
    "turkey.forced_rung": 5,  # spring_shield, the top of the default ladder
    "ceasefire.turkey_casualties_soldiers": 1e9,
    "ceasefire.government_losses_fighters": 1e9,
    "days": 40,
}


def _ceasefire_days(m) -> list[int]:
    return [row[0] for row in m.events if row[3] == "ceasefire"]


def test_a_deal_comes_the_set_days_after_turkeys_army_reaches_its_top_rung():
    m = run(**TURKEY_AT_WAR, **{"ceasefire.turkey_top_rung_days": 8})
    forced = next(row[0] for row in m.events if row[3] == "rung_forced" and row[2] == "Turkey")
    assert m.turkey.rung == m.turkey.n_rungs - 1
    assert _ceasefire_days(m) == [forced + 8]
    pause = series(m, "ceasefire")
    assert max(pause[: forced + 8]) == 0 and min(pause[forced + 8 :]) == 1
    assert series(m, "turkish_soldiers_killed")[forced + 8] < 50  # not the dead's doing
    longer = run(**TURKEY_AT_WAR, **{"ceasefire.turkey_top_rung_days": 20})
    assert _ceasefire_days(longer) == [forced + 20]


def test_no_deal_without_the_top_rung_or_with_the_rule_off():
    assert _ceasefire_days(run(**TURKEY_AT_WAR, **{"ceasefire.turkey_top_rung_days": None})) == []
    below = run(**{**TURKEY_AT_WAR, "turkey.forced_rung": 4})  # mass reinforcement
    assert below.turkey.rung < below.turkey.n_rungs - 1
    assert _ceasefire_days(below) == []


def test_the_days_at_war_count_again_from_the_end_of_the_last_pause():
    m = run(**TURKEY_AT_WAR, **{"ceasefire.turkey_top_rung_days": 5, "ceasefire.duration_days": 6})
    first, second, *_ = _ceasefire_days(m)
    assert second == first + 6 + 5  # it ends, then five more days of war


def test_a_gated_rung_counts_no_pressure_until_the_other_side_stands_high_enough():
    pressure = [0.0, 0.5, 0.9, 1.3]
    gates = [None, None, None, 0.8]
    assert ladder.gate_by_other_side(pressure, 0.6, gates) == [0.0, 0.5, 0.9, 0.0]
    assert ladder.gate_by_other_side(pressure, 0.8, gates) == pressure
    # Closed, the state cannot climb onto the rung and steps down off it.
    closed = ladder.gate_by_other_side(pressure, 0.0, gates)
    assert ladder.decide_rung(2, [0.0, 0.3, 0.6, 1.0], closed, 100, 10, 0.25) == 2
    assert ladder.decide_rung(3, [0.0, 0.3, 0.6, 1.0], closed, 100, 10, 0.25) == 2


def test_russia_strikes_near_turkish_posts_only_once_turkey_has_sent_its_army():
    impatient = {"russia.patience_initial": 0.0, "russia.cooldown_days": 1, "days": 40}
    held = run(**impatient, **{"turkey.forced_rung": 3})  # return fire: posts only
    assert max(series(held, "russia_rung")) == 2
    army = run(**impatient, **{"turkey.forced_rung": 4})  # mass reinforcement
    assert max(series(army, "russia_rung")) == 3


def test_the_towns_lost_count_the_census_of_the_captured_town():
    event = {
        "day": 3,
        "capture": {"place": "Khan Shaykhun", "radius_km": 3, "by": "government"},
        "note": "test capture",
    }
    m = run(days=2, **{"combat.scripted_front": True})
    assert m.opposition_towns_lost_people() == 0  # nothing captured yet
    m = run(days=4, events=[event], **{"combat.scripted_front": True})
    assert m.opposition_towns_lost_people() == 50_469  # places.csv, 2004/2010


def test_turkish_dead_grow_with_the_troops_turkey_exposes():
    fight = {"government.forced_rung": 3, "days": 90, "ceasefire.truce_days": 0}
    posts = run(**fight, **{"turkey.forced_rung": 3})  # garrisons: exposure 1.5
    army = run(**fight, **{"turkey.forced_rung": 4})  # ~6,500 more troops: exposure 5
    assert (
        series(army, "turkish_soldiers_killed")[-1] > series(posts, "turkish_soldiers_killed")[-1]
    )


def test_defence_moves_to_where_the_attack_falls():
    effort = np.array([4.0, 1.0, 1.0, 0.0])
    line_km = np.array([2.0, 2.0, 2.0, 2.0])
    even = combat.spread_defence(100.0, effort, line_km, 0.0)
    massed = combat.spread_defence(100.0, effort, line_km, 1.0)
    half = combat.spread_defence(100.0, effort, line_km, 0.5)
    assert even == pytest.approx([25.0, 25.0, 25.0, 25.0])
    assert massed == pytest.approx([400 / 6, 100 / 6, 100 / 6, 0.0])
    assert half == pytest.approx((even + massed) / 2)
    assert half.sum() == pytest.approx(100.0)  # moved, not multiplied


def test_the_defence_not_massed_is_spread_along_the_line_not_over_cells():
    # The first cell stands for 3 km of line, the others for 1 km each.
    even = combat.spread_defence(60.0, np.ones(4), np.array([3.0, 1.0, 1.0, 1.0]), 0.0)
    assert even == pytest.approx([30.0, 10.0, 10.0, 10.0])


#: Four front cells, 1 km of line each, evenly attacked: one held by a strong group (code 1),
#: three by a weaker one (code 2).
HELD = np.array([1, 2, 2, 2])
POWER = {1: 90.0, 2: 30.0}


def pooled(share: float, held: np.ndarray = HELD) -> np.ndarray:
    return combat.alliance_defence(held, POWER, np.ones(held.size), np.ones(held.size), 0.5, share)


def test_unpooled_each_group_defends_only_its_own_line():
    assert pooled(0.0) == pytest.approx([90.0, 10.0, 10.0, 10.0])


def test_fully_pooled_the_defence_does_not_depend_on_who_holds_the_cell():
    assert pooled(1.0) == pytest.approx([30.0, 30.0, 30.0, 30.0])


def test_pooling_moves_power_from_the_dense_line_to_the_thin_one_and_keeps_it_all():
    shares = [0.0, 0.25, 0.5, 0.75, 1.0]
    defence = np.array([pooled(s) for s in shares])
    assert np.all(np.diff(defence[:, 0]) < 0)  # the strong group's lone cell thins out
    assert np.all(np.diff(defence[:, 1]) > 0)  # its ally's cells fill up
    assert defence.sum(axis=1) == pytest.approx([120.0] * len(shares))  # moved, not made


def test_a_group_with_no_front_adds_only_its_pooled_share():
    weaker_only = np.array([2, 2, 2])
    assert pooled(0.0, weaker_only).sum() == pytest.approx(30.0)
    assert pooled(0.5, weaker_only).sum() == pytest.approx(30.0 + 45.0)


def test_pooled_defence_follows_cooperation_in_the_model():
    """At full cooperation and full pooling, HTS and NLF cells of equal line and effort are
    defended alike; unpooled, each group's power stays on its own line."""
    changes = {
        "rebels.cooperation_initial": 1.0,
        "rebels.cooperation_decay_per_day": 0.0,
        "days": 1,
    }
    alike = run(**changes, **{"rebels.defence_pooled_at_full_cooperation": 1.0})
    apart = run(**changes)
    for m, same in ((alike, True), (apart, False)):
        cells = m.territory.front_mask.ravel().nonzero()[0]
        held = m.control.ravel()[cells]
        assert {HTS, NLF} <= set(held.tolist())  # both groups hold some front
        defence = m.alliance.defence_on(cells, np.ones(cells.size), np.ones(cells.size))
        hts, nlf = defence[held == HTS], defence[held == NLF]
        assert np.ptp(hts) == pytest.approx(0.0) and np.ptp(nlf) == pytest.approx(0.0)
        assert bool(hts[0] == pytest.approx(nlf[0])) is same


def test_the_limited_offensive_attacks_along_its_first_axes_only():
    m = run(days=1)
    forces = m.government_forces
    cells = [m.geo.cell_of(p.lat, p.lon) for p in m.config.government.axes]
    khan_shaykhun, saraqib = cells[1], cells[3]
    two, every = forces.axis_weight(2), forces.axis_weight(None)
    assert two[khan_shaykhun] > 0.8 * every[khan_shaykhun]  # its own axis: most of the effort
    assert two[saraqib] < 0.1 * every[saraqib]  # far from the first two axes
