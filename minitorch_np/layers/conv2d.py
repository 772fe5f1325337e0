"""`Conv2d`: the 2-D convolution (cross-correlation) of an NCHW batch, as one
matrix product over `im2col` windows."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from minitorch_np._validation import (
    as_generator,
    check_backward_ready,
    check_grad_shape,
    check_int,
)
from minitorch_np.im2col import WindowGeometry, col2im, im2col
from minitorch_np.init import Initializer, get_initializer
from minitorch_np.layers._image import (
    IntOrPair,
    as_pair,
    check_image_batch,
    checked_geometry,
)
from minitorch_np.layers.layer import Layer
from minitorch_np.parameter import Parameter


class Conv2d(Layer):
    """2-D convolution (a cross-correlation, as in PyTorch)::

        y[n, o, oh, ow] = b[o] + sum_{c, i, j} W[o, c, i, j]
                                 * x_pad[n, c, oh * sh + i * dh, ow * sw + j * dw]

    Shapes: x (N, C, H, W) -> y (N, O, OH, OW) with
    OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (OW alike);
    ``weight`` (O, C, kh, kw), ``bias`` (O,). N may be 0: an empty batch
    gives an empty output and dL/dx, and adds nothing to dL/dW and dL/db.

    With cols = im2col(x) (N*OH*OW, kh*kw*C) and W as the matrix
    Wm (O, kh*kw*C) (its columns in the (i, j, c) order of cols), the forward
    pass is one matrix product, and so is each half of the backward pass, for
    G = dL/dy as the matrix Gm (N*OH*OW, O)::

        Y  = cols @ Wm^T + b                   (N*OH*OW, O)
        dL/dW += Gm^T @ cols                   (O, kh*kw*C), back to (O, C, kh, kw)
        dL/db += 1^T Gm (column sums of Gm)    (O,)
        dL/dx  = col2im(Gm @ Wm)               (N, C, H, W)

    (Gm @ Wm is computed one kernel offset at a time, Gm @ W[:, :, i, j], in
    one batched product: the blocks that `col2im` adds up.)
    ``accumulate_grad(G)`` does the two parameter lines only (see `Layer`).

    The output and dL/dx are NCHW arrays whose memory is channels-last (NHWC,
    transposed views): the layout the matrix products produce. Every numpy
    operation accepts them; ``np.ascontiguousarray(y)`` makes a C-ordered copy.

    Args:
        in_channels, out_channels: C and O.
        kernel_size, stride, padding, dilation: an int or an (h, w) pair;
            padding adds that many zero rows (columns) on each side.
        bias: whether to learn an additive bias per output channel (init zero).
        init: weight initialiser name (see `minitorch_np.init`), default
            ``"he_normal"``, with fan_in = C * kh * kw; a callable receives the
            shape (O, C * kh * kw) and its result is reshaped to (O, C, kh, kw).
        dtype: parameter dtype, float32 by default; inputs must match it.
        rng: numpy Generator or int seed for a reproducible init.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        bias: bool = True,
        *,
        init: str | Initializer = "he_normal",
        dtype: DTypeLike = np.float32,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("Conv2d", "in_channels", in_channels, low=1)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels, low=1)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size, low=1)
        self.stride = as_pair("Conv2d", "stride", stride, low=1)
        self.padding = as_pair("Conv2d", "padding", padding, low=0)
        self.dilation = as_pair("Conv2d", "dilation", dilation, low=1)
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(
                f"Conv2d: expected a float dtype (np.float32 or np.float64), got {np.dtype(dtype)}"
            )
        kh, kw = self.kernel_size
        fan_in = self.in_channels * kh * kw
        weight = get_initializer(init, "Conv2d")(
            (self.out_channels, fan_in), as_generator(rng, "Conv2d"), dtype
        )
        self.weight = Parameter(
            np.reshape(weight, (self.out_channels, self.in_channels, kh, kw)),
            dtype=dtype,
        )
        self.bias = (
            Parameter(np.zeros(self.out_channels), dtype=dtype) if bias else None
        )
        self._cols: np.ndarray | None = None
        self._geometry: WindowGeometry | None = None
        self._batch = 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_image_batch(repr(self), x, self.in_channels, self.weight.dtype)
        geometry = checked_geometry(
            repr(self), x, self.kernel_size, self.stride, self.padding, self.dilation
        )
        cols = im2col(x, geometry)
        self._cols, self._geometry, self._batch = cols, geometry, len(x)
        y = cols @ self._weight_matrix().T
        if self.bias is not None:
            y += self.bias.data
        return y.reshape(len(x), *geometry.output_size, self.out_channels).transpose(
            0, 3, 1, 2
        )

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_rows = self._grad_rows(grad_output)
        self._add_parameter_grads(grad_rows)
        geometry = self._geometry
        assert geometry is not None
        # Gm @ W[:, :, i, j] for every offset (i, j) at once: (kh*kw, N*OH*OW, C)
        blocks = grad_rows @ self._weight_blocks()
        return col2im(
            blocks.reshape(
                len(blocks), self._batch, *geometry.output_size, self.in_channels
            ),
            geometry,
        )

    def accumulate_grad(self, grad_output: np.ndarray) -> None:
        self._add_parameter_grads(self._grad_rows(grad_output))

    def _add_parameter_grads(self, grad_rows: np.ndarray) -> None:
        """dL/dW += Gm^T @ cols and dL/db += 1^T Gm (the column sums of Gm)."""
        cols = self._cols
        assert cols is not None
        kh, kw = self.kernel_size
        grad_weight = grad_rows.T @ cols  # (O, kh*kw*C), columns (i, j, c)
        self.weight.grad += grad_weight.reshape(
            self.out_channels, kh, kw, self.in_channels
        ).transpose(0, 3, 1, 2)
        if self.bias is not None:
            ones = np.ones(len(grad_rows), dtype=grad_rows.dtype)
            self.bias.grad += ones @ grad_rows  # 1^T Gm: one matrix-vector product

    def _grad_rows(self, grad_output: np.ndarray) -> np.ndarray:
        """G (N, O, OH, OW) as the matrix Gm (N*OH*OW, O) (a view when G is
        channels-last, as the output is)."""
        check_backward_ready(repr(self), self._cols)
        assert self._geometry is not None
        expected = (self._batch, self.out_channels, *self._geometry.output_size)
        check_grad_shape(repr(self), grad_output, expected)
        return grad_output.transpose(0, 2, 3, 1).reshape(-1, self.out_channels)

    def _weight_matrix(self) -> np.ndarray:
        """W (O, C, kh, kw) as Wm (O, kh*kw*C), columns in im2col's (i, j, c) order."""
        return self.weight.data.transpose(0, 2, 3, 1).reshape(self.out_channels, -1)

    def _weight_blocks(self) -> np.ndarray:
        """W as (kh*kw, O, C): block i * kw + j is W[:, :, i, j]."""
        return self.weight.data.transpose(2, 3, 0, 1).reshape(
            -1, self.out_channels, self.in_channels
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
