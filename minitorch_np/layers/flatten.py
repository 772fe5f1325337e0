"""`Flatten`: reshape (N, d1, d2, ...) to (N, d1 * d2 * ...)."""

from __future__ import annotations

import math

import numpy as np

from minitorch_np._validation import (
    check_backward_ready,
    check_float_array,
    check_grad_shape,
)
from minitorch_np.layers.layer import Layer


class Flatten(Layer):
    """Flatten all dimensions after the batch axis: (N, 28, 28) -> (N, 784),
    also for an empty batch: (0, 28, 28) -> (0, 784).

    A view when the input is contiguous (no copy). Backward reshapes dL/dy back
    to the input shape, in the input's memory layout (e.g. channels-last
    behind an NCHW view, as `Conv2d` and the pools return), so that the
    layers below multiply arrays of one layout.
    """

    def __init__(self) -> None:
        super().__init__()
        self._input_shape: tuple[int, ...] | None = None
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim < 1:
            raise ValueError(
                f"Flatten: expected an array of shape (N, ...), got "
                f"{getattr(x, 'shape', type(x).__name__)}"
            )
        check_float_array("Flatten", "input", x)
        self._input_shape, self._input = x.shape, x
        return x.reshape(len(x), math.prod(x.shape[1:]))  # not -1: N may be 0

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        check_backward_ready("Flatten", self._input_shape)
        assert self._input_shape is not None
        batch = self._input_shape[0]
        check_grad_shape(
            "Flatten", grad_output, (batch, int(np.prod(self._input_shape[1:])))
        )
        assert self._input is not None
        grad_input = grad_output.reshape(self._input_shape)
        if self._input.flags.c_contiguous:  # the view already has the input's layout
            return grad_input
        in_input_layout = np.empty_like(self._input, dtype=grad_input.dtype)
        in_input_layout[...] = grad_input
        return in_input_layout
