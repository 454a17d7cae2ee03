"""Sweeps end to end: plan, seeds, storage, resume after a kill, failures, comparisons."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments import compare, store
from sim.experiments.plan import build_plan, replicate_seeds
from sim.experiments.spec import load_experiment
from sim.experiments.sweep import run_sweep
from sim.experiments.tables import outcome_table

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "smoke.yaml"
IDLIB_SIM = Path(sys.executable).with_name("idlib-sim")


def write_experiment(folder: Path, text: str, name: str = "exp.yaml") -> Path:
    path = folder / name
    base = (REPO / "scenarios" / "default.yaml").as_posix()
    path.write_text(text.replace("BASE", base), encoding="utf-8")
    return path


OTHER = """\
name: other
base: BASE
set: {days: 10, grid.cell_km: 4}
replicates: 2
"""


@pytest.fixture(scope="module")
def smoke_two_workers(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smoke") / "w2"
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    return out


def export_bytes(folder: Path) -> bytes:
    target = folder.parent / f"{folder.name}.csv"
    assert main(["export", str(folder), "--csv", str(target)]) == 0
    return target.read_bytes()


def test_smoke_sweep_writes_one_file_per_planned_run_and_exports_every_day(smoke_two_workers):
    exp = load_experiment(SMOKE)
    planned = build_plan(exp)
    assert len(planned) <= 24 and exp.set["days"] <= 30
    files = sorted(p.name for p in (smoke_two_workers / "runs").iterdir())
    assert files == [f"r{i:06d}.parquet" for i in range(len(planned))]
    data = export_bytes(smoke_two_workers).decode().splitlines()
    assert len(data) == 1 + len(planned) * (exp.set["days"] + 1)
    header = data[0].split(",")
    assert header[:5] == ["run_id", "scenario", "point", "replicate", "seed"]
    assert header[-len(exp.outputs.series) :] == exp.outputs.series


def test_replicate_r_has_the_same_seed_in_every_scenario_and_point(smoke_two_workers):
    plan = store.read_plan(smoke_two_workers)
    seeds_by_replicate = plan.groupby("replicate")["seed"].nunique()
    assert (seeds_by_replicate == 1).all()
    assert plan.groupby("replicate")["seed"].first().nunique() == plan["replicate"].nunique()
    # the seeds come from the root seed and replicate alone: more replicates keep the first
    assert replicate_seeds(2026, 5)[:3] == replicate_seeds(2026, 3)


def test_one_and_two_workers_export_identical_bytes(smoke_two_workers, tmp_path):
    one = tmp_path / "w1"
    assert main(["sweep", str(SMOKE), "--out", str(one), "--workers", "1", "--quiet"]) == 0
    assert export_bytes(one) == export_bytes(smoke_two_workers)


def test_a_sweep_killed_part_way_resumes_to_exactly_the_planned_runs(smoke_two_workers, tmp_path):
    planned = len(build_plan(load_experiment(SMOKE)))
    killed = tmp_path / "killed"
    cmd = [str(IDLIB_SIM), "sweep", str(SMOKE), "--out", str(killed), "--quiet"]
    proc = subprocess.Popen([*cmd, "--workers", "1", "--batch", "1"], start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list((killed / "runs").glob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: parent and its workers
    proc.wait()
    after_kill = store.runs_on_disk(killed)
    assert 3 <= len(after_kill) < planned, "the kill did not land part-way"

    assert main(["sweep", str(SMOKE), "--out", str(killed), "--resume", "--quiet"]) == 0
    assert store.runs_on_disk(killed) == set(range(planned))
    logged = [json.loads(line)["run"] for line in (killed / "status.log").read_text().splitlines()]
    assert len(logged) == len(set(logged)), "a run was done twice"
    assert not [p for p in (killed / "runs").iterdir() if p.name.startswith(".")]
    assert export_bytes(killed) == export_bytes(smoke_two_workers)


def test_ctrl_c_stops_the_sweep_with_a_line_and_keeps_whole_files(tmp_path):
    out = tmp_path / "interrupted"
    cmd = [str(IDLIB_SIM), "sweep", str(SMOKE), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(
        [*cmd, "--workers", "1", "--batch", "1"],
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while len(list((out / "runs").glob("*.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C on a terminal: the whole group
    assert proc.wait(timeout=60) == 130
    err = proc.stderr.read().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("interrupted: ") and "--resume" in err[0]
    kept = sorted((out / "runs").glob("*.parquet"))
    assert 2 <= len(kept) < 12
    assert all(len(pd.read_parquet(path)) == 31 for path in kept)


def raise_on_second_replicate(base: str, overrides: list[str], seed: int) -> dict[str, list]:
    """A model call that fails for replicate 1 of the smoke experiment."""
    if seed == replicate_seeds(2026, 3)[1]:
        raise RuntimeError("forced failure for the test")
    from sim.experiments.simulate import run_scenario

    return run_scenario(base, overrides, seed)


def kill_worker_in_one_run(base: str, overrides: list[str], seed: int) -> dict[str, list]:
    """A model call whose worker process dies in one run: open border, replicate 1, point 0."""
    if (
        seed == replicate_seeds(2026, 3)[1]
        and 'border.policy="open"' in overrides
        and ("bombardment.sorties_per_day=6.0" in overrides)
    ):
        os.kill(os.getpid(), signal.SIGKILL)
    from sim.experiments.simulate import run_scenario

    return run_scenario(base, overrides, seed)


def test_a_run_that_raises_becomes_a_failure_row_and_the_others_complete(tmp_path):
    exp = load_experiment(SMOKE)
    out = tmp_path / "sweep"
    report = run_sweep(exp, out, workers=2, simulate=raise_on_second_replicate, progress=False)
    plan = store.read_plan(out)
    bad = set(plan.loc[plan["replicate"] == 1, "index"])
    assert report.failed == len(bad) and report.finished == len(plan) - len(bad)
    table = outcome_table(out).set_index("index")
    assert set(table.index[table["status"] == "failed"]) == bad
    assert table.loc[sorted(bad), "error"].str.contains("forced failure").all()
    assert (table.loc[table["status"] == "ok", "final.population_total"] > 0).all()
    assert main(["export", str(out), "--runs", str(tmp_path / "runs.csv")]) == 0
    rows = pd.read_csv(tmp_path / "runs.csv")
    assert (rows["status"] == "failed").sum() == len(bad)
    again = run_sweep(exp, out, workers=2, resume=True, progress=False)
    assert again.finished == 0 and again.skipped == len(plan)  # failures count as done
    retried = run_sweep(exp, out, workers=2, resume=True, retry_failed=True, progress=False)
    assert retried.finished == len(bad) and retried.failed == 0
    assert (outcome_table(out)["status"] == "ok").all()


def test_a_worker_killed_by_a_run_is_replaced_and_only_that_run_is_lost(tmp_path):
    exp = load_experiment(SMOKE)
    out = tmp_path / "sweep"
    report = run_sweep(
        exp, out, workers=1, batch=1, simulate=kill_worker_in_one_run, progress=False
    )
    plan = store.read_plan(out)
    one = (plan["scenario"] == "open") & (plan["point"] == 0) & (plan["replicate"] == 1)
    bad = set(plan.loc[one, "index"])
    assert len(bad) == 1
    assert report.restarts >= 1
    table = outcome_table(out).set_index("index")
    assert set(table.index[table["status"] == "failed"]) == bad
    assert set(table.index[table["status"] == "ok"]) == set(plan["index"]) - bad


def test_a_bad_experiment_file_gets_one_located_line_and_exit_2(tmp_path, capsys):
    path = write_experiment(
        tmp_path,
        "name: bad\nbase: BASE\nscenarios:\n  a:\n    border.policy: ajar\nreplicates: 2\n",
    )
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert re.match(rf"error: {re.escape(str(path))}:5: scenarios\.a\.border\.policy: ", err[0])
    assert not out.exists()


def test_an_unknown_key_in_an_experiment_is_located(tmp_path, capsys):
    path = write_experiment(tmp_path, "name: bad\nbase: BASE\nreplicate: 2\n")
    assert main(["sweep", str(path), "--plan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {path}:3: replicate: unknown key"]


def test_resume_refuses_a_folder_of_another_experiment(smoke_two_workers, tmp_path, capsys):
    other = write_experiment(tmp_path, OTHER)
    assert main(["sweep", str(other), "--out", str(smoke_two_workers), "--resume"]) == 2
    assert "different experiment" in capsys.readouterr().err


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_resume_refuses_a_folder_whose_scenario_or_model_code_changed(
    tmp_path, capsys, monkeypatch
):
    scenario = tmp_path / "base.yaml"
    default = (REPO / "scenarios" / "default.yaml").as_posix()
    scenario.write_text(f"extends: {default}\ndays: 3\ngrid: {{cell_km: 6}}\n", "utf-8")
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: tiny\nbase: {scenario.as_posix()}\nreplicates: 1\n", "utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    before = _folder_bytes(out)
    resume = ["sweep", str(exp), "--out", str(out), "--resume", "--workers", "1", "--quiet"]
    assert main(resume) == 0  # nothing changed: it resumes (nothing left to run)
    capsys.readouterr()
    # The experiment file is the same, but its base scenario now says something else.
    scenario.write_text(f"extends: {default}\ndays: 4\ngrid: {{cell_km: 6}}\n", "utf-8")
    assert main(resume) == 2
    assert "different experiment" in capsys.readouterr().err
    scenario.write_text(f"extends: {default}\ndays: 3\ngrid: {{cell_km: 6}}\n", "utf-8")
    # The same files, on other model code.
    monkeypatch.setattr("sim.experiments.spec.model_code_fingerprint", lambda: "other code")
    assert main(resume) == 2
    assert "model's code" in capsys.readouterr().err
    assert _folder_bytes(out).keys() == before.keys()
    changed = [k for k in before if before[k] != _folder_bytes(out)[k]]
    assert not [k for k in changed if k.startswith("runs")], "runs were touched"


def test_paired_difference_finds_a_known_shift_that_seeds_hide():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1000, size=40)  # replicate-to-replicate spread, shared by the pair
    rows = [
        {"scenario": s, "point": 0, "replicate": r, "status": "ok", "final.x": noise[r] + shift}
        for s, shift in (("b", 0.0), ("a", 5.0))
        for r in range(40)
    ]
    diff = compare.paired_difference(pd.DataFrame(rows), "a", "b", "final.x")
    assert diff.pairs == 40
    assert diff.low == pytest.approx(5.0) and diff.high == pytest.approx(5.0)
    assert diff.share_a_higher == 1.0


def test_an_open_border_lets_people_cross_in_every_pair(smoke_two_workers):
    table = outcome_table(smoke_two_workers)
    diff = compare.paired_difference(table, "open", "sealed", "final.crossed_to_turkey")
    sealed = table[table["scenario"] == "sealed"]["final.crossed_to_turkey"]
    assert (sealed == 0).all()
    assert diff.low > 0 and diff.share_a_higher == 1.0


def test_compare_writes_tables_and_plots(smoke_two_workers, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(smoke_two_workers), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "open - sealed" in text and "final.displaced_cumulative" in text
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {"open", "sealed"}
    assert (summary["low"] <= summary["median"]).all()
    assert (summary["median"] <= summary["high"]).all()
    assert {p.suffix for p in out.iterdir()} == {".csv", ".png"}


def test_compact_holds_every_kept_day_and_the_same_outcomes(smoke_two_workers):
    before = outcome_table(smoke_two_workers)
    assert main(["compact", str(smoke_two_workers)]) == 0
    series = pd.read_parquet(smoke_two_workers / "compact" / "series.parquet")
    assert len(series) == len(before) * 31
    assert list(series["run_id"].unique()) == list(before["run_id"])
    after = pd.read_parquet(smoke_two_workers / "compact" / "outcomes.parquet")
    pd.testing.assert_frame_equal(after.reset_index(drop=True), before.reset_index(drop=True))
