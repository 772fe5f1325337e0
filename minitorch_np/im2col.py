"""im2col / col2im: 2-D windows of an NCHW batch as the rows of a matrix, and back.

A 2-D layer with a ``kh x kw`` kernel, ``stride`` (sh, sw), zero ``padding``
(ph, pw) and ``dilation`` (dh, dw) sees, for output pixel (oh, ow), the input
pixels::

    x_pad[n, c, oh * sh + i * dh, ow * sw + j * dw]    i < kh, j < kw

where x_pad is x with ph rows and pw columns of padding on each side. The
output has OH x OW pixels (PyTorch's arithmetic, floor division)::

    OH = (H + 2 ph - dh (kh - 1) - 1) // sh + 1      (OW alike)

`im2col` copies every window into one row of a matrix, so that a convolution
becomes one matrix product; `col2im` is its adjoint: it adds each window's
values back onto the pixels they came from (pixels shared by overlapping
windows receive the sum). Both work channels-last, the layout in which every
window is a few contiguous runs of C values:

* ``cols`` (N*OH*OW, kh*kw*C): row (n, oh, ow), column (i, j, c), i.e.
  ``cols.reshape(N, OH, OW, kh, kw, C)[n, oh, ow, i, j, c] = x_pad[n, c, oh*sh + i*dh, ow*sw + j*dw]``;
* ``blocks`` for `col2im` (kh*kw, N, OH, OW, C): one block per kernel offset
  (i, j), the window-major transpose of the same numbers, which makes each of
  the kh*kw additions of `col2im` run over contiguous memory.

Images are NCHW as everywhere in minitorch_np; the arrays these functions
return are NCHW views of channels-last memory (``x.transpose(0, 3, 1, 2)`` of
an (N, H, W, C) array), which numpy treats like any other array.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minitorch_np.parallel import for_each_row_slice

__all__ = [
    "WindowGeometry",
    "col2im",
    "col2im_by_rows",
    "im2col",
    "pad_channels_last",
    "sum_windows_into",
    "window_view",
]

Pair = tuple[int, int]


@dataclass(frozen=True)
class WindowGeometry:
    """Where the windows of a 2-D layer lie in its (H, W) input.

    Attributes:
        input_size: (H, W) of the input.
        kernel, stride, padding, dilation: (height, width) pairs.
    """

    input_size: Pair
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair

    @property
    def padded_size(self) -> Pair:
        """(H + 2 ph, W + 2 pw)."""
        (h, w), (ph, pw) = self.input_size, self.padding
        return h + 2 * ph, w + 2 * pw

    @property
    def extent(self) -> Pair:
        """Rows and columns one dilated window spans: d (k - 1) + 1."""
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    @property
    def output_size(self) -> Pair:
        """(OH, OW) = ((H + 2 ph - extent_h) // sh + 1, ...); a side is 0 or
        less when the padded input is smaller than the dilated kernel."""
        (hp, wp), (eh, ew), (sh, sw) = self.padded_size, self.extent, self.stride
        return _floor_size(hp, eh, sh), _floor_size(wp, ew, sw)

    def offset_slices(self, i: int, j: int) -> tuple[slice, slice]:
        """The rows and columns of the padded input that kernel offset (i, j)
        touches, one per output pixel: ``x_pad[:, :, rows, cols]`` is (N, C, OH, OW)."""
        (oh, ow), (sh, sw), (dh, dw) = self.output_size, self.stride, self.dilation
        top, left = i * dh, j * dw
        return (
            slice(top, top + sh * (oh - 1) + 1, sh),
            slice(left, left + sw * (ow - 1) + 1, sw),
        )

    def interior(self, padded: np.ndarray) -> np.ndarray:
        """The (N, C, H, W) view of the input pixels of a channels-last padded
        (N, Hp, Wp, C) array: the padding rows and columns cut off."""
        (h, w), (ph, pw) = self.input_size, self.padding
        return padded[:, ph : ph + h, pw : pw + w, :].transpose(0, 3, 1, 2)


def _floor_size(padded: int, extent: int, stride: int) -> int:
    return (padded - extent) // stride + 1 if padded >= extent else 0


def pad_channels_last(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) -> (N, H + 2 ph, W + 2 pw, C), a C-contiguous array
    (``x`` itself transposed, without a copy, when it needs no padding and is
    channels-last already); the border holds ``value``."""
    n, c, h, w = x.shape
    ph, pw = padding
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    padded = np.full((n, h + 2 * ph, w + 2 * pw, c), value, dtype=x.dtype)
    padded[:, ph : ph + h, pw : pw + w, :] = x.transpose(0, 2, 3, 1)
    return padded


def window_view(padded: np.ndarray, geometry: WindowGeometry) -> np.ndarray:
    """A read-only strided view (N, OH, OW, kh, kw, C) of the channels-last
    padded input (N, Hp, Wp, C): ``view[n, oh, ow, i, j] = padded[n, oh*sh + i*dh, ow*sw + j*dw]``."""
    n, _, _, c = padded.shape
    s_n, s_h, s_w, s_c = padded.strides
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    return as_strided(
        padded,
        shape=(n, *geometry.output_size, *geometry.kernel, c),
        strides=(s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c),
        writeable=False,
    )


def im2col(x: np.ndarray, geometry: WindowGeometry) -> np.ndarray:
    """x (N, C, H, W) -> cols (N*OH*OW, kh*kw*C): one zero-padded window per
    row, columns in (i, j, c) order (a new C-contiguous array). The samples
    are copied on the library's threads (`minitorch_np.parallel`). An empty
    batch (N = 0) gives an empty (0, kh*kw*C) matrix."""
    n, c = x.shape[:2]
    (oh, ow), (kh, kw) = geometry.output_size, geometry.kernel
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)

    def copy_windows(rows: slice) -> None:
        padded = pad_channels_last(x[rows], geometry.padding)
        np.copyto(cols[rows], window_view(padded, geometry))

    for_each_row_slice(n, math.prod(cols.shape[1:]), copy_windows)
    return cols.reshape(n * oh * ow, kh * kw * c)


def col2im(blocks: np.ndarray, geometry: WindowGeometry) -> np.ndarray:
    """The adjoint of `im2col`: blocks (kh*kw, N, OH, OW, C) -> dx (N, C, H, W)
    with dx[n, c, h, w] = the sum of every block entry that `im2col` copied
    from x[n, c, h, w] (entries that fell on the padding are dropped).

    Block i * kw + j holds kernel offset (i, j): `im2col`'s columns for that
    offset are ``cols.reshape(N, OH, OW, kh*kw, C)[:, :, :, i * kw + j]``.
    The samples are summed on the library's threads (`minitorch_np.parallel`).
    """
    if not isinstance(blocks, np.ndarray) or blocks.ndim != 5:
        raise ValueError(
            "col2im: expected an array of blocks of shape (kh*kw, N, OH, OW, C), got "
            f"{getattr(blocks, 'shape', type(blocks).__name__)}; for an iterable of "
            "blocks use sum_windows_into"
        )
    _, n, _, _, c = blocks.shape
    return col2im_by_rows(lambda rows: blocks[:, rows], n, c, blocks.dtype, geometry)


def col2im_by_rows(
    blocks_of: Callable[[slice], Iterable[np.ndarray]],
    n: int,
    channels: int,
    dtype: np.dtype,
    geometry: WindowGeometry,
) -> np.ndarray:
    """`col2im` for blocks given sample by sample: ``blocks_of(rows)`` returns
    the kh*kw (len(rows), OH, OW, C) blocks of the samples ``rows`` (an array
    or an iterable, e.g. a generator computing each block when it is added).
    The slices of samples are summed on the library's threads; returns dx
    (N, C, H, W), empty for N = 0."""
    padded = np.empty((n, *geometry.padded_size, channels), dtype=dtype)

    def sum_rows(rows: slice) -> None:
        sum_windows_into(padded[rows], blocks_of(rows), geometry)

    for_each_row_slice(n, math.prod(padded.shape[1:]), sum_rows)
    return geometry.interior(padded)


def sum_windows_into(
    padded: np.ndarray, blocks: Iterable[np.ndarray], geometry: WindowGeometry
) -> None:
    """Overwrite the channels-last padded (N, Hp, Wp, C) array with the sum of
    the kh*kw (N, OH, OW, C) blocks, each added onto the pixels its kernel
    offset's windows cover (block i * kw + j for offset (i, j)): the work of
    `col2im` for an array of blocks or any iterable of them, such as a
    generator that computes each block when it is added."""
    kh, kw = geometry.kernel
    padded.fill(0)
    count = 0
    for count, block in enumerate(blocks, start=1):
        if count > kh * kw:
            break
        rows, cols = geometry.offset_slices(*divmod(count - 1, kw))
        padded[:, rows, cols, :] += block
    if count != kh * kw:
        raise ValueError(
            f"col2im: expected {kh * kw} blocks, one per offset of the {kh}x{kw} "
            f"kernel, got {'more' if count > kh * kw else count}"
        )
