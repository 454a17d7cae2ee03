"""The one place a sweep calls into the model: load a scenario, build, run, read the days.

Everything else in :mod:`sim.experiments` sees a run only as a dict of daily columns, so
a change of the model's API is mended here alone.
"""

from __future__ import annotations

from pathlib import Path


def run_scenario(base: str | Path, overrides: list[str], seed: int) -> dict[str, list]:
    """Run one scenario to its last day.

    Args:
        base: Scenario YAML file.
        overrides: ``dotted.key=value`` strings (as ``--set`` takes them), applied in order.
        seed: The run's seed (applied last, so it wins over any ``seed=`` override).

    Returns:
        The daily time series, ``{column: [day 0, day 1, ..., last day]}``, columns as in
        ``timeseries.csv``.

    Raises:
        sim.world.loader.ScenarioError: The overrides do not give a valid scenario.
    """
    from sim.model import EscalationModel
    from sim.world.loader import load_scenario

    scenario = load_scenario(base, [*overrides, f"seed={int(seed)}"])
    model = EscalationModel(scenario)
    model.run()
    return model.timeseries()


def series_columns() -> tuple[str, ...]:
    """Names of the daily columns :func:`run_scenario` returns."""
    from sim.model import TIMESERIES_COLUMNS

    return tuple(TIMESERIES_COLUMNS)
