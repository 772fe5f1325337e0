"""`Parameter`: a trainable array and its gradient, side by side (as in Torch7's
``weight``/``gradWeight`` pairs).

``data`` and ``grad`` are updated in place (``p.grad += ...`` by the layers,
``p.data -= ...`` by the optimizers). Two things replace the arrays
themselves, with the same values: an optimizer, which packs the parameters it
updates into contiguous storage (`minitorch_np.optim.packing`) so that
``p.data`` and ``p.grad`` become views of one flat array each, and
``Layer.to(dtype)``, which casts them. Always reach them through the
parameter (``layer.weight.data``), never through a reference kept from before.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


class Parameter:
    """A trainable array ``data`` with its accumulated gradient ``grad``.

    ``grad`` has the shape and dtype of ``data`` and starts at zero. Layers ADD
    into it during ``backward`` (gradient accumulation); ``zero_grad`` resets it.

    Args:
        data: the initial value; must be a floating-point array. It is copied
            into a new C-contiguous array the parameter owns.
        dtype: the dtype of that copy (default: ``data``'s).
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
        """Reset ``grad`` to zero, in place."""
        self.grad.fill(0)

    def add_to_grad(
        self, compute: Callable[..., Any], *operands: Any, **options: Any
    ) -> None:
        """Deprecated: write ``p.grad += compute(*operands, **options)`` instead."""
        warnings.warn(
            "Parameter.add_to_grad is deprecated and will be removed in 0.3; "
            "write p.grad += compute(*operands) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self.grad += compute(*operands, **options)

    def _cast(self, dtype: DTypeLike) -> None:
        """Replace ``data`` and ``grad`` by copies of another float dtype (used by
        ``Layer.to``; an optimizer notices at its next step and re-packs)."""
        self.data = self.data.astype(dtype, order="C")
        self.grad = self.grad.astype(dtype, order="C")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"
