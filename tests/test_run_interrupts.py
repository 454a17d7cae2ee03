"""The run-folder promises under real signals and processes (SIGTERM, SIGKILL, races).

Each test starts the installed ``idlib-sim`` script as a child process, as a scheduler,
``timeout`` or a second terminal would, and checks what is left on disk.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DEFAULT, RUN_FILES

SCRIPT = Path(sys.executable).parent / "idlib-sim"
#: Ten years on 4 km cells: about 1.5 s of simulation after the imports, long enough to be
#: caught in the act (a single year takes 0.2 s since the ceasefire comes in August).
LONG = ["--set", "grid.cell_km=4", "--set", "days=3650", "--quiet"]


def start(out: Path, *extra: str) -> subprocess.Popen[str]:
    argv = [str(SCRIPT), "run", str(DEFAULT), "--out", str(out), *LONG, *extra]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, proc: subprocess.Popen[str], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, "the run ended before the moment under test"
        assert time.monotonic() < deadline, "the moment under test never came"
        time.sleep(0.002)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return proc.returncode, err


def partial(parent: Path) -> list[Path]:
    return sorted(parent.glob(".*.partial-*"))


def handles_sigterm(proc: subprocess.Popen[str]) -> bool:
    """Whether the child has set its SIGTERM handler (Linux: the SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def moment_started(out: Path, proc: subprocess.Popen[str]) -> None:
    # The earliest moment the program can act on: then it loads modules and the scenario.
    wait_for(lambda: handles_sigterm(proc), proc)


def moment_simulating(out: Path, proc: subprocess.Popen[str]) -> None:
    wait_for(lambda: (out.parent / f".{out.name}.lock").exists(), proc)
    time.sleep(0.2)


def moment_writing(out: Path, proc: subprocess.Popen[str]) -> None:
    wait_for(lambda: any(p.is_dir() and any(p.iterdir()) for p in partial(out.parent)), proc)


@pytest.mark.parametrize("moment", [moment_started, moment_simulating, moment_writing])
def test_sigterm_at_any_moment_leaves_nothing_behind(moment, tmp_path: Path) -> None:
    out = tmp_path / "results" / "run"
    proc = start(out, *(["--days", "100"] if moment is moment_writing else []))
    moment(out, proc)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 143, err
    assert err.strip().splitlines()[-1] == "interrupted; nothing was written"
    assert not out.exists()
    # No partial folder, lock or created parent is left.
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_start_up_is_one_line(tmp_path: Path) -> None:
    proc = start(tmp_path / "run")
    moment_started(tmp_path / "run", proc)
    proc.send_signal(signal.SIGINT)
    code, err = finish(proc)
    assert code == 130, err
    assert err.strip() == "interrupted; nothing was written"
    assert list(tmp_path.iterdir()) == []


def test_sigkill_leftovers_are_cleaned_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = start(out)
    moment_simulating(out, proc)
    proc.kill()
    proc.wait(timeout=30)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".run.lock", f".run.partial-{proc.pid}"]

    again = start(out, "--days", "2", "--no-plots")
    code, err = finish(again)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert {p.name for p in out.iterdir()} == set(RUN_FILES)
    assert "killed run" in err  # the clean-up is reported (stderr; --quiet keeps stdout empty)


def test_two_runs_to_one_folder_only_one_reports_success(tmp_path: Path) -> None:
    out = tmp_path / "run"
    short = ["--days", "100", "--no-plots"]
    procs = {seed: start(out, "--seed", str(seed), *short) for seed in (1, 2)}
    results = {seed: finish(p) for seed, p in procs.items()}
    winners = [seed for seed, (code, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    [(loser_code, loser_err)] = [r for s, r in results.items() if s not in winners]
    assert loser_code == 2
    assert len(loser_err.strip().splitlines()) == 1 and loser_err.startswith("error: ")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == winners[0]  # the folder holds the run that said it succeeded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_second_run_fails_fast_while_the_first_holds_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = start(out)
    moment_simulating(out, first)
    # Paused, the first run holds the folder however long the second takes to start.
    first.send_signal(signal.SIGSTOP)
    started = time.monotonic()
    second = start(out, "--overwrite")
    code, err = finish(second)
    assert first.poll() is None, "the first run must still be going for this test to mean much"
    assert code == 2 and "another run" in err, err
    assert time.monotonic() - started < 30
    first.send_signal(signal.SIGTERM)
    first.send_signal(signal.SIGCONT)
    assert finish(first)[0] == 143


def test_overwrite_refuses_a_folder_that_is_not_a_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.tex").write_text("\\chapter{Idlib}\n", encoding="utf-8")
    (out / "sub" / "figure.png").write_bytes(b"png")
    before = {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, err = finish(start(out, "--overwrite", "--days", "2"))
    assert code == 2
    assert err.startswith(f"error: {out}: not an idlib-sim run folder")
    assert {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydata"]


def test_piping_into_a_reader_that_has_gone_ends_quietly() -> None:
    # `true` reads nothing and exits, as `head` does once it has its lines: the table is
    # then written into a closed pipe.
    pipe = f"'{SCRIPT}' scenarios --keys | true; echo ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", pipe], capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.stdout.strip() == "141"  # 128 + SIGPIPE, as for tools killed by it
