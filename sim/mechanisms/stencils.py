"""Neighbourhood sums and contact tests on the grid.

Contact between cells (which cells touch, a 3x3 count) is a matter of cells and uses
plain shifted views: the grid is small and these run several times a day. A
neighbourhood of people is a matter of km (:func:`box_sum_km`): a window of fixed ground
whatever the cell size. Cells outside the grid count as empty.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def box_sum_3x3(values: np.ndarray) -> np.ndarray:
    """Sum over each cell's 3x3 neighbourhood (itself included) on the last two axes.

    Args:
        values: ``(..., rows, cols)``; leading axes are treated as separate layers.

    Returns:
        Same shape and type.
    """
    *layers, n_rows, n_cols = values.shape
    padded = np.zeros((*layers, n_rows + 2, n_cols + 2), dtype=values.dtype)
    padded[..., 1:-1, 1:-1] = values  # np.pad is slower
    down = padded[..., :-2, :] + padded[..., 1:-1, :]
    down += padded[..., 2:, :]
    out = down[..., :-2] + down[..., 1:-1]
    out += down[..., 2:]
    return out


def box_sum_km(values: np.ndarray, cell_km: float, side_km: float) -> np.ndarray:
    """Sum over a square of ``side_km`` centred on each cell, on the last two axes.

    Each cell counts with the share of its area inside the square, so the window holds
    the same ground on every grid: on 2 km cells a 6 km square is the 3x3 neighbourhood,
    on 3 km cells the cell itself and half of each neighbour, on 1 km cells seven cells
    a side with the outer ones at half weight. Beyond the grid's edge counts nothing.

    Args:
        values: ``(..., rows, cols)``; leading axes are treated as separate layers.
        cell_km: Side of a cell, km.
        side_km: Side of the square, km.

    Returns:
        Same shape, float.
    """
    weights = square_window_weights(cell_km, side_km)
    out = ndimage.correlate1d(values.astype(float), weights, axis=-1, mode="constant")
    return ndimage.correlate1d(out, weights, axis=-2, mode="constant")


def square_window_weights(cell_km: float, side_km: float) -> np.ndarray:
    """Share of each cell, along one axis, inside a window of ``side_km`` centred on a cell.

    Returns:
        ``(2k + 1,)``, symmetric, the centre 1 (or ``side_km / cell_km`` if smaller).
    """
    half_km = side_km / 2
    reach = int(np.ceil(half_km / cell_km - 0.5))
    centres_km = np.arange(-reach, reach + 1) * cell_km
    low = np.maximum(centres_km - cell_km / 2, -half_km)
    high = np.minimum(centres_km + cell_km / 2, half_km)
    return np.clip(high - low, 0.0, None) / cell_km


def touches_4(mask: np.ndarray) -> np.ndarray:
    """Whether the cell or one of its 4 edge neighbours is in ``mask``: bool ``(rows, cols)``."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out
