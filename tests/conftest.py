"""Shared fixtures: small, fast scenarios built from the real schema and map data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from sim.model import EscalationModel
from sim.world.loader import apply_changes, load_scenario
from sim.world.schema import Scenario

# CI runs the same hypothesis examples every time (no flaky red builds); locally each
# run explores new ones. Neither times an example: speed is measured in bench/, and a
# loaded machine must not fail a correct test.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "scenarios" / "default.yaml"

#: The tables and records every run folder holds (figures come on top, unless --no-plots).
RUN_FILES = (
    "timeseries.csv",
    "events.csv",
    "summary.json",
    "scenario.yaml",
    "camps.csv",
    "checkpoints.csv",
)

#: The stocks of the population ledger; they sum to ``population_total`` every day.
LEDGER = (
    "at_home",
    "displaced_inside",
    "in_camps",
    "crossed_to_turkey",
    "exited_via_checkpoints",
    "civilian_deaths",
)


def scenario(**changes) -> Scenario:
    """The default scenario on a coarse 4 km grid, with dotted-key changes applied."""
    base = load_scenario(DEFAULT, ["grid.cell_km=4", "days=60"])
    return apply_changes(base, changes) if changes else base


def run(**changes) -> EscalationModel:
    """Run the coarse default scenario with changes; return the finished model."""
    model = EscalationModel(scenario(**changes))
    model.run()
    return model


def series(model: EscalationModel, column: str) -> list:
    """One timeseries column of a finished model."""
    return model.timeseries()[column]


@pytest.fixture(scope="session")
def default_run() -> EscalationModel:
    """One 60-day coarse default run shared by read-only tests."""
    return run()
