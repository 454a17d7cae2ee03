"""Ground combat on the front: which cells change hands, and who loses how many fighters.

Pure functions. Control codes are those of :mod:`sim.world.codes`.
"""

from __future__ import annotations

import numpy as np

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


def isolated_cells(control: np.ndarray) -> np.ndarray:
    """Opposition cells with no opposition neighbour (8-neighbourhood) next to government ground.

    Such one-cell pockets are cut off and give up when the offensive reaches them.
    """
    opposition = (control == HTS) | (control == NLF)
    neighbours = box_sum_3x3(opposition.astype(np.int8)) - opposition
    return opposition & (neighbours == 0) & touches_4(control == GOVERNMENT)


def capture_probability(ratio: np.ndarray, rate_per_day: float) -> np.ndarray:
    """Daily chance a cell falls, from the local attacker:defender power ratio.

    Square-law flavour: ``rate * r^2 / (1 + r^2)``; even odds give half the rate.
    """
    r2 = np.square(ratio)
    return rate_per_day * r2 / (1.0 + r2)


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
