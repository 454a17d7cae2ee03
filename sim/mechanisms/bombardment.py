"""Bombardment: where the day's sorties land, the hazard they leave and the dead they cause.

Pure functions over ``(rows, cols)`` arrays and a ``numpy.random.Generator``.
Units: sorties are integer strike missions; impact is strike density (sortie-equivalents
per km²) and hazard that density with memory, so that neither depends on the cell size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class GroundTargets(NamedTuple):
    """The parts of targeting that change only with control or the rungs.

    Attributes:
        cells: Flat indices of the cells that may be struck, ``(n,)``.
        front: ``w_front / (front cells)`` on front cells and 0 elsewhere, ``(n,)``; None
            if unused.
        roads: The same for road cells, or None.
        keep: Share of strikes kept, ``1 - factor x deterrence``, ``(n,)``, or None.
    """

    cells: np.ndarray
    front: np.ndarray | None
    roads: np.ndarray | None
    keep: np.ndarray | None


def ground_targets(
    targetable: np.ndarray,
    front_band: np.ndarray,
    roads: np.ndarray,
    weights: tuple[float, float, float],
    deterrence: np.ndarray | None = None,
    deterrence_factor: float = 0.0,
) -> GroundTargets:
    """The front, road and deterrence parts of :func:`target_probabilities`.

    Args:
        targetable: bool ``(rows, cols)``, cells that may be struck (opposition-held).
        front_band: bool, cells near the front.
        roads: bool, highway cells.
        weights: Share of effort on (front, towns, roads).
        deterrence: bool, cells near Turkish posts, or None.
        deterrence_factor: Share of strikes avoided in deterred cells, 0..1.
    """
    cells = np.flatnonzero(targetable)
    w_front, _, w_roads = weights

    def share(w: float, field: np.ndarray) -> np.ndarray | None:
        on = field.ravel()[cells]
        total = int(np.count_nonzero(on))
        return w * on / total if w > 0 and total > 0 else None

    keep = None
    if deterrence is not None and deterrence_factor > 0:
        keep = 1.0 - deterrence_factor * deterrence.ravel()[cells]
    return GroundTargets(cells, share(w_front, front_band), share(w_roads, roads), keep)


def target_weights(ground: GroundTargets, people_present: np.ndarray, w_towns: float) -> np.ndarray:
    """Relative chance that a sortie hits each of ``ground.cells`` (not normalised), ``(n,)``.

    Args:
        ground: From :func:`ground_targets` (kept while control and rungs are unchanged).
        people_present: People in each cell, ``(rows, cols)``.
        w_towns: Share of effort on where people are.
    """
    p = np.zeros(ground.cells.size)
    if ground.front is not None:
        p += ground.front
    people = people_present.ravel()[ground.cells].astype(float)
    total = float(people.sum())
    if w_towns > 0 and total > 0:
        p += w_towns * people / total
    if ground.roads is not None:
        p += ground.roads
    if ground.keep is not None:
        p *= ground.keep
    return p


def focus_weights(weights: np.ndarray, in_focus: np.ndarray, share: float) -> np.ndarray:
    """Put ``share`` of the effort on the focus area, the rest as ``weights`` say.

    Args:
        weights: Relative chance of each target cell, ``(n,)`` (from :func:`target_weights`).
        in_focus: bool ``(n,)``, the cells in the area a record says the strikes fell on.
        share: Share of the day's sorties kept inside the area, 0..1.

    Returns:
        ``(n,)`` weights summing to 1: ``share`` of the total inside the area (spread as
        ``weights`` spread it there) and ``1 - share`` over all cells as before; ``weights``
        normalised when nothing in the area can be struck.
    """
    total = weights.sum()
    if total <= 0:
        return weights
    inside = np.where(in_focus, weights, 0.0)
    inside_total = inside.sum()
    if share <= 0 or inside_total <= 0:
        return weights / total
    return (1.0 - share) * weights / total + share * inside / inside_total


# Reference implementation, used by the tests only (the model uses ground_targets and
# target_weights, which give the same shares).
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

    Each weighted class (front cells, people, road cells) gets its share of the effort,
    spread evenly over its cells (by people for the towns class); deterred cells keep
    ``1 - deterrence_factor`` of theirs.

    Args:
        targetable: bool, cells that may be struck (opposition-held).
        front_band: bool, cells near the front.
        people_present: people in each cell (towns and markets are where people are).
        roads: bool, highway cells.
        weights: Share of effort on (front, towns, roads).
        deterrence: bool, cells near Turkish posts, or None.
        deterrence_factor: Share of strikes avoided in deterred cells, 0..1.
    """
    ground = ground_targets(targetable, front_band, roads, weights, deterrence, deterrence_factor)
    p = np.zeros(targetable.shape)
    p.ravel()[ground.cells] = target_weights(ground, people_present, weights[1])
    total = p.sum()
    return p / total if total > 0 else p


def place_sorties(rng: np.random.Generator, sorties: int, probabilities: np.ndarray) -> np.ndarray:
    """Integer sorties per cell: a multinomial draw of ``sorties`` over ``probabilities``.

    ``probabilities`` need not sum to 1 (they are relative weights); any shape.
    """
    flat = probabilities.ravel()
    cdf = np.cumsum(flat)  # cells of zero weight repeat the sum before them: never picked
    if sorties <= 0 or flat.size == 0 or cdf[-1] <= 0:
        return np.zeros(probabilities.shape, dtype=np.int64)
    # Each sortie picks a cell independently (inverse CDF), which is the multinomial in
    # law; with a dozen sorties over thousands of cells it is far cheaper than
    # numpy's multinomial, which steps through every cell.
    picked = np.searchsorted(cdf, rng.random(sorties) * cdf[-1], side="right")
    # u * total can round up to the total: such a pick goes to the last cell with weight.
    picked = np.minimum(picked, np.searchsorted(cdf, cdf[-1]))
    return np.bincount(picked, minlength=flat.size).reshape(probabilities.shape)


def spread_matrices(shape: tuple[int, int], spread_cells: float) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian spread as two banded matrices, ``(rows, rows)`` and ``(cols, cols)``.

    ``rows_matrix @ sorties @ cols_matrix.T`` is the Gaussian filter of ``sorties`` with
    zeros outside the grid (the kernel of :func:`scipy.ndimage.gaussian_filter`: cut at
    4 standard deviations and normalised), as two small matrix products.
    """
    radius = int(4.0 * spread_cells + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / spread_cells) ** 2)
    kernel /= kernel.sum()

    def banded(n: int) -> np.ndarray:
        gap = np.arange(n)[None, :] - np.arange(n)[:, None]
        return np.where(np.abs(gap) <= radius, kernel[np.clip(gap + radius, 0, 2 * radius)], 0.0)

    return banded(shape[0]), banded(shape[1])


def spread_impact(
    sorties: np.ndarray,
    spread_cells: float,
    matrices: tuple[np.ndarray, np.ndarray] | None = None,
    cell_area_km2: float = 1.0,
) -> np.ndarray:
    """Spread each strike's effect over nearby cells (Gaussian, mass-preserving), per km².

    Args:
        sorties: Strikes per cell, ``(rows, cols)``.
        spread_cells: Standard deviation of the spread, in cells (0 = no spread).
        matrices: :func:`spread_matrices` for this shape and spread, if already made.
        cell_area_km2: Area of one cell; the spread strikes are divided by it.

    Returns:
        Strike density, sortie-equivalents per km², ``(rows, cols)``: its sum times
        ``cell_area_km2`` is the number of sorties, whatever the cell size.
    """
    impact = sorties.astype(float)
    if spread_cells > 0:
        rows_matrix, cols_matrix = matrices or spread_matrices(impact.shape, spread_cells)
        impact = rows_matrix @ impact @ cols_matrix.T
    if cell_area_km2 != 1.0:
        impact /= cell_area_km2
    return impact


def update_hazard(hazard: np.ndarray, impact: np.ndarray, decay_per_day: float) -> np.ndarray:
    """Hazard after one day: old hazard decays, today's impact adds.

    ``hazard`` and ``impact`` share a unit (sortie-equivalents per km² from
    :func:`spread_impact`); the result is in it too.
    """
    return hazard * decay_per_day + impact


def deaths_per_cell(
    rng: np.random.Generator, people: np.ndarray, impact: np.ndarray, lethality: float
) -> tuple[np.ndarray, np.ndarray]:
    """Civilian deaths from today's strikes, per cell.

    Each person dies with probability ``1 - exp(-lethality * impact)`` independently, so a
    cell's deaths are one binomial draw; :func:`share_without_replacement` then tells
    which of its groups they belonged to (the same law as one draw per group). With
    ``impact`` a density (sorties per km²) and ``lethality`` a lethal area (km² per
    sortie), a sortie's expected dead are the people per km² it hits times its lethal
    area, whatever the cell size.

    Args:
        rng: Random generator.
        people: People present per cell, ``(rows, cols)`` int.
        impact: Effective strike density, sortie-equivalents per km², ``(rows, cols)``.
        lethality: Lethal area of a sortie, km² (deaths per person per unit of impact).

    Returns:
        ``(cells, dead)``: flat indices of the cells with at least one death, and their
        deaths, each ``(k,)`` int.
    """
    if lethality <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    people = people.ravel()
    impact = impact.ravel()
    cells = ((impact > 0) & (people > 0)).nonzero()[0]
    dead = rng.binomial(people[cells], -np.expm1(-lethality * impact[cells]))
    hit = dead > 0
    return cells[hit], dead[hit]


#: Up to this many picks per column, :func:`share_without_replacement` draws them one by
#: one; beyond it, a hypergeometric draw per group. numpy's hypergeometric costs about
#: 20 us a call however few it draws, and a cell of a big population can lose hundreds
#: in a day; a pick one by one costs well under a microsecond.
FEW_PICKS = 32


def share_without_replacement(
    rng: np.random.Generator, groups: np.ndarray, picks: np.ndarray
) -> np.ndarray:
    """Pick ``picks[j]`` people at random from column ``j`` of ``groups``, without replacement.

    The multivariate hypergeometric law, independently per column.

    Args:
        rng: Random generator.
        groups: People per group (rows) and column, ``(g, n)`` int.
        picks: People picked from each column, ``(n,)`` int, at most the column's sum.

    Returns:
        ``(g, n)`` int: picked per group; columns sum to ``picks``.
    """
    taken = np.zeros_like(groups)
    few = picks <= FEW_PICKS
    cols = (few & (picks > 0)).nonzero()[0]
    if cols.size:
        # One person at a time, each uniform over the people not yet picked: position
        # floor(u * remaining) for a uniform u in [0, 1). All the u are drawn in one call
        # (numpy's integers costs ~9 us a call with array bounds); the rounding of u
        # shifts a position's chance by less than remaining / 2**53.
        columns = groups[:, cols].T.tolist()
        n_picks = picks[cols].tolist()
        uniforms = iter(rng.random(sum(n_picks)).tolist())
        picked = []
        for left, n in zip(columns, n_picks, strict=True):
            got = [0] * len(left)
            remaining = sum(left)
            for _ in range(n):
                position = int(next(uniforms) * remaining)
                remaining -= 1
                group = 0
                while position >= left[group]:
                    position -= left[group]
                    group += 1
                left[group] -= 1
                got[group] += 1
            picked.append(got)
        taken[:, cols] = np.array(picked, dtype=taken.dtype).T
    cols = (~few).nonzero()[0]
    if cols.size:
        others = groups[:, cols].sum(axis=0)
        remaining = picks[cols]
        for g in range(len(groups) - 1):
            group = groups[g, cols]
            others = others - group
            taken[g, cols] = rng.hypergeometric(group, others, remaining)
            remaining = remaining - taken[g, cols]
        taken[-1, cols] = remaining
    return taken
