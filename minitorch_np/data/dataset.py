"""The dataset protocol used by :class:`~minitorch_np.data.DataLoader`, and arrays as a dataset."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["ArrayDataset", "Dataset"]


@runtime_checkable
class Dataset(Protocol):
    """Anything with ``len(ds)`` and ``ds[index]`` where ``index`` is a 1-D int array.

    ``ds[index]`` returns the whole batch at once, e.g. ``(xb, yb)`` with
    ``xb.shape == (len(index), ...)``; it is called once per batch, never per sample.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, index: np.ndarray) -> Any: ...


class ArrayDataset:
    """Arrays that share their first dimension N, indexed together.

    ``ArrayDataset(x, y)[index]`` is ``(x.take(index, axis=0), y.take(index, axis=0))``:
    new contiguous arrays of shape ``(len(index), ...)`` with the dtypes of x and y.
    """

    def __init__(self, *arrays: ArrayLike) -> None:
        if not arrays:
            raise ValueError("ArrayDataset: expected at least one array, got none")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(
                    f"ArrayDataset: expected array {i} with a first dimension (N, ...), got a scalar"
                )
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"ArrayDataset: expected arrays of the same length (first dimension), got lengths {lengths}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        if isinstance(index, np.ndarray) and index.dtype.kind in "iu":
            return tuple(a.take(index, axis=0) for a in self.arrays)
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        parts = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"ArrayDataset({parts})"
