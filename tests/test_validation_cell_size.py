"""Outcomes do not depend on the cell size: rates per km² and per km of front (issue #15).

Mechanism tests put the same physical situation on grids of 1, 1.5, 2 and 3 km and
check that what happens per km² or per km of front is the same, against figures worked
out by hand. One short model run compares two cell sizes with a loose bound that the
per-cell rates of the past (deaths and displacement about halved from 3 to 1.5 km)
fail; the full study is ``python -m experiments.cell_size`` (docs/validation.md).
"""

import numpy as np
import pytest
from conftest import DEFAULT

from experiments.cell_size import OUTCOMES, interval_table, ratio_interval, study, table
from sim.mechanisms import bombardment, combat, routing
from sim.world.geography import GOVERNMENT, HTS, NLF

CELLS_KM = (1.0, 1.5, 2.0, 3.0)
SIDE_KM = 60.0  # every test world is a 60 km square


def _grid(cell_km: float) -> int:
    return round(SIDE_KM / cell_km)


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_strike_density_holds_one_sortie_per_sortie_whatever_the_cell(cell_km):
    n = _grid(cell_km)
    sorties = np.zeros((n, n), dtype=np.int64)
    sorties[n // 2, n // 2] = 3
    sorties[n // 3, n // 2] = 2
    spread_cells = 2.0 / cell_km  # 2 km, well inside the grid
    density = bombardment.spread_impact(sorties, spread_cells, cell_area_km2=cell_km**2)
    assert density.sum() * cell_km**2 == pytest.approx(5.0, rel=1e-9)
    # The peak density (sorties per km²) of a 2 km Gaussian does not follow the cell:
    # 3 sorties / (2 pi 2²) = 0.119 per km² at the centre, less once averaged over a cell.
    assert 0.08 <= density[n // 2, n // 2] <= 0.125


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_dead_per_sortie_are_people_per_km2_times_lethal_area(cell_km):
    # Uniform density d people per km²; one sortie kills d x lethal area on average,
    # whatever the cell size (per-cell lethality made it grow with the cell area).
    n = _grid(cell_km)
    per_km2 = 1_000_000
    people = np.full((n, n), round(per_km2 * cell_km**2), dtype=np.int64)
    sorties = np.zeros((n, n), dtype=np.int64)
    sorties[n // 2, n // 2] = 4
    density = bombardment.spread_impact(sorties, 2.0 / cell_km, cell_area_km2=cell_km**2)
    lethal_area_km2 = 0.01
    rng = np.random.default_rng(7)
    _, dead = bombardment.deaths_per_cell(rng, people, density, lethal_area_km2)
    expected = 4 * per_km2 * lethal_area_km2  # 40,000, binomial sd about 200
    assert dead.sum() == pytest.approx(expected, rel=0.02)


def _half_and_half(cell_km: float) -> np.ndarray:
    """Government holds the western half of a 60 km square, HTS the east."""
    n = _grid(cell_km)
    control = np.full((n, n), HTS, dtype=np.int8)
    control[:, : n // 2] = GOVERNMENT
    return control


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_a_straight_front_is_as_long_as_it_is_on_every_grid(cell_km):
    control = _half_and_half(cell_km)
    line_km = combat.front_km_per_cell(control, cell_km, smoothing_km=4.5)
    front = combat.front_cells(control)
    assert (line_km[~front] == 0).all()
    assert line_km.sum() == pytest.approx(SIDE_KM, rel=0.01)


def _diamond(cell_km: float, half_diagonal_km: float = 20.0) -> np.ndarray:
    """Government holds a square turned by 45° in the middle of the 60 km square."""
    n = _grid(cell_km)
    centre = (np.arange(n) + 0.5) * cell_km - SIDE_KM / 2
    control = np.full((n, n), HTS, dtype=np.int8)
    control[np.abs(centre[:, None]) + np.abs(centre[None, :]) <= half_diagonal_km] = GOVERNMENT
    return control


def test_a_staircase_is_measured_along_its_slope_not_along_its_steps():
    # The diamond's edge is 4 x 20 x sqrt(2) = 113 km; its four corners are rounded by
    # the 4.5 km smoothing, so somewhat less is measured, but as much on every grid.
    # Front cells on a 45° staircase touch the other side one a row: their count times
    # the side is 84-88 km, and would be for any slope up to 45°.
    true_km = 4 * 20.0 * np.sqrt(2)
    measured = {c: combat.front_km_per_cell(_diamond(c), c, 4.5).sum() for c in CELLS_KM}
    assert max(measured.values()) / min(measured.values()) < 1.08, measured
    for cell_km, km in measured.items():
        assert 0.85 * true_km <= km <= true_km, measured
        assert combat.front_cells(_diamond(cell_km)).sum() * cell_km < 0.8 * true_km


def test_a_line_ragged_at_the_cells_scale_is_not_longer_for_it():
    # On 1 km cells, a straight line pushed 1 km east and west on alternate rows has 1.5
    # times the front cells of the straight line, but is no longer for the smoothing.
    cell_km = 1.0
    control = _half_and_half(cell_km)
    n = _grid(cell_km)
    control[::2, n // 2 - 1] = HTS
    control[1::2, n // 2] = GOVERNMENT
    assert combat.front_cells(control).sum() * cell_km == pytest.approx(1.5 * SIDE_KM)
    line_km = combat.front_km_per_cell(control, cell_km, smoothing_km=4.5).sum()
    assert line_km == pytest.approx(SIDE_KM, rel=0.02)


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_front_advances_the_same_km_a_day_whatever_the_cell(cell_km):
    # A straight 60 km front at overwhelming odds: 0.5 km a day takes 30 km² a day.
    control = _half_and_half(cell_km)
    front = np.flatnonzero(combat.front_cells(control))
    assert front.size == _grid(cell_km)
    line_km = combat.front_km_per_cell(control, cell_km, 4.5).ravel()[front]
    rate = combat.capture_rate_per_day(0.5, line_km, cell_km)
    p = combat.capture_probability(np.full(front.size, 1e6), rate)
    rng = np.random.default_rng(3)
    days = 400
    taken = sum(combat.draw_among(rng, p).size for _ in range(days))
    km2_per_day = taken * cell_km**2 / days
    assert km2_per_day == pytest.approx(0.5 * SIDE_KM, rel=0.08)


def test_the_daily_chance_is_capped_at_one_cell_a_day():
    rate = combat.capture_rate_per_day(0.5, np.array([2.0, 2.0, 0.0]), 2.0)
    assert rate == pytest.approx([0.25, 0.25, 0.0])
    assert combat.capture_rate_per_day(5.0, np.array([2.0]), 2.0) == pytest.approx([1.0])


def test_the_counterattack_odds_and_pace_are_in_km_not_cells():
    # Rebels: 1,000 along 100 km of front. Government: 2,000 holding 20 km² of fresh
    # ground 2 km deep, i.e. 10 km of line: 10 against 200 per km.
    ratio = combat.counterattack_ratio(1_000.0, 2_000.0, 100.0, 20.0, 2.0)
    assert ratio == pytest.approx(10 / 200)
    # Twice the fresh ground is held twice as thinly.
    assert combat.counterattack_ratio(1_000.0, 2_000.0, 100.0, 40.0, 2.0) == pytest.approx(
        2 * ratio
    )
    # 0.1 km a day along 10 km of line retakes 1 km² a day, however many cells share it.
    for cell_km, candidates in ((1.0, 16), (2.0, 5), (3.0, 2)):
        rate = combat.retake_rate_per_day(0.1, 20.0, 2.0, candidates, cell_km)
        assert rate * candidates * cell_km**2 == pytest.approx(1.0)
    assert combat.retake_rate_per_day(10.0, 20.0, 2.0, 1, 1.0) == 1.0
    assert combat.retake_rate_per_day(0.1, 20.0, 2.0, 0, 1.0) == 0.0


@pytest.mark.parametrize("cell_km", [1.0, 3.0])
def test_capture_draws_are_uniform_and_alike_within_the_scale_in_km(cell_km):
    rng = np.random.default_rng(11)
    n = _grid(cell_km) * 2
    draws = np.stack([combat.correlated_uniforms(rng, (n, n), 4.5, cell_km) for _ in range(40)])
    assert draws.min() > 0 and draws.max() < 1
    assert (draws < 0.1).mean() == pytest.approx(0.1, abs=0.02)
    assert draws.mean() == pytest.approx(0.5, abs=0.03)

    def correlation(km: float) -> float:
        k = round(km / cell_km)
        return float(np.corrcoef(draws[:, :, :-k].ravel(), draws[:, :, k:].ravel())[0, 1])

    # A Gaussian of 4.5 km makes draws 3 km apart alike (exp(-3²/(4 x 4.5²)) = 0.89 for
    # the underlying normals) and 15 km apart nearly independent (0.06).
    assert correlation(3.0) == pytest.approx(0.89, abs=0.06)
    assert abs(correlation(15.0)) < 0.15


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_a_pocket_is_an_area_not_a_cell(cell_km):
    # A 4 km² pocket gives up under a 9 km² limit on both grids (4 cells or 1); a 16 km²
    # one does not.
    n = round(20 / cell_km)
    control = np.full((n, n), GOVERNMENT, dtype=np.int8)
    control[:, -2:] = NLF  # the main opposition area, far away
    k = round(2 / cell_km)
    control[2 : 2 + k, 2 : 2 + k] = HTS  # 2 x 2 km
    k = round(4 / cell_km)
    control[10 : 10 + k, 2 : 2 + k] = HTS  # 4 x 4 km
    most = combat.pocket_cells(9.0, cell_km**2)
    pockets = combat.isolated_cells(control, most)
    assert pockets[2 : 2 + round(2 / cell_km), 2 : 2 + round(2 / cell_km)].all()
    assert not pockets[10:, :].any()
    assert not pockets[:, -2:].any()
    assert pockets.sum() * cell_km**2 == pytest.approx(4.0)


def test_pocket_cells_is_at_least_one():
    assert combat.pocket_cells(9.0, 9.0) == 1
    assert combat.pocket_cells(9.0, 16.0) == 1
    assert combat.pocket_cells(9.0, 1.0) == 9
    assert combat.pocket_cells(9.0, 2.25) == 4


@pytest.mark.parametrize("cell_km", CELLS_KM)
def test_crossing_the_front_adds_the_same_km_whatever_the_cell(cell_km):
    control = _half_and_half(cell_km)
    front = combat.front_cells(control)
    n = control.shape[0]
    passable = np.ones(control.shape, dtype=bool)
    row = n // 2

    def route_km(crossing_km: float) -> float:
        cost = routing.cell_costs(control == GOVERNMENT, front, 1.0, crossing_km, cell_km)
        km = routing.cost_distance_km(passable, cost, cell_km, [(row, 0)])
        return float(km[0, row, -1])

    assert route_km(4.0) - route_km(0.0) == pytest.approx(4.0, abs=1e-9)


def test_government_ground_costs_more_and_the_front_wins_over_it():
    government = np.array([[True, True, False]])
    front = np.array([[False, True, False]])
    cost = routing.cell_costs(government, front, 8.0, 4.0, 2.0)
    assert cost.tolist() == [[8.0, 3.0, 1.0]]


def test_the_default_scenario_tells_one_story_on_1_5_and_3_km_cells():
    # Three seeds, 120 days: with per-cell rates deaths were 0.39x and displacement 0.53x
    # on 1.5 km cells what they were on 3 km cells.
    results = study(DEFAULT, [1.5, 3.0], [0, 1, 2], days=120, progress=False)
    fine, coarse = results[1.5], results[3.0]
    bounds = {
        "displaced_cumulative": 0.15,
        "in_camps": 0.15,
        "territory_government": 0.15,
        "civilian_deaths": 0.35,
    }
    for name, bound in bounds.items():
        ratio = fine[name].mean() / coarse[name].mean()
        assert abs(ratio - 1) <= bound, (name, ratio, table(results, 3.0))
    assert set(fine) == set(OUTCOMES)


def test_the_table_can_centre_on_the_median_which_one_rare_run_cannot_move():
    # Three seeds per grid; at 3 km one rare run makes a hundred times the exits.
    common = {name: np.array([10.0, 10.0, 10.0]) for name in OUTCOMES}
    rare = {**common, "exited_via_checkpoints": np.array([9.0, 10.0, 1000.0])}
    results = {2.0: common, 3.0: rare}
    exits = list(OUTCOMES).index("exited_via_checkpoints") + 1  # after the cell size
    by_mean = table(results, 2.0).splitlines()[-1].strip("| ").split(" | ")[exits]
    by_median = table(results, 2.0, "median").splitlines()[-1].strip("| ").split(" | ")[exits]
    assert by_mean == "340 [9–802] ×33.97 ✗"  # (9 + 10 + 1000) / 3 against 10
    assert by_median == "10 [9–802] ×1.00"


def test_the_ratio_interval_holds_the_true_ratio_and_narrows_with_more_seeds():
    rng = np.random.default_rng(5)

    def draw(n: int, mean: float) -> np.ndarray:
        return rng.gamma(4.0, mean / 4.0, n)  # spread as wide as the exits' (CV 0.5)

    # Over 200 studies of 20 seeds a side, the 90 % interval holds the true ratio, 1.1,
    # about 90 % of the time (a percentile bootstrap holds it a little less on few seeds).
    studies = [ratio_interval(draw(20, 1_100.0), draw(20, 1_000.0), draws=500) for _ in range(200)]
    held = np.mean([low < 1.1 < high for low, high in studies])
    assert 0.8 <= held <= 0.97
    few = np.median([high - low for low, high in studies])
    assert few > 0.2  # 20 such seeds cannot tell 1.1 from 1.0
    many = ratio_interval(draw(400, 1_100.0), draw(400, 1_000.0))
    assert many[1] - many[0] < 0.35 * few  # about sqrt(20 / 400) as wide
    same = np.full(10, 7.0)
    assert ratio_interval(same, same) == (1.0, 1.0)
    assert ratio_interval(same, same, "median") == (1.0, 1.0)


def test_the_interval_table_marks_only_a_ratio_surely_outside_the_tolerance():
    rng = np.random.default_rng(8)
    ref = {name: rng.normal(100.0, 1.0, 50) for name in OUTCOMES}
    near = {name: values * 1.02 for name, values in ref.items()}
    far = {**near, "in_camps": ref["in_camps"] * 1.5}
    text = interval_table({2.0: ref, 1.0: near, 3.0: far}, 2.0)
    rows = text.splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == ["| 1", "| 3"]
    assert "✗" not in rows[0]
    assert rows[1].count("✗") == 1 and "×1.50" in rows[1]


def test_one_study_prints_a_pair_of_tables_for_each_centre_asked(monkeypatch, capsys):
    import experiments.cell_size as cell_size

    common = {name: np.array([10.0, 10.0, 10.0]) for name in OUTCOMES}
    rare = {**common, "exited_via_checkpoints": np.array([9.0, 10.0, 1000.0])}
    calls = []

    def fake_study(*args, **kwargs):
        calls.append(args)
        return {2.0: common, 3.0: rare}

    monkeypatch.setattr(cell_size, "study", fake_study)
    status = cell_size.main(["--seeds", "3", "--cell-km", "3", "--stat", "mean", "median"])
    out = capsys.readouterr().out
    assert status == 0 and len(calls) == 1  # the runs are made once for both centres
    assert out.index("last-day mean") < out.index("last-day median")
    assert out.count("bootstrap interval") == 2
    assert "×33.97" in out and "10 [9–802] ×1.00" in out  # the mean's ratio, the median's


def _fake_results() -> dict[float, dict[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    return {c: {name: rng.gamma(2.0, 500.0, 4) for name in OUTCOMES} for c in (1.5, 2.0, 3.0)}


def test_saved_runs_read_back_to_the_same_values_and_tables(tmp_path):
    from experiments.cell_size import load_runs, save_runs

    results, seeds = _fake_results(), [7, 0, 3, 12]
    path = tmp_path / "runs.csv"
    save_runs(path, results, seeds)
    back, back_seeds = load_runs(path)
    assert back_seeds == seeds
    assert sorted(back) == sorted(results)
    for c in results:
        for name in OUTCOMES:
            np.testing.assert_array_equal(back[c][name], results[c][name])  # not rounded
    assert table(back, 2.0, "median") == table(results, 2.0, "median")
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_load_prints_the_saved_studys_tables_without_running_it(monkeypatch, capsys, tmp_path):
    import experiments.cell_size as cell_size

    results = _fake_results()
    monkeypatch.setattr(cell_size, "study", lambda *a, **k: results)
    path = tmp_path / "runs.csv"
    assert cell_size.main(["--seeds", "4", "--stat", "median", "--save", str(path)]) == 0
    ran = capsys.readouterr().out

    def no_runs(*args, **kwargs):
        raise AssertionError("--load must not run the model")

    monkeypatch.setattr(cell_size, "study", no_runs)
    assert cell_size.main(["--load", str(path), "--stat", "median"]) == 0
    loaded = capsys.readouterr().out
    tables = ran[ran.index("| `grid.cell_km`") :]
    assert tables == loaded[loaded.index("| `grid.cell_km`") :]
    assert f"{path} (4 seeds)" in loaded


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cell_km,seed\n2,0\n", "line 1: missing column(s) displaced_cumulative"),
        ("cell_km,seed," + ",".join(OUTCOMES) + "\n2,0,1,1,x,1,1\n", "line 2: not a number"),
        (
            "cell_km,seed," + ",".join(OUTCOMES) + "\n2,0,1,1,1,1,1\n3,1,1,1,1,1,1\n",
            "cell size 3 does not hold the same seeds",
        ),
        ("cell_km,seed," + ",".join(OUTCOMES) + "\n3,0,1,1,1,1,1\n", "no runs at the reference"),
    ],
)
def test_a_bad_runs_file_is_one_line_naming_it_and_exit_2(capsys, tmp_path, text, says):
    import experiments.cell_size as cell_size

    path = tmp_path / "runs.csv"
    path.write_text(text)
    assert cell_size.main(["--load", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and str(path) in captured.err and says in captured.err


def test_load_and_save_together_are_refused(capsys, tmp_path):
    import experiments.cell_size as cell_size

    runs = tmp_path / "runs.csv"
    with pytest.raises(SystemExit) as stop:
        cell_size.main(["--load", str(runs), "--save", str(runs)])
    assert stop.value.code == 2 and "give one of them" in capsys.readouterr().err


def test_save_into_a_missing_folder_fails_before_any_run(monkeypatch, capsys, tmp_path):
    import experiments.cell_size as cell_size

    def no_runs(*args, **kwargs):
        raise AssertionError("no run before the output is known to be writable")

    monkeypatch.setattr(cell_size, "study", no_runs)
    path = tmp_path / "nowhere" / "runs.csv"
    assert cell_size.main(["--seeds", "2", "--save", str(path)]) == 2
    assert "no folder" in capsys.readouterr().err and not path.exists()
