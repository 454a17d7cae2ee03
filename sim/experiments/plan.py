"""The run plan: every (scenario variant, design point, replicate) with its seed.

Seeds come from ``SeedSequence(root_seed).spawn(replicates)`` and depend on the replicate
only (common random numbers): replicate *r* has the same seed in every variant and design
point, so differences between them are paired, and no seed depends on worker count or
order of execution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.design import design_points
from sim.experiments.spec import Experiment, override_text


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """One model seed per replicate, in 0..2**63-1, from ``SeedSequence(root_seed)``."""
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


@dataclass(frozen=True)
class Run:
    """One planned run.

    Attributes:
        index: Position in the plan (0..n-1); names the run's file.
        scenario: Name of the scenario variant.
        point: Row of the design table.
        replicate: Replicate number (0..R-1).
        seed: The model seed (from the replicate alone).
        overrides: ``key=value`` strings applied to the base scenario, in order.
        factors: The design point's factor values.
    """

    index: int
    scenario: str
    point: int
    replicate: int
    seed: int
    overrides: tuple[str, ...]
    factors: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """File-name stem of the run, e.g. ``r000042``."""
        return f"r{self.index:06d}"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def build_plan(exp: Experiment, points: pd.DataFrame | None = None) -> list[Run]:
    """Every run of the experiment, in a fixed order (variant, point, replicate).

    Overrides apply in this order: the experiment's ``set``, the variant's, the point's.
    """
    points = design_points(exp) if points is None else points
    seeds = replicate_seeds(exp.root_seed, exp.replicates)
    common = [override_text(k, v) for k, v in exp.set.items()]
    runs: list[Run] = []
    records = points.to_dict(orient="records")
    for name, changes in exp.scenarios.items():
        variant = [override_text(k, v) for k, v in changes.items()]
        for p, record in enumerate(records):
            values = {k: _plain(v) for k, v in record.items()}
            point = [override_text(k, v) for k, v in values.items()]
            for r, seed in enumerate(seeds):
                runs.append(
                    Run(
                        index=len(runs),
                        scenario=name,
                        point=p,
                        replicate=r,
                        seed=seed,
                        overrides=(*common, *variant, *point),
                        factors=values,
                    )
                )
    return runs
