"""Hypothesis strategies for layer tests: shapes (batches, images) and float
arrays whose elements keep clear of a layer's kinks.

hypothesis is imported only when a strategy is built, so importing this module
never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    ShapeSpec = SearchStrategy[tuple[int, ...]] | Sequence[int]

INSTALL_HINT = 'pip install "minitorch_np[test]" (or "minitorch_np[dev]")'
MAX_SEED = 2**32 - 1


def require_hypothesis() -> ModuleType:
    """Import and return ``hypothesis``, or raise ImportError naming the extra
    that installs it."""
    try:
        import hypothesis
        import hypothesis.strategies  # loads the submodule
    except ImportError as error:
        raise ImportError(
            f"minitorch_np.testing needs the hypothesis package, which is not "
            f"installed; install the test extra: {INSTALL_HINT}"
        ) from error
    return hypothesis


def array_shapes(
    *, min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> SearchStrategy[tuple[int, ...]]:
    """Shapes with ``min_dims..max_dims`` axes of ``min_side..max_side`` each."""
    st = require_hypothesis().strategies
    sides = st.integers(min_side, max_side)
    return st.lists(sides, min_size=min_dims, max_size=max_dims).map(tuple)


def batch_shapes(
    *feature_shape: int, min_batch: int = 1, max_batch: int = 4
) -> SearchStrategy[tuple[int, ...]]:
    """Shapes ``(N, *feature_shape)`` with a drawn batch size N:
    ``batch_shapes(3)`` gives (N, 3), ``batch_shapes(28, 28)`` gives (N, 28, 28)."""
    st = require_hypothesis().strategies
    return st.integers(min_batch, max_batch).map(lambda n: (n, *feature_shape))


def image_shapes(
    channels: int | None = None,
    *,
    min_batch: int = 1,
    max_batch: int = 3,
    max_channels: int = 3,
    min_side: int = 1,
    max_side: int = 7,
) -> SearchStrategy[tuple[int, int, int, int]]:
    """NCHW image-batch shapes ``(N, C, H, W)``: N in [min_batch, max_batch],
    C = ``channels`` (or drawn from 1..max_channels when None), H and W drawn
    independently from [min_side, max_side] (odd and even sides, non-square
    images). Keep them small: `check_layer` finite-differences every element.

    ``image_shapes(3, min_side=3)`` fits a 3x3 kernel without padding:
    ``check_layer(lambda rng: MyConv(3, 4, 3, rng=rng), image_shapes(3, min_side=3))``.
    """
    st = require_hypothesis().strategies
    if channels is not None and (isinstance(channels, bool) or channels < 1):
        raise ValueError(
            f"image_shapes: expected channels >= 1 or None, got {channels!r}"
        )
    if not 1 <= min_side <= max_side:
        raise ValueError(
            f"image_shapes: expected 1 <= min_side <= max_side, got min_side={min_side}, "
            f"max_side={max_side}"
        )
    sides = st.integers(min_side, max_side)
    return st.tuples(
        st.integers(min_batch, max_batch),
        st.just(channels) if channels is not None else st.integers(1, max_channels),
        sides,
        sides,
    )


def float_arrays(
    shape: ShapeSpec,
    *,
    low: float = -2.0,
    high: float = 2.0,
    dtype: DTypeLike = np.float64,
    avoid: Sequence[float] = (),
    margin: float = 1e-3,
) -> SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` (a tuple or a strategy of tuples) with elements drawn
    uniformly from [low, high] by a numpy Generator seeded from hypothesis.

    Elements closer than ``margin`` to a point in ``avoid`` (e.g. ``(0.0,)``,
    the kink of ReLU) are moved to exactly ``margin`` away from it, on the
    same side, so finite differences never straddle a kink.
    """
    st = require_hypothesis().strategies
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"float_arrays: expected finite low < high, got low={low}, high={high}"
        )
    shapes = shape_strategy(st, shape, "float_arrays")

    # named so that hypothesis shows a failing input as
    # x=array_from_shape_and_seed(((N, D), seed)): reproducible by hand
    def array_from_shape_and_seed(
        shape_and_seed: tuple[tuple[int, ...], int],
    ) -> np.ndarray:
        drawn_shape, seed = shape_and_seed
        values = np.random.default_rng(seed).uniform(low, high, size=drawn_shape)
        return _push_off_kinks(values, avoid, margin).astype(dtype)

    return st.tuples(shapes, st.integers(0, MAX_SEED)).map(array_from_shape_and_seed)


def shape_strategy(
    st: ModuleType, shape: ShapeSpec, owner: str
) -> SearchStrategy[tuple[int, ...]]:
    if isinstance(shape, st.SearchStrategy):
        return shape
    if isinstance(shape, Sequence) and all(
        isinstance(side, (int, np.integer)) and side >= 0 for side in shape
    ):
        return st.just(tuple(int(side) for side in shape))
    raise TypeError(
        f"{owner}: expected a shape tuple such as (4, 3) or a hypothesis strategy "
        f"of shapes such as batch_shapes(3), got {shape!r}"
    )


def _push_off_kinks(
    values: np.ndarray, kinks: Sequence[float], margin: float
) -> np.ndarray:
    for kink in kinks:
        offset = values - kink
        near = np.abs(offset) < margin
        values = np.where(near, kink + np.where(offset >= 0, margin, -margin), values)
    return values
