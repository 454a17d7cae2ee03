"""Cost-distance routes over the grid (Dijkstra on an 8-neighbour cell graph).

Routes can be computed on a coarser graph than the model grid (``factor`` model cells
per routing cell on a side): a route's length is then known to about one routing cell,
and the cost of a refresh no longer grows with the model's resolution.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

_STEPS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, np.sqrt(2.0)), (1, -1, np.sqrt(2.0)))


def _blocks(a: np.ndarray, factor: int, fill: float) -> np.ndarray:
    """View ``a`` as ``(rows/f, cols/f, f, f)`` blocks, padding with ``fill``."""
    rows, cols = a.shape
    pr, pc = -rows % factor, -cols % factor
    padded = np.pad(a, ((0, pr), (0, pc)), constant_values=fill)
    r, c = padded.shape
    return padded.reshape(r // factor, factor, c // factor, factor).swapaxes(1, 2)


class RouteGraph:
    """The 8-neighbour graph of passable cells; edge costs change, the edges do not.

    Args:
        passable: bool ``(rows, cols)`` on the model grid; impassable cells have no edges.
        cell_km: Model cell side, km.
        factor: Model cells per routing cell on a side (1 = route on the model grid).
    """

    def __init__(self, passable: np.ndarray, cell_km: float, factor: int = 1):
        self.shape = passable.shape
        self.factor = max(1, int(factor))
        self.passable_fine = passable
        coarse = _blocks(passable, self.factor, False).any(axis=(2, 3))
        self.coarse_shape = coarse.shape
        fine_r, fine_c = np.divmod(np.arange(passable.size), passable.shape[1])
        #: Routing cell of each model cell (flat indices).
        self.routing_index = (fine_r // self.factor) * coarse.shape[1] + fine_c // self.factor
        rows, cols = coarse.shape
        step_km = cell_km * self.factor
        index = np.arange(rows * cols).reshape(rows, cols)
        heads, tails, lengths = [], [], []
        for dr, dc, length in _STEPS:
            c0, c1 = max(0, -dc), cols - max(0, dc)
            a = (slice(0, rows - dr), slice(c0, c1))
            b = (slice(dr, rows), slice(c0 + dc, c1 + dc))
            both = coarse[a] & coarse[b]
            heads.append(index[a][both])
            tails.append(index[b][both])
            lengths.append(np.full(int(both.sum()), step_km * length))
        h, t, km = np.concatenate(heads), np.concatenate(tails), np.concatenate(lengths)
        # Both directions, sorted once into CSR order; later only the data changes.
        frm, to, km = np.concatenate([h, t]), np.concatenate([t, h]), np.concatenate([km, km])
        order = np.lexsort((to, frm))
        self._from, self._to, self._km = frm[order], to[order], km[order]
        indptr = np.zeros(rows * cols + 1, dtype=np.int64)
        np.add.at(indptr, self._from + 1, 1)
        n = rows * cols
        # The sparsity pattern is fixed: refreshes only overwrite the edge weights.
        self._graph = csr_matrix((self._km.copy(), self._to, np.cumsum(indptr)), shape=(n, n))
        # Passable model cells per routing cell (the denominator of its mean cost).
        self._passable_count = np.maximum(
            _blocks(passable, self.factor, False).sum(axis=(2, 3)), 1
        ).ravel()

    def routing_distances(
        self, cell_cost: np.ndarray, sources: list[tuple[int, int]]
    ) -> np.ndarray:
        """Least-cost route length (cost-weighted km) from each source to every routing cell.

        Args:
            cell_cost: Cost multiplier per model cell (>= 1); an edge costs its length
                times the mean of its two routing cells' multipliers, a routing cell's
                multiplier being the mean over its passable model cells.
            sources: ``(row, col)`` of each source on the model grid.

        Returns:
            ``(n_sources, n_routing_cells)``; ``inf`` where unreachable. Index it with
            :attr:`routing_index` to read model cells.
        """
        n = self.coarse_shape[0] * self.coarse_shape[1]
        if not sources:
            return np.zeros((0, n))
        if self.factor == 1:
            coarse_cost = cell_cost.ravel()
        else:
            cost = np.where(self.passable_fine, cell_cost, 0.0).ravel()
            coarse_cost = np.bincount(self.routing_index, weights=cost, minlength=n)
            coarse_cost /= self._passable_count
        self._graph.data[:] = self._km * 0.5 * (coarse_cost[self._from] + coarse_cost[self._to])
        src = [int(self.routing_index[r * self.shape[1] + c]) for r, c in sources]
        # Sources in one routing cell share their distances: one search per routing cell.
        unique = sorted(set(src))
        row = {cell: i for i, cell in enumerate(unique)}
        return dijkstra(self._graph, directed=True, indices=unique)[[row[s] for s in src]]

    def within_whole_routing_cells(self, mask: np.ndarray) -> np.ndarray:
        """Cells of ``mask`` whose routing cell has all its passable cells in ``mask``.

        Args:
            mask: bool ``(rows, cols)`` on the model grid.

        Returns:
            bool ``(rows, cols)``.
        """
        outside = (self.passable_fine & ~mask).ravel()
        mixed = np.bincount(self.routing_index, weights=outside) > 0
        return mask & ~mixed[self.routing_index].reshape(mask.shape)

    def distances(self, cell_cost: np.ndarray, sources: list[tuple[int, int]]) -> np.ndarray:
        """Route lengths as :meth:`routing_distances`, on the model grid.

        Returns:
            ``(n_sources, rows, cols)``; ``inf`` where unreachable or impassable.
        """
        rows, cols = self.shape
        dist = self.routing_distances(cell_cost, sources)[:, self.routing_index]
        dist = dist.reshape(len(sources), rows, cols)
        return np.where(self.passable_fine[None, ...], dist, np.inf)


def cell_costs(
    government: np.ndarray,
    front: np.ndarray,
    government_area_cost: float,
    front_crossing_km: float,
    cell_km: float,
) -> np.ndarray:
    """Route cost multiplier per model cell (>= 1), ``(rows, cols)``.

    Government-held ground costs ``government_area_cost`` per km. The front is one cell
    deep whatever the cell size, so crossing it costs an extra ``front_crossing_km``
    (its cells cost ``1 + front_crossing_km / cell_km`` per km) on any grid.

    Args:
        government: bool ``(rows, cols)``, government-held cells.
        front: bool, front cells (they win over ``government`` where both are set).
        government_area_cost: Multiplier through government-held cells.
        front_crossing_km: Extra route length of crossing the front, km.
        cell_km: Model cell side, km.
    """
    cost = np.ones(government.shape)
    cost[government] = government_area_cost
    cost[front] = 1.0 + front_crossing_km / cell_km
    return cost


def nearest_cells(mask: np.ndarray, cells: list[tuple[int, int]]) -> np.ndarray:
    """The cell of ``mask`` nearest each given cell (the cell itself if in ``mask``).

    Args:
        mask: bool ``(rows, cols)``, with at least one cell set.
        cells: ``(row, col)`` of each cell to start from (at least one).

    Returns:
        Flat indices into ``mask``, ``(len(cells),)`` int.
    """
    nearest_r, nearest_c = ndimage.distance_transform_edt(
        ~mask, return_distances=False, return_indices=True
    )
    rows, cols = (np.asarray(a, dtype=np.int64) for a in zip(*cells, strict=True))
    return nearest_r[rows, cols] * mask.shape[1] + nearest_c[rows, cols]


def gate_approaches(
    graph: RouteGraph,
    opposition: np.ndarray,
    front: np.ndarray,
    gates: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Where routes to gates in the line of contact (checkpoints) end.

    For each gate, the opposition-held cell nearest to it behind the line: not a front
    cell, in a routing cell with no front and no other side's cell. Routes that ran on
    to the gate itself would count how much of the line zone and the other side's
    ground lie on the way, which the grid knows only to half a cell (the line) or mixes
    in routing cells in proportions that follow their size (a front cell costs
    1 + crossing / cell side per km, the other side's cells ``government_area_cost``).

    Args:
        graph: The routing graph (its routing cells).
        opposition: bool ``(rows, cols)``, the side people leave from.
        front: bool ``(rows, cols)``, front cells.
        gates: ``(row, col)`` of each gate.

    Returns:
        ``(row, col)`` of each gate's approach; the gates themselves if no cell lies
        behind the line.
    """
    behind = graph.within_whole_routing_cells(opposition & ~front)
    if not gates or not behind.any():
        return list(gates)
    flat = nearest_cells(behind, gates)
    return [divmod(int(cell), opposition.shape[1]) for cell in flat]


# Reference implementation, used by the tests only (the model uses RouteGraph).
def cost_distance_km(
    passable: np.ndarray,
    cell_cost: np.ndarray,
    cell_km: float,
    sources: list[tuple[int, int]],
    factor: int = 1,
) -> np.ndarray:
    """One-off least-cost distances; see :class:`RouteGraph` (sources are made passable)."""
    ok = passable.copy()
    for r, c in sources:
        ok[r, c] = True
    return RouteGraph(ok, cell_km, factor).distances(cell_cost, sources)
