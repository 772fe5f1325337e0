"""`Sequential`: a list of layers and two loops."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from minitorch_np.layers.layer import Layer, has_parameters


class Sequential(Layer):
    """Chain layers: ``forward`` runs them in order, ``backward`` in reverse.

    ``Sequential(Linear(784, 256), ReLU(), Linear(256, 10))``. Children are
    named ``"0"``, ``"1"``, ... so parameters are ``"0.weight"``, ``"0.bias"``...

    An exception raised inside a child is re-raised with the child's index and
    class in front of its message (same exception type), so a shape error deep
    in a net says where it happened.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        self.layers: list[Layer] = []
        for layer in layers:
            self.append(layer)

    def append(self, layer: Layer) -> Sequential:
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential: layer {len(self.layers)} must be a Layer, "
                f"got {type(layer).__name__}"
            )
        setattr(self, str(len(self.layers)), layer)
        self.layers.append(layer)
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        for index, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except Exception as error:
                _reraise_with_location(error, index, layer, "forward")
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            try:
                grad_output = layer.backward(grad_output)
            except Exception as error:
                _reraise_with_location(error, index, layer, "backward")
        return grad_output

    def accumulate_grad(self, grad_output: np.ndarray) -> None:
        """`backward` without dL/dx: the layers after the first one that has
        parameters run ``backward``, that one runs ``accumulate_grad`` and the
        layers before it (no parameters, e.g. a Flatten) are skipped."""
        first = next(
            (i for i, layer in enumerate(self.layers) if has_parameters(layer)), None
        )
        if first is None:
            return
        for index in range(len(self.layers) - 1, first, -1):
            layer = self.layers[index]
            try:
                grad_output = layer.backward(grad_output)
            except Exception as error:
                _reraise_with_location(error, index, layer, "backward")
        try:
            self.layers[first].accumulate_grad(grad_output)
        except Exception as error:
            _reraise_with_location(error, first, self.layers[first], "accumulate_grad")

    def summary_rows(self) -> list[tuple[str, Layer]]:
        """One row per child, in order (see `Layer.summary`)."""
        return list(self.named_children())

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int | slice) -> Layer:
        """``model[i]`` is the i-th layer; ``model[a:b]`` a new `Sequential`
        sharing those layer objects (and so their parameters)."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)


def _reraise_with_location(
    error: Exception, index: int, layer: Layer, phase: str
) -> None:
    """Re-raise ``error`` as the same type with ``Sequential[index] (Class)`` in
    front of its message; falls back to a note when the type cannot be rebuilt."""
    where = f"Sequential[{index}] ({type(layer).__name__}) {phase}: "
    try:
        located = type(error)(where + str(error))
    except Exception:
        if hasattr(error, "add_note"):  # Python >= 3.11
            error.add_note(where.rstrip(": "))
        raise error from None
    raise located.with_traceback(error.__traceback__) from error
