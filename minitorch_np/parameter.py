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

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


class Parameter:
    """A trainable array ``data`` with its accumulated gradient ``grad``.

    ``grad`` has the shape and dtype of ``data`` and starts at zero. Layers ADD
    into it during ``backward`` (gradient accumulation); ``zero_grad`` resets it.

    ``zero_grad`` is lazy (the idea behind PyTorch's ``set_to_none``): it only
    marks the gradient as zero, and the zeros are written the next time
    ``grad`` is read, unless a layer first calls `add_to_grad`, which then
    writes its term straight into the array. `Linear` does, for its weight
    gradient G^T x: without it every step would allocate a temporary of the
    weight's size and add it to zeros, which measurably slows wide MLPs
    (docs/benchmarks.md, "Fast paths"). Reading ``p.grad`` always gives the
    right values, and ``p.grad += term`` is just as correct.

    Args:
        data: the initial value; must be a floating-point array. It is copied
            into a new C-contiguous array the parameter owns.
        dtype: the dtype of that copy (default: ``data``'s).
    """

    __slots__ = ("_grad", "_zero", "data")

    def __init__(self, data: ArrayLike, dtype: DTypeLike | None = None) -> None:
        array = np.array(data, dtype=dtype, order="C", copy=True)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(
                f"Parameter: expected a floating-point array, got dtype {array.dtype}; "
                "cast it first, e.g. np.asarray(w, dtype=np.float32)"
            )
        self.data: np.ndarray = array
        self._grad: np.ndarray = np.zeros_like(array)
        self._zero = False

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), accumulated since the last ``zero_grad``."""
        if self._zero:
            self._grad.fill(0)
            self._zero = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        """Replace the gradient array by ``value``, an ndarray of ``data``'s
        shape and dtype (else ValueError / TypeError: a wrong shape would
        broadcast silently in the update)."""
        if not isinstance(value, np.ndarray) or value.dtype != self.data.dtype:
            got = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(
                f"Parameter.grad: expected an ndarray of dtype {self.data.dtype} (the "
                f"parameter's), got {got}"
            )
        if value.shape != self.data.shape:
            raise ValueError(
                f"Parameter.grad: expected shape {self.data.shape} (the parameter's), "
                f"got {value.shape}"
            )
        self._grad = value
        self._zero = False

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
        """Reset ``grad`` to zero (lazily: see the class docstring)."""
        self._zero = True

    def add_to_grad(
        self, compute: Callable[..., Any], *operands: Any, **options: Any
    ) -> None:
        """``grad += compute(*operands, **options)`` for a numpy function that
        takes ``out=`` (``np.matmul``, a ufunc, ``np.sum``...) and returns an
        array of the gradient's shape, e.g. ``weight.add_to_grad(np.matmul,
        g.T, x)``. Right after ``zero_grad`` the result goes straight into
        ``grad`` (``out=grad``): no temporary, no pass adding it to zeros."""
        if self._zero:
            compute(*operands, out=self._grad, **options)
            self._zero = False
        else:
            self._grad += compute(*operands, **options)

    def _cast(self, dtype: DTypeLike) -> None:
        """Replace ``data`` and ``grad`` by copies of another float dtype (used by
        ``Layer.to``; an optimizer notices at its next step and re-packs)."""
        self.data = self.data.astype(dtype, order="C")
        self.grad = self.grad.astype(dtype, order="C")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"
