"""`Parameter`: a trainable array and its gradient, side by side (as in Torch7's
``weight``/``gradWeight`` pairs).

Both arrays are allocated once and then only ever updated in place, so an
optimizer that holds a reference to ``p.data`` or ``p.grad`` stays valid for the
life of the parameter.
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
    marks the gradient as zero. The zeros are written the next time ``grad``
    is read, unless a layer first calls `add_to_grad`, which then writes its
    term straight into the array instead of adding it to zeros. Reading
    ``p.grad`` always gives the right values; a layer that skips `add_to_grad`
    and does ``p.grad += term`` is just as correct.

    Args:
        data: the initial value; must be a floating-point array. It is copied
            into a new C-contiguous array the parameter owns.
    """

    __slots__ = ("_grad", "_grad_is_zero", "data")

    def __init__(self, data: ArrayLike, dtype: DTypeLike | None = None) -> None:
        array = np.array(data, dtype=dtype, order="C", copy=True)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(
                f"Parameter: expected a floating-point array, got dtype {array.dtype}; "
                "cast it first, e.g. np.asarray(w, dtype=np.float32)"
            )
        self.data: np.ndarray = array
        self._grad: np.ndarray = np.zeros_like(array)
        # True after zero_grad() until the zeros are written (or overwritten).
        self._grad_is_zero = False

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), accumulated since the last ``zero_grad`` (always the same array)."""
        if self._grad_is_zero:
            self._grad.fill(0)
            self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        # Reached by ``p.grad += term`` (which hands back the same array).
        self._grad = value
        self._grad_is_zero = False

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
        """Reset ``grad`` to zero (lazily, see the class docstring; the array
        stays the same object)."""
        self._grad_is_zero = True

    def add_to_grad(
        self, compute: Callable[..., Any], *operands: Any, **options: Any
    ) -> None:
        """``grad += compute(*operands, **options)`` for a numpy function that
        takes ``out=`` (a ufunc, ``np.matmul``, ``np.sum``...) and returns an
        array of the gradient's shape, e.g. ``weight.add_to_grad(np.matmul, g.T, x)``.

        Right after ``zero_grad`` the result goes straight into ``grad``
        (``out=grad``): no temporary array, no pass adding it to zeros and no
        pass writing the zeros. For the first layer of the MLP benchmark
        (a 256 x 784 weight) that is about 0.1 ms per step (docs/benchmarks.md).
        """
        if self._grad_is_zero:
            compute(*operands, out=self._grad, **options)
            self._grad_is_zero = False
        else:
            self._grad += compute(*operands, **options)

    def _cast(self, dtype: DTypeLike) -> None:
        """Replace ``data`` and ``grad`` by copies of another float dtype (used by
        ``Layer.to``; optimizers built before a cast no longer see these arrays)."""
        self.data = self.data.astype(dtype, order="C")
        self.grad = self.grad.astype(dtype, order="C")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"
