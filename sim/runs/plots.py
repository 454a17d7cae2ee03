"""Figures of a run: displacement by destination, the ladders, and a map of the end state."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.world.geography import GOVERNMENT, HTS, NLF, TURKEY, data_dir  # noqa: E402

if TYPE_CHECKING:
    from sim.model import EscalationModel
    from sim.world.geography import Geography

CONTROL_COLOURS = {
    GOVERNMENT: "#d98c8c",
    HTS: "#8fa9c9",
    NLF: "#9cc79a",
    TURKEY: "#d9d9d9",
}
FIG_DPI = 110


def _thousands(ax: plt.Axes) -> None:
    """Label the y axis with thousands separators."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))


def _dates(model: EscalationModel) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in model.timeseries()["date"]]


def _record(name: str, column: str) -> tuple[list[dt.date], list[int]]:
    path = data_dir() / name
    if not path.exists():
        return [], []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [dt.date.fromisoformat(r["date"]) for r in rows], [int(r[column]) for r in rows]


def plot_displacement(model: EscalationModel, path: Path) -> None:
    """Stacked people by where they are, plus cumulative displacement and the 2019 record."""
    v = model.timeseries()
    dates = _dates(model)
    initial_camps = v["in_camps"][0]
    layers = {
        "displaced inside Idlib (sheltering, travelling, queuing)": np.asarray(
            v["displaced_inside"]
        ),
        "new arrivals in border camps": np.asarray(v["in_camps"]) - initial_camps,
        "crossed to Turkey": np.asarray(v["crossed_to_turkey"]),
        "exited via checkpoints": np.asarray(v["exited_via_checkpoints"]),
        "civilian deaths": np.asarray(v["civilian_deaths"]),
    }
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    colours = ["#f4a261", "#2a9d8f", "#264653", "#e76f51", "#6d597a"]
    top.stackplot(dates, *layers.values(), labels=list(layers), colors=colours, alpha=0.85)
    top.plot(dates, v["displaced_cumulative"], "k--", lw=1.4, label="left home at least once")
    top.set_ylabel("people")
    top.set_title(f"Displacement by destination: {model.config.name}")
    top.legend(loc="upper left", fontsize=8)
    _thousands(top)

    bottom.plot(dates, v["displacement_movements"], color="#1d3557", label="model: movements")
    rec_dates, rec_values = _record("displacement_2019.csv", "cumulative_displacements")
    if rec_dates:
        bottom.plot(rec_dates, rec_values, "o", color="#e63946", label="OCHA/CCCM record, 2019")
    bottom.plot(dates, v["exited_via_checkpoints"], color="#e76f51", label="exits via checkpoints")
    bottom.set_ylabel("cumulative displacements")
    bottom.legend(loc="upper left", fontsize=8)
    _thousands(bottom)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=FIG_DPI)
    plt.close(fig)


def plot_ladders(model: EscalationModel, path: Path) -> None:
    """Each state's rung over time, with Turkey's border signal against its threshold."""
    v = model.timeseries()
    dates = _dates(model)
    cfg = model.config_at_start
    states = [
        ("Turkey", "turkey_rung", cfg.turkey.ladder, "#c1121f"),
        ("Russia", "russia_rung", cfg.russia.ladder, "#003049"),
        ("Syrian government", "government_rung", cfg.government.ladder, "#6a4c93"),
    ]
    fig, axes = plt.subplots(
        4, 1, figsize=(10, 10), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2, 2]}
    )
    for ax, (title, column, ladder, colour) in zip(axes[:3], states, strict=True):
        ax.step(dates, v[column], where="post", color=colour, lw=2)
        ax.set_yticks(range(len(ladder)))
        ax.set_yticklabels([r.name.replace("_", " ") for r in ladder], fontsize=8)
        ax.set_ylim(-0.3, len(ladder) - 0.7)
        ax.set_title(f"{title}: escalation ladder", fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
    ceasefire = np.asarray(v["ceasefire"]) > 0
    if ceasefire.any():
        for ax in axes[:3]:
            ax.fill_between(
                dates,
                0,
                1,
                where=ceasefire,
                transform=ax.get_xaxis_transform(),
                color="#90be6d",
                alpha=0.25,
                label="ceasefire",
            )
        axes[0].legend(loc="upper left", fontsize=8)
    ax = axes[3]
    ax.plot(
        dates,
        v["border_displaced_people"],
        color="#c1121f",
        label="newly displaced near the Turkish border",
    )
    ax.axhline(
        cfg.turkey.crisis_threshold_people, color="k", ls=":", label="Turkey's crisis threshold"
    )
    ax.set_ylabel("people")
    ax.legend(loc="upper left", fontsize=8)
    _thousands(ax)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=FIG_DPI)
    plt.close(fig)


def map_extent(geo: Geography) -> tuple[float, float, float, float]:
    """The grid's outer edges in degrees, as ``imshow``'s (left, right, bottom, top)."""
    half_lat = 0.5 * geo.cell_km / 111.32
    half_lon = 0.5 * abs(geo.lon[1] - geo.lon[0]) if geo.lon.size > 1 else half_lat
    return (
        geo.lon[0] - half_lon,
        geo.lon[-1] + half_lon,
        geo.lat[-1] - half_lat,
        geo.lat[0] + half_lat,
    )


def draw_control(
    ax: matplotlib.axes.Axes, shown: np.ndarray, geo: Geography, colours: dict[int, str]
) -> matplotlib.image.AxesImage:
    """Draw a control map (codes per cell, ``geo.shape``) on ``ax`` in lat/lon, cells square.

    Args:
        ax: Axes to draw on.
        shown: Control code per cell (government, HTS, NLF or Turkey).
        geo: The grid, for the extent and the aspect.
        colours: Colour of each control code.

    Returns:
        The image, whose data can be replaced as control changes.
    """
    cmap = ListedColormap([colours[k] for k in (GOVERNMENT, HTS, NLF, TURKEY)])
    return ax.imshow(
        shown,
        extent=map_extent(geo),
        cmap=cmap,
        vmin=-0.5,
        vmax=3.5,
        interpolation="nearest",
        aspect=1 / np.cos(np.radians(geo.lat.mean())),
    )


def plot_map(model: EscalationModel, path: Path) -> None:
    """Control and where people are at the end, with outline, fronts, towns, camps, crossings."""
    geo = model.geo
    md = geo.map_data
    fig, ax = plt.subplots(figsize=(9, 10))
    draw_control(ax, np.where(geo.turkey, TURKEY, model.control), geo, CONTROL_COLOURS)

    people = model.residents.total() + model.displaced.sheltering
    rows, cols = np.nonzero(people)
    ax.scatter(
        geo.lon[cols],
        geo.lat[rows],
        s=np.sqrt(people[rows, cols]) / 12,
        color="#222222",
        alpha=0.45,
        linewidths=0,
        label="people at home or sheltering",
    )

    ax.plot(md.outline[:, 1], md.outline[:, 0], color="black", lw=1.2)
    ax.plot(md.turkish_border[:, 1], md.turkish_border[:, 0], color="#7f0000", lw=2)
    front0 = md.fronts[model.config_at_start.control.front_line]
    ax.plot(front0[:, 1], front0[:, 0], color="#7f0000", ls="--", lw=1.2)
    opposition = (model.control == HTS) | (model.control == NLF)
    ax.contour(
        geo.lon, geo.lat, opposition.astype(float), levels=[0.5], colors="#b00020", linewidths=1.6
    )
    for town in geo.towns:
        ax.plot(town.lon, town.lat, "o", ms=3, color="black")
        ax.annotate(
            town.name.split(" (")[0],
            (town.lon, town.lat),
            fontsize=6.5,
            xytext=(3, 2),
            textcoords="offset points",
        )
    for camp in model.camps:
        r, c = camp.cell.coordinate
        ax.plot(
            geo.lon[c],
            geo.lat[r],
            "^",
            ms=6 + 8 * min(camp.population / 4e5, 1),
            color="#2a9d8f",
            mec="black",
            mew=0.6,
        )
    for cp in model.checkpoints:
        cfg = cp.config
        ax.plot(
            cfg.lon,
            cfg.lat,
            "X",
            ms=9,
            color="#e76f51" if cp.is_open else "#999999",
            mec="black",
            mew=0.6,
        )
    for op in model.config.turkey.observation_posts:
        ax.plot(op.lon, op.lat, "s", ms=6, color="#c1121f", mec="white", mew=0.8)
    crossing = model.config.border.crossing
    ax.plot(crossing.lon, crossing.lat, "*", ms=14, color="#ffb703", mec="black", mew=0.7)

    handles = [
        Patch(color=CONTROL_COLOURS[GOVERNMENT], label="government"),
        Patch(color=CONTROL_COLOURS[HTS], label="HTS"),
        Patch(color=CONTROL_COLOURS[NLF], label="NLF"),
        Patch(color=CONTROL_COLOURS[TURKEY], label="Turkey / Turkish-held"),
        Line2D([], [], color="black", label="Idlib governorate"),
        Line2D([], [], color="#7f0000", lw=2, label="Turkish border"),
        Line2D([], [], color="#7f0000", ls="--", label="front at start (estimate)"),
        Line2D([], [], color="#b00020", lw=1.6, label="front at end (model)"),
        Line2D([], [], marker="^", ls="", color="#2a9d8f", mec="black", label="camp cluster"),
        Line2D([], [], marker="X", ls="", color="#e76f51", mec="black", label="checkpoint (open)"),
        Line2D([], [], marker="s", ls="", color="#c1121f", label="Turkish observation post"),
        Line2D(
            [],
            [],
            marker="*",
            ls="",
            color="#ffb703",
            mec="black",
            ms=12,
            label="Bab al-Hawa crossing",
        ),
        Line2D([], [], marker="o", ls="", color="#222222", alpha=0.45, label="people (size)"),
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=7.5, framealpha=0.9)
    extent = map_extent(geo)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(
        f"{model.config.name}: control and population on {model.date.isoformat()} (day {model.day})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=FIG_DPI)
    plt.close(fig)


def write_all(model: EscalationModel, folder: Path) -> list[Path]:
    """Write every figure into ``folder``; return their paths."""
    paths = [folder / "displacement.png", folder / "ladders.png", folder / "map.png"]
    plot_displacement(model, paths[0])
    plot_ladders(model, paths[1])
    plot_map(model, paths[2])
    return paths
