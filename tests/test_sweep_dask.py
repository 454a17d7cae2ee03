"""A sweep on a Dask cluster of real processes gives the same bytes as the local pool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "experiments" / "smoke.yaml"
DASK = Path(sys.executable).with_name("dask")


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [str(DASK), *args], stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture
def cluster(tmp_path):
    """A ``dask scheduler`` and one ``dask worker`` process on 127.0.0.1."""
    info = tmp_path / "scheduler.json"
    procs = [
        _start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(
            _start(
                [
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / "worker"),
                ],
                tmp_path / "worker.log",
            )
        )
        yield address
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_a_dask_cluster_of_processes_gives_the_local_pools_bytes(cluster, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "dask"
    assert main(["sweep", str(SMOKE), "--out", str(local), "--workers", "2", "--quiet"]) == 0
    assert main(["sweep", str(SMOKE), "--out", str(remote), "--scheduler", cluster, "--quiet"]) == 0
    for folder in (local, remote):
        assert main(["export", str(folder), "--csv", str(folder) + ".csv"]) == 0
    exported = (tmp_path / "dask.csv").read_bytes()
    assert exported == (tmp_path / "local.csv").read_bytes()
    assert len(exported.splitlines()) == 1 + 12 * 31


def test_workers_under_dasks_malloc_setting_give_large_arrays_back_to_the_heap():
    code = "from sim.experiments.task import relax_malloc_trimming as r; print(r(), r())"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    runs = {
        label: subprocess.run(
            [sys.executable, "-c", code], env=extra, capture_output=True, text=True, check=True
        ).stdout.split()
        for label, extra in (("dask", {**env, "MALLOC_TRIM_THRESHOLD_": "65536"}), ("plain", env))
    }
    assert runs["dask"] == ["True", "True"]  # changed once (cached), as a Dask nanny's worker
    assert runs["plain"] == ["False", "False"]  # left alone elsewhere
