"""What `Trainer` does differently when it is one of several processes.

A data-parallel run (`minitorch_np.distributed`, docs/distributed.md) is
marked by its optimizer: a ``DistributedOptimizer`` carries a ``collective``,
the group of processes ("ranks") that train together. `collective_of`
returns it, and for any other optimizer `SINGLE_PROCESS`, whose operations do
nothing, so the single-process path neither imports nor needs MPI. The
functions below take the trainer's optimizer; the trainer

* gives the optimizer each batch's row counts, so the gradient applied is
  the mean over the global batch (`note_batch_rows`);
* reduces its epoch sums (loss, correct predictions, rows) over the ranks, so
  the logged loss and accuracy are global (`reduce_running_sums`), and logs
  the slowest rank's epoch time (`slowest`): the `History` is the same on
  every rank, and so are the callbacks' decisions;
* evaluates each rank's contiguous share of an evaluation set
  (`local_share`), then reduces;
* reports progress and writes checkpoints on rank 0 only (`progress_on_main`,
  `save_on_main`), with every rank's layer generators in them
  (`generators_by_rank`), which each rank takes back on resume
  (`restore_rank_generators`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from minitorch_np.data.sharding import shard_bounds
from minitorch_np.training.progress import Progress, ProgressMode, make_progress

#: Environment variables an MPI launcher sets to the number of processes
#: (MPICH's Hydra, Open MPI, PMIx launchers such as Slurm's srun).
LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")


class Collective(Protocol):
    """The operations a trainer needs from a group of ranks."""

    @property
    def rank(self) -> int: ...

    @property
    def world_size(self) -> int: ...

    def sum(self, values: np.ndarray) -> np.ndarray:
        """The element-wise sum of ``values`` (a small 1-D float64 array) over
        every rank, returned on every rank."""
        ...

    def max(self, value: float) -> float:
        """The largest ``value`` over the ranks, returned on every rank."""
        ...

    def barrier(self) -> None:
        """Wait until every rank has called it."""
        ...

    def allgather(self, value: Any) -> list[Any]:
        """Every rank's ``value`` (a small picklable object), by rank, on every rank."""
        ...


class SingleProcess:
    """The group of one process: every reduction returns its input."""

    rank = 0
    world_size = 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        return values

    def max(self, value: float) -> float:
        return value

    def barrier(self) -> None:
        pass

    def allgather(self, value: Any) -> list[Any]:
        return [value]


SINGLE_PROCESS: Collective = SingleProcess()


class RunningSums(Protocol):
    """The epoch sums a trainer keeps."""

    loss_sum: float
    correct: int
    seen: int


def collective_of(optimizer: Any) -> Collective:
    """The optimizer's ``collective`` (a ``DistributedOptimizer``'s group of
    ranks), else `SINGLE_PROCESS`."""
    collective = getattr(optimizer, "collective", None)
    return SINGLE_PROCESS if collective is None else collective  # type: ignore[no-any-return]


def note_batch_rows(optimizer: Any, loader: Any, rows: int) -> None:
    """Tell a data-parallel optimizer (one with ``set_batch_rows``) this
    rank's ``rows`` and the global batch's, read from the loader's
    ``global_batch_rows`` (a sharded `DataLoader`'s); otherwise nothing."""
    set_batch_rows = getattr(optimizer, "set_batch_rows", None)
    global_rows = getattr(loader, "global_batch_rows", None)
    if set_batch_rows is not None and global_rows is not None:
        set_batch_rows(rows, global_rows)


def reduce_running_sums(optimizer: Any, running: RunningSums) -> None:
    """Replace this rank's loss sum, correct count and row count by their
    totals over every rank (one reduction of three numbers)."""
    collective = collective_of(optimizer)
    if collective.world_size == 1:
        return
    local = np.array([running.loss_sum, running.correct, running.seen], np.float64)
    loss_sum, correct, seen = collective.sum(local)
    running.loss_sum = float(loss_sum)
    running.correct, running.seen = round(correct), round(seen)


def slowest(optimizer: Any, seconds: float) -> float:
    """The largest of the ranks' ``seconds``."""
    return collective_of(optimizer).max(seconds)


def local_share(
    optimizer: Any, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """This rank's contiguous share of the rows of ``x`` and ``y`` (views;
    `minitorch_np.data.sharding.shard_bounds`)."""
    collective = collective_of(optimizer)
    start, stop = shard_bounds(len(x), collective.rank, collective.world_size)
    return x[start:stop], y[start:stop]


def progress_on_main(optimizer: Any, mode: ProgressMode) -> Progress:
    """The reporter for ``mode`` on rank 0; silent on the others (the mode is
    checked on every rank)."""
    reporter = make_progress(mode)
    return reporter if collective_of(optimizer).rank == 0 else Progress()


def save_on_main(
    optimizer: Any, save: Callable[..., Path], path: Any, *args: Any, **kwargs: Any
) -> Path:
    """``save(path, *args, **kwargs)`` on rank 0 only, then wait until every
    rank is here, so all can read the file once this returns. Returns the
    path written."""
    collective = collective_of(optimizer)
    written = save(path, *args, **kwargs) if collective.rank == 0 else Path(path)
    collective.barrier()
    return written


def generators_by_rank(optimizer: Any, model: Any) -> list[dict[str, Any]] | None:
    """Every rank's layer generator states (``model.named_generators()``), by
    rank, gathered on every rank; None in a single process. Each rank draws
    its own dropout masks (`seed_layer_generators`), so a checkpoint written by
    rank 0 must hold the others' states too."""
    collective = collective_of(optimizer)
    if collective.world_size == 1:
        return None
    states = {name: rng.bit_generator.state for name, rng in model.named_generators()}
    return collective.allgather(states)


def restore_rank_generators(
    optimizer: Any, model: Any, metadata: Mapping[str, Any], path: Any
) -> None:
    """After a checkpoint was loaded (which restores rank 0's generator
    states everywhere): give this rank its own saved states, so the resumed
    run draws what the uninterrupted one would. A checkpoint of another number
    of ranks (or of a single process) has no state for this rank: ranks other
    than 0 then derive their own streams from rank 0's (with a warning), so
    that no two ranks draw the same masks."""
    collective = collective_of(optimizer)
    generators = dict(model.named_generators())
    if collective.world_size == 1 or not generators:
        return
    by_rank = metadata["generators"].get("model_by_rank")
    if by_rank is not None and len(by_rank) == collective.world_size:
        for name, state in by_rank[collective.rank].items():
            generators[name].bit_generator.state = state
        return
    saved = "a single process" if by_rank is None else f"{len(by_rank)} ranks"
    warnings.warn(
        f"{path}: the checkpoint holds the layer generators of {saved}, this run has "
        f"{collective.world_size} ranks: the ranks continue from rank 0's states, each "
        "on its own stream (the masks differ from an uninterrupted run's)",
        stacklevel=4,
    )
    if collective.rank > 0:
        for rng in generators.values():
            draw = int(rng.integers(2**63))
            rng.bit_generator.state = np.random.default_rng(
                [draw, collective.rank]
            ).bit_generator.state


def launched_world_size() -> int:
    """The number of processes an MPI launcher (``mpiexec``, ``srun``)
    started, read from its environment without importing MPI; 1 when the
    process was not started by one."""
    for variable in LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1
