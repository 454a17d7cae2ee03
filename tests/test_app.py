"""The classroom app without a browser: levers, the plain-words event log, the command."""

import re
import socket
from pathlib import Path

import pytest

from sim.app.classroom import ClassroomModel
from sim.app.levers import AS_IN_SCENARIO, scenario_choices, teaching_scenario
from sim.app.measure import daily_series
from sim.app.narrate import Narrator, plain_description, rung_label
from sim.cli import main
from sim.model import EscalationModel
from sim.world.loader import apply_changes, load_scenario
from sim.world.schema import (
    default_government_ladder,
    default_russia_ladder,
    default_turkey_ladder,
)

YEAR = re.compile(r"\b(?:19|20)\d\d\b")
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def teaching_run() -> ClassroomModel:
    model = ClassroomModel()
    model.run()
    return model


def test_teaching_scenario_is_small_and_tells_the_story(teaching_run):
    cfg = teaching_run.config
    assert cfg.name == "teaching"
    assert 90 <= cfg.days <= 150
    assert cfg.grid.cell_km >= 3
    kinds = {row[3] for row in teaching_run.events}
    assert "rung_up" in kinds  # the ladder
    assert "alliance_formed" in kinds  # the alliance
    assert "camp_full" in kinds  # the camps filling
    assert teaching_run.turkey.rung >= 2


def test_levers_set_the_scenario_keys():
    model = ClassroomModel(
        sorties_per_day=30,
        crisis_threshold_people=200_000,
        checkpoint_capacity_per_day=1_500,
        checkpoint_pull=-1.0,
        border_policy="open",
        alliance_threshold=0.65,
        seed=7,
    )
    cfg = model.config
    assert cfg.bombardment.sorties_per_day == 30
    assert cfg.turkey.crisis_threshold_people == 200_000
    assert cfg.checkpoints and all(c.capacity_per_day == 1_500 for c in cfg.checkpoints)
    assert cfg.civilians.checkpoint_pull == -1.0
    assert cfg.border.policy == "open"
    assert cfg.rebels.alliance_threshold == 0.65
    assert cfg.seed == 7


def test_border_policy_as_in_the_scenario_keeps_the_files_policy():
    model = ClassroomModel(scenario_file="open_border.yaml", border_policy=AS_IN_SCENARIO)
    assert model.config.name == "open_border"
    assert model.config.border.policy == "open"
    sealed = ClassroomModel(scenario_file="open_border.yaml", border_policy="sealed")
    assert sealed.config.border.policy == "sealed"


def test_picker_offers_the_shipped_scenarios_with_the_start_one_first(tmp_path):
    choices = scenario_choices(teaching_scenario())
    names = list(choices)
    assert names[0] == "teaching.yaml"
    assert set(names) == {p.name for p in SCENARIOS.glob("*.yaml")}
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {SCENARIOS / 'teaching.yaml'}\nname: mine\ndays: 30\n")
    (tmp_path / "broken.yaml").write_text("days: lots\n")
    names = list(scenario_choices(mine))
    assert names[0] == "mine.yaml"
    assert "broken.yaml" not in names and "salami.yaml" in names


def test_a_scenario_given_on_the_command_line_is_the_first_run(tmp_path, monkeypatch):
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {SCENARIOS / 'teaching.yaml'}\nname: mine\ndays: 30\n")
    monkeypatch.setenv("IDLIB_APP_SCENARIO", str(mine))
    assert ClassroomModel(scenario_file="mine.yaml").config.name == "mine"
    assert ClassroomModel(scenario_file="salami.yaml").config.name == "salami"


def test_same_levers_and_seed_give_the_same_run_and_another_seed_another():
    a, b, c = ClassroomModel(seed=3), ClassroomModel(seed=3), ClassroomModel(seed=4)
    for model in (a, b, c):
        for _ in range(15):
            model.step()
    assert daily_series(a) == daily_series(b)
    assert [str(x) for x in a.narrator.lines] == [str(x) for x in b.narrator.lines]
    assert daily_series(a)["displaced_cumulative"] != daily_series(c)["displaced_cumulative"]


def test_every_event_row_gets_one_line_newest_first(teaching_run):
    narrator = teaching_run.narrator
    falls = [line for line in narrator.lines if " falls to " in line.text]
    assert len(narrator.lines) == len(teaching_run.events) + len(falls)
    assert falls, "towns change hands in the teaching run"
    for lines in (narrator.headlines(), narrator.routine()):
        days = [line.day for line in lines]
        assert days == sorted(days, reverse=True)
    assert all(line.headline for line in narrator.headlines())
    assert not any(line.headline for line in narrator.routine())


def test_headlines_and_routine_are_kept_apart(teaching_run):
    heads = " ".join(line.text for line in teaching_run.narrator.headlines())
    routine = [line.text for line in teaching_run.narrator.routine()]
    assert "Turkey moves up to" in heads
    assert "HTS and the NLF join forces" in heads
    assert routine and all(" km² from " in t or "Turkish soldier" in t for t in routine)


def test_turkeys_moves_name_the_signal_and_its_threshold(teaching_run):
    moves = [line for line in teaching_run.narrator.lines if line.text.startswith("Turkey moves")]
    assert moves
    for line in moves:
        assert "its threshold" in line.text or "its crisis threshold" in line.text


def test_force_ratios_are_said_to_be_attacker_to_defender(teaching_run):
    ground = [t.text for t in teaching_run.narrator.routine() if " km² from " in t.text]
    fought = [t for t in ground if "surrenders" not in t]
    assert fought
    assert all("attacker:defender force ratio" in t for t in fought)
    assert not any("local force ratio" in t for t in ground)


@pytest.mark.parametrize(
    "reason",
    [
        "encircled pocket gave up: local force ratio 0.00, rebel cooperation 0.20",  # older logs
        "encircled pocket gave up: cut off from other opposition ground",  # fixed wording
    ],
)
def test_a_surrendered_pocket_has_no_force_ratio(reason):
    model = ClassroomModel()
    model.log_event("government", "control_change", "took 16 km² from NLF near Morek", reason)
    model.narrator.after_step(model)
    text = model.narrator.lines[-1].text
    assert "surrenders" in text and "Morek" in text
    assert "ratio" not in text


def test_rung_descriptions_on_screen_carry_no_historical_date():
    rungs = default_turkey_ladder() + default_russia_ladder() + default_government_ladder()
    assert not [r.name for r in rungs if YEAR.search(r.description)]
    # A scenario's own ladder may still quote history: the app drops it.
    quoted = "Strikes close to Turkish posts (as at Balyun, 27 February 2020)"
    plain = plain_description(quoted)
    assert plain.startswith("Strikes close to Turkish posts")
    assert not YEAR.search(plain)
    assert not plain.endswith("(")


def test_rung_lines_quote_no_year_but_the_simulated_date(teaching_run):
    rung_lines = [line for line in teaching_run.narrator.lines if "moves" in line.text]
    assert rung_lines
    for line in rung_lines:
        assert not YEAR.search(line.text)
        assert str(line).startswith(f"{line.date.day} {line.date:%b %Y} — ")


def test_rung_labels_read_as_words():
    assert rung_label("return_fire") == "Return fire"
    assert rung_label("arm_nlf") == "Arm NLF"
    assert rung_label("strikes_near_turkish_positions") == "Strikes near Turkish positions"


def test_the_ceasefire_line_explains_russias_patience_resetting():
    scenario = apply_changes(
        load_scenario(teaching_scenario()),
        {
            "ceasefire.turkey_casualties_soldiers": 1,
            "ceasefire.government_losses_fighters": 1,
            "ceasefire.truce_days": 0,  # no truce first: the deal itself
            # Turkish posts under fire from the start, so that a soldier dies in the run.
            "turkey.casualties_per_front_post_day": 0.5,
        },
    )
    model = EscalationModel(scenario)
    narrator = Narrator(model)
    while model.running and not model.ceasefire_active:
        model.step()
        narrator.after_step(model)
    assert model.ceasefire_active
    line = next(x for x in narrator.headlines() if "ceasefire" in x.text)
    assert "patience" in line.text and "afresh" in line.text
    assert model.russia.patience == 1.0  # what the line says happened


def test_app_command_refuses_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("days: lots\n")
    assert main(["app", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {bad}:1: days:")


def test_app_command_refuses_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err


def test_app_help_names_the_defaults(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["app", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "127.0.0.1" in out and "teaching" in out and "--port" in out


def test_turkeys_reasons_quote_the_numbers_turkey_decided_on(teaching_run):
    # The model logs its own reason for each move; the app recomputes it in words.
    logged = [r for r in teaching_run.events if r[2] == "Turkey" and r[3] == "rung_up"]
    shown = [line.text for line in teaching_run.narrator.lines if line.text.startswith("Turkey")]
    assert logged and len(logged) == len(shown)
    for row, text in zip(logged, shown, strict=True):
        figure = re.match(r"(?:the opposition lost )?([\d,]+)", row[5]).group(1)
        assert re.search(rf"(?<![\d,]){figure}(?![\d,])", text), (row[5], text)


def test_scripted_ceasefires_read_as_words():
    scenario = load_scenario(SCENARIOS / "history_2019_2020.yaml", ["grid.cell_km=4"])
    model = EscalationModel(scenario)
    narrator = Narrator(model)
    while model.running and model.day < 130:  # past the truce of 31 Aug 2019 (day 124)
        model.step()
        narrator.after_step(model)
    scripted = [line.text for line in narrator.headlines() if line.text.startswith("Scenario")]
    assert scripted
    assert any(text.endswith("a ceasefire starts") for text in scripted)
    assert not any("ceasefire.active" in text for text in scripted)
