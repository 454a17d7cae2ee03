"""The scripted capture event: ground changes hands on its date and nowhere else (issue #15)."""

import numpy as np
import pytest
from conftest import scenario
from scipy import ndimage

from sim.mechanisms import combat
from sim.model import EscalationModel
from sim.world.geography import GOVERNMENT, HTS, NLF, TURKEY
from sim.world.loader import ScenarioError, load_scenario
from sim.world.territory import DERIVED_FIELDS

QUIET = {"ceasefire.active": True, "combat.counterattack_km_per_day": 0.0, "days": 6}
CAPTURE = {"place": "Khan Shaykhun", "radius_km": 8.0, "by": "government"}


def _controls(**changes) -> tuple[EscalationModel, list[np.ndarray]]:
    model = EscalationModel(scenario(**QUIET, **changes))
    controls = [model.control.copy()]
    while model.running:
        model.step()
        controls.append(model.control.copy())
    return model, controls


def test_capture_moves_control_on_its_date_and_nowhere_else():
    event = [{"day": 3, "capture": CAPTURE, "note": "Khan Shaykhun falls"}]
    model, with_event = _controls(events=event)
    _, without = _controls()
    town = next(t for t in model.geo.towns if t.name == "Khan Shaykhun")
    near = model.geo.distance_km(town.lat, town.lon) <= CAPTURE["radius_km"]
    for day in range(3):
        assert (with_event[day] == without[day]).all(), day
    assert (without[3] != GOVERNMENT)[near].any(), "the test needs opposition ground to take"
    for day in range(3, 7):
        changed = with_event[day] != without[day]
        assert changed.any()
        assert not changed[~near].any(), day  # nothing moves outside the radius
        assert (with_event[day][near & changed] == GOVERNMENT).all()
    taken = [e for e in model.events if e[3] == "control_change" and "Khan Shaykhun" in e[5]]
    assert taken and all(e[0] == 3 for e in taken)


def test_captured_cells_spare_turkish_ground_and_the_captor_own():
    control = np.array([[GOVERNMENT, HTS, NLF, TURKEY]], dtype=np.int8)
    distance = np.array([[1.0, 1.0, 9.0, 1.0]])
    assert combat.captured_cells(control, distance, 5.0, GOVERNMENT).tolist() == [1]
    assert combat.captured_cells(control, distance, 10.0, HTS).tolist() == [0, 2]


def _write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_place_names_file_line_and_key(tmp_path):
    path = _write(
        tmp_path,
        "days: 10\nevents:\n  - day: 2\n    capture: {place: Khan Shaykoun, radius_km: 6}\n",
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = str(error.value)
    assert message.startswith(f"{path}:4: events[0].capture.place: unknown place")
    assert "did you mean 'Khan Shaykhun'?" in message


@pytest.mark.parametrize(
    "event, key",
    [
        ("{day: 2}", "events[0]"),
        ("{day: 2, capture: {place: Saraqib, radius_km: 0}}", "radius_km"),
        ("{day: 2, capture: {place: Saraqib, radius_km: 4, by: turkey}}", "by"),
    ],
)
def test_a_bad_capture_is_refused(tmp_path, event, key):
    path = _write(tmp_path, f"days: 10\nevents:\n  - {event}\n")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert key in str(error.value)


def test_a_capture_drops_every_field_derived_from_control():
    model = EscalationModel(scenario(**QUIET, events=[{"day": 2, "capture": CAPTURE}]))
    territory = model.territory
    model.step()
    before = {name: getattr(territory, name).copy() for name in DERIVED_FIELDS}
    model.step()  # day 2: the capture
    assert territory.version >= 1
    control = territory.control
    fresh = {
        "opposition_mask": (control == HTS) | (control == NLF),
        "front_mask": combat.front_cells(control),
        "exposed_government_mask": combat.exposed_government_cells(control),
        "distance_to_government_km": ndimage.distance_transform_edt(control != GOVERNMENT)
        * model.geo.cell_km,
        "cells_held": np.bincount(control.ravel(), minlength=TURKEY + 1),
        "cells_held_in_governorate": np.bincount(
            control[model.geo.in_governorate], minlength=TURKEY + 1
        ),
    }
    for name in DERIVED_FIELDS:
        assert np.allclose(getattr(territory, name), fresh[name]), name
    assert not np.array_equal(before["cells_held"], fresh["cells_held"])
