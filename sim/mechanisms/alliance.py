"""The HTS-NLF alliance: rivals whose cooperation rises under threat and decays without it."""

from __future__ import annotations


def rebel_threat(ground_lost_km2: float, scale_km2: float) -> float:
    """Threat to the opposition, 0..1, from ground lost over the recent window."""
    return min(1.0, max(0.0, ground_lost_km2 / scale_km2))


def update_cooperation(
    cooperation: float, threat: float, threshold: float, rise_per_day: float, decay_per_day: float
) -> float:
    """Cooperation (0..1) after one day.

    Above the threshold ("a battle for survival") it closes ``rise_per_day`` of the gap to
    1; below, it loses ``decay_per_day`` of itself.
    """
    if threat >= threshold:
        return cooperation + rise_per_day * (1.0 - cooperation)
    return cooperation * (1.0 - decay_per_day)
