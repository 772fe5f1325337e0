"""Argument and input checks shared by the 2-D (image) layers. Every message
names the layer, what was expected and what came."""

from __future__ import annotations

import numbers
from typing import Union

import numpy as np

from minitorch_np._validation import check_float_array
from minitorch_np.im2col import Pair, WindowGeometry

#: A size argument of the 2-D layers: one int for both sides, or (h, w).
IntOrPair = Union[int, tuple[int, int]]  # noqa: UP007 - a runtime alias, Python 3.9 has no X | Y


def as_pair(owner: str, name: str, value: object, *, low: int) -> Pair:
    """An int or an (h, w) pair of ints, each >= ``low``, as an (h, w) tuple."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(_is_int(item) and item >= low for item in items):
        kind = "a positive int" if low == 1 else f"an int >= {low}"
        raise ValueError(
            f"{owner}: expected {name} to be {kind} or a pair (h, w) of them, "
            f"got {value!r}"
        )
    return int(items[0]), int(items[1])


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_image_batch(
    owner: str, x: np.ndarray, channels: int | None, dtype: np.dtype | None
) -> None:
    """x must be a float (N, C, H, W) array, C == ``channels`` and of
    ``dtype`` when given."""
    check_float_array(owner, "input", x)
    expected = f"(N, {'C' if channels is None else channels}, H, W)"
    if x.ndim != 4:
        hint = ""
        if x.ndim == 3:
            hint = (
                "; a batch of one-channel images needs a channel axis: x[:, None], "
                "a single image a batch axis: x[None]"
            )
        elif x.ndim == 2:
            hint = (
                "; flat rows must be reshaped to images, e.g. x.reshape(-1, 1, 28, 28)"
            )
        raise ValueError(
            f"{owner}: expected a 4-D input of shape {expected} (NCHW), got {x.shape}{hint}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{owner}: expected input of shape {expected} ({_count(channels)}, "
            f"NCHW), got {x.shape} with {_count(x.shape[1])}"
        )
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{owner}: expected input of dtype {dtype} (the layer's), got {x.dtype}; "
            f"cast it with x.astype(np.{dtype}) or convert the layer with .to(np.{x.dtype})"
        )


def _count(channels: int) -> str:
    return f"{channels} channel" + ("" if channels == 1 else "s")


def checked_geometry(
    owner: str,
    x: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> WindowGeometry:
    """The window geometry of ``x`` (N, C, H, W); ValueError when the output
    would be empty (the padded input is smaller than the dilated kernel)."""
    geometry = WindowGeometry(
        (int(x.shape[2]), int(x.shape[3])), kernel, stride, padding, dilation
    )
    oh, ow = geometry.output_size
    if oh < 1 or ow < 1:
        (hp, wp), (eh, ew) = geometry.padded_size, geometry.extent
        raise ValueError(
            f"{owner}: the output for input {x.shape} would be empty: the input "
            f"padded to {hp}x{wp} is smaller than the kernel, which spans "
            f"{eh}x{ew} pixels (dilation * (kernel_size - 1) + 1); expected "
            f"H + 2 * padding >= {eh} and W + 2 * padding >= {ew}"
        )
    return geometry


def check_pool_padding(owner: str, kernel: Pair, padding: Pair) -> None:
    """PyTorch's rule: padding at most half the kernel, so that every window
    holds at least one input pixel."""
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{owner}: expected padding at most half the kernel size "
            f"({kernel[0] // 2}, {kernel[1] // 2}) so that every window holds an "
            f"input pixel, got padding={padding}"
        )
