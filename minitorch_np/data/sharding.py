"""`DataLoader(shard=...)`: each rank's share of every global batch.

All ranks draw the same order (the same ``rng`` seed), cut it into the same
global batches of ``batch_size`` rows, and rank ``r`` of ``K`` keeps the
contiguous slice ``shard_bounds(rows, r, K)`` of each: the first ``rows % K``
ranks hold one row more than the others. So every rank has the same number
of batches, ``drop_last`` drops the same (global) last batch everywhere, and
the union of the ranks' batches is exactly the single-process batch.
"""

from __future__ import annotations

import json
import numbers
from typing import Any

import numpy as np

__all__ = ["Shard", "check_shard", "shard_bounds"]


def shard_bounds(rows: int, rank: int, world_size: int) -> tuple[int, int]:
    """``(start, stop)`` of rank ``rank``'s contiguous share of ``rows`` rows:
    the first ``rows % world_size`` ranks take one row more than the others."""
    base, extra = divmod(rows, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


class Shard:
    """Rank ``rank`` of ``world_size``; with a ``collective`` (``shard="auto"``)
    it also checks, at every epoch, that the ranks draw the same order."""

    def __init__(self, rank: int, world_size: int, collective: Any = None) -> None:
        self.rank, self.world_size = rank, world_size
        self.collective = collective

    def check_epoch(self, loader: Any) -> None:
        """Raise ValueError on every rank when the ranks' shuffling generators
        have drifted apart (e.g. the loader's Generator is shared with a
        Dropout layer, which draws as many numbers as its rank has rows)."""
        if self.collective is not None and draws_at_random(loader):
            state = json.dumps(loader.rng.bit_generator.state, default=str)
            self.collective.check_same(
                "DataLoader(shard='auto') at the start of an epoch",
                "loaders",
                {
                    "shuffling generator state (give the loader a Generator of "
                    "its own, not one that layers also draw from)": state
                },
            )

    def local(self, index: np.ndarray) -> np.ndarray:
        """This rank's slice of one global batch's row indices."""
        start, stop = shard_bounds(len(index), self.rank, self.world_size)
        return index[start:stop]

    def __repr__(self) -> str:
        return f"({self.rank}, {self.world_size})"


def check_shard(shard: Any, loader: Any, rng: Any) -> Shard | None:
    """The `Shard` of ``DataLoader(shard=...)``: None, ``(rank, world_size)``
    or ``"auto"`` (from MPI, via `minitorch_np.distributed`, which then also
    checks that every rank's loader has the same length, batch size, flags
    and shuffling generator state). Raises TypeError/ValueError naming the
    problem. ``rng`` is the loader's ``rng`` argument as given."""
    if shard is None:
        return None
    if isinstance(shard, str) and shard == "auto":
        from minitorch_np.distributed import world

        collective = world()
        result = Shard(collective.rank, collective.world_size, collective)
        # every rank checks the same things in the same order: all raise or none
        collective.check_same("DataLoader(shard='auto')", "loaders", _signature(loader))
        _check_batches(result, loader, rng)
        return result
    if not (isinstance(shard, tuple) and len(shard) == 2) or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in shard
    ):
        raise TypeError(
            f"DataLoader: expected shard to be None, 'auto' or a pair of ints "
            f"(rank, world_size), got {shard!r}"
        )
    rank, world_size = int(shard[0]), int(shard[1])
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"DataLoader: expected shard (rank, world_size) with world_size >= 1 and "
            f"0 <= rank < world_size, got {shard!r}"
        )
    result = Shard(rank, world_size)
    _check_batches(result, loader, rng)
    return result


def draws_at_random(loader: Any) -> bool:
    """Whether the loader draws from its Generator: to shuffle, or for its
    transform's parameters (which every rank must draw alike)."""
    return bool(loader.shuffle or getattr(loader, "transform", None) is not None)


def _check_batches(shard: Shard, loader: Any, rng: Any) -> None:
    """Every global batch must give each rank at least one row, and every rank
    must draw the same order."""
    k, n, b = shard.world_size, len(loader.dataset), loader.batch_size
    if k == 1:
        return
    if draws_at_random(loader) and rng is None:
        raise ValueError(
            f"DataLoader: shard={shard!r} needs the same random draws (shuffling "
            "order, transform parameters) on every rank: pass the same rng seed on "
            "every rank (e.g. rng=0), not rng=None"
        )
    rows = [b] * (n // b) if n >= b else []
    if n % b and not loader.drop_last:
        rows.append(n % b)
    if rows and min(rows) < k:
        raise ValueError(
            f"DataLoader: with shard={shard!r} every global batch needs at least "
            f"{k} rows (one per rank), but {len(loader.dataset)} samples in batches "
            f"of {b} give a batch of {min(rows)}; use a larger batch_size, "
            "drop_last=True or fewer ranks"
        )


def _signature(loader: Any) -> dict[str, object]:
    """What must be equal on every rank."""
    state = loader.rng.bit_generator.state if draws_at_random(loader) else None
    return {
        "number of samples": len(loader.dataset),
        "batch_size": loader.batch_size,
        "shuffle": loader.shuffle,
        "drop_last": loader.drop_last,
        "shuffling generator state (the rng seed)": json.dumps(state, default=str),
    }
