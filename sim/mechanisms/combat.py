"""Ground combat on the front: which cells change hands, and who loses how many fighters.

Pure functions. Control codes are those of :mod:`sim.world.codes`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sim.mechanisms.stencils import box_sum_3x3, touches_4
from sim.world.codes import GOVERNMENT, HTS, NLF


def front_cells(control: np.ndarray) -> np.ndarray:
    """Opposition cells that touch a government cell (4-neighbourhood)."""
    opposition = (control == HTS) | (control == NLF)
    return opposition & touches_4(control == GOVERNMENT)


def exposed_government_cells(control: np.ndarray) -> np.ndarray:
    """Government cells that touch an opposition cell (4-neighbourhood)."""
    opposition = (control == HTS) | (control == NLF)
    return (control == GOVERNMENT) & touches_4(opposition)


def isolated_cells(control: np.ndarray, max_cells: int = 1) -> np.ndarray:
    """Cut-off pockets: small opposition areas next to government ground.

    A pocket is a group of opposition cells connected through their 8-neighbourhoods, of
    at most ``max_cells`` cells, with a cell touching government ground
    (4-neighbourhood). With ``max_cells=1``: opposition cells with no opposition
    neighbour. Pockets give up when the offensive reaches them.

    Returns:
        bool ``(rows, cols)``, True on the cells of every pocket.
    """
    opposition = (control == HTS) | (control == NLF)
    next_to_government = opposition & touches_4(control == GOVERNMENT)
    if max_cells <= 1:
        neighbours = box_sum_3x3(opposition.astype(np.int8)) - opposition
        return next_to_government & (neighbours == 0)
    labels, n = ndimage.label(opposition, structure=np.ones((3, 3), dtype=bool))
    size = np.bincount(labels.ravel(), minlength=n + 1)
    touching = np.zeros(n + 1, dtype=bool)
    touching[labels[next_to_government]] = True
    pocket = touching & (size <= max_cells)
    pocket[0] = False  # label 0 is everything not held by the opposition
    return pocket[labels]


def pocket_cells(max_area_km2: float, cell_area_km2: float) -> int:
    """Most cells a pocket of at most ``max_area_km2`` may have (at least one cell)."""
    return max(1, int(max_area_km2 / cell_area_km2 + 1e-9))


def captured_cells(
    control: np.ndarray, distance_km: np.ndarray, radius_km: float, new_owner: int
) -> np.ndarray:
    """Cells a scripted capture hands to ``new_owner``: flat indices, ascending.

    Args:
        control: Control codes, ``(rows, cols)``.
        distance_km: Distance from each cell centre to the captured place, km.
        radius_km: Cells whose centre lies within this distance change hands.
        new_owner: Control code of the captor (government, HTS or NLF).

    Returns:
        The cells within the radius held by the other side: HTS and NLF ground when the
        government captures, government ground when HTS or the NLF does (allies' ground
        and Turkish-held ground never change hands this way).
    """
    if new_owner == GOVERNMENT:
        other_side = (control == HTS) | (control == NLF)
    else:
        other_side = control == GOVERNMENT
    return np.flatnonzero(other_side & (distance_km <= radius_km))


def spread_defence(power: float, attack_effort: np.ndarray, concentration: float) -> np.ndarray:
    """A group's combat power on each front cell it holds, ``(n,)``; sums to ``power``.

    Args:
        power: The group's combat power (fighters times multipliers).
        attack_effort: The attacker's relative effort on each of those cells, ``(n,)``.
        concentration: Share of the power moved to where the attack falls (in proportion
            to its effort), 0..1; the rest is spread evenly.
    """
    n = attack_effort.size
    total = float(attack_effort.sum())
    even = np.full(n, 1.0 / n)
    where = attack_effort / total if total > 0 else even
    return power * ((1.0 - concentration) * even + concentration * where)


def capture_probability(ratio: np.ndarray, rate_per_day: float) -> np.ndarray:
    """Daily chance a cell falls, from the local attacker:defender power ratio.

    Square-law flavour: ``rate * r^2 / (1 + r^2)``; even odds give half the rate.
    """
    r2 = np.square(ratio)
    return rate_per_day * r2 / (1.0 + r2)


def cell_rate_per_day(advance_km_per_day: float, cell_km: float) -> float:
    """Daily chance a front cell changes hands when the front moves ``advance_km_per_day``.

    A front of length ``L`` km runs along about ``L / cell_km`` cells, each ``cell_km``
    deep, so ground taken a day, ``L / cell_km * p * cell_km**2``, is ``L`` times the
    advance whatever the cell size when ``p = advance / cell_km`` (at most one cell a day).
    """
    return min(1.0, advance_km_per_day / cell_km)


def lanchester_losses(
    attacker_power: float, defender_power: float, attrition_per_day: float
) -> tuple[float, float]:
    """One day of Lanchester square-law attrition: each side loses ``a x`` the other's power.

    Returns:
        ``(attacker_losses, defender_losses)`` in fighters.
    """
    return attrition_per_day * defender_power, attrition_per_day * attacker_power


def draw_among(rng: np.random.Generator, probability: np.ndarray) -> np.ndarray:
    """Indices of the cells drawn, each independently with its ``probability`` ``(n,)``."""
    if probability.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(rng.random(probability.size) < probability)
