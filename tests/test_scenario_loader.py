"""Scenario loading: schema errors with locations, extends, --set, defaults, round trip, safety.

YAML in these tests carries ``# N`` comments that give each line's number, so that the
expected line numbers in the assertions can be checked by eye.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.cli import main
from sim.world.loader import (
    Problem,
    ScenarioError,
    load_scenario,
    parse_key,
    parse_override,
    scenario_hash,
    scenario_yaml,
    set_key,
)
from sim.world.schema import Scenario, TurkeyConfig

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

TWO_CHECKPOINTS = """\
name: x                   # 1
checkpoints:              # 2
  - name: A               # 3
    lat: 35.7             # 4
    lon: 37.0             # 5
    capacity_per_day: 300 # 6
  - name: B               # 7
    lat: 35.3             # 8
    lon: 36.7             # 9
    capacity_per_day: {cap}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(path: Path | str, overrides: list[str] | None = None) -> Problem:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    problems = info.value.problems
    assert len(problems) == 1, problems
    return problems[0]


def cli_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    """Run the CLI, check it failed as bad input, and return its stderr lines."""
    capsys.readouterr()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert lines
    assert all(line.startswith("error: ") for line in lines), lines
    return lines


# ------------------------------------------------------------------ schema errors

SCHEMA_ERRORS = {
    "misspelled_key": (
        "name: x\n"  # 1
        "turkey:\n"  # 2
        "  cooldown_days: 5\n"  # 3
        "  crisis_treshold_people: 5\n",  # 4
        "turkey.crisis_treshold_people",
        4,
        "did you mean 'turkey.crisis_threshold_people'",
    ),
    "misspelled_top_level_key": (
        "name: x\n"  # 1
        "dayz: 30\n",  # 2
        "dayz",
        2,
        "did you mean 'days'",
    ),
    "string_for_number": (
        "name: x\n"  # 1
        "description: d\n"  # 2
        "days: lots\n",  # 3
        "days",
        3,
        "'lots'",
    ),
    "negative_capacity_in_list_item": (
        TWO_CHECKPOINTS.format(cap="-5     # 10"),
        "checkpoints[1].capacity_per_day",
        10,
        "-5",
    ),
    "misspelled_key_in_list_item": (
        TWO_CHECKPOINTS.replace("capacity_per_day: {cap}", "capasity_per_day: 10 # 10"),
        "checkpoints[1].capasity_per_day",
        10,
        "did you mean 'checkpoints[1].capacity_per_day'",
    ),
    "wrong_enum": (
        "name: x\n"  # 1
        "border:\n"  # 2
        "  quota_per_day: 0\n"  # 3
        "  policy: closed\n",  # 4
        "border.policy",
        4,
        "'closed'",
    ),
    "invalid_yaml": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "bad: a: b\n"  # 3
        "seed: 1\n",  # 4
        "",
        3,
        "not valid YAML",
    ),
    "event_sets_frozen_key": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "events:\n"  # 3
        "  - day: 3\n"  # 4
        "    note: n\n"  # 5
        "    set:\n"  # 6
        "      grid.cell_km: 4\n",  # 7
        "events[0].set.grid.cell_km",
        7,
        "cannot change during a run",
    ),
    "event_sets_unknown_key": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "events:\n"  # 3
        "  - day: 3\n"  # 4
        "    note: n\n"  # 5
        "    set:\n"  # 6
        "      turkey.crisis_treshold_people: 4\n",  # 7
        "events[0].set.turkey.crisis_treshold_people",
        7,
        "unknown key",
    ),
    "event_sets_bad_value": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "events:\n"  # 3
        "  - day: 3\n"  # 4
        "    note: n\n"  # 5
        "    set:\n"  # 6
        "      border.policy: closed\n",  # 7
        "events[0].set.border.policy",
        7,
        "'closed'",
    ),
    "event_sets_missing_list_item": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "events:\n"  # 3
        "  - day: 3\n"  # 4
        "    set:\n"  # 5
        "      checkpoints[9].capacity_per_day: 1\n",  # 6
        "events[0].set.checkpoints[9].capacity_per_day",
        6,
        "does not exist",
    ),
    "event_day_after_run": (
        "name: x\n"  # 1
        "days: 10\n"  # 2
        "events:\n"  # 3
        "  - note: too late\n"  # 4
        "    day: 11\n"  # 5
        "    set: {ceasefire.active: true}\n",  # 6
        "events[0]",
        4,
        "outside the run",
    ),
    "event_date_before_start": (
        "name: x\n"  # 1
        "start_date: 2019-04-29\n"  # 2
        "events:\n"  # 3
        "  - day: 1\n"  # 4
        "    set: {ceasefire.active: true}\n"  # 5
        "  - date: 2019-01-01\n"  # 6
        "    set: {ceasefire.active: true}\n",  # 7
        "events[1]",
        6,
        "outside the run",
    ),
}


@pytest.mark.parametrize("case", list(SCHEMA_ERRORS))
def test_schema_error_is_one_located_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, key, line, fragment = SCHEMA_ERRORS[case]
    path = write(tmp_path / f"{case}.yaml", text)

    problem = only_problem(path)

    assert problem.file == str(path)
    assert problem.key == key
    assert problem.line == line
    assert fragment in problem.message
    where = f"{path}:{line}: {key}: " if key else f"{path}:{line}: "
    assert str(problem).startswith(where)
    assert cli_errors(capsys, ["validate", str(path)]) == [f"error: {problem}"]


def test_missing_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "nowhere.yaml"
    problem = only_problem(path)
    assert problem.file == str(path)
    assert "not found" in problem.message
    [line] = cli_errors(capsys, ["validate", str(path)])
    assert str(path) in line
    assert "not found" in line


def test_invalid_calendar_date_is_a_located_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # YAML reads 2019-02-30 as a timestamp and fails while building the date.
    path = write(tmp_path / "s.yaml", "name: x\nstart_date: 2019-02-30\n")
    problem = only_problem(path)
    assert problem.file == str(path)
    assert problem.line == 2
    [line] = cli_errors(capsys, ["validate", str(path)])
    assert line.startswith(f"error: {path}:2: ")


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "name: x\ndays: lots\nborder:\n  policy: closed\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert {(p.key, p.line) for p in info.value.problems} == {("days", 2), ("border.policy", 4)}


def test_events_may_not_touch_any_frozen_key(tmp_path: Path) -> None:
    for key in ("grid", "population", "control", "camps", "seed", "days", "start_date", "events"):
        path = write(
            tmp_path / f"{key}.yaml",
            f"name: x\nevents:\n  - day: 1\n    set:\n      {key}: 1\n",
        )
        problem = only_problem(path)
        assert problem.key == f"events[0].set.{key}"
        assert problem.line == 5


def test_event_within_run_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        "name: x\ndays: 10\nevents:\n  - day: 10\n    set: {border.policy: open}\n",
    )
    scenario = load_scenario(path)
    assert scenario.events[0].set == {"border.policy": "open"}


# ------------------------------------------------------------------ extends


def test_extends_resolves_relative_to_the_file_and_deep_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "base" / "parent.yaml",
        "name: parent\n"
        "days: 40\n"
        "turkey:\n"
        "  crisis_threshold_people: 123456\n"
        "  cooldown_days: 7\n"
        "border:\n"
        "  policy: quota\n"
        "  quota_per_day: 50\n",
    )
    child = write(
        tmp_path / "kids" / "child.yaml",
        "extends: ../base/parent.yaml\nname: child\nturkey:\n  cooldown_days: 3\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    scenario = load_scenario(child)

    assert scenario.name == "child"
    assert scenario.turkey.cooldown_days == 3
    assert scenario.turkey.crisis_threshold_people == 123456
    assert scenario.days == 40
    assert (scenario.border.policy, scenario.border.quota_per_day) == ("quota", 50)


def test_extends_chain_resolves_each_parent_relative_to_its_own_file(tmp_path: Path) -> None:
    write(tmp_path / "a" / "grand.yaml", "name: grand\ndays: 30\nseed: 5\n")
    write(tmp_path / "b" / "parent.yaml", "extends: ../a/grand.yaml\nname: parent\ndays: 20\n")
    child = write(tmp_path / "c" / "d" / "child.yaml", "extends: ../../b/parent.yaml\nseed: 9\n")
    scenario = load_scenario(child)
    assert (scenario.name, scenario.days, scenario.seed) == ("parent", 20, 9)


def test_extends_replaces_lists_instead_of_merging(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", TWO_CHECKPOINTS.format(cap="10"))
    child = write(
        tmp_path / "child.yaml",
        "extends: parent.yaml\n"
        "checkpoints:\n"
        "  - name: C\n"
        "    lat: 36.0\n"
        "    lon: 37.0\n"
        "    capacity_per_day: 7\n",
    )
    empty = write(tmp_path / "empty.yaml", "extends: parent.yaml\ncheckpoints: []\n")

    assert [(c.name, c.capacity_per_day) for c in load_scenario(child).checkpoints] == [("C", 7)]
    assert load_scenario(empty).checkpoints == []
    assert [c.name for c in load_scenario(tmp_path / "parent.yaml").checkpoints] == ["A", "B"]


def test_circular_extends_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path / "one.yaml", "extends: two.yaml\nname: one\n")
    write(tmp_path / "two.yaml", "extends: one.yaml\nname: two\n")
    selfish = write(tmp_path / "self.yaml", "extends: self.yaml\n")

    for path in (first, selfish):
        problem = only_problem(path)
        assert problem.key == "extends"
        assert "circular" in problem.message
        assert len(cli_errors(capsys, ["validate", str(path)])) == 1


def test_error_in_parent_names_the_parent_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = write(
        tmp_path / "base" / "parent.yaml",
        "name: parent\n"  # 1
        "days: 30\n"  # 2
        "turkey:\n"  # 3
        "  cooldown_days: -1\n",  # 4
    )
    child = write(
        tmp_path / "kids" / "child.yaml",
        "extends: ../base/parent.yaml\nturkey:\n  hysteresis: 0.1\n",
    )

    problem = only_problem(child)

    assert Path(problem.file).resolve() == parent.resolve()
    assert (problem.key, problem.line) == ("turkey.cooldown_days", 4)
    [line] = cli_errors(capsys, ["validate", str(child)])
    assert "parent.yaml:4: turkey.cooldown_days: " in line


def test_yaml_syntax_error_in_parent_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", "name: p\ndays: 3\nbad: a: b\n")
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\n")
    problem = only_problem(child)
    assert Path(problem.file).resolve() == parent.resolve()
    assert problem.line == 3


def test_missing_parent_is_reported_at_the_extends_line(tmp_path: Path) -> None:
    child = write(tmp_path / "child.yaml", "name: c\nextends: ../gone/parent.yaml\n")
    problem = only_problem(child)
    assert (problem.file, problem.line, problem.key) == (str(child), 2, "extends")
    assert "parent.yaml" in problem.message


# ------------------------------------------------------------------ --set overrides


def test_parse_key_and_override() -> None:
    assert parse_key("checkpoints[1].capacity_per_day") == ("checkpoints", 1, "capacity_per_day")
    assert parse_key("turkey.ladder[0].effects.troop_exposure") == (
        "turkey",
        "ladder",
        0,
        "effects",
        "troop_exposure",
    )
    assert parse_override("checkpoints=[]") == (("checkpoints",), [])
    assert parse_override("ceasefire.active=true") == (("ceasefire", "active"), True)
    assert parse_override("name=a=b") == (("name",), "a=b")
    for bad in ("[0].x", "a..b", "", "a.1b"):
        with pytest.raises(ValueError):
            parse_key(bad)
    with pytest.raises(ValueError):
        parse_override("no_equals_sign")


def test_set_key_creates_mappings_but_not_list_items() -> None:
    data: dict = {"checkpoints": [{"name": "A"}]}
    set_key(data, ("turkey", "cooldown_days"), 3)
    set_key(data, ("checkpoints", 0, "capacity_per_day"), 5)
    assert data == {
        "checkpoints": [{"name": "A", "capacity_per_day": 5}],
        "turkey": {"cooldown_days": 3},
    }
    with pytest.raises(KeyError):
        set_key(data, ("checkpoints", 1, "capacity_per_day"), 5)


def test_set_dotted_paths_and_yaml_values(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", TWO_CHECKPOINTS.format(cap="10"))
    scenario = load_scenario(
        path,
        [
            "turkey.crisis_threshold_people=200000",
            "border.policy=open",
            "ceasefire.active=true",
            "checkpoints[0].capacity_per_day=5",
            "start_date=2019-05-01",
        ],
    )
    assert scenario.turkey.crisis_threshold_people == 200000
    assert scenario.border.policy == "open"
    assert scenario.ceasefire.active is True
    assert [c.capacity_per_day for c in scenario.checkpoints] == [5, 10]
    assert scenario.start_date.isoformat() == "2019-05-01"
    assert load_scenario(path, ["checkpoints=[]"]).checkpoints == []


def test_set_list_index_into_default_list(tmp_path: Path) -> None:
    # The file does not list checkpoints, so the scenario has the schema's default ones;
    # `--set checkpoints[0].capacity_per_day=5` must change the first of those.
    path = write(tmp_path / "s.yaml", "name: x\n")
    expected = load_scenario(path).checkpoints
    scenario = load_scenario(path, ["checkpoints[0].capacity_per_day=5"])
    assert scenario.checkpoints[0].capacity_per_day == 5
    assert scenario.checkpoints[1:] == expected[1:]


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("turkey.crisis_treshold_people=1", "turkey.crisis_treshold_people"),
        ("days=lots", "days"),
        ("border.policy=closed", "border.policy"),
        ("checkpoints[5].capacity_per_day=1", "checkpoints[5].capacity_per_day"),
        ("turkey..cooldown_days=1", "turkey..cooldown_days"),
        ("days", "days"),
    ],
)
def test_bad_set_names_set(
    override: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "s.yaml", "name: x\ndays: 10\nborder:\n  policy: quota\n")
    problem = only_problem(path, [override])
    assert (problem.file, problem.line, problem.key) == ("--set", None, key)
    assert str(problem).startswith(f"--set: {key}: ")
    [line] = cli_errors(capsys, ["validate", str(path), "--set", override])
    assert line.startswith("error: --set: ")


def test_set_applies_after_extends(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", "name: p\nborder:\n  policy: quota\n  quota_per_day: 100\n")
    child = write(
        tmp_path / "child.yaml",
        "extends: parent.yaml\nname: c\ndays: 50\nborder:\n  quota_per_day: 200\n",
    )
    scenario = load_scenario(child, ["border.policy=open", "days=20"])
    assert scenario.border.policy == "open"
    assert scenario.border.quota_per_day == 200
    assert scenario.days == 20
    assert scenario.name == "c"


# ------------------------------------------------------------------ defaults


def _default(model: type[BaseModel], field: str) -> object:
    return model.model_fields[field].get_default(call_default_factory=True)


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path / "s.yaml", "name: x\n"))
    assert scenario.name == "x"
    for field in Scenario.model_fields:
        if field != "name":
            assert getattr(scenario, field) == _default(Scenario, field), field
    threshold = _default(TurkeyConfig, "crisis_threshold_people")
    assert scenario.turkey.crisis_threshold_people == threshold


def test_empty_file_gives_all_defaults(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path / "s.yaml", "# nothing\n")) == Scenario()


def test_default_yaml_keeps_every_key_at_its_documented_default() -> None:
    scenario = load_scenario(SCENARIOS / "default.yaml")
    assert scenario == Scenario(name=scenario.name, description=scenario.description)


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml")))
def test_scenario_yaml_round_trip(name: str, tmp_path: Path) -> None:
    original = load_scenario(SCENARIOS / name)
    resolved = write(tmp_path / "resolved.yaml", scenario_yaml(original))
    again = load_scenario(resolved)
    assert again == original
    assert scenario_hash(again) == scenario_hash(original)


def test_round_trip_keeps_overrides(tmp_path: Path) -> None:
    original = load_scenario(
        SCENARIOS / "default.yaml", ["checkpoints=[]", "border.policy=open", "days=12"]
    )
    again = load_scenario(write(tmp_path / "resolved.yaml", scenario_yaml(original)))
    assert again == original
    assert yaml.safe_load(scenario_yaml(original))["days"] == 12


def test_scenario_hash_changes_with_any_value(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "name: x\n")
    assert scenario_hash(load_scenario(path)) == scenario_hash(load_scenario(path))
    assert scenario_hash(load_scenario(path)) != scenario_hash(
        load_scenario(path, ["civilians.tolerance_sigma=0.71"])
    )


# ------------------------------------------------------------------ YAML safety


def test_python_tags_are_rejected_and_not_executed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "executed"
    path = write(
        tmp_path / "evil.yaml",
        f'name: x\ndescription: !!python/object/apply:os.system ["touch {marker}"]\n',
    )

    problem = only_problem(path)

    assert (problem.file, problem.line) == (str(path), 2)
    assert "python/object/apply" in problem.message
    [line] = cli_errors(capsys, ["validate", str(path)])
    assert line.startswith(f"error: {path}:2: ")
    assert not marker.exists()
