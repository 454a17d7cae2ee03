"""Ground combat on the front: which cells change hands, and who loses how many fighters.

Pure functions. Control codes are those of :mod:`sim.world.codes`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, special

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


def spread_defence(
    power: float, attack_effort: np.ndarray, line_km: np.ndarray, concentration: float
) -> np.ndarray:
    """A group's combat power on each front cell it holds, ``(n,)``; sums to ``power``.

    Args:
        power: The group's combat power (fighters times multipliers).
        attack_effort: The attacker's relative effort on each of those cells, ``(n,)``.
        line_km: Km of line each of those cells stands for, ``(n,)``.
        concentration: Share of the power moved to where the attack falls (in proportion
            to its effort), 0..1; the rest is spread evenly along the line.
    """
    n = attack_effort.size
    even = np.full(n, 1.0 / n)
    total_km = float(line_km.sum())
    along = line_km / total_km if total_km > 0 else even
    total = float(attack_effort.sum())
    where = attack_effort / total if total > 0 else along
    return power * ((1.0 - concentration) * along + concentration * where)


def alliance_defence(
    held: np.ndarray,
    power_by_group: dict[int, float],
    attack_effort: np.ndarray,
    line_km: np.ndarray,
    concentration: float,
    pooled_share: float,
) -> np.ndarray:
    """The rebels' combat power on each front cell, ``(n,)``.

    Each group keeps ``1 - pooled_share`` of its power on the front cells it holds and
    puts ``pooled_share`` of it on the whole front both groups hold, each part spread by
    :func:`spread_defence`. With ``pooled_share`` 0 a group defends only its own line (a
    group holding no front cell then adds nothing); with 1 the two fight as one force
    and a cell's defence does not depend on which of them holds it.

    Args:
        held: Control code of each front cell, ``(n,)``.
        power_by_group: Combat power (fighters times multipliers) by control code.
        attack_effort: The attacker's relative effort on each cell, ``(n,)``.
        line_km: Km of line each cell stands for, ``(n,)``.
        concentration: Share of each part moved to where the attack falls, 0..1.
        pooled_share: Share of each group's power spread over the whole front, 0..1.

    Returns:
        float ``(n,)``; it sums to the groups' power, less the own share of groups
        holding no front cell.
    """
    out = np.zeros(held.size)
    for code, power in power_by_group.items():
        mine = held == code
        if mine.any() and pooled_share < 1.0:
            out[mine] += spread_defence(
                (1.0 - pooled_share) * power, attack_effort[mine], line_km[mine], concentration
            )
    anyone = np.isin(held, list(power_by_group))
    if anyone.any() and pooled_share > 0.0:  # the pooled shares are spread once, together
        out[anyone] += spread_defence(
            pooled_share * sum(power_by_group.values()),
            attack_effort[anyone],
            line_km[anyone],
            concentration,
        )
    return out


def capture_probability(ratio: np.ndarray, rate_per_day: float) -> np.ndarray:
    """Daily chance a cell falls, from the local attacker:defender power ratio.

    Square-law flavour: ``rate * r^2 / (1 + r^2)``; even odds give half the rate.
    """
    r2 = np.square(ratio)
    return rate_per_day * r2 / (1.0 + r2)


def government_share(
    control: np.ndarray, cell_km: float, smoothing_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """The government's share of the ground held by it or the rebels, smoothed, 0..1.

    Government-held and rebel-held ground, each averaged with a Gaussian of
    ``smoothing_km``; the share is the first over their sum. It is 0.5 on the line of
    contact smoothed at that scale.

    Returns:
        ``(share, defined)``: float and bool ``(rows, cols)``; the share is 0 where it is
        not defined (far from both sides: Turkish-held ground, beyond the map).
    """
    government = (control == GOVERNMENT).astype(float)
    either = government + ((control == HTS) | (control == NLF))
    sigma_cells = smoothing_km / cell_km
    near_government = ndimage.gaussian_filter(government, sigma_cells, mode="nearest")
    near_either = ndimage.gaussian_filter(either, sigma_cells, mode="nearest")
    defined = near_either > 0.05
    share = np.divide(near_government, near_either, out=np.zeros_like(either), where=defined)
    return share, defined


def front_km_per_cell(control: np.ndarray, cell_km: float, smoothing_km: float) -> np.ndarray:
    """Length of line each front cell stands for, km, measured smoothed over ``smoothing_km``.

    The share of government ground among government and opposition ground, averaged
    with a Gaussian of ``smoothing_km`` (:func:`government_share`), rises from 0 to 1
    across the line; the integral of its gradient's size over an area is the mean
    length of its contours there (the co-area formula). That length near each front
    cell, divided by the number of cells on either side of the line near it (each side
    counting half), is the cell's share of the line. Where the line is ragged at the
    scale of the cells there are more front cells per km and each stands for less; on a
    staircase there are fewer and each stands for more: a count of front cells times
    their side would follow the cells, this does not.

    Args:
        control: Control codes, ``(rows, cols)``.
        cell_km: Side of a cell, km.
        smoothing_km: Standard deviation of the Gaussian, km.

    Returns:
        float ``(rows, cols)``: km of line on each front cell (:func:`front_cells`), 0
        elsewhere. Its sum is the front's length (a straight line's exactly; a
        corner's is rounded at the smoothing's scale).
    """
    sigma_cells = smoothing_km / cell_km
    share, defined = government_share(control, cell_km, smoothing_km)
    d_row, d_col = np.gradient(share, cell_km)
    line_km = np.where(defined, np.hypot(d_row, d_col), 0.0) * cell_km**2
    front = front_cells(control)
    line_near = ndimage.gaussian_filter(line_km, sigma_cells, mode="nearest")
    # The line's km were spread once already by the share's own smoothing, about the
    # line itself: the cells on both sides of it (half a cell off, each way) are spread
    # twice as widely (in variance), so that the two profiles match across the line.
    both_sides = (front.astype(float) + exposed_government_cells(control)) / 2
    front_near = ndimage.gaussian_filter(both_sides, np.sqrt(2.0) * sigma_cells, mode="nearest")
    return np.divide(line_near, front_near, out=np.zeros_like(line_near), where=front)


def capture_rate_per_day(
    advance_km_per_day: float, line_km: np.ndarray, cell_km: float
) -> np.ndarray:
    """Daily chance each front cell falls when the front moves ``advance_km_per_day``.

    A cell standing for ``line_km`` of line gives ``advance x line_km`` km² a day at that
    pace, so the ground taken a day is the advance times the front's length whatever the
    cell size and however ragged the line is at the cells' scale (at most one cell a
    day).

    Args:
        advance_km_per_day: Pace of the front at overwhelming odds, km a day.
        line_km: Km of line each front cell stands for (:func:`front_km_per_cell`),
            ``(n,)``.
        cell_km: Side of a cell, km.

    Returns:
        ``(n,)``, each in 0..1.
    """
    return np.minimum(1.0, advance_km_per_day * line_km / cell_km**2)


def counterattack_ratio(
    rebel_power: float,
    government_power: float,
    front_length_km: float,
    fresh_ground_km2: float,
    depth_km: float,
) -> float:
    """Local rebel:government power ratio on just-lost ground.

    Rebels bring their power per km of front; the government holds just-taken ground
    with its power spread along ``fresh_ground_km2 / depth_km`` km of line (the more
    ground it has just taken, the thinner it holds it). Both lengths are in km, so the
    ratio does not depend on the cell size.

    Args:
        rebel_power: Rebel combat power (fighters times multipliers).
        government_power: Government power holding the front (fighters times tempo).
        front_length_km: Smoothed length of the front, km.
        fresh_ground_km2: Ground the government took in the counter-attack window and
            still holds, km².
        depth_km: Depth of just-taken ground one km of line holds, km.
    """
    rebels_per_km = rebel_power / max(front_length_km, 1e-9)
    government_per_km = government_power * depth_km / max(fresh_ground_km2, 1e-9)
    return rebels_per_km / max(government_per_km, 1e-9)


def retake_rate_per_day(
    pushback_km_per_day: float,
    fresh_ground_km2: float,
    depth_km: float,
    candidate_cells: int,
    cell_km: float,
) -> float:
    """Daily chance a just-lost cell on the line is retaken at overwhelming odds.

    Rebels push back ``pushback_km_per_day`` along ``fresh_ground_km2 / depth_km`` km of
    line; the ground that gains, km² a day, is shared among the ``candidate_cells`` (at
    most one cell a day).
    """
    if candidate_cells <= 0:
        return 0.0
    retaken_km2 = pushback_km_per_day * fresh_ground_km2 / depth_km
    return min(1.0, retaken_km2 / (candidate_cells * cell_km**2))


def lanchester_losses(
    attacker_power: float, defender_power: float, attrition_per_day: float
) -> tuple[float, float]:
    """One day of Lanchester square-law attrition: each side loses ``a x`` the other's power.

    Returns:
        ``(attacker_losses, defender_losses)`` in fighters.
    """
    return attrition_per_day * defender_power, attrition_per_day * attacker_power


def correlated_uniforms(
    rng: np.random.Generator, shape: tuple[int, int], scale_km: float, cell_km: float
) -> np.ndarray:
    """Uniform draws on (0, 1), one per cell, that are alike within about ``scale_km``.

    White noise smoothed by a Gaussian of ``scale_km``, rescaled to unit variance and
    mapped through the normal distribution function. A cell falls when its draw is
    under its chance, so neighbours within the scale tend to fall on the same day: the
    line is as ragged on every grid, rather than ragged at the scale of the cells.

    Returns:
        float ``(rows, cols)``, each uniform on (0, 1).
    """
    sigma_cells = scale_km / cell_km
    smoothed = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_cells, mode="wrap")
    return special.ndtr(smoothed / _smoothed_noise_sd(sigma_cells))


def _smoothed_noise_sd(sigma_cells: float) -> float:
    """Standard deviation of unit white noise after a Gaussian filter of ``sigma_cells``."""
    half = int(4 * sigma_cells + 1)
    impulse = np.zeros((2 * half + 1, 2 * half + 1))
    impulse[half, half] = 1.0
    kernel = ndimage.gaussian_filter(impulse, sigma_cells, mode="constant")
    return float(np.sqrt(np.square(kernel).sum()))


def draw_among(rng: np.random.Generator, probability: np.ndarray) -> np.ndarray:
    """Indices of the cells drawn, each independently with its ``probability`` ``(n,)``."""
    if probability.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(rng.random(probability.size) < probability)
