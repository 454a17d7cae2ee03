"""Escalation ladders: the pressure each state feels, and the one-rung move it makes.

Pure functions. A state's pressure is a dimensionless score; each rung has an
``enter_at`` level. A state climbs one rung when pressure reaches the next rung's level,
steps down one rung when pressure falls below ``enter_at x (1 - hysteresis)`` of its
current rung, and never moves twice within ``cooldown_days``.

A rung may name the signals that can carry a state onto it (and keep it there): its
pressure is then counted from those signals only (:func:`pressure_by_rung`). A rung may
also wait for the other side: it counts no pressure until the other side stands at least
that high on its own ladder (:func:`gate_by_other_side`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def decide_rung(
    rung: int,
    enter_at: Sequence[float],
    pressure: float | Sequence[float],
    days_since_move: int,
    cooldown_days: int,
    hysteresis: float,
) -> int:
    """Return the rung after today's decision: ``rung - 1``, ``rung`` or ``rung + 1``.

    Args:
        rung: Current rung index (0 = bottom).
        enter_at: Pressure level of each rung, non-decreasing, shape ``(n_rungs,)``.
        pressure: Today's pressure score, or the score as each rung counts it, shape
            ``(n_rungs,)`` (see :func:`pressure_by_rung`): climbing compares the next
            rung's score with its ``enter_at``, stepping down the current rung's.
        days_since_move: Days since the state last changed rung.
        cooldown_days: Minimum days between two moves.
        hysteresis: Relative gap between climbing onto and stepping off a rung, 0..1.
    """
    if days_since_move < cooldown_days:
        return rung
    per_rung = [pressure] * len(enter_at) if isinstance(pressure, int | float) else pressure
    if rung + 1 < len(enter_at) and per_rung[rung + 1] >= enter_at[rung + 1]:
        return rung + 1
    if rung > 0 and per_rung[rung] < enter_at[rung] * (1.0 - hysteresis):
        return rung - 1
    return rung


def pressure_by_rung(
    components: Mapping[str, float],
    carried_by: Sequence[Sequence[str] | None],
    added: float = 0.0,
) -> list[float]:
    """Pressure as each rung counts it: its largest carrying component, plus ``added``.

    Args:
        components: Dimensionless pressure components, ``{signal: value / threshold}``.
        carried_by: Per rung, the names of the components that can carry the state onto
            it, or None for all of them, shape ``(n_rungs,)``.
        added: Pressure every rung counts whatever carries it (e.g. the other side's rung).

    Returns:
        One score per rung; a rung none of whose signals is present scores ``added``.
    """
    out = []
    for names in carried_by:
        allowed = components.values() if names is None else [components[n] for n in names]
        out.append(max(allowed, default=0.0) + added)
    return out


def gate_by_other_side(
    pressure: Sequence[float], other_side_share: float, at_least: Sequence[float | None]
) -> list[float]:
    """Pressure per rung, 0 on each rung whose gate the other side's rung does not open.

    Args:
        pressure: Today's pressure as each rung counts it, shape ``(n_rungs,)``.
        other_side_share: The other side's position on its ladder, 0 (bottom) to 1 (top).
        at_least: Per rung, the share the other side must hold for the rung to count its
            pressure, or None for no gate, shape ``(n_rungs,)``.

    Returns:
        One score per rung: a closed rung scores 0, so a state cannot climb onto it and
        steps down off it.
    """
    return [
        p if gate is None or other_side_share >= gate - 1e-9 else 0.0
        for p, gate in zip(pressure, at_least, strict=True)
    ]


def weighted_components(signals: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Turn ``{name: (value, threshold)}`` into ``{name: value / threshold}``."""
    return {name: (value / scale if scale > 0 else 0.0) for name, (value, scale) in signals.items()}


def dominant(components: dict[str, float], among: Sequence[str] | None = None) -> str:
    """Name of the largest component (ties: first in order), of ``among`` if given."""
    names = list(components) if among is None else [n for n in components if n in among]
    return max(names, key=lambda k: components[k])
