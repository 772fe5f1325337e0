"""`MSELoss`: mean squared error for regression."""

from __future__ import annotations

import numpy as np

from minitorch_np._validation import check_backward_ready, check_float_array
from minitorch_np.losses.loss import Loss


class MSELoss(Loss):
    """Squared error between prediction and target of the same shape.

    ``reduction="mean"`` (default): L = (1/M) sum_i (pred_i - target_i)^2 over
    all M elements (as in PyTorch); ``"sum"``: the plain sum.

    Backward: dL/dpred = 2 (pred - target) / M (mean) or 2 (pred - target) (sum).
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._diff: np.ndarray | None = None

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        check_float_array("MSELoss", "prediction", prediction)
        check_float_array("MSELoss", "target", target)
        if prediction.shape != target.shape:
            raise ValueError(
                f"MSELoss: expected target of the prediction's shape {prediction.shape}, "
                f"got {target.shape}"
            )
        if prediction.size == 0:
            raise ValueError("MSELoss: got an empty prediction")
        self._diff = prediction - target.astype(prediction.dtype, copy=False)
        total = np.square(
            self._diff, dtype=np.float64
        ).sum()  # no overflow of the squares
        return float(total / self._diff.size if self.reduction == "mean" else total)

    def backward(self) -> np.ndarray:
        check_backward_ready("MSELoss", self._diff)
        assert self._diff is not None
        scale = 2 / self._diff.size if self.reduction == "mean" else 2
        return self._diff * self._diff.dtype.type(scale)
