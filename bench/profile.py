"""Profile one run with cProfile: ``python -m bench.profile [--set KEY=VALUE ...] [--top N]``.

Profiles load + build + run of the default scenario (365 days, 2 km unless overridden) and
prints the top functions by cumulative and by total (own) time. ``--out FILE`` also saves
the raw stats for ``python -m pstats FILE`` or snakeviz.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

from bench.cases import SCENARIO
from bench.worker import sim_digest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--top", type=int, default=15, help="rows per listing (default 15)")
    p.add_argument("--out", type=Path, help="also save the raw pstats file here")
    args = p.parse_args(argv)

    from sim.model import EscalationModel
    from sim.world.loader import load_scenario

    overrides = ["days=365", *args.overrides]
    profiler = cProfile.Profile()
    profiler.enable()
    model = EscalationModel(load_scenario(SCENARIO, overrides))
    model.run()
    profiler.disable()

    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(args.out)
    print(
        f"profiled: {SCENARIO} with {overrides}; shape {model.geo.shape}, {model.day} days; "
        f"sim/ sources sha256 {sim_digest()}"
    )
    for key, title in (("cumulative", "cumulative time"), ("tottime", "total (own) time")):
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n=== top {args.top} by {title} ===")
        print(buf.getvalue().split("\n", 1)[1].strip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
