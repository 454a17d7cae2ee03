"""Pure mechanism functions: directions, bounds and exact integer bookkeeping."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from sim.mechanisms import alliance, bombardment, combat, displacement, ladder, routing, stencils
from sim.world.geography import GOVERNMENT, HTS, NLF


def test_decide_rung_climbs_one_at_a_time_with_cooldown_and_hysteresis():
    steps = [0.0, 0.3, 0.5, 0.8]
    assert ladder.decide_rung(0, steps, 0.9, 100, 10, 0.2) == 1  # one rung, not three
    assert ladder.decide_rung(1, steps, 0.9, 5, 10, 0.2) == 1  # cooldown
    assert ladder.decide_rung(2, steps, 0.45, 100, 10, 0.2) == 2  # inside the hysteresis band
    assert ladder.decide_rung(2, steps, 0.39, 100, 10, 0.2) == 1  # below 0.5 * 0.8
    assert ladder.decide_rung(3, steps, 5.0, 100, 10, 0.2) == 3  # top of the ladder
    assert ladder.decide_rung(0, steps, 0.0, 100, 10, 0.2) == 0  # bottom


def test_cooperation_rises_above_threshold_and_decays_below():
    assert alliance.update_cooperation(0.2, 0.6, 0.5, 0.1, 0.05) > 0.2
    assert alliance.update_cooperation(0.2, 0.4, 0.5, 0.1, 0.05) < 0.2
    c = 0.0
    for _ in range(500):
        c = alliance.update_cooperation(c, 1.0, 0.5, 0.1, 0.05)
    assert 0.99 < c <= 1.0
    assert alliance.rebel_threat(1e9, 100.0) == 1.0
    assert alliance.rebel_threat(0.0, 100.0) == 0.0


def test_leave_probability_rises_with_risk_and_falls_with_tolerance():
    tol = displacement.tolerance_levels(1.0, 0.7, 4)
    assert np.all(np.diff(tol) > 0)
    risk = np.linspace(0, 5, 11)
    p = displacement.leave_probability(risk, tol, 0.2)
    assert p.shape == (4, 11)
    assert np.all(np.diff(p, axis=1) >= 0)  # more risk, more leaving
    assert np.all(np.diff(p[:, 1:], axis=0) < 0)  # more tolerance, less leaving
    assert p.max() <= 0.2 and p[:, 0].max() == 0


def test_a_steeper_leave_curve_keeps_people_below_tolerance_and_sends_those_above():
    tol = 2.0
    below, at, above = np.array([1.0]), np.array([2.0]), np.array([4.0])
    for steep, gentle in [(5.0, 2.0), (8.0, 3.0), (2.0, 1.0)]:
        assert displacement.leave_probability(below, tol, 0.3, steep) < (
            displacement.leave_probability(below, tol, 0.3, gentle)
        )
        assert displacement.leave_probability(above, tol, 0.3, steep) > (
            displacement.leave_probability(above, tol, 0.3, gentle)
        )
        # Half the maximum at the tolerance itself, whatever the steepness.
        assert displacement.leave_probability(at, tol, 0.3, steep)[0] == pytest.approx(0.15)
    # The general power agrees with the squared default.
    risk = np.linspace(0, 5, 11)
    tols = displacement.tolerance_levels(1.0, 0.7, 4)
    assert np.allclose(
        displacement.leave_probability(risk, tols, 0.2, 2.0),
        displacement.leave_probability(risk, tols, 0.2, 2.0 + 1e-12),
    )


def test_choice_probabilities_rows_sum_to_one_and_respect_unavailable():
    u = np.array([[0.0, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf], [5.0, 5.0, 5.0]])
    p = displacement.choice_probabilities(u)
    assert np.allclose(p[0].sum(), 1) and p[0, 2] == 0 and p[0, 1] > p[0, 0]
    assert np.all(p[1] == 0)
    assert np.allclose(p[2], 1 / 3)


@settings(max_examples=60, deadline=None)
@given(
    people=st.lists(st.integers(0, 10**7), min_size=1, max_size=20),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**31),
)
def test_split_among_conserves_people(people, k, seed):
    rng = np.random.default_rng(seed)
    shares = displacement.choice_probabilities(rng.normal(size=(len(people), k)))
    out = displacement.split_among(rng, np.asarray(people), shares)
    assert out.shape == (len(people), k)
    assert (out.sum(axis=1) == np.asarray(people)).all()
    assert (out >= 0).all()


@settings(max_examples=60, deadline=None)
@given(
    queue=st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
    cap=st.integers(0, 5_000),
    seed=st.integers(0, 2**31),
)
def test_serve_queue_never_exceeds_capacity_and_conserves(queue, cap, seed):
    rng = np.random.default_rng(seed)
    q = np.asarray(queue)
    is_open = np.arange(q.size) % 2 == 0
    passed, gave_up, after = displacement.serve_queue(rng, q, np.full(q.size, cap), is_open, 0.3)
    assert (passed <= cap).all()
    assert (passed[~is_open] == 0).all() and (gave_up[is_open] == 0).all()
    assert (passed + gave_up + after == q).all()


def test_people_give_up_only_at_closed_points_at_the_daily_rate():
    rng = np.random.default_rng(3)
    queue = np.array([10_000, 10_000, 0])
    is_open = np.array([False, True, False])
    gave_up = np.array(
        [
            displacement.serve_queue(rng, queue, np.array([0, 100, 0]), is_open, 0.2)[1]
            for _ in range(400)
        ]
    )
    assert (gave_up[:, 1:] == 0).all()
    sd_of_mean = np.sqrt(10_000 * 0.2 * 0.8 / 400)
    assert abs(gave_up[:, 0].mean() - 2_000) < 5 * sd_of_mean
    assert 0.8 < gave_up[:, 0].var() / (10_000 * 0.2 * 0.8) < 1.2


def test_admit_respects_room():
    admitted, away = displacement.admit(np.array([10, 5, 0]), np.array([4, 50, 3]))
    assert admitted.tolist() == [4, 5, 0] and away.tolist() == [6, 0, 0]


def test_neighbours_leaving_share_is_a_share():
    left = np.zeros((5, 5))
    left[2, 2] = 50
    present = np.full((5, 5), 100.0)
    share = displacement.neighbours_leaving_share(left, present, cell_km=2.0, window_km=6.0)
    assert share[2, 2] == pytest.approx(50 / 900)
    assert share[0, 0] == 0 and (share >= 0).all() and (share <= 1).all()
    nobody = displacement.neighbours_leaving_share(left * 0, present * 0, 2.0, 6.0)
    assert (nobody == 0).all()


@pytest.mark.parametrize("cell_km", [1.0, 1.5, 2.0, 3.0])
def test_neighbours_leaving_share_is_the_same_on_every_grid(cell_km):
    # Everyone west of x = 18 km left, nobody east of it. A 6 km window centred x km
    # east of the map's edge holds (18 - (x - 3)) / 6 of that ground, on any grid; a
    # window of 3x3 cells would hold 9 km on 3 km cells and 3 km on 1 km cells.
    n = round(36 / cell_km)
    x_km = (np.arange(n) + 0.5) * cell_km
    present = np.full((n, n), 100.0 * cell_km**2)
    left = np.where(x_km[None, :] < 18.0, present, 0.0)
    share = displacement.neighbours_leaving_share(left, present, cell_km, window_km=6.0)
    expected = np.clip((18.0 - (x_km - 3.0)) / 6.0, 0.0, 1.0)
    np.testing.assert_allclose(share[n // 2], expected, atol=1e-12)


@pytest.mark.parametrize("cell_km", [1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
def test_square_window_holds_its_side_on_every_grid(cell_km):
    weights = stencils.square_window_weights(cell_km, side_km=6.0)
    assert weights.sum() * cell_km == pytest.approx(6.0)
    np.testing.assert_array_equal(weights, weights[::-1])
    assert ((weights > 0) & (weights <= 1)).all()


def test_six_km_window_on_2km_cells_is_the_3x3_sum():
    # The model was calibrated on 2 km cells with a 3x3 neighbourhood: same sums there.
    values = np.random.default_rng(3).integers(0, 1_000, (2, 9, 11))
    np.testing.assert_array_equal(
        stencils.box_sum_km(values, cell_km=2.0, side_km=6.0), stencils.box_sum_3x3(values)
    )


def test_sorties_land_only_on_targets_and_sum_exactly():
    rng = np.random.default_rng(1)
    targetable = np.zeros((10, 10), bool)
    targetable[:, :5] = True
    front = np.zeros_like(targetable)
    front[:, 4] = True
    people = np.ones((10, 10))
    roads = np.zeros_like(targetable)
    p = bombardment.target_probabilities(targetable, front, people, roads, (0.5, 0.5, 0.0))
    assert p.sum() == pytest.approx(1.0) and p[:, 5:].sum() == 0
    placed = bombardment.place_sorties(rng, 137, p)
    assert placed.sum() == 137 and placed[:, 5:].sum() == 0


def test_target_probabilities_split_the_effort_between_classes():
    # Written out by hand: each class gets its weight, spread evenly over its targetable
    # cells (by people for towns); deterred cells keep 1 - factor; then normalised.
    rng = np.random.default_rng(4)
    shape = (6, 7)
    targetable = rng.random(shape) < 0.6
    front = rng.random(shape) < 0.3
    roads = rng.random(shape) < 0.3
    people = rng.integers(0, 1000, shape)
    near = rng.random(shape) < 0.2
    weights = (0.5, 0.3, 0.2)
    expected = (
        weights[0] * (front & targetable) / (front & targetable).sum()
        + weights[1] * np.where(targetable, people, 0) / np.where(targetable, people, 0).sum()
        + weights[2] * (roads & targetable) / (roads & targetable).sum()
    ) * (1.0 - 0.7 * near)
    expected /= expected.sum()
    ours = bombardment.target_probabilities(targetable, front, people, roads, weights, near, 0.7)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)
    # The model's path: unnormalised weights on the targetable cells only.
    ground = bombardment.ground_targets(targetable, front, roads, weights, near, 0.7)
    relative = bombardment.target_weights(ground, people, weights[1])
    np.testing.assert_allclose(relative / relative.sum(), expected.ravel()[ground.cells])


def test_deterrence_cuts_strikes_near_posts():
    targetable = np.ones((20, 20), bool)
    people = np.ones((20, 20))
    zeros = np.zeros((20, 20), bool)
    near = np.zeros((20, 20), bool)
    near[:5, :5] = True
    free = bombardment.target_probabilities(targetable, zeros, people, zeros, (0, 1, 0))
    deterred = bombardment.target_probabilities(
        targetable, zeros, people, zeros, (0, 1, 0), near, 0.8
    )
    assert deterred[near].sum() < 0.3 * free[near].sum()


def test_hazard_and_deaths_grow_with_impact():
    rng = np.random.default_rng(3)
    people = np.full((50, 50), 10_000)
    low, high = np.full((50, 50), 0.5), np.full((50, 50), 5.0)
    cells, dead = bombardment.deaths_per_cell(rng, people, np.zeros((50, 50)), 1e-3)
    assert cells.size == dead.size == 0
    cells, dead = bombardment.deaths_per_cell(rng, people, high, 1e-4)
    assert (dead > 0).all() and np.unique(cells).size == cells.size
    d_low = bombardment.deaths_per_cell(rng, people, low, 1e-4)[1].sum()
    assert dead.sum() > d_low > 0
    h = bombardment.update_hazard(np.ones((2, 2)), np.zeros((2, 2)), 0.5)
    assert np.allclose(h, 0.5)
    spread = bombardment.spread_impact(np.pad(np.ones((1, 1)), 5), 1.0)
    assert spread.sum() == pytest.approx(1.0) and spread.max() < 1.0


def test_front_cells_and_capture_odds():
    control = np.full((5, 6), HTS, dtype=np.int8)
    control[:, :2] = GOVERNMENT
    control[0, 5] = NLF
    front = combat.front_cells(control)
    assert front[:, 2].all() and not front[:, 3:].any() and not front[:, :2].any()
    p = combat.capture_probability(np.array([0.0, 0.5, 1.0, 4.0]), 0.2)
    assert p[0] == 0 and np.all(np.diff(p) > 0) and p[2] == pytest.approx(0.1) and p[-1] < 0.2
    att, dfn = combat.lanchester_losses(1000.0, 3000.0, 0.01)
    assert att == pytest.approx(30.0) and dfn == pytest.approx(10.0)


def test_routes_cost_more_through_danger_and_stop_at_walls():
    passable = np.ones((7, 7), bool)
    cost = np.ones((7, 7))
    d = routing.cost_distance_km(passable, cost, 2.0, [(3, 0)])[0]
    assert d[3, 0] == 0 and d[3, 6] == pytest.approx(12.0)
    cost[:, 3] = 5.0
    assert routing.cost_distance_km(passable, cost, 2.0, [(3, 0)])[0][3, 6] > 12.0
    passable[:, 3] = False
    assert np.isinf(routing.cost_distance_km(passable, cost, 2.0, [(3, 0)])[0][3, 6])


def test_coarse_routes_stay_within_a_routing_cell_of_fine_ones():
    rng = np.random.default_rng(5)
    passable = np.ones((40, 30), bool)
    passable[10:30, 14] = False  # a wall with gaps at both ends
    cost = 1.0 + rng.random((40, 30))
    sources = [(2, 3), (35, 25)]
    fine = routing.cost_distance_km(passable, cost, 1.0, sources)
    coarse = routing.cost_distance_km(passable, cost, 1.0, sources, factor=4)
    ok = np.isfinite(fine)
    assert (np.isfinite(coarse) == ok).all()
    # One routing cell is 4 km; with costs up to 2x the error stays within a few cells.
    assert np.max(np.abs(coarse[ok] - fine[ok])) <= 2 * 4 * 2 * np.sqrt(2)
    assert np.corrcoef(coarse[ok], fine[ok])[0, 1] > 0.98


def test_separable_logit_matches_full_logit():
    rng = np.random.default_rng(11)
    route = rng.normal(size=(30, 7)) * 3
    route[rng.random((30, 7)) < 0.2] = -np.inf  # unreachable
    option = rng.normal(size=7) * 2
    option[2] = -np.inf  # closed
    full = displacement.choice_probabilities(route + option[None, :])
    row_shift = rng.normal(size=(30, 1))  # a factor per row must not matter
    split = displacement.separable_logit_shares(np.exp(route + row_shift), option)
    assert np.allclose(full, split)
    assert np.all(split[:, 2] == 0)


def test_separable_logit_keeps_a_reachable_option_that_is_far_less_attractive():
    # The only reachable open place has a utility 2,000 below an unreachable one: exp()
    # of the difference underflows, yet everyone must still be able to go there.
    route = np.array([[1.0, 0.0], [0.5, 1.0]])
    option = np.array([-2000.0, 0.0])
    shares = displacement.separable_logit_shares(route, option)
    np.testing.assert_array_equal(shares[0], [1.0, 0.0])
    assert shares[1, 1] == 1.0 and shares[1].sum() == 1.0


def test_isolated_pockets_are_found():
    control = np.full((6, 6), GOVERNMENT, dtype=np.int8)
    control[:, 4:] = HTS  # a held strip
    control[2, 1] = NLF  # a lone pocket inside government ground
    pockets = combat.isolated_cells(control)
    assert pockets[2, 1]
    assert pockets.sum() == 1
    control[2, 2] = NLF  # two cells holding together are not isolated
    assert not combat.isolated_cells(control).any()


@settings(max_examples=40)
@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(0, 2**31 - 1),
)
def test_stencils_match_scipy_filters(rows, cols, seed):
    # The shift-based stencils must agree with scipy's general filters (zero outside).
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 50, (rows, cols))
    reference = ndimage.correlate(values, np.ones((3, 3), dtype=values.dtype), mode="constant")
    np.testing.assert_array_equal(stencils.box_sum_3x3(values), reference)
    layered = np.stack([values, 2 * values])
    np.testing.assert_array_equal(stencils.box_sum_3x3(layered)[1], 2 * reference)
    mask = rng.random((rows, cols)) < 0.3
    cross = ndimage.generate_binary_structure(2, 1)
    np.testing.assert_array_equal(
        stencils.touches_4(mask), ndimage.binary_dilation(mask, structure=cross)
    )


def test_sorties_land_in_proportion_to_target_probabilities():
    p = np.array([[0.1, 0.0, 0.2], [0.3, 0.0, 0.4]])
    n = 200_000
    placed = bombardment.place_sorties(np.random.default_rng(3), n, p)
    assert placed.sum() == n and placed[:, 1].sum() == 0
    sd = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(placed - n * p) <= 5 * sd + 1e-9)
    # Relative weights work as well, and trailing cells without weight get nothing.
    weights = np.array([2.0, 0.0, 6.0, 0.0, 0.0])
    placed = bombardment.place_sorties(np.random.default_rng(4), n, weights)
    assert placed.sum() == n and placed[[1, 3, 4]].sum() == 0
    assert abs(placed[2] / n - 0.75) < 5 * np.sqrt(0.75 * 0.25 / n)


@pytest.mark.parametrize("scale", [1, 50])
def test_split_among_follows_the_shares(scale):
    shares = np.array([[0.5, 0.0, 0.3, 0.2], [0.0, 0.0, 0.1, 0.9], [0.25, 0.25, 0.25, 0.25]])
    people = np.array([3, 2, 4]) * scale
    rng = np.random.default_rng(8)
    draws = 4000
    total = np.zeros(shares.shape)
    for _ in range(draws):
        out = displacement.split_among(rng, people, shares)
        np.testing.assert_array_equal(out.sum(axis=1), people)
        assert not out[shares == 0].any()
        total += out
    expected = people[:, None] * shares
    sd = np.sqrt(people[:, None] * shares * (1 - shares) / draws)
    ok = shares > 0
    assert np.all(np.abs(total[ok] / draws - expected[ok]) <= 5 * sd[ok])


@settings(max_examples=30)
@given(st.integers(1, 12), st.integers(1, 12), st.floats(0.3, 3.0), st.integers(0, 2**31 - 1))
def test_spread_matrices_match_scipy_gaussian_filter(rows, cols, sigma, seed):
    sorties = np.random.default_rng(seed).poisson(0.5, (rows, cols))
    matrices = bombardment.spread_matrices((rows, cols), sigma)
    ours = bombardment.spread_impact(sorties, sigma, matrices)
    reference = ndimage.gaussian_filter(sorties.astype(float), sigma, mode="constant")
    np.testing.assert_allclose(ours, reference, atol=1e-12)


def test_deaths_per_group_keep_the_law_of_one_draw_per_group():
    # One binomial per cell, then a draw without replacement of who died, must give each
    # group Binomial(n, p) deaths, independent of the other groups.
    groups = np.array([4000, 1000, 0, 5000])
    impact = np.full((1, 1), 30.0)
    lethality = 1e-4
    p = -np.expm1(-lethality * 30.0)
    rng = np.random.default_rng(12)

    def one_day() -> np.ndarray:
        cells, dead = bombardment.deaths_per_cell(rng, groups.sum()[None, None], impact, lethality)
        if not cells.size:
            return np.zeros(4, dtype=np.int64)
        return bombardment.share_without_replacement(rng, groups[:, None], dead)[:, 0]

    draws = np.array([one_day() for _ in range(4000)])
    assert (draws[:, 2] == 0).all()
    mean, var = draws.mean(axis=0), draws.var(axis=0)
    for g in (0, 1, 3):
        sd_of_mean = np.sqrt(groups[g] * p * (1 - p) / len(draws))
        assert abs(mean[g] - groups[g] * p) < 5 * sd_of_mean
        assert 0.85 < var[g] / (groups[g] * p * (1 - p)) < 1.15
    assert abs(np.corrcoef(draws[:, 0], draws[:, 3])[0, 1]) < 0.08


@pytest.mark.parametrize("picks", [1, 3, bombardment.FEW_PICKS, bombardment.FEW_PICKS + 5])
def test_share_without_replacement_follows_the_hypergeometric_law(picks):
    # Both ways of sharing (one pick at a time, or hypergeometric draws per group) must
    # give group g the mean picks * n_g / N and the hypergeometric variance, and leave
    # empty groups alone.
    groups = np.array([[6, 40], [0, 0], [3, 25], [11, 5]])
    column_picks = np.array([min(picks, 20), picks])
    rng = np.random.default_rng(21)
    draws = np.array(
        [bombardment.share_without_replacement(rng, groups, column_picks) for _ in range(6000)]
    )
    np.testing.assert_array_equal(draws.sum(axis=1), np.broadcast_to(column_picks, (6000, 2)))
    assert (draws[:, 1] == 0).all() and (draws <= groups).all()
    total = groups.sum(axis=0)
    share = groups / total
    mean = column_picks * share
    var = column_picks * share * (1 - share) * (total - column_picks) / (total - 1)
    ok = var > 0
    sd_of_mean = np.sqrt(var / len(draws))
    assert np.all(np.abs(draws.mean(axis=0)[ok] - mean[ok]) < 5 * sd_of_mean[ok])
    assert np.all(np.abs(draws.var(axis=0)[ok] / var[ok] - 1) < 0.12)


def test_draw_among_takes_each_cell_with_its_probability():
    rng = np.random.default_rng(5)
    p = np.array([0.0, 1.0, 0.25, 0.75])
    counts = np.zeros(p.size)
    for _ in range(4000):
        drawn = combat.draw_among(rng, p)
        assert np.all(np.diff(drawn) > 0)  # ascending, no repeats
        counts[drawn] += 1
    assert counts[0] == 0 and counts[1] == 4000
    sd = np.sqrt(4000 * p * (1 - p))
    assert np.all(np.abs(counts[2:] - 4000 * p[2:]) < 5 * sd[2:])
    assert combat.draw_among(rng, np.zeros(0)).size == 0


def test_focus_weights_put_the_share_inside_and_keep_the_rest_as_before():
    weights = np.array([1.0, 3.0, 2.0, 4.0])
    inside = np.array([False, True, True, False])
    w = bombardment.focus_weights(weights, inside, 0.6)
    assert w.sum() == pytest.approx(1.0)
    base_inside = 5.0 / 10.0  # the share inside before the focus
    assert w[inside].sum() == pytest.approx(0.6 + 0.4 * base_inside)
    assert w[1] / w[2] == pytest.approx(3.0 / 2.0)  # spread inside as before
    assert w[3] / w[0] == pytest.approx(4.0)  # and outside
    assert np.allclose(bombardment.focus_weights(weights, inside, 0.0), weights / 10.0)
    nothing_inside = np.zeros(4, dtype=bool)
    assert np.allclose(bombardment.focus_weights(weights, nothing_inside, 0.9), weights / 10.0)
