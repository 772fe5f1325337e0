"""Random transforms of a batch of inputs (data augmentation), for `DataLoader`.

A transform has two steps, so that its randomness can be drawn for a whole
batch and applied to part of it (each rank of a data-parallel run applies
the draws of its own rows, the same ones a single process would)::

    params = transform.draw(n, rng)     # n rows of random parameters
    xb = transform.apply(xb, params)    # a new array; xb itself is not changed

``transform(xb, rng)`` does both. `DataLoader(..., transform=...)` calls them
on every batch's inputs with the loader's own Generator, so a seed fixes the
augmentation too, and a checkpoint that saves the loader's Generator resumes
it exactly.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from minitorch_np._validation import check_int

__all__ = ["BatchTransform", "RandomShift"]


@runtime_checkable
class BatchTransform(Protocol):
    """What `DataLoader` needs of a transform: ``draw`` then ``apply``."""

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    def apply(self, x: np.ndarray, params: np.ndarray) -> np.ndarray: ...


class RandomShift:
    """Translate each image by a random whole number of pixels, filling with zeros.

    For images x of shape (N, ..., H, W) (e.g. (N, C, H, W)), row n moves by
    (dy, dx), each drawn uniformly from -max_shift ... max_shift::

        out[n, ..., h, w] = x[n, ..., h - dy, w - dx]   (0 where that is outside the image)

    so dy > 0 moves the content down and dx > 0 to the right. A digit moved by
    a pixel or two is still the same digit: training on shifted copies teaches
    a network that its class does not depend on the exact position.

    Args:
        max_shift: the largest shift in either direction, in pixels (>= 0).
    """

    def __init__(self, max_shift: int) -> None:
        self.max_shift = check_int("RandomShift", "max_shift", max_shift, low=0)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) int shifts (dy, dx), each in [-max_shift, max_shift]."""
        s = self.max_shift
        return rng.integers(-s, s + 1, size=(n, 2))

    def apply(self, x: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The shifted images, a new array of x's shape and dtype."""
        params = np.asarray(params)
        self._check(x, params)
        n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
        # a shift by the whole image or more leaves only zeros: pad no wider
        ph, pw = min(self.max_shift, h), min(self.max_shift, w)
        dy, dx = np.clip(params[:, 0], -ph, ph), np.clip(params[:, 1], -pw, pw)
        images = x.reshape(n, math.prod(x.shape[1:-2]), h, w)  # not -1: n may be 0
        padded = np.pad(images, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        # out[n, :, h, w] = padded[n, :, ph - dy + h, pw - dx + w]
        rows = (ph - dy)[:, None, None, None] + np.arange(h)[:, None]
        cols = (pw - dx)[:, None, None, None] + np.arange(w)
        shifted = np.take_along_axis(padded, rows, axis=2)
        shifted = np.take_along_axis(shifted, cols, axis=3)
        return shifted.reshape(x.shape)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``apply(x, draw(len(x), rng))``."""
        return self.apply(x, self.draw(len(x), rng))

    def _check(self, x: np.ndarray, params: np.ndarray) -> None:
        if not isinstance(x, np.ndarray) or x.ndim < 3:
            raise ValueError(
                f"{self!r}: expected images of shape (N, ..., H, W) with at least "
                f"3 dimensions, got {getattr(x, 'shape', type(x).__name__)}; "
                "load MNIST with flatten=False for (N, 1, 28, 28)"
            )
        s = self.max_shift
        if params.shape != (len(x), 2) or params.dtype.kind not in "iu":
            raise ValueError(
                f"{self!r}: expected (N, 2) = ({len(x)}, 2) integer shifts, got "
                f"shape {params.shape} dtype {params.dtype}"
            )
        if params.size and np.abs(params).max() > s:
            raise ValueError(
                f"{self!r}: shifts must lie in [-{s}, {s}], got {np.abs(params).max()}"
            )

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"
