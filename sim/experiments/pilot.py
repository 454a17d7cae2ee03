"""``--plan``: what a sweep would do, with a time estimate from one pilot run."""

from __future__ import annotations

import time

from sim.experiments.design import design_points
from sim.experiments.plan import build_plan, replicate_seeds
from sim.experiments.spec import Experiment
from sim.experiments.task import execute_batch


def describe_plan(exp: Experiment, workers: int, pilot: bool = True) -> str:
    """Run count, variants, design, seeds and (with ``pilot``) a time estimate.

    The pilot runs the plan's first run in this process and writes nothing.
    """
    points = design_points(exp)
    runs = build_plan(exp, points)
    seeds = replicate_seeds(exp.root_seed, exp.replicates)
    lines = [
        f"experiment {exp.name}: {len(runs)} runs = {len(exp.scenarios)} scenario variant(s) "
        f"x {len(points)} design point(s) ({exp.design.kind}) x {exp.replicates} replicate(s)",
        f"base scenario: {exp.base_path()}",
        "variants: " + ", ".join(exp.scenarios),
        f"factors: {', '.join(exp.factors) or '(none)'}",
        f"seeds (root {exp.root_seed}; replicate r has the same seed in every variant and point):",
    ]
    shown = seeds if len(seeds) <= 12 else [*seeds[:6], None, *seeds[-3:]]
    for r, seed in enumerate(shown):
        if seed is None:
            lines.append("  ...")
            continue
        number = r if r < 6 or len(seeds) <= 12 else len(seeds) - (len(shown) - r)
        lines.append(f"  replicate {number}: {seed}")
    if pilot and runs:
        started = time.perf_counter()
        result = execute_batch(str(exp.base_path()), [runs[0]], list(exp.outputs.series), 1)[0]
        seconds = time.perf_counter() - started
        if result.error:
            lines.append(f"pilot run failed: {result.error}")
        else:
            total = len(runs) * seconds / max(1, workers)
            lines.append(
                f"pilot: one run took {seconds:.2f} s; estimate {_duration(total)} on "
                f"{workers} worker(s) (plus about 2 s to start them)"
            )
    lines.append("nothing was run (--plan)")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
