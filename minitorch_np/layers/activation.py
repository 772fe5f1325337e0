"""Elementwise activation layers. Each keeps the input dtype and shape."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_backward_ready, check_float_array, check_grad_shape
from minitorch_np.layers.layer import Layer


class _Elementwise(Layer):
    """Shared plumbing: input checks and the cached array backward needs."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: np.ndarray | None = None

    def _checked_input(self, x: np.ndarray) -> np.ndarray:
        if not (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)):
            check_float_array(repr(self), "input", x)
        return x

    def _checked_cache(self, grad_output: np.ndarray) -> np.ndarray:
        check_backward_ready(repr(self), self._cache)
        assert self._cache is not None
        if getattr(grad_output, "shape", None) != self._cache.shape:
            check_grad_shape(repr(self), grad_output, self._cache.shape)
        return self._cache


class ReLU(_Elementwise):
    """y = max(x, 0). Backward: dL/dx = dL/dy * [x > 0] (the subgradient at 0 is 0)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = self._checked_input(x) > 0
        return np.maximum(x, 0)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        mask = self._checked_cache(grad_output)
        return grad_output * mask


class Sigmoid(_Elementwise):
    """y = 1 / (1 + exp(-x)), computed without overflow for any |x|.

    For x >= 0 it uses 1 / (1 + e^-x); for x < 0, e^x / (1 + e^x), so ``exp``
    only ever sees -|x| (it may underflow to 0, which is exact enough, but never
    overflows). Backward: dL/dx = dL/dy * y * (1 - y).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._checked_input(x)
        with np.errstate(under="ignore"):
            z = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1, z) / (1 + z)
        self._cache = y.astype(x.dtype, copy=False)
        return self._cache

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        y = self._checked_cache(grad_output)
        return grad_output * y * (1 - y)


class Tanh(_Elementwise):
    """y = tanh(x). Backward: dL/dx = dL/dy * (1 - y^2)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = np.tanh(self._checked_input(x))
        return self._cache

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        y = self._checked_cache(grad_output)
        return grad_output * (1 - y * y)
