"""The app's two matplotlib figures, built once per run and updated in place each day.

:class:`MapFigure` shows control, people, the front and the places people go;
:class:`PlotsFigure` shows displacement by destination, each state's rung and border
displacement against Turkey's threshold. Only what changes is redrawn: image data,
marker sizes and colours, line data; the front contour only when control changed.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from PIL import Image

from sim.app.measure import daily_series
from sim.app.narrate import rung_label
from sim.runs.plots import draw_control, map_extent
from sim.world.geography import GOVERNMENT, HTS, NLF, TURKEY

if TYPE_CHECKING:
    from sim.model import EscalationModel

#: Control colours: government red, HTS blue, NLF green, Turkish territory grey.
CONTROL_COLOURS = {GOVERNMENT: "#e8a0a0", HTS: "#9db8dc", NLF: "#a8d5a2", TURKEY: "#e0e0e0"}
HOME_COLOUR = "#333333"
DISPLACED_COLOUR = "#f77f00"
CAMP_COLOUR = "#2a9d8f"
OPEN_COLOUR = "#2b9348"
CLOSED_COLOUR = "#9e9e9e"
POST_COLOUR = "#c1121f"
FRONT_COLOUR = "#b00020"
BORDER_COLOUR = "#6a040f"
DPI = 80
PEOPLE_PER_MARKER_AREA = 400.0  # people per point² of a population marker


def _thousands(value: float, _pos: int) -> str:
    return f"{value / 1000:,.0f}k" if abs(value) >= 1000 else f"{value:,.0f}"


def _nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 x 10^k at or above ``value``.

    Axis limits then change seldom, so the axes are seldom redrawn.
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(f * power for f in (1, 2, 5, 10) if f * power >= value)


def _png(rgba: np.ndarray) -> bytes:
    """RGBA or RGB pixels as PNG bytes (fast zlib level: the picture changes daily)."""
    out = io.BytesIO()
    Image.fromarray(rgba).save(out, format="PNG", compress_level=1)
    return out.getvalue()


class MapFigure:
    """The live map of one run.

    Args:
        model: The run to draw; its grid and places fix the figure's layout.
    """

    def __init__(self, model: EscalationModel):
        geo = model.geo
        self.model = model
        md = geo.map_data
        extent = map_extent(geo)
        # Fixed margins (no layout engine): nothing to solve before the first picture.
        self.figure = Figure(figsize=(8.4, 7.2), dpi=DPI)
        self._canvas = FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.add_axes((0.01, 0.01, 0.70, 0.98))
        self._image = draw_control(ax, self._control_shown(), geo, CONTROL_COLOURS)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xticks([])
        ax.set_yticks([])
        rows, cols = np.indices(geo.shape)
        self._lon = geo.lon[cols].ravel()
        self._lat = geo.lat[rows].ravel()
        self._home = ax.scatter(
            self._lon, self._lat, s=0, color=HOME_COLOUR, alpha=0.5, linewidths=0, zorder=3
        )
        self._displaced = ax.scatter(
            self._lon, self._lat, s=0, color=DISPLACED_COLOUR, alpha=0.6, linewidths=0, zorder=4
        )
        ax.plot(md.outline[:, 1], md.outline[:, 0], color="black", lw=1.0, zorder=5)
        ax.plot(
            md.turkish_border[:, 1], md.turkish_border[:, 0], color=BORDER_COLOUR, lw=3, zorder=5
        )
        self._front = None
        self._front_version = -1
        for town in geo.towns:
            ax.plot(town.lon, town.lat, "o", ms=3, color="black", zorder=6)
            ax.annotate(
                town.name.split(" (")[0],
                (town.lon, town.lat),
                fontsize=9,
                xytext=(4, 3),
                textcoords="offset points",
                zorder=7,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6},
            )
        camp_lat = [geo.lat[c.cell.coordinate[0]] for c in model.camps]
        camp_lon = [geo.lon[c.cell.coordinate[1]] for c in model.camps]
        self._camps = ax.scatter(
            camp_lon,
            camp_lat,
            s=60,
            marker="^",
            color=CAMP_COLOUR,
            edgecolors="black",
            linewidths=0.6,
            zorder=8,
        )
        self._checkpoints = ax.scatter(
            [cp.config.lon for cp in model.checkpoints],
            [cp.config.lat for cp in model.checkpoints],
            s=110,
            marker="X",
            color=CLOSED_COLOUR,
            edgecolors="black",
            linewidths=0.6,
            zorder=8,
        )
        posts = model.config.turkey.observation_posts
        ax.scatter(
            [p.lon for p in posts],
            [p.lat for p in posts],
            s=40,
            marker="s",
            color=POST_COLOUR,
            edgecolors="white",
            linewidths=0.8,
            zorder=8,
        )
        crossing = model.config.border.crossing
        ax.plot(crossing.lon, crossing.lat, "*", ms=16, color="#ffb703", mec="black", zorder=9)
        self.figure.legend(
            handles=_legend_handles(), loc="upper left", bbox_to_anchor=(0.72, 0.99), fontsize=9
        )
        self._dynamic = [self._image, self._home, self._displaced, self._camps, self._checkpoints]
        self._overlay: tuple[np.ndarray, np.ndarray] | None = None
        self.update()

    def png(self) -> bytes:
        """The map as PNG bytes.

        What never changes (outline, border, town names, posts, legend) is drawn once
        into a transparent overlay; each day only control, people, camps, checkpoints
        and the front are drawn, and the overlay is laid over them.
        """
        static = [
            a
            for a in [*self.ax.lines, *self.ax.texts, *self.ax.collections]
            if a not in self._dynamic and a not in self._front_artists()
        ]
        static += list(self.figure.legends)
        if self._overlay is None:
            hidden = [*self._dynamic, *self._front_artists(), self.ax.patch, self.figure.patch]
            for artist in hidden:
                artist.set_visible(False)
            self._canvas.draw()
            rgba = np.asarray(self._canvas.buffer_rgba()).astype(np.float32) / 255.0
            alpha = rgba[..., 3:4]
            self._overlay = (rgba[..., :3] * alpha * 255.0, 1.0 - alpha)
            for artist in hidden:
                artist.set_visible(True)
        for artist in static:
            artist.set_visible(False)
        self._canvas.draw()
        for artist in static:
            artist.set_visible(True)
        base = np.asarray(self._canvas.buffer_rgba())[..., :3]
        colour, keep = self._overlay
        return _png((base * keep + colour).astype(np.uint8))

    def _front_artists(self) -> list:
        return [self._front] if self._front is not None else []

    def _control_shown(self) -> np.ndarray:
        return np.where(self.model.geo.turkey, TURKEY, self.model.control)

    def update(self) -> None:
        """Bring the map to the model's current day."""
        m = self.model
        self._image.set_data(self._control_shown())
        home = m.residents.total().ravel()
        displaced = m.displaced.sheltering.ravel()
        self._home.set_sizes(home / PEOPLE_PER_MARKER_AREA)
        self._displaced.set_sizes(displaced / PEOPLE_PER_MARKER_AREA)
        self._camps.set_sizes([40 + 160 * min(c.population / 4e5, 1.5) for c in m.camps])
        self._checkpoints.set_facecolor(
            [OPEN_COLOUR if cp.is_open else CLOSED_COLOUR for cp in m.checkpoints]
        )
        if m.territory.version != self._front_version:
            if self._front is not None:
                self._front.remove()
            # Turkish ground is masked, so the line runs only between opposition and
            # government ground, not along the border.
            opposition = np.ma.masked_where(
                m.geo.turkey, ((m.control == HTS) | (m.control == NLF)).astype(float)
            )
            self._front = self.ax.contour(
                m.geo.lon, m.geo.lat, opposition, levels=[0.5], colors=FRONT_COLOUR, linewidths=2
            )
            self._front_version = m.territory.version


def _legend_handles() -> list:
    def marker(shape: str, colour: str, label: str, size: float = 9) -> Line2D:
        return Line2D([], [], marker=shape, ls="", ms=size, color=colour, mec="black", label=label)

    return [
        Patch(color=CONTROL_COLOURS[GOVERNMENT], label="government"),
        Patch(color=CONTROL_COLOURS[HTS], label="HTS"),
        Patch(color=CONTROL_COLOURS[NLF], label="NLF"),
        Patch(color=CONTROL_COLOURS[TURKEY], label="Turkey"),
        Line2D([], [], color=FRONT_COLOUR, lw=2, label="front"),
        Line2D([], [], color=BORDER_COLOUR, lw=3, label="Turkish border"),
        Line2D([], [], color="black", lw=1, label="Idlib governorate"),
        Line2D([], [], marker="o", ls="", color=HOME_COLOUR, alpha=0.5, label="people at home"),
        Line2D([], [], marker="o", ls="", color=DISPLACED_COLOUR, label="displaced, sheltering"),
        marker("^", CAMP_COLOUR, "camps (size: people)"),
        marker("X", OPEN_COLOUR, "checkpoint open"),
        marker("X", CLOSED_COLOUR, "checkpoint closed"),
        marker("s", POST_COLOUR, "Turkish post", 7),
        marker("*", "#ffb703", "Bab al-Hawa crossing", 13),
    ]


#: Displacement by destination: (column or difference, label, colour).
DESTINATIONS = (
    ("displaced_inside", "displaced inside Idlib", DISPLACED_COLOUR),
    ("new_in_camps", "new arrivals in camps", CAMP_COLOUR),
    ("crossed_to_turkey", "crossed to Turkey", "#6a4c93"),
    ("exited_via_checkpoints", "exited to government areas", OPEN_COLOUR),
    ("civilian_deaths", "killed", "black"),
)
STATES = (("turkey", "Turkey"), ("russia", "Russia"), ("government", "Syrian government"))


class PlotsFigure:
    """The run's three plots, one figure: displacement, the rungs, the border.

    Args:
        model: The run to plot; the x axis spans its ``config.days``.
    """

    def __init__(self, model: EscalationModel):
        self.model = model
        days = model.config.days
        self.figure = Figure(figsize=(8.4, 7.2), dpi=DPI)
        self._canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(
            5,
            1,
            height_ratios=[2.2, 0.8, 0.8, 0.8, 1.6],
            left=0.1,
            right=0.72,
            top=0.95,
            bottom=0.05,
            hspace=0.3,
        )
        self._ax_people = self.figure.add_subplot(grid[0])
        rung_axes = [self.figure.add_subplot(grid[i + 1], sharex=self._ax_people) for i in range(3)]
        self._ax_border = self.figure.add_subplot(grid[4], sharex=self._ax_people)
        ax = self._ax_people
        ax.set_title("People displaced, by where they are", fontsize=11, loc="left")
        self._people = {
            key: ax.plot([], [], color=colour, lw=2, label=label)[0]
            for key, label, colour in DESTINATIONS
        }
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xlim(0, days)
        self._rungs = {}
        for axis, (attr, name) in zip(rung_axes, STATES, strict=True):
            ladder = getattr(model, attr).config.ladder
            (self._rungs[attr],) = axis.step([], [], where="post", lw=2, color="#264653")
            axis.set_ylim(-0.4, len(ladder) - 0.6)
            axis.set_yticks([])
            axis.set_ylabel("rung", fontsize=8)
            axis.text(0.01, 0.9, name, transform=axis.transAxes, va="top", fontsize=9)
            self._rungs[attr + "_label"] = axis.text(
                1.02,
                0.5,
                "",
                transform=axis.transAxes,
                ha="left",
                va="center",
                fontsize=9,
                fontweight="bold",
                wrap=True,
            )
        ax = self._ax_border
        ax.set_title("Displacement near the border, against Turkey's threshold", fontsize=11)
        (self._border,) = ax.plot([], [], color=DISPLACED_COLOUR, lw=2, label="newly displaced")
        (self._threshold,) = ax.plot(
            [], [], color=POST_COLOUR, ls="--", lw=1.5, label="Turkey's crisis threshold"
        )
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        start = model.config.start_date
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _: f"{start + dt.timedelta(days=int(x)):%d %b}")
        )
        for axis in [self._ax_people, *rung_axes]:
            axis.tick_params(labelbottom=False)
        self._dynamic = [
            *self._people.values(),
            *self._rungs.values(),
            self._border,
            self._threshold,
        ]
        self._background = None
        self._limits: tuple = ()
        self.update()

    def png(self) -> bytes:
        """The plots as PNG bytes.

        The axes, ticks and legends are drawn only when an axis limit changed (limits
        move in coarse steps); on other days only the lines and rung names are drawn
        over the kept background.
        """
        limits = (self._ax_people.get_ylim(), self._ax_border.get_ylim())
        if self._background is None or limits != self._limits:
            for artist in self._dynamic:
                artist.set_visible(False)
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            self._limits = limits
            for artist in self._dynamic:
                artist.set_visible(True)
        self._canvas.restore_region(self._background)
        for artist in self._dynamic:
            artist.axes.draw_artist(artist)
        return _png(np.asarray(self._canvas.buffer_rgba()))

    def update(self) -> None:
        """Bring the plots to the model's current day."""
        m = self.model
        s = daily_series(m)
        days = np.asarray(s["day"])
        in_camps = np.asarray(s["in_camps"])
        values = {key: np.asarray(s[key]) for key, *_ in DESTINATIONS if key in s}
        values["new_in_camps"] = in_camps - in_camps[0]
        top = 0.05 * m.population_total  # a floor, so the first days do not rescale daily
        for key, line in self._people.items():
            line.set_data(days, values[key])
            top = max(top, float(values[key].max()))
        self._ax_people.set_ylim(0, _nice_ceiling(top * 1.05))
        for attr, _ in STATES:
            state = getattr(m, attr)
            self._rungs[attr].set_data(days, s[f"{attr}_rung"])
            self._rungs[attr + "_label"].set_text(
                f"{rung_label(state.rung_name)}\n(rung {state.rung + 1} of "
                f"{len(state.config.ladder)})"
            )
        border = np.asarray(s["border_displaced_people"])
        threshold = m.config.turkey.crisis_threshold_people
        self._border.set_data(days, border)
        self._threshold.set_data([0, m.config.days], [threshold, threshold])
        self._ax_border.set_ylim(0, _nice_ceiling(max(threshold, float(border.max())) * 1.05))
