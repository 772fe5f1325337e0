"""The library's own worker threads, and element-wise work in cache-sized blocks.

An element-wise update such as Adam's makes about a dozen passes over arrays
as large as the model. Written as whole-array numpy calls, each pass streams
every array from memory and back. `for_each_block` instead runs the whole
update on one block of ``block_elements(dtype, threads)`` elements at a
time, so that the block's arrays stay in cache between the passes, and
shares the blocks among worker threads when the arrays are large enough to
pay for a thread (numpy releases the GIL inside its element-wise loops).
One thread takes blocks of 256 KiB per array (they stay in the core's L2
cache); several threads take blocks of 512 KiB (they live in the shared L3
cache), because a thread holds the GIL between two numpy calls and waits
for it after each, so each call must be long enough to make those turns
cheap. The arithmetic is the same for every element whatever
the blocking or the threads, so the results are bit for bit those of the
whole-array calls.

`for_each_row_slice` shares out work that is independent row by row, such
as the samples of a batch in im2col and pooling, the same way.

Threads: `set_num_threads` is the one setting. By default the library uses
as many threads as the process may run on (``os.sched_getaffinity``), or
``OMP_NUM_THREADS`` when that is set. numpy's BLAS has its own threads, set
by the BLAS's environment variables (see docs/benchmarks.md, "Threads"); how
long they spin when idle is `minitorch_np.blas_threads`'s business.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from minitorch_np._validation import check_int

#: Bytes of one array's block on one thread: a block's arrays fit in a core's L2 cache.
BLOCK_BYTES = 1 << 18
#: Bytes of one array's block when several threads share the work.
THREADED_BLOCK_BYTES = 1 << 19
#: Below this many elements per thread, a thread costs more than it saves.
MIN_ELEMENTS_PER_THREAD = 1 << 18

_POOL_NAME = "minitorch_np"
_num_threads: int | None = None
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_work_arrays: dict[tuple[np.dtype, int, int], np.ndarray] = {}

#: ``update(start, stop, work)``: process elements [start, stop) of the caller's
#: arrays, with ``work`` a list of scratch arrays of ``stop - start`` elements.
BlockUpdate = Callable[[int, int, Sequence[np.ndarray]], None]


def available_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_num_threads() -> int:
    """``OMP_NUM_THREADS`` when it is set to a positive integer, else
    `available_cores`."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return available_cores()


def get_num_threads() -> int:
    """The number of threads the library's own element-wise work may use
    (the default is read from the environment once, at the first call)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = default_num_threads()
    return _num_threads


def set_num_threads(threads: int | None) -> None:
    """Use ``threads`` threads (>= 1) for the library's own element-wise work;
    ``None`` goes back to the default (`default_num_threads`, read from the
    environment again at the next use). numpy's BLAS
    threads are set separately (``OPENBLAS_NUM_THREADS`` before numpy loads)."""
    global _num_threads, _pool
    if threads is not None:
        threads = check_int("set_num_threads", "threads", threads, low=1)
    with _pool_lock:
        _num_threads = threads
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def block_elements(dtype: np.dtype, threads: int = 1) -> int:
    """Elements per block for arrays of ``dtype`` shared by ``threads`` threads."""
    block_bytes = BLOCK_BYTES if threads == 1 else THREADED_BLOCK_BYTES
    return block_bytes // np.dtype(dtype).itemsize


def for_each_block(
    size: int, dtype: np.dtype, n_work: int, update: BlockUpdate
) -> None:
    """Call ``update(start, stop, work)`` once for each block of
    `block_elements` elements covering ``[0, size)``, each thread with its own
    ``n_work`` scratch arrays. Threads: up to `get_num_threads`, one per
    ``MIN_ELEMENTS_PER_THREAD`` elements (see `_share`).
    """
    threads = _threads_for(size)
    block = block_elements(dtype, threads)
    if size <= block:  # one block: no bookkeeping
        update(0, size, [_work_array(dtype, k, block)[:size] for k in range(n_work)])
        return

    def update_block(index: int) -> None:
        start, stop = index * block, min(size, (index + 1) * block)
        work = [_work_array(dtype, k, block)[: stop - start] for k in range(n_work)]
        update(start, stop, work)

    _share(-(-size // block), threads, update_block)


def for_each_row_slice(
    rows: int, elements_per_row: int, work: Callable[[slice], None]
) -> None:
    """Call ``work(part)`` for slices ``part`` of ``range(rows)`` that together
    cover it once, e.g. the samples of a batch when each sample's work is
    independent of the others' (im2col, pooling). Threads: up to
    `get_num_threads`, one per ``MIN_ELEMENTS_PER_THREAD`` of the
    ``rows * elements_per_row`` elements; each thread takes about four slices.
    """
    threads = min(_threads_for(rows * elements_per_row), max(rows, 1))
    if threads == 1:
        work(slice(0, rows))
        return
    step = -(-rows // (4 * threads))
    _share(
        -(-rows // step),
        threads,
        lambda index: work(slice(index * step, min(rows, (index + 1) * step))),
    )


def _threads_for(elements: int) -> int:
    return max(1, min(get_num_threads(), elements // MIN_ELEMENTS_PER_THREAD))


def _share(tasks: int, threads: int, task: Callable[[int], None]) -> None:
    """Run ``task(0)`` ... ``task(tasks - 1)`` on ``threads`` threads (the
    caller and pool workers).

    Every thread takes the next task not yet taken until none is left (a
    shared counter), so a thread slowed down by something else on its core
    (another process, BLAS's spinning workers) simply does fewer tasks.
    """
    next_task = itertools.count()  # next() is atomic in CPython

    def take_tasks() -> None:
        for index in next_task:
            if index >= tasks:
                return
            task(index)

    if threads == 1 or threading.current_thread().name.startswith(_POOL_NAME):
        take_tasks()  # (a pool worker waiting for the pool could wait forever)
        return
    pool = _thread_pool()
    helpers = [pool.submit(take_tasks) for _ in range(threads - 1)]
    try:
        take_tasks()
    finally:
        for helper in helpers:
            helper.result()


def _work_array(dtype: np.dtype, index: int, block: int) -> np.ndarray:
    """Scratch array ``index`` of the calling thread, kept between calls."""
    key = (np.dtype(dtype), threading.get_ident(), index)
    array = _work_arrays.get(key)
    if array is None or len(array) < block:
        array = _work_arrays[key] = np.empty(block, dtype)
    return array


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, get_num_threads() - 1),
                thread_name_prefix=_POOL_NAME,
            )
        return _pool
