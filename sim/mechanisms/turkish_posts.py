"""Government ground fire on Turkish observation posts the front has reached.

Pure functions. A post is under fire while the front runs within a given distance of it:
in opposition ground with government ground near, or encircled, in government ground
with opposition ground near (Turkey kept its encircled posts manned, as at Morek from
August 2019). Its soldiers are then killed at a rate that grows with the troops Turkey
has exposed there and with the offensive's tempo.
"""

from __future__ import annotations

import numpy as np


def posts_under_fire(
    held_by_opposition: np.ndarray,
    distance_to_government_km: np.ndarray,
    distance_to_opposition_km: np.ndarray,
    radius_km: float,
) -> int:
    """Number of posts with the front within ``radius_km``.

    Args:
        held_by_opposition: Whether each post's cell is opposition ground, shape ``(n_posts,)``.
        distance_to_government_km: Distance from each post's cell to government ground, km,
            shape ``(n_posts,)``.
        distance_to_opposition_km: Distance from each post's cell to opposition ground, km,
            shape ``(n_posts,)``.
        radius_km: How close the other side's ground must be, km.
    """
    distance_to_other_side_km = np.where(
        held_by_opposition, distance_to_government_km, distance_to_opposition_km
    )
    return int(np.count_nonzero(distance_to_other_side_km <= radius_km))


def draw_killed_at_posts(
    rng: np.random.Generator,
    posts: int,
    offensive_intensity: float,
    troop_exposure: float,
    killed_per_post_day: float,
) -> int:
    """Turkish soldiers killed today at the posts under fire (a Poisson draw).

    Args:
        rng: Random generator (drawn from only when the expectation is positive).
        posts: Posts under fire today.
        offensive_intensity: The government's ground tempo, 0..1.
        troop_exposure: Turkey's troop exposure on its current rung (1 = a normal garrison).
        killed_per_post_day: Expected soldiers killed a day at one post under fire per unit
            of exposure and of intensity.
    """
    expected = killed_per_post_day * posts * offensive_intensity * troop_exposure
    return int(rng.poisson(expected)) if expected > 0 else 0
