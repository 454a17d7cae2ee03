"""Neighbourhood sums and contact tests on the grid, by array shifts.

The grid is small (a few thousand cells) and these run several times a day, so plain
shifted views beat general filters, whose per-call set-up costs more than the work.
Cells outside the grid count as empty.
"""

from __future__ import annotations

import numpy as np


def box_sum_3x3(values: np.ndarray, dtype: type | None = None) -> np.ndarray:
    """Sum over each cell's 3x3 neighbourhood (itself included) on the last two axes.

    Args:
        values: ``(..., rows, cols)``; leading axes are treated as separate layers.
        dtype: Type to sum in (default: that of ``values``).

    Returns:
        Same shape, in ``dtype``.
    """
    *layers, n_rows, n_cols = values.shape
    padded = np.zeros((*layers, n_rows + 2, n_cols + 2), dtype=dtype or values.dtype)
    padded[..., 1:-1, 1:-1] = values  # np.pad is slower
    down = padded[..., :-2, :] + padded[..., 1:-1, :]
    down += padded[..., 2:, :]
    out = down[..., :-2] + down[..., 1:-1]
    out += down[..., 2:]
    return out


def touches_4(mask: np.ndarray) -> np.ndarray:
    """Whether the cell or one of its 4 edge neighbours is in ``mask``: bool ``(rows, cols)``."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    return out
