"""Cost-distance routes over the grid (Dijkstra on an 8-neighbour cell graph)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

_STEPS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, np.sqrt(2.0)), (1, -1, np.sqrt(2.0)))


def cost_distance_km(
    passable: np.ndarray, cell_cost: np.ndarray, cell_km: float, sources: list[tuple[int, int]]
) -> np.ndarray:
    """Least-cost route length from each source to every cell.

    Args:
        passable: bool ``(rows, cols)``; impassable cells have no edges.
        cell_cost: Cost multiplier per cell (>= 1); an edge costs its length times the mean
            of its two cells' multipliers.
        cell_km: Cell side, km.
        sources: ``(row, col)`` of each source; a source is passable for its own routes.

    Returns:
        ``(n_sources, rows, cols)`` cost-weighted km; ``inf`` where unreachable.
    """
    rows, cols = passable.shape
    ok = passable.copy()
    for r, c in sources:
        ok[r, c] = True
    index = np.arange(rows * cols).reshape(rows, cols)
    heads, tails, weights = [], [], []
    for dr, dc, length in _STEPS:
        r0, r1 = 0, rows - dr
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        both = ok[a] & ok[b]
        heads.append(index[a][both])
        tails.append(index[b][both])
        weights.append(cell_km * length * 0.5 * (cell_cost[a][both] + cell_cost[b][both]))
    graph = coo_matrix(
        (np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))),
        shape=(rows * cols, rows * cols),
    ).tocsr()
    if not sources:
        return np.zeros((0, rows, cols))
    src = [r * cols + c for r, c in sources]
    dist = dijkstra(graph, directed=False, indices=src)
    return dist.reshape(len(sources), rows, cols)
