"""Values the schema and loader refuse: non-finite and non-strict numbers, duplicate keys,
places off the map, out-of-range references, aliases and deep nesting, --set wording.

Each test names the item of issue #13 it covers.
"""

from __future__ import annotations

import time
import typing
from pathlib import Path

import pytest
from conftest import DEFAULT
from pydantic import BaseModel

from sim.world.loader import Problem, ScenarioError, load_scenario
from sim.world.schema import Scenario, section_model


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path | str, overrides: list[str] | None = None) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    return info.value.problems


def only(path: Path | str, overrides: list[str] | None = None) -> Problem:
    [problem] = problems(path, overrides)
    return problem


def problem_at(key: str, overrides: list[str]) -> Problem:
    """The problem about ``key``; a --set into a section the file leaves out (such as
    ``border.crossing.lat``) also reports that section's other required keys as missing."""
    found = problems(DEFAULT, overrides)
    [problem] = [p for p in found if p.key == key]
    assert all(p.message == "required key is missing" for p in found if p is not problem)
    return problem


def leaf_keys(model: type[BaseModel], prefix: str, kind: type) -> list[str]:
    """Dotted keys of every field of type ``kind`` (or ``kind | None``), lists at [0]."""
    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = section_model(field.annotation)
        if inner is not None:
            is_list = typing.get_origin(field.annotation) is list
            keys += leaf_keys(inner, f"{key}[0]." if is_list else f"{key}.", kind)
        elif field.annotation is kind or kind in typing.get_args(field.annotation):
            keys.append(key)
    return [k for k in keys if not k.startswith("events")]  # no event by default


FLOAT_KEYS = leaf_keys(Scenario, "", float)
INT_KEYS = leaf_keys(Scenario, "", int)


def test_the_key_walk_finds_the_numbers():
    assert len(FLOAT_KEYS) > 60 and len(INT_KEYS) > 10
    assert "turkey.ladder[0].effects.sortie_multiplier" in FLOAT_KEYS
    assert "checkpoints[0].capacity_per_day" in INT_KEYS


# ------------------------------------------------------------ item 6: NaN and infinity


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_every_float_key_refuses_non_finite_numbers(value: str) -> None:
    for key in FLOAT_KEYS:
        problem = problem_at(key, [f"{key}={value}"])
        assert problem.file == "--set"
        assert "finite number" in problem.message, problem


def test_nan_for_a_bounded_key_says_finite_not_the_bound(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "bombardment:\n  sorties_per_day: .nan\n")
    assert str(only(path)) == (
        f"{path}:2: bombardment.sorties_per_day: input should be a finite number (got nan)"
    )


# ------------------------------------------------------------ item 8: numbers are numbers


@pytest.mark.parametrize("value", ["true", "yes", "'12'", "no"])
def test_every_int_key_refuses_booleans_and_strings(value: str) -> None:
    for key in INT_KEYS:
        problem = problem_at(key, [f"{key}={value}"])
        assert problem.file == "--set"
        assert problem.message.startswith("expected an integer, not "), problem


def test_float_keys_refuse_booleans_and_strings_but_take_integers() -> None:
    for key in FLOAT_KEYS:
        for value in ("true", "'0.5'"):
            problem = problem_at(key, [f"{key}={value}"])
            assert problem.message.startswith("expected a number, not "), problem
    assert load_scenario(DEFAULT, ["grid.cell_km=3"]).grid.cell_km == 3.0
    assert "fractional part" in only(DEFAULT, ["days=1.5"]).message


def test_numpy_numbers_from_sweep_designs_are_numbers() -> None:
    import numpy as np

    from sim.world.loader import apply_changes

    changed = apply_changes(
        load_scenario(DEFAULT), {"days": np.int64(9), "grid.cell_km": np.float64(3.5)}
    )
    assert (changed.days, changed.grid.cell_km) == (9, 3.5)


def test_days_yes_is_an_error_not_one_day(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "name: x\ndays: yes\n")
    problem = only(path)
    assert (problem.line, problem.key) == (2, "days")
    assert "not true/false" in problem.message
    assert "not true/false" in only(DEFAULT, ["days=true"]).message


# ------------------------------------------------------------ item 7: duplicate keys


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    text = "days: 10\nname: x\nturkey:\n  cooldown_days: 3\ndays: 20\nturkey:\n  hysteresis: 0.1\n"
    found = {(p.key, p.line, p.message) for p in problems(write(tmp_path / "s.yaml", text))}
    assert found == {
        ("days", 5, "duplicate key: given on line 1 and again on line 5; keep one"),
        ("turkey", 6, "duplicate key: given on line 3 and again on line 6; keep one"),
    }


def test_duplicate_keys_inside_lists_and_in_set_values(tmp_path: Path) -> None:
    text = "checkpoints:\n  - name: A\n    lat: 35.7\n    lon: 37.0\n    lat: 35.8\n"
    problem = only(write(tmp_path / "s.yaml", text))
    assert (problem.key, problem.line) == ("checkpoints[0].lat", 5)
    problem = only(DEFAULT, ["border={policy: open, policy: sealed}"])
    assert problem.file == "--set" and "given twice" in problem.message


# ------------------------------------------------------------ item 9: places off the map


@pytest.mark.parametrize(
    ("yaml_text", "key", "line"),
    [
        (
            "camps:\n  - {name: C, lat: 36.6, lon: 36.7, capacity_people: 9, initial_share: 1}\n",
            "camps[0].lat",
            2,
        ),
        ("checkpoints:\n  - name: K\n    lat: 35.5\n    lon: 37.6\n", "checkpoints[0].lon", 4),
        ("border:\n  crossing: {name: B, lat: 36.5, lon: 36.69}\n", "border.crossing.lat", 2),
        (
            "turkey:\n  observation_posts:\n    - {name: P, lat: 35.0, lon: 36.5}\n",
            "turkey.observation_posts[0].lat",
            3,
        ),
        (
            "government:\n  axes:\n    - {name: A, lat: 35.5, lon: 36.0}\n",
            "government.axes[0].lon",
            3,
        ),
    ],
)
def test_places_off_the_map_are_refused_with_their_key(
    yaml_text: str, key: str, line: int, tmp_path: Path
) -> None:
    # Inside the schema's lat/lon range, outside the grid: the model would clamp them.
    problem = only(write(tmp_path / "s.yaml", yaml_text))
    assert (problem.key, problem.line) == (key, line)
    assert "off the map" in problem.message and "35.20..36.42 N" in problem.message


def test_an_event_moving_a_place_is_refused(tmp_path: Path) -> None:
    # Places are fixed on day 0 (sim.event_keys), so no event can move one off the map.
    text = "events:\n  - day: 3\n    set: {border.crossing: {name: B, lat: 36.6, lon: 36.7}}\n"
    problem = only(write(tmp_path / "s.yaml", text))
    assert (problem.key, problem.line) == ("events[0].set.border.crossing", 3)
    assert "only on day 0" in problem.message


def test_every_shipped_place_is_on_the_2km_grid_in_its_own_cell() -> None:
    from sim.world.geography import KM_PER_DEG_LAT, KM_PER_DEG_LON, build_geography

    shipped = sorted(DEFAULT.parent.glob("*.yaml"))
    for path in shipped:
        load_scenario(path)  # refuses places off the map
    scenario = load_scenario(DEFAULT)
    assert scenario.grid.cell_km == 2.0
    geo = build_geography(scenario)
    places = [
        scenario.border.crossing,
        *scenario.camps,
        *scenario.checkpoints,
        *scenario.turkey.observation_posts,
        *scenario.government.axes,
    ]
    for place in places:
        r, c = geo.cell_of(place.lat, place.lon)
        # The cell it lands in holds it: its centre is at most half a cell away each way.
        assert abs(geo.lat[r] - place.lat) * KM_PER_DEG_LAT <= 1.0 + 1e-9, place
        assert abs(geo.lon[c] - place.lon) * KM_PER_DEG_LON <= 1.0 + 1e-9, place


# ------------------------------------------------------------ item 10: references in range


def test_forced_rung_must_be_on_the_ladder(tmp_path: Path) -> None:
    problem = only(write(tmp_path / "s.yaml", "name: x\nturkey:\n  forced_rung: 99\n"))
    assert (problem.key, problem.line) == ("turkey.forced_rung", 3)
    assert "0..5" in problem.message
    assert load_scenario(DEFAULT, ["turkey.forced_rung=5"]).turkey.forced_rung == 5
    # A shorter ladder narrows the range.
    problem = only(DEFAULT, ["russia.ladder=[{name: only}]", "russia.forced_rung=1"])
    assert problem.key == "russia.forced_rung" and "0..0" in problem.message
    text = "events:\n  - day: 2\n    set: {government.forced_rung: 4}\n"
    problem = only(write(tmp_path / "e.yaml", text))
    assert (problem.key, problem.line) == ("events[0].set.government.forced_rung", 3)


def test_checkpoint_closes_after_it_opens(tmp_path: Path) -> None:
    text = "checkpoints:\n  - name: K\n    lat: 35.5\n    lon: 37.0\n    open_from_day: 10\n"
    for close, ok in ((5, False), (9, False), (10, True), (11, True)):
        path = write(tmp_path / "s.yaml", f"{text}    close_from_day: {close}\n")
        if ok:
            assert load_scenario(path).checkpoints[0].close_from_day == close
        else:
            problem = only(path)
            assert (problem.key, problem.line) == ("checkpoints[0].close_from_day", 6)


@pytest.mark.parametrize("date", ["9999-12-01", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_start_date_far_out_is_refused(date: str, tmp_path: Path) -> None:
    problem = only(write(tmp_path / "s.yaml", f"name: x\nstart_date: {date}\n"))
    assert (problem.key, problem.line) == ("start_date", 2)
    text = f"events:\n  - date: {date}\n    set: {{ceasefire.active: true}}\n"
    assert only(write(tmp_path / "e.yaml", text)).key == "events[0].date"


def test_the_latest_start_date_runs() -> None:
    import datetime as dt

    from sim.model import EscalationModel

    model = EscalationModel(load_scenario(DEFAULT, ["start_date=2100-12-31", "days=5"]))
    model.run()
    assert model.date == dt.date(2101, 1, 5)


# ------------------------------------------------------------ item 11: threshold of 0


def test_crisis_threshold_of_zero_is_refused() -> None:
    # 0 used to switch Turkey's border signal off while the summary said "reached on day 0".
    problem = only(DEFAULT, ["turkey.crisis_threshold_people=0"])
    assert problem.key == "turkey.crisis_threshold_people"
    assert "greater than or equal to 1" in problem.message
    assert load_scenario(DEFAULT, ["turkey.crisis_threshold_people=1"])


# ------------------------------------------------------------ item 13: parser limits


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_in_well_under_a_second(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.yaml", alias_bomb(9))
    started = time.perf_counter()
    problem = only(path)
    assert time.perf_counter() - started < 0.5
    assert problem.line == 2 and "aliases" in problem.message
    assert "aliases" in only(DEFAULT, ["checkpoints=[&a {name: x}, *a]"]).message


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_one_line_not_a_recursion_error(opener: str, tmp_path: Path) -> None:
    closer = "]" if opener == "[" else "}"
    path = write(tmp_path / "deep.yaml", "x: " + opener * 5000 + "1" + closer * 5000 + "\n")
    problem = only(path)
    assert problem.line == 1 and "nested more than" in problem.message


# ------------------------------------------------------------ item 14: wording


def test_unknown_set_key_blames_set_not_the_file() -> None:
    problem = only(DEFAULT, ["nosuch.key=5"])
    assert (problem.file, problem.key) == ("--set", "nosuch")
    assert "unknown key" in problem.message


def test_bad_set_yaml_is_one_line() -> None:
    problem = only(DEFAULT, ["days=[1"])
    assert problem.file == "--set" and "\n" not in str(problem)
    assert "not valid YAML" in problem.message


def test_extends_a_folder_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    path = write(tmp_path / "s.yaml", "name: x\nextends: folder\n")
    problem = only(path)
    assert (problem.file, problem.line, problem.key) == (str(path), 2, "extends")
    assert "is a folder" in problem.message
