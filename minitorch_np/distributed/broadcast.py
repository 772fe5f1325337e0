"""Making every rank start from the same model."""

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
