"""Executors a sweep runs on, all behind ``concurrent.futures.Executor``.

* :func:`local_pool`: worker processes on this machine (started fresh, ``spawn``);
* :func:`dask_executor`: an existing Dask distributed cluster, by scheduler address.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

#: One BLAS/OpenMP thread per worker: the runs are the parallelism.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _worker_init() -> None:
    for key, value in ONE_THREAD.items():
        os.environ.setdefault(key, value)
    # Ctrl-C reaches the whole process group; the parent alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Imported once by the fork server, so new workers (and replacements) start in milliseconds.
PRELOAD = ["sim.experiments.task", "sim.experiments.simulate", "sim.model", "sim.world.loader"]


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from a clean server process.

    The ``forkserver`` context: workers inherit nothing from this (possibly threaded)
    process, only the model's modules the server imported once.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init)


def dask_executor(
    address: str, timeout_s: float = 20.0
) -> tuple[Executor, Callable[[], None], int]:
    """Connect to a running Dask scheduler.

    Args:
        address: Scheduler address, e.g. ``tcp://127.0.0.1:8786``.
        timeout_s: How long to wait for the connection, s.

    Returns:
        The executor, a function that closes the connection, and the cluster's thread
        count (at least 1).

    Raises:
        OSError: No scheduler answered at ``address`` in time.
    """
    from distributed import Client

    client = Client(address, timeout=timeout_s, set_as_default=False)
    threads = sum(client.nthreads().values()) or 1
    return client.get_executor(pure=False), client.close, threads
