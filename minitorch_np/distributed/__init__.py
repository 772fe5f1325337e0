"""Data-parallel training over MPI (mpi4py), the design of Horovod and
ChainerMN: every process ("rank") holds the whole model, takes its share of
each global batch, and the gradients are averaged with one Allreduce before
the optimizer step, so a run on K ranks is the same run as on one process.

Launch the same script on every rank::

    mpiexec -n 2 python train.py

and in it::

    from minitorch_np import distributed
    distributed.broadcast_parameters(model)
    optimizer = distributed.DistributedOptimizer(Adam(model.parameters()))
    loader = DataLoader(x, y, batch_size=256, rng=0, shard="auto")
    Trainer(model, loss_fn, optimizer).fit(loader, epochs=3)

This package needs mpi4py and an MPI library (``pip install
"minitorch_np[mpi]"``); ``import minitorch_np`` never imports it. Importing it
in a job of several ranks makes an uncaught exception on any rank end the
whole job (`abort_on_uncaught_exception`). See docs/distributed.md.
"""

from minitorch_np.distributed._mpi import (
    MPICollective,
    abort_job,
    abort_on_uncaught_exception,
    world,
)
from minitorch_np.distributed.broadcast import (
    broadcast_parameters,
    seed_layer_generators,
)
from minitorch_np.distributed.optimizer import DistributedOptimizer

__all__ = [
    "DistributedOptimizer",
    "MPICollective",
    "abort_job",
    "abort_on_uncaught_exception",
    "broadcast_parameters",
    "is_main",
    "rank",
    "seed_layer_generators",
    "world",
    "world_size",
]


def rank() -> int:
    """This process's rank in ``MPI.COMM_WORLD`` (0 when not under mpiexec)."""
    return world().rank


def world_size() -> int:
    """The number of ranks in ``MPI.COMM_WORLD`` (1 when not under mpiexec)."""
    return world().world_size


def is_main() -> bool:
    """Whether this is rank 0, the rank that prints and writes files."""
    return rank() == 0


if world_size() > 1:
    abort_on_uncaught_exception()
