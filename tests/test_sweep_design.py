"""Experiment designs and sensitivity indices: counts, ranges, and the factor that matters."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.design import design_points
from sim.experiments.plan import build_plan
from sim.experiments.spec import ExperimentError, load_experiment

REPO = Path(__file__).resolve().parents[1]
BASE = (REPO / "scenarios" / "default.yaml").as_posix()


def experiment(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(f"name: t\nbase: {BASE}\n{body}", encoding="utf-8")
    return path


def test_a_grid_is_every_combination_of_levels_and_choices(tmp_path):
    exp = load_experiment(
        experiment(
            tmp_path,
            "factors:\n  bombardment.sorties_per_day: {range: [6, 18], levels: 3}\n"
            "  border.policy: {choices: [sealed, open]}\nreplicates: 2\n",
        )
    )
    points = design_points(exp)
    expected = set(itertools.product([6.0, 12.0, 18.0], ["sealed", "open"]))
    assert set(map(tuple, points.to_numpy().tolist())) == expected
    assert len(build_plan(exp)) == 6 * 2


def test_lhs_and_sobol_points_stay_in_their_ranges_and_integers_are_whole(tmp_path):
    factors = (
        "factors:\n  bombardment.sorties_per_day: {range: [6, 18]}\n"
        "  turkey.crisis_threshold_people: {range: [250000, 900000], integer: true}\n"
    )
    for kind, count in (("lhs", 10), ("sobol", 8 * (2 + 2))):
        exp = load_experiment(
            experiment(
                tmp_path,
                f"{factors}design: {{kind: {kind}, points: {10 if kind == 'lhs' else 8}}}\n",
            )
        )
        points = design_points(exp)
        assert len(points) == count
        assert points["bombardment.sorties_per_day"].between(6, 18).all()
        crisis = points["turkey.crisis_threshold_people"]
        assert crisis.between(250000, 900000).all() and (crisis == crisis.round()).all()


def test_a_csv_design_with_an_invalid_value_names_the_csv_line(tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("border.quota_per_day\n100\n-3\n", encoding="utf-8")
    path = experiment(tmp_path, "design: {kind: csv, file: points.csv}\n")
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    assert [p.file for p in err.value.problems] == [str(csv)]
    assert [(p.line, p.key) for p in err.value.problems] == [(3, "border.quota_per_day")]


def test_sobol_and_morris_rank_the_bombing_above_a_threshold_that_never_binds(tmp_path):
    # In 10 days no Turkish soldier dies, so the casualty threshold cannot move deaths.
    body = (
        "set: {days: 10, grid.cell_km: 4}\n"
        "factors:\n  bombardment.sorties_per_day: {range: [2, 40]}\n"
        "  turkey.casualty_threshold_soldiers: {range: [10, 40]}\n"
        "replicates: 2\noutputs: {series: [day, civilian_deaths]}\n"
    )
    for design, column in (
        ("{kind: sobol, points: 4}", "ST"),
        ("{kind: morris, points: 4}", "mu_star"),
    ):
        path = experiment(tmp_path, f"{body}design: {design}\n")
        out = tmp_path / design.split(",")[0][7:]
        assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
        assert main(["sensitivity", str(out), "--metric", "civilian_deaths"]) == 0
        indices = pd.read_csv(out / "sensitivity" / "indices.csv").set_index("factor")[column]
        assert indices["bombardment.sorties_per_day"] > 0
        assert indices["turkey.casualty_threshold_soldiers"] == 0
        assert (out / "sensitivity" / "indices.png").stat().st_size > 0


def test_sensitivity_of_a_grid_sweep_is_refused(tmp_path, capsys):
    path = experiment(tmp_path, "set: {days: 2, grid.cell_km: 6}\n")
    out = tmp_path / "grid"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert main(["sensitivity", str(out), "--metric", "civilian_deaths"]) == 2
    assert "needs sobol or morris" in capsys.readouterr().err
