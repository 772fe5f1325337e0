"""The model on every rank: the same starting values, and per-rank random
streams for the layers that draw random numbers."""

from __future__ import annotations

import numpy as np

from minitorch_np.distributed._mpi import MPICollective, world
from minitorch_np.layers.layer import Layer


def broadcast_parameters(
    model: Layer, root: int = 0, collective: MPICollective | None = None
) -> None:
    """Overwrite, on every rank, the model's parameters and buffers (e.g.
    BatchNorm's running statistics) with the root rank's values, in place.

    Every rank must call it with a model of the same architecture. Raises
    ValueError (on every rank) when the ranks' models differ in parameter or
    buffer names, shapes or dtypes, or when ``root`` is not a rank.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"broadcast_parameters: expected model to be a Layer, got {type(model).__name__}"
        )
    collective = world() if collective is None else collective
    if isinstance(root, bool) or not isinstance(root, int):
        raise TypeError(
            f"broadcast_parameters: expected root to be an int, got {root!r}"
        )
    if not 0 <= root < collective.world_size:
        raise ValueError(
            f"broadcast_parameters: expected root in [0, {collective.world_size}), got {root}"
        )
    arrays = [(name, param.data) for name, param in model.named_parameters()]
    arrays += list(model.named_buffers())
    collective.check_same(
        "broadcast_parameters",
        "models",
        {
            "parameters and buffers (name, shape, dtype)": [
                (name, array.shape, str(array.dtype)) for name, array in arrays
            ]
        },
    )
    for _, array in arrays:
        _broadcast_array(collective, array, root)


def _broadcast_array(collective: MPICollective, array: np.ndarray, root: int) -> None:
    if array.flags.c_contiguous:
        collective.broadcast_in_place(array, root)
    else:  # e.g. a hand-assigned transposed view: send a contiguous copy
        copy = np.ascontiguousarray(array)
        collective.broadcast_in_place(copy, root)
        array[...] = copy


def seed_layer_generators(
    model: Layer, seed: int, collective: MPICollective | None = None
) -> None:
    """Give every layer that draws random numbers (an ``rng`` Generator
    attribute, e.g. Dropout's) a new Generator of its own, seeded from
    ``(seed, rank, position)``: each rank draws different dropout masks for
    its rows, and no layer shares a Generator with the data loader (whose
    order must stay the same on every rank).

    The statistics of the run are those of a single process; the exact
    masks are not (a single process draws one mask for the whole batch).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"seed_layer_generators: expected seed to be a non-negative int, got {seed!r}"
        )
    rank = (world() if collective is None else collective).rank
    layers = [model] + [layer for _, layer in model.named_layers()]
    drawing = [
        layer
        for layer in layers
        if isinstance(getattr(layer, "rng", None), np.random.Generator)
    ]
    for position, layer in enumerate(drawing):
        layer.rng = np.random.default_rng([seed, rank, position])
