"""Civilian populations: residents and the displaced, and where they can go.

Civilians act in bulk: the :class:`Residents` agent owns the at-home counts of every cell
(split into tolerance classes) and the :class:`DisplacedPeople` agent owns those sheltering
away from home and those on the road; the :class:`DestinationTable` holds the routes to
the places they can go (camps, towns, checkpoints, the crossing: :mod:`sim.agents.places`).
All counts are integers; every flow is a binomial or multinomial draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.mechanisms import displacement as disp
from sim.mechanisms.routing import RouteGraph, cell_costs, gate_approaches, nearest_cells
from sim.world.codes import GOVERNMENT, TURKEY
from sim.world.layers import attach_layer

if TYPE_CHECKING:
    from sim.model import EscalationModel

CAMP, TOWN, CHECKPOINT, CROSSING = 0, 1, 2, 3
MAX_TRAVEL_DAYS = 64  # length of the transit ring buffer
#: An open border's daily capacity when judging how full its queue is (any figure far
#: above a day's arrivals makes the queue look empty).
OPEN_BORDER_CAPACITY_FOR_FILL = 10**9


class DestinationTable:
    """Where displaced people can go: camps, towns, checkpoints and the crossing.

    Route lengths are cost-distances over the grid (danger costs more), recomputed only
    when control changes. A route to a checkpoint ends at its approach: the
    opposition-held cell nearest to it that lies behind the line, in a routing cell
    with no front and no government-held ground. The last stretch, across the line to
    the gate, is the same for everyone who chooses it and is left to
    ``checkpoint_pull``. Counted in the route, it made exits depend on the cell size:
    where the line falls between it and the checkpoint is known only to half a cell,
    and routing cells straddling the line mix front cells (1 + 4 km / cell side per km)
    and government-held cells (8 per km) in proportions that follow their size.
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        geo = model.geo
        kinds, cells = [], []
        cfg = model.config.civilians
        for camp in model.camps:
            kinds.append(CAMP)
            cells.append(camp.cell.coordinate)
        for town in geo.towns:
            kinds.append(TOWN)
            cells.append((town.row, town.col))
        for cp in model.checkpoints:
            kinds.append(CHECKPOINT)
            cells.append(cp.cell.coordinate)
        kinds.append(CROSSING)
        cells.append(model.crossing.cell.coordinate)
        self.kind = np.asarray(kinds)
        self.cells = cells
        self.flat_cell = np.asarray([r * geo.shape[1] + c for r, c in cells])
        home = np.asarray([model.population_home_start[r, c] for r, c in cells])
        self.town_host_capacity = np.maximum(cfg.town_host_share * home, cfg.town_host_min_people)
        self._pull: tuple[tuple, np.ndarray] = ((), np.zeros(0))
        factor = max(1, round(cfg.route_cell_km / geo.cell_km))
        self.graph = RouteGraph(model.control != TURKEY, geo.cell_km, factor)
        self.checkpoint_index = np.flatnonzero(self.kind == CHECKPOINT)
        self.crossing_index = int(np.flatnonzero(self.kind == CROSSING)[0])
        #: Places with a queue: the checkpoints, then the crossing.
        self.queue_index = np.append(self.checkpoint_index, self.crossing_index)
        self.camp_index = np.flatnonzero(self.kind == CAMP)
        self.town_index = np.flatnonzero(self.kind == TOWN)
        self._town_cells = self.flat_cell[self.town_index]
        self._town_capacity = self.town_host_capacity[self.town_index]
        #: Places where people shelter on arrival (camps and towns).
        self.shelters = (self.kind == CAMP) | (self.kind == TOWN)
        # Route tables are kept per routing cell; routing_of maps model cells onto them.
        self.routing_of = self.graph.routing_index
        self.fallback_cell = np.asarray(self.flat_cell)
        # Choice groups: people leaving cells of one routing cell share their choice
        # shares, except in a cell holding a place (they cannot choose it): each such
        # cell is a group of its own, numbered after the routing cells in cell order.
        #: Flat cells holding at least one destination, ascending.
        self.place_cells = np.unique(self.flat_cell)
        n_routing = self.graph.coarse_shape[0] * self.graph.coarse_shape[1]
        self.group_of = self.routing_of.copy()
        self.group_of[self.place_cells] = n_routing + np.arange(self.place_cells.size)
        #: How many times the routes were computed (caches of route tables key on it).
        self.version = 0
        #: The day and the territory's version the routes were last computed for.
        self.routes_day = 0
        self.routes_control_version = model.territory.version
        self._reach = np.zeros(0, dtype=bool)  # set with the open routes
        self._open_routes: tuple[tuple, tuple] = ((), ())
        self.refresh()  # sets route_weight, travel_days, fallback_cell

    def follow_control(self, day: int) -> None:
        """Recompute routes if control changed, at most every ``route_refresh_days``."""
        m = self.model
        due = day - self.routes_day >= m.config.civilians.route_refresh_days
        if due and m.territory.version != self.routes_control_version:
            self.refresh()
            self.routes_day = day
            self.routes_control_version = m.territory.version

    def refresh(self) -> None:
        """Recompute routes and fallback cells after control changed."""
        m = self.model
        geo = m.geo
        cfg = m.config.civilians
        control = m.control
        self.version += 1
        cost = cell_costs(
            control == GOVERNMENT,
            m.territory.front_mask,
            cfg.government_area_cost,
            cfg.front_crossing_km,
            geo.cell_km,
        )
        # Camps and towns that fell take nobody, so their routes are not needed until
        # they change hands again (which triggers another refresh).
        opposition = m.territory.opposition_mask
        held = opposition.ravel()[self.flat_cell]
        needed = np.flatnonzero(held | (self.kind == CHECKPOINT) | (self.kind == CROSSING))
        # Routes to a checkpoint end at its approach, behind the line (class docstring).
        ends = [self.cells[j] for j in needed]
        gates = np.flatnonzero(self.kind[needed] == CHECKPOINT)
        approaches = gate_approaches(
            self.graph, opposition, m.territory.front_mask, [ends[k] for k in gates]
        )
        for k, cell in zip(gates, approaches, strict=True):
            ends[k] = cell
        # Route km from each routing cell to each needed place, (n_routing_cells, n_needed).
        km = self.graph.routing_distances(cost, ends).T
        shape = (km.shape[0], len(self.cells))
        # The route part of the choice utility, exp(-cost x km), scaled per row so that
        # the nearest place weighs 1 (shares are unchanged; no underflow). Zero where a
        # place is unreachable or not needed.
        finite = np.isfinite(km)
        nearest = km.min(axis=1, initial=np.inf, keepdims=True)
        nearest = np.where(np.isfinite(nearest), nearest, 0.0)
        relative = np.where(finite, km - nearest, 0.0)
        weight = np.where(finite, np.exp(-cfg.distance_cost_per_km * relative), 0.0)
        self.route_weight = np.zeros(shape)
        self.route_weight[:, needed] = weight
        self._route_cost_per_km = cfg.distance_cost_per_km
        days = np.ceil(np.where(finite, km, 0.0) / cfg.speed_km_per_day)
        self.travel_days = np.ones(shape, dtype=np.int64)
        self.travel_days[:, needed] = np.clip(days, 1, MAX_TRAVEL_DAYS - 1)
        # People who cannot reach a place (it fell, or gave up) shelter at the nearest
        # opposition-held cell to it.
        if opposition.any():
            self.fallback_cell = nearest_cells(opposition, self.cells)

    def available(self) -> np.ndarray:
        """Which places take people today: bool ``(n_destinations,)``."""
        m = self.model
        ok = m.territory.opposition_mask.ravel()[self.flat_cell]
        ok[self.checkpoint_index] = [cp.is_open for cp in m.checkpoints]
        ok[self.crossing_index] = m.crossing.policy != "sealed"
        return ok

    def fill(self) -> np.ndarray:
        """How full each place is (0 = empty, 1 = at capacity), ``(n_destinations,)``."""
        m = self.model
        fill = np.zeros(len(self.kind))
        fill[self.camp_index] = [c.population / max(c.capacity_people, 1) for c in m.camps]
        shelter = m.displaced.sheltering.ravel()[self._town_cells]
        fill[self.town_index] = shelter / self._town_capacity
        full_days = m.config.civilians.queue_full_days
        fill[self.checkpoint_index] = [
            cp.queue / max(full_days * cp.config.capacity_per_day, 1) for cp in m.checkpoints
        ]
        quota = min(m.crossing.capacity_today(), OPEN_BORDER_CAPACITY_FOR_FILL)
        fill[self.crossing_index] = m.crossing.queue / max(full_days * quota, 1)
        return fill

    def _route_weights(self, origins: np.ndarray) -> np.ndarray:
        """Route weights from the given flat cells, ``(n, J)``; 0 for their own cell."""
        weights = self.route_weight[self.routing_of[origins]]
        weights[self.flat_cell[None, :] == origins[:, None]] = 0.0
        return weights

    def reachable_cells(self, open_now: np.ndarray | None = None) -> np.ndarray:
        """Whether somewhere open can be reached from each flat cell: bool ``(rows * cols,)``.

        Kept with the route tables of :meth:`routes_to_open_places`.
        """
        if open_now is None:
            open_now = self.available()
        self.routes_to_open_places(open_now)
        return self._reach

    def routes_to_open_places(
        self, open_now: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's open places with the route weights and travel days to them, per group.

        Kept until routes or open places change (both are rare).

        Returns:
            ``(places, route_weight, travel_days)``: indices of the ``c`` open places
            ``(c,)``, and ``(n_groups, c)`` arrays, one row per choice group
            (:attr:`group_of`).
        """
        key = (self.version, open_now.tobytes())
        if self._open_routes[0] != key:
            places = np.flatnonzero(open_now)
            own_routing = self.routing_of[self.place_cells]
            weight = np.concatenate([self.route_weight, self._route_weights(self.place_cells)])
            weight = weight[:, places]
            days = np.concatenate([self.travel_days, self.travel_days[own_routing]])
            self._open_routes = (key, (places, weight, days[:, places]))
            # A cell can reach somewhere open if its group weighs some open place.
            self._reach = (weight.sum(axis=1) > 0)[self.group_of]
        return self._open_routes[1]

    def option_utility(self, open_now: np.ndarray | None = None) -> np.ndarray:
        """The daily part of the choice utility, ``(J,)``; ``-inf`` for closed places.

        Place utility = pull - danger x risk there - crowding x fill.

        Args:
            open_now: Today's :meth:`available`, if already known.
        """
        m = self.model
        cfg = m.config.civilians
        if cfg.distance_cost_per_km != self._route_cost_per_km:
            self.refresh()  # a scripted event changed the route part of the utility
        pull_by_kind = (cfg.camp_pull, cfg.town_pull, cfg.checkpoint_pull, cfg.turkey_pull)
        if self._pull[0] != pull_by_kind:
            self._pull = (pull_by_kind, np.asarray(pull_by_kind)[self.kind])
        pull = self._pull[1]
        risk_at = m.risk.ravel()[self.flat_cell]
        place = pull - cfg.danger_weight * risk_at - cfg.crowding_weight * self.fill()
        return np.where(self.available() if open_now is None else open_now, place, -np.inf)

    def choose(
        self,
        rng: np.random.Generator,
        origins: np.ndarray,
        people: np.ndarray,
        open_now: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split the people leaving each origin over the open places (multinomial logit).

        Origins in one routing cell share their choice shares (unless a destination lies
        in the origin's own cell), so their people are split in one draw: a sum of
        independent multinomials with equal shares is one multinomial of the sum.

        Args:
            rng: Random generator.
            origins: Flat cells people leave, ``(n,)``.
            people: People leaving each, ``(n,)`` int.
            open_now: Today's :meth:`available`, if already known.

        Returns:
            ``(places, counts, travel_days)``: the indices of the ``c`` open places
            ``(c,)``; then, each ``(k, c)`` with ``k <= n`` groups of origins, the people
            choosing each place and their days on the road.
        """
        if open_now is None:
            open_now = self.available()
        places, weight, days = self.routes_to_open_places(open_now)
        # Float sums are exact for counts below 2**53.
        per_group = np.bincount(self.group_of[origins], weights=people, minlength=len(weight))
        groups = per_group.nonzero()[0]
        shares = disp.separable_logit_shares(weight[groups], self.option_utility(open_now)[places])
        return (
            places,
            disp.split_among(rng, per_group[groups].astype(np.int64), shares),
            days[groups],
        )


class Residents(mesa.Agent):
    """Everyone still at home, per cell and tolerance class: decides who leaves today."""

    def __init__(self, model: EscalationModel, population0: np.ndarray):
        super().__init__(model)
        cfg = model.config.civilians
        q = cfg.tolerance_classes
        self.tolerance = disp.tolerance_levels(cfg.tolerance_median, cfg.tolerance_sigma, q)
        base, extra = np.divmod(population0, q)
        self.at_home = np.repeat(base[None, ...], q, axis=0)
        for k in range(q):
            self.at_home[k] += (extra > k).astype(np.int64)
        self.left_today = np.zeros(population0.shape, dtype=np.int64)
        self._class_start = np.arange(q)[:, None] * population0.size  # flat index of each class

    def total(self) -> np.ndarray:
        """People at home per cell."""
        return self.at_home.sum(axis=0)

    def leave(self, can_go: np.ndarray) -> np.ndarray:
        """Draw who leaves home today.

        Args:
            can_go: Cells with people at home from which somewhere open can be reached,
                bool ``(rows, cols)``; nobody leaves any other cell.

        Returns:
            Leavers per cell, ``(rows, cols)`` int.
        """
        m = self.model
        cfg = m.config.civilians
        cells = can_go.ravel().nonzero()[0]
        # (class, cell) pairs as flat indices: 1-d take/put beat 2-d fancy indexing.
        pairs = (self._class_start + cells).ravel()
        home = self.at_home.take(pairs).reshape(len(self.tolerance), cells.size)
        risk = m.risk.ravel()[cells]
        p = disp.leave_probability(
            risk, self.tolerance, cfg.max_leave_probability_per_day, cfg.leave_steepness
        )
        leavers = m.rng.binomial(home, p)
        self.at_home.put(pairs, home - leavers)
        left = np.zeros(can_go.size, dtype=np.int64)
        left[cells] = leavers.sum(axis=0)
        self.left_today = left.reshape(can_go.shape)
        return self.left_today


class DisplacedPeople(mesa.Agent):
    """People away from home inside Idlib: sheltering in a cell, or on the road."""

    def __init__(self, model: EscalationModel, shape: tuple[int, int], n_destinations: int):
        super().__init__(model)
        self.sheltering = np.zeros(shape, dtype=np.int64)
        self.transit = np.zeros((MAX_TRAVEL_DAYS, n_destinations), dtype=np.int64)
        self.moved_on_today = np.zeros(shape, dtype=np.int64)

    def move_on(self, can_go: np.ndarray) -> np.ndarray:
        """Secondary displacement: sheltering people who feel unsafe move again."""
        m = self.model
        cfg = m.config.civilians
        tolerance = cfg.tolerance_median * cfg.secondary_tolerance_factor
        cells = (can_go & (self.sheltering > 0)).ravel().nonzero()[0]  # nobody else can move
        risk = m.risk.ravel()[cells]
        p = disp.leave_probability(
            risk, tolerance, cfg.max_leave_probability_per_day, cfg.leave_steepness
        )
        movers = np.zeros(self.sheltering.size, dtype=np.int64)
        movers[cells] = m.rng.binomial(self.sheltering.ravel()[cells], p)
        self.moved_on_today = movers.reshape(self.sheltering.shape)
        self.sheltering -= self.moved_on_today
        return self.moved_on_today

    def depart(
        self,
        departures: np.ndarray,
        table: DestinationTable,
        open_now: np.ndarray | None = None,
    ) -> None:
        """Send people leaving each cell toward destinations chosen by multinomial logit.

        Args:
            departures: People leaving each cell today, ``(rows, cols)`` int.
            table: Where they can go (choice shares and travel times).
            open_now: Today's ``table.available()``, if already known.
        """
        m = self.model
        origins = departures.ravel().nonzero()[0]
        if origins.size == 0:
            return
        places, counts, days = table.choose(m.rng, origins, departures.ravel()[origins], open_now)
        # Row of the transit table (arrival day) and column (place) of every choice; one
        # bincount adds them all (np.add.at costs more; float sums are exact below 2**53).
        slot = (m.day + days) % MAX_TRAVEL_DAYS * self.transit.shape[1] + places
        on_road = np.bincount(slot.ravel(), weights=counts.ravel(), minlength=self.transit.size)
        self.transit += on_road.astype(np.int64).reshape(self.transit.shape)

    def arrivals(self) -> np.ndarray:
        """Take today's arrivals off the road, ``(n_destinations,)``."""
        slot = self.model.day % MAX_TRAVEL_DAYS
        arrived = self.transit[slot].copy()
        self.transit[slot] = 0
        return arrived

    def in_transit(self) -> int:
        """People on the road."""
        return int(self.transit.sum())


class Civilians:
    """The civilians' part of the day: perceive risk, leave home or move on, travel, arrive.

    Owns the :class:`Residents`, the :class:`DisplacedPeople`, the ``risk`` layer of the
    grid and the :class:`DestinationTable`.

    Args:
        model: The model (its scenario, grid, map, territory and places).

    Attributes:
        risk: Perceived risk per cell, ``(rows, cols)``.
        residents: People at home.
        displaced: People away from home inside Idlib.
        destinations: Where they can go.
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        geo = model.geo
        self.risk = attach_layer(model.grid, "risk", np.zeros(geo.shape))
        self.residents = Residents(model, geo.population0)
        places = model.places
        n_destinations = len(places.camps) + len(geo.towns) + len(places.checkpoints) + 1
        self.displaced = DisplacedPeople(model, geo.shape, n_destinations)
        self.destinations = DestinationTable(model)

    def move(self, intensity: float, hazard: np.ndarray) -> tuple[int, int]:
        """One day of movement: arrivals, then who leaves home or moves on, and where to.

        Args:
            intensity: Today's government ground tempo, 0..1 (fear of the front).
            hazard: Remembered strike intensity per cell, ``(rows, cols)``.

        Returns:
            ``(left_home, movements)``: people who left home today, and those plus the
            displaced who moved on.
        """
        m = self.model
        cfg = m.config.civilians
        table = self.destinations
        table.follow_control(m.day)
        m.places.update_status()
        open_now = table.available()  # fixed for the rest of the day

        m.places.receive(self.displaced.arrivals(), open_now, table, self.displaced.sheltering)

        territory = m.territory
        proximity = territory.front_nearness(cfg.front_scale_km) * max(
            intensity, cfg.front_fear_floor
        )
        recent = 0.0  # no cell changed hands recently
        memory_days = cfg.control_change_memory_days
        if m.day - territory.last_change_day <= memory_days:
            recent = territory.recent_change_nearness(
                m.day, memory_days, cfg.control_change_scale_km
            )
        at_home = self.residents.total()
        present = at_home + self.displaced.sheltering
        left_yesterday = self.residents.left_today + self.displaced.moved_on_today
        social = disp.neighbours_leaving_share(
            left_yesterday, present + left_yesterday, m.geo.cell_km, cfg.social_window_km
        )
        self.risk[...] = disp.perceived_risk(
            self.risk,
            hazard,
            proximity,
            recent,
            social,
            (cfg.hazard_weight, cfg.front_weight, cfg.control_change_weight, cfg.social_weight),
            cfg.memory_decay_per_day,
        )
        can_go = table.reachable_cells(open_now).reshape(present.shape)
        left = self.residents.leave(can_go & (at_home > 0))
        moved = self.displaced.move_on(can_go)
        self.displaced.depart(left + moved, table, open_now)
        left_home = int(left.sum())
        return left_home, left_home + int(moved.sum())
