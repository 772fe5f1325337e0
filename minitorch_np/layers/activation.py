"""Elementwise activation layers. Each keeps the input dtype and shape."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import (
    check_backward_ready,
    check_float_array,
    check_grad_shape,
    check_number,
)
from minitorch_np.functional import softmax
from minitorch_np.layers.layer import Layer


class _Elementwise(Layer):
    """Shared plumbing: input checks and the cached array backward needs."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: np.ndarray | None = None

    def _checked_input(self, x: np.ndarray) -> np.ndarray:
        if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):  # np.floating
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
        # max(x, 0) against a zero sample of x's memory layout, not the scalar 0:
        # numpy's vectorised loop for maximum needs two arrays (docs/benchmarks.md, "ReLU").
        return np.maximum(x, np.zeros_like(x[:1]) if x.ndim else 0)

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


class LeakyReLU(_Elementwise):
    """y = x for x > 0, negative_slope * x otherwise.

    Backward: dL/dx = dL/dy * (1 if x > 0 else negative_slope); at the kink
    x = 0 the slope ``negative_slope`` is used (as PyTorch).

    Args:
        negative_slope: the slope for x <= 0 (PyTorch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number(
            "LeakyReLU", "negative_slope", negative_slope
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        positive = self._checked_input(x) > 0
        self._cache = positive
        return np.where(positive, x, x * x.dtype.type(self.negative_slope))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        positive = self._checked_cache(grad_output)
        slope = grad_output.dtype.type(self.negative_slope)
        return np.where(positive, grad_output, grad_output * slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(_Elementwise):
    """y = softmax(x) along ``axis``: y_k = exp(x_k) / sum_j exp(x_j).

    A standalone layer for inference (turning logits into probabilities). For
    training use `SoftmaxCrossEntropy` on the logits instead: it fuses the two
    and has a simpler, more accurate gradient. The forward subtracts the
    maximum first (log-sum-exp), see `minitorch_np.functional.softmax`.

    Backward, the Jacobian-vector product with J = diag(y) - y y^T::

        dL/dx = y * (g - sum_k(g_k * y_k))      (sum along ``axis``, g = dL/dy)

    Args:
        axis: the axis that sums to 1; the last by default, i.e. the class axis
            of an (N, C) input (PyTorch's ``Softmax(dim=-1)``).
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: expected axis to be an int, got {axis!r}")
        self.axis = int(axis)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._checked_input(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(
                f"{self!r}: axis {self.axis} is out of range for an input of shape {x.shape}"
            )
        self._cache = softmax(x, axis=self.axis)
        return self._cache

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        y = self._checked_cache(grad_output)
        return y * (
            grad_output - np.sum(grad_output * y, axis=self.axis, keepdims=True)
        )

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
