"""`summary`: a Keras-style table of a model's layers, output shapes and
parameter counts (``model.summary(input_shape)`` calls it).

It only calls the layers' methods, so it imports no layer module at run time
(``Layer.summary`` imports this one).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only
    from minitorch_np.layers.layer import Layer

_HEADERS = ("Layer (type)", "Output Shape", "Param #")
_PROBE_BATCH = 2  # the forward pass runs on a zeros batch of this size


def summary(model: Layer, input_shape: int | Sequence[int]) -> str:
    """Return a table with one row per layer: name (type), output shape and
    number of parameters, then the totals.

    The rows are those of ``model.summary_rows()``: the children of a
    `Sequential` (in order), or the model itself for any other layer. Output shapes come from a forward pass of a
    zeros batch, in evaluation mode, through a deep copy of the model: the
    model's caches, running statistics and random generators are untouched.
    The batch axis is shown as ``None`` (any size), as in Keras.

    Parameter counts follow Keras: "Param #" counts a layer's trainable
    parameters plus its floating-point buffers (e.g. BatchNorm's running mean
    and variance), which are reported as non-trainable.

    Args:
        model: any `Layer`.
        input_shape: the shape of ONE sample, without the batch axis, e.g.
            ``(784,)`` or ``(28, 28)``; an int n means ``(n,)``.

    Returns:
        The table as a string; ``print(model.summary((784,)))`` shows it.
    """
    shape = _check_input_shape(input_shape)
    probe = copy.deepcopy(model).eval()
    x = np.zeros((_PROBE_BATCH, *shape), dtype=_model_dtype(model))
    rows = []
    for name, layer in probe.summary_rows():
        try:
            x = layer.forward(x)
        except Exception as error:
            raise ValueError(
                f"summary: layer {name} ({type(layer).__name__}) failed on an input of "
                f"shape {_batch_shape(x)} (a probe batch of {_PROBE_BATCH}): {error}"
            ) from error
        rows.append(
            (f"{name} ({type(layer).__name__})", _batch_shape(x), _count_all(layer))
        )
    trainable = model.num_parameters()
    non_trainable = _count_buffers(model)
    return _format_table(type(model).__name__, rows, trainable, non_trainable)


def _batch_shape(x: np.ndarray) -> str:
    """Shape text with the batch axis as None: "(None, 256)"."""
    return "(" + ", ".join(["None", *map(str, x.shape[1:])]) + ")"


def _count_all(layer: Layer) -> int:
    return layer.num_parameters() + _count_buffers(layer)


def _count_buffers(layer: Layer) -> int:
    """Elements of floating-point buffers (running statistics; not counters)."""
    return sum(
        buffer.size
        for _, buffer in layer.named_buffers()
        if np.issubdtype(buffer.dtype, np.floating)
    )


def _model_dtype(model: Layer) -> np.dtype:
    """The dtype of the first parameter or floating buffer; float32 if none."""
    for param in model.parameters():
        return param.dtype
    for _, buffer in model.named_buffers():
        if np.issubdtype(buffer.dtype, np.floating):
            return buffer.dtype
    return np.dtype(np.float32)


def _check_input_shape(input_shape: object) -> tuple[int, ...]:
    if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if (
        not isinstance(input_shape, (tuple, list))
        or not input_shape
        or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) >= 1
            for n in input_shape
        )
    ):
        raise ValueError(
            "summary: expected input_shape to be a tuple of positive ints, the shape of "
            f"one sample without the batch axis (e.g. (784,)), got {input_shape!r}"
        )
    return tuple(int(n) for n in input_shape)


def _format_table(
    model_name: str,
    rows: list[tuple[str, str, int]],
    trainable: int,
    non_trainable: int,
) -> str:
    cells = [_HEADERS, *((name, shape, f"{count:,}") for name, shape, count in rows)]
    widths = [max(len(row[column]) for row in cells) + 4 for column in range(3)]
    total_width = sum(widths)

    def line(row: Sequence[str]) -> str:
        return "".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    body = [line(row) for row in cells[1:]]
    return "\n".join(
        [
            f'Model: "{model_name}"',
            "_" * total_width,
            line(_HEADERS),
            "=" * total_width,
            *body,
            "=" * total_width,
            f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}",
            "_" * total_width,
        ]
    )
