"""The share of leavers choosing a checkpoint does not depend on the cell size (issue #15).

Routes to a checkpoint end at its approach, behind the line of contact
(:func:`sim.mechanisms.routing.gate_approaches`). A synthetic map puts one straight line,
one checkpoint, one camp and evenly spread leavers on grids of 1, 1.5, 2 and 3 km; the
real map compares the default scenario's day-0 choice on the same four grids. Before the
change, routes ran on to the checkpoint's own cell through government-held ground at 8
times the cost per km, and on the real map the day-0 shares of Abu al-Duhur and Suran
were 1.74 and 2.13 times as large on 1.5 km cells as on 2 km cells.
"""

import numpy as np
import pytest
from conftest import DEFAULT

from sim.mechanisms import displacement as disp
from sim.mechanisms import routing
from sim.mechanisms.combat import front_cells
from sim.model import EscalationModel
from sim.world.codes import GOVERNMENT, HTS
from sim.world.loader import load_scenario

CELLS_KM = (1.0, 1.5, 2.0, 3.0)
SIDE_KM = 60.0
LINE_KM = 33.3  # government holds the ground east of this line (on no cell edge)
ROUTE_CELL_KM = 4.0
COST_PER_KM = 0.03
PULL = {"camp": 1.0, "checkpoint": -5.0}


def _cell(cell_km: float, y_km: float, x_km: float) -> tuple[int, int]:
    return int(y_km // cell_km), int(x_km // cell_km)


def _checkpoint_share(cell_km: float, checkpoint_x_km: float) -> float:
    """Share of leavers spread evenly over x 5-30 km choosing the checkpoint over the camp."""
    n = round(SIDE_KM / cell_km)
    x_km = (np.arange(n) + 0.5) * cell_km
    control = np.full((n, n), HTS, dtype=np.int8)
    control[:, x_km > LINE_KM] = GOVERNMENT
    government = control == GOVERNMENT
    front = front_cells(control)
    cost = routing.cell_costs(government, front, 8.0, 4.0, cell_km)
    graph = routing.RouteGraph(np.ones((n, n), bool), cell_km, round(ROUTE_CELL_KM / cell_km))
    gate = _cell(cell_km, 30.0, checkpoint_x_km)
    (approach,) = routing.gate_approaches(graph, ~government, front, [gate])
    camp = _cell(cell_km, 30.0, 1.0)
    km = graph.distances(cost, [approach, camp])
    weight = np.exp(np.array([PULL["checkpoint"], PULL["camp"]])[:, None, None] - COST_PER_KM * km)
    share = weight[0] / weight.sum(axis=0)
    leavers = (x_km >= 5.0) & (x_km <= 30.0)  # per cell, people in proportion to area
    return float(share[:, leavers].mean())


def test_the_checkpoint_share_on_a_straight_line_does_not_follow_the_cell():
    shares = {c: _checkpoint_share(c, checkpoint_x_km=40.1) for c in CELLS_KM}
    for cell_km, share in shares.items():
        assert share == pytest.approx(shares[2.0], rel=0.10), (cell_km, shares)


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_how_deep_the_checkpoint_lies_behind_the_line_is_not_counted(cell_km):
    near, deep = (_checkpoint_share(cell_km, x) for x in (34.5, 47.0))
    assert deep == pytest.approx(near, rel=1e-9)


def test_an_approach_lies_behind_the_line_in_a_routing_cell_wholly_on_its_side():
    control = np.full((12, 12), HTS, dtype=np.int8)
    control[:, 7:] = GOVERNMENT
    front = front_cells(control)
    graph = routing.RouteGraph(np.ones((12, 12), bool), 1.0, factor=2)
    (approach,) = routing.gate_approaches(graph, control != GOVERNMENT, front, [(5, 9)])
    # Column 6 is the front, so the routing cells of columns 6-7 straddle the line: the
    # nearest routing cell wholly behind it holds columns 4-5, and its column 5 is nearest.
    assert approach == (5, 5)


def _day0_checkpoint_shares(cell_km: float) -> np.ndarray:
    """Day-0 share of leavers (in proportion to people at home) choosing each checkpoint,
    all checkpoints taken as open, ``(n_checkpoints,)``."""
    model = EscalationModel(load_scenario(DEFAULT, [f"grid.cell_km={cell_km}"]))
    table = model.destinations
    open_now = table.available()
    open_now[table.checkpoint_index] = True
    places, weight, _ = table.routes_to_open_places(open_now)
    shares = disp.separable_logit_shares(weight, table.option_utility(open_now)[places])
    people = model.geo.population0.ravel()
    per_group = np.bincount(table.group_of, weights=people, minlength=len(weight))
    chosen = per_group @ shares / people.sum()
    return chosen[np.searchsorted(places, table.checkpoint_index)]


def test_the_default_map_gives_each_checkpoint_the_same_share_on_every_grid():
    shares = {c: _day0_checkpoint_shares(c) for c in CELLS_KM}
    assert (shares[2.0] > 0).all()
    for cell_km, share in shares.items():
        np.testing.assert_allclose(share, shares[2.0], rtol=0.10, err_msg=f"{cell_km} km")
