"""Mini-batches over arrays or a dataset, reshuffled every epoch."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any, Union

import numpy as np

from minitorch_np._validation import as_generator, check_bool, check_int
from minitorch_np.data.dataset import ArrayDataset, Dataset
from minitorch_np.data.sharding import Shard, check_shard
from minitorch_np.data.transforms import BatchTransform

__all__ = ["DataLoader"]

RngLike = Union[np.random.Generator, int, None]  # noqa: UP007 - runtime alias, Python 3.9 has no X | Y


class DataLoader:
    """Iterate over mini-batches ``(xb, yb)``; each ``iter()`` is a new epoch.

    ``DataLoader(x, y, batch_size)`` with x of shape (N, ...) and y of shape
    (N, ...) yields ``xb`` (B, ...) and ``yb`` (B, ...): new contiguous arrays
    with the dtypes of x and y (B = batch_size, the last batch may be smaller
    unless ``drop_last``). Batches are fresh copies, so keeping one is safe.

    ``DataLoader(dataset, batch_size=B)`` does the same for any object with
    ``len()`` and ``__getitem__`` taking a 1-D int index array (see :class:`Dataset`).

    shuffle: draw a new permutation of 0..N-1 at every ``iter()`` (otherwise in order).
    rng: a ``numpy.random.Generator`` (used as is, so shared state advances),
    an int seed, or None for fresh OS entropy. Same seed, same sequence of epochs.

    shard: for data-parallel training (docs/distributed.md), ``(rank,
    world_size)`` or ``"auto"`` (from MPI, checking that every rank's loader
    agrees): each global batch of ``batch_size`` rows is cut into
    ``world_size`` contiguous slices (the first ``rows % world_size`` one row
    longer) and this rank yields its slice; ``len()`` and ``drop_last`` are
    those of the global batches. Every rank must pass the same ``rng`` seed.
    ``global_batch_rows`` is the row count of the global batch that the batch
    yielded last is a slice of.

    transform: data augmentation, e.g. ``RandomShift(2)``
    (`minitorch_np.data.transforms`): for every batch the loader draws the
    transform's random parameters for the global batch from ``rng``
    (``transform.draw``) and applies this rank's rows of them to the inputs,
    ``xb`` or the first item of the dataset's batch (``transform.apply``).
    The augmentation then follows the seed, resumes with the loader's
    Generator from a checkpoint, and is the same in a data-parallel run as in
    one process. Use it for the training loader only.
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        rng: RngLike = None,
        shard: tuple[int, int] | str | None = None,
        transform: BatchTransform | None = None,
    ) -> None:
        self.dataset: Dataset = _as_dataset(x, y)
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = check_bool("DataLoader", "shuffle", shuffle)
        self.drop_last = check_bool("DataLoader", "drop_last", drop_last)
        self.rng = as_generator(rng, "DataLoader")
        self.transform = _check_transform(transform)
        self.shard: Shard | None = check_shard(shard, self, rng)
        self.global_batch_rows: int | None = None

    def __len__(self) -> int:
        """Number of batches per epoch: N // B with ``drop_last``, else ceil(N / B)."""
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        """Start an epoch: the order is drawn now, batches are gathered lazily."""
        n = len(self.dataset)
        if self.shard is not None:
            self.shard.check_epoch(self)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        b = self.batch_size
        stop = len(self) * b
        for start in range(0, stop, b):
            index = order[start : start + b]
            self.global_batch_rows = len(index)
            params = None
            if self.transform is not None:
                params = self.transform.draw(len(index), self.rng)
            if self.shard is not None:
                index = self.shard.local(index)
                params = None if params is None else self.shard.local(params)
            batch = self.dataset[index]
            yield batch if params is None else self._transformed(batch, params)

    def _transformed(self, batch: Any, params: np.ndarray) -> Any:
        """The batch with its inputs (the array, or a tuple's first item) transformed."""
        assert self.transform is not None
        if isinstance(batch, (tuple, list)):
            return (self.transform.apply(batch[0], params), *batch[1:])
        return self.transform.apply(batch, params)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}"
            + (f", shard={self.shard!r}" if self.shard is not None else "")
            + (f", transform={self.transform!r}" if self.transform is not None else "")
            + ")"
        )


def _as_dataset(x: Any, y: Any) -> Dataset:
    if y is not None:
        if isinstance(y, numbers.Integral) and not isinstance(
            x, (np.ndarray, list, tuple)
        ):
            raise TypeError(
                f"DataLoader: y={y!r} looks like a batch size; with a dataset pass it by keyword: "
                f"DataLoader(dataset, batch_size={y!r})"
            )
        return _array_dataset(x, y)
    if isinstance(x, (np.ndarray, list, tuple)):
        raise TypeError(
            f"DataLoader: y is required when x is an array (got x as a "
            f"{type(x).__name__} and no y): DataLoader(x, y, batch_size), not "
            "DataLoader((x, y), ...)"
        )
    if not (hasattr(x, "__len__") and hasattr(x, "__getitem__")):
        raise TypeError(
            f"DataLoader: expected x to be an array (with y) or a dataset with __len__ and __getitem__, "
            f"got {type(x).__name__}"
        )
    return x  # type: ignore[no-any-return]


def _array_dataset(x: Any, y: Any) -> ArrayDataset:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"DataLoader: expected x and y with a first (sample) dimension, got x.shape={x.shape}, y.shape={y.shape}"
        )
    if len(x) != len(y):
        raise ValueError(
            f"DataLoader: expected x and y of the same length, got len(x)={len(x)} and len(y)={len(y)}"
        )
    return ArrayDataset(x, y)


def _check_transform(transform: Any) -> BatchTransform | None:
    if transform is not None and not isinstance(transform, BatchTransform):
        raise TypeError(
            "DataLoader: transform must have draw(n, rng) and apply(x, params) "
            f"methods (e.g. RandomShift(2)), got {type(transform).__name__}"
        )
    return transform  # type: ignore[no-any-return]


def _check_batch_size(batch_size: Any) -> int:
    if batch_size is None:
        raise TypeError(
            "DataLoader: batch_size is required, e.g. DataLoader(x, y, batch_size=64)"
        )
    return check_int("DataLoader", "batch_size", batch_size, low=1)
