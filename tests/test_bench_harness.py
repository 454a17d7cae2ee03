"""The benchmark harness's measuring plan (issue: speed); no timing happens here.

The scaling studies compare sizes measured in rounds, and ``bench.knobs`` compares
settings over the same seeds; these tests check the plan of children they run, and what
knobs makes of their outcomes, with ``run_child`` replaced by a recorder.
"""

import pytest

from bench import cases, knobs


@pytest.fixture
def recorded(monkeypatch) -> list[dict]:
    runs: list[dict] = []

    def fake_run_child(spec: dict, settings: cases.Settings) -> dict:
        runs.append(spec)
        return {"total_s": 0.1, "population_total": 1, "days_run": 365, "peak_rss_mib": 1.0}

    monkeypatch.setattr(cases, "run_child", fake_run_child)
    monkeypatch.setattr(cases, "log", lambda message: None)
    return runs


def test_rounds_run_every_size_once_in_rotated_order(recorded):
    specs = {key: {"kind": "run", "overrides": [f"size={key}"]} for key in "abc"}
    results = cases.interleaved_children(specs, cases.Settings(4, False, 0), "study")
    order = [spec["overrides"][0][-1] for spec in recorded]
    assert order == list("abc") + list("bca") + list("cab") + list("abc")
    assert {key: len(runs) for key, runs in results.items()} == {"a": 4, "b": 4, "c": 4}


def test_seed_by_round_gives_every_size_of_a_round_the_same_seed(recorded):
    specs = {
        key: {"kind": "run", "overrides": ["days=365", f"size={key}"], "seed_by_round": True}
        for key in ("small", "large")
    }
    before = {key: dict(spec) for key, spec in specs.items()}
    cases.interleaved_children(specs, cases.Settings(3, False, 0), "study")
    seeds = [[o for o in spec["overrides"] if o.startswith("seed=")] for spec in recorded]
    assert seeds == [["seed=1"]] * 2 + [["seed=2"]] * 2 + [["seed=3"]] * 2
    assert all("seed_by_round" not in spec for spec in recorded)
    assert specs == before  # the caller's specs are not changed


def test_specs_without_the_flag_keep_their_own_seed(recorded):
    specs = {"one": {"kind": "run", "overrides": ["days=365", "seed=42"]}}
    cases.interleaved_children(specs, cases.Settings(2, False, 0), "study")
    assert [spec["overrides"] for spec in recorded] == [["days=365", "seed=42"]] * 2


def test_population_study_measures_every_size_over_several_seeds(recorded):
    cases._population_series(cases.Settings(2, False, 0), scaled=True)
    totals = {
        (o.split("=")[1], s.split("=")[1])
        for spec in recorded
        for o in spec["overrides"]
        if o.startswith("population.total=")
        for s in spec["overrides"]
        if s.startswith("seed=")
    }
    expected = {(str(p), str(seed)) for p in cases.POPULATIONS for seed in (1, 2)}
    assert totals == expected


def test_knobs_runs_every_seed_under_every_setting_and_reports_the_shift(monkeypatch, capsys):
    runs: list[dict] = []

    def fake_run_child(spec: dict, settings: cases.Settings) -> dict:
        runs.append(spec)
        seed = int(next(o for o in spec["overrides"] if o.startswith("seed="))[5:])
        shifted = "civilians.route_cell_km=6" in spec["overrides"]
        outcomes = {key: seed for key in knobs.OUTCOMES}
        outcomes["civilian_deaths"] = 100 + seed + (10 if shifted else 0)
        return {"run_s": 0.5, "outcomes": outcomes}

    monkeypatch.setattr(cases, "run_child", fake_run_child)
    monkeypatch.setattr(cases, "log", lambda message: None)
    assert knobs.main(["--seeds", "3", "--variant", "civilians.route_cell_km=6"]) == 0

    assert len(runs) == 6
    assert all(spec["kind"] == "run" and spec["outcomes"] for spec in runs)
    plans = {tuple(o for o in spec["overrides"] if not o.startswith("days=")) for spec in runs}
    assert plans == {
        ("grid.cell_km=2", f"seed={seed}", *extra)
        for seed in range(3)
        for extra in ((), ("civilians.route_cell_km=6",))
    }
    table = capsys.readouterr().out
    variant_row = next(line for line in table.splitlines() if "route_cell_km=6 |" in line)
    cells = [cell.strip() for cell in variant_row.strip("|").split("|")]
    deaths = cells[2 + knobs.OUTCOMES.index("civilian_deaths")]
    # Deaths rise by 10 under the variant, with a seed-to-seed sd of 1: +12.2 se.
    assert deaths.startswith("111 ± 1") and "(+12.2 se)" in deaths
    assert "(+0.0 se)" in cells[2 + knobs.OUTCOMES.index("in_camps")]


def test_a_run_spec_can_report_the_last_days_outcomes():
    from bench import worker
    from sim.model import EscalationModel
    from sim.world.loader import load_scenario

    overrides = ["days=4", "seed=3"]
    spec = {"kind": "run", "scenario": cases.SCENARIO, "overrides": overrides, "outcomes": True}
    reported = worker.measure(spec)["outcomes"]
    model = EscalationModel(load_scenario(cases.SCENARIO, overrides))
    model.run()
    last_day = {key: values[-1] for key, values in model.timeseries().items()}
    assert reported["day"] == 4
    assert reported == last_day
