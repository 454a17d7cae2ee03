"""The one place that touches Mesa's grid layers (Mesa 4 drops PropertyLayer).

Mechanisms work on plain numpy arrays; the grid exposes the same arrays as named
layers so that Mesa tools (and the classroom app) can read them.
"""

from __future__ import annotations

import gc
import random

import numpy as np
from mesa.discrete_space import OrthogonalVonNeumannGrid, PropertyLayer


class LinkedVonNeumannGrid(OrthogonalVonNeumannGrid):
    """Mesa's von Neumann grid, its cells linked in one pass (non-periodic, 2-D).

    Mesa links each new cell through ``Cell.connect``, which also clears two neighbourhood
    caches per link: nearly half of building a grid of a few thousand cells. A new grid
    has nothing cached, so this fills each cell's ``connections`` directly, with the same
    keys in the same order, and yields the same grid.
    """

    def _connect_cells_2d(self) -> None:
        if self.torus:
            super()._connect_cells_2d()
            return
        cells = self._cells
        n_rows, n_cols = self.dimensions
        for (i, j), cell in cells.items():
            links = cell.connections
            if i > 0:
                links[(-1, 0)] = cells[i - 1, j]
            if j > 0:
                links[(0, -1)] = cells[i, j - 1]
            if j < n_cols - 1:
                links[(0, 1)] = cells[i, j + 1]
            if i < n_rows - 1:
                links[(1, 0)] = cells[i + 1, j]


def build_grid(shape: tuple[int, int], rng: random.Random) -> OrthogonalVonNeumannGrid:
    """A non-periodic von Neumann grid of ``shape`` cells.

    Python's cyclic garbage collector is paused while the cells are made and linked:
    the grid creates a few objects per cell, and in a process that has just imported
    numpy, scipy and Mesa each automatic collection walks all those imports, which
    makes the first build several times slower. Nothing is left unreachable here, so
    the pause frees nothing later than it would have been.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return LinkedVonNeumannGrid(shape, torus=False, random=rng)
    finally:
        if was_enabled:
            gc.enable()


def attach_layer(grid: OrthogonalVonNeumannGrid, name: str, initial: np.ndarray) -> np.ndarray:
    """Add a property layer holding a copy of ``initial``; return the layer's own array.

    Mutate the returned array in place (``a[...] = b``) so the grid sees every change.
    """
    layer = PropertyLayer(
        name, initial.shape, default_value=initial.dtype.type(0), dtype=initial.dtype.type
    )
    layer.data = initial
    grid.add_property_layer(layer)
    return layer.data
