import numpy as np
import pytest
from conftest import scenario

from sim.world.geography import (
    GOVERNMENT,
    HTS,
    NLF,
    TURKEY,
    allocate_integers,
    build_geography,
    distance_to_polyline_km,
    load_map_data,
    to_km,
)

# Planar area of the simplified governorate outline, stated in the source data (km²).
OUTLINE_AREA_KM2 = 5405


@pytest.mark.parametrize("cell_km, tolerance", [(2.0, 0.04), (4.0, 0.08)])
def test_governorate_cell_area_matches_outline(cell_km, tolerance):
    geo = build_geography(scenario(**{"grid.cell_km": cell_km}))
    area = geo.in_governorate.sum() * cell_km**2
    assert abs(area - OUTLINE_AREA_KM2) / OUTLINE_AREA_KM2 < tolerance


def test_cell_count_scales_with_resolution():
    coarse = build_geography(scenario(**{"grid.cell_km": 2.0}))
    fine = build_geography(scenario(**{"grid.cell_km": 1.0}))
    ratio = fine.in_governorate.size / coarse.in_governorate.size
    assert 3.8 < ratio < 4.2
    # The domain spans the same box at both resolutions (within one cell).
    assert abs(fine.shape[0] * 1.0 - coarse.shape[0] * 2.0) <= 2.0
    assert abs(fine.shape[1] * 1.0 - coarse.shape[1] * 2.0) <= 2.0


@pytest.mark.parametrize("cell_km", [1.0, 2.0, 5.0])
def test_border_cells_are_syrian_and_touch_turkey(cell_km):
    geo = build_geography(scenario(**{"grid.cell_km": cell_km}))
    assert geo.border.sum() > 0
    assert not (geo.border & geo.turkey).any()
    rows, cols = np.nonzero(geo.border)
    padded = np.pad(geo.turkey, 1)
    touches = [padded[r : r + 3, c : c + 3].any() for r, c in zip(rows, cols, strict=True)]
    assert all(touches)
    # Inside the governorate they run along its Turkish border segment (simplification
    # error up to ~3 km); west of it the Latakia-Turkey border continues.
    lat2d, lon2d = geo.lat_lon_grids()
    idlib_border = geo.border & geo.in_governorate
    assert idlib_border.sum() >= 60 / cell_km  # the segment is over 80 km long
    segment = load_map_data().turkish_border
    d = distance_to_polyline_km(lat2d[idlib_border], lon2d[idlib_border], segment)
    assert np.max(d) <= 1.5 * cell_km * np.sqrt(2) + 3.5


def test_turkey_lies_north_west_of_the_border():
    geo = build_geography(scenario())
    lat2d, lon2d = geo.lat_lon_grids()
    # Antakya (36.20 N, 36.16 E) is in Turkey; Idlib city is not.
    assert geo.turkey[geo.cell_of(36.20, 36.16)]
    assert not geo.turkey[geo.cell_of(35.933, 36.633)]
    assert geo.in_governorate[geo.cell_of(35.933, 36.633)]


@pytest.mark.parametrize("cell_km", [1.0, 3.0])
def test_towns_land_in_their_cells(cell_km):
    geo = build_geography(scenario(**{"grid.cell_km": cell_km}))
    lat2d, lon2d = geo.lat_lon_grids()
    cx, cy = to_km(lat2d, lon2d)
    for town in geo.towns:
        tx, ty = to_km(np.array(town.lat), np.array(town.lon))
        # The point lies inside its cell: within half a cell of the centre on both axes.
        assert abs(cx[town.row, town.col] - tx) <= cell_km / 2 + 1e-6, town.name
        assert abs(cy[town.row, town.col] - ty) <= cell_km / 2 + 1e-6, town.name


def test_initial_control_follows_the_may_2019_front():
    geo = build_geography(scenario(**{"grid.cell_km": 2.0}))
    # Sourced control on ~1 May 2019 (places.csv): opposition towns and government towns.
    opposition = ["Idlib (city)", "Khan Shaykhun", "Ma'arrat al-Nu'man", "Saraqib", "Sarmada"]
    government = ["Suran (Souran) corridor", "Abu al-Duhur", "al-Suqaylabiyah"]
    towns = {t.name: t for t in geo.towns}
    for name in opposition:
        assert geo.control0[towns[name].row, towns[name].col] in (HTS, NLF), name
    for name in government:
        assert geo.control0[towns[name].row, towns[name].col] == GOVERNMENT, name
    assert geo.control0[geo.cell_of(36.0313, 37.0054)] == GOVERNMENT  # al-Hader
    assert (geo.control0[geo.turkey] == TURKEY).all()


def test_hts_nlf_split_rule():
    s = scenario(**{"grid.cell_km": 2.0})
    geo = build_geography(s)
    lat2d, _ = geo.lat_lon_grids()
    nlf = geo.control0 == NLF
    assert nlf.any() and (geo.control0 == HTS).any()
    assert (lat2d[nlf] < s.control.nlf_south_of_lat).all()
    # Idlib city and Bab al-Hawa, far from the front, are HTS.
    assert geo.control0[geo.cell_of(35.933, 36.633)] == HTS
    assert geo.control0[geo.cell_of(36.2306, 36.6926)] == HTS
    deeper = build_geography(scenario(**{"grid.cell_km": 2.0, "control.nlf_front_depth_km": 30}))
    assert (deeper.control0 == NLF).sum() > nlf.sum()


def test_nlf_belt_holds_the_same_ground_on_every_grid():
    # The belt is a depth in km from the front line: its ground must not follow the cells.
    # Counted in whole cells from the nearest government cell it was 1,336 km² on 2 km
    # cells against 1,386 on 1 km (3.7 % more).
    area_km2 = {}
    for cell_km in (1.0, 1.5, 2.0, 3.0):
        geo = build_geography(scenario(**{"grid.cell_km": cell_km}))
        in_belt = (geo.control0 == NLF) & geo.in_governorate
        area_km2[cell_km] = in_belt.sum() * cell_km**2
    for area in area_km2.values():
        assert area == pytest.approx(area_km2[2.0], rel=0.025), area_km2


@pytest.mark.parametrize("total", [1_000, 123_457, 3_000_000, 9_999_999])
def test_population_sums_exactly(total):
    s = scenario(**{"population.total": total})
    geo = build_geography(s)
    in_camps = round(total * s.population.initial_in_camps_share)
    assert geo.population0.dtype.kind == "i"
    assert int(geo.population0.sum()) + in_camps == total
    assert (geo.population0 >= 0).all()


def test_population_lives_on_opposition_ground_and_towns_are_denser():
    geo = build_geography(scenario(**{"grid.cell_km": 2.0}))
    opposition = (geo.control0 == HTS) | (geo.control0 == NLF)
    assert geo.population0[~opposition].sum() == 0
    idlib = geo.population0[geo.cell_of(35.933, 36.633)]
    assert idlib > 5 * np.median(geo.population0[geo.population0 > 0])


def test_allocate_integers_is_exact_and_proportional():
    rng = np.random.default_rng(0)
    for _ in range(50):
        weights = rng.random(rng.integers(1, 40))
        total = int(rng.integers(0, 10**7))
        out = allocate_integers(total, weights)
        assert out.sum() == total
        assert np.all(np.abs(out - total * weights / weights.sum()) < 1.0 + 1e-9)
