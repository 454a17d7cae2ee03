"""Every shipped scenario validates and runs (issue #15, item 7)."""

import csv

import pytest
from conftest import LEDGER, REPO

from sim.model import EscalationModel
from sim.world.loader import apply_changes, load_scenario

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


def test_the_scenarios_folder_is_not_empty():
    assert len(SCENARIOS) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_validates_and_runs_five_days(path):
    scenario = load_scenario(path)  # the whole file validates, events and all
    model = EscalationModel(apply_changes(scenario, {"days": 5}))
    model.run()
    assert model.day == 5
    series = model.timeseries()
    assert len(series["day"]) == 6
    for day in range(6):
        assert sum(series[k][day] for k in LEDGER) == series["population_total"][day]


def test_the_shipped_timeline_has_a_source_on_every_row():
    path = REPO / "scenarios" / "data" / "timeline_2019_2020.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 80
    assert all(row["date"][:4] in ("2019", "2020") for row in rows)
    assert all(row["source"].strip() for row in rows)
