"""Losses (criteria): ``loss_fn(prediction, target) -> float``, ``loss_fn.backward()``."""

from minitorch_np.losses.loss import Loss
from minitorch_np.losses.mse import MSELoss
from minitorch_np.losses.softmax_cross_entropy import SoftmaxCrossEntropy

__all__ = ["Loss", "MSELoss", "SoftmaxCrossEntropy"]
