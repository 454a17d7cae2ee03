"""Small-world equivalence: group draws vs a person-by-person reference.

The model moves people in groups: binomial draws for who leaves each (cell, tolerance
class), a multinomial split of leavers over destinations, and a binomial draw for who
gives up at a closed queue (``sim.mechanisms.displacement``). The claim in the README is
that this is *statistically the same* as every person deciding independently. Here a tiny
world is run both ways:

* the **group engine** runs the model's own civilian agents in a three-cell world
  (``Residents.leave`` for who leaves, ``Places.serve_queues`` with a ``Checkpoint`` for
  the queue) on integer counts with a numpy ``Generator``; only the destination choice
  is given as fixed shares (split with the model's ``split_among``);
* the **reference** is a plain Python loop over people with ``random.Random``: each person
  at home draws a uniform number against their class and cell's leave probability, a leaver
  picks a destination by inverse CDF on the choice shares, and the checkpoint queue is a
  FIFO list (an open checkpoint passes the first ``capacity`` people in order, at a closed
  one each waiting person gives up independently).

Each engine is run on ``N_RUNS`` independent streams spawned from one ``SeedSequence``.
For every outcome (leavers per cell and in total, arrivals per destination, people who
exited, gave up, or still wait) two tests compare the samples: Welch's t-test on the means
and a chi-square test of homogeneity on binned counts. The family of tests has a stated
significance level ``ALPHA = 0.001`` (Bonferroni: each test uses ``ALPHA / n_tests``), so a
correct group engine fails this file with probability at most 0.1% over the choice of
seeds; the seeds are fixed, so the outcome is deterministic. A power check shows that the
same battery REJECTS when the reference is deliberately perturbed (leave probability x1.15,
give-up chance x1.4, or one destination made more attractive), i.e. the test can fail.
Both engines are also checked against the exact expectations of leavers and arrivals.
"""

from __future__ import annotations

import bisect
import random
from functools import cache

import mesa
import numpy as np
import pytest
from scipy import stats

from sim.agents.civilians import Residents
from sim.agents.places import Places
from sim.agents.states import Turkey
from sim.mechanisms import displacement as disp
from sim.world.layers import build_grid
from sim.world.schema import Scenario

ALPHA = 0.001  # family-wise significance level of each battery of tests
N_RUNS = 400  # runs of each engine
DAYS = 10
SEED = 20190429

# The tiny world: 3 origin cells, 4 tolerance classes, 4 destinations (3 is a checkpoint).
POPULATION = np.array([60, 80, 40])
N_CLASSES = 4
TOLERANCE = disp.tolerance_levels(1.0, 0.7, N_CLASSES)
MAX_LEAVE = 0.3
RISK = np.array(
    [
        [0.2 + 0.15 * d for d in range(DAYS)],  # rising day by day (a front coming closer)
        [0.8] * DAYS,  # steady
        [0.3] * 5 + [1.5] * (DAYS - 5),  # struck on day 5
    ]
).T  # (DAYS, cells)
UTILITY = np.array(
    [
        [1.0, 0.2, -np.inf, 0.0],  # cell 0 cannot reach destination 2
        [0.5, 0.5, 0.0, -0.5],
        [-np.inf, 1.2, 0.3, 0.5],  # cell 2 cannot reach destination 0
    ]
)
SHARES = disp.choice_probabilities(UTILITY)
CHECKPOINT = 3
CAPACITY = 3
IS_OPEN = np.array([False] * 4 + [True] * 2 + [False] * 3 + [True])
GIVEUP = 0.25

OUTCOMES = (
    "left_total",
    *(f"left_cell{i}" for i in range(len(POPULATION))),
    *(f"to_dest{j}" for j in range(SHARES.shape[1])),
    "exited",
    "gave_up",
    "waiting",
)


def _class_split(population: np.ndarray) -> np.ndarray:
    """People at home per (class, cell), as the model's ``Residents`` splits them."""
    return TinyWorld(np.random.SeedSequence(0)).residents.at_home[:, 0, :].copy()


def _leave_probabilities(factor: float = 1.0) -> np.ndarray:
    """``(DAYS, classes, cells)`` daily leave probabilities."""
    p = np.stack([disp.leave_probability(RISK[d], TOLERANCE, MAX_LEAVE) for d in range(DAYS)])
    return np.minimum(p * factor, 1.0)


def _streams(offset: int) -> list[np.random.SeedSequence]:
    children = np.random.SeedSequence(SEED).spawn(2 * N_RUNS)
    return children[offset : offset + N_RUNS]


class _FixedChoice:
    """Stands in for the route-and-logit part of ``DestinationTable``: fixed ``SHARES``.

    Those who give up queueing shelter back in cell 0 (where is not an outcome here).
    """

    queue_index = np.array([0, 1])  # the checkpoint, then the (sealed) crossing
    fallback_cell = np.array([0, 0])

    def split(self, rng: np.random.Generator, leavers: np.ndarray) -> np.ndarray:
        return disp.split_among(rng, leavers, SHARES)


class _TinyMap:
    """Three cells in a row; every place stands in the first."""

    shape = (1, POPULATION.size)

    def cell_of(self, lat: float, lon: float) -> tuple[int, int]:
        return (0, 0)


class TinyWorld(mesa.Model):
    """The tiny world run by the model's own civilian agents.

    ``Residents`` (class split and who leaves), a ``Checkpoint`` and ``Places`` (queue
    service, giving up at a closed checkpoint) are the model's code; the scenario's
    civilian settings give the tolerance classes and the leave cap. Only the choice of
    destination is stood in for (``_FixedChoice``): the shares are given, not routed.
    """

    def __init__(self, seq: np.random.SeedSequence):
        super().__init__(rng=np.random.default_rng(seq))
        self.config = Scenario.model_validate(
            {
                "camps": [],
                "civilians": {
                    "tolerance_classes": N_CLASSES,
                    "max_leave_probability_per_day": MAX_LEAVE,
                    "queue_giveup_per_day": GIVEUP,
                },
                "checkpoints": [
                    {"name": "tiny", "lat": 35.7, "lon": 37.0, "capacity_per_day": CAPACITY}
                ],
            }
        )
        self.day = 0
        self.risk = np.zeros((1, POPULATION.size))
        self.residents = Residents(self, POPULATION.reshape(1, -1).astype(np.int64))
        self.turkey = Turkey(self)  # the crossing follows Turkey's rung (sealed here)
        self.geo = _TinyMap()
        self.grid = build_grid(self.geo.shape, self.random)
        self.places = Places(self)  # one checkpoint and the crossing, no camps
        self.sheltering = np.zeros((1, POPULATION.size), dtype=np.int64)

    def log_event(self, *row: str) -> None:
        """The tiny world keeps no event log."""


def group_engine(seq: np.random.SeedSequence) -> dict[str, int]:
    """One run of the tiny world with the model's group draws."""
    world = TinyWorld(seq)
    choice = _FixedChoice()
    checkpoint = world.places.checkpoints[0]
    everywhere = np.ones((1, POPULATION.size), dtype=bool)
    left = np.zeros(len(POPULATION), dtype=np.int64)
    arrived = np.zeros(SHARES.shape[1], dtype=np.int64)
    exited = gave_up_total = 0
    for day in range(DAYS):
        world.day = day
        world.risk[0] = RISK[day]
        per_cell = world.residents.leave(everywhere)[0]
        left += per_cell
        counts = choice.split(world.rng, per_cell)
        arrived += counts.sum(axis=0)
        checkpoint.queue += int(counts[:, CHECKPOINT].sum())
        checkpoint.is_open = bool(IS_OPEN[day])
        sheltering_before = int(world.sheltering.sum())
        passed, _ = world.places.serve_queues(world.rng, GIVEUP, choice, world.sheltering)
        exited += passed
        gave_up_total += int(world.sheltering.sum()) - sheltering_before
    return _outcomes(left, arrived, exited, gave_up_total, checkpoint.queue)


def reference_engine(
    seq: np.random.SeedSequence,
    leave_factor: float = 1.0,
    giveup: float = GIVEUP,
    shares: np.ndarray = SHARES,
) -> dict[str, int]:
    """One run of the tiny world, one person at a time (optionally perturbed)."""
    rnd = random.Random(int.from_bytes(seq.generate_state(4, np.uint32).tobytes(), "little"))
    p = _leave_probabilities(leave_factor).tolist()
    cdf = np.cumsum(shares, axis=1)
    cdf[:, -1] = 1.0
    cdf = cdf.tolist()
    split = _class_split(POPULATION)
    home = [
        (cell, k)
        for cell in range(len(POPULATION))
        for k in range(N_CLASSES)
        for _ in range(int(split[k, cell]))
    ]
    left = [0] * len(POPULATION)
    arrived = [0] * shares.shape[1]
    queue: list[int] = []  # FIFO of waiting people (their origin cell)
    exited = gave_up = 0
    for day in range(DAYS):
        still_home = []
        for cell, k in home:
            if rnd.random() < p[day][k][cell]:
                left[cell] += 1
                dest = bisect.bisect_right(cdf[cell], rnd.random())
                arrived[dest] += 1
                if dest == CHECKPOINT:
                    queue.append(cell)
            else:
                still_home.append((cell, k))
        home = still_home
        if IS_OPEN[day]:
            exited += len(queue[:CAPACITY])
            queue = queue[CAPACITY:]
        else:
            staying = [person for person in queue if not rnd.random() < giveup]
            gave_up += len(queue) - len(staying)
            queue = staying
    return _outcomes(np.array(left), np.array(arrived), exited, gave_up, len(queue))


def _outcomes(left, arrived, exited, gave_up, waiting) -> dict[str, int]:
    out = {"left_total": int(left.sum())}
    out.update({f"left_cell{i}": int(n) for i, n in enumerate(left)})
    out.update({f"to_dest{j}": int(n) for j, n in enumerate(arrived)})
    out.update({"exited": exited, "gave_up": gave_up, "waiting": waiting})
    return out


def _sample(runs: list[dict[str, int]]) -> dict[str, np.ndarray]:
    return {name: np.array([r[name] for r in runs]) for name in OUTCOMES}


@cache
def group_sample() -> dict[str, np.ndarray]:
    return _sample([group_engine(s) for s in _streams(0)])


@cache
def reference_sample(
    leave_factor: float = 1.0, giveup: float = GIVEUP, utility_bump: float = 0.0
) -> dict[str, np.ndarray]:
    utility = UTILITY.copy()
    utility[1, 1] += utility_bump  # cell 1 likes destination 1 more
    shares = disp.choice_probabilities(utility)
    return _sample([reference_engine(s, leave_factor, giveup, shares) for s in _streams(N_RUNS)])


def _welch_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided Welch t-test p-value on the means (exact answer for constant samples)."""
    if x.var() == 0 and y.var() == 0:
        return 1.0 if x[0] == y[0] else 0.0
    return float(stats.ttest_ind(x, y, equal_var=False).pvalue)


def _chi2_p(x: np.ndarray, y: np.ndarray, min_pooled: int = 20) -> float:
    """Chi-square homogeneity p-value on counts binned so each bin holds >= min_pooled."""
    values, pooled = np.unique(np.concatenate([x, y]), return_counts=True)
    edges, run = [], 0
    for v, n in zip(values, pooled, strict=True):
        run += n
        if run >= min_pooled:
            edges.append(v)
            run = 0
    if run and edges:
        edges.pop()  # fold a thin last bin into the previous one
    if len(edges) < 2:
        return 1.0
    bins = np.searchsorted(np.asarray(edges[:-1]), np.concatenate([x, y]), side="left")
    table = np.zeros((2, len(edges)), dtype=np.int64)
    np.add.at(table, (np.repeat([0, 1], [x.size, y.size]), bins), 1)
    return float(stats.chi2_contingency(table).pvalue)


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[tuple[str, str], float]:
    """P-values of the whole battery: (outcome, 'mean' | 'distribution') -> p."""
    out = {}
    for name in OUTCOMES:
        out[name, "mean"] = _welch_p(a[name], b[name])
        out[name, "distribution"] = _chi2_p(a[name], b[name])
    return out


def _rejected(pvalues: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    per_test = ALPHA / len(pvalues)
    return {k: p for k, p in pvalues.items() if p < per_test}


def test_the_tiny_world_is_not_trivial():
    g = group_sample()
    # Every flow the comparison relies on actually happens, with spread.
    for name in OUTCOMES:
        assert g[name].var() > 0, name
    assert g["to_dest0"].mean() > 5 and g["to_dest2"].mean() > 3
    assert 0 < g["left_total"].mean() < POPULATION.sum()
    assert g["exited"].mean() > 3 and g["gave_up"].mean() > 1
    # The model's residents use the tolerance classes the reference uses.
    np.testing.assert_array_equal(TinyWorld(_streams(0)[0]).residents.tolerance, TOLERANCE)
    # Unreachable destinations get nobody, in both engines.
    assert (SHARES[0, 2], SHARES[2, 0]) == (0.0, 0.0)


def test_group_engine_matches_person_by_person_reference():
    pvalues = compare(group_sample(), reference_sample())
    assert len(pvalues) == 2 * len(OUTCOMES)
    rejected = _rejected(pvalues)
    assert not rejected, f"group and person engines differ at alpha={ALPHA}: {rejected}"


def test_both_engines_match_exact_expectations():
    # Exact means: P(a person of class k in cell c has left by day d) = 1 - prod(1 - p).
    p = _leave_probabilities()
    split = _class_split(POPULATION)
    stay = np.cumprod(1.0 - p, axis=0)  # (DAYS, classes, cells)
    leaving_on = split * (np.concatenate([np.ones((1, *stay.shape[1:])), stay[:-1]]) - stay)
    per_cell = leaving_on.sum(axis=(0, 1))
    expected = {"left_total": per_cell.sum()}
    expected.update({f"left_cell{i}": v for i, v in enumerate(per_cell)})
    expected.update({f"to_dest{j}": v for j, v in enumerate(per_cell @ SHARES)})
    n_tests = 2 * len(expected)
    for sample in (group_sample(), reference_sample()):
        for name, mean in expected.items():
            x = sample[name]
            z = (x.mean() - mean) / (x.std(ddof=1) / np.sqrt(x.size))
            p_value = 2 * stats.norm.sf(abs(z))
            assert p_value >= ALPHA / n_tests, (name, x.mean(), mean)


@pytest.mark.parametrize(
    ("perturbation", "must_reject"),
    [
        ({"leave_factor": 1.15}, "left_total"),
        ({"giveup": GIVEUP * 1.4}, "gave_up"),
        ({"utility_bump": 0.6}, "to_dest1"),
    ],
    ids=["leave_prob_x1.15", "giveup_x1.4", "choice_shift"],
)
def test_the_battery_rejects_a_perturbed_reference(perturbation, must_reject):
    pvalues = compare(group_sample(), reference_sample(**perturbation))
    rejected = _rejected(pvalues)
    assert (must_reject, "mean") in rejected, (must_reject, pvalues[must_reject, "mean"])
    assert rejected, "the battery cannot tell a perturbed reference apart"
