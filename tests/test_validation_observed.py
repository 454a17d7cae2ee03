"""The dated record and the ARD against it (issue #15), on cases worked out by hand."""

import datetime as dt
import json

import numpy as np
import pytest
from conftest import REPO

from sim.experiments.observed import ObservedError, ObservedSeries, ard, load_observed, model_at

D = dt.date


def _series(points: dict[str, float]) -> ObservedSeries:
    dates = tuple(D.fromisoformat(d) for d in points)
    return ObservedSeries("moves", dates, np.array(list(points.values())), ("",) * len(dates))


MODEL_DATES = ["2019-04-29", "2019-04-30", "2019-05-01", "2019-05-02", "2019-05-03"]
MODEL_VALUES = [0, 50, 100, 150, 200]


def test_ard_is_zero_when_the_model_meets_every_observation():
    record = _series({"2019-04-30": 50, "2019-05-03": 200})
    assert ard(MODEL_DATES, MODEL_VALUES, record) == 0.0


def test_ard_on_a_hand_computed_case():
    # |100 - 80| / 80 = 0.25 and |200 - 400| / 400 = 0.5: mean 0.375.
    record = _series({"2019-05-01": 80, "2019-05-03": 400})
    assert ard(MODEL_DATES, MODEL_VALUES, record) == pytest.approx(0.375)


def test_ard_weighs_over_and_under_shoot_by_the_observed_value():
    # Twice the record is as far as zero: |0 - 50| / 50 = 1 and |200 - 100| / 100 = 1.
    assert ard(MODEL_DATES, MODEL_VALUES, _series({"2019-04-29": 50})) == pytest.approx(1.0)
    assert ard(MODEL_DATES, MODEL_VALUES, _series({"2019-05-03": 100})) == pytest.approx(1.0)


def test_ard_counts_the_model_from_a_later_baseline():
    # Since 1 May the model has moved 50 by 2 May and 100 by 3 May:
    # |50 - 40| / 40 = 0.25 and |100 - 100| / 100 = 0: mean 0.125.
    record = _series({"2019-05-02": 40, "2019-05-03": 100})
    assert ard(MODEL_DATES, MODEL_VALUES, record, since=D(2019, 5, 1)) == pytest.approx(0.125)


def test_ard_refuses_dates_outside_the_run():
    with pytest.raises(ValueError, match="2019-06-01"):
        ard(MODEL_DATES, MODEL_VALUES, _series({"2019-05-01": 80, "2019-06-01": 100}))


def test_model_at_reads_dates_as_text_or_dates():
    dates = [D.fromisoformat(d) for d in MODEL_DATES]
    got = model_at(dates, MODEL_VALUES, [D(2019, 5, 2), D(2019, 4, 30)])
    assert got.tolist() == [150.0, 50.0]


def test_between_keeps_both_ends():
    record = _series({"2019-05-01": 1, "2019-05-02": 2, "2019-05-03": 3})
    kept = record.between(D(2019, 5, 2), D(2019, 5, 3))
    assert kept.dates == (D(2019, 5, 2), D(2019, 5, 3))
    assert kept.values.tolist() == [2.0, 3.0]


def test_the_shipped_spring_record_reads_with_its_sources():
    record = load_observed(REPO / "scenarios" / "data" / "displacement_2019.csv")
    assert record.name == "cumulative_displacements"
    assert record.dates[0] == D(2019, 5, 5) and record.values[0] == 152_000
    assert record.dates[-1] == D(2019, 8, 31) and record.values[-1] == 630_000
    assert all("http" in source for source in record.sources)


def test_the_json_record_reads_the_spring_series(tmp_path):
    path = tmp_path / "displacement_2019.json"
    wave = {"series": [{"date": "2019-05-05", "cumulative_displaced": 152000, "source": "x"}]}
    path.write_text(json.dumps({"wave1_apr_aug_2019": wave}), encoding="utf-8")
    record = load_observed(path)
    assert record.dates == (D(2019, 5, 5),) and record.values.tolist() == [152000.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("date,moves\n2019-05-05,10\n2019-5-x,20\n", "f.csv:3: date: not a date"),
        ("date,moves\n2019-05-05,10\n2019-05-06,lots\n", "f.csv:3: moves: not a number"),
        ("date,moves\n2019-05-05,0\n", "f.csv:2: moves: must be a positive number"),
        ("date,moves\n2019-05-06,10\n2019-05-05,20\n", "f.csv:3: date: 2019-05-05 is not after"),
        ("when,moves\n2019-05-05,10\n", "f.csv:1: date: no 'date' column"),
        ("date,moves\n", "f.csv: no observations"),
    ],
)
def test_a_bad_record_names_file_line_and_key(tmp_path, text, message):
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ObservedError) as error:
        load_observed(path)
    assert str(error.value).startswith(str(tmp_path / message.split(":")[0]))
    assert message.split(":", 1)[1] in str(error.value)


def test_the_ard_study_exits_2_on_a_bad_record(tmp_path, capsys):
    from experiments.ard import main

    path = tmp_path / "f.csv"
    path.write_text("date,moves\n2019-05-05,-3\n", encoding="utf-8")
    assert main([str(REPO / "scenarios" / "default.yaml"), "--observed", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "f.csv:2: moves:" in err


def test_the_ard_study_draws_the_model_against_the_record(tmp_path, capsys):
    from experiments.ard import main

    record = tmp_path / "r.csv"
    record.write_text("date,moves\n2019-05-05,1000\n2019-05-09,2000\n", encoding="utf-8")
    png = tmp_path / "plots" / "fit.png"
    args = [str(REPO / "scenarios" / "default.yaml"), "--observed", str(record)]
    args += ["--set", "grid.cell_km=6", "--set", "days=12", "--seeds", "2", "--workers", "1"]
    assert main([*args, "--quiet", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot: {png}" in capsys.readouterr().out
