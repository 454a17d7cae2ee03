"""Displacement: perceived risk, leaving, choosing a destination, and arriving.

Pure functions over integer count arrays and a ``numpy.random.Generator``. Every flow is a
binomial or multinomial draw on integer counts, which is statistically the same as every
person deciding independently, at the cost of one draw per group.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.stats import norm

from sim.mechanisms.stencils import box_sum_km


def tolerance_levels(median: float, sigma: float, n_classes: int) -> np.ndarray:
    """Risk tolerance of each class: log-normal quantiles at ``(q + 0.5) / n``, shape ``(n,)``."""
    q = (np.arange(n_classes) + 0.5) / n_classes
    return median * np.exp(sigma * norm.ppf(q))


def perceived_risk(
    memory: np.ndarray,
    hazard: np.ndarray,
    front_proximity: np.ndarray,
    control_changed: np.ndarray | float,
    neighbours_leaving: np.ndarray,
    weights: tuple[float, float, float, float],
    memory_decay_per_day: float,
) -> np.ndarray:
    """Risk people feel in each cell today, remembering past days.

    Args:
        memory: Yesterday's perceived risk, ``(rows, cols)``.
        hazard: Bombardment hazard.
        front_proximity: 0..1, ``exp(-distance to an active front / scale)``.
        control_changed: 0..1, nearness to ground that changed hands in the last few
            days (1 on it; a scalar 0 when no cell did).
        neighbours_leaving: Share of people nearby who left yesterday, 0..1.
        weights: Weights of (hazard, front, control change, neighbours leaving).
        memory_decay_per_day: Share of yesterday's risk still felt today.
    """
    w_h, w_f, w_c, w_s = weights
    risk = w_h * hazard  # summed in place: one array instead of one per term
    risk += w_f * front_proximity
    risk += w_c * control_changed
    risk += w_s * neighbours_leaving
    risk *= 1.0 - memory_decay_per_day
    risk += memory_decay_per_day * memory
    return risk


def changed_ground_nearness(changed: np.ndarray, cell_km: float, scale_km: float) -> np.ndarray:
    """How much of the ground around each cell changed hands, 0..1.

    1 on the ground that changed hands; elsewhere the share of the ground around the
    cell that did, weighted by a Gaussian of standard deviation ``scale_km`` (nothing
    changed beyond the grid's edge). A share of ground is a ratio of areas, so the field
    is the same on every grid: four 1 km cells taken weigh what one 2 km cell does. (A
    distance to the nearest changed cell is not: the ground within a few km of some
    patch grows with the number of patches, and a day's fighting leaves more, smaller
    patches on smaller cells.)

    Args:
        changed: bool ``(rows, cols)``, the cells that changed hands.
        cell_km: Cell side, km.
        scale_km: Standard deviation of the Gaussian, km.

    Returns:
        Float ``(rows, cols)``; all zeros when no cell changed hands.
    """
    if not changed.any():
        return np.zeros(changed.shape)
    share = ndimage.gaussian_filter(changed.astype(float), scale_km / cell_km, mode="constant")
    return np.maximum(share, changed, out=share)


def leave_probability(
    risk: np.ndarray,
    tolerance: np.ndarray | float,
    max_probability: float,
    steepness: float = 2.0,
) -> np.ndarray:
    """Daily chance of leaving for each tolerance class: a Hill curve in ``risk / tolerance``.

    ``max_probability * x / (1 + x)`` with ``x = (risk / tolerance) ** steepness``: half
    the maximum at ``risk == tolerance``; the larger ``steepness``, the fewer leave below
    their tolerance and the faster they go above it.

    Returns:
        Shape ``(n_classes, *risk.shape)``, or ``risk.shape`` for a single tolerance
        given as a number; increasing in risk, decreasing in tolerance.
    """
    if steepness == 2.0:  # the common case, squared without a power
        r_n = np.square(risk)
        t_n = np.square(tolerance)
    else:
        r_n = np.power(risk, steepness)
        t_n = np.power(tolerance, steepness)
    if np.ndim(tolerance) == 0:
        return max_probability * r_n / (r_n + t_n)
    r_n = r_n[None, ...]
    t_n = np.asarray(t_n).reshape((-1,) + (1,) * risk.ndim)
    return max_probability * r_n / (r_n + t_n)


def neighbours_leaving_share(
    left: np.ndarray, present: np.ndarray, cell_km: float, window_km: float
) -> np.ndarray:
    """Share of the people around each cell who left yesterday, 0..1.

    Around a cell is a square of ``window_km`` centred on it, each cell counting with the
    share of its area inside (:func:`~sim.mechanisms.stencils.box_sum_km`), so the
    neighbourhood holds the same ground on every grid.

    Args:
        left: People who left each cell yesterday, ``(rows, cols)`` int.
        present: People in each cell before they left (so ``left <= present``).
        cell_km: Side of a cell, km.
        window_km: Side of the square, km.
    """
    # Where nobody is near, nobody left (left <= present): the share is 0 there.
    left_sum, present_sum = box_sum_km(np.stack([left, present]), cell_km, window_km)
    return np.divide(left_sum, present_sum, out=np.zeros_like(left_sum), where=present_sum > 0)


# Reference implementation, used by the tests only (the model uses separable_logit_shares).
def choice_probabilities(utility: np.ndarray) -> np.ndarray:
    """Multinomial-logit choice shares per row; ``-inf`` marks an unavailable option.

    Args:
        utility: ``(n_origins, n_destinations)``.

    Returns:
        Same shape; each row sums to 1, or is all zero when nothing is available.
    """
    finite = np.isfinite(utility)
    shifted = np.where(finite, utility, -np.inf)
    top = np.max(np.where(finite, utility, -np.inf), axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    expu = np.where(finite, np.exp(shifted - top), 0.0)
    total = expu.sum(axis=1, keepdims=True)
    return np.divide(expu, total, out=np.zeros_like(expu), where=total > 0)


def separable_logit_shares(route_weight: np.ndarray, option_utility: np.ndarray) -> np.ndarray:
    """Logit choice shares when utility splits into a per-route and a per-option part.

    With ``utility[i, j] = b[i, j] + a[j]`` the shares are proportional to
    ``exp(b[i, j]) * exp(a[j])``; the same as :func:`choice_probabilities`, but the
    route part can be computed once per route change instead of every day.

    Args:
        route_weight: ``exp(b)``, ``(n_origins, n_options)``; 0 where unreachable. Any
            positive factor per row cancels out.
        option_utility: ``a``, ``(n_options,)``; ``-inf`` where the option is closed.

    Returns:
        ``(n_origins, n_options)``; rows sum to 1, or are all zero when nothing open can
        be reached.
    """
    top = option_utility.max(initial=-np.inf)
    if top == -np.inf:  # nothing is open
        return np.zeros(route_weight.shape)
    w = route_weight * np.exp(option_utility - top)[None, :]  # exp(-inf) = 0: closed
    total = w.sum(axis=1)
    # A row whose reachable places all lie far below the best open place overall can
    # underflow to zero: shift those rows by their own best reachable place instead.
    zero = (total == 0).nonzero()[0]
    if zero.size == 0:
        w /= total[:, None]
        return w
    ok = (route_weight[zero] > 0) & np.isfinite(option_utility)[None, :]
    lost, ok = zero[ok.any(axis=1)], ok[ok.any(axis=1)]
    if lost.size:
        a = np.where(ok, option_utility[None, :], -np.inf)
        w[lost] = np.where(ok, route_weight[lost] * np.exp(a - a.max(axis=1, keepdims=True)), 0)
        total[lost] = w[lost].sum(axis=1)
    return np.divide(w, total[:, None], out=np.zeros_like(w), where=total[:, None] > 0)


def split_among(rng: np.random.Generator, people: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Multinomial split of ``people[i]`` over the columns of ``shares[i]``.

    Each row of ``shares`` sums to 1 (up to round-off), or is all zero; such empty rows
    must have ``people[i] == 0``.

    Returns:
        Integer array ``(n, k)`` whose rows sum to ``people``.
    """
    if people.size == 0:
        return np.zeros(shares.shape, dtype=np.int64)
    # Options nobody can choose are left out of the draw (they would get zero anyway).
    used = shares.any(axis=0).nonzero()[0]
    if used.size == 0:
        if people.any():
            raise ValueError("people to split but no option has a positive share")
        return np.zeros(shares.shape, dtype=np.int64)
    every = used.size == shares.shape[1]
    p = shares if every else shares[:, used]
    empty = (p.sum(axis=1) <= 0).nonzero()[0]
    if empty.size:
        if people[empty].any():
            raise ValueError("people to split but no option has a positive share")
        p = p.copy() if every else p
        p[empty, 0] = 1.0  # rows nobody is in; numpy needs a valid distribution
    # numpy gives the last option whatever the others leave (its share is only checked),
    # so round-off in the shares cannot lose or add anyone.
    if every:
        return rng.multinomial(people, p).astype(np.int64, copy=False)
    out = np.zeros(shares.shape, dtype=np.int64)
    out[:, used] = rng.multinomial(people, p)
    return out


def admit(arrivals: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Admit arrivals up to the room left; returns ``(admitted, turned_away)``."""
    admitted = np.minimum(arrivals, np.maximum(room, 0))
    return admitted, arrivals - admitted


def serve_queue(
    rng: np.random.Generator,
    queue: np.ndarray,
    capacity_per_day: np.ndarray,
    is_open: np.ndarray,
    giveup_per_day: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One day at checkpoints (or a border crossing): pass up to capacity, the rest may give up.

    Args:
        rng: Random generator.
        queue: People waiting at each point, ``(k,)`` int.
        capacity_per_day: Most people each point lets through today, ``(k,)`` int.
        is_open: bool ``(k,)``.
        giveup_per_day: Chance a person waiting at a closed point gives up today.

    Returns:
        ``(passed, gave_up, queue_after)``, each ``(k,)`` int.
    """
    passed = np.where(is_open, np.minimum(queue, capacity_per_day), 0)
    waiting = queue - passed
    gave_up = np.zeros_like(waiting)
    closed = (~is_open & (waiting > 0)).nonzero()[0]
    if closed.size:  # drawn only where someone waits at a closed point (rarely anyone)
        gave_up[closed] = rng.binomial(waiting[closed], giveup_per_day)
    return passed, gave_up, waiting - gave_up
