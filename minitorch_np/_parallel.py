"""Elementwise numpy work split across CPU cores.

numpy releases the GIL inside a ufunc loop over a large array, so Python
threads that each run the same chain of in-place ufuncs on their own slice of
the arrays run truly in parallel. The optimizers use this for their updates
(Adam's dozen passes over every weight are a fifth of an MLP training step
when the matrix products use both cores; see docs/benchmarks.md).

The number of threads is, in this order: ``set_num_threads(n)``; the
environment variable ``MINITORCH_NP_NUM_THREADS``; the smallest of
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` that is
set (so one setting limits numpy's matrix products and this module alike);
else the number of CPUs this process may run on. One thread means no worker
thread is ever started.

Results do not depend on the number of threads: every element is computed by
the same sequence of operations, whichever thread runs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

#: Fewest elements per slice: below this a hand-off to another thread (tens of
#: microseconds) costs more than the half of the work it takes over.
MIN_SLICE = 65536

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

_lock = threading.Lock()
_requested: int | None = None
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0

Kernel = Callable[..., None]
Job = tuple["Task", "int | None", "int | None"]  # a task, and the slice it runs


class Task:
    """``kernel(*arrays, *args)``: an in-place elementwise computation on
    same-shaped arrays, which may instead run on matching slices of them."""

    __slots__ = ("args", "arrays", "kernel")

    def __init__(self, kernel: Kernel, arrays: Sequence[np.ndarray], *args: Any) -> None:
        self.kernel = kernel
        self.arrays = tuple(arrays)
        self.args = args

    def run(self, start: int | None = None, stop: int | None = None) -> None:
        if start is None:
            self.kernel(*self.arrays, *self.args)
        else:
            slices = [array.reshape(-1)[start:stop] for array in self.arrays]
            self.kernel(*slices, *self.args)

    def can_split(self) -> bool:
        """Slices of a flattened array are views only for C-contiguous arrays."""
        return all(array.flags.c_contiguous for array in self.arrays)


def num_threads() -> int:
    """The number of threads `run_tasks` uses (see the module docstring)."""
    if _requested is not None:
        return _requested
    own = _positive_int(os.environ.get("MINITORCH_NP_NUM_THREADS"))
    if own is not None:
        return own
    blas = [_positive_int(os.environ.get(name)) for name in _THREAD_VARIABLES]
    limits = [n for n in blas if n is not None]
    if limits:
        return min(limits)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_num_threads(n: int | None) -> None:
    """Use ``n`` threads from now on (``None``: back to the default)."""
    global _requested
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: expected a positive int or None, got {n!r}")
    _requested = n


def run_tasks(tasks: Sequence[Task]) -> None:
    """Run every task, spreading the work over `num_threads` threads.

    A task of at least 2 * `MIN_SLICE` elements is cut into equal slices, one
    per thread (at most one per `MIN_SLICE` elements); a smaller one runs
    whole, on the thread with the least work so far. The calling thread takes
    its share too. Returns when all are done; an exception raised in a worker
    is re-raised here.
    """
    threads = num_threads()
    jobs: list[list[Job]] = [[] for _ in range(threads)]
    loads = [0] * threads
    for task in tasks:
        size = task.arrays[0].size
        parts = min(threads, size // MIN_SLICE)
        if parts < 2 or not task.can_split():
            lightest = loads.index(min(loads))
            jobs[lightest].append((task, None, None))
            loads[lightest] += size
            continue
        bounds = [size * i // parts for i in range(parts + 1)]
        for part in range(parts):
            jobs[part].append((task, bounds[part], bounds[part + 1]))
            loads[part] += bounds[part + 1] - bounds[part]
    futures = [_submit(_run_all, own_jobs) for own_jobs in jobs[1:] if own_jobs]
    _run_all(jobs[0])
    for future in futures:
        future.result()


def _run_all(jobs: list[Job]) -> None:
    for task, start, stop in jobs:
        task.run(start, stop)


def _submit(function: Callable[..., None], *args: Any) -> Future[None]:
    global _pool, _pool_workers
    workers = max(num_threads() - 1, 1)
    with _lock:
        if _pool is None or _pool_workers < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="minitorch_np")
            _pool_workers = workers
        pool = _pool
    return pool.submit(function, *args)


def _forget_pool_after_fork() -> None:
    """A forked child has none of the parent's threads: build a new pool there."""
    global _lock, _pool, _pool_workers
    _lock, _pool, _pool_workers = threading.Lock(), None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 1 else None
