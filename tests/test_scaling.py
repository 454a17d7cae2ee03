"""Work per day follows the grid, not the number of people (issue: speed).

Instead of timing, count what the mechanism functions are handed: the number of calls
and the number of array elements. At ten times the population both must stay (almost)
the same, so a regression to per-person work shows up here without timing noise.
"""

import functools

import numpy as np
import pytest
from conftest import scenario

from sim.mechanisms import bombardment, combat, displacement, routing
from sim.model import EscalationModel

MODULES = (bombardment, combat, displacement)


def _count_work(monkeypatch, total: int) -> tuple[dict[str, int], int, int]:
    calls: dict[str, int] = {}
    elements = [0]

    def wrap(name, fn):
        @functools.wraps(fn)
        def counted(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            for a in (*args, *kwargs.values()):
                if isinstance(a, np.ndarray):
                    elements[0] += a.size
            return fn(*args, **kwargs)

        return counted

    for module in MODULES:
        for name in dir(module):
            fn = getattr(module, name)
            if callable(fn) and getattr(fn, "__module__", "") == module.__name__:
                monkeypatch.setattr(module, name, wrap(f"{module.__name__}.{name}", fn))
    refreshes = [0]
    original = routing.RouteGraph.routing_distances

    def counted_distances(self, *args, **kwargs):
        refreshes[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(routing.RouteGraph, "routing_distances", counted_distances)
    model = EscalationModel(scenario(days=40, **{"population.total": total}))
    model.run()
    monkeypatch.undo()
    return calls, elements[0], refreshes[0]


@pytest.mark.parametrize("factor", [10])
def test_ten_times_the_people_is_not_more_work(monkeypatch, factor):
    # The default population: with strike lethality per km², fewer people on the coarse
    # test grid leave whole days without a death (and so without a draw of who died).
    calls_1, elements_1, refresh_1 = _count_work(monkeypatch, 3_000_000)
    calls_n, elements_n, refresh_n = _count_work(monkeypatch, 3_000_000 * factor)
    assert calls_1, "the counting wrappers saw no mechanism call"
    daily = {k for k, v in calls_1.items() if v >= 40}
    assert daily, "expected mechanisms called every day"
    for name, n in calls_n.items():
        # Some calls happen only on days with fighting, which differ between the runs.
        assert n <= 1.1 * calls_1.get(name, 0) + 3, name
    # Arrays are sized by cells (and destinations), not people: at most a small
    # difference from how many cells happen to send anyone on a given day.
    assert elements_n <= 1.25 * elements_1
    assert refresh_1 > 0, "the route counter saw no refresh"
    assert refresh_n <= refresh_1 + 5
