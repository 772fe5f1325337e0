"""Pooling layers of NCHW batches: `MaxPool2d`, `AvgPool2d` and `GlobalAvgPool2d`."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from minitorch_np._validation import check_backward_ready, check_grad_shape
from minitorch_np.im2col import (
    WindowGeometry,
    col2im,
    col2im_by_rows,
    pad_channels_last,
    window_view,
)
from minitorch_np.layers._image import (
    IntOrPair,
    as_pair,
    check_image_batch,
    check_pool_padding,
    checked_geometry,
)
from minitorch_np.layers.layer import Layer
from minitorch_np.parallel import for_each_row_slice


class _Pool2d(Layer):
    """Shared plumbing of the windowed pools: arguments, input checks, and the
    window geometry and output shape of the last forward."""

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.kernel_size = as_pair(owner, "kernel_size", kernel_size, low=1)
        self.stride = (
            self.kernel_size
            if stride is None
            else as_pair(owner, "stride", stride, low=1)
        )
        self.padding = as_pair(owner, "padding", padding, low=0)
        check_pool_padding(owner, self.kernel_size, self.padding)
        self._geometry: WindowGeometry | None = None
        self._batch_and_channels = (0, 0)

    def _checked_geometry(self, x: np.ndarray) -> WindowGeometry:
        check_image_batch(repr(self), x, None, None)
        geometry = checked_geometry(
            repr(self), x, self.kernel_size, self.stride, self.padding, (1, 1)
        )
        self._geometry, self._batch_and_channels = geometry, (x.shape[0], x.shape[1])
        return geometry

    def _checked_grad(
        self, grad_output: np.ndarray
    ) -> tuple[np.ndarray, WindowGeometry]:
        """G (N, C, OH, OW) as a channels-last (N, OH, OW, C) array, and the geometry."""
        geometry = self._geometry
        check_backward_ready(repr(self), geometry)
        assert geometry is not None
        check_grad_shape(
            repr(self), grad_output, (*self._batch_and_channels, *geometry.output_size)
        )
        return grad_output.transpose(0, 2, 3, 1), geometry

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}"
        )


class MaxPool2d(_Pool2d):
    """The maximum of each kh x kw window (padding counts as -inf)::

        y[n, c, oh, ow] = max_{i, j} x_pad[n, c, oh * sh + i, ow * sw + j]

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2 ph - kh) // sh + 1
    (OW alike).

    Backward: each window passes its gradient to ONE input pixel, the first
    maximum of the window in row-major order (smallest i, then smallest j),
    so ties are broken deterministically; a pixel that is the chosen maximum
    of several overlapping windows receives the sum of their gradients::

        dL/dx = col2im(blocks),  blocks[(i, j)] = G * [offset (i, j) is the window's first maximum]

    The output and dL/dx are NCHW views of channels-last memory (see
    `minitorch_np.im2col`). The samples of a batch are shared among the
    library's threads (`minitorch_np.parallel.for_each_row_slice`).

    Args:
        kernel_size: an int or an (h, w) pair.
        stride: an int or a pair; default: the kernel size (non-overlapping windows).
        padding: -inf rows (columns) added on each side, at most half the kernel.
    """

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self._padded: np.ndarray | None = None
        self._maxima: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        geometry = self._checked_geometry(x)
        padded = pad_channels_last(x, geometry.padding, value=-np.inf)
        maxima = np.empty((len(x), *geometry.output_size, x.shape[1]), dtype=x.dtype)

        def pool_rows(rows: slice) -> None:
            offsets = _offset_views(padded[rows], geometry)
            running = maxima[rows]  # a running maximum over the kernel offsets
            np.copyto(running, next(offsets))
            for pixels in offsets:
                np.maximum(running, pixels, out=running)

        for_each_row_slice(len(x), math.prod(padded.shape[1:]), pool_rows)
        self._padded, self._maxima = padded, maxima
        return maxima.transpose(0, 3, 1, 2)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad, geometry = self._checked_grad(grad_output)
        padded, maxima = self._padded, self._maxima
        assert padded is not None and maxima is not None
        return col2im_by_rows(
            lambda rows: _first_maximum_blocks(
                padded[rows], maxima[rows], grad[rows], geometry
            ),
            len(grad),
            padded.shape[-1],
            padded.dtype,
            geometry,
        )


def _first_maximum_blocks(
    padded: np.ndarray, maxima: np.ndarray, grad: np.ndarray, geometry: WindowGeometry
) -> Iterator[np.ndarray]:
    """G * [offset (i, j) is the window's first maximum], one offset at a time
    in row-major order (so the kh*kw blocks never exist at once)."""
    seen = np.zeros(maxima.shape, dtype=bool)  # maximum found at an earlier offset
    for pixels in _offset_views(padded, geometry):
        is_first = pixels == maxima
        is_first &= ~seen
        seen |= is_first
        yield grad * is_first


def _offset_views(padded: np.ndarray, geometry: WindowGeometry) -> Iterator[np.ndarray]:
    """For each kernel offset (i, j) in row-major order, the (N, OH, OW, C)
    view of the channels-last padded input that it sees."""
    kh, kw = geometry.kernel
    for i in range(kh):
        for j in range(kw):
            rows, cols = geometry.offset_slices(i, j)
            yield padded[:, rows, cols, :]


class AvgPool2d(_Pool2d):
    """The mean of each kh x kw window, zero padding included in the count
    (PyTorch's default ``count_include_pad=True``)::

        y[n, c, oh, ow] = (1 / (kh kw)) sum_{i, j} x_pad[n, c, oh * sh + i, ow * sw + j]

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2 ph - kh) // sh + 1.

    Backward: every pixel of a window receives G / (kh kw)::

        dL/dx = col2im(blocks),  blocks[(i, j)] = G / (kh kw) for every offset

    Args:
        kernel_size: an int or an (h, w) pair.
        stride: an int or a pair; default: the kernel size.
        padding: zero rows (columns) added on each side, at most half the kernel.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        geometry = self._checked_geometry(x)
        windows = window_view(pad_channels_last(x, geometry.padding), geometry)
        return _mean(windows, (3, 4)).transpose(0, 3, 1, 2)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad, geometry = self._checked_grad(grad_output)
        kh, kw = geometry.kernel
        share = grad / grad.dtype.type(kh * kw)
        return col2im(np.broadcast_to(share, (kh * kw, *share.shape)), geometry)


class GlobalAvgPool2d(Layer):
    """The mean of each channel over all its pixels::

        y[n, c] = (1 / (H W)) sum_{h, w} x[n, c, h, w]
        dL/dx[n, c, h, w] = G[n, c] / (H W)

    Shapes: x (N, C, H, W) -> y (N, C), for any H and W (the head of an
    all-convolutional net: GlobalAvgPool2d() then Linear(C, classes)).
    """

    def __init__(self) -> None:
        super().__init__()
        self._input_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_image_batch(repr(self), x, None, None)
        self._input_shape = x.shape
        return _mean(x, (2, 3))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        shape = self._input_shape
        check_backward_ready(repr(self), shape)
        assert shape is not None
        check_grad_shape(repr(self), grad_output, shape[:2])
        share = grad_output / grad_output.dtype.type(shape[2] * shape[3])
        return np.broadcast_to(share[:, :, None, None], shape).copy()


def _mean(values: np.ndarray, axis: tuple[int, int]) -> np.ndarray:
    """The mean over ``axis`` in ``values``' dtype, summed in at least float32
    (a float16 sum of 1024 values of 100 would overflow)."""
    accumulate = np.promote_types(values.dtype, np.float32)
    return values.mean(axis=axis, dtype=accumulate).astype(values.dtype, copy=False)
