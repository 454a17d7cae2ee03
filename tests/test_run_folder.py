"""The run-folder contract of DESIGN.md: files, columns, provenance, atomic writes."""

import csv
import json
import os
import shutil
from pathlib import Path

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


def test_check_out_dir_replaces_only_run_folders(folder, tmp_path):
    run_folder, _ = folder
    assert output.is_run_folder(run_folder)
    assert output.check_out_dir(run_folder, overwrite=False)  # never without --overwrite
    assert output.check_out_dir(run_folder, overwrite=True) is None
    assert output.check_out_dir(tmp_path / "new", overwrite=False) is None
    (tmp_path / "empty").mkdir()
    assert output.check_out_dir(tmp_path / "empty", overwrite=False) is None

    theirs = tmp_path / "mydata"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("mine")
    assert "not an idlib-sim run folder" in output.check_out_dir(theirs, overwrite=True)
    # A run folder someone added a subfolder or another kind of file to is theirs now.
    for extra in ("sub", "notes.txt"):
        copy = tmp_path / f"run-plus-{extra}"
        shutil.copytree(run_folder, copy)
        (copy / extra).mkdir() if extra == "sub" else (copy / extra).write_text("x")
        assert not output.is_run_folder(copy)
        assert output.check_out_dir(copy, overwrite=True)
    # summary.json written by another tool.
    other = tmp_path / "other"
    shutil.copytree(run_folder, other)
    (other / "summary.json").write_text(json.dumps({"provenance": {"package": "other"}}))
    assert output.check_out_dir(other, overwrite=True)


def test_symlink_out_is_refused(folder, tmp_path):
    run_folder, _ = folder
    link = tmp_path / "link"
    link.symlink_to(run_folder, target_is_directory=True)
    assert "symbolic link" in output.check_out_dir(link, overwrite=True)
    with pytest.raises(output.OutputError, match="symbolic link"):
        output.claim_out_dir(link, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link"]


def test_claim_is_exclusive_and_leaves_nothing_when_released(tmp_path):
    out = tmp_path / "deep" / "er" / "run"
    first = output.claim_out_dir(out, overwrite=False)
    assert first.tmp_dir.is_dir() and first.lock.is_file()
    with pytest.raises(output.OutputError, match="another run"):
        output.claim_out_dir(out, overwrite=True)
    first.release()
    first.release()  # twice is harmless
    assert list(tmp_path.iterdir()) == []  # the parents it created went too
    with output.claim_out_dir(out, overwrite=False) as again:
        assert again.lock.is_file()
    assert list(tmp_path.iterdir()) == []


def test_write_commits_into_place_and_replaces_a_run_folder(tmp_path):
    model = EscalationModel(scenario(days=2))
    model.run()
    out = tmp_path / "run"
    output.write_run_folder(model, out, 0.5, "first", plots=False)
    assert output.is_run_folder(out)
    with output.claim_out_dir(out, overwrite=True) as claim:
        output.write_run_folder(model, out, 0.5, "second", plots=False, claim=claim)
        assert claim.committed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["command"] == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("kind", ["under_a_file", "nul_byte", "long_name", "read_only_parent"])
def test_unusable_out_is_refused_before_anything_is_written(kind, tmp_path):
    (tmp_path / "file.txt").write_text("a file")
    if kind == "under_a_file":
        out = tmp_path / "file.txt" / "sub"
    elif kind == "nul_byte":
        out = tmp_path / "bad\0name"
    elif kind == "long_name":
        out = tmp_path / ("x" * 300)
    elif os.geteuid() == 0:  # root writes through permission bits; /sys refuses everyone
        out = Path("/sys/idlib-sim-test/run")
    else:
        (tmp_path / "ro").mkdir(mode=0o555)
        out = tmp_path / "ro" / "run"
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(output.OutputError) as info:
        output.claim_out_dir(out, overwrite=False)
    message = str(info.value)
    assert "\n" not in message and message
    if kind == "under_a_file":
        assert message.endswith("file.txt is a file, not a folder")
    assert sorted(tmp_path.rglob("*")) == before


def test_leftovers_of_a_killed_run_are_cleaned_by_the_next_claim(folder, tmp_path):
    run_folder, _ = folder
    dead = 2**22 + 12345  # above Linux's largest process id: never running
    (tmp_path / f".a.partial-{dead}").mkdir()
    (tmp_path / f".a.partial-{dead}" / "timeseries.csv").write_text("day\n0\n")
    (tmp_path / ".a.lock").write_text(f"{dead}\n")
    shutil.copytree(run_folder, tmp_path / f".b.old-{dead}")  # b itself was lost
    (tmp_path / f".c.partial-{os.getpid()}").mkdir()  # a live run's: kept
    (tmp_path / f".d.partial-{dead}").mkdir()
    (tmp_path / f".d.partial-{dead}" / "thesis.tex").write_text("not ours")  # kept
    with output.claim_out_dir(tmp_path / "a", overwrite=False) as claim:
        assert len(claim.notes) == 3
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".c.partial-{os.getpid()}", f".d.partial-{dead}", "b"]
    assert output.is_run_folder(tmp_path / "b")


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    model = EscalationModel(scenario(days=3))
    model.run()

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(output, "summary", boom)
    with pytest.raises(RuntimeError):
        output.write_run_folder(model, tmp_path / "run", 0.1, "test", plots=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_move_into_place_keeps_the_previous_run_folder(tmp_path, monkeypatch):
    model = EscalationModel(scenario(days=2))
    model.run()
    out = tmp_path / "run"
    output.write_run_folder(model, out, 0.5, "first", plots=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rename = os.rename

    def failing_rename(src, dst):
        if ".partial-" in str(src):
            raise OSError(28, "No space left on device")
        rename(src, dst)

    monkeypatch.setattr(output.os, "rename", failing_rename)
    with pytest.raises(output.OutputError, match="cannot move the run folder into place"):
        output.write_run_folder(model, out, 0.5, "second", plots=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
