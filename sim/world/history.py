"""Daily records of cumulative quantities, and how much they grew over a recent window."""

from __future__ import annotations

import numpy as np


class DailySeries:
    """One value per day of a run (day 0 included), e.g. cumulative losses.

    Args:
        days: Days of the run.
        dtype: Type of the values (``int64`` for counts, ``float`` for fighters).
    """

    def __init__(self, days: int, dtype: type = np.int64):
        self.values = np.zeros(days + 1, dtype=dtype)

    def __setitem__(self, day: int, value: float) -> None:
        self.values[day] = value

    def increase(self, days: int, today: int) -> float:
        """Growth over the last ``days`` days up to yesterday (negative if it fell)."""
        now = today - 1
        return float(self.values[now] - self.values[max(now - days, 0)])
