"""The one place the app reads the model's daily measurements.

Everything the app plots or prints about past days goes through :func:`daily_series`,
so a change in how the model collects its rows is met here alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import EscalationModel


def daily_series(model: EscalationModel) -> dict[str, list]:
    """The days collected so far, as columns of ``timeseries.csv``.

    Returns:
        ``{column: [value on day 0, day 1, ..., today]}``.
    """
    return model.timeseries()
