"""Code that runs inside a measured child process.

``python -m bench.worker '<json spec>'`` performs one measurement in a fresh interpreter
and prints one line ``BENCH_RESULT {json}`` on stdout. :func:`sweep_task` is the task of
the ``sweep`` case's process pool.

All timings use :func:`time.perf_counter`. Peak memory is the process's own
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux) read at the end, reported
in MiB: it includes the interpreter and every imported library.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

RESULT_MARKER = "BENCH_RESULT "
DEFAULT_SCENARIO = "scenarios/default.yaml"


def sim_digest() -> str:
    """Short sha256 of the model's sources (sim/**/*.py), to tell which version was measured."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted((root / "sim").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def pin_to_cpu(cpu: int | None) -> None:
    """Pin this process to one CPU (one core per run), where the OS allows it."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {cpu})


def build_once(scenario_path: str, overrides: list[str]) -> tuple[object, dict[str, float]]:
    """Everything before day 1: load + validate, geography, model construction.

    Returns the model and the phase timings in seconds; the geography is built (and timed)
    on its own and passed to the model's constructor.
    """
    from sim.model import EscalationModel
    from sim.world.geography import build_geography
    from sim.world.loader import load_scenario

    t0 = time.perf_counter()
    scenario = load_scenario(scenario_path, overrides)
    t1 = time.perf_counter()
    geo = build_geography(scenario)
    t2 = time.perf_counter()
    model = EscalationModel(scenario, geography=geo)
    geo_s = t2 - t1
    t3 = time.perf_counter()
    return model, {
        "load_s": t1 - t0,
        "geography_s": geo_s,
        "model_s": t3 - t2,
        "build_s": t3 - t0,
    }


def _model_facts(model) -> dict:
    rows, cols = (int(x) for x in model.geo.shape)
    return {
        "shape": [rows, cols],
        "cells": rows * cols,
        "population_total": int(model.population_total),
        "days": int(model.config.days),
    }


def measure(spec: dict) -> dict:
    """One measurement, as described by ``spec`` (see :mod:`bench.cases`)."""
    pin_to_cpu(spec.get("cpu"))
    digest = sim_digest()
    scenario_path = spec.get("scenario", DEFAULT_SCENARIO)
    overrides = list(spec.get("overrides", []))

    t0 = time.perf_counter()
    import sim.model  # noqa: F401
    import sim.world.geography  # noqa: F401
    import sim.world.loader  # noqa: F401

    out: dict = {"import_s": time.perf_counter() - t0, "sim_sha": digest}

    if spec["kind"] == "build":
        model, cold = build_once(scenario_path, overrides)
        out["cold"] = cold
        out["warm"] = []
        for _ in range(int(spec.get("warm_calls", 1))):
            model, warm = build_once(scenario_path, overrides)
            out["warm"].append(warm)
        out.update(_model_facts(model))
    elif spec["kind"] == "run":
        model, phases = build_once(scenario_path, overrides)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        out.update(phases)
        out["run_s"] = t2 - t1
        out["total_s"] = phases["build_s"] + out["run_s"]
        out.update(_model_facts(model))
        out["days_run"] = int(model.day)
    else:
        raise ValueError(f"unknown kind {spec['kind']!r}")
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    try:
        result = measure(spec)
    except Exception as exc:  # report, never hang the harness
        result = {
            "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
            "traceback": traceback.format_exc(),
        }
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
