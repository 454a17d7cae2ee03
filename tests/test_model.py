"""The model's promises: exact ledger, determinism, and mechanisms in the right direction."""

import numpy as np
import pytest
from conftest import LEDGER, run, scenario, series
from scipy import ndimage

from sim.mechanisms.combat import exposed_government_cells, front_cells
from sim.model import EscalationModel, LedgerError
from sim.runs.output import csv_text, timeseries_rows
from sim.world.geography import GOVERNMENT


def test_ledger_balances_every_day(default_run):
    total = series(default_run, "population_total")
    assert len(set(total)) == 1 and total[0] == 3_000_000
    for day in range(len(total)):
        assert sum(series(default_run, c)[day] for c in LEDGER) == total[day]


def test_ledger_check_catches_a_lost_person():
    model = EscalationModel(scenario())
    model.step()
    cells = np.argwhere(model.residents.at_home[0] > 0)
    r, c = cells[0]
    model.residents.at_home[0, r, c] -= 1
    with pytest.raises(LedgerError):
        model.step()


def test_people_leave_bombarded_areas_for_the_border(default_run):
    m = default_run
    assert series(m, "displaced_cumulative")[-1] > 10_000
    assert series(m, "in_camps")[-1] > series(m, "in_camps")[0]
    assert series(m, "sorties")[-1] > 0
    # Those who left came from nearer the front than where they are now.
    dist = m.geo.distance_to_border_km
    home_now = m.residents.total()
    sheltering = m.displaced.sheltering
    mean_home = (dist * m.population_home_start).sum() / m.population_home_start.sum()
    left = np.clip(m.population_home_start - home_now, 0, None)
    mean_left_from = (dist * left).sum() / left.sum()
    arrived = sheltering.copy()
    for camp in m.camps:
        arrived[camp.cell.coordinate] += camp.population - camp.initial_population
    mean_now = (dist * arrived).sum() / arrived.sum()
    assert mean_left_from > mean_home  # leavers come from far from the border (the front)
    assert mean_now < 0.75 * mean_left_from  # and moved toward it


def _bytes(model):
    from sim.model import TIMESERIES_COLUMNS
    from sim.runs.output import CAMP_COLUMNS, CHECKPOINT_COLUMNS, EVENT_COLUMNS

    return (
        csv_text(TIMESERIES_COLUMNS, timeseries_rows(model)),
        csv_text(EVENT_COLUMNS, model.events),
        csv_text(CAMP_COLUMNS, model.camp_rows),
        csv_text(CHECKPOINT_COLUMNS, model.checkpoint_rows),
    )


def test_same_seed_same_bytes_and_other_seed_differs():
    a = _bytes(run(seed=7, days=40))
    b = _bytes(run(seed=7, days=40))
    c = _bytes(run(seed=8, days=40))
    assert a == b
    assert a[0] != c[0]


def test_sealed_border_means_no_crossings_open_border_means_some():
    sealed = run(**{"border.policy": "sealed"})
    opened = run(**{"border.policy": "open"})
    assert max(series(sealed, "crossed_to_turkey")) == 0
    assert series(opened, "crossed_to_turkey")[-1] > 0


def test_quota_caps_daily_crossings():
    m = run(**{"border.policy": "quota", "border.quota_per_day": 50})
    crossed = np.diff(series(m, "crossed_to_turkey"))
    assert crossed.max() <= 50
    assert crossed.sum() > 0


def test_no_checkpoints_means_no_exits():
    m = run(checkpoints=[], days=120)
    assert max(series(m, "exited_via_checkpoints")) == 0


def test_checkpoints_never_pass_more_than_capacity():
    m = run(days=150)
    capacity = {c.name: c.capacity_per_day for c in m.config.checkpoints}
    assert m.checkpoint_rows
    for _day, name, is_open, _queue, exits, _total in m.checkpoint_rows:
        assert exits <= capacity[name]
        assert is_open or exits == 0
    assert series(m, "exited_via_checkpoints")[-1] > 0


def test_camps_never_exceed_capacity_unless_soft():
    hard = run(days=120, **{"civilians.camp_pull": 4.0})
    for _day, _name, population, capacity in hard.camp_rows:
        assert population <= max(capacity, 0) or _day == 0
    soft = run(days=120, **{"civilians.camp_pull": 4.0, "civilians.soft_camp_capacity": True})
    over = [p > c for _d, _n, p, c in soft.camp_rows]
    assert any(over)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_sorties_more_deaths_and_more_leaving(seed):
    few = run(seed=seed, **{"bombardment.sorties_per_day": 2})
    many = run(seed=seed, **{"bombardment.sorties_per_day": 40})
    assert series(many, "civilian_deaths")[-1] > series(few, "civilian_deaths")[-1]
    assert series(many, "displaced_cumulative")[-1] > series(few, "displaced_cumulative")[-1]
    assert max(series(many, "hazard_max")) > max(series(few, "hazard_max"))


def test_scripted_ceasefire_stops_sorties_from_that_day():
    events = [{"day": 20, "set": {"ceasefire.active": True}, "note": "test truce"}]
    m = run(events=events)
    sorties = series(m, "sorties")
    assert sum(sorties[1:20]) > 0
    assert sum(sorties[20:]) == 0
    assert any(e[3] == "scripted" and e[0] == 20 for e in m.events)


def _first_day(values, at_least):
    return next((i for i, v in enumerate(values) if v >= at_least), None)


def test_lower_crisis_threshold_makes_turkey_climb_earlier():
    only_border = {"turkey.territory_loss_threshold_km2": 1e9, "turkey.other_side_weight": 0}
    low = run(days=120, **only_border, **{"turkey.crisis_threshold_people": 100_000})
    high = run(days=120, **only_border, **{"turkey.crisis_threshold_people": 400_000})
    day_low = _first_day(series(low, "turkey_rung"), 2)
    day_high = _first_day(series(high, "turkey_rung"), 2)
    assert day_low is not None
    assert day_high is None or day_low < day_high


def test_every_rung_change_has_a_reason_row():
    m = run(days=200)
    names = {
        "turkey_rung": "Turkey",
        "russia_rung": "Russia",
        "government_rung": "Syrian government",
    }
    for column, actor in names.items():
        rungs = series(m, column)
        changes = [d for d in range(1, len(rungs)) if rungs[d] != rungs[d - 1]]
        rows = [e for e in m.events if e[2] == actor and e[3].startswith("rung_")]
        assert [e[0] for e in rows] == changes
        assert all(e[5] for e in rows)
    assert any(e[3] == "rung_up" for e in m.events)


def test_alliance_forms_above_threshold_and_not_below():
    under_threat = run(days=80, **{"rebels.alliance_threshold": 0.0})
    never = run(days=80, **{"rebels.alliance_threshold": 1.0, "rebels.threat_scale_km2": 1e9})
    coop_up = series(under_threat, "rebel_cooperation")
    coop_down = series(never, "rebel_cooperation")
    assert coop_up[-1] > coop_up[0]
    assert coop_down[-1] < coop_down[0]
    assert any(e[3] == "alliance_formed" for e in under_threat.events)


def test_salami_tactics_keep_border_pressure_lower():
    base = {"days": 150, "turkey.crisis_threshold_people": 200_000}
    plain = run(**base)
    sliced = run(**base, **{"government.salami_tactics": True})
    assert max(series(sliced, "border_displaced_people")) < max(
        series(plain, "border_displaced_people")
    )


def test_forced_rung_holds_a_state():
    m = run(days=30, **{"turkey.forced_rung": 4})
    assert set(series(m, "turkey_rung")[1:]) == {4}
    assert any(e[3] == "rung_forced" for e in m.events)


def test_ground_changes_hands_and_is_logged():
    m = run(days=120)
    gov = series(m, "territory_government")
    assert gov[-1] > gov[0]
    assert any(e[3] == "control_change" and e[2] == "government" for e in m.events)


def test_russia_and_damascus_do_not_climb_during_a_ceasefire():
    events = [{"day": 5, "set": {"ceasefire.active": True}, "note": "truce"}]
    m = run(days=90, events=events, **{"russia.patience_decay_per_day": 0.05})
    for column in ("russia_rung", "government_rung"):
        rungs = series(m, column)
        assert all(b <= a for a, b in zip(rungs[5:], rungs[6:], strict=False)), column
    free = run(days=90, **{"russia.patience_decay_per_day": 0.05})
    assert max(series(free, "russia_rung")) > max(series(m, "russia_rung")[5:])


def test_grouped_destination_draws_keep_each_origins_shares():
    # Origins sharing a routing cell are split in one draw; the law must not change:
    # expected arrivals per place are still the sum of each origin's own shares, and
    # nobody chooses the place in their own cell.
    m = EscalationModel(scenario(**{"grid.cell_km": 2}))
    table = m.destinations
    assert table.graph.factor == 2
    town = int(table.town_index[0])
    home = table.routing_of[table.flat_cell[town]]
    origins = np.flatnonzero(table.routing_of == home)
    assert len(origins) > 1 and np.isin(origins, table.place_cells).sum() == 1
    people = np.arange(1, len(origins) + 1) * 1000
    expected = np.zeros(len(table.kind))  # sum over origins of people x own shares
    for o, n in zip(origins, people, strict=True):
        weight = table._route_weights(np.array([o]))[0] * np.exp(table.option_utility())
        expected += n * weight / weight.sum()
    rng = np.random.default_rng(1)
    draws = 400
    totals = np.zeros(len(table.kind))
    for _ in range(draws):
        places, counts, days = table.choose(rng, origins, people)
        assert len(counts) == 2  # one group plus the origin in the town's own cell
        assert counts.sum() == people.sum()
        assert town in places and counts[-1, places == town] == 0
        assert (days == table.travel_days[home][places]).all()
        totals[places] += counts.sum(axis=0)
    p = expected / people.sum()
    sd = np.sqrt(people.sum() * p * (1 - p) / draws)
    z = np.abs(totals / draws - expected) / np.maximum(sd, 1e-9)
    assert z.max() < 5, z


def test_fields_derived_from_control_follow_every_change():
    m = EscalationModel(scenario(days=40))
    for _ in range(40):
        m.step()
        t = m.territory
        np.testing.assert_array_equal(t.front_mask, front_cells(m.control))
        np.testing.assert_array_equal(
            t.exposed_government_mask, exposed_government_cells(m.control)
        )
        # Updated from the new government cells when it can: the same numbers as a
        # full transform.
        full = ndimage.distance_transform_edt(m.control != GOVERNMENT) * m.geo.cell_km
        np.testing.assert_array_equal(t.distance_to_government_km, full)
        held = np.bincount(m.control.ravel(), minlength=4)
        np.testing.assert_array_equal(t.cells_held, held)
    assert t.version > 0  # control did change, so the check had something to check


def test_datacollector_has_the_timeseries_columns_by_name(default_run):
    frame = default_run.datacollector.get_model_vars_dataframe()
    # The DESIGN.md contract names these columns; the frame holds them by name.
    for name in ("day", "date", "population_total", *LEDGER, "turkey_rung", "sorties"):
        assert name in frame.columns
    assert frame["day"].tolist() == list(range(default_run.day + 1))
    stocks = frame[list(LEDGER)].sum(axis=1)
    assert (stocks == frame["population_total"]).all()
    # The run folder's rows are the frame's rows.
    rows = timeseries_rows(default_run)
    assert [list(r) for r in frame.itertuples(index=False)] == rows


def test_states_read_only_their_signals():
    m = EscalationModel(scenario(days=5))
    m.run()
    signals = m.signals()
    patience = m.russia.patience
    first = m.russia.pressure_now(signals)
    assert m.russia.pressure_now(signals) == first  # asking twice changes nothing
    assert m.russia.patience == patience
    # Damascus follows the patience in its signals, not Russia's attribute.
    calm = m.government.pressure_now(signals._replace(russia_patience=1.0))
    pushed = m.government.pressure_now(signals._replace(russia_patience=0.0))
    assert calm == 0.0 < pushed


def test_former_constants_are_scenario_keys_that_act():
    # Strikes near posts kill Turkish soldiers; with a radius of 0 km none do.
    hot = {"russia.forced_rung": 3, "bombardment.sorties_per_day": 200.0, "days": 30}
    assert max(series(run(**hot), "turkish_soldiers_killed")) > 0
    no_radius = run(**hot, **{"turkey.post_exposure_radius_km": 0.0})
    assert max(series(no_radius, "turkish_soldiers_killed")) == 0
    # Heavy attrition wears HTS down, but never below its floor share of 15,000.
    bloody = {"combat.attrition_per_day": 0.1, "days": 30, "ceasefire.truce_days": 0}
    assert min(series(run(**bloody), "hts_strength")) < 0.9 * 15_000
    floored = run(**bloody, **{"combat.strength_floor_share": 0.9})
    assert min(series(floored, "hts_strength")) >= 0.9 * 15_000 - 1e-6


def test_a_reached_ceasefire_stops_strikes_and_restores_russian_patience():
    hot = {"russia.forced_rung": 3, "bombardment.sorties_per_day": 200.0, "days": 30}
    low = {"ceasefire.turkey_casualties_soldiers": 1.0, "ceasefire.government_losses_fighters": 1.0}
    m = run(**hot, **low)
    days = [row[0] for row in m.events if row[3] == "ceasefire"]
    assert len(days) == 1  # reached once, and it holds for the rest of the run
    day = days[0]
    assert series(m, "ceasefire")[day:] == [1] * (31 - day)
    assert series(m, "sorties")[day:] == [0] * (31 - day)
    assert series(m, "russia_patience")[day] == 1.0
    # Without the low thresholds the same run has no ceasefire.
    assert max(series(run(**hot), "ceasefire")) == 0
