"""The conflict-driven history scenario: its inputs happen on their dates (issue #15, item 2).

The expected dates are read from the scenario file and checked against the sourced
timeline (scenarios/data/timeline_2019_2020.csv), not produced by the model.
"""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest
from conftest import REPO

from sim.experiments.observed import load_observed
from sim.model import CAPTORS, EscalationModel
from sim.world.loader import load_scenario

HISTORY = REPO / "scenarios" / "history_2019_2020.yaml"
TIMELINE = REPO / "scenarios" / "data" / "timeline_2019_2020.csv"
WINTER = REPO / "scenarios" / "data" / "displacement_winter_2019_2020.csv"


@pytest.fixture(scope="module")
def history():
    """The history scenario and one run of it, with each capture's centre cell each day."""
    scenario = load_scenario(HISTORY)
    model = EscalationModel(scenario)
    captures = [e for e in scenario.events if e.capture is not None]
    centres = []
    for event in captures:
        c = event.capture
        if c.place is not None:
            town = next(t for t in model.geo.towns if t.name == c.place)
            lat, lon = town.lat, town.lon
        else:
            lat, lon = c.lat, c.lon
        centres.append(int(np.argmin(model.geo.distance_km(lat, lon))))
    owners = [model.control.ravel()[centres].copy()]
    while model.running:
        model.step()
        owners.append(model.control.ravel()[centres].copy())
    return scenario, model, captures, np.array(owners)


def test_the_history_runs_from_29_april_2019_to_at_least_15_march_2020(history):
    scenario, model, _, _ = history
    assert scenario.start_date == dt.date(2019, 4, 29)
    assert model.date >= dt.date(2020, 3, 15)
    assert scenario.combat.scripted_front


def test_every_scripted_capture_is_a_dated_capture_of_the_timeline(history):
    _, _, captures, _ = history
    with TIMELINE.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "capture"]
    spans = [
        (dt.date.fromisoformat(r["date"]), dt.date.fromisoformat(r["date_end"] or r["date"]))
        for r in rows
    ]
    for event in captures:
        assert any(first <= event.date <= last for first, last in spans), event.note


def test_control_changes_only_on_capture_days_and_the_captor_holds_the_centre(history):
    scenario, model, captures, owners = history
    start = scenario.start_date
    capture_days = {(e.date - start).days for e in captures}
    changed_days = {row[0] for row in model.events if row[3] == "control_change"}
    assert changed_days <= capture_days
    assert len(changed_days) >= len(capture_days) - 2  # a capture may find nothing to take
    opposition = {CAPTORS["hts"], CAPTORS["nlf"]}
    for i, event in enumerate(captures):
        held = owners[(event.date - start).days, i]
        if event.capture.by == "government":
            assert held == CAPTORS["government"], event.note
        else:  # rebels take government ground only: the centre is the opposition's
            assert held in opposition, event.note


def test_saraqib_changes_hands_on_6_feb_27_feb_and_2_mar_2020(history):
    scenario, _, captures, owners = history
    i = next(j for j, e in enumerate(captures) if e.capture.place == "Saraqib")
    on = {
        date: owners[(dt.date.fromisoformat(date) - scenario.start_date).days, i]
        for date in (
            "2020-02-05",
            "2020-02-06",
            "2020-02-26",
            "2020-02-27",
            "2020-03-01",
            "2020-03-02",
            "2020-03-15",
        )
    }
    assert on["2020-02-05"] != CAPTORS["government"]
    assert on["2020-02-06"] == on["2020-02-26"] == CAPTORS["government"]
    assert on["2020-02-27"] == on["2020-03-01"] == CAPTORS["nlf"]
    assert on["2020-03-02"] == on["2020-03-15"] == CAPTORS["government"]


def test_recorded_strikes_fly_on_their_dates(history):
    scenario, model, _, _ = history
    sorties = dict(zip(model.timeseries()["date"], model.timeseries()["sorties"], strict=True))
    expected = {
        "2019-05-01": 174,  # SOHR first-month tally
        "2019-08-03": 0,  # the Astana truce
        "2019-09-05": 0,  # no air strikes after the 31 Aug truce
        "2019-11-04": 36,  # 180 raids over 2-6 Nov
        "2019-12-13": 0,  # jets absent from 12 Dec
        "2020-01-16": 99,  # SOHR 72-hour tally
        "2020-03-10": 0,  # Moscow ceasefire
    }
    for date, value in expected.items():
        assert sorties[date] == round(value * scenario.bombardment.sorties_per_recorded_strike)


def test_the_winter_record_counts_from_1_december_with_a_source_per_figure():
    record = load_observed(WINTER)
    assert record.dates[0] > dt.date(2019, 12, 1)
    assert record.dates[-1] <= dt.date(2020, 3, 15)  # within the history run
    assert np.all(np.diff(record.values) > 0)  # cumulative since the same baseline
    assert all("https://" in source for source in record.sources)
