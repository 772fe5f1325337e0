"""`Loss`: the base class of criteria (Torch7's ``Criterion``).

A loss is not a layer: ``loss_fn(prediction, target)`` returns a Python float,
and ``loss_fn.backward()`` (no argument) returns dL/dprediction, the gradient
that starts the backward chain through the model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

_REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: subclasses implement ``forward(prediction, target) -> float``
    (caching what backward needs) and ``backward() -> dL/dprediction``.

    ``is_classification`` declares that predictions are (N, K) class scores
    and targets class labels, so a `Trainer` measures accuracy
    (``accuracy="auto"``); False unless a subclass says otherwise.
    """

    is_classification: ClassVar[bool] = False

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: expected reduction in {_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, prediction: np.ndarray, target: np.ndarray) -> float:
        return self.forward(prediction, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"
