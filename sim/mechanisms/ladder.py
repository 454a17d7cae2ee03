"""Escalation ladders: the pressure each state feels, and the one-rung move it makes.

Pure functions. A state's pressure is a dimensionless score; each rung has an
``enter_at`` level. A state climbs one rung when pressure reaches the next rung's level,
steps down one rung when pressure falls below ``enter_at x (1 - hysteresis)`` of its
current rung, and never moves twice within ``cooldown_days``.
"""

from __future__ import annotations

from collections.abc import Sequence


def decide_rung(
    rung: int,
    enter_at: Sequence[float],
    pressure: float,
    days_since_move: int,
    cooldown_days: int,
    hysteresis: float,
) -> int:
    """Return the rung after today's decision: ``rung - 1``, ``rung`` or ``rung + 1``.

    Args:
        rung: Current rung index (0 = bottom).
        enter_at: Pressure level of each rung, non-decreasing, shape ``(n_rungs,)``.
        pressure: Today's pressure score.
        days_since_move: Days since the state last changed rung.
        cooldown_days: Minimum days between two moves.
        hysteresis: Relative gap between climbing onto and stepping off a rung, 0..1.
    """
    if days_since_move < cooldown_days:
        return rung
    if rung + 1 < len(enter_at) and pressure >= enter_at[rung + 1]:
        return rung + 1
    if rung > 0 and pressure < enter_at[rung] * (1.0 - hysteresis):
        return rung - 1
    return rung


def weighted_components(signals: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Turn ``{name: (value, threshold)}`` into ``{name: value / threshold}``."""
    return {name: (value / scale if scale > 0 else 0.0) for name, (value, scale) in signals.items()}


def dominant(components: dict[str, float]) -> str:
    """Name of the largest component (ties: first in order)."""
    return max(components, key=lambda k: components[k])
