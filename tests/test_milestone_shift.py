"""The milestone study's comparison of two settings (``experiments.milestones --against``)."""

import datetime as dt

import numpy as np

from experiments.milestones import median_shift_days, shift_table


def test_the_shift_is_the_difference_of_the_medians():
    base = np.array([10.0, 20.0, 30.0])
    variant = np.array([15.0, 25.0, 35.0, 45.0])
    shift, low, high = median_shift_days(variant, base)
    assert shift == 10.0  # medians 30 and 20
    assert low <= shift <= high
    same = median_shift_days(np.full(8, 107.0), np.full(5, 100.0))
    assert same == (7.0, 7.0, 7.0)
    assert all(np.isnan(median_shift_days(np.zeros(0), base)))


def test_the_interval_holds_the_true_shift_and_narrows_with_more_seeds():
    rng = np.random.default_rng(2)

    def days(n: int, centre: float) -> np.ndarray:
        return np.round(rng.normal(centre, 20.0, n))  # a spread like the winter's dates

    # Over 200 studies of 50 seeds a side, the 90 % interval holds the true shift, 5 days,
    # about 90 % of the time.
    studies = [median_shift_days(days(50, 305.0), days(50, 300.0), draws=500) for _ in range(200)]
    held = np.mean([low <= 5.0 <= high for _, low, high in studies])
    assert 0.8 <= held <= 0.99
    few = np.median([high - low for _, low, high in studies])
    many = median_shift_days(days(800, 305.0), days(800, 300.0))
    assert many[2] - many[1] < 0.4 * few  # about sqrt(50 / 800) as wide


def test_the_shift_table_counts_the_seeds_reaching_each_milestone():
    day = dt.date(2020, 1, 1)
    later = dt.date(2020, 1, 11)
    base = [[day, None], [day, None], [day, day]]
    variant = [[later, None], [later, None], [later, None]]
    rows = shift_table(["army", "ceasefire"], base, variant)
    assert rows[2] == "| army | 3, 3 of 3 | +10.0 [+10.0, +10.0] |"
    assert rows[3] == "| ceasefire | 1, 0 of 3 | — |"
