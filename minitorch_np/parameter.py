"""`Parameter`: a trainable array and its gradient, side by side (as in Torch7's
``weight``/``gradWeight`` pairs).

Both arrays are allocated once and then only ever updated in place, so an
optimizer that holds a reference to ``p.data`` or ``p.grad`` stays valid for the
life of the parameter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


class Parameter:
    """A trainable array ``data`` with its accumulated gradient ``grad``.

    ``grad`` has the shape and dtype of ``data`` and starts at zero. Layers ADD
    into it during ``backward`` (gradient accumulation); ``zero_grad`` resets it
    in place.

    Args:
        data: the initial value; must be a floating-point array. It is copied
            into a new C-contiguous array the parameter owns.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: ArrayLike, dtype: DTypeLike | None = None) -> None:
        array = np.array(data, dtype=dtype, order="C", copy=True)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(
                f"Parameter: expected a floating-point array, got dtype {array.dtype}; "
                "cast it first, e.g. np.asarray(w, dtype=np.float32)"
            )
        self.data: np.ndarray = array
        self.grad: np.ndarray = np.zeros_like(array)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place."""
        self.grad.fill(0)

    def _cast(self, dtype: DTypeLike) -> None:
        """Replace ``data`` and ``grad`` by copies of another float dtype (used by
        ``Layer.to``; optimizers built before a cast no longer see these arrays)."""
        self.data = self.data.astype(dtype, order="C")
        self.grad = self.grad.astype(dtype, order="C")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"
