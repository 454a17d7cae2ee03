"""Run a sweep: plan, skip what is on disk, execute in batches, store every result.

The parent keeps only the batches in flight; each result is written to its own file as
soon as it arrives. A local pool that breaks (a worker killed) is recreated and the lost
runs are retried one at a time, so a run that keeps killing its worker is found and
recorded as a failure row while the others complete.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from sim.experiments import store
from sim.experiments.design import design_points
from sim.experiments.executors import dask_executor, default_workers, local_pool
from sim.experiments.plan import Run, build_plan
from sim.experiments.spec import Experiment
from sim.experiments.task import RunResult, Simulate, execute_batch

#: Times a run may be lost alone (its worker dying) before it is recorded as a failure.
MAX_ATTEMPTS = 2


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes:
        planned: Runs in the plan.
        skipped: Runs already on disk at the start (``--resume``).
        finished: Runs that finished in this call.
        failed: Runs recorded as failures in this call.
        restarts: Times the executor was recreated after losing workers.
        seconds: Wall time, s.
    """

    planned: int
    skipped: int
    finished: int = 0
    failed: int = 0
    restarts: int = 0
    seconds: float = 0.0


def batch_size(remaining: int, slots: int, limit: int = 16) -> int:
    """Runs per task: enough to spread the remaining runs about 8 tasks deep per slot."""
    return max(1, min(limit, math.ceil(remaining / (slots * 8))))


def _batches(runs: list[Run], size: int) -> deque[tuple[list[Run], int]]:
    return deque((runs[i : i + size], 0) for i in range(0, len(runs), size))


class _Progress:
    """A tqdm bar of runs done (failed ones counted apart) and the time left."""

    def __init__(self, total: int, initial: int, show: bool, name: str):
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            initial=initial,
            unit="run",
            desc=name,
            disable=not show,
            dynamic_ncols=True,
            smoothing=0.05,
        )
        self.failed = 0

    def update(self, results: list[RunResult]) -> None:
        self.failed += sum(r.error is not None for r in results)
        self.bar.set_postfix_str(f"failed {self.failed}", refresh=False)
        self.bar.update(len(results))

    def close(self) -> None:
        self.bar.close()


def run_sweep(
    exp: Experiment,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    batch: int | None = None,
    progress: bool | None = None,
    simulate: Simulate | None = None,
) -> SweepReport:
    """Run every planned run of ``exp`` not yet on disk in ``out``.

    Args:
        exp: The experiment.
        out: The sweep folder (created; must be empty unless ``resume``).
        workers: Local worker processes (default: the CPUs available); ignored with
            ``scheduler``.
        scheduler: Address of a running Dask scheduler (``tcp://HOST:PORT``).
        resume: Continue a sweep folder of the same experiment.
        retry_failed: With ``resume``, run the runs recorded as failures again.
        batch: Runs per task (default: chosen from the number of runs and workers).
        progress: Show a progress bar (default: when stderr is a terminal).
        simulate: The model call, for tests (must be picklable by reference).

    Returns:
        Counts of what happened.

    Raises:
        sim.experiments.store.SweepFolderError: ``out`` cannot take this sweep.
    """
    started = time.perf_counter()
    points = design_points(exp)
    runs = build_plan(exp, points)
    store.prepare_folder(out, exp, runs, points, resume)
    store.remove_temporaries(out)
    if resume and retry_failed:
        store.forget_failures(out)
    on_disk = store.runs_on_disk(out)
    todo = [r for r in runs if r.index not in on_disk]
    report = SweepReport(planned=len(runs), skipped=len(runs) - len(todo))
    if not todo:
        report.seconds = time.perf_counter() - started
        return report

    def make() -> tuple[Executor, Callable[[], None], int]:
        if scheduler:
            return dask_executor(scheduler)
        n = workers or default_workers()
        pool = local_pool(n)
        return pool, pool.shutdown, n

    executor, close, slots = make()
    size = batch or batch_size(len(todo), slots)
    pending = _batches(todo, size)
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(len(runs), report.skipped, show, exp.name)
    base = str(exp.base_path())
    keep, every = list(exp.outputs.series), exp.outputs.every_days
    in_flight: dict[Future, tuple[list[Run], int, bool]] = {}
    # Runs that were in flight when a worker died: retried alone, so a crash is attributable.
    suspects: deque[tuple[Run, int]] = deque()

    def record(results: list[RunResult]) -> None:
        for result in results:
            store.write_result(out, result)
        report.finished += sum(r.error is None for r in results)
        report.failed += sum(r.error is not None for r in results)
        bar.update(results)

    def lost(run: Run, attempts: int, why: str) -> None:
        if attempts < MAX_ATTEMPTS:
            suspects.append((run, attempts))
        else:
            record([RunResult(run.index, None, f"lost {attempts} times: {why}", "", 0.0)])

    try:
        while pending or in_flight or suspects:
            if suspects:
                if not in_flight:
                    run, attempts = suspects.popleft()
                    future = executor.submit(execute_batch, base, [run], keep, every, simulate)
                    in_flight[future] = ([run], attempts, True)
            else:
                while pending and len(in_flight) < 2 * slots:
                    chunk, attempts = pending.popleft()
                    future = executor.submit(execute_batch, base, chunk, keep, every, simulate)
                    in_flight[future] = (chunk, attempts, False)
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                chunk, attempts, alone = in_flight.pop(future)
                try:
                    results = future.result()
                except Exception as exc:  # a dead worker, or a task lost on a cluster
                    broken = broken or isinstance(exc, BrokenProcessPool)
                    why = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                    for run in chunk:
                        lost(run, attempts + 1 if alone else 0, why)
                    continue
                record(results)
            if broken:
                for future, (chunk, attempts, _alone) in in_flight.items():
                    future.cancel()
                    suspects.extend((run, attempts) for run in chunk)
                in_flight.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                executor, close, slots = make()
                report.restarts += 1
    except BaseException:  # Ctrl-C or a storage error: stop now, keep what is on disk
        bar.close()
        executor.shutdown(wait=False, cancel_futures=True)
        if scheduler:
            close()
        raise
    bar.close()
    close()
    report.seconds = time.perf_counter() - started
    return report
