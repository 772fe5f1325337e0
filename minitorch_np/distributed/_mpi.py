"""The MPI side of `minitorch_np.distributed`: the world communicator, the
collective operations the library uses, and ending the whole job when one
rank fails.

Importing this module imports ``mpi4py.MPI``, which starts MPI (a process
not started by ``mpiexec`` is a world of one rank).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import numpy as np

try:
    from mpi4py import MPI
except ImportError as error:  # pragma: no cover - exercised without mpi4py only
    raise ImportError(
        "minitorch_np.distributed needs mpi4py and an MPI library: "
        'pip install "minitorch_np[mpi]" (installs mpi4py and the mpich wheel, '
        f"which provides mpiexec); the import failed with: {error}"
    ) from error

__all__ = ["MPICollective", "abort_job", "abort_on_uncaught_exception", "world"]


class MPICollective:
    """A group of ranks over an MPI communicator (``MPI.COMM_WORLD`` by
    default): the operations of `minitorch_np.training.collective.Collective`
    and those of the data-parallel optimizer."""

    def __init__(self, comm: Any = None) -> None:
        self.comm = MPI.COMM_WORLD if comm is None else comm

    @property
    def rank(self) -> int:
        return int(self.comm.Get_rank())

    @property
    def world_size(self) -> int:
        return int(self.comm.Get_size())

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Element-wise sum over the ranks of a (small) array, as a new array."""
        total = np.ascontiguousarray(values).copy()
        self.sum_in_place(total)
        return total

    def sum_in_place(self, buffer: np.ndarray) -> None:
        """Replace the contiguous ``buffer`` by its element-wise sum over the
        ranks: one ``Allreduce`` (MPI picks the algorithm, e.g. a ring)."""
        if self.world_size > 1:
            self.comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)

    def max(self, value: float) -> float:
        return float(self.comm.allreduce(float(value), op=MPI.MAX))

    def barrier(self) -> None:
        self.comm.Barrier()

    def allgather(self, value: Any) -> list[Any]:
        """Every rank's ``value`` (a small picklable object), by rank."""
        return list(self.comm.allgather(value))

    def broadcast_in_place(self, buffer: np.ndarray, root: int) -> None:
        """Overwrite the contiguous ``buffer`` with the root's on every rank."""
        if self.world_size > 1:
            self.comm.Bcast(buffer, root=root)

    def check_same(self, owner: str, what: str, values: Mapping[str, object]) -> None:
        """Raise ValueError on every rank (so no rank is left waiting in a
        collective) unless every entry of ``values`` is equal on all ranks;
        the message names the first entry and the first rank that differ
        from rank 0, with both values."""
        gathered: Sequence[Mapping[str, object]] = self.comm.allgather(values)
        for rank, other in enumerate(gathered):
            for key in values:
                if other.get(key) != gathered[0].get(key):
                    raise ValueError(
                        f"{owner}: the ranks' {what} differ in {key}: rank 0 has "
                        f"{gathered[0].get(key)!r}, rank {rank} has {other.get(key)!r}; "
                        "every rank must build the same objects (same code, same "
                        "arguments, same data)"
                    )

    def __repr__(self) -> str:
        return f"MPICollective(rank={self.rank}, world_size={self.world_size})"


_WORLD: MPICollective | None = None


#: Seconds between printing the traceback and aborting the job.
ABORT_GRACE_SECONDS = 0.5


def world() -> MPICollective:
    """The collective over ``MPI.COMM_WORLD`` (created once)."""
    global _WORLD
    if _WORLD is None:
        _WORLD = MPICollective()
    return _WORLD


def abort_job(status: int) -> None:
    """End every rank of the job with ``status`` (``MPI_Abort``), after
    flushing this rank's output: what a rank that stops on an error must do,
    or the others wait forever in their next collective."""
    sys.stderr.flush()
    sys.stdout.flush()
    # The launcher forwards our output through its own pipes; Abort tears
    # them down, so give it a moment to pass the last lines on first.
    time.sleep(ABORT_GRACE_SECONDS)
    MPI.COMM_WORLD.Abort(status)


def abort_on_uncaught_exception() -> None:
    """Make an exception that escapes to the top of any rank end the whole
    job: print it (rank-prefixed) as Python would, then ``MPI_Abort``, so the
    other ranks do not wait forever in a collective and ``mpiexec`` exits
    with a non-zero status. Installed when `minitorch_np.distributed` is
    imported in a job of several ranks; installing it twice has no effect."""
    previous = sys.excepthook
    if getattr(previous, "_minitorch_np_aborts", False):
        return

    def hook(
        kind: type[BaseException],
        error: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        rank = MPI.COMM_WORLD.Get_rank()
        sys.stderr.write(f"[rank {rank}] uncaught exception; aborting every rank\n")
        previous(kind, error, traceback)
        abort_job(1)

    hook._minitorch_np_aborts = True  # type: ignore[attr-defined]
    sys.excepthook = hook
