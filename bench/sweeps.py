"""Sweep cases, measured through the product's sweep engine (:mod:`sim.experiments`).

Each measurement runs ``python -m bench.sweeps '<spec>'`` in a fresh interpreter, which
writes a throw-away experiment file, runs :func:`sim.experiments.sweep.run_sweep` on it
into a temporary folder and prints one ``BENCH_RESULT {json}`` line: wall time, runs,
the parent's peak RSS (``ru_maxrss``, MiB) and the bytes of the run files.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.cases import ROOT, SCENARIO, CaseResult, Row, Settings, child_env, log
from bench.worker import RESULT_MARKER, sim_digest

#: The DESIGN.md contract columns: what a run keeps by default.
YEAR = {"days": 365, "grid.cell_km": 2}
SHORT = {"days": 30, "grid.cell_km": 4}
TINY = {"days": 10, "grid.cell_km": 6}
EFFICIENCY_TARGET = 0.90  # N local workers give >= 90 % of N x the one-process rate
DASK_TOLERANCE = 0.15  # a Dask LocalCluster of the same size within 15 % of the local pool
PARENT_GROWTH_TARGET = 1.05  # parent peak RSS for 4x the runs, at most 5 % more
DISK_TARGET_BYTES = 1e9  # 10,000 default-year runs with the contract columns
COMPARE_TARGET_S = 10.0
COMPARE_RUNS = 10_000


def experiment_text(name: str, settings: dict, runs: int) -> str:
    """An experiment of ``runs`` replicates of the default scenario under ``settings``."""
    data = {
        "name": name,
        "base": SCENARIO,
        "set": settings,
        "replicates": runs,
        "root_seed": 5,
    }
    return json.dumps(data)  # JSON is YAML


def measure(spec: dict) -> dict:
    """One sweep in this process (see the module docstring)."""
    from sim.experiments.spec import load_experiment
    from sim.experiments.sweep import run_sweep

    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        path = folder / "experiment.yaml"
        path.write_text(experiment_text("bench", spec["set"], spec["runs"]), encoding="utf-8")
        exp = load_experiment(path)
        cluster = None
        scheduler = None
        if spec.get("dask"):
            from distributed import LocalCluster

            cluster = LocalCluster(
                n_workers=spec["workers"],
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            scheduler = cluster.scheduler_address
            from distributed import Client

            with Client(scheduler) as client:  # an existing cluster has its imports done
                client.run(importlib.import_module, "sim.experiments.task")
                client.run(importlib.import_module, "sim.model")
        out = folder / "sweep"
        t0 = time.perf_counter()
        report = run_sweep(exp, out, workers=spec["workers"], scheduler=scheduler, progress=False)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        files = list((out / "runs").glob("*.parquet"))
        result = {
            "wall_s": wall,
            "runs": report.finished,
            "failed": report.failed,
            "runs_per_s": report.finished / wall,
            "parent_peak_rss_mib": usage.ru_maxrss / 1024.0,
            "parent_cpu_s": usage.ru_utime + usage.ru_stime,
            "bytes_per_run": sum(f.stat().st_size for f in files) / max(1, len(files)),
            "sim_sha": sim_digest(),
        }
        if spec.get("compare"):
            t1 = time.perf_counter()
            proc = subprocess.run(
                [
                    str(Path(sys.executable).with_name("idlib-sim")),
                    "compare",
                    str(out),
                    "--no-plots",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            result["compare_s"] = time.perf_counter() - t1
            result["compare_ok"] = proc.returncode == 0
        if cluster is not None:
            cluster.close()
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_child(spec: dict, settings: Settings) -> dict:
    """:func:`measure` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sweeps", json.dumps(spec)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=settings.timeout_s * 4,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": f"child exited {proc.returncode}: {tail[0][:300]}"}


def _logged(spec: dict, settings: Settings, label: str) -> dict:
    result = run_child(spec, settings)
    if "error" in result:
        log(f"    {label}: {result['error']}")
    else:
        log(f"    {label}: {result['runs']} runs in {result['wall_s']:.1f} s")
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values)


def case_sweep_throughput(settings: Settings) -> CaseResult:
    """1 local worker, N local workers and a Dask LocalCluster of N, in rounds.

    Each round measures the three one after another (a fresh process each), so a slow
    spell of the machine weighs on all three; ratios are taken within a round.
    """
    workers = max(1, len(settings.cpus))
    n = settings.sweep_runs
    rounds = min(3, settings.repeats)
    one_spec = {"set": YEAR, "runs": max(2, n // workers), "workers": 1}
    pool_spec = {"set": YEAR, "runs": n, "workers": workers}
    dask_spec = {**pool_spec, "dask": True}
    raw: dict = {"rounds": [], "sim_versions": []}
    for r in range(rounds):
        log(f"  sweep round {r + 1}/{rounds}")
        one = _logged(one_spec, settings, "1 worker")
        pool = _logged(pool_spec, settings, f"{workers} workers")
        dask = _logged(dask_spec, settings, "dask")
        raw["rounds"].append({"one": one, "pool": pool, "dask": dask})
        shas = [x["sim_sha"] for x in (one, pool, dask) if "sim_sha" in x]
        raw["sim_versions"] += [{"sim_sha": sha} for sha in shas]
    good = [x for x in raw["rounds"] if not any("error" in v for v in x.values())]
    if not good:
        errs = "; ".join(v["error"] for x in raw["rounds"] for v in x.values() if "error" in v)
        return CaseResult("sweep", [Row("sweep", "sweep throughput", "error", errs[:200])], raw=raw)
    rate = {k: [x[k]["runs_per_s"] * 60 for x in good] for k in ("one", "pool", "dask")}
    efficiency = [x["pool"]["runs_per_s"] / (workers * x["one"]["runs_per_s"]) for x in good]
    dask_ratio = [x["dask"]["runs_per_s"] / x["pool"]["runs_per_s"] for x in good]
    pool = good[-1]["pool"]
    rss = {k: max(x[k]["parent_peak_rss_mib"] for x in good) for k in ("one", "pool", "dask")}

    def spread(values: list[float], fmt: str) -> str:
        return f"{format(min(values), fmt)} – {format(max(values), fmt)}"

    what = f"default-year runs (365 d, 2 km), contract columns every day, {len(good)} rounds"
    rows = [
        Row(
            "sweep",
            f"{what}: 1 local worker ({one_spec['runs']} runs)",
            f"{_median(rate['one']):.1f} runs/min",
            spread(rate["one"], ".1f"),
            peak_mib=f"{rss['one']:.0f} (parent)",
        ),
        Row(
            "sweep",
            f"{what}: {workers} local workers ({n} runs); rate as share of {workers} x 1 worker",
            f"{_median(rate['pool']):.1f} runs/min = {_median(efficiency):.0%}",
            spread(efficiency, ".0%"),
            peak_mib=f"{rss['pool']:.0f} (parent)",
            target=f"≥ {EFFICIENCY_TARGET:.0%} of {workers} x 1 worker",
            met=_median(efficiency) >= EFFICIENCY_TARGET,
        ),
        Row(
            "sweep",
            f"{what}: Dask LocalCluster, {workers} processes x 1 thread, warmed ({n} runs); "
            "rate as share of the local pool's",
            f"{_median(rate['dask']):.1f} runs/min = {_median(dask_ratio):.0%}",
            spread(dask_ratio, ".0%"),
            peak_mib=f"{rss['dask']:.0f} (parent)",
            target=f"within {DASK_TOLERANCE:.0%} of the local pool",
            met=abs(_median(dask_ratio) - 1) <= DASK_TOLERANCE,
        ),
        Row(
            "sweep",
            "disk: bytes per default-year run file x 10,000",
            f"{pool['bytes_per_run'] * 1e4 / 1e9:.2f} GB",
            f"{pool['bytes_per_run'] / 1024:.1f} KiB a run",
            target="< 1 GB",
            met=pool["bytes_per_run"] * 1e4 < DISK_TARGET_BYTES,
        ),
    ]
    per_run_ms = 1000 * pool["parent_cpu_s"] / max(1, pool["runs"])
    notes = [
        "sweep: wall time of run_sweep, including starting the local pool; the Dask cluster "
        "is 'an existing cluster', started and warmed (the model imported on each worker) "
        "before the clock starts. Workers are not pinned to cores. The parent process "
        f"(imports, plan, writing each run file) used {per_run_ms:.0f} ms of CPU a run "
        f"with {workers} local workers ({pool['parent_cpu_s']:.1f} s in all)."
    ]
    return CaseResult("sweep", rows, notes=notes, raw=raw)


def case_sweep_memory(settings: Settings) -> CaseResult:
    """The parent's peak RSS for n and 4n short runs: it must not grow with the runs."""
    workers = max(1, len(settings.cpus))
    n = 100 if settings.quick else 250
    small = _logged({"set": SHORT, "runs": n, "workers": workers}, settings, f"{n} runs")
    large = _logged({"set": SHORT, "runs": 4 * n, "workers": workers}, settings, f"{4 * n} runs")
    raw = {"small": small, "large": large}
    if "error" in small or "error" in large:
        return CaseResult("sweep_memory", [Row("sweep_memory", "parent RSS", "error", "")], raw=raw)
    growth = large["parent_peak_rss_mib"] / small["parent_peak_rss_mib"]
    row = Row(
        "sweep_memory",
        f"parent peak RSS, {n} vs {4 * n} runs (30 d, 4 km)",
        f"{small['parent_peak_rss_mib']:.0f} → {large['parent_peak_rss_mib']:.0f} MiB",
        f"x {growth:.3f}",
        target=f"≤ x {PARENT_GROWTH_TARGET}",
        met=growth <= PARENT_GROWTH_TARGET,
    )
    return CaseResult("sweep_memory", [row], raw=raw)


def case_compare_10k(settings: Settings) -> CaseResult:
    """``idlib-sim compare --no-plots`` over a real 10,000-run sweep (10 days, 6 km cells)."""
    workers = max(1, len(settings.cpus))
    runs = 1000 if settings.quick else COMPARE_RUNS
    spec = {"set": TINY, "runs": runs, "workers": workers, "compare": True}
    result = _logged(spec, settings, f"{runs} runs + compare")
    if "error" in result or not result.get("compare_ok"):
        why = result.get("error", "compare failed")
        return CaseResult("compare_10k", [Row("compare_10k", "compare", "error", why)], raw=result)
    row = Row(
        "compare_10k",
        f"idlib-sim compare --no-plots over {runs:,} run files (a fresh process)",
        f"{result['compare_s']:.1f} s",
        f"sweep itself {result['wall_s']:.0f} s",
        target=f"< {COMPARE_TARGET_S:g} s for 10,000",
        met=result["compare_s"] < COMPARE_TARGET_S and runs == COMPARE_RUNS,
    )
    return CaseResult("compare_10k", [row], raw=result)


def main(argv: list[str]) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        result = measure(json.loads(argv[0]))
    except Exception as exc:  # report, never hang the harness
        result = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
