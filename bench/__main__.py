"""``python -m bench``: run the issue #5 performance cases and print a Markdown table."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import sweeps
from bench.cases import CASES as RUN_CASES
from bench.cases import ONE_THREAD, ROOT, CaseResult, Settings, log, sim_versions
from bench.worker import sim_digest

CASES = {
    **RUN_CASES,
    "sweep": sweeps.case_sweep_throughput,
    "sweep_memory": sweeps.case_sweep_memory,
    "compare_10k": sweeps.case_compare_10k,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time idlib-sim against the issue #5 targets; print a Markdown table.",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="fresh-process repeats per measurement (default 5, or 2 with --quick)",
    )
    p.add_argument("--quick", action="store_true", help="2 repeats and a 10-run sweep")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this case (repeatable or comma-separated): {', '.join(CASES)}",
    )
    p.add_argument("--json", type=Path, metavar="PATH", help="also save the raw results here")
    p.add_argument(
        "--sweep-runs", type=int, help="default-year runs in the sweep case (default 40, quick 10)"
    )
    return p


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("numpy", "mesa"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception as exc:  # a missing library should not stop the report
            out[mod] = f"unavailable ({type(exc).__name__})"
    return out


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        rev = ""
    return rev or "unknown"


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def environment() -> dict:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpus_available": cpus,
        "platform": platform.platform(),
        "loadavg_at_start": _loadavg(),
        "git": _git_revision(),
        "sim_sources_sha256": sim_digest(),
        **_versions(),
    }


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(results: list[CaseResult], settings: Settings, env: dict, elapsed: float) -> str:
    header = [
        "case",
        "what was run",
        "median",
        "min – max",
        "person-days/s",
        "cells",
        "peak RSS MiB",
        "target (issue #5)",
        "met?",
    ]
    body = []
    for res in results:
        for r in res.rows:
            met = {True: "yes", False: "**no**", None: "—"}[r.met]
            body.append(
                [r.case, r.what, r.median, r.spread, r.person_days, r.cells, r.peak_mib]
                + [r.target, met]
            )
    out = [
        f"## idlib-sim benchmark ({env['date']})",
        "",
        f"nproc {env['nproc']}, Python {env['python']}, numpy {env['numpy']}, "
        f"mesa {env['mesa']}, git {env['git']}, sim/ sources sha256 "
        f"{env['sim_sources_sha256']}; {settings.repeats} repeat(s) per "
        f"measurement, each in a fresh process pinned to one CPU; "
        f"total benchmark time {elapsed:.0f} s.",
        f"Load average (1/5/15 min) at start {env['loadavg_at_start']}, at end "
        f"{env['loadavg_at_end']}: other work on the machine inflates the times.",
        "Peak RSS = ru_maxrss (RUSAGE_SELF) read in the measured child process at its end; "
        "it includes the interpreter and all imports.",
        "",
        table(header, body),
    ]
    for res in results:
        if res.detail:
            out += ["", f"### {res.name}", "", table(*res.detail)]
    versions = {res.name: sorted(sim_versions(res.raw)) for res in results}
    every = sorted({v for vs in versions.values() for v in vs})
    if len(every) > 1:
        out += [
            "",
            "**Warning: sim/ changed while the benchmark ran** (sources sha256 per case: "
            + "; ".join(f"{k}: {', '.join(v)}" for k, v in versions.items())
            + "). Figures from different versions of the model are not comparable.",
        ]
    notes = [n for res in results for n in res.notes]
    if notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"error: unknown case(s) {unknown}; choose from {list(CASES)}", file=sys.stderr)
        return 2
    names = names or list(CASES)
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 5)
    if repeats < 1:
        print("error: --repeats must be at least 1", file=sys.stderr)
        return 2
    sweep_runs = args.sweep_runs or (10 if args.quick else 40)
    os.environ.update(ONE_THREAD)  # inherited by the sweep's spawned workers
    env = environment()
    settings = Settings(
        repeats=repeats, quick=args.quick, sweep_runs=sweep_runs, cpus=env["cpus_available"]
    )

    started = time.perf_counter()
    results = []
    for name in names:
        log(f"[bench] {name}")
        t0 = time.perf_counter()
        results.append(CASES[name](settings))
        log(f"[bench] {name} done in {time.perf_counter() - t0:.1f} s")
    elapsed = time.perf_counter() - started
    env["loadavg_at_end"] = _loadavg()

    print(render(results, settings, env, elapsed))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "environment": env,
            "settings": dataclasses.asdict(settings),
            "elapsed_s": elapsed,
            "sim_versions_by_case": {r.name: sorted(sim_versions(r.raw)) for r in results},
            "cases": [dataclasses.asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        log(f"[bench] raw results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
