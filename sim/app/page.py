"""The Solara page of the classroom app (``solara run sim/app/page.py`` serves it).

Mesa's SolaraViz ``ModelController`` supplies Step, Play/Pause and Reset (Reset rebuilds
the model from the lever values); this module adds the levers, the panel, the live map,
the plots and the event log. Each browser tab builds its own model, so two students never
step the same run.
"""

from __future__ import annotations

import html

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.app.classroom import ClassroomModel
from sim.app.figures import MapFigure, PlotsFigure
from sim.app.levers import Levers, scenario_choices, slider_specs, start_scenario
from sim.app.measure import daily_series
from sim.app.narrate import format_date, rung_label
from sim.world.loader import load_scenario

TITLE = "Idlib 2019-20: escalation and displacement"
START = start_scenario()
CHOICES = scenario_choices(START)
MODEL_PARAMS = slider_specs(Levers.of(load_scenario(START)), list(CHOICES))
ROUTINE_SHOWN = 40  # routine lines kept on screen
PLAY_INTERVAL_MS = 200
CSS = """
.idlib-panel { font-size: 16px; line-height: 1.5; }
.idlib-panel b { font-size: 18px; }
.idlib-log { max-height: 560px; overflow-y: auto; font-size: 15px; line-height: 1.35; }
.idlib-log-line { margin: 0 0 6px 0; }
.idlib-routine { font-size: 13px; color: #555; }
.idlib-note { font-size: 14px; }
"""


def _panel_html(model: ClassroomModel) -> str:
    """Day, date, each state's rung by name, the alliance, and where people are."""
    m = {column: values[-1] for column, values in daily_series(model).items()}
    states = []
    for state in (model.turkey, model.russia, model.government):
        ladder = state.config.ladder
        states.append(
            f"{html.escape(state.actor_name)}: <b>{html.escape(rung_label(state.rung_name))}"
            f"</b> (rung {state.rung + 1} of {len(ladder)})"
        )
    together = "fighting together" if model.alliance.joined else "apart"
    ceasefire = " &middot; <b>ceasefire holds</b>" if model.ceasefire_active else ""
    return (
        f'<div class="idlib-panel">'
        f'<span class="idlib-day"><b>Day {model.day}</b> of {model.config.days}</span>'
        f" &middot; <b>{format_date(model.date)}</b> &middot; "
        f"{html.escape(model.config.name)}{ceasefire}<br>"
        + " &middot; ".join(states)
        + f" &middot; HTS and NLF: {together}<br>"
        f'left home: <b class="idlib-left-home">{m["displaced_cumulative"]:,}</b> &middot; '
        f"in camps: {m['in_camps']:,} &middot; "
        f"crossed to Turkey: {m['crossed_to_turkey']:,} &middot; "
        f"exited via checkpoints: {m['exited_via_checkpoints']:,} &middot; "
        f"civilians killed: {m['civilian_deaths']:,}</div>"
    )


def _log_html(model: ClassroomModel) -> str:
    """The event log, newest first: headlines, then the latest routine lines."""
    narrator = model.narrator
    heads = "".join(
        f'<p class="idlib-log-line idlib-headline">{html.escape(str(line))}</p>'
        for line in narrator.headlines()
    )
    routine = "".join(
        f'<p class="idlib-log-line idlib-routine">{html.escape(str(line))}</p>'
        for line in narrator.routine()[:ROUTINE_SHOWN]
    )
    return (
        '<div class="idlib-log"><h3>What happened, and why (newest first)</h3>'
        f"{heads or '<p>Nothing yet: press Step or Play.</p>'}"
        f"<h4>Routine: ground changing hands, soldiers killed</h4>{routine}</div>"
    )


@solara.component
def ClassroomView(model: ClassroomModel):  # noqa: N802 (Solara components are capitalised)
    """Panel, map, event log and plots of the current run."""
    update_counter.get()  # redraw after every Step, Play tick and Reset
    figures = solara.use_memo(lambda: (MapFigure(model), PlotsFigure(model)), [model])

    def draw() -> tuple[bytes, bytes]:
        for figure in figures:
            figure.update()
        return figures[0].png(), figures[1].png()

    map_png, plots_png = solara.use_memo(draw, [model, model.day])
    solara.Style(CSS)
    with solara.Column(style={"padding": "8px"}):
        solara.HTML(tag="div", unsafe_innerHTML=_panel_html(model))
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            solara.Image(map_png, classes=["idlib-map"])
            with solara.Column(style={"flex": "1 1 340px", "min-width": "340px"}):
                solara.HTML(tag="div", unsafe_innerHTML=_log_html(model))
        solara.Image(plots_png, classes=["idlib-plots"])


def _lever_label(spec: dict, value) -> str:
    if spec["type"] == "SliderFloat":
        return f"{spec['label']}: {value:.2f}"
    if spec["type"] == "SliderInt":
        return f"{spec['label']}: {value:,}"
    return spec["label"]


@solara.component
def LeverInputs(params: solara.Reactive[dict]):  # noqa: N802
    """One input per teaching lever, each showing its value; they apply on Reset."""
    for name, spec in MODEL_PARAMS.items():

        def set_value(value, name=name):
            params.set({**params.value, name: value})

        value = params.value[name]
        with solara.Column(gap="0px", classes=[f"idlib-lever-{name}"]):
            if spec["type"] == "Select":
                solara.Select(spec["label"], value=value, values=spec["values"], on_value=set_value)
                continue
            solara.Text(_lever_label(spec, value), classes=["idlib-lever-label"])
            slider = solara.SliderFloat if spec["type"] == "SliderFloat" else solara.SliderInt
            slider(
                "",
                value=value,
                min=spec["min"],
                max=spec["max"],
                step=spec["step"],
                on_value=set_value,
            )


@solara.component
def Page():  # noqa: N802
    """The page: Mesa's run controls and the levers in the sidebar, the run beside them.

    Each browser tab renders its own ``Page``, hence its own model.
    """
    initial = solara.use_memo(lambda: ClassroomModel(scenario_file=START.name), [])
    model = solara.use_reactive(initial)
    params = solara.use_reactive({name: spec["value"] for name, spec in MODEL_PARAMS.items()})
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(
                model,
                model_parameters=params,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
            solara.Text(f"Pause between days when playing: {play_interval.value} ms")
            solara.SliderInt(
                "",
                value=play_interval,
                min=0,
                max=1000,
                step=50,
            )
        with solara.Card("Levers"):
            solara.HTML(
                tag="p",
                unsafe_innerHTML="A changed lever applies when you press <b>Reset</b>. "
                "The sliders start at the opening scenario's values and apply to whichever "
                "scenario is picked.",
                classes=["idlib-note"],
            )
            LeverInputs(params)
    ClassroomView(model.value)
