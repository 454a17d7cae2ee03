"""The Mesa grid helper: the grid it builds and the layers it attaches."""

import random

import numpy as np
import pytest
from mesa.discrete_space import OrthogonalVonNeumannGrid

from sim.world.layers import attach_layer, build_grid


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (3, 5), (6, 2)])
def test_linked_grid_is_the_grid_mesa_builds(shape):
    # The one-pass linking must give every cell the neighbours Mesa gives it, under
    # the same keys and in the same order (neighbour order drives random choices).
    ours = build_grid(shape, random.Random(0))
    mesa_grid = OrthogonalVonNeumannGrid(shape, torus=False, random=random.Random(0))
    assert isinstance(ours, OrthogonalVonNeumannGrid)
    for coordinate, cell in mesa_grid._cells.items():
        expected = [(key, other.coordinate) for key, other in cell.connections.items()]
        got = [
            (key, other.coordinate) for key, other in ours._cells[coordinate].connections.items()
        ]
        assert got == expected
    assert [c.coordinate for c in ours.all_cells] == [c.coordinate for c in mesa_grid.all_cells]


def test_layers_share_the_models_arrays():
    grid = build_grid((3, 4), random.Random(0))
    values = np.arange(12.0).reshape(3, 4)
    array = attach_layer(grid, "risk", values)
    array[1, 2] = -5.0  # the model mutates its arrays in place
    assert grid.risk.data[1, 2] == -5.0  # the array behind the layer
    assert grid._cells[(1, 2)].risk == -5.0
