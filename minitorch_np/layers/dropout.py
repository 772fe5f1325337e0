"""`Dropout`: randomly zero activations during training (inverted dropout)."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import (
    as_generator,
    check_backward_ready,
    check_float_array,
    check_grad_shape,
    check_number,
)
from minitorch_np.layers.layer import Layer


class Dropout(Layer):
    """Inverted dropout: in training mode each element is zeroed with
    probability ``p`` and the survivors are scaled by 1 / (1 - p), so the
    expected output equals the input and evaluation needs no rescaling::

        M = [U >= p] / (1 - p),  U ~ Uniform[0, 1) per element
        y = x * M                      (training mode, 0 < p < 1)
        y = 0                          (training mode, p == 1: nothing survives)
        y = x                          (evaluation mode, or p == 0)

    Backward uses the same mask: dL/dx = dL/dy * M (dL/dx = dL/dy for the
    identity). Shapes: any (N, ...) float array, output of the same shape and
    dtype.

    Args:
        p: probability of DROPPING an element (as in PyTorch), in [0, 1].
        rng: numpy Generator or int seed. Kept as ``self.rng``; checkpoints
            save and restore its state so a resumed run draws the same masks.
    """

    def __init__(
        self, p: float = 0.5, rng: np.random.Generator | int | None = None
    ) -> None:
        super().__init__()
        self.p = check_number("Dropout", "p", p, low=0.0, high=1.0)
        self.rng = as_generator(rng, "Dropout")
        self._mask: np.ndarray | None = None  # None: the last forward was the identity
        self._output_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(repr(self), "input", x)
        self._output_shape = x.shape
        if not self.training or self.p == 0:
            self._mask = None
            return x
        self._mask = self._draw_mask(x.shape, x.dtype)
        return x * self._mask

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        check_backward_ready(repr(self), self._output_shape)
        assert self._output_shape is not None
        check_grad_shape(repr(self), grad_output, self._output_shape)
        if self._mask is None:
            return grad_output
        return grad_output * self._mask

    def _draw_mask(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The scaled keep-mask M in ``dtype``: 0 where dropped, 1 / (1 - p) where kept."""
        if self.p == 1:
            return np.zeros(shape, dtype=dtype)
        # Generator.random draws float32 or float64 only; float16 compares a float32 draw.
        draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float32
        with np.errstate(over="ignore"):  # checked: float16 tops out at 65504
            scale = dtype.type(1 / (1 - self.p))
        if not np.isfinite(scale):
            raise ValueError(
                f"{self!r}: the scale 1 / (1 - p) = {1 / (1 - self.p):.6g} of the kept "
                f"values overflows {dtype}; use a smaller p or a wider dtype (float32)"
            )
        keep = self.rng.random(shape, dtype=draw_dtype) >= self.p
        return keep * scale

    def extra_repr(self) -> str:
        return f"p={self.p}"
