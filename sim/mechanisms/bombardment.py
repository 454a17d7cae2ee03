"""Bombardment: where the day's sorties land, the hazard they leave and the dead they cause.

Pure functions over ``(rows, cols)`` arrays and a ``numpy.random.Generator``.
Units: sorties are integer strike missions; hazard is sortie-equivalents with memory.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def target_probabilities(
    targetable: np.ndarray,
    front_band: np.ndarray,
    people_present: np.ndarray,
    roads: np.ndarray,
    weights: tuple[float, float, float],
    deterrence: np.ndarray | None = None,
    deterrence_factor: float = 0.0,
) -> np.ndarray:
    """Probability that a sortie hits each cell; sums to 1 (or all zeros if nothing to hit).

    Args:
        targetable: bool, cells that may be struck (opposition-held).
        front_band: bool, cells near the front.
        people_present: people in each cell (towns and markets are where people are).
        roads: bool, highway cells.
        weights: Share of effort on (front, towns, roads).
        deterrence: bool, cells near Turkish posts, or None.
        deterrence_factor: Share of strikes avoided in deterred cells, 0..1.
    """
    classes = (
        front_band & targetable,
        np.where(targetable, people_present, 0).astype(float),
        roads & targetable,
    )
    p = np.zeros(targetable.shape, dtype=float)
    for w, field in zip(weights, classes, strict=True):
        total = float(np.sum(field))
        if w > 0 and total > 0:
            p += w * field / total
    if deterrence is not None and deterrence_factor > 0:
        p *= 1.0 - deterrence_factor * deterrence
    total = p.sum()
    return p / total if total > 0 else p


def place_sorties(rng: np.random.Generator, sorties: int, probabilities: np.ndarray) -> np.ndarray:
    """Integer sorties per cell: a multinomial draw of ``sorties`` over ``probabilities``."""
    if sorties <= 0 or probabilities.sum() <= 0:
        return np.zeros(probabilities.shape, dtype=np.int64)
    flat = probabilities.ravel()
    cells = np.flatnonzero(flat > 0)
    # Each sortie picks a cell independently (inverse CDF), which is the multinomial in
    # law; with a dozen sorties over thousands of cells it is far cheaper than
    # numpy's multinomial, which steps through every cell.
    cdf = np.cumsum(flat[cells])
    picked = np.searchsorted(cdf, rng.random(sorties) * cdf[-1], side="right")
    picked = np.minimum(picked, cells.size - 1)  # guards u * total == total in float
    counts = np.bincount(cells[picked], minlength=flat.size)
    return counts.reshape(probabilities.shape)


def spread_impact(sorties: np.ndarray, spread_cells: float) -> np.ndarray:
    """Spread each strike's effect over nearby cells (Gaussian, mass-preserving)."""
    impact = sorties.astype(float)
    if spread_cells > 0:
        impact = ndimage.gaussian_filter(impact, sigma=spread_cells, mode="constant")
    return impact


def update_hazard(
    hazard: np.ndarray, impact: np.ndarray, decay_per_day: float, effectiveness: float
) -> np.ndarray:
    """Hazard after one day: old hazard decays, today's effective impact adds."""
    return hazard * decay_per_day + effectiveness * impact


def civilian_deaths(
    rng: np.random.Generator, people: np.ndarray, impact: np.ndarray, lethality: float
) -> np.ndarray:
    """Deaths among ``people`` (int, any leading shape matching ``impact``'s trailing shape).

    Each person dies with probability ``1 - exp(-lethality * impact)`` independently;
    only struck, inhabited cells are drawn, since elsewhere nobody can die.
    """
    flat = people.reshape(-1, impact.size)
    deaths = np.zeros_like(flat)
    if lethality > 0:
        struck = np.flatnonzero(impact.ravel() > 0)
        struck = struck[flat[:, struck].any(axis=0)]  # ...and inhabited
        p = -np.expm1(-lethality * impact.ravel()[struck])
        deaths[:, struck] = rng.binomial(flat[:, struck], p)
    return deaths.reshape(people.shape)
