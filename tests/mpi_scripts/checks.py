"""Misuse and set-up checks under ``mpiexec``: every rank writes its outcome
to ``<folder>/rank<r>.txt`` (``python checks.py MODE FOLDER``);
tests/test_distributed_checks.py reads them.

Modes:
  shapes     ranks build models of different shapes; DistributedOptimizer.step
  loader     ranks' datasets differ in length; DataLoader(shard="auto")
  seed       ranks' loaders use different seeds; DataLoader(shard="auto")
  models     ranks build models of different shapes; broadcast_parameters
  broadcast  ranks build the same model from different seeds (with BatchNorm
             running statistics); broadcast_parameters makes them equal
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

import minitorch_np as mt  # noqa: E402
from minitorch_np import distributed  # noqa: E402


def flat_state(model: mt.Layer) -> np.ndarray:
    """Every parameter and buffer (BatchNorm's running statistics too)."""
    return np.concatenate([a.ravel() for a in model.state_dict().values()])


def attempt(mode: str, rank: int) -> str:
    if mode == "shapes":
        model = mt.Linear(4, 2 + rank, rng=0)
        optimizer = distributed.DistributedOptimizer(mt.SGD(model.parameters(), lr=0.1))
        optimizer.step()
    elif mode == "loader":
        x = np.zeros((20 + rank, 3))
        mt.DataLoader(x, np.zeros(len(x)), batch_size=4, rng=0, shard="auto")
    elif mode == "seed":
        x = np.zeros((20, 3))
        mt.DataLoader(x, np.zeros(20), batch_size=4, rng=rank, shard="auto")
    elif mode == "models":
        distributed.broadcast_parameters(mt.Linear(3 + rank, 2, rng=0))
    elif mode == "broadcast":
        model = mt.Sequential(mt.Linear(3, 4, rng=rank), mt.BatchNorm1d(4))
        x = np.random.default_rng(rank).normal(size=(5, 3)).astype(np.float32)
        model.forward(x)  # running statistics that differ between the ranks
        before = flat_state(model)
        distributed.broadcast_parameters(model, root=1)
        after = flat_state(model)
        gathered = distributed.world().comm.allgather(after)
        same = all(np.array_equal(state, gathered[1]) for state in gathered)
        return f"equal={same} changed={not np.array_equal(before, after)}"
    return "no error"


def main() -> None:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    rank = distributed.rank()
    try:
        outcome = attempt(mode, rank)
    except (ValueError, TypeError) as error:
        outcome = f"{type(error).__name__}: {error}"
    (folder / f"rank{rank}.txt").write_text(outcome, encoding="utf-8")


if __name__ == "__main__":
    main()
