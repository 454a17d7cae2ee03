"""The gridded Idlib: cells with position, land, control and population, built from map data.

The domain is a lat/lon box around the governorate, wide enough to hold the May-2019 front
in northern Hama and the government-side checkpoints. Distances use an equirectangular
projection centred on the box (error well under 1 % at this size). Row 0 is the north edge.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.path import Path as PolygonPath
from scipy import ndimage

# The control codes live in sim.world.codes; importing them from here keeps working.
from sim.world.codes import CONTROL_NAMES as CONTROL_NAMES
from sim.world.codes import GOVERNMENT, HTS, NLF, TURKEY
from sim.world.schema import Scenario

KM_PER_DEG_LAT = 111.32
LAT_RANGE = (35.20, 36.42)  # deg N: Suran (35.29) to north of Atmeh (36.31)
LON_RANGE = (36.10, 37.25)  # deg E: west of the Latakia border to east of al-Hader (37.01)
LAT0 = 0.5 * (LAT_RANGE[0] + LAT_RANGE[1])
KM_PER_DEG_LON = KM_PER_DEG_LAT * float(np.cos(np.radians(LAT0)))

AFRIN_SOUTH_LAT, AFRIN_WEST_LON = 36.30, 36.67
# Beyond the Turkish border segment the polygon closes far out in Turkey (Hatay).
_TURKEY_CLOSURE = [(36.70, 36.62), (36.70, 35.50), (35.93, 35.50), (35.85, 35.95)]


def data_dir() -> Path:
    """Folder with the shipped map data (``IDLIB_SIM_DATA`` overrides it)."""
    env = os.environ.get("IDLIB_SIM_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenarios" / "data"


@dataclass(frozen=True)
class Town:
    """A named place from ``places.csv`` located on the grid."""

    name: str
    lat: float
    lon: float
    row: int
    col: int
    census_population: int


@dataclass(frozen=True)
class MapData:
    """Raw map inputs: polylines as (n, 2) arrays of [lat, lon]."""

    outline: np.ndarray
    turkish_border: np.ndarray
    fronts: dict[str, np.ndarray]
    m4: np.ndarray
    settlements: np.ndarray
    towns: tuple[tuple[str, float, float, int], ...]


@cache
def load_map_data(folder: str | None = None) -> MapData:
    """Read the shipped geometry, settlements and towns (cached per process)."""
    root = Path(folder) if folder else data_dir()
    geometry = json.loads((root / "geometry.json").read_text(encoding="utf-8"))
    settlements = np.loadtxt(root / "settlements.csv", delimiter=",", skiprows=1, ndmin=2)
    towns = []
    with open(root / "places.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kind = row["kind"].lower()
            if row["population"] and ("town" in kind or "city" in kind) and "camp" not in kind:
                towns.append(
                    (row["name"], float(row["lat"]), float(row["lon"]), int(row["population"]))
                )
    return MapData(
        outline=np.asarray(geometry["governorate_outline"]["vertices_lat_lon"], dtype=float),
        turkish_border=np.asarray(geometry["turkish_border"]["vertices_lat_lon"], dtype=float),
        fronts={
            "2019_05": np.asarray(geometry["front_line_2019_05"]["vertices_lat_lon"], dtype=float),
            "2020_03": np.asarray(geometry["front_line_2020_03"]["vertices_lat_lon"], dtype=float),
        },
        m4=np.asarray(geometry["m4_highway"]["vertices_lat_lon"], dtype=float),
        settlements=settlements,
        towns=tuple(towns),
    )


def to_km(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project lat/lon (deg) to x (east) and y (north) in km from the domain's SW corner."""
    x = (np.asarray(lon) - LON_RANGE[0]) * KM_PER_DEG_LON
    y = (np.asarray(lat) - LAT_RANGE[0]) * KM_PER_DEG_LAT
    return x, y


def distance_to_polyline_km(
    lat: np.ndarray, lon: np.ndarray, polyline_lat_lon: np.ndarray
) -> np.ndarray:
    """Shortest distance (km) from each point to a polyline; output has the shape of ``lat``."""
    px, py = to_km(lat, lon)
    px, py = np.ravel(px), np.ravel(py)
    vx, vy = to_km(polyline_lat_lon[:, 0], polyline_lat_lon[:, 1])
    best = np.full(px.shape, np.inf)
    for i in range(len(vx) - 1):
        ax, ay, bx, by = vx[i], vy[i], vx[i + 1], vy[i + 1]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / seg2, 0.0, 1.0) if seg2 > 0 else 0.0
        best = np.minimum(best, np.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best.reshape(np.shape(lat))


def allocate_integers(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder).

    Deterministic: ties go to the lower index. The result sums to ``total`` exactly.
    """
    weights = np.asarray(weights, dtype=float).ravel()
    out = np.zeros(weights.shape, dtype=np.int64)
    wsum = weights.sum()
    if total <= 0 or wsum <= 0:
        return out
    exact = total * weights / wsum
    out = np.floor(exact).astype(np.int64)
    short = int(total - out.sum())
    if short > 0:
        order = np.lexsort((np.arange(weights.size), -(exact - out)))
        out[order[:short]] += 1
    return out


def _inside(polygon_lat_lon: np.ndarray, lat2d: np.ndarray, lon2d: np.ndarray) -> np.ndarray:
    path = PolygonPath(np.column_stack([polygon_lat_lon[:, 1], polygon_lat_lon[:, 0]]))
    points = np.column_stack([lon2d.ravel(), lat2d.ravel()])
    return path.contains_points(points).reshape(lat2d.shape)


@dataclass(frozen=True)
class Geography:
    """The grid and everything fixed on it at the start of a run.

    Arrays have shape ``(rows, cols)``; row 0 is the northern edge.
    """

    cell_km: float
    lat: np.ndarray  # (rows,) cell-centre latitude, deg N
    lon: np.ndarray  # (cols,) cell-centre longitude, deg E
    in_governorate: np.ndarray  # bool
    turkey: np.ndarray  # bool: across the Turkish border (Turkish territory)
    border: np.ndarray  # bool: Syrian cells touching Turkey
    control0: np.ndarray  # int8 control code on day 0 (TURKEY also for Afrin)
    population0: np.ndarray  # int64 residents at home on day 0
    roads: np.ndarray  # bool: M4/M5 corridor
    distance_to_border_km: np.ndarray  # float
    towns: tuple[Town, ...]
    map_data: MapData

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape ``(rows, cols)``."""
        return self.in_governorate.shape

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell, km²."""
        return self.cell_km * self.cell_km

    def lat_lon_grids(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre latitude and longitude as 2-D arrays."""
        return np.meshgrid(self.lat, self.lon, indexing="ij")

    def cell_of(self, lat: float, lon: float) -> tuple[int, int]:
        """Row and column of the cell holding a point (clipped to the grid)."""
        rows, cols = self.shape
        r = int((LAT_RANGE[1] - lat) * KM_PER_DEG_LAT // self.cell_km)
        c = int((lon - LON_RANGE[0]) * KM_PER_DEG_LON // self.cell_km)
        return min(max(r, 0), rows - 1), min(max(c, 0), cols - 1)

    def distance_km(self, lat: float, lon: float) -> np.ndarray:
        """Distance (km) from every cell centre to a point."""
        lat2d, lon2d = self.lat_lon_grids()
        x, y = to_km(lat2d, lon2d)
        px, py = to_km(np.array(lat), np.array(lon))
        return np.hypot(x - px, y - py)

    def nearest_town(self, rows: np.ndarray, cols: np.ndarray) -> str:
        """Name of the town nearest to the centroid of some cells."""
        r, c = float(rows.sum()) / rows.size, float(cols.sum()) / cols.size
        best = min(self.towns, key=lambda t: (t.row - r) ** 2 + (t.col - c) ** 2)
        return best.name


def build_geography(scenario: Scenario, folder: str | None = None) -> Geography:
    """Build the grid for a scenario: land, control, population and fixed features.

    Args:
        scenario: Uses ``grid.cell_km``, ``population.*`` and ``control.*``.
        folder: Map data folder; defaults to :func:`data_dir`.

    Returns:
        The :class:`Geography`. Its resident population sums exactly to
        ``population.total`` minus the initial camp population.
    """
    md = load_map_data(folder)
    cell_km = scenario.grid.cell_km
    rows = int(np.ceil((LAT_RANGE[1] - LAT_RANGE[0]) * KM_PER_DEG_LAT / cell_km))
    cols = int(np.ceil((LON_RANGE[1] - LON_RANGE[0]) * KM_PER_DEG_LON / cell_km))
    lat = LAT_RANGE[1] - (np.arange(rows) + 0.5) * cell_km / KM_PER_DEG_LAT
    lon = LON_RANGE[0] + (np.arange(cols) + 0.5) * cell_km / KM_PER_DEG_LON
    lat2d, lon2d = np.meshgrid(lat, lon, indexing="ij")

    in_gov = _inside(md.outline, lat2d, lon2d)
    turkey_polygon = np.vstack([md.turkish_border, np.asarray(_TURKEY_CLOSURE)])
    turkey = _inside(turkey_polygon, lat2d, lon2d) & ~in_gov
    # Cells cut by the simplified border line count as Syrian when their centre is.
    border = ndimage.binary_dilation(turkey, structure=np.ones((3, 3), bool)) & ~turkey

    front = md.fronts[scenario.control.front_line]
    ne_lon = front[-1, 1]
    opposition_polygon = np.vstack([front, [(36.70, ne_lon), (36.70, 35.50), (front[0, 0], 35.50)]])
    # North of the Atmeh border tripoint lies Afrin, held by Turkey and its allies since 2018.
    afrin = (lat2d > AFRIN_SOUTH_LAT) & (lon2d > AFRIN_WEST_LON) & ~in_gov & ~turkey
    opposition = _inside(opposition_polygon, lat2d, lon2d) & ~turkey & ~afrin
    # Measured from the line itself, not from the nearest government cell's centre: that
    # distance comes in whole cells, so the belt's depth, and its ground, varied by grid.
    dist_to_front_km = distance_to_polyline_km(lat2d, lon2d, front)
    nlf = (
        opposition
        & (lat2d < scenario.control.nlf_south_of_lat)
        & (dist_to_front_km <= scenario.control.nlf_front_depth_km)
    )
    control = np.full((rows, cols), GOVERNMENT, dtype=np.int8)
    control[opposition] = HTS
    control[nlf] = NLF
    control[turkey | afrin] = TURKEY

    geo_towns = []
    for name, tlat, tlon, pop in md.towns:
        r = min(max(int((LAT_RANGE[1] - tlat) * KM_PER_DEG_LAT // cell_km), 0), rows - 1)
        c = min(max(int((tlon - LON_RANGE[0]) * KM_PER_DEG_LON // cell_km), 0), cols - 1)
        geo_towns.append(Town(name, tlat, tlon, r, c, pop))

    population0 = _seed_population(scenario, md, geo_towns, opposition, lat2d.shape, cell_km)

    m5 = np.array(
        [[35.375, 36.687], [35.439, 36.651], [35.65, 36.667], [35.864, 36.801], [36.2, 37.16]]
    )  # Morek, Khan Shaykhun, Ma'arrat al-Nu'man, Saraqib, Aleppo
    road_km = np.minimum(
        distance_to_polyline_km(lat2d, lon2d, md.m4), distance_to_polyline_km(lat2d, lon2d, m5)
    )
    roads = (road_km <= max(cell_km, 2.0)) & ~turkey

    dist_border = ndimage.distance_transform_edt(~turkey) * cell_km

    return Geography(
        cell_km=cell_km,
        lat=lat,
        lon=lon,
        in_governorate=in_gov,
        turkey=turkey,
        border=border,
        control0=control,
        population0=population0,
        roads=roads,
        distance_to_border_km=dist_border,
        towns=tuple(geo_towns),
        map_data=md,
    )


def _seed_population(
    scenario: Scenario,
    md: MapData,
    towns: list[Town],
    opposition: np.ndarray,
    shape: tuple[int, int],
    cell_km: float,
) -> np.ndarray:
    """Residents per cell: towns by census weight, the rest over OCHA settlement points."""
    pop = scenario.population
    in_camps = round(pop.total * pop.initial_in_camps_share) if scenario.camps else 0
    residents = pop.total - in_camps
    rows, cols = shape

    town_weight = np.zeros(shape)
    for t in towns:
        if opposition[t.row, t.col]:
            town_weight[t.row, t.col] += t.census_population

    s_lat, s_lon = md.settlements[:, 0], md.settlements[:, 1]
    sr = np.floor((LAT_RANGE[1] - s_lat) * KM_PER_DEG_LAT / cell_km).astype(int)
    sc = np.floor((s_lon - LON_RANGE[0]) * KM_PER_DEG_LON / cell_km).astype(int)
    ok = (sr >= 0) & (sr < rows) & (sc >= 0) & (sc < cols)
    settle_weight = np.zeros(shape)
    np.add.at(settle_weight, (sr[ok], sc[ok]), 1.0)
    settle_weight *= opposition

    if settle_weight.sum() == 0:
        settle_weight = opposition.astype(float)
    town_people = round(residents * pop.town_share) if town_weight.sum() > 0 else 0
    population = allocate_integers(town_people, town_weight) + allocate_integers(
        residents - town_people, settle_weight
    )
    return population.reshape(shape)
