"""The ``idlib-sim`` command line, called in-process (and once as the installed script)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import DEFAULT, LEDGER, REPO, RUN_FILES

from sim.cli import main
from sim.world.loader import load_scenario, scenario_hash

SCENARIOS = REPO / "scenarios"
FAST = ["--set", "grid.cell_km=4", "--no-plots", "--quiet"]


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, out: str, err: str) -> list[str]:
    assert code == 2
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert lines
    assert all(line.startswith("error: ") for line in lines), lines
    return lines


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def bad_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nturkey:\n  crisis_treshold_people: 5\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ validate


def test_validate_all_shipped_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert files
    code, out, err = run_cli(capsys, ["validate", *map(str, files)])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == len(files)
    for path, line in zip(files, lines, strict=True):
        assert line.startswith(f"ok: {path} ")


BAD_FILES = {
    "misspelled_key": "name: x\nturkey:\n  crisis_treshold_people: 5\n",
    "string_for_number": "name: x\ndays: lots\n",
    "yaml_syntax": "name: x\nbad: a: b\n",
    "python_tag": "name: x\nseed: !!python/object/apply:os.getpid []\n",
    "not_a_mapping": "- just\n- a list\n",
    "bad_date": "name: x\nstart_date: 2019-02-30\n",
    "bad_event": "name: x\ndays: 5\nevents:\n  - day: 9\n    set: {grid.cell_km: 3}\n",
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_validate_bad_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(BAD_FILES[case], encoding="utf-8")
    lines = assert_bad_input(*run_cli(capsys, ["validate", str(path)]))
    assert all(line.startswith(f"error: {path}") for line in lines)


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    [line] = assert_bad_input(*run_cli(capsys, ["validate", str(missing)]))
    assert line.startswith(f"error: {missing}: ")
    assert "not found" in line


def test_validate_bad_set(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", str(DEFAULT), "--set", "border.policy=closed"]
    [line] = assert_bad_input(*run_cli(capsys, argv))
    assert line.startswith("error: --set: border.policy: ")


def test_validate_reports_good_and_bad_files(
    bad_scenario: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, ["validate", str(DEFAULT), str(bad_scenario)])
    [line] = assert_bad_input(code, out, err)
    assert line.startswith(f"error: {bad_scenario}:3: turkey.crisis_treshold_people: ")
    assert out.startswith(f"ok: {DEFAULT} ")


def test_scenarios_lists_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, ["scenarios", "--dir", str(SCENARIOS)])
    assert (code, err) == (0, "")
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == [str(p) for p in sorted(SCENARIOS.glob("*.yaml"))]


def test_scenarios_keys_lists_schema_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, ["scenarios", "--keys"])
    assert code == 0
    for key in ("turkey.crisis_threshold_people", "border.policy", "grid.cell_km"):
        assert key in out


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--set" in out
    assert "--seed" in out


# ------------------------------------------------------------------ run


@pytest.mark.parametrize(
    "extra",
    [[], ["--set", "days=lots"], ["--set", "no_equals_sign"], ["--days", "0"]],
    ids=["bad_file", "bad_set_value", "bad_set_syntax", "bad_days"],
)
def test_run_with_bad_input_leaves_no_folder(
    extra: list[str], bad_scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = bad_scenario if not extra else DEFAULT
    out = tmp_path / "results" / "run"
    before = sorted(tmp_path.rglob("*"))
    assert_bad_input(*run_cli(capsys, ["run", str(scenario), "--out", str(out), *extra, *FAST]))
    assert not out.exists()
    assert sorted(tmp_path.rglob("*")) == before


def test_run_with_missing_scenario_leaves_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["run", str(tmp_path / "missing.yaml"), "--out", str(out), *FAST]
    [line] = assert_bad_input(*run_cli(capsys, argv))
    assert "not found" in line
    assert not out.exists()


def test_run_refuses_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"old": true}\n', encoding="utf-8")
    (out / "notes.txt").write_text("keep me\n", encoding="utf-8")
    before = snapshot(out)

    argv = ["run", str(DEFAULT), "--days", "2", "--out", str(out), *FAST]
    [line] = assert_bad_input(*run_cli(capsys, argv))

    assert str(out) in line
    assert "--overwrite" in line
    assert snapshot(out) == before


def test_run_refuses_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    out.write_text("not a folder\n", encoding="utf-8")
    argv = ["run", str(DEFAULT), "--days", "2", "--out", str(out), *FAST]
    assert_bad_input(*run_cli(capsys, argv))
    assert out.read_text(encoding="utf-8") == "not a folder\n"


def test_short_run_writes_the_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["run", str(DEFAULT), "--days", "5", "--out", str(out), *FAST]
    code, stdout, stderr = run_cli(capsys, argv)
    assert (code, stdout) == (0, "")
    assert "Traceback" not in stderr

    assert {p.name for p in out.iterdir()} == set(RUN_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no partial folder left

    rows = read_csv(out / "timeseries.csv")
    assert [int(r["day"]) for r in rows] == list(range(6))
    assert rows[0]["date"] == "2019-04-29"

    resolved = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert resolved["days"] == 5
    assert resolved["grid"]["cell_km"] == 4

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["days"] == 5
    assert summary["seed"] == load_scenario(DEFAULT).seed
    written = load_scenario(out / "scenario.yaml")
    assert summary["provenance"]["scenario_hash_sha256"] == scenario_hash(written)

    camps = read_csv(out / "camps.csv")
    assert {r["camp"] for r in camps} == {c["name"] for c in resolved["camps"]}
    assert {int(r["day"]) for r in camps} <= set(range(6))
    assert list(read_csv(out / "events.csv")[0]) == [
        "day",
        "date",
        "actor",
        "kind",
        "detail",
        "reason",
    ]
    checkpoints = read_csv(out / "checkpoints.csv")
    assert {r["checkpoint"] for r in checkpoints} == {c["name"] for c in resolved["checkpoints"]}


def test_run_overwrite_replaces_folder_and_records_seed_and_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert run_cli(capsys, ["run", str(DEFAULT), "--days", "3", "--out", str(out), *FAST])[0] == 0
    (out / "stale.png").write_bytes(b"an old figure")
    argv = ["run", str(DEFAULT), "--days", "2", "--seed", "7", "--out", str(out), "--overwrite"]
    code, _, err = run_cli(capsys, [*argv, "--set", "border.policy=open", *FAST])
    assert code == 0, err

    assert not (out / "stale.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["seed"], summary["days"]) == (7, 2)
    resolved = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert (resolved["seed"], resolved["border"]["policy"]) == (7, "open")
    assert len(read_csv(out / "timeseries.csv")) == 3


# ------------------------------------------------------------------ installed script


def test_console_script_reports_bad_file_without_traceback(bad_scenario: Path) -> None:
    script = Path(sys.executable).parent / "idlib-sim"
    assert script.exists()
    result = subprocess.run(
        [str(script), "validate", str(bad_scenario)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {bad_scenario}:3: turkey.crisis_treshold_people: ")


# ------------------------------------------------------------------ output place


@pytest.mark.parametrize("kind", ["under_a_file", "nul_byte", "long_name"])
def test_unusable_out_is_refused_before_day_one(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.cli

    def never(*_args: object) -> None:
        raise AssertionError("the simulation started although --out cannot be written")

    monkeypatch.setattr(sim.cli, "_simulate", never)
    (tmp_path / "file.txt").write_text("a file\n", encoding="utf-8")
    out = {
        "under_a_file": tmp_path / "file.txt" / "sub",
        "nul_byte": tmp_path / "a\0b",
        "long_name": tmp_path / ("n" * 300),
    }[kind]
    [line] = assert_bad_input(*run_cli(capsys, ["run", str(DEFAULT), "--out", str(out), *FAST]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("../../escaped", "escaped"),
        ("/tmp/abs", "tmp-abs"),
        ("Open border (2020)", "Open-border-2020"),
        ("..", "run"),
        ("x" * 500, "x" * 60),
    ],
)
def test_name_slug_is_a_safe_folder_name(name: str, slug: str) -> None:
    from sim.cli import name_slug

    assert name_slug(name) == slug


def test_scenario_name_never_puts_the_run_outside_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for name in ("../../escaped", "/etc/absolute"):
        path = work / "s.yaml"
        path.write_text(f"extends: {DEFAULT}\nname: {json.dumps(name)}\ndays: 1\n", "utf-8")
        code, _, err = run_cli(capsys, ["run", str(path), *FAST])
        assert code == 0, err
    made = sorted(p.name for p in (work / "results").iterdir())
    assert len(made) == 2
    assert sorted(m.split("-seed42-")[0] for m in made) == ["escaped", "etc-absolute"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]


def test_run_on_the_shipped_2km_grid_writes_a_balanced_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["run", str(DEFAULT), "--days", "3", "--out", str(out), "--no-plots", "--quiet"]
    code, _, err = run_cli(capsys, argv)
    assert code == 0, err
    assert yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))["grid"] == {
        "cell_km": 2.0
    }
    rows = read_csv(out / "timeseries.csv")
    assert len(rows) == 4
    for row in rows:
        stocks = sum(int(row[c]) for c in LEDGER)
        assert stocks == int(row["population_total"]) == 3_000_000
    camps = [r for r in read_csv(out / "camps.csv") if r["day"] == "0"]
    assert sum(int(r["population"]) for r in camps) == 600_000  # 20 % of 3 million, on the map


def test_signal_after_the_folder_is_in_place_says_it_is_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.cli import Terminated
    from sim.runs.output import OutputClaim

    commit = OutputClaim.commit

    def commit_then_sigterm(self: OutputClaim) -> Path:
        commit(self)
        raise Terminated()  # as a SIGTERM held during the move is delivered right after it

    monkeypatch.setattr(OutputClaim, "commit", commit_then_sigterm)
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, ["run", str(DEFAULT), "--days", "2", "--out", str(out), *FAST])
    assert code == 143
    assert err.strip() == f"interrupted; the run folder is complete: {out}"
    assert {p.name for p in out.iterdir()} == set(RUN_FILES)


def test_default_folders_of_concurrent_runs_are_distinct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    import sim.cli

    class FrozenClock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> FrozenClock:
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(sim.cli, "dt", SimpleNamespace(datetime=FrozenClock))
    monkeypatch.chdir(tmp_path)
    claim = sim.cli._claim_default_out
    with claim("demo", 7) as first, claim("demo", 7) as second:  # two runs in one second
        assert first.out_dir == Path("results/demo-seed7-20260102-030405")
        assert second.out_dir == Path("results/demo-seed7-20260102-030405-2")
    assert list(tmp_path.iterdir()) == []


def test_days_shortens_a_run_past_its_scripted_events(capsys, tmp_path):
    scenario = tmp_path / "late.yaml"
    scenario.write_text(
        f"extends: {DEFAULT}\nname: late\ngrid: {{cell_km: 6}}\ndays: 40\n"
        "events:\n  - day: 30\n    set: {ceasefire.active: true}\n"
    )
    code, _, err = run_cli(
        capsys, ["run", str(scenario), "--days", "3", "--out", str(tmp_path / "r"), "--quiet"]
    )
    assert code == 0
    assert "1 scripted event(s) fall after day 3" in err
    days = [row["day"] for row in read_csv(tmp_path / "r" / "timeseries.csv")]
    assert days == ["0", "1", "2", "3"]
    # The same event past the end of the file's own run is still a mistake in the file.
    scenario.write_text(scenario.read_text().replace("days: 40", "days: 20"))
    code, out, err = run_cli(capsys, ["validate", str(scenario)])
    assert any("outside the run" in line for line in assert_bad_input(code, out, err))
