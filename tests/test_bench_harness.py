"""The benchmark harness's measuring plan (issue: speed); no timing happens here.

The scaling studies compare sizes measured in rounds; these tests check the plan of
children they run, with ``run_child`` replaced by a recorder.
"""

import pytest

from bench import cases


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
