"""The run-folder contract of DESIGN.md: files, columns, provenance, atomic writes."""

import csv
import json

import pytest
from conftest import LEDGER, RUN_FILES, scenario

from sim.model import EscalationModel
from sim.runs import output
from sim.world.loader import load_scenario, scenario_hash

DESIGN_COLUMNS = [
    "day",
    "date",
    "population_total",
    "at_home",
    "displaced_inside",
    "in_camps",
    "crossed_to_turkey",
    "exited_via_checkpoints",
    "civilian_deaths",
    "displaced_cumulative",
    "border_pressure",
    "turkey_rung",
    "russia_rung",
    "sorties",
    "territory_government",
    "territory_hts",
    "territory_nlf",
    "rebel_cooperation",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    model = EscalationModel(scenario(days=30))
    model.run()
    out = tmp_path_factory.mktemp("runs") / "r1"
    output.write_run_folder(model, out, 1.25, "idlib-sim run test")
    return out, model


def test_all_files_present(folder):
    out, _ = folder
    names = {p.name for p in out.iterdir()}
    expected = {*RUN_FILES, "displacement.png", "ladders.png", "map.png"}
    assert expected <= names
    for png in ("displacement.png", "ladders.png", "map.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # Nothing temporary left beside it.
    assert [p.name for p in out.parent.iterdir()] == ["r1"]


def test_timeseries_columns_and_rows(folder):
    out, model = folder
    with open(out / "timeseries.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS
    assert len(rows) == 31 and rows[0]["day"] == "0" and rows[-1]["day"] == "30"
    assert rows[0]["date"] == model.config.start_date.isoformat()
    for r in rows:
        ledger = sum(int(r[c]) for c in LEDGER)
        assert ledger == int(r["population_total"])


def test_events_have_reasons(folder):
    out, _ = folder
    with open(out / "events.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["day", "date", "actor", "kind", "detail", "reason"]
    assert rows and all(r["reason"] for r in rows)


def test_summary_provenance_and_resolved_scenario(folder):
    out, model = folder
    summary = json.loads((out / "summary.json").read_text())
    prov = summary["provenance"]
    for key in ("version", "scenario_hash_sha256", "seed", "wall_time_s", "command", "mesa"):
        assert key in prov
    assert prov["seed"] == model.config.seed and prov["wall_time_s"] == 1.25
    assert summary["outcomes"]["displaced_cumulative"] == model.displaced_cumulative
    resolved = load_scenario(out / "scenario.yaml")
    assert resolved == model.config_at_start
    assert scenario_hash(resolved) == prov["scenario_hash_sha256"]


def test_existing_folder_is_refused_without_overwrite(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert output.check_out_dir(out, overwrite=False)
    assert output.check_out_dir(out, overwrite=True) is None
    assert output.check_out_dir(tmp_path / "new", overwrite=False) is None


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    model = EscalationModel(scenario(days=3))
    model.run()

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(output, "summary", boom)
    with pytest.raises(RuntimeError):
        output.write_run_folder(model, tmp_path / "run", 0.1, "test", plots=False)
    assert list(tmp_path.iterdir()) == []
